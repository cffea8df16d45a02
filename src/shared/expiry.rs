//! Per-entry expiration (`set(k, v, { ttl, tti })`) through moka's `Expiry`,
//! for any value that carries its own deadlines.
//!
//! The cache-wide `ttl`/`tti` go to moka's builder: moka removes those
//! entries exactly when maintenance runs. An entry expires at the earliest of
//! every deadline that applies to it, so a per-entry value can shorten the
//! cache's, never extend it.

use std::marker::PhantomData;
use std::time::{Duration, Instant};

use moka::Expiry;

/// A value's own time to live and time to idle.
pub trait Deadlines {
    fn ttl(&self) -> Option<Duration>;
    fn tti(&self) -> Option<Duration>;
}

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

impl<K, V: Deadlines> Expiry<K, V> for PerEntry<V> {
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

    impl Deadlines for Times {
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
    fn the_earliest_deadline_applies_and_a_read_never_extends_the_ttl() {
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
        let v = Times(ms(1000), ms(300));
        let late = now + Duration::from_millis(900);
        assert_eq!(
            expiry.expire_after_read(&(), &v, late, ms(300), now),
            ms(100)
        );
        assert_eq!(
            expiry.expire_after_update(&(), &Times(None, None), now, ms(5)),
            None
        );
    }
}
