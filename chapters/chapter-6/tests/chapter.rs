//! Claims, snapshot, 1-vs-2-thread determinism and freshness of chapter 6, and its binary's
//! robustness (bad arguments, bad data, unwritable output, interrupted writes, divergence).
lab::chapter_tests!(chapter_6::Chapter6);

lab::binary_tests!("chapter-6");

/// Learning rate 10⁴: training diverges, and the run records it instead of panicking.
#[test]
fn a_diverging_run_is_recorded() {
    let mut cfg = chapter_6::Config::smoke();
    cfg.hyper.lr = 1e4;
    lab::robustness::assert_divergence_is_recorded::<chapter_6::Chapter6>(&cfg, |r| {
        // Percent; a diverged net predicts one class: chance, 10%, or NaN.
        r.baseline.mean().is_nan() || r.baseline.mean() < 20.0
    });
}
