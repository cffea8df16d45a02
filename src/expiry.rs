//! Per-entry expiration (`set(k, v, { ttl, tti })`) through moka's `Expiry`,
//! installed only in caches built with `perEntryExpiry`.
//!
//! The cache-wide `ttl`/`tti` go to moka's builder instead: moka removes those
//! entries exactly when maintenance runs, while `Expiry` deadlines live in a
//! timer wheel that moka advances in steps of about a second. An entry expires
//! at the earliest of every deadline that applies to it, so a per-entry value
//! can shorten the cache's, never extend it.

use std::time::{Duration, Instant};

use moka::Expiry;

use crate::key::Key;
use crate::value::{Deadlines, Value};

pub struct PerEntry;

fn min(a: Option<Duration>, b: Option<Duration>) -> Option<Duration> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

impl Expiry<Key, Value<Deadlines>> for PerEntry {
    fn expire_after_create(
        &self,
        _: &Key,
        value: &Value<Deadlines>,
        _: Instant,
    ) -> Option<Duration> {
        min(value.extra.ttl(), value.extra.tti())
    }

    fn expire_after_read(
        &self,
        _: &Key,
        value: &Value<Deadlines>,
        read_at: Instant,
        duration_until_expiry: Option<Duration>,
        last_modified_at: Instant,
    ) -> Option<Duration> {
        match value.extra.tti() {
            None => duration_until_expiry,
            Some(tti) => {
                let since_write = read_at.saturating_duration_since(last_modified_at);
                min(
                    Some(tti),
                    value.extra.ttl().map(|ttl| ttl.saturating_sub(since_write)),
                )
            }
        }
    }

    fn expire_after_update(
        &self,
        _: &Key,
        value: &Value<Deadlines>,
        _: Instant,
        _: Option<Duration>,
    ) -> Option<Duration> {
        // A write starts over: the new value's own deadlines, or none.
        min(value.extra.ttl(), value.extra.tti())
    }
}

/// A duration in milliseconds from JS; `None` for "never". JS validates the
/// range (`MAX_DURATION_MS`); anything else here is refused, never clamped
/// into moka's assertion.
pub fn from_ms(ms: Option<f64>, name: &str) -> crate::ffi::JsResult<Option<Duration>> {
    match ms {
        None => Ok(None),
        Some(ms) if (0.0..=crate::protocol::MAX_DURATION_MS).contains(&ms) => {
            Ok(Some(Duration::from_secs_f64(ms / 1000.0)))
        }
        Some(_) => {
            crate::ffi::range_error(format!("{name} must be a duration from 0 to 1000 years"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(ttl: Option<Duration>, tti: Option<Duration>) -> Value<Deadlines> {
        Value::notified(0, 1, Deadlines::new(ttl, tti))
    }

    fn ms(x: u64) -> Option<Duration> {
        Some(Duration::from_millis(x))
    }

    #[test]
    fn entries_without_own_deadlines_stay_out_of_the_timer_wheel() {
        let key = Key::from_slice(&[1]);
        let now = Instant::now();
        assert_eq!(
            PerEntry.expire_after_create(&key, &value(None, None), now),
            None
        );
        assert_eq!(
            PerEntry.expire_after_create(&key, &value(ms(500), ms(200)), now),
            ms(200)
        );
        assert_eq!(
            PerEntry.expire_after_update(&key, &value(None, None), now, ms(5)),
            None
        );
    }

    #[test]
    fn a_read_never_extends_past_the_ttl() {
        let key = Key::from_slice(&[1]);
        let v = value(ms(1000), ms(300));
        let written = Instant::now();
        let read = written + Duration::from_millis(900);
        assert_eq!(
            PerEntry.expire_after_read(&key, &v, read, ms(300), written),
            ms(100)
        );
        let early = written + Duration::from_millis(100);
        assert_eq!(
            PerEntry.expire_after_read(&key, &v, early, ms(300), written),
            ms(300)
        );
    }

    #[test]
    fn bad_durations_are_refused() {
        assert!(from_ms(Some(f64::NAN), "ttl").is_err());
        assert!(from_ms(Some(-1.0), "ttl").is_err());
        assert!(from_ms(Some(1e300), "ttl").is_err());
        assert_eq!(from_ms(Some(250.0), "ttl").ok(), Some(ms(250)));
    }
}
