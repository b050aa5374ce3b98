//! Chapter 5's claims (quick run, and the committed Verdict recomputed from its data), snapshot,
//! 1-vs-2-thread determinism, freshness, and that a diverging run is recorded. The binary's
//! robustness (bad arguments, bad data, unwritable output) is tested once, in `test-kit`.
test_kit::chapter_tests!(chapter_5::Chapter5);

/// Learning rate 10⁴: training diverges, and the run records it instead of panicking.
#[test]
fn a_diverging_run_is_recorded() {
    let mut cfg = chapter_5::Config::quick();
    cfg.net.sgd.lr = 1e4;
    cfg.effective_lr = 1e4;
    test_kit::checks::assert_divergence_is_recorded::<chapter_5::Chapter5>(&cfg, |r| {
        r.mlp.iter().any(|m| m.diverged_at.is_some())
    });
}
