//! Experiment 4 (and the network half of 5): a Fashion-MNIST MLP trained with SGD at several
//! momenta, at a fixed step α and at a fixed effective step α/(1 − β), with Nesterov, and with
//! Sutskever et al.'s momentum ramp.

use serde::{Deserialize, Serialize};

use lab::data::Dataset;
use lab::rng::{derive_seed, rng_stream};
use lab::train::{Observer, TrainConfig, evaluate, fit};
use lab::{Mlp, Recipe, Sgd, SgdConfig};

use crate::quadratic::sutskever_momentum;

/// How β evolves during training.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum MomentumSchedule {
    Constant(f32),
    /// Sutskever's ramp capped at `mu_max`, then `final_mu` for the last `final_fraction` of
    /// the steps.
    Ramp {
        mu_max: f64,
        block: usize,
        final_mu: f32,
        final_fraction: f64,
    },
}

impl MomentumSchedule {
    /// β for step `t` (from 0) of a run of `total` steps.
    pub fn momentum(&self, t: usize, total: usize) -> f32 {
        match *self {
            MomentumSchedule::Constant(b) => b,
            MomentumSchedule::Ramp {
                mu_max,
                block,
                final_mu,
                final_fraction,
            } => {
                if t as f64 >= (1.0 - final_fraction) * total as f64 {
                    final_mu
                } else {
                    sutskever_momentum(t, mu_max, block) as f32
                }
            }
        }
    }
}

/// A family of optimiser variants on the MLP.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Family {
    /// Heavy ball with the step α at every β.
    FixedStep,
    /// Heavy ball with α shrunk as β grows, keeping α/(1 − β).
    FixedEffectiveStep,
    /// Nesterov momentum with the step α.
    Nesterov,
    /// Sutskever et al.'s ramp of β.
    Ramp,
}

impl Family {
    pub fn name(self) -> &'static str {
        match self {
            Family::FixedStep => "fixed α",
            Family::FixedEffectiveStep => "fixed α/(1 − β)",
            Family::Nesterov => "Nesterov",
            Family::Ramp => "ramp",
        }
    }
}

/// One variant of the optimiser.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Variant {
    pub family: Family,
    /// β (the cap μ_max for the ramp).
    pub beta: f64,
    pub lr: f32,
    pub schedule: MomentumSchedule,
    pub nesterov: bool,
}

/// One training run.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MlpRun {
    pub family: Family,
    pub beta: f64,
    pub lr: f64,
    pub seed_index: usize,
    /// Mean mini-batch loss over each window of `smoothing` steps (up to divergence).
    pub smoothed: Vec<f64>,
    /// The step at which the loss became NaN or infinite.
    pub diverged_at: Option<usize>,
    /// Cross-entropy on the whole training subset after training (NaN if diverged).
    pub final_loss: f64,
    pub test_accuracy: f64,
    /// [`worst_relapse`] of the smoothed loss.
    pub relapse: f64,
}

// ANCHOR: relapse
/// The worst relapse of a loss curve: the largest ratio of a value to the lowest value before
/// it, maxₜ Lₜ / min_{s ≤ t} L_s (1 for a curve that never goes back up). An optimiser that
/// overshoots climbs back far above its best; on means over many steps, mini-batch noise moves
/// the curve by a few percent. A non-finite value (a diverged run) is an infinite relapse.
pub fn worst_relapse(curve: &[f64]) -> f64 {
    let mut best = f64::INFINITY;
    let mut worst: f64 = 1.0;
    for &x in curve {
        if !x.is_finite() {
            return f64::INFINITY;
        }
        best = best.min(x);
        worst = worst.max(x / best);
    }
    worst
}
// ANCHOR_END: relapse

// ANCHOR: train
/// Sets the optimiser's β before every step of a run of `total` steps.
struct Scheduled {
    schedule: MomentumSchedule,
    total: usize,
}

impl Observer for Scheduled {
    fn before_step(&mut self, steps: usize, _model: &mut Mlp, opt: &mut Sgd) {
        opt.config.momentum = self.schedule.momentum(steps, self.total);
    }
}

/// Train one network with `variant`; `seed_index` picks the initial weights and the batch order
/// (shared by every variant with that index, so comparisons are paired).
/// `smoothing` steps make one point of the smoothed loss curve.
pub fn train(
    net: &Recipe,
    variant: &Variant,
    (train, test): (&Dataset, &Dataset),
    seed: u64,
    seed_index: usize,
    smoothing: usize,
) -> MlpRun {
    let spec = net.spec(train);
    let mut model = Mlp::new(
        &spec,
        &mut rng_stream(derive_seed(seed, "weights"), seed_index as u64),
    );
    let mut opt = Sgd::new(SgdConfig {
        lr: variant.lr,
        nesterov: variant.nesterov,
        ..net.sgd
    });
    let order = derive_seed(seed, &format!("batch order {seed_index}"));
    let tc = TrainConfig {
        record_steps: true,
        ..net.train_config(order)
    };
    let mut schedule = Scheduled {
        schedule: variant.schedule,
        total: net.epochs * net.steps_per_epoch(train),
    };
    let history = fit(&mut model, &mut opt, train, None, &tc, &mut schedule);
    let diverged_at = history.diverged.map(|d| d.step);
    let smoothed = history.smoothed_step_losses(smoothing);
    let (final_loss, test_accuracy) = if diverged_at.is_some() {
        (f64::NAN, f64::NAN)
    } else {
        (evaluate(&model, train).0, evaluate(&model, test).1)
    };
    // A finite but astronomically large loss can still overflow the full-set mean.
    let final_loss = if final_loss.is_finite() {
        final_loss
    } else {
        f64::NAN
    };
    MlpRun {
        family: variant.family,
        beta: variant.beta,
        lr: f64::from(variant.lr),
        seed_index,
        relapse: if diverged_at.is_some() {
            f64::INFINITY
        } else {
            worst_relapse(&smoothed)
        },
        smoothed,
        diverged_at,
        final_loss,
        test_accuracy,
    }
}
// ANCHOR_END: train

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relapse_is_the_largest_climb_above_the_best_so_far() {
        assert_eq!(worst_relapse(&[]), 1.0);
        // A falling curve never relapses.
        assert_eq!(worst_relapse(&[2.0, 1.5, 1.0, 0.5]), 1.0);
        // 2 → 1 → 1.5 → 0.5 → 1.9: the climb to 1.9 from 0.5 (×3.8) is the worst, not
        // the one from 1 to 1.5 or from the first value.
        assert!((worst_relapse(&[2.0, 1.0, 1.5, 0.5, 1.9]) - 3.8).abs() < 1e-12);
        // Values before the best do not count as relapses from it.
        assert!((worst_relapse(&[4.0, 1.0, 1.1]) - 1.1).abs() < 1e-12);
        // A diverged run (NaN or ∞) is an infinite relapse.
        assert_eq!(worst_relapse(&[1.0, 0.5, f64::NAN]), f64::INFINITY);
    }
}
