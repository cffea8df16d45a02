//! Expiration: the cache-wide `ttl`/`tti` as defaults, per-entry values on top.
//!
//! Everything goes through moka's `Expiry` (rather than the builder's
//! `time_to_live`) so that a per-entry `ttl` can be longer as well as shorter
//! than the cache's. An entry expires at the earlier of its ttl deadline
//! (counted from its last write) and its tti deadline (from its last read).

use std::time::{Duration, Instant};

use moka::Expiry;

use crate::entry::Value;
use crate::key::Key;

pub struct Expiration {
    pub ttl: Option<Duration>,
    pub tti: Option<Duration>,
}

impl Expiration {
    fn after_write(&self, value: &Value) -> Option<Duration> {
        let ttl = value.ttl.or(self.ttl);
        let tti = value.tti.or(self.tti);
        min(ttl, tti)
    }
}

fn min(a: Option<Duration>, b: Option<Duration>) -> Option<Duration> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

impl Expiry<Key, Value> for Expiration {
    fn expire_after_create(&self, _: &Key, value: &Value, _: Instant) -> Option<Duration> {
        self.after_write(value)
    }

    fn expire_after_read(
        &self,
        _: &Key,
        value: &Value,
        read_at: Instant,
        duration_until_expiry: Option<Duration>,
        last_modified_at: Instant,
    ) -> Option<Duration> {
        match value.tti.or(self.tti) {
            None => duration_until_expiry,
            Some(tti) => {
                let ttl_left = value
                    .ttl
                    .or(self.ttl)
                    .map(|ttl| ttl.saturating_sub(read_at.saturating_duration_since(last_modified_at)));
                min(Some(tti), ttl_left)
            }
        }
    }

    fn expire_after_update(
        &self,
        _: &Key,
        value: &Value,
        _: Instant,
        _: Option<Duration>,
    ) -> Option<Duration> {
        self.after_write(value)
    }
}

/// A duration in milliseconds from JS; `None` for "never".
pub fn from_ms(ms: Option<f64>) -> Option<Duration> {
    ms.and_then(|ms| Duration::try_from_secs_f64(ms / 1000.0).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(ttl: Option<Duration>, tti: Option<Duration>) -> Value {
        Value { slot: 0, weight: 1, ttl, tti }
    }

    fn ms(x: u64) -> Option<Duration> {
        Some(Duration::from_millis(x))
    }

    #[test]
    fn per_entry_ttl_overrides_the_default_both_ways() {
        let exp = Expiration { ttl: ms(1000), tti: None };
        let key = Key::from_slice(&[1]);
        let now = Instant::now();
        let longer = value(ms(5000), None);
        let plain = value(None, None);
        assert_eq!(exp.expire_after_create(&key, &longer, now), ms(5000));
        assert_eq!(exp.expire_after_create(&key, &plain, now), ms(1000));
    }

    #[test]
    fn a_read_never_extends_past_the_ttl() {
        let exp = Expiration { ttl: ms(1000), tti: ms(300) };
        let key = Key::from_slice(&[1]);
        let v = value(None, None);
        let written = Instant::now();
        let read = written + Duration::from_millis(900);
        assert_eq!(exp.expire_after_read(&key, &v, read, ms(300), written), ms(100));
        let early = written + Duration::from_millis(100);
        assert_eq!(exp.expire_after_read(&key, &v, early, ms(300), written), ms(300));
    }

    #[test]
    fn bad_durations_mean_never() {
        assert_eq!(from_ms(Some(f64::NAN)), None);
        assert_eq!(from_ms(Some(-1.0)), None);
        assert_eq!(from_ms(Some(250.0)), ms(250));
    }
}
