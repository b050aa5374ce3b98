//! Experiments 1, 3 and 4's clocks: the cost of a training epoch, of an evaluation-mode
//! prediction and of MC Dropout's T passes.
//!
//! Every number here is a median over repeats, and the variants being compared are interleaved
//! within each repeat (A, B, C, A, B, C, ...) so that a change in the machine's load hits them
//! alike. They run one at a time, never beside another experiment.

use ndarray::ArrayView2;
use serde::{Deserialize, Serialize};

use book_pipeline::clock::seconds;
use lab::data::Dataset;
use lab::layer::Dropout;
use lab::mc_dropout::{mc_loop, mc_shared_first, mc_stacked};
use lab::rng::{derive_seed, rng_stream};
use lab::stats::{Bootstrap, Interval, median, paired_ratio};
use lab::train::{TrainConfig, fit};
use lab::{Mlp, Recipe, Sgd};

use crate::training::init;

/// One epoch of `lab::train::fit` (no validation set), timed by fit's own clock: the seconds
/// of the epoch's steps, without the evaluation of the untrained net that precedes them.
fn timed_epoch(model: &mut Mlp, opt: &mut Sgd, data: &Dataset, batch: usize, seed: u64) -> f64 {
    let cfg = TrainConfig::new(1, batch, seed);
    let history = fit(model, opt, data, None, &cfg, &mut ());
    history.epoch_seconds[0]
}

/// Seconds per epoch for each dropout rate, and the time of drawing one epoch's masks.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct EpochCost {
    pub dropout: Vec<f32>,
    /// Median seconds per training epoch, per rate (of `repeats` below).
    pub epoch_seconds: Vec<f64>,
    /// Median seconds to draw every mask of one epoch at the largest rate (same for any p > 0).
    pub mask_seconds: f64,
    /// Every repeat's seconds, per rate (rates interleaved within a repeat).
    pub repeats: Vec<Vec<f64>>,
}

impl EpochCost {
    /// Epoch time at rate `p` over the plain epoch's: median of the per-repeat ratios and its
    /// 95% interval.
    pub fn overhead(&self, p: f32) -> (f64, Interval) {
        let i = self
            .dropout
            .iter()
            .position(|&q| q == p)
            .expect("rate timed");
        paired_ratio(&self.repeats[i], &self.repeats[0], Bootstrap::default())
    }
}

pub fn epoch_cost(
    net: &Recipe,
    ps: &[f32],
    data: &Dataset,
    repeats: usize,
    seed: u64,
) -> EpochCost {
    let mut models: Vec<Mlp> = ps.iter().map(|&p| init(net, data, p, seed)).collect();
    let mut opts: Vec<Sgd> = ps.iter().map(|_| net.optimizer()).collect();
    let mut times = vec![Vec::new(); ps.len()];
    let mut mask_times = Vec::new();
    let p_max = ps.iter().copied().fold(0.0, f32::max);
    let hidden = &net.hidden;
    let steps = net.steps_per_epoch(data);
    for r in 0..repeats {
        for i in 0..ps.len() {
            let epoch_seed = derive_seed(seed, "epoch") + r as u64;
            times[i].push(timed_epoch(
                &mut models[i],
                &mut opts[i],
                data,
                net.batch,
                epoch_seed,
            ));
        }
        // The masks alone: one per hidden layer per step.
        let drop = Dropout { p: p_max };
        mask_times.push(seconds(|| {
            for step in 0..steps {
                let mut g = rng_stream(seed, step as u64);
                for &w in hidden.iter() {
                    std::hint::black_box(drop.mask((net.batch, w), &mut g));
                }
            }
        }));
    }
    EpochCost {
        dropout: ps.to_vec(),
        epoch_seconds: times.iter().map(|t| median(t)).collect(),
        mask_seconds: median(&mask_times),
        repeats: times,
    }
}

/// Evaluation-mode prediction time of two nets of the same shape (plain and dropout-trained).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct InferenceCost {
    pub rows: usize,
    pub plain_seconds: f64,
    pub dropout_seconds: f64,
}

pub fn inference_cost(
    plain: &Mlp,
    dropout: &Mlp,
    x: ArrayView2<f32>,
    repeats: usize,
) -> InferenceCost {
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for _ in 0..repeats {
        a.push(seconds(|| {
            std::hint::black_box(plain.forward(x));
        }));
        b.push(seconds(|| {
            std::hint::black_box(dropout.forward(x));
        }));
    }
    InferenceCost {
        rows: x.nrows(),
        plain_seconds: median(&a),
        dropout_seconds: median(&b),
    }
}

/// MC Dropout's cost for a request of `rows` examples and `passes` passes, three ways, and one
/// deterministic pass for reference.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct McCost {
    pub rows: usize,
    pub passes: usize,
    /// Medians of the repeats.
    pub one_pass_seconds: f64,
    pub loop_seconds: f64,
    pub stacked_seconds: f64,
    pub shared_first_seconds: f64,
    /// Every repeat of the deterministic pass and of the loop (interleaved).
    pub one_pass_repeats: Vec<f64>,
    pub loop_repeats: Vec<f64>,
}

pub fn mc_cost(
    model: &Mlp,
    x: ArrayView2<f32>,
    passes: usize,
    repeats: usize,
    seed: u64,
) -> McCost {
    let mut t = vec![Vec::new(); 4];
    for _ in 0..repeats {
        t[0].push(seconds(|| {
            std::hint::black_box(model.forward(x));
        }));
        t[1].push(seconds(|| {
            std::hint::black_box(mc_loop(model, x, seed, passes));
        }));
        t[2].push(seconds(|| {
            std::hint::black_box(mc_stacked(model, x, seed, passes));
        }));
        t[3].push(seconds(|| {
            std::hint::black_box(mc_shared_first(model, x, seed, passes));
        }));
    }
    McCost {
        rows: x.nrows(),
        passes,
        one_pass_seconds: median(&t[0]),
        loop_seconds: median(&t[1]),
        stacked_seconds: median(&t[2]),
        shared_first_seconds: median(&t[3]),
        one_pass_repeats: t[0].clone(),
        loop_repeats: t[1].clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lab::rng::rng;

    /// `Dropout::mask` reads the generator in blocks; its entries must be exactly those of one
    /// `next_u32` per entry against the threshold (the reference below), whatever the shape.
    #[test]
    fn mask_is_one_generator_word_per_entry() {
        use lab::rng::RngCore;
        for (p, shape) in [
            (0.5f32, (37, 301)),
            (0.2, (1, 5)),
            (0.9, (64, 512)),
            (0.0, (3, 3)),
        ] {
            let mut r = rng(5);
            let keep = 1.0 - f64::from(p);
            let threshold = (keep * 4_294_967_296.0).min(4_294_967_295.0) as u32;
            let reference = ndarray::Array2::from_shape_fn(shape, |_| {
                if r.next_u32() < threshold {
                    (1.0 / keep) as f32
                } else {
                    0.0
                }
            });
            let mut g = rng(5);
            assert_eq!(
                Dropout { p }.mask(shape, &mut g),
                reference,
                "p = {p}, {shape:?}"
            );
            // And the generator is left where the reference left it.
            assert_eq!(g.next_u32(), r.next_u32());
        }
    }
}
