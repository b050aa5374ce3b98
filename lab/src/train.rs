//! The training loop every chapter uses: mini-batch SGD with a per-epoch history, divergence
//! detection, and hooks around each step.
//!
//! [`fit`] trains any [`Model`] (lab's [`Mlp`], or a network of another shape that exposes its
//! dense layers) on a built-in [`Objective`] or, with [`fit_with`], on any [`BatchLoss`] (a
//! regression on targets the caller holds). An [`Observer`] sees each step: before it (a
//! momentum schedule, a pruning schedule), with its gradients (a gradient record), after it
//! (masks re-applied), and after each epoch (measurements).
//!
//! A run that produces a NaN or infinite loss is a *result*: the loop stops and records the
//! epoch and step where it happened in [`History::diverged`].

use std::time::Instant;

use ndarray::{Array2, ArrayView2, Axis};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::data::Dataset;
use crate::layer::{Dense, DenseGrads, Mlp, MlpCache, MlpSpec};
use crate::loss::{binary_cross_entropy, softmax, softmax_cross_entropy};
use crate::metrics::accuracy;
use crate::optim::{Sgd, SgdConfig, in_chunks};
use crate::rng::{ChaCha8Rng, derive_seed, rng, rng_stream};

/// A network [`fit`] can train: a training-mode forward and backward pass, an evaluation-mode
/// forward pass, and its dense layers, which the optimiser updates.
pub trait Model: Sync {
    /// What the backward pass needs from the forward pass.
    type Cache: Send;
    /// Training-mode forward of a batch `x: (B, n_in)` → outputs `(B, n_out)`; with
    /// `dropout_rng`, hidden outputs are dropped.
    fn forward_train_owned(
        &self,
        x: Array2<f32>,
        dropout_rng: Option<&mut ChaCha8Rng>,
    ) -> (Array2<f32>, Self::Cache);
    /// The gradients of every dense layer, in [`dense_layers_mut`](Model::dense_layers_mut)'s
    /// order, from `∂L/∂outputs: (B, n_out)`.
    fn backward(&self, cache: &Self::Cache, grad_output: ArrayView2<f32>) -> Vec<DenseGrads>;
    /// Evaluation-mode forward (dropout off): `(B, n_in)` → `(B, n_out)`.
    fn forward(&self, x: ArrayView2<f32>) -> Array2<f32>;
    /// The dense layers, in the order of the gradients.
    fn dense_layers_mut(&mut self) -> Vec<&mut Dense>;
}

impl Model for Mlp {
    type Cache = MlpCache;
    fn forward_train_owned(
        &self,
        x: Array2<f32>,
        dropout_rng: Option<&mut ChaCha8Rng>,
    ) -> (Array2<f32>, MlpCache) {
        Mlp::forward_train_owned(self, x, dropout_rng)
    }
    fn backward(&self, cache: &MlpCache, grad_output: ArrayView2<f32>) -> Vec<DenseGrads> {
        Mlp::backward(self, cache, grad_output)
    }
    fn forward(&self, x: ArrayView2<f32>) -> Array2<f32> {
        Mlp::forward(self, x)
    }
    fn dense_layers_mut(&mut self) -> Vec<&mut Dense> {
        self.layers.iter_mut().collect()
    }
}

/// The loss of a batch: the rows `rows` of `data`, given the model's outputs for them `(B, ·)`:
/// the mean loss, its gradient with respect to the outputs, and how many rows were predicted
/// correctly (0 where that means nothing, as for a regression).
pub trait BatchLoss: Sync {
    fn batch_loss(
        &self,
        out: ArrayView2<f32>,
        data: &Dataset,
        rows: &[usize],
    ) -> (f64, Array2<f32>, usize);
}

/// A [`BatchLoss`] from a closure, e.g. a mean squared error against targets the caller holds.
pub struct LossFn<F>(pub F);

impl<F> BatchLoss for LossFn<F>
where
    F: Fn(ArrayView2<f32>, &Dataset, &[usize]) -> (f64, Array2<f32>, usize) + Sync,
{
    fn batch_loss(
        &self,
        out: ArrayView2<f32>,
        data: &Dataset,
        rows: &[usize],
    ) -> (f64, Array2<f32>, usize) {
        (self.0)(out, data, rows)
    }
}

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

impl BatchLoss for Objective {
    fn batch_loss(
        &self,
        out: ArrayView2<f32>,
        data: &Dataset,
        rows: &[usize],
    ) -> (f64, Array2<f32>, usize) {
        let y: Vec<usize> = rows.iter().map(|&i| data.y[i]).collect();
        self.loss(out, &y)
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

// ANCHOR: recipe
/// An experiment's recipe: the hidden layers, the optimiser, and how long and in what batches
/// to train. The input and output widths come from the data; the activation, initialisation
/// and dropout are the experiment's (set them on the [`MlpSpec`] that [`Recipe::spec`] gives).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Recipe {
    /// Units of each hidden layer, input side first.
    pub hidden: Vec<usize>,
    pub sgd: SgdConfig,
    pub epochs: usize,
    pub batch: usize,
}
// ANCHOR_END: recipe

impl Recipe {
    pub fn new(hidden: &[usize], sgd: SgdConfig, epochs: usize, batch: usize) -> Self {
        Recipe {
            hidden: hidden.to_vec(),
            sgd,
            epochs,
            batch,
        }
    }
    /// `depth` hidden layers of `width` units each.
    pub fn deep(depth: usize, width: usize, sgd: SgdConfig, epochs: usize, batch: usize) -> Self {
        Recipe {
            hidden: vec![width; depth],
            sgd,
            epochs,
            batch,
        }
    }
    /// Hidden layers (for a net of equal widths, see [`Recipe::width`]).
    pub fn depth(&self) -> usize {
        self.hidden.len()
    }
    /// Units of the first hidden layer.
    pub fn width(&self) -> usize {
        self.hidden[0]
    }
    /// `[n_in, hidden…, n_out]` for `data`'s features and classes.
    pub fn sizes(&self, data: &Dataset) -> Vec<usize> {
        let mut sizes = vec![data.features()];
        sizes.extend_from_slice(&self.hidden);
        sizes.push(data.classes);
        sizes
    }
    /// The book's default net of these sizes (ReLU, He-normal, zero biases, no dropout).
    pub fn spec(&self, data: &Dataset) -> MlpSpec {
        MlpSpec::relu(&self.sizes(data))
    }
    pub fn optimizer(&self) -> Sgd {
        Sgd::new(self.sgd)
    }
    /// The recipe's optimiser with its learning rate replaced by `lr` (a tuning trial).
    pub fn optimizer_at(&self, lr: f32) -> Sgd {
        Sgd::new(SgdConfig { lr, ..self.sgd })
    }
    /// The loop's settings, `seed` ordering the batches and drawing the dropout masks.
    pub fn train_config(&self, seed: u64) -> TrainConfig {
        TrainConfig::new(self.epochs, self.batch, seed)
    }
    /// Steps in one epoch over `data`.
    pub fn steps_per_epoch(&self, data: &Dataset) -> usize {
        data.len().div_ceil(self.batch)
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
    /// The recorded step losses (`record_steps`), averaged over consecutive runs of `every` steps
    /// (the last run may be shorter): the curve a figure can show.
    pub fn smoothed_step_losses(&self, every: usize) -> Vec<f64> {
        self.step_losses
            .chunks(every)
            .map(crate::stats::mean)
            .collect()
    }
    /// `model`'s accuracy on `test` after this run; NaN if the run diverged (its weights are
    /// then meaningless, and a NaN keeps it out of any mean taken over runs by mistake).
    pub fn test_accuracy<M: Model>(&self, model: &M, test: &Dataset) -> f64 {
        if self.diverged.is_some() {
            f64::NAN
        } else {
            evaluate(model, test).1
        }
    }
}

// ANCHOR: observer
/// Callbacks into the loop; each defaults to doing nothing. `steps` counts the steps taken,
/// the current one included once its gradients exist: the first step's `before_step` sees 0,
/// its `on_gradients` and `after_step` see 1.
pub trait Observer<M = Mlp> {
    /// Before a step: a momentum schedule sets `opt`'s β, a pruning schedule recomputes masks.
    fn before_step(&mut self, _steps: usize, _model: &mut M, _opt: &mut Sgd) {}
    /// The step's gradients, before the update: a record of their size.
    fn on_gradients(&mut self, _steps: usize, _grads: &[DenseGrads]) {}
    /// After the update: masks re-applied, measurements every so many steps.
    fn after_step(&mut self, _steps: usize, _model: &mut M) {}
    /// After each epoch's record.
    fn after_epoch(&mut self, _epoch: usize, _model: &M) {}
}
// ANCHOR_END: observer

impl<M> Observer<M> for () {}

/// Rows evaluated per parallel task.
const EVAL_CHUNK: usize = 1000;

/// Mean cross-entropy and accuracy of `model` (dropout off) on `data`.
///
/// Chunks of rows are evaluated in parallel and their sums added in chunk order, so the result
/// does not depend on the number of threads.
pub fn evaluate<M: Model>(model: &M, data: &Dataset) -> (f64, f64) {
    evaluate_with(model, data, &Objective::SoftmaxCrossEntropy)
}

/// [`evaluate`] for a given loss.
pub fn evaluate_with<M: Model>(model: &M, data: &Dataset, loss: &dyn BatchLoss) -> (f64, f64) {
    let chunks: Vec<(usize, usize)> = (0..data.len())
        .step_by(EVAL_CHUNK)
        .map(|s| (s, (s + EVAL_CHUNK).min(data.len())))
        .collect();
    let sums: Vec<(f64, f64)> = chunks
        .par_iter()
        .map(|&(s, e)| {
            let out = model.forward(data.x.slice(ndarray::s![s..e, ..]));
            let rows: Vec<usize> = (s..e).collect();
            let (l, _, correct) = loss.batch_loss(out.view(), data, &rows);
            (l * (e - s) as f64, correct as f64)
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

/// Whether [`sharded_step`] cuts a batch of `rows` into several shards run in parallel (a
/// smaller batch is one shard, on the calling thread).
pub fn shards_in_parallel(rows: usize) -> bool {
    rows >= 2 * SHARD_ROWS
}

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
pub fn sharded_step<M: Model>(
    model: &M,
    train: &Dataset,
    batch: &[usize],
    objective: &dyn BatchLoss,
    dropout_seed: u64,
    step: usize,
) -> (f64, usize, Vec<DenseGrads>) {
    let n = batch.len() as f32;
    let shard = |(s, rows): (usize, &[usize])| {
        let x = gather_rows(train.x.view(), rows);
        let mut drop_rng = rng_stream(dropout_seed, ((step as u64) << 16) + s as u64);
        let (out, cache) = model.forward_train_owned(x, Some(&mut drop_rng));
        let (loss, mut grad, correct) = objective.batch_loss(out.view(), train, rows);
        // The shard's mean-loss gradient, rescaled to its share of the batch mean.
        grad *= rows.len() as f32 / n;
        let grads = model.backward(&cache, grad.view());
        (loss * rows.len() as f64, correct, grads)
    };
    let shards: Vec<_> = if shards_in_parallel(batch.len()) {
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
            let t = total.w.as_slice_mut().expect("new arrays are contiguous");
            let p = part.w.as_slice().expect("new arrays are contiguous");
            // The shards ran in parallel, so the pool's threads are awake (see `Sgd::step`).
            in_chunks(true, t, p, |t, p| {
                t.iter_mut().zip(p).for_each(|(t, &p)| *t += p)
            });
            total.b += &part.b;
        }
    }
    (loss / f64::from(n), correct, grads)
}
// ANCHOR_END: sharded_step

// ANCHOR: fit
/// Train `model` on `cfg.objective` (see [`fit_with`]).
pub fn fit<M: Model>(
    model: &mut M,
    opt: &mut Sgd,
    train: &Dataset,
    val: Option<&Dataset>,
    cfg: &TrainConfig,
    observer: &mut dyn Observer<M>,
) -> History {
    fit_with(model, opt, train, val, cfg, &cfg.objective, observer)
}

/// Train `model` on `loss` for `cfg.epochs` epochs of mini-batches of `cfg.batch_size` (the
/// order seeded by `cfg.seed`), calling `observer` around every step. Epoch 0 of the history is
/// the untrained model; a non-finite loss stops the run and is recorded as its divergence.
pub fn fit_with<M: Model>(
    model: &mut M,
    opt: &mut Sgd,
    train: &Dataset,
    val: Option<&Dataset>,
    cfg: &TrainConfig,
    loss: &dyn BatchLoss,
    observer: &mut dyn Observer<M>,
) -> History {
    let mut history = History::default();
    let record = |model: &M, epoch, train_loss, train_accuracy| {
        let (val_loss, val_accuracy) =
            val.map_or((f64::NAN, f64::NAN), |v| evaluate_with(model, v, loss));
        EpochRecord {
            epoch,
            train_loss,
            train_accuracy,
            val_loss,
            val_accuracy,
        }
    };
    let (l0, a0) = evaluate_with(model, train, loss);
    history.epochs.push(record(model, 0, l0, a0));
    let mut order_rng = rng(derive_seed(cfg.seed, "batch order"));
    let dropout_seed = derive_seed(cfg.seed, "dropout");
    let mut steps = 0;
    for epoch in 1..=cfg.epochs {
        let start = Instant::now();
        let batches = train.batches(cfg.batch_size, &mut order_rng);
        let e = train_epoch(
            model,
            opt,
            train,
            &batches,
            loss,
            dropout_seed,
            steps,
            observer,
        );
        history.epoch_seconds.push(start.elapsed().as_secs_f64());
        if cfg.record_steps {
            history.step_losses.extend(&e.step_losses);
        }
        if let Some(step) = e.diverged_at {
            history.diverged = Some(Diverged { epoch, step });
            return history;
        }
        steps += batches.len();
        history
            .epochs
            .push(record(model, epoch, e.mean_loss, e.accuracy));
        observer.after_epoch(epoch, model);
    }
    history
}
// ANCHOR_END: fit

/// What one epoch of [`train_epoch`] did.
#[derive(Clone, Debug, Default)]
pub struct EpochSteps {
    /// Mean over the epoch's rows of the mini-batch losses, and the share predicted correctly.
    pub mean_loss: f64,
    pub accuracy: f64,
    /// Every finite mini-batch loss, in order.
    pub step_losses: Vec<f64>,
    /// The global step (counted from 1) whose loss was not finite; the epoch stopped there.
    pub diverged_at: Option<usize>,
}

// ANCHOR: epoch
/// One epoch: a [`sharded_step`] on each mini-batch of `batches` (indices into `train`), then
/// the optimiser's update, with `observer` called around each. `steps_before` is the number of
/// steps of earlier epochs. A non-finite loss stops the epoch before its update.
#[allow(clippy::too_many_arguments)]
pub fn train_epoch<M: Model>(
    model: &mut M,
    opt: &mut Sgd,
    train: &Dataset,
    batches: &[Vec<usize>],
    loss: &dyn BatchLoss,
    dropout_seed: u64,
    steps_before: usize,
    observer: &mut dyn Observer<M>,
) -> EpochSteps {
    let mut e = EpochSteps::default();
    let (mut loss_sum, mut correct, mut seen) = (0.0f64, 0.0f64, 0usize);
    for (i, batch) in batches.iter().enumerate() {
        let step = steps_before + i;
        observer.before_step(step, model, opt);
        let (batch_loss, batch_correct, grads) =
            sharded_step(model, train, batch, loss, dropout_seed, step);
        if !batch_loss.is_finite() {
            e.diverged_at = Some(step + 1);
            return e;
        }
        e.step_losses.push(batch_loss);
        loss_sum += batch_loss * batch.len() as f64;
        correct += batch_correct as f64;
        seen += batch.len();
        observer.on_gradients(step + 1, &grads);
        // Split the update across threads only after a step of several shards.
        opt.step(model, &grads, shards_in_parallel(batch.len()));
        observer.after_step(step + 1, model);
    }
    e.mean_loss = loss_sum / seen as f64;
    e.accuracy = correct / seen as f64;
    e
}
// ANCHOR_END: epoch

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
        let (loss, _) = evaluate_with(&zero, &data, &Objective::BinaryCrossEntropy);
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

    /// The hooks see every step once, numbered as documented, and may change the optimiser.
    #[test]
    fn observer_sees_each_step_in_order() {
        #[derive(Default)]
        struct Log {
            before: Vec<usize>,
            grads: Vec<usize>,
            after: Vec<usize>,
            epochs: Vec<usize>,
        }
        impl Observer for Log {
            fn before_step(&mut self, steps: usize, _: &mut Mlp, opt: &mut Sgd) {
                self.before.push(steps);
                opt.config.lr = 0.0;
            }
            fn on_gradients(&mut self, steps: usize, grads: &[DenseGrads]) {
                assert_eq!(grads.len(), 2);
                self.grads.push(steps);
            }
            fn after_step(&mut self, steps: usize, _: &mut Mlp) {
                self.after.push(steps);
            }
            fn after_epoch(&mut self, epoch: usize, _: &Mlp) {
                self.epochs.push(epoch);
            }
        }
        let data = spirals(90, 3, 0.02, 1);
        let mut model = Mlp::new(&MlpSpec::relu(&[2, 8, 3]), &mut rng(2));
        let start = model.clone();
        let mut opt = Sgd::new(SgdConfig::plain(0.5));
        let mut log = Log::default();
        fit(
            &mut model,
            &mut opt,
            &data,
            None,
            &TrainConfig::new(2, 32, 3),
            &mut log,
        );
        // 90 rows in batches of 32: 3 steps per epoch.
        assert_eq!(log.before, vec![0, 1, 2, 3, 4, 5]);
        assert_eq!(log.grads, vec![1, 2, 3, 4, 5, 6]);
        assert_eq!(log.after, vec![1, 2, 3, 4, 5, 6]);
        assert_eq!(log.epochs, vec![1, 2]);
        // The learning rate the observer set (0) is the one the steps used.
        assert_eq!(model, start);
    }

    /// A regression through [`fit_with`]: the loss holds the targets and finds them by row.
    #[test]
    fn fit_with_a_closure_fits_a_line() {
        let x = Array2::from_shape_fn((200, 1), |(i, _)| i as f32 / 100.0 - 1.0);
        let targets: Vec<f32> = x.iter().map(|&v| 3.0 * v - 0.5).collect();
        let data = Dataset::unlabelled(x);
        let mse = LossFn(|out: ArrayView2<f32>, _: &Dataset, rows: &[usize]| {
            let n = rows.len() as f32;
            let grad = Array2::from_shape_fn(out.raw_dim(), |(i, _)| {
                2.0 * (out[(i, 0)] - targets[rows[i]]) / n
            });
            let loss = rows
                .iter()
                .enumerate()
                .map(|(i, &r)| f64::from((out[(i, 0)] - targets[r]).powi(2)))
                .sum::<f64>()
                / f64::from(n);
            (loss, grad, 0)
        });
        let spec = MlpSpec::relu(&[1, 1]);
        let mut model = Mlp::new(&spec, &mut rng(4));
        let mut opt = Sgd::new(SgdConfig::momentum(0.05, 0.9));
        let cfg = TrainConfig::new(40, 20, 5);
        let h = fit_with(&mut model, &mut opt, &data, None, &cfg, &mse, &mut ());
        assert!(h.last().train_loss < 1e-4, "loss {}", h.last().train_loss);
        assert!((model.layers[0].w[(0, 0)] - 3.0).abs() < 0.01);
        assert!((model.layers[0].b[0] + 0.5).abs() < 0.01);
    }

    /// Smoothing averages runs of `every` steps (a short last run too); a diverged run scores
    /// NaN, not whatever its broken weights would predict.
    #[test]
    fn history_smooths_steps_and_scores_only_runs_that_did_not_diverge() {
        let data = spirals(60, 3, 0.02, 1);
        let model = Mlp::new(&MlpSpec::relu(&[2, 8, 3]), &mut rng(2));
        let mut h = History {
            step_losses: vec![1.0, 3.0, 2.0, 4.0, 9.0],
            ..History::default()
        };
        assert_eq!(h.smoothed_step_losses(2), vec![2.0, 3.0, 9.0]);
        assert_eq!(h.test_accuracy(&model, &data), evaluate(&model, &data).1);
        h.diverged = Some(Diverged { epoch: 1, step: 3 });
        assert!(h.test_accuracy(&model, &data).is_nan());
    }
}
