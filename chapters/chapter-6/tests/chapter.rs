//! Chapter 6's claims (quick run, and the committed Verdict recomputed from its data), snapshot,
//! 1-vs-2-thread determinism, freshness, and that a diverging run is recorded. The binary's
//! robustness (bad arguments, bad data, unwritable output) is tested once, in `test-kit`.
test_kit::chapter_tests!(chapter_6::Chapter6);

/// Learning rate 10⁴: training diverges, and the run records it instead of panicking.
#[test]
fn a_diverging_run_is_recorded() {
    let mut cfg = chapter_6::Config::quick();
    cfg.net.sgd.lr = 1e4;
    test_kit::checks::assert_divergence_is_recorded::<chapter_6::Chapter6>(&cfg, |r| {
        // Percent; a diverged net predicts one class: chance, 10%, or NaN.
        r.baseline.mean().is_nan() || r.baseline.mean() < 20.0
    });
}

/// The gradual schedule ends with exactly `round(s_f · n)` zeros, every seed: in every layer for
/// per-layer masks, over the network for global ones (the bookkeeping of `PolynomialDecay` and
/// the masks: Zhu & Gupta's schedule hits its target).
#[test]
fn gradual_pruning_hits_its_final_sparsity_exactly() {
    let r = quick_report();
    for scope in [
        chapter_6::prune::Scope::Global,
        chapter_6::prune::Scope::PerLayer,
    ] {
        assert!(r.gradual.iter().any(|g| g.scope == scope));
    }
    for g in &r.gradual {
        for zeros in &g.zeros {
            match g.scope {
                chapter_6::prune::Scope::PerLayer => {
                    assert_eq!(zeros, &g.expected_zeros, "at {}", g.sparsity)
                }
                chapter_6::prune::Scope::Global => assert_eq!(
                    vec![zeros.iter().sum::<usize>()],
                    g.expected_zeros,
                    "at {}",
                    g.sparsity
                ),
            }
        }
    }
}
