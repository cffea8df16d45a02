//! The hit-ratio rows replayed through the addon's own `Core`, as
//! `benchmark/hit-ratio.mjs` replays them from JS (number keys; get, on a
//! miss set; maintenance after every request), for the adaptive policy and
//! moka's two: the same figures in a fraction of the time, to try a rule on
//! every row.
//!
//! ```sh
//! node benchmark/hit-ratio.mjs --dump=/tmp/rows      # the workloads, once
//! ADAPTIVE_REPLAY_DIR=/tmp/rows cargo bench --bench adaptive_replay
//! ```
//!
//! Environment: `ADAPTIVE_ROWS=oltp@250,gli` keeps those rows (a name keeps
//! all of its capacities); `ADAPTIVE_POLICIES` (`adaptive,tinylfu,lru`);
//! `ADAPTIVE_REPEATS`, replays of each policy but LRU, whose build is the
//! only one not seeded at random (3); `ADAPTIVE_THREADS` (2). Each row
//! prints each policy's median hit ratio with its range over the replays,
//! and the adaptive policy's switches per replay.

use std::sync::Mutex;

use moka_js::core::{Core, Options};
use moka_js::Key;

fn var(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.into())
}

fn key(k: i32) -> Key {
    let bits = (k as f64).to_bits();
    Key::from_slice(&[
        2,
        bits as u16,
        (bits >> 16) as u16,
        (bits >> 32) as u16,
        (bits >> 48) as u16,
    ])
}

/// Hits, and the adaptive policy's switches (0 for the others). After each
/// call, what the native method wrapper does: a switch or the end of a
/// migration the call asked for.
fn replay(trace: &[i32], cap: u64, policy: &str) -> (u64, u32) {
    let mut core = Core::<()>::new(&Options {
        lru: policy == "lru",
        adaptive: policy == "adaptive",
        ..Options::entries(cap)
    });
    let after_call = |core: &mut Core<()>| {
        if core.wants_adapt() {
            core.adapt();
        }
    };
    let mut hits = 0;
    for (slot, &k) in trace.iter().enumerate() {
        let key = key(k);
        let hit = core.get(&key).is_some();
        after_call(&mut core);
        if hit {
            hits += 1;
        } else {
            core.insert(key, slot as u32, 1, ());
            after_call(&mut core);
        }
        core.run_pending_tasks();
        after_call(&mut core);
    }
    let info = core.adaptive_info();
    (hits, info.get(1).copied().unwrap_or(0.0) as u32)
}

fn main() {
    let dir = std::env::var("ADAPTIVE_REPLAY_DIR")
        .expect("ADAPTIVE_REPLAY_DIR: the directory `hit-ratio.mjs --dump=DIR` wrote");
    let keep: Vec<String> = var("ADAPTIVE_ROWS", "")
        .split(',')
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect();
    let policies: Vec<String> = var("ADAPTIVE_POLICIES", "adaptive,tinylfu,lru")
        .split(',')
        .map(String::from)
        .collect();
    let repeats: usize = var("ADAPTIVE_REPEATS", "3").parse().unwrap();
    let threads: usize = var("ADAPTIVE_THREADS", "2").parse().unwrap();
    let rows_txt = std::fs::read_to_string(format!("{dir}/rows.txt")).unwrap();
    let mut jobs = Vec::new();
    for line in rows_txt.lines() {
        let (name, caps) = line.split_once(' ').unwrap();
        let bytes = std::fs::read(format!("{dir}/{name}.bin")).unwrap();
        let trace: std::sync::Arc<Vec<i32>> = std::sync::Arc::new(
            bytes
                .chunks_exact(4)
                .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
        );
        for cap in caps.split(',') {
            let row = format!("{name}@{cap}");
            if keep.is_empty() || keep.iter().any(|k| *k == row || *k == name) {
                jobs.push((row, trace.clone(), cap.parse::<u64>().unwrap()));
            }
        }
    }
    let n_jobs = jobs.len();
    let queue = Mutex::new(jobs.into_iter().enumerate().collect::<Vec<_>>());
    let out = Mutex::new(vec![String::new(); n_jobs]);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                let Some((i, (row, trace, cap))) = queue.lock().unwrap().pop() else {
                    return;
                };
                let mut line = format!("{row:>18}");
                for p in &policies {
                    let n = if p == "lru" { 1 } else { repeats };
                    let mut runs: Vec<(f64, u32)> = (0..n)
                        .map(|_| {
                            let (h, s) = replay(&trace, cap, p);
                            (100.0 * h as f64 / trace.len() as f64, s)
                        })
                        .collect();
                    runs.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap());
                    let med = runs[runs.len() / 2];
                    line += &format!(
                        " {p} {:.2} [{:.2}-{:.2}] sw {:?}",
                        med.0,
                        runs[0].0,
                        runs[runs.len() - 1].0,
                        runs.iter().map(|r| r.1).collect::<Vec<_>>()
                    );
                }
                eprintln!("{line}");
                out.lock().unwrap()[i] = line;
            });
        }
    });
    for l in out.into_inner().unwrap() {
        println!("{l}");
    }
}
