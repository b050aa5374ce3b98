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
use serde::Serialize;

use lab::chapter::Claim;
use lab::data::{Standardizer, fashion_mnist};
use lab::progress::Progress;

use cost::{KernelCost, kernel_costs, relative_cost};
use dying::{DyingConfig, DyingRun, dying};
use gallery::gallery;
use outputs::{OutputConfig, Outputs, outputs};
use quality::{QualityConfig, QualityRun, modern, quality};
use selu::{SeluConfig, SeluRun, selu_sweep};

/// The chapter, as the book pipeline sees it.
pub struct Chapter4;

// ANCHOR: config
#[derive(Clone, Debug, Serialize)]
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
    /// Claim bounds. Costs relative to ReLU (1 thread): leaky ReLU at most `leaky_cost_max`,
    /// GELU/Swish/Mish at least `smooth_cost_min`, and no non-linearity cheaper than ReLU by
    /// more than `cheapest_slack` (timing noise). The full run uses the 1.3× and 2×; the
    /// smoke run times 131 k elements on a loaded machine and has generous bounds.
    pub leaky_cost_max: f64,
    pub smooth_cost_min: f64,
    pub cheapest_slack: f64,
    /// The ReLU family and smooth variants end within this many accuracy points (mean over
    /// seeds): 3 on the full run ("a few points"); the smoke run trains for seconds and is
    /// allowed 15.
    pub spread_points: f64,
}
// ANCHOR_END: config

impl Config {
    // ANCHOR: full
    pub fn full() -> Self {
        Config {
            seed: 4,
            cost_elements: 10_000_000,
            cost_repeats: 3,
            train_samples: 5_000,
            test_samples: 5_000,
            quality: QualityConfig {
                depth: 8,
                width: 128,
                epochs: 8,
                batch: 128,
                lr: 0.01,
                momentum: 0.9,
                seeds: 3,
                target_accuracy: 0.8,
            },
            dying: DyingConfig {
                depth: 8,
                width: 128,
                epochs: 2,
                batch: 128,
                lr: 0.05,
                momentum: 0.9,
                seeds: 3,
                probe: 1000,
            },
            selu: SeluConfig {
                depth: 1000,
                width: 100,
                batch: 500,
                seeds: 3,
                check_layer: 100,
            },
            outputs: OutputConfig {
                seeds: 3,
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
            leaky_cost_max: 1.3,
            smooth_cost_min: 2.0,
            cheapest_slack: 0.1,
            spread_points: 3.0,
        }
    }
    // ANCHOR_END: full
    pub fn smoke() -> Self {
        let full = Self::full();
        Config {
            cost_elements: 1 << 17,
            cost_repeats: 3,
            train_samples: 1_000,
            test_samples: 500,
            quality: QualityConfig {
                epochs: 3,
                seeds: 2,
                target_accuracy: 0.6,
                ..full.quality
            },
            dying: DyingConfig {
                epochs: 1,
                seeds: 2,
                probe: 500,
                ..full.dying
            },
            selu: SeluConfig {
                depth: 100,
                batch: 200,
                seeds: 2,
                ..full.selu
            },
            outputs: OutputConfig {
                seeds: 2,
                reg_samples: 256,
                reg_epochs: 40,
                grid: 61,
                cls_samples: 1_000,
                cls_epochs: 2,
                ..full.outputs
            },
            leaky_cost_max: 20.0,
            smooth_cost_min: 1.5,
            cheapest_slack: 0.5,
            spread_points: 20.0,
            ..full
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub config: Config,
    pub gallery: Vec<gallery::Curve>,
    pub costs: Vec<KernelCost>,
    pub quality: Vec<QualityRun>,
    pub dying: Vec<DyingRun>,
    pub selu: Vec<SeluRun>,
    pub outputs: Outputs,
}

pub fn run(cfg: &Config, progress: &Progress) -> Result<Report> {
    let data = fashion_mnist()?;
    let mut train = data.train.stratified_subset(cfg.train_samples, cfg.seed);
    let mut test = data.test.stratified_subset(cfg.test_samples, cfg.seed);
    let scaler = Standardizer::fit(&train);
    scaler.apply(&mut train);
    scaler.apply(&mut test);

    let gallery = gallery(161, 4.0);
    // Timed first and alone, before the training runs occupy the cores.
    let costs = kernel_costs(cfg.cost_elements, cfg.cost_repeats, cfg.seed);
    let quality = quality(&cfg.quality, &train, &test, cfg.seed, progress);
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
        dying,
        selu,
        outputs,
    })
}

/// The quality run called `name`.
pub fn find_quality<'a>(r: &'a Report, name: &str) -> &'a QualityRun {
    r.quality.iter().find(|q| q.name == name).expect("run")
}

pub fn claims(r: &Report) -> Vec<Claim> {
    let cfg = &r.config;
    // 1. Cost, 1 thread.
    let rel = |n: &str| relative_cost(&r.costs, n, 1);
    let others: Vec<(String, f64)> = r
        .costs
        .iter()
        .filter(|c| c.activation != "ReLU")
        .map(|c| (c.activation.clone(), rel(&c.activation)))
        .collect();
    let cheapest_other = others
        .iter()
        .cloned()
        .fold(("".to_string(), f64::INFINITY), |a, b| {
            if b.1 < a.1 { b } else { a }
        });
    let leaky = rel("leaky ReLU 0.01").max(rel("leaky ReLU 0.2"));
    let smooth: Vec<(&str, f64)> = ["GELU", "Swish", "Mish"]
        .iter()
        .map(|&n| (n, rel(n)))
        .collect();
    let smooth_min = smooth.iter().map(|s| s.1).fold(f64::INFINITY, f64::min);

    // 3. Quality.
    let slowest = r
        .quality
        .iter()
        .min_by(|a, b| a.mean_over_epochs.total_cmp(&b.mean_over_epochs))
        .expect("runs");
    let sigmoid = find_quality(r, "sigmoid");
    let next = r
        .quality
        .iter()
        .filter(|q| q.name != "sigmoid")
        .map(|q| q.mean_over_epochs)
        .fold(f64::INFINITY, f64::min);
    let modern_runs: Vec<&QualityRun> = r.quality.iter().filter(|q| modern(&q.name)).collect();
    let best = modern_runs
        .iter()
        .max_by(|a, b| a.final_mean.total_cmp(&b.final_mean))
        .expect("runs");
    let worst = modern_runs
        .iter()
        .min_by(|a, b| a.final_mean.total_cmp(&b.final_mean))
        .expect("runs");
    let spread = 100.0 * (best.final_mean - worst.final_mean);

    // 4. Dying.
    let find_dying = |n: &str| r.dying.iter().find(|d| d.activation == n).expect("run");
    let relu = find_dying("ReLU");
    let relu_dead: Vec<usize> = relu.trained.iter().map(|c| c.dead_total()).collect();
    // Counts on a run that diverged describe a broken network: leave those runs out.
    let leaky_runs: Vec<(usize, bool)> = r
        .dying
        .iter()
        .filter(|d| d.activation.starts_with("leaky"))
        .flat_map(|d| {
            d.trained
                .iter()
                .map(|c| c.dead_total())
                .zip(d.diverged.iter().copied())
        })
        .collect();
    let leaky_dead: Vec<usize> = leaky_runs.iter().filter(|r| !r.1).map(|r| r.0).collect();
    let leaky_diverged = leaky_runs.len() - leaky_dead.len();
    let dying_holds = relu_dead.iter().all(|&d| d > 0)
        && !leaky_dead.is_empty()
        && leaky_dead.iter().all(|&d| d == 0)
        && !relu.diverged.iter().any(|&d| d);

    // 5. SELU.
    let selu = &r.selu[0];
    let selu_ok = selu
        .at_check
        .iter()
        .all(|&(m, s)| m.abs() < 0.1 && (0.9..=1.1).contains(&s));
    let fmt_pairs = |v: &[(f64, f64)]| {
        v.iter()
            .map(|(m, s)| format!("({m:+.3}, {s:.3})"))
            .collect::<Vec<_>>()
            .join(", ")
    };

    // 6. Positive outputs.
    let neg = |i: usize| -> Vec<f64> {
        r.outputs
            .seeds
            .iter()
            .map(|s| s.positive[i].outside)
            .collect()
    };
    let (linear_neg, softplus_neg) = (neg(0), neg(1));
    let softplus_min = r
        .outputs
        .seeds
        .iter()
        .map(|s| s.positive[1].extreme)
        .fold(f64::INFINITY, f64::min);
    let pct = |v: &[f64]| {
        v.iter()
            .map(|x| format!("{:.1}%", 100.0 * x))
            .collect::<Vec<_>>()
            .join(", ")
    };

    vec![
        Claim::new(
            format!(
                "ReLU is the cheapest non-linearity per element (none more than {:.0}% cheaper); leaky ReLU costs ≤ {}× ReLU",
                100.0 * cfg.cheapest_slack,
                cfg.leaky_cost_max
            ),
            format!(
                "forward+backward time, 1 thread, {} elements: cheapest other {} at {:.2}× ReLU; leaky ReLU ≤ {:.2}×",
                r.costs[0].elements, cheapest_other.0, cheapest_other.1, leaky
            ),
            cheapest_other.1 >= 1.0 - cfg.cheapest_slack && leaky <= cfg.leaky_cost_max,
        )
        .literature("ReLU fast; leaky variants at little extra cost", "HOML ch. 11, answer 4"),
        Claim::new(
            format!("GELU, Swish and Mish cost ≥ {}× ReLU", cfg.smooth_cost_min),
            smooth
                .iter()
                .map(|(n, c)| format!("{n} {c:.2}×"))
                .collect::<Vec<_>>()
                .join(", "),
            smooth_min >= cfg.smooth_cost_min,
        )
        .literature("better for large models, at a computational cost", "HOML ch. 11, answer 4"),
        Claim::new(
            format!(
                "Sigmoid hidden layers learn slowest in the {}×{} net",
                cfg.quality.depth, cfg.quality.width
            ),
            format!(
                "test accuracy averaged over epochs 1–{}: sigmoid {:.1}%, next lowest {:.1}% (slowest: {})",
                cfg.quality.epochs,
                100.0 * sigmoid.mean_over_epochs,
                100.0 * next,
                slowest.name
            ),
            slowest.name == "sigmoid",
        )
        .literature("rectifiers beat sigmoidal nets (−2% WER abs.)", "Maas et al. 2013"),
        Claim::new(
            format!(
                "The ReLU family and the smooth variants end within {} points of each other",
                cfg.spread_points
            ),
            format!(
                "final test accuracy, mean of {} seeds: best {} {:.1}%, worst {} {:.1}%: spread {spread:.1} points",
                cfg.quality.seeds,
                best.name,
                100.0 * best.final_mean,
                worst.name,
                100.0 * worst.final_mean
            ),
            spread <= cfg.spread_points,
        )
        .literature("GELU 7.89, ReLU 8.16, ELU 8.41% CIFAR-10 error (median)", "Hendrycks & Gimpel 2016"),
        Claim::new(
            format!("At lr = {} ReLU leaves dead units; leaky ReLU leaves none", cfg.dying.lr),
            format!(
                "dead units of {} after {} epoch(s), per run: ReLU {:?}, leaky ReLU (0.01 and 0.2) {:?} \
                 ({leaky_diverged} diverged leaky runs left out)",
                relu.hidden_units, cfg.dying.epochs, relu_dead, leaky_dead
            ),
            dying_holds,
        )
        .literature("deep ReLU nets die in probability as depth grows", "Lu et al. 2019"),
        Claim::new(
            format!(
                "SELU + LeCun keeps |mean| < 0.1 and std in [0.9, 1.1] at layer {}",
                cfg.selu.check_layer
            ),
            format!(
                "(mean, std) per seed at layer {}: {}; at layer {}: {}",
                cfg.selu.check_layer,
                fmt_pairs(&selu.at_check),
                cfg.selu.depth,
                fmt_pairs(&selu.at_last)
            ),
            selu_ok,
        )
        .literature("attracting fixed point (0, 1)", "Klambauer et al. 2017, Thm. 1"),
        Claim::new(
            "A softplus output never predicts a negative value; a linear one does on the positive-target task",
            format!(
                "share of negative predictions per seed: linear {}, softplus {} (lowest softplus output {:.2e})",
                pct(&linear_neg),
                pct(&softplus_neg),
                softplus_min
            ),
            softplus_neg.iter().all(|&x| x == 0.0) && linear_neg.iter().all(|&x| x > 0.0),
        )
        .literature("softplus for outputs that must be positive", "HOML ch. 11, answer 4"),
    ]
}

lab::impl_chapter!(
    Chapter4,
    "chapter-4",
    "Which activation function, and when?"
);
