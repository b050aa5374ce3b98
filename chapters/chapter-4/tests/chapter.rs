//! Chapter 4's claims (quick run, and the committed Verdict recomputed from its data), snapshot,
//! 1-vs-2-thread determinism, freshness, and that a diverging run is recorded. The binary's
//! robustness (bad arguments, bad data, unwritable output) is tested once, in `test-kit`.
test_kit::chapter_tests!(chapter_4::Chapter4);

/// Learning rate 10⁴: training diverges, and the run records it instead of panicking.
#[test]
fn a_diverging_run_is_recorded() {
    let mut cfg = chapter_4::Config::quick();
    cfg.quality.protocol.lr_grid = vec![1e4];
    cfg.dying.net.sgd.lr = 1e4;
    cfg.outputs.lr = 1e4;
    test_kit::checks::assert_divergence_is_recorded::<chapter_4::Chapter4>(&cfg, |r| {
        r.dying.iter().any(|d| d.diverged() > 0)
            && r.quality
                .iter()
                .any(|q| q.curves.iter().any(|c| c.diverged.is_some()))
    });
}
