//! The training loop: mini-batch SGD with a per-epoch history and divergence detection.
//!
//! A run that produces a NaN or infinite loss is a *result*: the loop stops and records the
//! epoch and step where it happened in [`History::diverged`].

use std::time::Instant;

use ndarray::{Array2, ArrayView2, Axis};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::data::Dataset;
use crate::layer::{DenseGrads, Mlp};
use crate::loss::{binary_cross_entropy, softmax, softmax_cross_entropy};
use crate::metrics::accuracy;
use crate::optim::Sgd;
use crate::rng::{derive_seed, rng, rng_stream};

/// The loss a classifier is trained on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub enum Objective {
    /// Softmax cross-entropy over `classes` logits (the default).
    #[default]
    SoftmaxCrossEntropy,
    /// Binary cross-entropy on one logit; labels are 0 or 1 and a logit > 0 predicts 1.
    BinaryCrossEntropy,
}

impl Objective {
    /// Mean loss, its gradient with respect to the outputs, and the number of correct predictions.
    pub fn loss(&self, out: ArrayView2<f32>, labels: &[usize]) -> (f64, Array2<f32>, usize) {
        match self {
            Objective::SoftmaxCrossEntropy => {
                let (loss, grad) = softmax_cross_entropy(out, labels);
                let correct = (accuracy(out, labels) * labels.len() as f64).round() as usize;
                (loss, grad, correct)
            }
            Objective::BinaryCrossEntropy => {
                let targets: Vec<f32> = labels.iter().map(|&y| y as f32).collect();
                let (loss, grad) = binary_cross_entropy(out, &targets);
                let correct = out
                    .column(0)
                    .iter()
                    .zip(labels)
                    .filter(|&(&z, &y)| (z > 0.0) == (y == 1))
                    .count();
                (loss, grad, correct)
            }
        }
    }
}

/// How to train.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    pub epochs: usize,
    pub batch_size: usize,
    /// Seeds the batch order and the dropout masks (the weights are drawn by the caller).
    pub seed: u64,
    /// Record the loss of every mini-batch in [`History::step_losses`].
    pub record_steps: bool,
    pub objective: Objective,
}

impl TrainConfig {
    /// Softmax cross-entropy, no per-step record.
    pub fn new(epochs: usize, batch_size: usize, seed: u64) -> Self {
        TrainConfig {
            epochs,
            batch_size,
            seed,
            record_steps: false,
            objective: Objective::SoftmaxCrossEntropy,
        }
    }
}

/// One epoch's numbers. Losses are mean cross-entropy; `val_*` are NaN without validation data.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct EpochRecord {
    pub epoch: usize,
    /// Mean of the mini-batch losses over the epoch (as Keras reports it).
    pub train_loss: f64,
    pub train_accuracy: f64,
    pub val_loss: f64,
    pub val_accuracy: f64,
}

/// Where a run diverged.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Diverged {
    pub epoch: usize,
    /// Global step (mini-batch count from the start).
    pub step: usize,
}

/// What a run produced. Wall times are kept apart (`epoch_seconds`, not serialised): they vary
/// between runs and must never be compared for equality or snapshotted.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct History {
    /// The state before training (epoch 0), then one record per epoch.
    pub epochs: Vec<EpochRecord>,
    pub step_losses: Vec<f64>,
    pub diverged: Option<Diverged>,
    #[serde(skip)]
    pub epoch_seconds: Vec<f64>,
}

impl History {
    pub fn last(&self) -> &EpochRecord {
        self.epochs.last().expect("a history starts with epoch 0")
    }
}

/// Callbacks into the loop, e.g. to re-apply pruning masks after each step or to measure the
/// weights after each epoch. Both default to doing nothing.
pub trait Observer {
    fn after_step(&mut self, _step: usize, _model: &mut Mlp) {}
    fn after_epoch(&mut self, _epoch: usize, _model: &Mlp) {}
}

impl Observer for () {}

/// Rows evaluated per parallel task.
const EVAL_CHUNK: usize = 1000;

/// Mean cross-entropy and accuracy of `model` (dropout off) on `data`.
///
/// Chunks of rows are evaluated in parallel and their sums added in chunk order, so the result
/// does not depend on the number of threads.
pub fn evaluate(model: &Mlp, data: &Dataset) -> (f64, f64) {
    evaluate_with(model, data, Objective::SoftmaxCrossEntropy)
}

/// [`evaluate`] for a given objective.
pub fn evaluate_with(model: &Mlp, data: &Dataset, objective: Objective) -> (f64, f64) {
    let chunks: Vec<(usize, usize)> = (0..data.len())
        .step_by(EVAL_CHUNK)
        .map(|s| (s, (s + EVAL_CHUNK).min(data.len())))
        .collect();
    let sums: Vec<(f64, f64)> = chunks
        .par_iter()
        .map(|&(s, e)| {
            let out = model.forward(data.x.slice(ndarray::s![s..e, ..]));
            let (loss, _, correct) = objective.loss(out.view(), &data.y[s..e]);
            (loss * (e - s) as f64, correct as f64)
        })
        .collect();
    let n = data.len() as f64;
    let (loss, acc) = sums
        .iter()
        .fold((0.0, 0.0), |(l, a), (dl, da)| (l + dl, a + da));
    (loss / n, acc / n)
}

/// Class probabilities of `model` (dropout off): `(n, classes)`.
pub fn predict_proba(model: &Mlp, x: ArrayView2<f32>) -> Array2<f32> {
    let parts: Vec<Array2<f32>> = x
        .axis_chunks_iter(Axis(0), EVAL_CHUNK)
        .collect::<Vec<_>>()
        .par_iter()
        .map(|chunk| softmax(model.forward(chunk.view()).view()))
        .collect();
    let views: Vec<_> = parts.iter().map(|p| p.view()).collect();
    ndarray::concatenate(Axis(0), &views).expect("same widths")
}

/// The rows `indices` of `x`, copied into a new `(indices.len(), x.ncols())` array.
pub fn gather_rows(x: ArrayView2<f32>, indices: &[usize]) -> Array2<f32> {
    let mut values = Vec::with_capacity(indices.len() * x.ncols());
    for &i in indices {
        match x.row(i).to_slice() {
            Some(row) => values.extend_from_slice(row),
            None => values.extend(x.row(i).iter()),
        }
    }
    Array2::from_shape_vec((indices.len(), x.ncols()), values).expect("rows × columns values")
}

/// Rows per shard of a mini-batch (see [`sharded_step`]).
pub const SHARD_ROWS: usize = 64;

// ANCHOR: sharded_step
/// The forward and backward passes of one step on the mini-batch `batch` (indices into
/// `train`): its mean loss, its number of correct predictions, and the gradients.
///
/// The batch is cut into shards of [`SHARD_ROWS`] rows, computed in parallel, and their
/// gradients are added in shard order: the shards depend only on the batch size, so the bits do
/// not depend on the number of threads. One parallel task per shard is coarse
/// enough to pay for waking a thread (tens of microseconds on a virtual machine), which
/// splitting each small matrix product is not. Shard `s` of step `t` draws its dropout masks
/// from stream `t·2¹⁶ + s` of `dropout_seed`.
pub fn sharded_step(
    model: &Mlp,
    train: &Dataset,
    batch: &[usize],
    objective: Objective,
    dropout_seed: u64,
    step: usize,
) -> (f64, usize, Vec<DenseGrads>) {
    let n = batch.len() as f32;
    let shard = |(s, rows): (usize, &[usize])| {
        let x = gather_rows(train.x.view(), rows);
        let y: Vec<usize> = rows.iter().map(|&i| train.y[i]).collect();
        let mut drop_rng = rng_stream(dropout_seed, ((step as u64) << 16) + s as u64);
        let (out, cache) = model.forward_train_owned(x, Some(&mut drop_rng));
        let (loss, mut grad, correct) = objective.loss(out.view(), &y);
        // The shard's mean-loss gradient, rescaled to its share of the batch mean.
        grad *= rows.len() as f32 / n;
        let grads = model.backward(&cache, grad.view());
        (loss * rows.len() as f64, correct, grads)
    };
    let shards: Vec<_> = if batch.len() >= 2 * SHARD_ROWS {
        batch
            .par_chunks(SHARD_ROWS)
            .enumerate()
            .map(shard)
            .collect()
    } else {
        vec![shard((0, batch))]
    };
    let mut shards = shards.into_iter();
    let (mut loss, mut correct, mut grads) = shards.next().expect("a non-empty batch");
    for (l, c, g) in shards {
        loss += l;
        correct += c;
        for (total, part) in grads.iter_mut().zip(&g) {
            total.w += &part.w;
            total.b += &part.b;
        }
    }
    (loss / f64::from(n), correct, grads)
}
// ANCHOR_END: sharded_step

/// Train `model` with softmax cross-entropy. Epoch 0 in the history is the untrained model.
pub fn fit(
    model: &mut Mlp,
    opt: &mut Sgd,
    train: &Dataset,
    val: Option<&Dataset>,
    cfg: &TrainConfig,
    observer: &mut dyn Observer,
) -> History {
    let mut history = History::default();
    let record = |model: &Mlp, epoch, train_loss, train_accuracy| {
        let (val_loss, val_accuracy) = val.map_or((f64::NAN, f64::NAN), |v| {
            evaluate_with(model, v, cfg.objective)
        });
        EpochRecord {
            epoch,
            train_loss,
            train_accuracy,
            val_loss,
            val_accuracy,
        }
    };
    let (l0, a0) = evaluate_with(model, train, cfg.objective);
    history.epochs.push(record(model, 0, l0, a0));
    let mut order_rng = rng(derive_seed(cfg.seed, "batch order"));
    let dropout_seed = derive_seed(cfg.seed, "dropout");
    let mut step = 0;
    for epoch in 1..=cfg.epochs {
        let start = Instant::now();
        let (mut loss_sum, mut correct, mut seen) = (0.0f64, 0.0f64, 0usize);
        for batch in train.batches(cfg.batch_size, &mut order_rng) {
            let step_result = sharded_step(model, train, &batch, cfg.objective, dropout_seed, step);
            step += 1;
            let (loss, batch_correct, grads) = step_result;
            if !loss.is_finite() {
                history.diverged = Some(Diverged { epoch, step });
                history.epoch_seconds.push(start.elapsed().as_secs_f64());
                return history;
            }
            if cfg.record_steps {
                history.step_losses.push(loss);
            }
            loss_sum += loss * batch.len() as f64;
            correct += batch_correct as f64;
            seen += batch.len();
            opt.step(model, &grads);
            observer.after_step(step, model);
        }
        history.epoch_seconds.push(start.elapsed().as_secs_f64());
        history.epochs.push(record(
            model,
            epoch,
            loss_sum / seen as f64,
            correct / seen as f64,
        ));
        observer.after_epoch(epoch, model);
    }
    history
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::spirals;
    use crate::layer::MlpSpec;
    use crate::optim::SgdConfig;

    #[test]
    fn learns_spirals() {
        let data = spirals(600, 3, 0.02, 1);
        let spec = MlpSpec::relu(&[2, 64, 64, 3]);
        let mut model = Mlp::new(&spec, &mut rng(2));
        let mut opt = Sgd::new(SgdConfig::momentum(0.1, 0.9));
        let h = fit(
            &mut model,
            &mut opt,
            &data,
            Some(&data),
            &TrainConfig::new(60, 32, 3),
            &mut (),
        );
        assert!(h.diverged.is_none());
        assert_eq!(h.epochs.len(), 61);
        assert!(
            h.last().val_accuracy > 0.9,
            "spirals accuracy {}",
            h.last().val_accuracy
        );
        assert!(h.last().train_loss < h.epochs[0].train_loss);
    }

    #[test]
    fn binary_objective_learns_two_blobs() {
        let data = crate::data::blobs(400, 2, 5, 4.0, 4);
        let spec = MlpSpec::relu(&[5, 16, 1]);
        let mut model = Mlp::new(&spec, &mut rng(5));
        let mut opt = Sgd::new(SgdConfig::momentum(0.05, 0.9));
        let cfg = TrainConfig {
            objective: Objective::BinaryCrossEntropy,
            ..TrainConfig::new(20, 32, 6)
        };
        let h = fit(&mut model, &mut opt, &data, Some(&data), &cfg, &mut ());
        assert!(
            h.last().val_accuracy > 0.95,
            "blobs accuracy {}",
            h.last().val_accuracy
        );
        assert!(h.last().train_loss < 0.2);
        // A zero network predicts probability ½ everywhere: loss ln 2.
        let mut zero = model.clone();
        zero.layers.iter_mut().for_each(|l| {
            l.w.fill(0.0);
            l.b.fill(0.0);
        });
        let (loss, _) = evaluate_with(&zero, &data, Objective::BinaryCrossEntropy);
        assert!((loss - 2f64.ln()).abs() < 1e-6);
    }

    #[test]
    fn divergence_is_recorded_not_panicked() {
        let data = spirals(600, 3, 0.02, 1);
        let spec = MlpSpec::relu(&[2, 64, 64, 3]);
        let mut model = Mlp::new(&spec, &mut rng(2));
        let mut opt = Sgd::new(SgdConfig::plain(1e6));
        let h = fit(
            &mut model,
            &mut opt,
            &data,
            None,
            &TrainConfig::new(5, 32, 3),
            &mut (),
        );
        let d = h.diverged.expect("a learning rate of 10⁶ diverges");
        assert_eq!(d.epoch, 1);
        assert!(d.step >= 2, "the first step is finite; a later one is not");
    }
}
