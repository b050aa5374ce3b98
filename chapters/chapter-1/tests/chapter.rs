//! Chapter 1's claims (quick run, and the committed Verdict recomputed from its data), snapshot,
//! 1-vs-2-thread determinism, freshness, and that a diverging run is recorded. The binary's
//! robustness (bad arguments, bad data, unwritable output) is tested once, in `test-kit`.
test_kit::chapter_tests!(chapter_1::Chapter1);

/// Learning rate 10⁴: training diverges, and the run records it instead of panicking.
#[test]
fn a_diverging_run_is_recorded() {
    let mut cfg = chapter_1::Config::quick();
    cfg.protocol.lr_grid = vec![1e4];
    cfg.very_deep.sgd.lr = 1e4;
    test_kit::checks::assert_divergence_is_recorded::<chapter_1::Chapter1>(&cfg, |r| {
        r.deep
            .iter()
            .flat_map(|c| &c.runs)
            .any(|t| t.history.diverged.is_some())
    });
}
