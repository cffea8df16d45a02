//! Running moka's maintenance to the end, for `Moka` and `SharedMoka` alike.

/// Calls `run` (one maintenance run) until a run leaves `progress` as it
/// found it, at most `max_runs` times. moka stops a run after a few rounds of
/// its logs, and after 100 ms when an eviction listener is set, leaving the
/// rest for later: one run is not the end of the work.
pub fn until_settled<P: PartialEq>(
    max_runs: usize,
    progress: impl Fn() -> P,
    mut run: impl FnMut(),
) {
    for _ in 0..max_runs {
        let before = progress();
        run();
        if progress() == before {
            break;
        }
    }
}
