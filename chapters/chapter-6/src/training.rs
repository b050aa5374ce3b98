//! The runs of the chapter, each trained by `lab::train::fit` with an observer that prunes:
//! the dense baseline, fine-tuning under a fixed mask, gradual pruning, and ℓ1-penalised
//! training.

use serde::{Deserialize, Serialize};

use lab::data::Dataset;
use lab::rng::{derive_seed, rng};
use lab::train::{Observer, evaluate, fit};
use lab::{Mlp, Penalty, Recipe, Sgd};

use crate::prune::{Masks, Schedule, Scope, magnitude_masks, weight_sparsity};

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
struct Gradual<S> {
    schedule: S,
    scope: Scope,
    masks: Option<Masks>,
    /// The schedule's value at the last mask update.
    target: f64,
    trace_every: usize,
    trace: Vec<SparsityPoint>,
}

impl<S: Schedule> Observer for Gradual<S> {
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
/// per layer (as the toolkit prunes each wrapped layer) or globally, on the toolkit's
/// [`PolynomialDecay`](crate::prune::PolynomialDecay) or in a few [`Rounds`](crate::prune::Rounds).
/// Returns the model and the target and measured sparsity every `trace_every` steps.
pub fn gradual(
    trained: &Mlp,
    schedule: impl Schedule,
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

// ANCHOR: lottery
/// Frankle & Carbin's (2019) lottery ticket, from the trained dense `trained` of `seed` (whose
/// initial weights [`lenet`] rebuilds): `rounds` times, prune globally to the round's sparsity
/// (each round removing the same fraction of the weights left), rewind every surviving weight
/// and bias to its initial value, and train `net.epochs` epochs with the mask fixed.
///
/// Returns the test accuracy after each round, the ticket, and the control: the final mask
/// trained the same way from a fresh random initialisation (same batches).
pub fn lottery(
    trained: &Mlp,
    final_sparsity: f64,
    rounds: usize,
    train_set: &Dataset,
    test: &Dataset,
    net: &Recipe,
    seed: u64,
) -> (Vec<f64>, Mlp, Mlp) {
    let initial = lenet(net, train_set, seed);
    let order = derive_seed(seed, "lottery");
    let keep = crate::prune::Rounds {
        final_sparsity,
        rounds,
        every: 1,
    };
    let retrain = |start: &Mlp, masks: &Masks| {
        let mut model = start.clone();
        masks.apply(&mut model);
        let mut opt = net.optimizer();
        train(
            &mut model,
            &mut opt,
            train_set,
            net,
            order,
            &mut FixedMask(masks),
        );
        model
    };
    let (mut ticket, mut masks) = (trained.clone(), None);
    let mut accuracies = Vec::new();
    for k in 1..=rounds {
        let m = magnitude_masks(&ticket, keep.after_round(k), Scope::Global);
        ticket = retrain(&initial, &m);
        accuracies.push(accuracy(&ticket, test));
        masks = Some(m);
    }
    let masks = masks.expect("at least one round");
    let fresh = lenet(net, train_set, derive_seed(seed, "lottery control"));
    let control = retrain(&fresh, &masks);
    (accuracies, ticket, control)
}
// ANCHOR_END: lottery

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prune::zeros_per_layer;
    use lab::SgdConfig;
    use lab::data::spirals;

    /// Two rounds to 75%: the ticket has exactly round(0.75·n) zero weights, its reinitialised
    /// control the same zeros (the same mask), and the ticket's surviving weights started from
    /// the dense net's initial values (one epoch at a tiny rate barely moves them).
    #[test]
    fn the_ticket_keeps_its_mask_and_its_initial_weights() {
        let data = spirals(300, 3, 0.05, 1);
        let net = Recipe::new(&[16, 16], SgdConfig::plain(0.05), 3, 32);
        let trained = baseline(&data, &net, 4);
        let slow = Recipe {
            sgd: SgdConfig::plain(1e-6),
            epochs: 1,
            ..net.clone()
        };
        let (acc, ticket, control) = lottery(&trained, 0.75, 2, &data, &data, &slow, 4);
        assert_eq!(acc.len(), 2);
        let n: usize = ticket.layers.iter().map(|l| l.w.len()).sum();
        let zeros: usize = zeros_per_layer(&ticket).iter().sum();
        assert_eq!(zeros, (0.75 * n as f64).round() as usize);
        let initial = lenet(&slow, &data, 4);
        for ((t, c), i) in ticket
            .layers
            .iter()
            .zip(&control.layers)
            .zip(&initial.layers)
        {
            for ((&wt, &wc), &wi) in t.w.iter().zip(&c.w).zip(&i.w) {
                assert_eq!(wt == 0.0, wc == 0.0, "the same mask");
                if wt != 0.0 {
                    assert!((wt - wi).abs() < 1e-4, "rewound: {wt} vs {wi}");
                }
            }
        }
    }
}
