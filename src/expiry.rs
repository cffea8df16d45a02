//! Expiry, for `Moka` and `SharedMoka` alike: per-entry deadlines through
//! moka's `Expiry`, and the one rule for a duration that comes from JS.
//!
//! The cache-wide `ttl`/`tti` go to moka's builder instead: moka removes those
//! entries exactly when maintenance runs, while `Expiry` deadlines live in a
//! timer wheel that moka advances in steps of about a second. An entry expires
//! at the earliest of every deadline that applies to it, so a per-entry value
//! can shorten the cache's, never extend it.

use std::marker::PhantomData;
use std::time::{Duration, Instant};

use moka::Expiry;

use crate::ffi::{range_error, JsResult};

/// The longest duration moka accepts (it asserts against more), in ms.
pub const MAX_DURATION_MS: f64 = 1000.0 * 365.0 * 24.0 * 3600.0 * 1000.0;

/// A duration from JS, in milliseconds: more than 0 and at most 1000 years.
/// 0 is refused, as the JS layer refuses it (a `ttl` function that returns 0
/// or less means "do not store", decided before the addon is called);
/// anything else out of range is refused, never clamped into moka's assertion.
pub fn check_ms(ms: f64, name: &str) -> JsResult<f64> {
    if ms > 0.0 && ms <= MAX_DURATION_MS {
        Ok(ms)
    } else {
        range_error(format!(
            "{name} must be a duration of more than 0 ms and at most 1000 years, got {ms}"
        ))
    }
}

/// `check_ms`, for an optional duration, as a `Duration`; `None` for "never".
pub fn from_ms(ms: Option<f64>, name: &str) -> JsResult<Option<Duration>> {
    ms.map(|ms| Ok(Duration::from_secs_f64(check_ms(ms, name)? / 1000.0)))
        .transpose()
}

/// A value's own time to live and time to idle.
pub trait EntryDeadlines {
    fn ttl(&self) -> Option<Duration>;
    fn tti(&self) -> Option<Duration>;
}

/// moka's `Expiry` for values that carry their own deadlines.
pub struct PerEntry<V>(PhantomData<fn(&V)>);

impl<V> PerEntry<V> {
    pub fn new() -> Self {
        PerEntry(PhantomData)
    }
}

fn earliest(a: Option<Duration>, b: Option<Duration>) -> Option<Duration> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

impl<K, V: EntryDeadlines> Expiry<K, V> for PerEntry<V> {
    fn expire_after_create(&self, _: &K, value: &V, _: Instant) -> Option<Duration> {
        earliest(value.ttl(), value.tti())
    }

    fn expire_after_read(
        &self,
        _: &K,
        value: &V,
        read_at: Instant,
        duration_until_expiry: Option<Duration>,
        last_modified_at: Instant,
    ) -> Option<Duration> {
        match value.tti() {
            None => duration_until_expiry,
            Some(tti) => {
                let since_write = read_at.saturating_duration_since(last_modified_at);
                earliest(
                    Some(tti),
                    value.ttl().map(|ttl| ttl.saturating_sub(since_write)),
                )
            }
        }
    }

    fn expire_after_update(
        &self,
        _: &K,
        value: &V,
        _: Instant,
        _: Option<Duration>,
    ) -> Option<Duration> {
        // A write starts over: the new value's own deadlines, or none.
        earliest(value.ttl(), value.tti())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Times(Option<Duration>, Option<Duration>);

    impl EntryDeadlines for Times {
        fn ttl(&self) -> Option<Duration> {
            self.0
        }
        fn tti(&self) -> Option<Duration> {
            self.1
        }
    }

    fn ms(x: u64) -> Option<Duration> {
        Some(Duration::from_millis(x))
    }

    #[test]
    fn entries_without_own_deadlines_stay_out_of_the_timer_wheel() {
        let expiry = PerEntry::<Times>::new();
        let now = Instant::now();
        assert_eq!(
            expiry.expire_after_create(&(), &Times(None, None), now),
            None
        );
        assert_eq!(
            expiry.expire_after_create(&(), &Times(ms(500), ms(200)), now),
            ms(200)
        );
        assert_eq!(
            expiry.expire_after_update(&(), &Times(None, None), now, ms(5)),
            None
        );
    }

    #[test]
    fn a_read_never_extends_past_the_ttl() {
        let expiry = PerEntry::<Times>::new();
        let v = Times(ms(1000), ms(300));
        let written = Instant::now();
        let read = written + Duration::from_millis(900);
        assert_eq!(
            expiry.expire_after_read(&(), &v, read, ms(300), written),
            ms(100)
        );
        let early = written + Duration::from_millis(100);
        assert_eq!(
            expiry.expire_after_read(&(), &v, early, ms(300), written),
            ms(300)
        );
    }

    #[test]
    fn a_duration_is_more_than_0_ms_and_at_most_1000_years() {
        for bad in [
            f64::NAN,
            -1.0,
            0.0,
            -0.0,
            MAX_DURATION_MS * 1.01,
            1e300,
            f64::INFINITY,
        ] {
            assert!(check_ms(bad, "ttl").is_err(), "{bad} refused");
        }
        assert_eq!(check_ms(MAX_DURATION_MS, "ttl").ok(), Some(MAX_DURATION_MS));
        assert_eq!(from_ms(Some(250.0), "ttl").ok(), Some(ms(250)));
        assert_eq!(from_ms(None, "ttl").ok(), Some(None));
    }
}
