//! Watching the workload: sampled keys feed the two shadows, and an epoch
//! rule with hysteresis says when the other policy would serve better.

use super::sample::Sampler;
use super::shadow::{Lru, TinyLfu};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    TinyLfu,
    Lru,
}

impl Policy {
    pub fn other(self) -> Policy {
        match self {
            Policy::TinyLfu => Policy::Lru,
            Policy::Lru => Policy::TinyLfu,
        }
    }
}

/// Shadow entries: a 32nd of the capacity, within these bounds (and never
/// more than the capacity). The cost of a sampled request is fixed, so the
/// share of requests sampled (shadow entries / capacity) is the cost.
const SHADOW_MIN: u64 = 256;
const SHADOW_MAX: u64 = 2048;
const SHADOW_SHARE: u64 = 32;
/// Small caches sample at most a 4th of their keys, in shadows of at least
/// 64 entries: a sampled read costs about 190 instructions, so sampling
/// every read cost a 256-entry cache 12 % of a `get` from JS.
const SMALL_SHARE: u64 = 4;
const SMALL_MIN: u64 = 64;

/// How far the shadows' size may follow the share of reads sampled, in
/// standard deviations of the share of keys the sampling keeps: a shadow of
/// `s` entries at rate `r` stands for `s / r` keys of the cache, of which
/// it samples `s` give or take `sqrt(s (1 - r))`.
const SIZE_SPREAD: f64 = 3.0;
/// The share is measured over about this many shadow capacities of sampled
/// reads: a few times the keys the shadows hold, so that it is the share of
/// about as many keys as the cache holds, not of a window's few.
const SIZE_MEMORY: f64 = 8.0;

/// Sampled reads between two updates of the hit ratios `stats()` reports.
const REPORT_SAMPLES: u32 = 500;

/// The rule counts in hundredths of a sampled hit.
const UNIT: i64 = 100;
/// The lead the other policy must keep, per sampled read, to gather
/// evidence: 2 points of hit ratio. A smaller lead does not pay for a
/// switch, and would let noise add up.
const DRIFT: i64 = 2;
/// A switch's price: the hits the other policy must have been seen to win,
/// a 16th of the shadow's entries in sampled hits, so a 16th of the
/// capacity at full scale whatever the sampling rate. It covers the new
/// build's warm-up (an empty sketch, no recency order) and the history the
/// old one loses.
const PRICE_SHARE: i64 = 16;
/// And never less than 16 sampled hits: the evidence is counted in sampled
/// reads, whose noise does not shrink with the shadow. Below it the small
/// caches' shadows (64 entries, 4 sampled hits) switched on noise:
/// multi2 @ 512 twice, 2.4 points under TinyLFU; Zipf @ 100 8–36 times.
const PRICE_MIN: i64 = 16;
/// A switch within this many shadow capacities of sampled reads after the
/// previous one doubles the price, up to `MAX_BACKOFF` doublings: phases
/// shorter than that do not pay for their switches. Each `CALM` shadow
/// capacities of sampled reads without a switch halve it again.
const SOON: u64 = 16;
const CALM: u64 = 128;
const MAX_BACKOFF: u32 = 4;

/// When to switch: a CUSUM (Page, 1954) of the other shadow's hits minus
/// the one in force's, less `DRIFT` per sampled read, floored at zero:
/// evidence that the other policy serves better now. A large lead passes
/// the price within a few dozen sampled reads, a small one takes longer,
/// and a stretch in favour of the policy in force wipes the evidence out,
/// so a phase change is seen as soon as it shows. No epochs: a short trace
/// or a large cache decides as fast as a long one.
struct Rule {
    evidence: i64,
    base_price: i64,
    backoff: u32,
    /// Sampled reads since the last switch.
    since_switch: u64,
    soon: u64,
    calm: u64,
    /// Sampled reads until the price halves again.
    calm_left: u64,
}

impl Rule {
    fn new(shadow: u64) -> Self {
        Rule {
            evidence: 0,
            base_price: (shadow as i64 * UNIT / PRICE_SHARE).max(PRICE_MIN * UNIT),
            backoff: 0,
            // The first switch is not one soon after another.
            since_switch: u64::MAX / 2,
            soon: SOON * shadow,
            calm: CALM * shadow,
            calm_left: CALM * shadow,
        }
    }

    fn price(&self) -> i64 {
        self.base_price << self.backoff
    }

    /// One sampled read: whether the shadow of the policy in force and the
    /// other's hit. True when it is time to switch.
    #[inline]
    fn observe(&mut self, mine: bool, other: bool, can_switch: bool) -> bool {
        self.since_switch += 1;
        self.calm_left -= 1;
        if self.calm_left == 0 {
            self.calm_left = self.calm;
            self.backoff = self.backoff.saturating_sub(1);
        }
        self.evidence = (self.evidence + (other as i64 - mine as i64) * UNIT - DRIFT).max(0);
        if self.evidence <= self.price() || !can_switch {
            return false;
        }
        if self.since_switch < self.soon {
            self.backoff = (self.backoff + 1).min(MAX_BACKOFF);
        }
        self.evidence = 0;
        self.since_switch = 0;
        self.calm_left = self.calm;
        true
    }
}

/// The shadows' size, from the share of reads actually sampled (SHARDS's
/// adjustment, Waldspurger et al., FAST 2015, applied to the size). Keys are
/// sampled by hash, so the keys of a workload the shadows see are the
/// rate's share of them only on average: a loop over 550 keys may have
/// 130 of them sampled or 145. A shadow of the rate's share of the
/// capacity then holds a loop that the cache cannot (or misses one that
/// it holds), and the shadows' comparison turns at the wrong size, where
/// it matters most. The share of reads sampled measures the share of the
/// workload's keys sampled, exactly so on a loop; hot keys skew it, so the
/// size follows it only as far as the sampling itself could have erred.
struct Scale {
    /// Shadow entries at the nominal rate, and that rate.
    entries: f64,
    rate: f64,
    /// The relative error allowed either way.
    spread: f64,
    /// Reads, and sampled reads, over the last `SIZE_MEMORY` shadow
    /// capacities of sampled reads or so (the older, the less they weigh).
    reads: f64,
    sampled: f64,
}

impl Scale {
    fn new(entries: u64, rate: f64) -> Self {
        Scale {
            entries: entries as f64,
            rate,
            spread: SIZE_SPREAD * ((1.0 - rate) / entries as f64).sqrt(),
            reads: 0.0,
            sampled: 0.0,
        }
    }

    /// The most entries the shadows may need.
    fn room(&self) -> usize {
        (self.entries * (1.0 + self.spread)).ceil() as usize
    }

    /// The shadows' size after `reads` more reads, `sampled` of them sampled.
    fn size_after(&mut self, reads: u64, sampled: u32) -> usize {
        let keep = (1.0 - sampled as f64 / (SIZE_MEMORY * self.entries)).max(0.0);
        self.reads = self.reads * keep + reads as f64;
        self.sampled = self.sampled * keep + sampled as f64;
        let share = self.sampled / self.reads / self.rate;
        (self.entries * share.clamp(1.0 - self.spread, 1.0 + self.spread)).round() as usize
    }
}

pub struct Watch {
    sampler: Sampler,
    lru: Lru,
    tiny_lfu: TinyLfu,
    rule: Rule,
    scale: Scale,
    /// Reads since the last report, sampled or not.
    reads: u64,
    /// Sampled reads and each shadow's hits since the last report.
    samples: u32,
    lru_hits: u32,
    tiny_lfu_hits: u32,
    /// Hit ratios of the shadows, each report weighing half of the rest:
    /// what `stats()` reports.
    pub lru_ratio: f64,
    pub tiny_lfu_ratio: f64,
    pub sampled_total: u64,
}

impl Watch {
    pub fn new(capacity: u64) -> Self {
        let capacity = capacity.max(1);
        let shadow = (capacity / SHADOW_SHARE)
            .clamp(SHADOW_MIN, SHADOW_MAX)
            .min(capacity.div_ceil(SMALL_SHARE).max(SMALL_MIN))
            .min(capacity);
        let rate = shadow as f64 / capacity as f64;
        let scale = Scale::new(shadow, rate);
        Watch {
            sampler: Sampler::new(rate),
            lru: Lru::new(shadow as usize, scale.room()),
            tiny_lfu: TinyLfu::new(shadow as usize, scale.room()),
            rule: Rule::new(shadow),
            scale,
            reads: 0,
            samples: 0,
            lru_hits: 0,
            tiny_lfu_hits: 0,
            lru_ratio: f64::NAN,
            tiny_lfu_ratio: f64::NAN,
            sampled_total: 0,
        }
    }

    /// One read of `key`. Returns the policy to switch to when the rule says
    /// so; `in_force` is the policy of the build answering now, and
    /// `can_switch` false while a switch is still migrating.
    #[cfg(test)]
    pub fn observe(&mut self, key: &[u16], in_force: Policy, can_switch: bool) -> Option<Policy> {
        let Some(h) = self.sampler.sampled(key) else {
            self.reads += 1;
            return None;
        };
        self.observe_sampled(h, in_force, can_switch)
    }

    /// Which keys are watched: a cache tests its reads itself and calls
    /// `observe_sampled` for those sampled, after `counted` for the others.
    pub fn sampler(&self) -> Sampler {
        self.sampler
    }

    /// Reads not sampled, counted by the caller since its last sampled read.
    #[inline]
    pub fn counted(&mut self, reads: u64) {
        self.reads += reads;
    }

    /// A sampled read (`h` from `sampler()`), out of line: the reads not
    /// sampled (all but a few percent on large caches) pay the hash and the
    /// test alone, without the registers the shadows need saved around them.
    #[inline(never)]
    pub fn observe_sampled(
        &mut self,
        h: u64,
        in_force: Policy,
        can_switch: bool,
    ) -> Option<Policy> {
        self.reads += 1;
        let lru = self.lru.request(h);
        let tiny = self.tiny_lfu.request(h);
        self.lru_hits += lru as u32;
        self.tiny_lfu_hits += tiny as u32;
        self.samples += 1;
        if self.samples == REPORT_SAMPLES {
            self.report();
        }
        let (mine, other) = match in_force {
            Policy::TinyLfu => (tiny, lru),
            Policy::Lru => (lru, tiny),
        };
        self.rule
            .observe(mine, other, can_switch)
            .then(|| in_force.other())
    }

    fn report(&mut self) {
        let n = self.samples as f64;
        let blend = |old: f64, hits: u32| {
            let now = hits as f64 / n;
            if old.is_nan() {
                now
            } else {
                (old + now) / 2.0
            }
        };
        self.lru_ratio = blend(self.lru_ratio, self.lru_hits);
        self.tiny_lfu_ratio = blend(self.tiny_lfu_ratio, self.tiny_lfu_hits);
        self.sampled_total += self.samples as u64;
        let entries = self.scale.size_after(self.reads, self.samples);
        self.lru.resize(entries);
        self.tiny_lfu.resize(entries);
        (self.reads, self.samples, self.lru_hits, self.tiny_lfu_hits) = (0, 0, 0, 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(i: u64) -> [u16; 5] {
        let bits = (i as f64).to_bits();
        [
            2,
            bits as u16,
            (bits >> 16) as u16,
            (bits >> 32) as u16,
            (bits >> 48) as u16,
        ]
    }

    /// Replays `keys` and returns the first switch the watch asks for.
    fn first_switch(
        capacity: u64,
        in_force: Policy,
        keys: impl Iterator<Item = u64>,
    ) -> Option<(usize, Policy)> {
        let mut w = Watch::new(capacity);
        keys.enumerate()
            .find_map(|(i, k)| w.observe(&key(k), in_force, true).map(|p| (i, p)))
    }

    #[test]
    fn a_loop_larger_than_the_cache_asks_lru_for_tiny_lfu() {
        let looping = (0..400_000u64).map(|i| i % 1100);
        assert_eq!(first_switch(1000, Policy::TinyLfu, looping.clone()), None);
        assert!(matches!(
            first_switch(1000, Policy::Lru, looping),
            Some((_, Policy::TinyLfu))
        ));
    }

    #[test]
    fn a_loop_whose_sampled_keys_fit_the_shadow_still_asks_for_tiny_lfu() {
        // Capacities where a loop over 1.1 × the capacity has no more keys
        // sampled than the shadow has entries at the nominal rate: a shadow
        // of that size would hold the whole sampled loop and hit it every
        // time, as LRU and TinyLFU alike.
        let fitting: Vec<u64> = (128..2048)
            .filter(|&capacity| {
                let w = Watch::new(capacity);
                let sampled = (0..capacity + capacity / 10)
                    .filter(|&k| w.sampler.sampled(&key(k)[..]).is_some())
                    .count();
                sampled as f64 <= w.scale.entries
            })
            .collect();
        assert!(fitting.len() >= 3, "{fitting:?}");
        for &capacity in &fitting {
            let looping = (0..100 * capacity).map(|i| i % (capacity + capacity / 10));
            assert!(
                matches!(
                    first_switch(capacity, Policy::Lru, looping),
                    Some((_, Policy::TinyLfu))
                ),
                "capacity {capacity}"
            );
        }
    }

    #[test]
    fn a_shifting_working_set_asks_tiny_lfu_for_lru() {
        // Each key is read 4 times within a short window, then never again:
        // recency is all there is, and TinyLFU's admission holds new keys back.
        let shifting = (0..400_000u64).map(|i| i / 4 % 500 + i / 2000 * 500);
        assert!(matches!(
            first_switch(1000, Policy::TinyLfu, shifting.clone()),
            Some((_, Policy::Lru))
        ));
        assert_eq!(first_switch(1000, Policy::Lru, shifting), None);
    }

    #[test]
    fn a_clear_lead_switches_within_a_capacity_of_reads() {
        // 16,384 entries: the shadows sample a 32nd of the keys. Each key
        // is read 4 times in a row, then never again; the cache is full
        // after 65,536 reads. moka's TinyLFU (its sketch counts nothing
        // until the cache is half full) keeps admitting new keys over the
        // uncounted ones for a while: a replay through moka misses every
        // read from about 74,000 on, and so does the shadow from a little
        // later. The switch comes before 81,920 reads, a capacity after
        // the fill, where epochs of a capacity of reads took two of them.
        let shifting = (0..400_000u64).map(|i| i / 4 % 500 + i / 2000 * 500);
        let (at, policy) = first_switch(16_384, Policy::TinyLfu, shifting).expect("a switch");
        assert_eq!(policy, Policy::Lru);
        assert!(
            (65_536..65_536 + 16_384).contains(&at),
            "switched after {at} reads"
        );
    }

    /// Feeds the rule `n` sampled reads from `pattern` (whether the shadow
    /// in force and the other hit, by read) and returns the reads at which
    /// it switched, counted from the start.
    fn switches(rule: &mut Rule, n: u64, pattern: impl Fn(u64) -> (bool, bool)) -> Vec<u64> {
        (0..n)
            .filter(|&i| {
                let (mine, other) = pattern(i);
                rule.observe(mine, other, true)
            })
            .collect()
    }

    #[test]
    fn a_steady_lead_switches_once_it_has_paid_the_price() {
        let mut rule = Rule::new(256);
        let price = rule.price();
        assert_eq!(price, 256 * UNIT / PRICE_SHARE);
        let at = switches(&mut rule, 1_000, |_| (false, true));
        // Each read adds a hit less the drift; the evidence must exceed the price.
        let first = (price / (UNIT - DRIFT)) as u64;
        assert_eq!(at[0], first, "{at:?}");
    }

    #[test]
    fn a_small_shadow_pays_the_price_of_a_256_entry_one() {
        let mut rule = Rule::new(64);
        assert_eq!(rule.price(), PRICE_MIN * UNIT);
        let at = switches(&mut rule, 1_000, |_| (false, true));
        assert_eq!(at[0], (PRICE_MIN * UNIT / (UNIT - DRIFT)) as u64, "{at:?}");
        assert_eq!(Rule::new(2048).price(), 2048 * UNIT / PRICE_SHARE);
    }

    #[test]
    fn a_lead_under_the_drift_never_switches_and_one_over_it_does() {
        // The other shadow hits once more every `n` reads: a lead of
        // `UNIT / n` hundredths of a hit per read.
        let lead_of = |n: i64| move |i: u64| (false, i.is_multiple_of(n as u64));
        let mut rule = Rule::new(256);
        let half_the_drift = 2 * UNIT / DRIFT;
        assert!(switches(&mut rule, 1_000_000, lead_of(half_the_drift)).is_empty());
        let mut rule = Rule::new(256);
        let twice_the_drift = UNIT / (2 * DRIFT);
        assert!(!switches(&mut rule, 1_000_000, lead_of(twice_the_drift)).is_empty());
    }

    #[test]
    fn a_lead_broken_by_phases_of_the_policy_in_force_is_forgotten() {
        // 10 reads where the other hits, then 20 where the one in force
        // does: over the whole run the other wins 10 reads in 30 ...
        let mut rule = Rule::new(256);
        let phases = |i: u64| {
            if i % 30 < 10 {
                (false, true)
            } else {
                (true, false)
            }
        };
        assert!(switches(&mut rule, 100_000, phases).is_empty());
        // ... and a lead held as long as the price needs switches.
        let mut rule = Rule::new(256);
        let long = |i: u64| {
            if i % 300 < 100 {
                (false, true)
            } else {
                (true, false)
            }
        };
        assert!(!switches(&mut rule, 100_000, long).is_empty());
    }

    #[test]
    fn quick_switches_double_the_price_and_calm_halves_it() {
        let mut rule = Rule::new(256);
        let price = rule.price();
        let lead = |_| (false, true);
        switches(&mut rule, (price / (UNIT - DRIFT)) as u64 + 1, lead);
        assert_eq!(
            rule.price(),
            price,
            "the first switch is not soon after another"
        );
        switches(&mut rule, (price / (UNIT - DRIFT)) as u64 + 1, lead);
        assert_eq!(rule.price(), 2 * price, "a switch soon after the first");
        for _ in 0..10 {
            let reads = (rule.price() / (UNIT - DRIFT)) as u64 + 1;
            switches(&mut rule, reads, lead);
        }
        assert_eq!(
            rule.price(),
            price << MAX_BACKOFF,
            "at most {MAX_BACKOFF} doublings"
        );
        let calm = CALM * 256;
        switches(&mut rule, calm, |_| (true, true));
        assert_eq!(
            rule.price(),
            price << (MAX_BACKOFF - 1),
            "halved after a calm stretch"
        );
    }
}
