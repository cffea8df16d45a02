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

const NIL: u32 = u32::MAX;

/// An exact LRU of key hashes: a map to nodes of a doubly linked list kept
/// in arrays.
pub struct Lru {
    index: HashMap<u64, u32, BuildHasherDefault<Identity>>,
    keys: Vec<u64>,
    prev: Vec<u32>,
    next: Vec<u32>,
    /// Most recent.
    head: u32,
    /// Least recent: the next victim.
    tail: u32,
    capacity: usize,
}

impl Lru {
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        Lru {
            index: HashMap::with_capacity_and_hasher(capacity, Default::default()),
            keys: Vec::with_capacity(capacity),
            prev: Vec::with_capacity(capacity),
            next: Vec::with_capacity(capacity),
            head: NIL,
            tail: NIL,
            capacity,
        }
    }

    fn unlink(&mut self, n: u32) {
        let (p, x) = (self.prev[n as usize], self.next[n as usize]);
        if p == NIL {
            self.head = x;
        } else {
            self.next[p as usize] = x;
        }
        if x == NIL {
            self.tail = p;
        } else {
            self.prev[x as usize] = p;
        }
    }

    fn push_front(&mut self, n: u32) {
        self.prev[n as usize] = NIL;
        self.next[n as usize] = self.head;
        if self.head != NIL {
            self.prev[self.head as usize] = n;
        }
        self.head = n;
        if self.tail == NIL {
            self.tail = n;
        }
    }

    /// A hit moves the key to the front.
    #[inline]
    pub fn touch(&mut self, key: u64) -> bool {
        match self.index.get(&key) {
            Some(&n) => {
                if n != self.head {
                    self.unlink(n);
                    self.push_front(n);
                }
                true
            }
            None => false,
        }
    }

    /// The key that the next insert into a full LRU evicts.
    pub fn victim(&self) -> Option<u64> {
        (self.keys.len() == self.capacity).then(|| self.keys[self.tail as usize])
    }

    /// Inserts an absent key at the front, evicting the least recent when full.
    pub fn insert(&mut self, key: u64) {
        let n = if self.keys.len() < self.capacity {
            self.keys.push(key);
            self.prev.push(NIL);
            self.next.push(NIL);
            (self.keys.len() - 1) as u32
        } else {
            let n = self.tail;
            self.unlink(n);
            self.index.remove(&self.keys[n as usize]);
            self.keys[n as usize] = key;
            n
        };
        self.index.insert(key, n);
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

/// moka's frequency sketch in small: four 4-bit-range counters per key
/// (`u8`s saturating at 15), halved once `10 × capacity` requests were
/// counted, as moka ages its own.
pub struct Sketch {
    counters: Vec<u8>,
    mask: u64,
    counted: u32,
    sample: u32,
}

impl Sketch {
    pub fn new(capacity: usize) -> Self {
        let width = (capacity.max(16) * 4).next_power_of_two();
        Sketch {
            counters: vec![0; width],
            mask: width as u64 - 1,
            counted: 0,
            sample: (capacity.max(1) * 10) as u32,
        }
    }

    #[inline]
    fn cells(&self, key: u64) -> [usize; 4] {
        // Four 16-bit slices of the (already mixed) hash, spread by odd multipliers.
        let at = |i: u32, m: u64| {
            ((((key >> (16 * i)) & 0xffff) ^ key).wrapping_mul(m) >> 20 & self.mask) as usize
        };
        [
            at(0, 0x9e37_79b9_7f4a_7c15),
            at(1, 0xc2b2_ae3d_27d4_eb4f),
            at(2, 0x1656_67b1_9e37_79f9),
            at(3, 0x27d4_eb2f_1656_67c5),
        ]
    }

    pub fn frequency(&self, key: u64) -> u8 {
        self.cells(key)
            .iter()
            .map(|&c| self.counters[c])
            .min()
            .unwrap_or(0)
    }

    pub fn increment(&mut self, key: u64) {
        let cells = self.cells(key);
        let min = cells.iter().map(|&c| self.counters[c]).min().unwrap_or(0);
        if min < 15 {
            // Conservative update: only the counters at the minimum grow.
            for c in cells {
                if self.counters[c] == min {
                    self.counters[c] += 1;
                }
            }
        }
        self.counted += 1;
        if self.counted >= self.sample {
            self.counted /= 2;
            for c in &mut self.counters {
                *c /= 2;
            }
        }
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
    pub fn new(capacity: usize) -> Self {
        TinyLfu {
            lru: Lru::new(capacity),
            sketch: Sketch::new(capacity),
        }
    }

    #[inline]
    pub fn request(&mut self, key: u64) -> bool {
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
        let mut lru = Lru::new(2);
        assert!(!lru.request(1));
        assert!(!lru.request(2));
        assert!(lru.request(1));
        assert!(!lru.request(3), "evicts 2, the least recent");
        assert!(lru.request(1));
        assert!(!lru.request(2));
        assert!(!lru.request(3), "3 was evicted by 2");
    }

    #[test]
    fn a_loop_one_larger_than_the_lru_never_hits() {
        let mut lru = Lru::new(100);
        let mut tiny = TinyLfu::new(100);
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
