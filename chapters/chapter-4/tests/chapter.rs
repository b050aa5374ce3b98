//! Claims, snapshot, 1-vs-2-thread determinism and freshness of chapter 4, and its binary's
//! robustness (bad arguments, bad data, unwritable output, interrupted writes, divergence).
lab::chapter_tests!(chapter_4::Chapter4);

lab::binary_tests!("chapter-4");

/// Learning rate 10⁴: training diverges, and the run records it instead of panicking.
#[test]
fn a_diverging_run_is_recorded() {
    let mut cfg = chapter_4::Config::smoke();
    cfg.quality.lr = 1e4;
    cfg.dying.lr = 1e4;
    cfg.outputs.lr = 1e4;
    lab::robustness::assert_divergence_is_recorded::<chapter_4::Chapter4>(&cfg, |r| {
        r.dying.iter().any(|d| d.diverged.iter().any(|&x| x))
    });
}
