//! Wall-clock measurement, for the timings the chapters and the benchmarks report (never
//! snapshotted, never compared for equality: see [`lab::stats::paired_ratio`] for how two are
//! compared).

use std::time::Instant;

/// Seconds taken by `f`.
pub fn seconds(f: impl FnOnce()) -> f64 {
    let start = Instant::now();
    f();
    start.elapsed().as_secs_f64()
}
