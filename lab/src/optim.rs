//! Stochastic gradient descent with momentum (heavy ball or Nesterov), as in PyTorch and Keras.
//!
//! For each parameter tensor `w` with gradient `g` (after the penalty's gradient is added):
//!
//! ```text
//! v ← β·v + g
//! w ← w − α·v                (heavy ball)
//! w ← w − α·(g + β·v)        (Nesterov, PyTorch's formulation)
//! ```
//!
//! then the penalty's proximal step, if any. With β = 0 this is plain SGD. The effective step
//! along a constant gradient is α/(1 − β): 10α at β = 0.9.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::layer::DenseGrads;
use crate::regularize::Penalty;
use crate::train::Model;

/// Elements per parallel task of an elementwise update: a 784 × 300 weight matrix is 8 tasks.
const UPDATE_CHUNK: usize = 1 << 15;
/// Below this many elements an update runs on the calling thread: splitting 10⁵ elements
/// (tens of microseconds) costs more than it saves.
const UPDATE_PARALLEL_MIN: usize = 1 << 17;

/// Whether an elementwise pass over `len` elements runs in parallel chunks of [`UPDATE_CHUNK`]
/// (each element's arithmetic is the same whichever thread does it, so the bits do not depend
/// on the number of threads): only when the caller allows `split` and there is enough work.
fn in_parallel(split: bool, len: usize) -> bool {
    split && len >= UPDATE_PARALLEL_MIN
}

/// `f(w, g)`, on matching chunks of [`UPDATE_CHUNK`] that rayon may run on several threads when
/// `split` and there are at least [`UPDATE_PARALLEL_MIN`] elements, inline otherwise.
pub fn in_chunks(split: bool, w: &mut [f32], g: &[f32], f: impl Fn(&mut [f32], &[f32]) + Sync) {
    if in_parallel(split, w.len()) {
        w.par_chunks_mut(UPDATE_CHUNK)
            .zip(g.par_chunks(UPDATE_CHUNK))
            .for_each(|(w, g)| f(w, g));
    } else {
        f(w, g);
    }
}

/// The optimiser's settings.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct SgdConfig {
    /// Learning rate α.
    pub lr: f32,
    /// Momentum β (0 = plain SGD).
    pub momentum: f32,
    pub nesterov: bool,
    /// Penalty on weights (not biases).
    pub penalty: Penalty,
}

impl SgdConfig {
    pub fn plain(lr: f32) -> Self {
        SgdConfig {
            lr,
            momentum: 0.0,
            nesterov: false,
            penalty: Penalty::None,
        }
    }
    pub fn momentum(lr: f32, momentum: f32) -> Self {
        SgdConfig {
            momentum,
            ..Self::plain(lr)
        }
    }
    pub fn with_penalty(mut self, penalty: Penalty) -> Self {
        self.penalty = penalty;
        self
    }
    pub fn with_nesterov(mut self) -> Self {
        self.nesterov = true;
        self
    }
}

/// SGD with its velocity buffers, one per parameter tensor (created on first use).
#[derive(Clone, Debug)]
pub struct Sgd {
    pub config: SgdConfig,
    velocity: Vec<Vec<f32>>,
}

impl Sgd {
    pub fn new(config: SgdConfig) -> Self {
        Sgd {
            config,
            velocity: Vec::new(),
        }
    }

    /// Update one tensor (`slot` identifies its velocity). `penalise` is false for biases;
    /// `split` lets a large tensor's update run on several threads (see [`Sgd::step`]).
    pub fn update(&mut self, slot: usize, w: &mut [f32], g: &[f32], penalise: bool, split: bool) {
        let SgdConfig {
            lr,
            momentum,
            nesterov,
            penalty,
        } = self.config;
        // A penalty's gradient is added to a copy; without one, the gradient is used as is.
        let with_penalty;
        let g = if penalise && matches!(penalty, Penalty::L2(_) | Penalty::L1Subgradient(_)) {
            let mut g = g.to_vec();
            penalty.add_gradient(w, &mut g);
            with_penalty = g;
            &with_penalty
        } else {
            g
        };
        if momentum == 0.0 {
            in_chunks(split, w, g, |w, g| {
                w.iter_mut().zip(g).for_each(|(w, &g)| *w -= lr * g)
            });
        } else {
            if self.velocity.len() <= slot {
                self.velocity.resize(slot + 1, Vec::new());
            }
            let v = &mut self.velocity[slot];
            if v.len() != w.len() {
                *v = vec![0.0; w.len()];
            }
            let heavy_ball = |w: &mut [f32], v: &mut [f32], g: &[f32]| {
                for ((w, v), &g) in w.iter_mut().zip(v.iter_mut()).zip(g) {
                    *v = momentum * *v + g;
                    *w -= lr * if nesterov { g + momentum * *v } else { *v };
                }
            };
            if in_parallel(split, w.len()) {
                w.par_chunks_mut(UPDATE_CHUNK)
                    .zip(v.par_chunks_mut(UPDATE_CHUNK))
                    .zip(g.par_chunks(UPDATE_CHUNK))
                    .for_each(|((w, v), g)| heavy_ball(w, v, g));
            } else {
                heavy_ball(w, v, g);
            }
        }
        if penalise {
            penalty.proximal(w, lr);
        }
    }

    /// One step on every dense layer of a model (weights penalised, biases not).
    ///
    /// With `split`, the updates of large tensors are cut into chunks that run on rayon's
    /// threads. That pays only while the threads are awake, as right after a step whose shards
    /// ran in parallel: waking a sleeping thread costs about 80 µs on the book's machine, more
    /// than the update of a 784 × 300 matrix (split on every step of a batch of 32, which has one
    /// shard, it made the two-thread epoch 1.2× slower).
    pub fn step<M: Model>(&mut self, model: &mut M, grads: &[DenseGrads], split: bool) {
        for (l, (layer, g)) in model.dense_layers_mut().into_iter().zip(grads).enumerate() {
            let w = layer.w.as_slice_mut().expect("weights are contiguous");
            self.update(2 * l, w, g.w.as_slice().expect("contiguous"), true, split);
            let b = layer.b.as_slice_mut().expect("biases are contiguous");
            self.update(
                2 * l + 1,
                b,
                g.b.as_slice().expect("contiguous"),
                false,
                split,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Heavy ball on f(w) = ½w², g = w, by hand: v₁ = 1, w₁ = 1 − 0.1 = 0.9;
    /// v₂ = 0.9·1 + 0.9 = 1.8, w₂ = 0.9 − 0.18 = 0.72.
    #[test]
    fn heavy_ball_by_hand() {
        let mut opt = Sgd::new(SgdConfig::momentum(0.1, 0.9));
        let mut w = [1.0f32];
        let g = [w[0]];
        opt.update(0, &mut w, &g, true, false);
        assert!((w[0] - 0.9).abs() < 1e-7);
        let g = [w[0]];
        opt.update(0, &mut w, &g, true, false);
        assert!((w[0] - 0.72).abs() < 1e-6);
    }

    /// Nesterov (PyTorch form): v₁ = 1, w₁ = 1 − 0.1·(1 + 0.9) = 0.81.
    #[test]
    fn nesterov_by_hand() {
        let mut opt = Sgd::new(SgdConfig::momentum(0.1, 0.9).with_nesterov());
        let mut w = [1.0f32];
        opt.update(0, &mut w, &[1.0], true, false);
        assert!((w[0] - 0.81).abs() < 1e-6);
    }

    #[test]
    fn penalties_reach_weights_not_biases() {
        let mut opt = Sgd::new(SgdConfig::plain(0.1).with_penalty(Penalty::L1Proximal(1.0)));
        let mut w = [0.05f32, 0.5];
        opt.update(0, &mut w, &[0.0, 0.0], true, false);
        assert_eq!(w, [0.0, 0.4]);
        let mut b = [0.05f32];
        opt.update(1, &mut b, &[0.0], false, false);
        assert_eq!(b, [0.05]);
    }

    /// A tensor large enough to be updated in parallel chunks gets, on 1 and on 2 threads,
    /// exactly the bits of the one-element-at-a-time formula (plain, heavy ball, Nesterov).
    #[test]
    fn large_updates_are_the_formula_on_any_number_of_threads() {
        let n = UPDATE_PARALLEL_MIN + 12_345;
        let w0: Vec<f32> = (0..n).map(|i| (i as f32 * 0.618_034).sin()).collect();
        let g: Vec<f32> = (0..n).map(|i| (i as f32 * 0.414_214).cos()).collect();
        for config in [
            SgdConfig::plain(0.1),
            SgdConfig::momentum(0.1, 0.9),
            SgdConfig::momentum(0.1, 0.9).with_nesterov(),
        ] {
            // Two steps by hand, element by element.
            let (mut want, mut v) = (w0.clone(), vec![0.0f32; n]);
            for _ in 0..2 {
                for i in 0..n {
                    if config.momentum == 0.0 {
                        want[i] -= config.lr * g[i];
                    } else {
                        v[i] = config.momentum * v[i] + g[i];
                        let step = if config.nesterov {
                            g[i] + config.momentum * v[i]
                        } else {
                            v[i]
                        };
                        want[i] -= config.lr * step;
                    }
                }
            }
            for threads in [1, 2] {
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .unwrap();
                let mut opt = Sgd::new(config);
                let mut w = w0.clone();
                pool.install(|| {
                    opt.update(0, &mut w, &g, true, true);
                    opt.update(0, &mut w, &g, true, true);
                });
                let bits = |x: &[f32]| x.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&w), bits(&want), "{config:?} on {threads} thread(s)");
            }
        }
    }

    /// `in_chunks` reaches every element once, in parallel chunks or inline.
    #[test]
    fn in_chunks_covers_every_element_once() {
        let sizes = [
            0,
            1,
            UPDATE_CHUNK,
            UPDATE_PARALLEL_MIN - 1,
            UPDATE_PARALLEL_MIN + 7,
        ];
        for (n, split) in sizes.into_iter().flat_map(|n| [(n, false), (n, true)]) {
            let mut t = vec![1.0f32; n];
            let p: Vec<f32> = (0..n).map(|i| i as f32).collect();
            in_chunks(split, &mut t, &p, |t, p| {
                t.iter_mut().zip(p).for_each(|(t, &p)| *t += p)
            });
            assert!(
                t.iter().enumerate().all(|(i, &t)| t == 1.0 + i as f32),
                "n = {n}, split = {split}"
            );
        }
    }
}
