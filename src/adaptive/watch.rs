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
            base_price: shadow as i64 * UNIT / PRICE_SHARE,
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

pub struct Watch {
    sampler: Sampler,
    lru: Lru,
    tiny_lfu: TinyLfu,
    rule: Rule,
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
            .min(capacity);
        Watch {
            sampler: Sampler::new(shadow as f64 / capacity as f64),
            lru: Lru::new(shadow as usize),
            tiny_lfu: TinyLfu::new(shadow as usize),
            rule: Rule::new(shadow),
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
    #[inline(always)]
    pub fn observe(&mut self, key: &[u16], in_force: Policy, can_switch: bool) -> Option<Policy> {
        let h = self.sampler.sampled(key)?;
        self.observe_sampled(h, in_force, can_switch)
    }

    /// A sampled read, out of line: the reads not sampled (all but a few
    /// percent on large caches) pay the hash and the test alone, without
    /// the registers the shadows need saved around them.
    #[inline(never)]
    fn observe_sampled(&mut self, h: u64, in_force: Policy, can_switch: bool) -> Option<Policy> {
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
        (self.samples, self.lru_hits, self.tiny_lfu_hits) = (0, 0, 0);
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
