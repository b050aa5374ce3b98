//! Chapter 7's claims (quick run, and the committed Verdict recomputed from its data), snapshot,
//! 1-vs-2-thread determinism, freshness, and that a diverging run is recorded. The binary's
//! robustness (bad arguments, bad data, unwritable output) is tested once, in `test-kit`.
test_kit::chapter_tests!(chapter_7::Chapter7);

/// Learning rate 10⁴: training diverges, and the run records it instead of panicking.
#[test]
fn a_diverging_run_is_recorded() {
    let mut cfg = chapter_7::Config::quick();
    cfg.net.sgd.lr = 1e4;
    test_kit::checks::assert_divergence_is_recorded::<chapter_7::Chapter7>(&cfg, |r| {
        r.runs.iter().any(|t| t.history.diverged.is_some())
    });
}

/// In evaluation mode a net trained with dropout is a plain net: the same weights give the same
/// outputs, bit for bit, whatever the rate it was built with. (So its inference costs what the
/// plain net's does; chapter 7 times both only to show it.)
#[test]
fn evaluation_mode_ignores_dropout() {
    let cfg = chapter_7::Config::quick();
    let data = lab::data::spirals(200, 3, 0.05, 1);
    let net = lab::Recipe {
        hidden: vec![16, 16],
        ..cfg.net
    };
    let dropped = chapter_7::training::init(&net, &data, 0.5, 4);
    let mut plain = chapter_7::training::init(&net, &data, 0.0, 4);
    for (p, d) in plain.layers.iter_mut().zip(&dropped.layers) {
        p.w.assign(&d.w);
        p.b.assign(&d.b);
    }
    assert_eq!(dropped.forward(data.x.view()), plain.forward(data.x.view()));
}
