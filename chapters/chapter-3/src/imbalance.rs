//! Experiment 3: where the output bias matters. One Fashion-MNIST class against the nine others,
//! subsampled to 1 positive for every `ratio` negatives, trained with binary cross-entropy from
//! an output bias of 0 or of the log prior odds.

use serde::{Deserialize, Serialize};

use lab::data::Dataset;
use lab::layer::Mlp;
use lab::rng::{derive_seed, permutation, rng};
use lab::train::{Objective, TrainConfig, fit};
use lab::{Init, MlpSpec, Recipe};

use lab::stats::mean;

/// Steps per point of the smoothed loss curves.
pub const SMOOTHING: usize = 10;

/// Early training is judged on the mean training loss of the first 100 steps: the "hockey
/// stick" of a badly placed output bias lasts tens to hundreds of steps, and an epoch's mean
/// (about 300 steps here) dilutes it.
pub const EARLY_STEPS: usize = 100;

/// `class` against the rest: every sample of another class (label 0) and the first
/// `⌊negatives / ratio⌋` of a seeded shuffle of `class`'s samples (label 1).
pub fn one_vs_rest(data: &Dataset, class: usize, ratio: usize, seed: u64) -> Dataset {
    let positives: Vec<usize> = (0..data.len()).filter(|&i| data.y[i] == class).collect();
    let mut idx: Vec<usize> = (0..data.len()).filter(|&i| data.y[i] != class).collect();
    let keep = idx.len() / ratio;
    let order = permutation(positives.len(), &mut rng(seed));
    idx.extend(order[..keep].iter().map(|&j| positives[j]));
    idx.sort_unstable();
    let mut d = data.select(&idx);
    d.y.iter_mut().for_each(|y| *y = usize::from(*y == class));
    d.classes = 2;
    d
}

// ANCHOR: log_prior
/// The fraction of positives, the output bias that predicts it for every input,
/// `b = ln(p / (1 − p))`, and the loss of that constant prediction: the prior's
/// entropy `H(p) = −p ln p − (1 − p) ln(1 − p)`, in nats.
pub fn prior(labels: &[usize]) -> (f64, f64, f64) {
    let p = labels.iter().filter(|&&y| y == 1).count() as f64 / labels.len() as f64;
    let bias = (p / (1.0 - p)).ln();
    let entropy = -p * p.ln() - (1.0 - p) * (1.0 - p).ln();
    (p, bias, entropy)
}
// ANCHOR_END: log_prior

/// How the output layer starts: its bias (0 or the log prior odds) and its weights (zero, so that
/// the untrained net predicts σ(b) everywhere, or the He-normal draw of the other layers).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Head {
    pub log_odds: bool,
    pub zero_weights: bool,
}

impl Head {
    /// The idealised heads (zero weights: the untrained net predicts σ(b) everywhere) first,
    /// then the ordinary ones (He weights), on which the claims are decided.
    pub const ALL: [Head; 4] = [
        Head::new(false, true),
        Head::new(true, true),
        Head::new(false, false),
        Head::new(true, false),
    ];
    pub const fn new(log_odds: bool, zero_weights: bool) -> Self {
        Head {
            log_odds,
            zero_weights,
        }
    }
    pub fn label(self) -> String {
        let w = if self.zero_weights { "W = 0" } else { "He W" };
        let b = if self.log_odds {
            "b = log-odds"
        } else {
            "b = 0"
        };
        format!("{w}, {b}")
    }
}

/// One run.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Run {
    /// Loss of the untrained net on the whole training set.
    pub initial_loss: f64,
    /// The training loss of each of the first [`EARLY_STEPS`] steps (fewer if the run is
    /// shorter), and their mean.
    pub early_steps: Vec<f64>,
    pub early_loss: f64,
    /// Mean training loss over each epoch.
    pub epoch_loss: Vec<f64>,
    /// Test loss after the last epoch.
    pub final_test_loss: f64,
    /// Training loss smoothed over windows of [`SMOOTHING`] steps.
    pub smoothed: Vec<f64>,
}

// ANCHOR: train_binary
/// Train the 3×100 net on a binary task. With `head.zero_weights` the output
/// layer's weights start at 0, so the untrained net predicts σ(b) for every input
/// and its loss is that of the constant prediction.
pub fn train_binary(net: &Recipe, head: Head, seed: u64, train: &Dataset, test: &Dataset) -> Run {
    let bias = if head.log_odds {
        prior(&train.y).1
    } else {
        0.0
    };
    let objective = Objective::BinaryCrossEntropy;
    train_with_head(
        net,
        &[bias],
        head.zero_weights,
        objective,
        seed,
        (train, test),
    )
}

/// Train `net` with an output layer of `bias.len()` units starting from biases `bias` (and
/// weights 0 with `zero_weights`, He-normal otherwise), recording every step's loss.
pub fn train_with_head(
    net: &Recipe,
    bias: &[f64],
    zero_weights: bool,
    objective: Objective,
    seed: u64,
    (train, test): (&Dataset, &Dataset),
) -> Run {
    let mut sizes = net.sizes(train);
    *sizes.last_mut().expect("an output layer") = bias.len();
    let spec = MlpSpec::relu(&sizes).with_init(Init::HeNormal);
    let mut model: Mlp = Mlp::new(&spec, &mut rng(derive_seed(seed, "weights")));
    let out = model.layers.last_mut().expect("an output layer");
    if zero_weights {
        out.w.fill(0.0);
    }
    out.b.iter_mut().zip(bias).for_each(|(b, &v)| *b = v as f32);
    let mut opt = net.optimizer();
    let cfg = TrainConfig {
        record_steps: true,
        objective,
        ..net.train_config(derive_seed(seed, "batches"))
    };
    let history = fit(&mut model, &mut opt, train, Some(test), &cfg, &mut ());
    let early = &history.step_losses[..EARLY_STEPS.min(history.step_losses.len())];
    Run {
        initial_loss: history.epochs[0].train_loss,
        early_steps: early.to_vec(),
        early_loss: mean(early),
        epoch_loss: history.epochs[1..].iter().map(|e| e.train_loss).collect(),
        final_test_loss: history.last().val_loss,
        smoothed: history.smoothed_step_losses(SMOOTHING),
    }
}
// ANCHOR_END: train_binary

/// The runs of one cell (task and output head), summarised over seeds.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OverSeeds {
    /// Loss of the untrained net: mean over seeds and the largest deviation from it.
    pub initial_loss: f64,
    pub initial_loss_spread: f64,
    /// Mean training loss of the first [`EARLY_STEPS`] steps, per seed (in seed order).
    pub early_loss: Vec<f64>,
    /// Mean training loss of epoch 1, per seed (in seed order).
    pub epoch1_loss: Vec<f64>,
    pub final_test_loss: Vec<f64>,
    /// Smoothed training-loss curve, mean over seeds.
    pub curve: Vec<f64>,
    /// The loss of each of the first [`EARLY_STEPS`] steps, mean over seeds.
    pub early_curve: Vec<f64>,
}

/// The mean over runs of each position of `curve(run)` (NaN where a run stopped early).
fn mean_curve(runs: &[Run], curve: impl Fn(&Run) -> &[f64]) -> Vec<f64> {
    let points = runs.iter().map(|r| curve(r).len()).max().unwrap_or(0);
    (0..points)
        .map(|i| {
            let at: Vec<f64> = runs
                .iter()
                .map(|r| curve(r).get(i).copied().unwrap_or(f64::NAN))
                .collect();
            mean(&at)
        })
        .collect()
}

impl OverSeeds {
    pub fn new(runs: &[Run]) -> Self {
        let init: Vec<f64> = runs.iter().map(|r| r.initial_loss).collect();
        let initial_loss = mean(&init);
        let initial_loss_spread = init
            .iter()
            .map(|x| (x - initial_loss).abs())
            .fold(0.0, f64::max);
        OverSeeds {
            initial_loss,
            initial_loss_spread,
            early_loss: runs.iter().map(|r| r.early_loss).collect(),
            // A run that diverged stops early: what it did not reach counts as NaN.
            epoch1_loss: runs
                .iter()
                .map(|r| r.epoch_loss.first().copied().unwrap_or(f64::NAN))
                .collect(),
            final_test_loss: runs.iter().map(|r| r.final_test_loss).collect(),
            curve: mean_curve(runs, |r| &r.smoothed),
            early_curve: mean_curve(runs, |r| &r.early_steps),
        }
    }
}

/// One (ratio, output head) cell of the one-vs-rest task.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Cell {
    pub ratio: usize,
    pub head: Head,
    /// Fraction of positives in the training set and its entropy.
    pub prior: f64,
    pub prior_entropy: f64,
    pub train_samples: usize,
    pub steps_per_epoch: usize,
    pub runs: OverSeeds,
}

/// Summarise the runs of one cell.
pub fn summarise(ratio: usize, head: Head, train: &Dataset, batch: usize, runs: &[Run]) -> Cell {
    let (prior, _, prior_entropy) = prior(&train.y);
    Cell {
        ratio,
        head,
        prior,
        prior_entropy,
        train_samples: train.len(),
        steps_per_epoch: train.len().div_ceil(batch),
        runs: OverSeeds::new(runs),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lab::train::evaluate_with;
    use ndarray::Array2;

    #[test]
    fn prior_of_one_in_eleven() {
        let labels: Vec<usize> = (0..110).map(|i| usize::from(i % 11 == 0)).collect();
        let (p, b, h) = prior(&labels);
        assert!((p - 1.0 / 11.0).abs() < 1e-15);
        assert!((b - (0.1f64).ln()).abs() < 1e-12, "1:10 odds → ln 0.1");
        // H(1/11) = ln 11 − (10/11) ln 10.
        let expected = 11f64.ln() - 10.0 / 11.0 * 10f64.ln();
        assert!((h - expected).abs() < 1e-12);
    }

    #[test]
    fn log_prior_bias_gives_the_entropy_as_loss() {
        // A net whose output weights are 0 predicts σ(b) everywhere: its BCE is H(p) when
        // b = ln(p/(1−p)), and ln 2 when b = 0, whatever its hidden layers compute.
        let n = 200;
        let x = Array2::from_shape_fn((n, 6), |(i, j)| ((i * 7 + j * 3) % 11) as f32 - 5.0);
        let y: Vec<usize> = (0..n).map(|i| usize::from(i % 25 == 0)).collect();
        let data = Dataset { x, y, classes: 2 };
        let (_, b, h) = prior(&data.y);
        let mut model = Mlp::new(&MlpSpec::relu(&[6, 8, 1]), &mut rng(4));
        model.layers[1].w.fill(0.0);
        model.layers[1].b[0] = b as f32;
        let (loss, _) = evaluate_with(&model, &data, &Objective::BinaryCrossEntropy);
        assert!((loss - h).abs() < 1e-6, "loss {loss} vs H(p) {h}");
        model.layers[1].b[0] = 0.0;
        let (loss, _) = evaluate_with(&model, &data, &Objective::BinaryCrossEntropy);
        assert!((loss - 2f64.ln()).abs() < 1e-6);
    }

    #[test]
    fn one_vs_rest_has_the_requested_ratio() {
        let x = Array2::zeros((300, 2));
        let y: Vec<usize> = (0..300).map(|i| i % 3).collect();
        let data = Dataset { x, y, classes: 3 };
        let d = one_vs_rest(&data, 1, 10, 5);
        let pos = d.y.iter().filter(|&&y| y == 1).count();
        assert_eq!(d.len() - pos, 200);
        assert_eq!(pos, 20);
        assert_eq!(d.classes, 2);
    }
}
