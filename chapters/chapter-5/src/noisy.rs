//! Experiment 3, with noise: the same quadratic when every gradient carries independent
//! Gaussian noise, g = λw + σξ, as a mini-batch gradient does. The error no longer goes to
//! zero: it settles at a floor that the momentum raises like 1/(1 − β), and reaches it at the
//! same 2/(1 − β) iterations per e-fold as without noise.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use lab::rng::{derive_seed, rng_stream};
use lab::stats::{Interval, mean, mean_ci};
use ndarray_rand::rand_distr::{Distribution, StandardNormal};

use crate::quadratic::{self, Method, Momentum, Problem, e_folding};

// ANCHOR: floor
/// The stationary variance of w in one direction of curvature λ when each gradient carries
/// independent noise of standard deviation σ (v' = βv + λw + σξ, w' = w − αv'):
///
///   Var(w) = α σ² (1 + β) / (λ (1 − β) (2 + 2β − αλ)),
///
/// the fixed point Σ = M Σ Mᵀ + σ² b bᵀ of the covariance of (w, v) under the iteration
/// matrix M, the noise entering through b = (−α, 1). β = 0 gives SGD's ασ²/(λ(2 − αλ)); as
/// β → 1 it grows like 1/(1 − β). Valid inside the stability edge αλ < 2 + 2β.
pub fn stationary_variance(alpha: f64, beta: f64, lambda: f64, sigma: f64) -> f64 {
    alpha * sigma * sigma * (1.0 + beta)
        / (lambda * (1.0 - beta) * (2.0 + 2.0 * beta - alpha * lambda))
}

/// The loss at which heavy ball settles: E f = Σᵢ ½ λᵢ Var(wᵢ).
pub fn stationary_loss(alpha: f64, beta: f64, lambda: [f64; 2], sigma: f64) -> f64 {
    lambda
        .iter()
        .map(|&l| 0.5 * l * stationary_variance(alpha, beta, l, sigma))
        .sum()
}
// ANCHOR_END: floor

/// The settings of the noisy runs.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct NoisyConfig {
    /// Standard deviation of the noise on each gradient coordinate.
    pub sigma: f64,
    /// Independent chains per β (each its own noise stream).
    pub chains: usize,
    /// Each chain runs `burn + measure` e-fold times of the noiseless iteration (at least
    /// `min_steps` iterations); the floor is the mean of f over the last `measure` of them.
    pub burn: f64,
    pub measure: f64,
    pub min_steps: usize,
    /// Log-spaced bins of the loss-against-iteration curve.
    pub bins: usize,
}

/// All chains of one β.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct NoisyRun {
    pub alpha: f64,
    pub beta: f64,
    pub chains: usize,
    pub steps: usize,
    /// Iterations from which the floor is averaged.
    pub measure_from: usize,
    /// [`stationary_loss`], relative to f(w₀).
    pub predicted: f64,
    /// The mean over chains of each chain's time-averaged f/f(w₀), and its 95% interval.
    pub measured: f64,
    pub interval: Interval,
    /// (iteration, mean of f/f(w₀) over the bin and the chains) with noise, and the same
    /// iteration without noise (σ = 0, one run).
    pub noisy: Vec<(f64, f64)>,
    pub noiseless: Vec<(f64, f64)>,
}

/// f/f(w₀) of one chain: the mean over each log-spaced bin, and the mean over the iterations
/// from `measure_from` on. `sigma` 0 is the noiseless iteration.
fn chain(
    method: Method,
    p: &Problem,
    sigma: f64,
    (steps, measure_from): (usize, usize),
    bins: usize,
    seed: (u64, u64),
) -> (Vec<(f64, f64)>, f64) {
    let loss = |w: &[f64; 2]| 0.5 * (p.lambda[0] * w[0] * w[0] + p.lambda[1] * w[1] * w[1]);
    let f0 = loss(&p.w0);
    let mut rng = rng_stream(seed.0, seed.1);
    let beta = method.momentum.at(0);
    let (mut w, mut v) = (p.w0, [0.0; 2]);
    let edge = |b: usize| (steps as f64).powf((b + 1) as f64 / bins as f64);
    let (mut curve, mut bin, mut sum, mut n) = (Vec::new(), 0, 0.0, 0usize);
    let (mut tail, mut tail_n) = (0.0, 0usize);
    for k in 1..=steps {
        // v ← βv + λw + σξ, w ← w − αv: quadratic::step with a noisy gradient.
        for i in 0..2 {
            let xi: f64 = if sigma > 0.0 {
                StandardNormal.sample(&mut rng)
            } else {
                0.0
            };
            v[i] = beta * v[i] + p.lambda[i] * w[i] + sigma * xi;
            w[i] -= method.alpha * v[i];
        }
        let f = loss(&w) / f0;
        (sum, n) = (sum + f, n + 1);
        if k >= measure_from {
            (tail, tail_n) = (tail + f, tail_n + 1);
        }
        if k as f64 >= edge(bin) || k == steps {
            curve.push((k as f64, sum / n as f64));
            (sum, n) = (0.0, 0);
            while k as f64 >= edge(bin) && bin < bins {
                bin += 1;
            }
        }
    }
    (curve, tail / tail_n.max(1) as f64)
}

/// Run `chains` noisy chains and one noiseless run for each β at step α, in parallel;
/// deterministic (chain c of β number b draws from its own stream).
pub fn run(alpha: f64, betas: &[f64], p: &Problem, cfg: &NoisyConfig, seed: u64) -> Vec<NoisyRun> {
    let key = derive_seed(seed, "noisy quadratic");
    betas
        .iter()
        .enumerate()
        .map(|(b, &beta)| {
            let method = Method {
                alpha,
                momentum: Momentum::Constant(beta),
                nesterov: false,
            };
            let rho = quadratic::predicted_rate(&method, p.lambda).map_or(0.0, |r| r.0);
            let e = e_folding(rho);
            let steps = (((cfg.burn + cfg.measure) * e).ceil() as usize).max(cfg.min_steps);
            let measure_from =
                steps - (cfg.measure / (cfg.burn + cfg.measure) * steps as f64) as usize;
            let lengths = (steps, measure_from);
            let chains: Vec<(Vec<(f64, f64)>, f64)> = (0..=cfg.chains)
                .into_par_iter()
                .map(|c| {
                    let sigma = if c == 0 { 0.0 } else { cfg.sigma };
                    chain(
                        method,
                        p,
                        sigma,
                        lengths,
                        cfg.bins,
                        (key, (b * 1000 + c) as u64),
                    )
                })
                .collect();
            let floors: Vec<f64> = chains[1..].iter().map(|c| c.1).collect();
            let noisy = (0..chains[1].0.len())
                .map(|i| {
                    let ys: Vec<f64> = chains[1..].iter().map(|c| c.0[i].1).collect();
                    (chains[1].0[i].0, mean(&ys))
                })
                .collect();
            let f0 = 0.5 * (p.lambda[0] * p.w0[0].powi(2) + p.lambda[1] * p.w0[1].powi(2));
            NoisyRun {
                alpha,
                beta,
                chains: cfg.chains,
                steps,
                measure_from,
                predicted: stationary_loss(alpha, beta, p.lambda, cfg.sigma) / f0,
                measured: mean(&floors),
                interval: mean_ci(&floors, 0.95),
                noisy,
                noiseless: chains[0].0.clone(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The closed form is the fixed point of Σ ← M Σ Mᵀ + σ² b bᵀ, iterated to convergence.
    #[test]
    fn closed_form_is_the_lyapunov_fixed_point() {
        for &(alpha, beta, lambda) in &[(1.0, 0.0, 0.01), (1.0, 0.9, 1.0), (0.5, 0.99, 0.01)] {
            let m = quadratic::iteration_matrix(alpha, beta, lambda, false);
            let bv = [-alpha, 1.0];
            let mut s = [[0.0f64; 2]; 2];
            for _ in 0..200_000 {
                let mut next = [[0.0; 2]; 2];
                for i in 0..2 {
                    for j in 0..2 {
                        next[i][j] = bv[i] * bv[j];
                        for k in 0..2 {
                            for l in 0..2 {
                                next[i][j] += m[i][k] * s[k][l] * m[j][l];
                            }
                        }
                    }
                }
                s = next;
            }
            let var = stationary_variance(alpha, beta, lambda, 1.0);
            assert!(
                (var / s[0][0] - 1.0).abs() < 1e-6,
                "{alpha} {beta} {lambda}: {var} vs {}",
                s[0][0]
            );
        }
    }

    /// With σ = 0 the chain is the deterministic iteration: f/f₀ follows quadratic::step.
    #[test]
    fn a_noiseless_chain_is_the_deterministic_run() {
        let p = quadratic::test_problem(1000);
        let method = Method {
            alpha: 1.0,
            momentum: Momentum::Constant(0.9),
            nesterov: false,
        };
        let (curve, tail) = chain(method, &p, 0.0, (100, 100), 100, (1, 0));
        let (mut w, mut v) = (p.w0, [0.0; 2]);
        for _ in 0..100 {
            quadratic::step(&mut w, &mut v, p.lambda, 1.0, 0.9, false);
        }
        let f = 0.5 * (w[0] * w[0] + 0.01 * w[1] * w[1]) / 0.505;
        assert!((tail / f - 1.0).abs() < 1e-12, "{tail} vs {f}");
        assert_eq!(curve.last().unwrap().0, 100.0);
    }
}
