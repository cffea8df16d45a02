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

/// An epoch closes after this many sampled requests, and no sooner than one
/// capacity of requests (so that a shadow sees its contents turn over).
const EPOCH_SAMPLES: u32 = 500;
/// The other policy must lead by more than this share of an epoch's sampled
/// requests (1 point of hit ratio) ...
const LEAD_PER_MILLE: u32 = 10;
/// ... for this many epochs in a row, doubled for each switch that came
/// soon after the one before (a workload whose phases are shorter than a
/// switch takes to pay back: each switch starts a build with no history).
const STREAK: u32 = 2;
/// A switch within this many times the streak's epochs of the previous one
/// doubles the streak, up to `STREAK << MAX_BACKOFF`.
const SOON: u32 = 8;
const MAX_BACKOFF: u32 = 4;
/// Each this many epochs without a switch halve the streak again.
const CALM_EPOCHS: u32 = 128;

pub struct Watch {
    sampler: Sampler,
    lru: Lru,
    tiny_lfu: TinyLfu,
    /// Requests of the open epoch, all and sampled, and each shadow's hits.
    requests: u64,
    samples: u32,
    lru_hits: u32,
    tiny_lfu_hits: u32,
    min_requests: u64,
    /// Epochs in a row in which the policy not in force led.
    streak: u32,
    /// The streak required is `STREAK << backoff`.
    backoff: u32,
    epochs_since_switch: u32,
    /// Hit ratios of the shadows, each epoch weighing half of the rest:
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
            requests: 0,
            samples: 0,
            lru_hits: 0,
            tiny_lfu_hits: 0,
            min_requests: capacity,
            streak: 0,
            backoff: 0,
            epochs_since_switch: 0,
            lru_ratio: f64::NAN,
            tiny_lfu_ratio: f64::NAN,
            sampled_total: 0,
        }
    }

    /// One read of `key`. Returns the policy to switch to when the rule says
    /// so; `in_force` is the policy of the build answering now, and
    /// `can_switch` false while a switch is still migrating.
    #[inline]
    pub fn observe(&mut self, key: &[u16], in_force: Policy, can_switch: bool) -> Option<Policy> {
        self.requests += 1;
        let h = self.sampler.sampled(key)?;
        self.lru_hits += self.lru.request(h) as u32;
        self.tiny_lfu_hits += self.tiny_lfu.request(h) as u32;
        self.samples += 1;
        if self.samples < EPOCH_SAMPLES || self.requests < self.min_requests {
            return None;
        }
        self.close_epoch(in_force, can_switch)
    }

    fn close_epoch(&mut self, in_force: Policy, can_switch: bool) -> Option<Policy> {
        let n = self.samples;
        let (lru, tiny) = (self.lru_hits, self.tiny_lfu_hits);
        let blend = |old: f64, hits: u32| {
            let now = hits as f64 / n as f64;
            if old.is_nan() {
                now
            } else {
                (old + now) / 2.0
            }
        };
        self.lru_ratio = blend(self.lru_ratio, lru);
        self.tiny_lfu_ratio = blend(self.tiny_lfu_ratio, tiny);
        self.sampled_total += n as u64;
        (
            self.requests,
            self.samples,
            self.lru_hits,
            self.tiny_lfu_hits,
        ) = (0, 0, 0, 0);
        let (mine, other) = match in_force {
            Policy::TinyLfu => (tiny, lru),
            Policy::Lru => (lru, tiny),
        };
        let leads = other as u64 * 1000 > mine as u64 * 1000 + (LEAD_PER_MILLE * n) as u64;
        self.streak = if leads && can_switch {
            self.streak + 1
        } else {
            0
        };
        self.epochs_since_switch = self.epochs_since_switch.saturating_add(1);
        if self.epochs_since_switch.is_multiple_of(CALM_EPOCHS) {
            self.backoff = self.backoff.saturating_sub(1);
        }
        let required = STREAK << self.backoff;
        if self.streak < required {
            return None;
        }
        if self.epochs_since_switch < SOON * required {
            self.backoff = (self.backoff + 1).min(MAX_BACKOFF);
        }
        self.streak = 0;
        self.epochs_since_switch = 0;
        Some(in_force.other())
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
}
