//! Expiry across a switch: an entry moved to the new build keeps the
//! deadlines of its write and last read, whichever way it moved (found by a
//! read, or walked over by the drain), and is reported expired exactly once.
//!
//! Real time with generous margins: a deadline is `LIFE` (1.5 s) after the
//! write or the last read, and the switch comes 40 % of the way through it,
//! so a clock restarted by the move would keep an entry 600 ms too long,
//! twice the margin either side.

use std::thread::sleep;
use std::time::{Duration, Instant};

use crate::core::tests::drain_until;
use crate::core::{Core, Extra, Options};
use crate::key::Key;
use crate::protocol::{EXPIRED, EXPLICIT, KIND_BITS, RELEASED, REPLACED};
use crate::value::Carried;

const LIFE: Duration = Duration::from_millis(1500);
const MARGIN: Duration = Duration::from_millis(300);
/// Entries written before the switch: the first half moves on a read, the
/// second when the drain walks the old build.
const ENTRIES: u32 = 20;
const FILLER_SLOT: u32 = 100;

fn key(i: u32) -> Key {
    Key::from_slice(&[2, i as u16])
}

/// What the deadline is counted from.
#[derive(Clone, Copy, PartialEq)]
enum Clock {
    Write,
    Read,
}

/// Writes `ENTRIES` entries, switches, moves them over both ways, and checks
/// when they expire and how they are reported: with a user listener, and
/// without one (then every build is without moka's listener too, and the
/// slots are only released).
fn across_a_switch(opts: Options, extra: Carried, clock: Clock) {
    for notify in [true, false] {
        across_a_switch_reported(opts.clone(), extra.clone(), clock, notify);
    }
}

fn across_a_switch_reported(opts: Options, extra: Carried, clock: Clock, notify: bool) {
    let mut core = Core::<Carried>::new(&Options {
        max_capacity: 100,
        notify,
        adaptive: true,
        ..opts
    });
    let written = Instant::now();
    for i in 0..ENTRIES {
        core.insert(key(i), i, 1, extra.clone());
    }
    sleep(LIFE * 2 / 5);
    core.switch_now();
    assert_eq!(core.adaptive_info()[2], 1.0, "migrating");
    let moved_by_read = Instant::now();
    for i in 0..ENTRIES / 2 {
        assert_eq!(core.get(&key(i)), Some(i), "{i}: alive when it moves");
    }
    // A capacity of writes ends the first step; the drain then moves the
    // rest (the new build has room), a slice per call.
    for slot in FILLER_SLOT..FILLER_SLOT + 100 {
        core.insert(key(1000), slot, 1, Carried::per_entry(None, None).unwrap());
    }
    for _ in 0..10 {
        core.run_pending_tasks();
        core.adapt();
    }
    assert_eq!(core.adaptive_info()[2], 0.0, "the old build is empty");
    assert_eq!(core.entry_count(), ENTRIES as u64 + 1, "every entry moved");
    assert!(
        written.elapsed() < LIFE - MARGIN,
        "the machine stalled: {:?}",
        written.elapsed()
    );
    for i in 0..ENTRIES {
        assert!(core.contains(&key(i)), "{i}: moved, not expired early");
    }

    // Past the deadline counted from the write (or the last read before the
    // switch), well before one counted from the move.
    sleep((written + LIFE + MARGIN).saturating_duration_since(Instant::now()));
    for i in ENTRIES / 2..ENTRIES {
        assert_eq!(core.get(&key(i)), None, "{i}: expired, though it moved");
    }
    let read_before = Instant::now();
    for i in 0..ENTRIES / 2 {
        let found = core.get(&key(i));
        match clock {
            Clock::Write => assert_eq!(found, None, "{i}: the move is not a write"),
            Clock::Read => {
                // Read when it moved: idle for less than LIFE yet.
                assert!(read_before < moved_by_read + LIFE - MARGIN / 2);
                assert_eq!(found, Some(i), "{i}: read when it moved");
            }
        }
    }
    if clock == Clock::Read {
        sleep(LIFE + MARGIN);
        for i in 0..ENTRIES / 2 {
            assert_eq!(core.get(&key(i)), None, "{i}: idle past its tti");
        }
    }

    // Each entry is reported expired once, whichever way it moved; the
    // filler's writes replaced each other, and its last one went when it
    // expired or with `clear`; nothing else.
    let mut events = drain_until(&core, |e| e.len() >= (ENTRIES + 99) as usize);
    core.clear();
    events.extend(drain_until(&core, |e| e.len() >= (ENTRIES + 100) as usize));
    events.sort_unstable();
    if !notify {
        // Every slot released once, the moved ones included.
        let mut expected: Vec<u32> = (0..ENTRIES).map(|s| s << KIND_BITS | RELEASED).collect();
        expected.extend((FILLER_SLOT..FILLER_SLOT + 100).map(|s| s << KIND_BITS | RELEASED));
        assert_eq!(events, expected);
        return;
    }
    let last = events.pop().expect("the filler's last write");
    assert!([EXPIRED, EXPLICIT].contains(&(last & ((1 << KIND_BITS) - 1))));
    assert_eq!(last >> KIND_BITS, FILLER_SLOT + 99);
    let mut expected: Vec<u32> = (0..ENTRIES).map(|s| s << KIND_BITS | EXPIRED).collect();
    expected.extend((FILLER_SLOT..FILLER_SLOT + 99).map(|s| s << KIND_BITS | REPLACED));
    assert_eq!(events, expected);
}

#[test]
fn a_moved_entry_keeps_the_caches_ttl_from_its_write() {
    let opts = Options {
        ttl: Some(LIFE),
        ..Options::entries(0)
    };
    across_a_switch(opts, Carried::per_entry(None, None).unwrap(), Clock::Write);
}

#[test]
fn a_moved_entry_keeps_its_own_ttl_from_its_write() {
    let own = Carried::per_entry(Some(LIFE), None).unwrap();
    across_a_switch(Options::entries(0), own, Clock::Write);
}

#[test]
fn a_moved_entry_keeps_the_caches_tti_from_its_last_read() {
    let opts = Options {
        tti: Some(LIFE),
        ..Options::entries(0)
    };
    across_a_switch(opts, Carried::per_entry(None, None).unwrap(), Clock::Read);
}

#[test]
fn a_moved_entry_keeps_its_own_tti_from_its_last_read() {
    let own = Carried::per_entry(None, Some(LIFE)).unwrap();
    across_a_switch(Options::entries(0), own, Clock::Read);
}

#[test]
fn per_entry_durations_are_refused_without_per_entry_expiry() {
    // An adaptive cache with a cache-wide ttl keeps `Carried` per entry, as
    // one with `perEntryExpiry` does, but takes no durations of its own.
    let cache_wide = Core::<Carried>::new(&Options {
        ttl: Some(LIFE),
        adaptive: true,
        ..Options::entries(10)
    });
    assert!(cache_wide.entry_extra(Some(LIFE), None).is_err());
    assert!(cache_wide.entry_extra(None, Some(LIFE)).is_err());
    assert!(cache_wide.entry_extra(None, None).is_ok());
    let per_entry = Core::<Carried>::new(&Options {
        adaptive: true,
        per_entry_expiry: true,
        ..Options::entries(10)
    });
    assert!(per_entry.entry_extra(Some(LIFE), Some(LIFE)).is_ok());
    let plain = Core::<()>::new(&Options::entries(10));
    assert!(plain.entry_extra(Some(LIFE), None).is_err());
}
