//! Chapter 2's claims (quick run, and the committed Verdict recomputed from its data), snapshot,
//! 1-vs-2-thread determinism, freshness, and that a diverging run is recorded. The binary's
//! robustness (bad arguments, bad data, unwritable output) is tested once, in `test-kit`.
test_kit::chapter_tests!(chapter_2::Chapter2);

/// Learning rate 10⁴: training diverges, and the run records it instead of panicking.
#[test]
fn a_diverging_run_is_recorded() {
    let mut cfg = chapter_2::Config::quick();
    cfg.net.sgd.lr = 1e4;
    test_kit::checks::assert_divergence_is_recorded::<chapter_2::Chapter2>(&cfg, |r| {
        r.random.iter().any(|t| t.history.diverged.is_some())
    });
}

/// All-zero weights with ReLU: no gradient ever reaches a weight, and the loss stays at ln 10.
/// An identity of the derivation on the page (every weight gradient has a zero factor), so a
/// test of the code rather than a claim of the Verdict.
#[test]
fn all_zero_weights_get_no_gradient_and_the_loss_stays_at_ln_10() {
    let z = &quick_report().zeros;
    assert!(z.steps > 0);
    assert!(
        z.max_abs_weight_grad.iter().all(|&g| g == 0.0),
        "weight gradients {:?}",
        z.max_abs_weight_grad
    );
    assert_eq!(z.max_abs_weight_after, 0.0, "the weights never leave 0");
    // The output biases learn the class frequencies of each batch, which the stratified
    // training set keeps near uniform: the loss moves by less than 0.01 nats.
    let ln10 = 10f64.ln();
    for l in &z.epoch_loss {
        assert!((l - ln10).abs() < 0.01, "epoch loss {l}");
    }
}
