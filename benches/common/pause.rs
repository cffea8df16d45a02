//! What the pause benches share: the clocks and counters they time each step
//! with (the thread's CPU clock, `CLOCK_THREAD_CPUTIME_ID`, which stops while
//! the thread is preempted; `CLOCK_MONOTONIC`; the thread's page faults), and
//! `ADAPTIVE_NO_THP=1`, which runs the process without transparent huge pages.
//!
//! A bench includes it with `#[path = "common/pause.rs"] mod pause;`.

use std::time::Duration;

/// The time on a clock of `clock_gettime`.
fn clock(id: libc::clockid_t) -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; the ids used here are
    // constants every Linux kernel provides.
    let rc = unsafe { libc::clock_gettime(id, &mut ts) };
    assert_eq!(rc, 0, "clock {id} unavailable");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// The calling thread's CPU time so far.
pub fn thread_cpu() -> Duration {
    clock(libc::CLOCK_THREAD_CPUTIME_ID)
}

pub fn monotonic() -> Duration {
    clock(libc::CLOCK_MONOTONIC)
}

/// The calling thread's page faults so far.
pub fn faults() -> i64 {
    // SAFETY: an all-zero `rusage` is a valid value of this plain C struct.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `usage` is valid and writable; RUSAGE_THREAD is Linux's.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut usage) };
    assert_eq!(rc, 0, "no per-thread rusage");
    usage.ru_minflt + usage.ru_majflt
}

/// Turns transparent huge pages off for the process if `ADAPTIVE_NO_THP` is
/// set: the first touch of a huge page zeroes 2 MB in one fault, which would
/// otherwise hide the work being timed (docs/adaptive.md).
pub fn no_huge_pages_if_asked() {
    if std::env::var_os("ADAPTIVE_NO_THP").is_some() {
        // SAFETY: PR_SET_THP_DISABLE takes plain integers and affects this process only.
        let rc = unsafe { libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0) };
        assert_eq!(rc, 0, "PR_SET_THP_DISABLE");
    }
}
