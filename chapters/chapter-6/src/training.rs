//! The runs of the chapter, each trained by `lab::train::fit` with an observer that prunes:
//! the dense baseline, fine-tuning under a fixed mask, gradual pruning, and ℓ1-penalised
//! training.

use serde::{Deserialize, Serialize};

use lab::data::Dataset;
use lab::rng::{derive_seed, rng};
use lab::train::{Observer, evaluate, fit};
use lab::{Mlp, Penalty, Recipe, Sgd};

use crate::prune::{Masks, PolynomialDecay, Scope, magnitude_masks, weight_sparsity};

/// LeNet-300-100 (784-300-100-10 on Fashion-MNIST): ReLU, He-normal weights, zero biases.
pub fn lenet(net: &Recipe, data: &Dataset, seed: u64) -> Mlp {
    Mlp::new(&net.spec(data), &mut rng(derive_seed(seed, "init")))
}

/// `net.epochs` epochs of mini-batch SGD on softmax cross-entropy (the batch order seeded by
/// `seed`), with `observer` called around each step. A run that diverges stops there (lab's
/// policy); its net then scores chance or NaN, and the report shows that number.
pub fn train(
    model: &mut Mlp,
    opt: &mut Sgd,
    data: &Dataset,
    net: &Recipe,
    seed: u64,
    observer: &mut dyn Observer,
) {
    fit(model, opt, data, None, &net.train_config(seed), observer);
}

/// Test accuracy of a model.
pub fn accuracy(model: &Mlp, test: &Dataset) -> f64 {
    evaluate(model, test).1
}

/// The dense baseline: `net.epochs` epochs from a fresh LeNet-300-100.
pub fn baseline(train_set: &Dataset, net: &Recipe, seed: u64) -> Mlp {
    let mut model = lenet(net, train_set, seed);
    let mut opt = net.optimizer();
    let order = derive_seed(seed, "baseline");
    train(&mut model, &mut opt, train_set, net, order, &mut ());
    model
}

// ANCHOR: finetune
/// Fine-tuning keeps the mask fixed: pruned weights are zeroed again after every step.
struct FixedMask<'a>(&'a Masks);

impl Observer for FixedMask<'_> {
    fn after_step(&mut self, _steps: usize, model: &mut Mlp) {
        self.0.apply(model);
    }
}

/// One-shot pruning of a trained model, then `finetune.epochs` epochs of training with the mask
/// fixed. Returns the pruned model before and after fine-tuning.
pub fn one_shot(
    trained: &Mlp,
    sparsity: f64,
    scope: Scope,
    train_set: &Dataset,
    finetune: &Recipe,
    seed: u64,
) -> (Mlp, Mlp) {
    let masks = magnitude_masks(trained, sparsity, scope);
    let mut pruned = trained.clone();
    masks.apply(&mut pruned);
    let mut tuned = pruned.clone();
    let mut opt = finetune.optimizer();
    let order = derive_seed(seed, "fine-tune");
    train(
        &mut tuned,
        &mut opt,
        train_set,
        finetune,
        order,
        &mut FixedMask(&masks),
    );
    (pruned, tuned)
}
// ANCHOR_END: finetune

/// One point of the gradual run's trace.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub struct SparsityPoint {
    pub step: usize,
    /// The schedule's `s_t` at the last mask update.
    pub target: f64,
    /// Fraction of weights exactly zero after the step.
    pub measured: f64,
}

// ANCHOR: gradual
/// The toolkit's pruning wrapper: masks recomputed by the schedule, applied after every step.
struct Gradual {
    schedule: PolynomialDecay,
    scope: Scope,
    masks: Option<Masks>,
    /// The schedule's value at the last mask update.
    target: f64,
    trace_every: usize,
    trace: Vec<SparsityPoint>,
}

impl Observer for Gradual {
    fn before_step(&mut self, t: usize, model: &mut Mlp, _opt: &mut Sgd) {
        if self.schedule.should_prune(t) {
            self.target = self.schedule.sparsity(t);
            let masks = magnitude_masks(model, self.target, self.scope);
            masks.apply(model);
            self.masks = Some(masks);
            // A point at the update itself, so the trace shows the jump where it happens.
            self.trace.push(SparsityPoint {
                step: t,
                target: self.target,
                measured: weight_sparsity(model),
            });
        }
    }
    fn after_step(&mut self, steps: usize, model: &mut Mlp) {
        if let Some(masks) = &self.masks {
            masks.apply(model);
        }
        if steps.is_multiple_of(self.trace_every) {
            self.trace.push(SparsityPoint {
                step: steps,
                target: self.target,
                measured: weight_sparsity(model),
            });
        }
    }
}

/// Gradual magnitude pruning of a trained model over `finetune.epochs` epochs, with masks taken
/// per layer (as the toolkit prunes each wrapped layer) or globally. Returns the model and the
/// target and measured sparsity every `trace_every` steps.
pub fn gradual(
    trained: &Mlp,
    schedule: PolynomialDecay,
    scope: Scope,
    train_set: &Dataset,
    finetune: &Recipe,
    seed: u64,
    trace_every: usize,
) -> (Mlp, Vec<SparsityPoint>) {
    let mut model = trained.clone();
    let mut opt = finetune.optimizer();
    let mut hook = Gradual {
        schedule,
        scope,
        masks: None,
        target: 0.0,
        trace_every,
        trace: Vec::new(),
    };
    // The batch order of one-shot + fine-tune: the two runs differ only in how they prune.
    let order = derive_seed(seed, "fine-tune");
    train(&mut model, &mut opt, train_set, finetune, order, &mut hook);
    (model, hook.trace)
}
// ANCHOR_END: gradual

/// `net.epochs` epochs from a fresh LeNet-300-100 with an ℓ1 penalty (subgradient or proximal).
pub fn l1_run(train_set: &Dataset, net: &Recipe, penalty: Penalty, seed: u64) -> Mlp {
    let mut model = lenet(net, train_set, seed);
    let mut opt = Sgd::new(net.sgd.with_penalty(penalty));
    let order = derive_seed(seed, "baseline");
    train(&mut model, &mut opt, train_set, net, order, &mut ());
    model
}
