//! Chapter 4: which activation function, and when.
//!
//! Six experiments, each in its own module:
//! 1. [`gallery`]: every activation and its derivative;
//! 2. [`cost`]: forward + backward throughput of each kernel, 1 and 2 threads;
//! 3. [`quality`]: a deep MLP on Fashion-MNIST with each hidden activation, several seeds;
//! 4. [`dying`]: dead units after training at a deliberately high learning rate;
//! 5. [`selu`]: self-normalisation through hundreds of layers;
//! 6. [`outputs`]: which output activation fits which target.
//!
//! [`nets`] holds the GLU network and the training loop they share.

pub mod artifacts;
pub mod cost;
pub mod dying;
pub mod gallery;
pub mod nets;
pub mod outputs;
pub mod quality;
pub mod selu;

use anyhow::Result;
use serde::{Deserialize, Serialize};

use book_pipeline::claim::{Claim, Scale, Threshold};
use book_pipeline::progress::Progress;
use lab::data::{FashionSubset, Splits, TestRows};
use lab::rng::derive_seed;
use lab::stats::{Interval, Paired, mean};
use lab::tune::Protocol;
use lab::{Activation, Recipe, SgdConfig};

use cost::{KernelCost, kernel_costs, relative_cost, relative_cost_in_cache};
use dying::{DyingConfig, DyingRun, dying};
use gallery::gallery;
use outputs::{OutputConfig, Outputs, outputs};
use quality::{QualityConfig, QualityRun, Stack, quality};
use selu::{SeluConfig, SeluRun, selu_sweep};

/// The chapter, as the book pipeline sees it.
pub struct Chapter4;

// ANCHOR: config
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Config {
    pub seed: u64,
    /// Experiment 2: f32 elements per kernel pass and timing repeats (median kept).
    pub cost_elements: usize,
    pub cost_repeats: usize,
    /// Experiments 3–4: Fashion-MNIST training subset (stratified) and test subset.
    pub train_samples: usize,
    pub test_samples: usize,
    pub quality: QualityConfig,
    pub dying: DyingConfig,
    pub selu: SeluConfig,
    pub outputs: OutputConfig,
}
// ANCHOR_END: config

impl Config {
    // ANCHOR: full
    pub fn full() -> Self {
        Config {
            seed: 1,
            cost_elements: 10_000_000,
            cost_repeats: 9,
            train_samples: 5_000,
            test_samples: 5_000,
            quality: QualityConfig {
                train_samples: 20_000,
                validation_samples: 5_000,
                width: 128,
                net: Stack {
                    depth: 8,
                    sgd: SgdConfig::momentum(0.01, 0.9),
                    epochs: 6,
                    batch: 128,
                },
                deeper: Stack {
                    depth: 24,
                    sgd: SgdConfig::momentum(0.01, 0.9),
                    epochs: 6,
                    batch: 128,
                },
                protocol: Protocol {
                    lr_grid: vec![0.003, 0.01, 0.03, 0.1],
                    tune_epochs: 1,
                    seeds: 5,
                },
                target_accuracy: 0.85,
            },
            dying: DyingConfig {
                net: Recipe::deep(8, 128, SgdConfig::momentum(0.05, 0.9), 2, 128),
                control_lr: 0.01,
                seeds: 10,
                probe: 1000,
            },
            selu: SeluConfig {
                depth: 1000,
                width: 100,
                batch: 500,
                seeds: 5,
                check_layer: 100,
            },
            outputs: OutputConfig {
                seeds: 5,
                reg_samples: 512,
                reg_epochs: 200,
                grid: 301,
                cls_samples: 5_000,
                cls_epochs: 10,
                batch: 64,
                lr: 0.01,
                momentum: 0.9,
                ece_bins: 15,
            },
        }
    }
    // ANCHOR_END: full
    pub fn quick() -> Self {
        let full = Self::full();
        Config {
            cost_elements: 1 << 17,
            cost_repeats: 3,
            train_samples: 1_000,
            test_samples: 500,
            quality: QualityConfig {
                train_samples: 1_000,
                validation_samples: 500,
                width: full.quality.width,
                net: Stack {
                    epochs: 3,
                    ..full.quality.net
                },
                deeper: Stack {
                    epochs: 1,
                    ..full.quality.deeper
                },
                // One rate: 24 steps on 1,000 images are too few to rank rates, and a rate
                // that happens to win one tuning epoch can stall a net for the rest.
                protocol: Protocol {
                    lr_grid: vec![0.01],
                    tune_epochs: 1,
                    seeds: 3,
                },
                target_accuracy: 0.6,
            },
            dying: DyingConfig {
                net: Recipe {
                    epochs: 1,
                    ..full.dying.net
                },
                control_lr: full.dying.control_lr,
                seeds: 5,
                probe: 500,
            },
            selu: SeluConfig {
                depth: 100,
                batch: 200,
                seeds: 3,
                check_layer: 30,
                ..full.selu
            },
            outputs: OutputConfig {
                seeds: 3,
                reg_samples: 256,
                reg_epochs: 40,
                grid: 61,
                cls_samples: 1_000,
                cls_epochs: 2,
                ..full.outputs
            },
            ..full
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Report {
    pub config: Config,
    pub gallery: Vec<gallery::Curve>,
    pub costs: Vec<KernelCost>,
    /// Every candidate on the 8-layer net, and the deeper net's candidates.
    pub quality: Vec<QualityRun>,
    pub quality_deeper: Vec<QualityRun>,
    pub dying: Vec<DyingRun>,
    pub selu: Vec<SeluRun>,
    pub outputs: Outputs,
}

pub fn run(cfg: &Config, progress: &Progress) -> Result<Report> {
    let Splits { train, test, .. } = FashionSubset::new(cfg.train_samples, cfg.seed)
        .with_test(TestRows::Stratified(cfg.test_samples, cfg.seed))
        .load()?;

    let gallery = gallery(161, 4.0);
    // Timed first and alone, before the training runs occupy the cores.
    let costs = kernel_costs(cfg.cost_elements, cfg.cost_repeats, cfg.seed);
    let q = &cfg.quality;
    let quality_splits = FashionSubset::new(q.train_samples, cfg.seed)
        .with_validation(q.validation_samples, derive_seed(cfg.seed, "validation"))
        .load()?;
    let (quality, quality_deeper) = quality(q, &quality_splits, cfg.seed, progress);
    let bar = progress.bar(3, "4–6 dying, SELU, outputs");
    let dying = dying(&cfg.dying, &train, &test, cfg.seed);
    bar.inc(1);
    let selu = selu_sweep(&cfg.selu, cfg.seed);
    bar.inc(1);
    let outputs = outputs(&cfg.outputs, &train, &test, cfg.seed);
    bar.finish();
    Ok(Report {
        config: cfg.clone(),
        gallery,
        costs,
        quality,
        quality_deeper,
        dying,
        selu,
        outputs,
    })
}

/// The quality run of the plain activation `act`.
pub fn find_quality(r: &Report, act: Activation) -> &QualityRun {
    r.quality
        .iter()
        .find(|q| q.hidden.activation() == Some(act))
        .expect("run")
}

// ANCHOR: thresholds
/// Costs relative to ReLU, forward + backward, 1 thread: an activation is "cheaper" than ReLU
/// when its 95% interval lies entirely below `CHEAPER`; leaky ReLU costs "little extra" when its
/// interval lies below `LEAKY_MAX`; GELU, Swish and Mish cost "≥ 2×" when theirs lie above
/// `SMOOTH_MIN`.
pub const CHEAPER: Threshold = Threshold::same(0.9);
pub const LEAKY_MAX: Threshold = Threshold::same(1.3);
pub const SMOOTH_MIN: Threshold = Threshold::same(2.0);
/// "Within a few points": the equivalence margin of each ReLU-family and smooth activation
/// against ReLU, in points of final test accuracy (90% interval of the paired difference).
pub const SAME_AS_RELU: Threshold = Threshold::same(3.0);
/// "No worse than ReLU" at the high learning rate: the non-inferiority margin of leaky ReLU
/// 0.01 against ReLU, in points of test accuracy (the lower end of the 95% interval of the
/// paired difference above −margin); the same few points as `SAME_AS_RELU`.
pub const NOT_WORSE_THAN_RELU: Threshold = Threshold::same(3.0);
/// Self-normalisation: averaged over the layers from the check layer on, |mean| below
/// `SELU_MEAN` and the std within `1 ± SELU_STD` (Klambauer et al.'s fixed point (0, 1)).
pub const SELU_MEAN: Threshold = Threshold::same(0.1);
pub const SELU_STD: Threshold = Threshold::same(0.1);
// ANCHOR_END: thresholds

/// Full runs under base seeds 1, 2 and 3 (the book's check of every verdict) decided the
/// leaky-ReLU claim differently: the lower end of its interval sits at the margin.
const LEAKY_AT_THE_MARGIN: &str = "base seeds 1, 2, 3 give ✗ (−0.4 points [−3.1, +2.3]), ✓ (+1.5 [−2.0, +5.0]), ✓ (+1.2 [−1.7, +4.0]): the interval's lower end sits at the margin";

/// The same for the linear output's negative predictions: "in every seed" fails on one seed of
/// fifteen.
const LINEAR_MOSTLY_NEGATIVE: &str = "base seeds 1, 2, 3 give ✓ (5/5), ✓ (5/5), ✗ (4/5): in one run of fifteen the linear fit stayed above zero";

/// Why the timing claims are decided on the full run only.
const TIMED_ON_A_BUSY_MACHINE: &str =
    "the quick run times 131 k elements while the other tests load both cores";

/// The ratio and its interval, e.g. `1.02× [0.98, 1.05]`.
fn ratio(x: (f64, Interval)) -> String {
    format!("{:.2}× {}", x.0, x.1.fmt(2))
}

pub fn claims(r: &Report, scale: Scale) -> Vec<Claim> {
    let cfg = &r.config;
    // 1. Cost, 1 thread.
    let rel = |a: Activation| relative_cost(&r.costs, a, 1);
    let others: Vec<(String, (f64, Interval))> = r
        .costs
        .iter()
        .filter(|c| c.activation != Activation::Relu)
        .map(|c| (c.activation.name(), rel(c.activation)))
        .collect();
    let cheapest = others
        .iter()
        .min_by(|a, b| a.1.0.total_cmp(&b.1.0))
        .expect("activations");
    let cheaper: Vec<&str> = others
        .iter()
        .filter(|o| o.1.1.below(CHEAPER.at(scale)))
        .map(|o| o.0.as_str())
        .collect();
    let leaky = [
        rel(Activation::LeakyRelu { alpha: 0.01 }),
        rel(Activation::LeakyRelu { alpha: 0.2 }),
    ];
    let leaky_ok = leaky.iter().all(|l| l.1.below(LEAKY_MAX.at(scale)));
    let smooth: Vec<(String, (f64, Interval))> =
        [Activation::Gelu, Activation::Swish, Activation::Mish]
            .iter()
            .map(|&a| (a.name(), rel(a)))
            .collect();
    let smooth_ok = smooth.iter().all(|s| s.1.1.above(SMOOTH_MIN.at(scale)));

    // 3. Quality, paired by seed (every activation trains on the same batches).
    let sigmoid = find_quality(r, Activation::Sigmoid);
    let slowest: Vec<(String, Paired)> = r
        .quality
        .iter()
        .filter(|q| q.hidden != sigmoid.hidden)
        .map(|q| {
            (
                q.hidden.name(),
                Paired::new(&q.area_points(), &sigmoid.area_points()),
            )
        })
        .collect();
    let closest = slowest
        .iter()
        .min_by(|a, b| a.1.ci95().lo.total_cmp(&b.1.ci95().lo))
        .expect("runs");
    let seeds_q = sigmoid.curves.len();
    let sigmoid_lowest = (0..seeds_q)
        .filter(|&s| slowest.iter().all(|(_, p)| p.diffs[s] > 0.0))
        .count();
    let margin = SAME_AS_RELU.at(scale);
    let relu = find_quality(r, Activation::Relu);
    let same: Vec<(String, lab::stats::Equivalence)> = r
        .quality
        .iter()
        .filter(|q| q.hidden.is_modern() && q.hidden != relu.hidden)
        .map(|q| {
            let p = Paired::new(&q.final_points(), &relu.final_points());
            (q.hidden.name(), p.equivalence(margin))
        })
        .collect();
    let equivalent = same.iter().filter(|s| s.1.equivalent).count();
    let reach = |e: &lab::stats::Equivalence| e.ci90.lo.abs().max(e.ci90.hi.abs());
    let widest = same
        .iter()
        .max_by(|a, b| reach(&a.1).total_cmp(&reach(&b.1)))
        .expect("runs");

    // 3b. Depth: each smooth activation's advantage over ReLU on the deeper net minus the same
    // on the shallower, seed by seed.
    let relu_deep = r
        .quality_deeper
        .iter()
        .find(|q| q.hidden.activation() == Some(Activation::Relu))
        .expect("ReLU on the deeper net");
    let deeper_gain: Vec<(String, Paired, Paired)> = r
        .quality_deeper
        .iter()
        .filter(|q| q.hidden != relu_deep.hidden)
        .map(|q| {
            let at_deep = Paired::new(&q.final_points(), &relu_deep.final_points());
            let shallow = r
                .quality
                .iter()
                .find(|s| s.hidden == q.hidden)
                .expect("every deeper candidate also ran on the shallower net");
            let at_shallow = Paired::new(&shallow.final_points(), &relu.final_points());
            let gain = Paired::new(&at_deep.diffs, &at_shallow.diffs);
            (q.hidden.name(), at_deep, gain)
        })
        .collect();

    // 4. Dying: ReLU units that die at the high rate against the same nets at the control rate,
    // paired by seed; then leaky ReLU against ReLU at the high rate.
    let dying_run = |a: Activation| {
        r.dying
            .iter()
            .find(|d| d.activation == a)
            .expect("activation run")
    };
    let relu_d = dying_run(Activation::Relu);
    let died = |ts: &[dying::Trained]| -> Vec<f64> { ts.iter().map(|t| t.died as f64).collect() };
    let more = Paired::new(&died(&relu_d.trained), &died(&relu_d.control));
    let more_ci = more.ci95();
    let relu_diverged = relu_d.diverged() + relu_d.control.iter().filter(|t| t.diverged).count();
    let dead_at_init: Vec<f64> = relu_d
        .at_init
        .iter()
        .map(|c| c.dead_total() as f64)
        .collect();
    let leaky_d = dying_run(Activation::LeakyRelu { alpha: 0.01 });
    let points =
        |ts: &[dying::Trained]| -> Vec<f64> { ts.iter().map(|t| 100.0 * t.accuracy).collect() };
    let leaky_vs = Paired::new(&points(&leaky_d.trained), &points(&relu_d.trained));
    let leaky_ci = leaky_vs.ci95();
    let not_worse = NOT_WORSE_THAN_RELU.at(scale);
    let diverged_list = r
        .dying
        .iter()
        .map(|d| format!("{} {}", d.activation.name(), d.diverged()))
        .collect::<Vec<_>>()
        .join(", ");

    // 5. SELU, seed by seed, averaged over the layers where it has settled.
    let selu = &r.selu[0];
    let (m_max, s_dev) = (SELU_MEAN.at(scale), SELU_STD.at(scale));
    let settled_ok = |&(m, s): &(f64, f64)| m.abs() < m_max && (s - 1.0).abs() <= s_dev;
    let selu_seeds = selu.settled.iter().filter(|x| settled_ok(x)).count();
    let fmt_pairs = |v: &[(f64, f64)]| {
        v.iter()
            .map(|(m, s)| format!("({m:+.3}, {s:.3})"))
            .collect::<Vec<_>>()
            .join(", ")
    };

    // 6. A linear output on the positive task.
    let linear_neg: Vec<f64> = r
        .outputs
        .seeds
        .iter()
        .map(|s| s.positive[0].outside)
        .collect();
    let linear_min = r
        .outputs
        .seeds
        .iter()
        .map(|s| s.positive[0].extreme)
        .fold(f64::INFINITY, f64::min);
    let negative_seeds = linear_neg.iter().filter(|&&x| x > 0.0).count();

    vec![
        Claim::new(format!(
            "ReLU is the cheapest non-linearity per element (none more than {:.0}% cheaper); leaky ReLU costs ≤ {}× ReLU",
            100.0 * (1.0 - CHEAPER.at(scale)),
            LEAKY_MAX.at(scale)
        ))
        .rule(format!(
            "time / ReLU's time, forward + backward, 1 thread, median over {} interleaved rounds: no activation's 95% CI below {}; both leaky ReLUs' CIs below {}",
            cfg.cost_repeats,
            CHEAPER.at(scale),
            LEAKY_MAX.at(scale)
        ))
        .measured(format!(
            "cheapest other: {} {}; leaky ReLU 0.01 {}, 0.2 {}{}",
            cheapest.0,
            ratio(cheapest.1),
            ratio(leaky[0]),
            ratio(leaky[1]),
            if cheaper.is_empty() {
                String::new()
            } else {
                format!("; cheaper than ReLU: {}", cheaper.join(", "))
            }
        ))
        .interval(cheapest.1.1)
        .holds(cheaper.is_empty() && leaky_ok)
        .full_run_only(TIMED_ON_A_BUSY_MACHINE)
        .literature("ReLU fast; leaky variants at little extra cost", "HOML ch. 11, answer 4"),
        Claim::new(format!("GELU, Swish and Mish cost ≥ {}× ReLU", SMOOTH_MIN.at(scale)))
            .rule(format!(
                "each one's cost ratio (as above): 95% CI above {}",
                SMOOTH_MIN.at(scale)
            ))
            .measured(format!(
                "{}; in cache (arithmetic alone): {}",
                smooth
                    .iter()
                    .map(|(n, c)| format!("{n} {}", ratio(*c)))
                    .collect::<Vec<_>>()
                    .join(", "),
                [Activation::Gelu, Activation::Swish, Activation::Mish]
                    .iter()
                    .map(|&a| {
                        let (m, ci) = relative_cost_in_cache(&r.costs, a);
                        format!("{} {m:.2}× {}", a.name(), ci.fmt(2))
                    })
                    .collect::<Vec<_>>()
                    .join(", "),
            ))
            .holds(smooth_ok)
            .full_run_only(TIMED_ON_A_BUSY_MACHINE)
            .literature("better for large models, at a computational cost", "HOML ch. 11, answer 4"),
        Claim::new(format!(
            "Sigmoid hidden layers learn slowest in the {}×{} net",
            cfg.quality.net.depth, cfg.quality.width
        ))
        .rule(format!(
            "for every other activation, each at its own rate, (other − sigmoid) validation accuracy averaged over epochs 1–{}, paired by seed: 95% CI above 0",
            cfg.quality.net.epochs
        ))
        .measured(format!(
            "sigmoid {:.1}%; closest: {} {:+.1} points, 95% CI {}",
            mean(&sigmoid.area_points()),
            closest.0,
            closest.1.mean(),
            closest.1.ci95().fmt_signed(1)
        ))
        .interval(closest.1.ci95())
        .seeds(sigmoid_lowest, seeds_q)
        .holds(slowest.iter().all(|(_, p)| p.ci95().above(0.0)))
        .literature("rectifiers beat sigmoidal nets (−2% WER abs.)", "Maas et al. 2013"),
        Claim::new(format!(
            "The ReLU family and the smooth variants end within {margin} points of ReLU"
        ))
        .rule(format!(
            "for each of the {} others, each at its own rate, (activation − ReLU) final test accuracy, paired by seed: 90% CI inside ±{margin} points (two one-sided tests, α = 0.05)",
            same.len()
        ))
        .measured(format!(
            "{equivalent} of {} equivalent; widest 90% CI: {} {} points ({} seeds)",
            same.len(),
            widest.0,
            widest.1.ci90.fmt_signed(1),
            seeds_q
        ))
        .interval(widest.1.ci90)
        .holds(equivalent == same.len())
        .full_run_only(
            "3 quick epochs on 1,000 images leave the nets far from their final accuracy",
        )
        .literature("GELU 7.89, ReLU 8.16, ELU 8.41% CIFAR-10 error (median)", "Hendrycks & Gimpel 2016"),
        Claim::new(format!(
            "GELU, Swish and Mish gain on ReLU with depth ({} → {} layers)",
            cfg.quality.net.depth,
            cfg.quality.deeper.depth
        ))
        .rule("for each, per seed: (activation − ReLU) final test accuracy on the deeper net minus the same on the shallower, each net at its own rate: 95% CI above 0")
        .measured(
            deeper_gain
                .iter()
                .map(|(name, at_deep, gain)| {
                    format!(
                        "{name}: {:+.2} points on the deeper net, gain {:+.2} {}",
                        at_deep.mean(),
                        gain.mean(),
                        gain.ci95().fmt_signed(2)
                    )
                })
                .collect::<Vec<_>>()
                .join("; ")
                + &format!(" ({seeds_q} seeds)"),
        )
        .interval(
            deeper_gain
                .iter()
                .map(|g| g.2.ci95())
                .min_by(|a, b| a.lo.total_cmp(&b.lo))
                .unwrap_or(Interval::UNKNOWN),
        )
        .holds(deeper_gain.iter().all(|g| g.2.ci95().above(0.0)))
        .full_run_only("the quick run trains the deeper net one epoch on 1,000 images")
        .literature(
            "Swish's gains over ReLU come mainly in deeper models",
            "Ramachandran et al. 2017",
        ),
        Claim::new(format!(
            "At lr = {}, more ReLU units die during training than at lr = {}",
            cfg.dying.net.sgd.lr, cfg.dying.control_lr
        ))
        .rule("units alive at initialisation and dead after training, high − control rate (same weights, same batches), paired by seed: 95% CI above 0, and no ReLU run diverged")
        .measured(format!(
            "{:+.1} units, 95% CI {} (of {}, after {} epoch(s)); died: {:.1} at the high rate, {:.1} at the control rate; {:.1} dead already at initialisation",
            more.mean(),
            more_ci.fmt_signed(1),
            relu_d.hidden_units,
            cfg.dying.net.epochs,
            mean(&died(&relu_d.trained)),
            mean(&died(&relu_d.control)),
            mean(&dead_at_init),
        ))
        .interval(more_ci)
        .seeds(more.count_above(0.0), more.n())
        .holds(more_ci.above(0.0) && relu_diverged == 0)
        .full_run_only("one quick epoch on 1,000 images kills units in some seeds, not all")
        .literature("deep ReLU nets die in probability as depth grows", "Lu et al. 2019"),
        Claim::new(format!(
            "At lr = {}, leaky ReLU 0.01, which cannot die, trains no worse than ReLU (within {not_worse} points)",
            cfg.dying.net.sgd.lr
        ))
        .rule(format!(
            "(leaky ReLU 0.01 − ReLU) test accuracy at the high rate, paired by seed (a diverged run scores NaN and fails the claim): 95% CI above −{not_worse} points"
        ))
        .measured(format!(
            "{:+.1} points, 95% CI {}; runs diverged at the high rate: {diverged_list} (of {} each)",
            leaky_vs.mean(),
            leaky_ci.fmt_signed(1),
            relu_d.trained.len(),
        ))
        .interval(leaky_ci)
        .seeds(leaky_vs.count_above(-not_worse), leaky_vs.n())
        .holds(leaky_ci.above(-not_worse))
        .inside_noise(LEAKY_AT_THE_MARGIN)
        .full_run_only("one quick epoch on 1,000 images: accuracies far from trained, spread of many points")
        .literature("leaky ReLUs never die; they outperform ReLU", "HOML ch. 11; Xu et al. 2015"),
        Claim::new(format!(
            "SELU + LeCun settles at mean 0, std 1: averaged over layers {}–{}, |mean| < {m_max} and std within 1 ± {s_dev}",
            cfg.selu.check_layer, cfg.selu.depth
        ))
        .rule(format!(
            "in every seed, the mean and the std of the activations averaged over layers {}–{}",
            cfg.selu.check_layer, cfg.selu.depth
        ))
        .measured(format!(
            "(mean, std) per seed: {}; at layer {}: {}",
            fmt_pairs(&selu.settled),
            cfg.selu.depth,
            fmt_pairs(&selu.at_last)
        ))
        .seeds(selu_seeds, selu.settled.len())
        .holds(selu_seeds == selu.settled.len())
        .literature("attracting fixed point (0, 1)", "Klambauer et al. 2017, Thm. 1"),
        Claim::new(
            "On the positive-target task, a linear output predicts negative values (which a softplus output cannot)",
        )
        .rule("share of negative predictions on the test grid > 0 in every seed")
        .measured(format!(
            "share per seed: {}; lowest linear prediction {:.3}",
            linear_neg
                .iter()
                .map(|x| format!("{:.1}%", 100.0 * x))
                .collect::<Vec<_>>()
                .join(", "),
            linear_min
        ))
        .seeds(negative_seeds, linear_neg.len())
        .holds(negative_seeds == linear_neg.len())
        .inside_noise(LINEAR_MOSTLY_NEGATIVE)
        .literature("softplus for outputs that must be positive", "HOML ch. 11, answer 4"),
    ]
}

book_pipeline::impl_chapter!(
    Chapter4,
    "chapter-4",
    "Which activation function, and when?"
);
