//! An adaptive `Core` switching on synthetic workloads, replayed as an
//! application does (read; on a miss, write), with the events drained as JS
//! would: every slot written is released exactly once, whatever switched.

use std::collections::HashMap;

use crate::core::{Core, Options};
use crate::key::Key;
use crate::protocol::{KIND_BITS, RELEASED, REPLACED, SIZE};

fn adaptive(max_capacity: u64, notify: bool) -> Core<()> {
    Core::new(&Options {
        notify,
        adaptive: true,
        ..Options::entries(max_capacity)
    })
}

fn key(i: u64) -> Key {
    Key::from_slice(&[2, i as u16, (i >> 16) as u16, (i >> 32) as u16])
}

/// Replays requests and tracks every slot: which are live, which were
/// released and how.
struct Replay {
    core: Core<()>,
    next_slot: u32,
    released: HashMap<u32, u32>,
    hits: u64,
    requests: u64,
}

impl Replay {
    fn new(core: Core<()>) -> Self {
        Replay {
            core,
            next_slot: 0,
            released: HashMap::new(),
            hits: 0,
            requests: 0,
        }
    }

    /// What the native method wrapper does after each call.
    fn after_call(&mut self) {
        if self.core.wants_adapt() {
            self.core.adapt();
        }
        for e in self.core.events.take_all() {
            let slot = e >> KIND_BITS;
            assert!(slot < self.next_slot, "slot {slot} was never written");
            let earlier = self.released.insert(slot, e & ((1 << KIND_BITS) - 1));
            assert_eq!(earlier, None, "slot {slot} released twice");
        }
    }

    fn request(&mut self, k: u64) {
        self.requests += 1;
        let hit = self.core.get(&key(k));
        self.after_call();
        if hit.is_some() {
            self.hits += 1;
            return;
        }
        self.core.insert(key(k), self.next_slot, 1, ());
        self.next_slot += 1;
        self.after_call();
    }

    fn info(&self) -> Vec<f64> {
        self.core.adaptive_info()
    }

    fn maintain(&mut self) {
        self.core.run_pending_tasks();
        self.after_call();
    }

    /// Every slot written is live or was released once; none is both.
    /// Without a listener, releases follow moka's drops of the values, which
    /// other test threads pinned in crossbeam-epoch can hold back: wait for
    /// them (up to 10 s).
    fn check_slots(&mut self) {
        self.maintain();
        let started = std::time::Instant::now();
        while self.core.slots().len() + self.released.len() < self.next_slot as usize
            && started.elapsed() < std::time::Duration::from_secs(10)
        {
            std::thread::sleep(std::time::Duration::from_millis(5));
            self.maintain();
        }
        let live = self.core.slots();
        assert_eq!(
            live.len() as u64,
            self.core.entry_count(),
            "entry count spans both builds"
        );
        for s in &live {
            assert!(
                !self.released.contains_key(&(*s as u32)),
                "slot {s} live and released"
            );
        }
        assert_eq!(
            live.len() + self.released.len(),
            self.next_slot as usize,
            "no slot lost"
        );
    }
}

/// Each key is read four times in a row, then never again: recency is all
/// there is, and TinyLFU's admission keeps new keys out.
fn shifting(n: u64) -> impl Iterator<Item = u64> {
    (0..n).map(|i| i / 4 % 500 + i / 2000 * 500)
}

/// A loop over 1.1 × the capacity: LRU never hits.
fn looping(n: u64, capacity: u64) -> impl Iterator<Item = u64> {
    (0..n).map(move |i| (1 << 40) | (i % (capacity + capacity / 10)))
}

#[test]
fn recency_switches_to_lru_and_frequency_back() {
    let mut r = Replay::new(adaptive(1000, true));
    for k in shifting(60_000) {
        r.request(k);
    }
    let info = r.info();
    assert_eq!(info[0], 1.0, "on LRU after the recency phase: {info:?}");
    assert_eq!(info[1], 1.0, "one switch");
    assert!(info[3] > info[4] + 0.2, "LRU's shadow hits more: {info:?}");
    r.check_slots();
    for k in looping(200_000, 1000) {
        r.request(k);
    }
    let info = r.info();
    assert_eq!(info[0], 0.0, "back on TinyLFU after the loop: {info:?}");
    assert_eq!(info[1], 2.0, "two switches");
    r.check_slots();
    r.core.clear();
    r.after_call();
    r.check_slots();
    assert_eq!(r.core.entry_count(), 0);
    assert_eq!(
        r.released.len(),
        r.next_slot as usize,
        "every slot released once"
    );
}

#[test]
fn a_switch_notifies_no_moved_entry() {
    let mut r = Replay::new(adaptive(1000, true));
    // Fill, then shift until the switch; the entries of the old build are
    // promoted, replaced or drained, and each removal is a real one.
    let mut switched_at = None;
    for (i, k) in shifting(60_000).enumerate() {
        r.request(k);
        if switched_at.is_none() && r.info()[1] == 1.0 {
            switched_at = Some(i);
            assert_eq!(r.info()[2], 1.0, "migrating");
            // The old build still answers: a key it holds is a hit, with no event.
            let before = r.released.len();
            let k = shifting(i as u64 + 1).last().unwrap();
            assert!(r.core.get(&key(k)).is_some(), "promoted from the old build");
            r.after_call();
            assert_eq!(r.released.len(), before, "a moved entry is not removed");
        }
    }
    assert!(switched_at.is_some());
    for _ in 0..100 {
        r.maintain();
    }
    assert_eq!(r.info()[2], 0.0, "migration finished");
    r.check_slots();
    let causes: Vec<u32> = r.released.values().copied().collect();
    assert!(
        causes.iter().all(|&c| c == SIZE || c == REPLACED),
        "only evictions and replacements"
    );
    assert!(r.core.entry_count() <= 1000);
}

#[test]
fn without_a_listener_slots_are_released_once() {
    let mut r = Replay::new(adaptive(500, false));
    for k in shifting(40_000).chain(looping(100_000, 500)) {
        r.request(k);
    }
    assert_eq!(r.info()[1], 2.0, "switched there and back: {:?}", r.info());
    r.check_slots();
    r.core.clear();
    r.after_call();
    r.check_slots();
    assert_eq!(r.released.len(), r.next_slot as usize);
}

/// Without a listener no build has moka's listener: a move hands its slot
/// over to the value in the new build. A moved slot is not released while its
/// entry lives, and is released once when the entry goes, however it goes.
#[test]
fn without_a_listener_a_moved_slot_is_released_once_when_its_entry_goes() {
    let mut r = Replay::new(adaptive(1000, false));
    for k in 0..1000 {
        r.request(k);
    }
    r.core.switch_now();
    r.after_call();
    assert_eq!(r.info()[2], 1.0, "migrating");
    for k in 0..500 {
        assert_eq!(r.core.get(&key(k)), Some(k as u32), "moved by a read");
        r.after_call();
    }
    r.check_slots();
    assert!(r.released.is_empty(), "moved slots are still in use");
    // A capacity of new keys ends the first step; the drain then evicts the
    // rest of the old build (the new one is full).
    for k in 1000..2000 {
        r.request(k);
    }
    for _ in 0..100 {
        r.maintain();
    }
    assert_eq!(r.info()[2], 0.0, "migration finished");
    r.check_slots();
    assert_eq!(r.core.entry_count(), 1000);
    assert!(
        r.released.values().all(|&kind| kind == RELEASED),
        "only released, no cause: there is no listener"
    );
    // The next switch moves the moved entries again.
    r.core.switch_now();
    r.after_call();
    for k in 0..2000 {
        if r.core.get(&key(k)).is_some() {
            r.hits += 1;
        }
        r.after_call();
    }
    r.check_slots();

    // Dropping the cache releases every slot still in use, once.
    let events = std::sync::Arc::clone(&r.core.events);
    let in_use = r.core.slots();
    assert!(!in_use.is_empty());
    drop(std::mem::replace(&mut r.core, adaptive(1, false)));
    let started = std::time::Instant::now();
    while (events.released_total() as usize) < r.next_slot as usize
        && started.elapsed() < std::time::Duration::from_secs(10)
    {
        crossbeam_epoch::pin().flush();
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    let mut dropped: Vec<u32> = events.take_all().iter().map(|e| e >> KIND_BITS).collect();
    dropped.sort_unstable();
    let mut expected: Vec<u32> = in_use.iter().map(|&s| s as u32).collect();
    expected.sort_unstable();
    assert_eq!(dropped, expected, "each slot in use released once");
}

#[test]
fn a_frequency_workload_stays_on_tiny_lfu() {
    let mut r = Replay::new(adaptive(1000, true));
    for k in looping(200_000, 1000) {
        r.request(k);
    }
    assert_eq!(r.info()[0], 0.0);
    assert_eq!(r.info()[1], 0.0, "no switch");
    assert!(r.hits * 2 > r.requests, "TinyLFU keeps most of the loop");
}
