//! The longest pause a switch of `policy: 'adaptive'` causes, timed in Rust
//! (no JS, no garbage collector): the addon's own `Core` at 1,000,000
//! entries, filled by a workload where LRU wins (each key read 4 times
//! within 200 requests, then never again), switches from TinyLFU to LRU.
//! Every request (get, and set on a miss), every switch or drop of a build
//! and every maintenance call (one per 10,000 requests, as a timer would) is
//! timed until the old build is empty, then as many requests again without
//! a switch, for comparison.
//!
//! ```sh
//! cargo bench --bench adaptive_pause            # ADAPTIVE_CAPACITY=1000000
//! ```

use std::time::{Duration, Instant};

use moka_js::core::{Core, Options};
use moka_js::Key;

const MAINTENANCE_EVERY: u64 = 10_000;

struct Pauses {
    requests: u64,
    longest_request: Duration,
    longest_maintenance: Duration,
    longest_adapt: Duration,
    over_1ms: u64,
    total: Duration,
}

fn key(i: u64) -> Key {
    Key::from_slice(&[2, i as u16, (i >> 16) as u16, (i >> 32) as u16])
}

fn key_of(i: u64) -> u64 {
    i % 50 + i / 200 * 50
}

struct Run {
    core: Core<()>,
    i: u64,
}

impl Run {
    /// One request, and the switch or drop of a build it asked for.
    fn request(&mut self, p: &mut Pauses) {
        let k = key(key_of(self.i));
        let t = Instant::now();
        if self.core.get(&k).is_none() {
            self.core.insert(k, (self.i % (1 << 28)) as u32, 1, ());
        }
        let d = t.elapsed();
        self.i += 1;
        p.requests += 1;
        p.longest_request = p.longest_request.max(d);
        p.over_1ms += (d > Duration::from_millis(1)) as u64;
        self.adapt(p);
    }

    fn adapt(&mut self, p: &mut Pauses) {
        if self.core.wants_adapt() {
            let t = Instant::now();
            self.core.adapt();
            p.longest_adapt = p.longest_adapt.max(t.elapsed());
        }
    }

    fn maintain(&mut self, p: &mut Pauses) {
        let t = Instant::now();
        self.core.run_pending_tasks();
        p.longest_maintenance = p.longest_maintenance.max(t.elapsed());
        self.adapt(p);
    }

    fn timed(&mut self, mut more: impl FnMut(&Core<()>) -> bool, count: u64) -> Pauses {
        let mut p = Pauses {
            requests: 0,
            longest_request: Duration::ZERO,
            longest_maintenance: Duration::ZERO,
            longest_adapt: Duration::ZERO,
            over_1ms: 0,
            total: Duration::ZERO,
        };
        let start = Instant::now();
        while more(&self.core) && p.requests < count {
            for _ in 0..MAINTENANCE_EVERY {
                self.request(&mut p);
            }
            self.maintain(&mut p);
        }
        p.total = start.elapsed();
        p
    }
}

fn print(label: &str, p: &Pauses) {
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{label}: {} requests in {:.2} s; longest request {:.3} ms ({} over 1 ms), longest switch or drop of a build {:.3} ms, longest runPendingTasks {:.3} ms",
        p.requests,
        p.total.as_secs_f64(),
        ms(p.longest_request),
        p.over_1ms,
        ms(p.longest_adapt),
        ms(p.longest_maintenance),
    );
}

fn main() {
    let capacity: u64 = std::env::var("ADAPTIVE_CAPACITY")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let core = Core::<()>::new(&Options {
        adaptive: true,
        ..Options::entries(capacity)
    });
    let mut run = Run { core, i: 0 };
    let switches = |core: &Core<()>| core.adaptive_info()[1];
    let migrating = |core: &Core<()>| core.adaptive_info()[2] == 1.0;
    // Untimed fill, up to the request that switches.
    let mut fill = run.timed(|_| true, 0);
    while switches(&run.core) == 0.0 {
        for _ in 0..MAINTENANCE_EVERY {
            run.request(&mut fill);
        }
        run.maintain(&mut fill);
    }
    println!(
        "capacity {capacity}: switched to LRU after {} requests, {} entries; the switch itself (building the new cache) {:.3} ms",
        run.i,
        run.core.entry_count(),
        fill.longest_adapt.as_secs_f64() * 1000.0
    );
    let migration = run.timed(migrating, u64::MAX);
    print("migration", &migration);
    let after = run.timed(|_| true, migration.requests);
    print("after it, as many requests", &after);
}
