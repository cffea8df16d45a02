//! Expiry, for `Moka` and `SharedMoka` alike: per-entry deadlines through
//! moka's `Expiry`, and the one rule for a duration that comes from JS.
//!
//! The cache-wide `ttl`/`tti` go to moka's builder instead: moka removes those
//! entries exactly when maintenance runs, while `Expiry` deadlines live in a
//! timer wheel that moka advances in steps of about a second. An entry expires
//! at the earliest of every deadline that applies to it, so a per-entry value
//! can shorten the cache's, never extend it.

use std::marker::PhantomData;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
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
/// Inline: `set` calls it twice, and an absent duration should cost a test.
#[inline]
pub fn from_ms(ms: Option<f64>, name: &str) -> JsResult<Option<Duration>> {
    ms.map(|ms| Ok(Duration::from_secs_f64(check_ms(ms, name)? / 1000.0)))
        .transpose()
}

/// A value's own time to live and time to idle, and the clocks it carries
/// when its entry can move from one moka build to another.
pub trait EntryDeadlines {
    fn ttl(&self) -> Option<Duration>;
    fn tti(&self) -> Option<Duration>;
    /// `Some` for the entries of an adaptive cache with expiry (see `Clocks`).
    fn clocks(&self) -> Option<&Clocks> {
        None
    }
}

/// When an entry was written and last read, kept in the value itself: moka
/// keeps both per build and restarts them when an entry moves to another
/// build (`policy: 'adaptive'`), so the entry carries them across. Stamped by
/// the `Expiry` hooks with moka's own clock.
pub struct Clocks {
    /// Nanoseconds since `epoch()`, plus 1; 0 until moka stored the entry.
    /// The top bit: the entry moved from an earlier build.
    written: AtomicU64,
    /// The last read, or the write, as `written` (without the top bit).
    read: AtomicU64,
}

const MOVED: u64 = 1 << 63;

/// The instant every `Clocks` counts from.
fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

fn stamp(at: Instant) -> u64 {
    (at.saturating_duration_since(epoch()).as_nanos() as u64).min(MOVED - 2) + 1
}

fn instant(stamp: u64) -> Instant {
    epoch() + Duration::from_nanos((stamp & !MOVED).saturating_sub(1))
}

impl Clocks {
    pub fn new() -> Self {
        epoch();
        Clocks {
            written: AtomicU64::new(0),
            read: AtomicU64::new(0),
        }
    }

    /// The entry leaves its build for another one, which must count from
    /// the clocks it carries rather than from the move.
    pub fn moved(&mut self) {
        *self.written.get_mut() |= MOVED;
    }

    /// moka stores the entry: a fresh one is written (and read) now; a moved
    /// one keeps its clocks.
    fn stored(&self, at: Instant) {
        let now = stamp(at);
        if self
            .written
            .compare_exchange(0, now, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
        {
            self.read.store(now, Ordering::Relaxed);
        }
    }

    fn was_read(&self, at: Instant) {
        self.read.store(stamp(at), Ordering::Relaxed);
    }

    fn moved_here(&self) -> bool {
        self.written.load(Ordering::Relaxed) & MOVED != 0
    }

    fn written_at(&self) -> Instant {
        instant(self.written.load(Ordering::Relaxed))
    }

    /// `(written, last read, moved)`, once stored.
    fn get(&self) -> Option<(Instant, Instant, bool)> {
        let written = self.written.load(Ordering::Relaxed);
        (written != 0).then(|| {
            let read = self.read.load(Ordering::Relaxed);
            (instant(written), instant(read), written & MOVED != 0)
        })
    }
}

impl Default for Clocks {
    fn default() -> Self {
        Clocks::new()
    }
}

impl Clone for Clocks {
    fn clone(&self) -> Self {
        let load = |a: &AtomicU64| AtomicU64::new(a.load(Ordering::Relaxed));
        Clocks {
            written: load(&self.written),
            read: load(&self.read),
        }
    }
}

/// moka's `Expiry` for values that carry their own deadlines.
///
/// An entry expires at the earliest of its own `ttl` counted from its write
/// and its own `tti` counted from its last read. An entry that moved from an
/// earlier build is also held to the cache-wide `ttl`/`tti` here, from the
/// clocks it carries: the new build's own ttl/tti count from the move, later
/// than the entry's deadlines, so never the earlier of the two.
pub struct PerEntry<V> {
    ttl: Option<Duration>,
    tti: Option<Duration>,
    value: PhantomData<fn(&V)>,
}

impl<V> PerEntry<V> {
    /// Own deadlines only (entries never move).
    pub fn new() -> Self {
        PerEntry::carrying(None, None)
    }

    /// Own deadlines, and the cache-wide `ttl`/`tti` for moved entries.
    pub fn carrying(ttl: Option<Duration>, tti: Option<Duration>) -> Self {
        PerEntry {
            ttl,
            tti,
            value: PhantomData,
        }
    }
}

fn earliest(a: Option<Duration>, b: Option<Duration>) -> Option<Duration> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// An entry's times, as its clocks or moka tell them.
struct Times {
    written: Instant,
    read: Instant,
    moved: bool,
}

impl<V: EntryDeadlines> PerEntry<V> {
    /// The time to live and time to idle that apply to `value` here.
    fn limits(&self, value: &V, moved: bool) -> (Option<Duration>, Option<Duration>) {
        if moved {
            (
                earliest(value.ttl(), self.ttl),
                earliest(value.tti(), self.tti),
            )
        } else {
            (value.ttl(), value.tti())
        }
    }

    /// Time left at `now`: the earliest deadline that applies, or `None`.
    fn remaining(&self, value: &V, t: Times, now: Instant) -> Option<Duration> {
        let (ttl, tti) = self.limits(value, t.moved);
        let left = |limit: Option<Duration>, since: Instant| {
            limit.map(|d| d.saturating_sub(now.saturating_duration_since(since)))
        };
        earliest(left(ttl, t.written), left(tti, t.read))
    }

    /// moka stores `value` at `at`, as a new entry or over an old one.
    fn stored(&self, value: &V, at: Instant) -> Option<Duration> {
        let t = match value.clocks() {
            Some(clocks) => {
                clocks.stored(at);
                let (written, read, moved) = clocks.get()?;
                Times {
                    written,
                    read,
                    moved,
                }
            }
            None => Times {
                written: at,
                read: at,
                moved: false,
            },
        };
        self.remaining(value, t, at)
    }
}

impl<K, V: EntryDeadlines> Expiry<K, V> for PerEntry<V> {
    fn expire_after_create(&self, _: &K, value: &V, created_at: Instant) -> Option<Duration> {
        self.stored(value, created_at)
    }

    fn expire_after_read(
        &self,
        _: &K,
        value: &V,
        read_at: Instant,
        duration_until_expiry: Option<Duration>,
        last_modified_at: Instant,
    ) -> Option<Duration> {
        let moved = match value.clocks() {
            // No idle clock, here or in a later build: the last read is never needed.
            Some(_) if value.tti().is_none() && self.tti.is_none() => false,
            Some(clocks) => {
                clocks.was_read(read_at);
                clocks.moved_here()
            }
            None => false,
        };
        if self.limits(value, moved).1.is_none() {
            // No idle clock: a read moves no deadline.
            return duration_until_expiry;
        }
        let written = value.clocks().map_or(last_modified_at, Clocks::written_at);
        let t = Times {
            written,
            read: read_at,
            moved,
        };
        self.remaining(value, t, read_at)
    }

    fn expire_after_update(
        &self,
        _: &K,
        value: &V,
        updated_at: Instant,
        _: Option<Duration>,
    ) -> Option<Duration> {
        // A write starts over: the new value's own deadlines, or none.
        self.stored(value, updated_at)
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
    fn a_moved_entry_counts_from_the_clocks_it_carries() {
        use crate::value::{Carried, Value};
        let expiry = PerEntry::<Value<Carried>>::carrying(ms(1000), ms(300));
        let t0 = Instant::now();
        let later = |x: u64| t0 + Duration::from_millis(x);
        let fresh = Value::notified(1, 1, Carried::default());
        assert_eq!(
            expiry.expire_after_create(&(), &fresh, t0),
            None,
            "in its first build, the cache-wide deadlines are moka's own"
        );
        let read = expiry.expire_after_read(&(), &fresh, later(100), ms(300), t0);
        assert_eq!(read, ms(300), "no deadline of its own moves");
        let mut moved = fresh.clone();
        moved.extra.clocks.moved();
        assert_eq!(
            expiry.expire_after_create(&(), &moved, later(250)),
            ms(150),
            "idle since the read at 100, not since the move at 250"
        );
        assert_eq!(
            expiry.expire_after_read(&(), &moved, later(800), ms(50), later(250)),
            ms(200),
            "1000 ms from the write at 0, not from the move"
        );
        let new = Value::notified(2, 1, Carried::default());
        let again = expiry.expire_after_update(&(), &new, later(900), ms(100));
        assert_eq!(again, None, "a write over it starts afresh");
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
