//! The two shadow caches the adaptive policy compares: an exact LRU and an
//! LRU behind moka's TinyLFU admission, each of a few hundred to a few
//! thousand sampled keys. They hold key hashes only, in flat arrays: a
//! request costs a table lookup and a few index writes, where a moka build
//! as the shadow cost several times a get (docs/adaptive.md).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// The keys are hashes already: the table uses them as they are.
#[derive(Default)]
pub struct Identity(u64);

impl Hasher for Identity {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, _: &[u8]) {
        unreachable!("only u64 keys")
    }
    fn write_u64(&mut self, x: u64) {
        self.0 = x;
    }
}

/// An exact LRU of key hashes: a map to nodes of a circular doubly linked
/// list kept in arrays. Node `room` is the list's sentinel, so moving a
/// node takes no test for an end of the list.
pub struct Lru {
    index: HashMap<u64, u32, BuildHasherDefault<Identity>>,
    keys: Vec<u64>,
    /// `room + 1` links each; the sentinel's `next` is the most recent
    /// key, its `prev` the least recent: the next victim.
    prev: Vec<u32>,
    next: Vec<u32>,
    /// Nodes allocated.
    room: usize,
    /// Keys held at most, up to `room`: the watch resizes its shadows.
    capacity: usize,
    /// Nodes a shrink emptied, taken before new ones.
    free: Vec<u32>,
}

impl Lru {
    /// An LRU of `capacity` keys that can grow to `room`.
    pub fn new(capacity: usize, room: usize) -> Self {
        let room = room.max(capacity).max(1);
        let sentinel = room as u32;
        Lru {
            index: HashMap::with_capacity_and_hasher(room, Default::default()),
            keys: Vec::with_capacity(room),
            prev: vec![sentinel; room + 1],
            next: vec![sentinel; room + 1],
            room,
            capacity: capacity.clamp(1, room),
            free: Vec::new(),
        }
    }

    fn sentinel(&self) -> usize {
        self.room
    }

    /// Holds at most `capacity` keys (at most the room), evicting the least
    /// recent ones over it.
    pub fn resize(&mut self, capacity: usize) {
        self.capacity = capacity.clamp(1, self.room);
        while self.index.len() > self.capacity {
            let n = self.evict();
            self.free.push(n as u32);
        }
    }

    /// Unlinks the least recent key and returns its node.
    fn evict(&mut self) -> usize {
        let n = self.prev[self.sentinel()] as usize;
        self.unlink(n);
        self.index.remove(&self.keys[n]);
        n
    }

    fn unlink(&mut self, n: usize) {
        let (p, x) = (self.prev[n], self.next[n]);
        self.next[p as usize] = x;
        self.prev[x as usize] = p;
    }

    fn push_front(&mut self, n: usize) {
        let s = self.sentinel();
        let first = self.next[s];
        self.prev[n] = s as u32;
        self.next[n] = first;
        self.prev[first as usize] = n as u32;
        self.next[s] = n as u32;
    }

    /// A hit moves the key to the front.
    #[inline]
    pub fn touch(&mut self, key: u64) -> bool {
        match self.index.get(&key) {
            Some(&n) => {
                self.unlink(n as usize);
                self.push_front(n as usize);
                true
            }
            None => false,
        }
    }

    /// The key that the next insert into a full LRU evicts.
    pub fn victim(&self) -> Option<u64> {
        (self.index.len() >= self.capacity).then(|| self.keys[self.prev[self.sentinel()] as usize])
    }

    /// Inserts an absent key at the front, evicting the least recent when full.
    pub fn insert(&mut self, key: u64) {
        let n = if self.index.len() >= self.capacity {
            self.evict()
        } else if let Some(n) = self.free.pop() {
            n as usize
        } else {
            self.keys.push(key);
            self.keys.len() - 1
        };
        self.keys[n] = key;
        self.index.insert(key, n as u32);
        self.push_front(n);
    }

    /// A request: true on a hit; a miss inserts the key.
    #[inline]
    pub fn request(&mut self, key: u64) -> bool {
        if self.touch(key) {
            return true;
        }
        self.insert(key);
        false
    }
}

/// moka's frequency sketch (Caffeine's, as moka 0.12 has it), over the
/// shadow's capacity: 16 four-bit counters per `u64`, one `u64` per entry
/// (rounded up to a power of two); a key counts in four of them, one per
/// depth, each in a word of its own; every one below 15 grows (no
/// conservative update). Once `10 × capacity` increments grew a counter,
/// all are halved (the odd ones' remainders taken off the count). Like
/// moka's, it counts nothing until the cache is half full: a fresh build
/// admits freely until then.
pub struct Sketch {
    /// Empty until enabled.
    table: Vec<u64>,
    mask: u64,
    size: u32,
    sample: u32,
    capacity: usize,
}

/// Bits of the key per depth's word index: 4 slices above the low 8 bits
/// (the low 2 pick the counters within a word) fit in 64 bits, and a
/// shadow's sketch has at most `2^14` words.
const SLICE: u32 = 14;

impl Sketch {
    pub fn new(capacity: usize) -> Self {
        Sketch {
            table: Vec::new(),
            mask: 0,
            size: 0,
            sample: (capacity.max(1) * 10) as u32,
            capacity: capacity.max(1),
        }
    }

    pub fn enabled(&self) -> bool {
        !self.table.is_empty()
    }

    pub fn enable(&mut self) {
        let words = self.capacity.next_power_of_two();
        assert!(
            words <= 1 << SLICE,
            "a word index is a {SLICE}-bit slice of the key"
        );
        self.table = vec![0; words];
        self.mask = words as u64 - 1;
    }

    /// The word and the bit offset of `key`'s counter at each depth. The
    /// key is a mixed hash already: its bits are sliced, where moka
    /// multiplies once per depth (the same spread, at a fraction of the cost).
    #[inline]
    fn counters(&self, key: u64) -> [(usize, u32); 4] {
        let first = ((key & 3) << 2) as u32;
        let at = |depth: u32| {
            let word = (key >> (8 + SLICE * depth)) & self.mask;
            (word as usize, (first + depth) << 2)
        };
        [at(0), at(1), at(2), at(3)]
    }

    pub fn frequency(&self, key: u64) -> u8 {
        if self.table.is_empty() {
            return 0;
        }
        self.counters(key)
            .iter()
            .map(|&(word, shift)| (self.table[word] >> shift & 0xf) as u8)
            .min()
            .unwrap_or(0)
    }

    /// Counts one read of `key`: each of its four counters below 15 grows,
    /// without a branch per counter.
    #[inline]
    pub fn increment(&mut self, key: u64) {
        if self.table.is_empty() {
            return;
        }
        let mut grew = 0;
        for (word, shift) in self.counters(key) {
            let word = &mut self.table[word];
            let below_15 = (*word >> shift & 0xf != 0xf) as u64;
            *word += below_15 << shift;
            grew |= below_15;
        }
        self.size += grew as u32;
        if self.size >= self.sample {
            self.halve();
        }
    }

    fn halve(&mut self) {
        let mut odd = 0;
        for w in &mut self.table {
            odd += (*w & 0x1111_1111_1111_1111).count_ones();
            *w = (*w >> 1) & 0x7777_7777_7777_7777;
        }
        self.size = (self.size >> 1) - (odd >> 2);
    }
}

/// An LRU that, when full, admits a new key only if the sketch counts it
/// more often than the LRU's victim: moka's TinyLFU (every read counted,
/// hit or miss; the candidate must beat the victim strictly).
pub struct TinyLfu {
    lru: Lru,
    sketch: Sketch,
}

impl TinyLfu {
    /// A TinyLFU of `capacity` keys whose LRU can grow to `room`; the
    /// sketch keeps the size it was built with.
    pub fn new(capacity: usize, room: usize) -> Self {
        TinyLfu {
            lru: Lru::new(capacity, room),
            sketch: Sketch::new(capacity),
        }
    }

    pub fn resize(&mut self, capacity: usize) {
        self.lru.resize(capacity);
    }

    #[inline]
    pub fn request(&mut self, key: u64) -> bool {
        if !self.sketch.enabled() && self.lru.index.len() * 2 >= self.lru.capacity {
            self.sketch.enable();
        }
        self.sketch.increment(key);
        if self.lru.touch(key) {
            return true;
        }
        let admit = match self.lru.victim() {
            None => true,
            Some(victim) => self.sketch.frequency(key) > self.sketch.frequency(victim),
        };
        if admit {
            self.lru.insert(key);
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lru_is_exact() {
        let mut lru = Lru::new(2, 2);
        assert!(!lru.request(1));
        assert!(!lru.request(2));
        assert!(lru.request(1));
        assert!(!lru.request(3), "evicts 2, the least recent");
        assert!(lru.request(1));
        assert!(!lru.request(2));
        assert!(!lru.request(3), "3 was evicted by 2");
    }

    #[test]
    fn a_resized_lru_keeps_the_most_recent_keys() {
        let mut lru = Lru::new(4, 6);
        for k in 1..=4 {
            lru.request(k);
        }
        lru.resize(2);
        assert!(!lru.touch(1) && !lru.touch(2), "the least recent left");
        assert!(lru.touch(3) && lru.touch(4));
        lru.resize(9);
        for k in 5..=8 {
            lru.request(k);
        }
        assert_eq!(lru.victim(), Some(3), "grown to its room, 6, and full");
        assert!((3..=8).all(|k| lru.touch(k)));
    }

    #[test]
    fn a_loop_one_larger_than_the_lru_never_hits() {
        let mut lru = Lru::new(100, 100);
        let mut tiny = TinyLfu::new(100, 100);
        let (mut lru_hits, mut tiny_hits) = (0, 0);
        for _ in 0..50 {
            for k in 0..101u64 {
                let key = k.wrapping_mul(0x9e37_79b9_7f4a_7c15);
                lru_hits += lru.request(key) as u32;
                tiny_hits += tiny.request(key) as u32;
            }
        }
        assert_eq!(lru_hits, 0);
        assert!(
            tiny_hits > 50 * 80,
            "TinyLFU keeps most of the loop: {tiny_hits}"
        );
    }

    #[test]
    fn the_sketch_counts_and_ages() {
        let mut s = Sketch::new(16);
        s.increment(42);
        assert_eq!(s.frequency(42), 0, "counts nothing until enabled");
        s.enable();
        for _ in 0..5 {
            s.increment(42);
        }
        assert_eq!(s.frequency(42), 5);
        for k in 0..200u64 {
            s.increment(k.wrapping_mul(0xc2b2_ae3d_27d4_eb4f) | 1 << 63);
        }
        assert!(s.frequency(42) < 5, "halved after 10 × capacity requests");
    }
}
