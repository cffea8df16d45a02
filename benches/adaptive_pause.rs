//! The longest pause a switch of `policy: 'adaptive'` causes, timed in Rust
//! (no JS, no garbage collector): the addon's own `Core` at 1,000,000
//! entries, filled by a workload where LRU wins (each key read 4 times
//! within 200 requests, then never again), switches from TinyLFU to LRU.
//! Every request (get, and set on a miss), every switch or drop of a build
//! and every maintenance call (one per 10,000 requests, as a timer would) is
//! timed until the old build is empty, then as many requests again without
//! a switch, for comparison.
//!
//! Events are taken after each call as the addon hands them to JS.
//!
//! Each is timed twice: on the wall clock, and on the thread's CPU clock
//! (`CLOCK_THREAD_CPUTIME_ID`), which stops while the thread is preempted:
//! on a shared machine the longest wall time says more about the other
//! tenants than about the work, the CPU time says what the step cost.
//!
//! ```sh
//! cargo bench --bench adaptive_pause            # ADAPTIVE_CAPACITY=1000000
//! ```
//!
//! `ADAPTIVE_NO_THP=1` runs without transparent huge pages for the process;
//! `ADAPTIVE_PAUSE_WHEN=1` prints when each of the longest requests started
//! on `CLOCK_MONOTONIC`, to find its samples in a `perf record -k
//! CLOCK_MONOTONIC` profile (docs/adaptive.md).

#[path = "common/pause.rs"]
mod pause;

use std::time::{Duration, Instant};

use pause::{faults, monotonic, no_huge_pages_if_asked, thread_cpu};

/// Wall and CPU time of one timed step, which request of its phase it was,
/// and when it started on `CLOCK_MONOTONIC` (the clock `perf record -k
/// CLOCK_MONOTONIC` stamps its samples with).
#[derive(Clone, Copy, Default)]
struct Took {
    cpu: Duration,
    wall: Duration,
    /// Page faults taken (minor ones: memory touched for the first time).
    faults: i64,
    at: u64,
    started: Duration,
}

/// Times `f` on both clocks.
fn took<R>(f: impl FnOnce() -> R) -> (R, Took) {
    let (started, cpu, faulted) = (monotonic(), thread_cpu(), faults());
    let r = f();
    let (cpu, faulted) = (thread_cpu() - cpu, faults() - faulted);
    (
        r,
        Took {
            cpu,
            wall: monotonic() - started,
            faults: faulted,
            at: 0,
            started,
        },
    )
}

/// The `TOP` longest of some steps, by one clock.
const TOP: usize = 5;

#[derive(Default)]
struct Longest(Vec<Took>);

impl Longest {
    fn add(&mut self, t: Took, by: impl Fn(&Took) -> Duration) {
        if self.0.len() < TOP || by(&t) > by(self.0.last().unwrap()) {
            self.0.push(t);
            self.0.sort_by_key(|t| std::cmp::Reverse(by(t)));
            self.0.truncate(TOP);
        }
    }
}

use moka_js::core::{Core, Options};
use moka_js::Key;

const MAINTENANCE_EVERY: u64 = 10_000;

#[derive(Default)]
struct Pauses {
    requests: u64,
    /// Requests by CPU time, and by wall time.
    by_cpu: Longest,
    by_wall: Longest,
    longest_maintenance: Took,
    longest_adapt: Took,
    /// Requests over 1 ms of wall time, and of CPU time.
    over_1ms_wall: u64,
    over_1ms_cpu: u64,
    total: Duration,
}

impl Pauses {
    fn request(&mut self, mut t: Took) {
        t.at = self.requests;
        self.requests += 1;
        let ms = Duration::from_millis(1);
        self.over_1ms_wall += (t.wall > ms) as u64;
        self.over_1ms_cpu += (t.cpu > ms) as u64;
        self.by_cpu.add(t, |t| t.cpu);
        self.by_wall.add(t, |t| t.wall);
    }
}

fn longest(a: Took, b: Took) -> Took {
    if b.cpu > a.cpu {
        b
    } else {
        a
    }
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
        let slot = (self.i % (1 << 28)) as u32;
        let core = &self.core;
        let ((), t) = took(|| {
            if core.get(&k).is_none() {
                core.discard_published();
                core.insert(k, slot, 1, ());
            }
            core.discard_published();
        });
        self.i += 1;
        p.request(t);
        self.adapt(p);
    }

    fn adapt(&mut self, p: &mut Pauses) {
        if self.core.wants_adapt() {
            let ((), t) = took(|| self.core.adapt());
            p.longest_adapt = longest(p.longest_adapt, t);
        }
    }

    fn maintain(&mut self, p: &mut Pauses) {
        let ((), t) = took(|| {
            self.core.run_pending_tasks();
            self.core.discard_published();
        });
        p.longest_maintenance = longest(p.longest_maintenance, t);
        self.adapt(p);
    }

    fn timed(&mut self, mut more: impl FnMut(&Core<()>) -> bool, count: u64) -> Pauses {
        let mut p = Pauses::default();
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
    let list = |l: &Longest| {
        l.0.iter()
            .map(|t| {
                let when = if std::env::var_os("ADAPTIVE_PAUSE_WHEN").is_some() {
                    format!(" at {:.6} s", t.started.as_secs_f64())
                } else {
                    String::new()
                };
                format!(
                    "{:.3}/{:.3} ({} faults, #{}{when})",
                    ms(t.cpu),
                    ms(t.wall),
                    t.faults,
                    t.at
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    println!(
        "{label}: {} requests in {:.2} s\n  \
         longest requests by CPU time (ms CPU/wall, page faults, #request of the phase): {}\n  \
         longest requests by wall time (ms CPU/wall, page faults, #request of the phase): {}\n  \
         over 1 ms: {} of CPU time, {} of wall time\n  \
         longest switch or drop of a build {:.3}/{:.3} ms, longest runPendingTasks {:.3}/{:.3} ms (CPU/wall)",
        p.requests,
        p.total.as_secs_f64(),
        list(&p.by_cpu),
        list(&p.by_wall),
        p.over_1ms_cpu,
        p.over_1ms_wall,
        ms(p.longest_adapt.cpu),
        ms(p.longest_adapt.wall),
        ms(p.longest_maintenance.cpu),
        ms(p.longest_maintenance.wall),
    );
}

fn main() {
    no_huge_pages_if_asked();
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
        "capacity {capacity}: switched to LRU after {} requests, {} entries; the switch itself (building the new cache) {:.3} ms CPU, {:.3} ms wall",
        run.i,
        run.core.entry_count(),
        fill.longest_adapt.cpu.as_secs_f64() * 1000.0,
        fill.longest_adapt.wall.as_secs_f64() * 1000.0
    );
    let migration = run.timed(migrating, u64::MAX);
    print("migration", &migration);
    let after = run.timed(|_| true, migration.requests);
    print("after it, as many requests", &after);
}
