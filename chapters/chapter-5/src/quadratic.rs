//! Experiments 1–3 (and the quadratic half of 5): SGD with momentum on the ill-conditioned
//! quadratic f(w) = ½ Σ λᵢ wᵢ², where everything can be predicted and every step costs a few
//! nanoseconds.
//!
//! The gradient is exact (no noise), so each coordinate wᵢ is one eigen-direction of the Hessian
//! and evolves on its own under a 2×2 linear map ([`iteration_matrix`]). The eigenvalues of that
//! map ([`roots`]) predict the rate; [`run`] measures it.

use serde::{Deserialize, Serialize};

/// How the momentum coefficient β evolves with the iteration t.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Momentum {
    Constant(f64),
    /// Sutskever et al. 2013 ([`sutskever_momentum`]), capped at `mu_max`.
    Sutskever {
        mu_max: f64,
        block: usize,
    },
}

impl Momentum {
    pub fn at(self, t: usize) -> f64 {
        match self {
            Momentum::Constant(b) => b,
            Momentum::Sutskever { mu_max, block } => sutskever_momentum(t, mu_max, block),
        }
    }
}

// ANCHOR: schedule
/// Sutskever et al. (2013), §3: μ_t = min(1 − 2^(−1 − log₂(⌊t/250⌋ + 1)), μ_max).
/// Since 2^(−1 − log₂ j) = 1/(2j), this is 1 − 1/(2j) with j = ⌊t/block⌋ + 1: 0.5, 0.75,
/// 0.833, … — the memory 1/(1 − μ) = 2j grows only linearly with t, one step of memory per
/// `block / 2` steps of training.
pub fn sutskever_momentum(t: usize, mu_max: f64, block: usize) -> f64 {
    let j = (t / block + 1) as f64;
    (1.0 - 2f64.powf(-1.0 - j.log2())).min(mu_max)
}
// ANCHOR_END: schedule

/// The optimiser: step size α, momentum, heavy ball or Nesterov.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Method {
    pub alpha: f64,
    pub momentum: Momentum,
    pub nesterov: bool,
}

// ANCHOR: step
/// One step of SGD with momentum on f(w) = ½ Σ λᵢ wᵢ² (gradient gᵢ = λᵢ wᵢ), the update rule of
/// PyTorch and Keras (and of `lab::optim::Sgd`, in f64 here):
///   v ← β v + g,   w ← w − α v             (heavy ball)
///   v ← β v + g,   w ← w − α (g + β v)     (Nesterov)
#[inline]
pub fn step(
    w: &mut [f64; 2],
    v: &mut [f64; 2],
    lambda: [f64; 2],
    alpha: f64,
    beta: f64,
    nesterov: bool,
) {
    for i in 0..2 {
        let g = lambda[i] * w[i];
        v[i] = beta * v[i] + g;
        w[i] -= alpha * if nesterov { g + beta * v[i] } else { v[i] };
    }
}
// ANCHOR_END: step

// ANCHOR: theory
/// The 2×2 matrix M with (w, v)ₖ₊₁ = M (w, v)ₖ in one eigen-direction of curvature λ.
/// Heavy ball: v' = βv + λw, w' = w − αv' = (1 − αλ)w − αβv.
/// Nesterov:   w' = w − α(λw + βv') = (1 − αλ(1 + β))w − αβ²v.
pub fn iteration_matrix(alpha: f64, beta: f64, lambda: f64, nesterov: bool) -> [[f64; 2]; 2] {
    if nesterov {
        [
            [1.0 - alpha * lambda * (1.0 + beta), -alpha * beta * beta],
            [lambda, beta],
        ]
    } else {
        [[1.0 - alpha * lambda, -alpha * beta], [lambda, beta]]
    }
}

/// Whether the two eigenvalues of M are a complex pair (the iterate spirals), real and distinct,
/// or (to rounding) equal: critical damping.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RootKind {
    Complex,
    Real,
    Repeated,
}

/// The spectral radius ρ of M (the error shrinks like ρᵏ) and the kind of its eigenvalues.
/// They solve z² − tr(M) z + det(M) = 0. Heavy ball: tr = 1 + β − αλ, det = β, so complex roots
/// have |z|² = det = β, |z| = √β whatever αλ is. Nesterov: det = β(1 − αλ).
pub fn roots(m: [[f64; 2]; 2]) -> (f64, RootKind) {
    let tr = m[0][0] + m[1][1];
    let det = m[0][0] * m[1][1] - m[0][1] * m[1][0];
    let disc = tr * tr - 4.0 * det;
    if disc.abs() <= 1e-9 * (tr * tr).max(4.0 * det.abs()) {
        (0.5 * tr.abs(), RootKind::Repeated)
    } else if disc < 0.0 {
        (det.sqrt(), RootKind::Complex)
    } else {
        let s = disc.sqrt();
        let r = (0.5 * (tr + s)).abs().max((0.5 * (tr - s)).abs());
        (r, RootKind::Real)
    }
}

/// Iterations an error shrinking like ρᵏ takes to fall below `tol` of its start:
/// ln(1/tol) / ln(1/ρ). Heavy ball with complex roots has ρ = √β, so about 2 ln(1/tol)/(1 − β).
pub fn predicted_iterations(rho: f64, tol: f64) -> f64 {
    tol.ln() / rho.ln()
}

/// The angle θ by which one iteration turns a complex pair of eigenvalues of M (their
/// argument): the coordinate crosses zero once per half-turn, about Kθ/π times in K
/// iterations. `None` for real roots, which do not turn.
pub fn rotation_angle(m: [[f64; 2]; 2]) -> Option<f64> {
    let tr = m[0][0] + m[1][1];
    let det = m[0][0] * m[1][1] - m[0][1] * m[1][0];
    let disc = tr * tr - 4.0 * det;
    (disc < 0.0).then(|| (0.5 * (-disc).sqrt()).atan2(0.5 * tr))
}

/// Goh (2017): the (α, β) that make the slowest direction contract fastest,
/// α* = (2/(√λ₁ + √λₙ))², β* = ((√κ − 1)/(√κ + 1))², with rate √β* = (√κ − 1)/(√κ + 1).
pub fn optimal(lambda_max: f64, lambda_min: f64) -> (f64, f64) {
    let alpha = (2.0 / (lambda_max.sqrt() + lambda_min.sqrt())).powi(2);
    let sk = (lambda_max / lambda_min).sqrt();
    (alpha, ((sk - 1.0) / (sk + 1.0)).powi(2))
}
// ANCHOR_END: theory

/// The predicted rate of a method with constant β: the largest spectral radius over the
/// directions, and the kind of roots of that slowest direction.
pub fn predicted_rate(method: &Method, lambda: [f64; 2]) -> Option<(f64, RootKind)> {
    let Momentum::Constant(beta) = method.momentum else {
        return None;
    };
    lambda
        .iter()
        .map(|&l| roots(iteration_matrix(method.alpha, beta, l, method.nesterov)))
        .reduce(|a, b| if b.0 > a.0 { b } else { a })
}

/// The problem and the measurements' thresholds.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Problem {
    /// Curvatures λ (κ = λ₁/λ₂).
    pub lambda: [f64; 2],
    pub w0: [f64; 2],
    /// Converged when ‖w‖ < tol·‖w₀‖.
    pub tol: f64,
    /// The rate is fitted while ‖w‖/‖w₀‖ falls from `fit_from` to `fit_to`.
    pub fit_from: f64,
    pub fit_to: f64,
    /// At most this many iterations per run.
    pub cap: usize,
    /// Steps of the 2-D path kept for the trajectory figure.
    pub path_steps: usize,
    /// Log-spaced bins of the ‖w‖-vs-iteration envelope.
    pub envelope_bins: usize,
}

/// Which run on the quadratic: heavy ball at the chapter's step and a β, the optimal (α*, β*),
/// Nesterov at a β, or Sutskever's ramp.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum QuadKind {
    HeavyBall(f64),
    Optimal,
    Nesterov(f64),
    Ramp,
}

impl QuadKind {
    pub fn label(&self) -> String {
        match self {
            QuadKind::HeavyBall(b) => format!("β = {b}"),
            QuadKind::Optimal => "optimal α*, β*".into(),
            QuadKind::Nesterov(b) => format!("Nesterov β = {b}"),
            QuadKind::Ramp => "ramp to 0.99999".into(),
        }
    }
}

/// One run on the quadratic.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct QuadRun {
    pub kind: QuadKind,
    pub method: Method,
    /// Iterations until ‖w‖ < tol·‖w₀‖; `None`: not converged within the cap.
    pub iterations: Option<usize>,
    /// Sign changes of w₂ (the flat, λ = 0.01 direction: overshoots of the valley's floor) and
    /// of w₁ (the steep direction), until convergence.
    pub overshoots: usize,
    pub steep_sign_changes: usize,
    /// Iterations actually run (until ‖w‖ < fit_to·‖w₀‖, divergence, or the cap).
    pub steps_run: usize,
    /// ‖w‖ grew past [`DIVERGED`]·‖w₀‖ (or overflowed): the step is beyond the stability edge.
    pub diverged: bool,
    /// Predicted contraction per iteration ρ (constant β only) and the kind of roots.
    pub theory_rate: Option<f64>,
    pub roots: Option<RootKind>,
    /// exp(slope) of the line fitted to log‖w‖ (its upper envelope, one point per oscillation).
    pub fitted_rate: Option<f64>,
    /// (iteration, largest ‖w‖/‖w₀‖ in that log-spaced bin), until convergence.
    pub envelope: Vec<(f64, f64)>,
    /// w₀ and the first `path_steps` iterates (w₁, w₂).
    pub path: Vec<(f64, f64)>,
}

/// A run whose ‖w‖ grows past this multiple of ‖w₀‖ has diverged: a stable run never gets
/// there (heavy ball with β < 1 on this problem overshoots by at most a few times ‖w₀‖).
pub const DIVERGED: f64 = 1e6;

// ANCHOR: run
/// Run `method` from w₀ until ‖w‖ < fit_to·‖w₀‖ (or the cap), counting and recording on the way.
/// Converged means ‖w‖ < tol·‖w₀‖ *from then on*: an oscillating iterate can pass close to the
/// minimum long before it stays there.
pub fn run(kind: QuadKind, method: Method, p: &Problem) -> QuadRun {
    let n0 = (p.w0[0].powi(2) + p.w0[1].powi(2)).sqrt();
    let (tol2, from2, to2, blown2) = (
        (p.tol * n0).powi(2),
        (p.fit_from * n0).powi(2),
        (p.fit_to * n0).powi(2),
        (DIVERGED * n0).powi(2),
    );
    let (mut w, mut v) = (p.w0, [0.0; 2]);
    let mut path = vec![(w[0], w[1])];
    let mut envelope: Vec<(f64, f64)> = Vec::new();
    // Log-spaced bins: bin b holds the iterations below cap^((b + 1)/bins).
    let edge = |b: usize| (p.cap as f64).powf((b + 1) as f64 / p.envelope_bins as f64);
    let (mut bin, mut bin_end, mut new_bin) = (0, edge(0), true);
    let (mut overshoots, mut steep, mut counted) = (0, 0, (0, 0));
    let (mut last_above, mut n2, mut steps) = (0, tol2, 0);
    let (mut fit_start, mut fit_flips) = (None, 0usize);
    for k in 1..=p.cap {
        let prev = w;
        step(
            &mut w,
            &mut v,
            p.lambda,
            method.alpha,
            method.momentum.at(k - 1),
            method.nesterov,
        );
        steps = k;
        n2 = w[0] * w[0] + w[1] * w[1];
        let flip = (w[1] > 0.0) != (prev[1] > 0.0);
        overshoots += usize::from(flip);
        steep += usize::from((w[0] > 0.0) != (prev[0] > 0.0));
        if n2 >= tol2 {
            (last_above, counted) = (k, (overshoots, steep));
        }
        if k <= p.path_steps {
            path.push((w[0], w[1]));
        }
        while k as f64 >= bin_end {
            (bin, new_bin) = (bin + 1, true);
            bin_end = edge(bin);
        }
        match envelope.last_mut() {
            Some(last) if !new_bin => {
                if n2 > last.1 {
                    *last = (k as f64, n2);
                }
            }
            _ => {
                envelope.push((k as f64, n2));
                new_bin = false;
            }
        }
        if fit_start.is_none() && n2 < from2 {
            fit_start = Some(k);
        }
        if fit_start.is_some() {
            fit_flips += usize::from(flip);
        }
        if n2 < to2 || n2 >= blown2 || n2.is_nan() {
            break;
        }
    }
    let diverged = n2 >= blown2 || n2.is_nan();
    let iterations = (n2 < tol2).then_some(last_above + 1);
    if let Some(k) = iterations {
        envelope.retain(|e| e.0 <= k as f64);
    }
    envelope.iter_mut().for_each(|e| e.1 = e.1.sqrt() / n0);
    let fitted_rate = fit_start
        .filter(|_| !diverged)
        .map(|s| fit_envelope(method, p, s, steps, fit_flips));
    let predicted = predicted_rate(&method, p.lambda);
    QuadRun {
        kind,
        method,
        iterations,
        overshoots: counted.0,
        steep_sign_changes: counted.1,
        steps_run: steps,
        diverged,
        theory_rate: predicted.map(|r| r.0),
        roots: predicted.map(|r| r.1),
        fitted_rate,
        envelope,
        path,
    }
}
// ANCHOR_END: run

/// The measured rate: rerun to `end`, take the largest log‖w‖ in each block of one oscillation
/// of w₂ (two sign changes), and fit a least-squares line through those maxima over
/// [start, end). Without oscillation (fewer than 3 blocks), every iterate is a point.
fn fit_envelope(method: Method, p: &Problem, start: usize, end: usize, flips: usize) -> f64 {
    let len = end - start;
    let mut block = if flips >= 2 {
        (2 * len).div_ceil(flips)
    } else {
        1
    };
    if len / block < 3 {
        block = 1;
    }
    let (mut w, mut v) = (p.w0, [0.0; 2]);
    let mut points: Vec<(f64, f64)> = Vec::new();
    let mut best = (0.0, f64::NEG_INFINITY);
    for k in 1..end {
        step(
            &mut w,
            &mut v,
            p.lambda,
            method.alpha,
            method.momentum.at(k - 1),
            method.nesterov,
        );
        if k < start {
            continue;
        }
        let ln = 0.5 * (w[0] * w[0] + w[1] * w[1]).ln();
        if ln > best.1 {
            best = (k as f64, ln);
        }
        if (k - start + 1).is_multiple_of(block) {
            points.push(best);
            best = (0.0, f64::NEG_INFINITY);
        }
    }
    least_squares_slope(&points).exp()
}

/// Slope of the least-squares line through `points`.
pub fn least_squares_slope(points: &[(f64, f64)]) -> f64 {
    let n = points.len() as f64;
    let (mx, my) = points
        .iter()
        .fold((0.0, 0.0), |(a, b), &(x, y)| (a + x / n, b + y / n));
    let (sxy, sxx) = points.iter().fold((0.0, 0.0), |(a, b), &(x, y)| {
        (a + (x - mx) * (y - my), b + (x - mx) * (x - mx))
    });
    sxy / sxx
}

/// Iterations per e-fold of the error for a contraction ρ per iteration: −1/ln ρ
/// (≈ 2/(1 − β) when ρ = √β and β is close to 1).
pub fn e_folding(rate: f64) -> f64 {
    -1.0 / rate.ln()
}

/// The chapter's problem (κ = 100 from (1, 1)) with a given cap, small records: for tests.
#[cfg(test)]
pub(crate) fn test_problem(cap: usize) -> Problem {
    Problem {
        lambda: [1.0, 0.01],
        w0: [1.0, 1.0],
        tol: 1e-6,
        fit_from: 1e-2,
        fit_to: 1e-12,
        cap,
        path_steps: 10,
        envelope_bins: 100,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem() -> Problem {
        test_problem(10_000_000)
    }

    /// The f64 step is the same rule as `lab::optim::Sgd` (f32): heavy ball and Nesterov agree
    /// to f32 precision over 50 steps.
    #[test]
    fn step_matches_lab_sgd() {
        for nesterov in [false, true] {
            let cfg = lab::SgdConfig::momentum(0.5, 0.9);
            let mut opt = lab::Sgd::new(if nesterov { cfg.with_nesterov() } else { cfg });
            let lambda = [1.0, 0.01];
            let (mut w, mut v) = ([1.0f64, 1.0], [0.0; 2]);
            let mut w32 = [1.0f32, 1.0];
            for _ in 0..50 {
                let g = [w32[0] * lambda[0] as f32, w32[1] * lambda[1] as f32];
                opt.update(0, &mut w32, &g, false, false);
                step(&mut w, &mut v, lambda, 0.5, 0.9, nesterov);
            }
            for i in 0..2 {
                assert!((w[i] - f64::from(w32[i])).abs() < 1e-5, "{w:?} vs {w32:?}");
            }
        }
    }

    /// The spectral radius of M is the rate at which ‖Mᵏ x‖ shrinks (checked by powering M).
    #[test]
    fn spectral_radius_matches_powers_of_the_matrix() {
        for &(alpha, beta, lambda, nesterov) in &[
            (1.0, 0.9, 0.01, false),
            (1.0, 0.5, 0.01, false),
            (1.0, 0.99, 1.0, false),
            (0.3, 0.7, 1.5, true),
            (1.0, 0.9, 0.01, true),
        ] {
            let m = iteration_matrix(alpha, beta, lambda, nesterov);
            let (rho, _) = roots(m);
            let mut x = [1.0f64, 0.3];
            let n = 2000;
            let mut log_norm = 0.0;
            for _ in 0..n {
                x = [
                    m[0][0] * x[0] + m[0][1] * x[1],
                    m[1][0] * x[0] + m[1][1] * x[1],
                ];
                let s = x[0].hypot(x[1]);
                log_norm += s.ln();
                x = [x[0] / s, x[1] / s];
            }
            let measured = (log_norm / n as f64).exp();
            assert!(
                (measured - rho).abs() < 5e-3,
                "{alpha} {beta} {lambda}: {measured} vs {rho}"
            );
        }
    }

    /// Complex roots of the heavy-ball matrix have modulus √β, whatever αλ is.
    #[test]
    fn complex_roots_have_modulus_sqrt_beta() {
        for &beta in &[0.9, 0.99, 0.999, 0.99999] {
            for &al in &[0.01, 0.5, 1.0, 2.5] {
                let (rho, kind) = roots(iteration_matrix(1.0, beta, al, false));
                assert_eq!(kind, RootKind::Complex, "β = {beta}, αλ = {al}");
                assert!((rho - f64::sqrt(beta)).abs() < 1e-12);
            }
        }
        // β = 0 is gradient descent: one real root 1 − αλ.
        let (rho, kind) = roots(iteration_matrix(1.0, 0.0, 0.01, false));
        assert_eq!(kind, RootKind::Real);
        assert!((rho - 0.99).abs() < 1e-12);
    }

    /// Goh's optimum for κ = 100: α* = (2/1.1)², β* = (9/11)², both directions critically
    /// damped at rate (√κ − 1)/(√κ + 1) = 9/11.
    #[test]
    fn optimal_parameters_for_kappa_100() {
        let (alpha, beta) = optimal(1.0, 0.01);
        assert!((alpha - (2.0f64 / 1.1).powi(2)).abs() < 1e-12);
        assert!((beta - (9.0f64 / 11.0).powi(2)).abs() < 1e-12);
        for l in [1.0, 0.01] {
            let (rho, kind) = roots(iteration_matrix(alpha, beta, l, false));
            assert_eq!(kind, RootKind::Repeated);
            assert!((rho - 9.0 / 11.0).abs() < 1e-6);
        }
    }

    #[test]
    fn sutskever_schedule_values() {
        let mu = |t| sutskever_momentum(t, 0.99999, 250);
        assert_eq!(mu(0), 0.5);
        assert_eq!(mu(249), 0.5);
        assert!((mu(250) - 0.75).abs() < 1e-15);
        assert!((mu(500) - (1.0 - 1.0 / 6.0)).abs() < 1e-12);
        assert!((mu(250 * 99) - 0.995).abs() < 1e-12);
        assert_eq!(sutskever_momentum(1_000_000, 0.9, 250), 0.9);
    }

    #[test]
    fn e_folding_time_is_about_two_over_one_minus_beta() {
        for beta in [0.99f64, 0.999, 0.99999] {
            let t = e_folding(beta.sqrt());
            assert!((t * (1.0 - beta) / 2.0 - 1.0).abs() < 0.01, "{beta}: {t}");
        }
    }

    /// Gradient descent (β = 0, α = 1) on λ = (1, 0.01): w₁ is zero after one step, w₂ = 0.99ᵏ,
    /// so ‖w‖/‖w₀‖ = 0.99ᵏ/√2 < 1e-6 first at k = ⌈ln(√2·1e-6)/ln 0.99⌉; the fitted rate is 0.99.
    #[test]
    fn gradient_descent_by_hand() {
        let p = problem();
        let r = run(
            QuadKind::HeavyBall(0.0),
            Method {
                alpha: 1.0,
                momentum: Momentum::Constant(0.0),
                nesterov: false,
            },
            &p,
        );
        let expected = ((2f64.sqrt() * 1e-6).ln() / 0.99f64.ln()).ceil() as usize;
        assert_eq!(r.iterations, Some(expected));
        assert_eq!(r.overshoots, 0);
        assert!((r.fitted_rate.unwrap() - 0.99).abs() < 1e-9);
        assert_eq!(r.path[1].0, 0.0);
        assert!((r.path[1].1 - 0.99).abs() < 1e-15);
    }

    #[test]
    fn least_squares_slope_of_a_line() {
        let pts: Vec<(f64, f64)> = (0..10).map(|i| (i as f64, 3.0 - 0.5 * i as f64)).collect();
        assert!((least_squares_slope(&pts) + 0.5).abs() < 1e-12);
    }
    #[test]
    fn predicted_counts_follow_the_eigenvalues() {
        // Heavy ball: cos θ = tr/(2√det) = (1 + β − αλ)/(2√β).
        let (alpha, beta, lambda) = (1.0, 0.99, 0.01);
        let theta = rotation_angle(iteration_matrix(alpha, beta, lambda, false)).unwrap();
        let cos = (1.0 + beta - alpha * lambda) / (2.0 * beta.sqrt());
        assert!((theta.cos() - cos).abs() < 1e-12);
        // ρ = √β: ln(10⁶)/ln(1/√0.99) = 2749.3, close to 2 ln(10⁶)/(1 − β) = 2763.1.
        let k = predicted_iterations(beta.sqrt(), 1e-6);
        assert!((k - 2749.3).abs() < 0.1, "{k}");
        // Real roots do not turn.
        assert_eq!(
            rotation_angle(iteration_matrix(1.0, 0.0, 0.01, false)),
            None
        );
    }

    /// A pure rotation by θ = π/7 makes a half-turn every 7 iterations, so its first coordinate
    /// changes sign Kθ/π = K/7 times in K iterations.
    #[test]
    fn a_rotation_changes_sign_once_per_half_turn() {
        let theta = std::f64::consts::PI / 7.0;
        let m = [[theta.cos(), -theta.sin()], [theta.sin(), theta.cos()]];
        assert!((rotation_angle(m).unwrap() - theta).abs() < 1e-12);
        let (mut x, mut changes) = ([1.0f64, 0.3], 0);
        let k = 1400;
        for _ in 0..k {
            let next = [
                m[0][0] * x[0] + m[0][1] * x[1],
                m[1][0] * x[0] + m[1][1] * x[1],
            ];
            if next[0].signum() != x[0].signum() {
                changes += 1;
            }
            x = next;
        }
        assert_eq!(
            changes,
            (k as f64 * theta / std::f64::consts::PI).round() as usize
        );
    }
}
