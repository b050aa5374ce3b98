//! Claims, snapshot, 1-vs-2-thread determinism and freshness of chapter 2, and its binary's
//! robustness (bad arguments, bad data, unwritable output, interrupted writes, divergence).
lab::chapter_tests!(chapter_2::Chapter2);

lab::binary_tests!("chapter-2");

/// Learning rate 10⁴: training diverges, and the run records it instead of panicking.
#[test]
fn a_diverging_run_is_recorded() {
    let mut cfg = chapter_2::Config::smoke();
    cfg.training.lr = 1e4;
    lab::robustness::assert_divergence_is_recorded::<chapter_2::Chapter2>(&cfg, |r| {
        r.random.iter().any(|t| t.history.diverged.is_some())
    });
}
