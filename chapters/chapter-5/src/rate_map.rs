//! Experiment 3, continued: Goh's (α, β) map of the convergence rate, measured. Every cell of
//! a grid of step sizes α and momenta β is one heavy-ball run on the quadratic; its fitted
//! rate is set against the spectral radius of the iteration matrix, and the runs on either
//! side of the stability edge αλ₁ = 2 + 2β show that it is one.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::quadratic::{self, Method, Momentum, Problem, QuadKind, e_folding};

/// `n` evenly spaced values from `lo` to `hi`, both included: the map's axes.
pub fn spaced(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| lo + (hi - lo) * i as f64 / (n - 1) as f64)
        .collect()
}

/// How a run on the map ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    /// ‖w‖ fell below the tolerance for good.
    Converged,
    /// ‖w‖ grew past [`quadratic::DIVERGED`] times its start.
    Diverged,
    /// Neither within the cap (a rate too close to 1 to tell).
    Undecided,
}

/// One heavy-ball run at (α, β).
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub struct Cell {
    pub alpha: f64,
    pub beta: f64,
    pub outcome: Outcome,
    /// Iterations per e-fold of ‖w‖, fitted on the run (NaN unless it converged).
    pub measured: f64,
    /// The same from the spectral radius of M (∞ at or beyond the stability edge).
    pub theory: f64,
}

// ANCHOR: edge
/// Heavy ball is stable in a direction of curvature λ when 0 < αλ < 2 + 2β: at αλ = 2 + 2β
/// one eigenvalue of M is −1 (z² − (1 + β − αλ)z + β vanishes at z = −1), and beyond it the
/// iterate flips sign and grows every step. The largest stable step is (2 + 2β)/λ_max,
/// almost twice gradient descent's 2/λ_max when β is close to 1.
pub fn stable(alpha: f64, beta: f64, lambda_max: f64) -> bool {
    alpha * lambda_max < 2.0 + 2.0 * beta
}
// ANCHOR_END: edge

/// Iterations per e-fold predicted for heavy ball at (α, β): −1/ln ρ, ρ the spectral radius of
/// the slowest direction; ∞ where ρ ≥ 1.
pub fn theory(alpha: f64, beta: f64, lambda: [f64; 2]) -> f64 {
    let m = heavy_ball(alpha, beta);
    match quadratic::predicted_rate(&m, lambda) {
        Some((rho, _)) if rho < 1.0 => e_folding(rho),
        _ => f64::INFINITY,
    }
}

fn heavy_ball(alpha: f64, beta: f64) -> Method {
    Method {
        alpha,
        momentum: Momentum::Constant(beta),
        nesterov: false,
    }
}

/// Run heavy ball at (α, β) on `p` and measure it.
pub fn cell(alpha: f64, beta: f64, p: &Problem) -> Cell {
    let q = quadratic::run(QuadKind::HeavyBall(beta), heavy_ball(alpha, beta), p);
    let outcome = if q.diverged {
        Outcome::Diverged
    } else if q.iterations.is_some() {
        Outcome::Converged
    } else {
        Outcome::Undecided
    };
    let measured = match (outcome, q.fitted_rate) {
        (Outcome::Converged, Some(rate)) => e_folding(rate),
        _ => f64::NAN,
    };
    Cell {
        alpha,
        beta,
        outcome,
        measured,
        theory: theory(alpha, beta, p.lambda),
    }
}

/// Every (α, β) of the grid, row by row (β outer), in parallel; deterministic.
pub fn measure(alphas: &[f64], betas: &[f64], p: &Problem) -> Vec<Cell> {
    let jobs: Vec<(f64, f64)> = betas
        .iter()
        .flat_map(|&b| alphas.iter().map(move |&a| (a, b)))
        .collect();
    jobs.par_iter().map(|&(a, b)| cell(a, b, p)).collect()
}

/// The α at which a row of e-fold times (at increasing `alphas`) crosses `level`, by linear
/// interpolation in log(e-fold) between neighbouring cells; non-finite cells break the row.
/// Where both neighbours lie within a factor `flat` of the level the row runs along it (the
/// complex-root plateau at −2/ln β ≈ level) and a crossing would only mark the fit's last
/// digits: none is reported.
pub fn crossings(alphas: &[f64], row: &[f64], level: f64, flat: f64) -> Vec<f64> {
    let (l, band) = (level.ln(), flat.ln());
    alphas
        .windows(2)
        .zip(row.windows(2))
        .filter(|(_, y)| y[0].is_finite() && y[1].is_finite() && y[0] > 0.0 && y[1] > 0.0)
        .filter_map(|(a, y)| {
            let (y0, y1) = (y[0].ln(), y[1].ln());
            let crosses = (y0 - l) * (y1 - l) < 0.0 || y1 == l;
            let along = (y0 - l).abs() < band && (y1 - l).abs() < band;
            (crosses && !along).then(|| a[0] + (a[1] - a[0]) * (l - y0) / (y1 - y0))
        })
        .collect()
}

/// Relative error of the measured e-fold time against the theory's, for converged cells.
pub fn relative_errors(cells: &[Cell]) -> Vec<f64> {
    cells
        .iter()
        .filter(|c| c.outcome == Outcome::Converged && c.measured.is_finite())
        .map(|c| (c.measured / c.theory - 1.0).abs())
        .collect()
}

/// Cells whose outcome contradicts the stability edge: diverged inside it, or converged
/// beyond it.
pub fn edge_violations(cells: &[Cell], lambda_max: f64) -> Vec<Cell> {
    cells
        .iter()
        .filter(|c| match c.outcome {
            Outcome::Diverged => stable(c.alpha, c.beta, lambda_max),
            Outcome::Converged => !stable(c.alpha, c.beta, lambda_max),
            Outcome::Undecided => false,
        })
        .copied()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem() -> Problem {
        crate::quadratic::test_problem(100_000)
    }

    /// β = 0.5, αλ₁ = 2 + 2β = 3: 2% inside converges, 2% beyond diverges.
    #[test]
    fn runs_on_either_side_of_the_edge() {
        let p = problem();
        assert!(stable(0.98 * 3.0, 0.5, 1.0) && !stable(1.02 * 3.0, 0.5, 1.0));
        assert_eq!(cell(0.98 * 3.0, 0.5, &p).outcome, Outcome::Converged);
        assert_eq!(cell(1.02 * 3.0, 0.5, &p).outcome, Outcome::Diverged);
        assert_eq!(cell(1.02 * 3.0, 0.5, &p).theory, f64::INFINITY);
    }

    /// Where both directions spiral (complex roots), the rate is √β, whatever α is: the
    /// measured e-fold time is −2/ln β within 1%.
    #[test]
    fn complex_cells_measure_sqrt_beta() {
        let p = problem();
        for (alpha, beta) in [(1.0, 0.9), (2.0, 0.95), (0.5, 0.97)] {
            let c = cell(alpha, beta, &p);
            let expected = -2.0 / f64::ln(beta);
            assert!((c.theory / expected - 1.0).abs() < 1e-9);
            assert!((c.measured / expected - 1.0).abs() < 0.01, "{c:?}");
        }
    }

    #[test]
    fn crossings_interpolate_in_log() {
        let alphas = [1.0, 2.0, 3.0, 4.0];
        // 100 → 10 between α = 1 and 2: log-midpoint √1000 ≈ 31.6 at α = 1.5; back up
        // through 31.6 between 3 and 4; NaN breaks nothing else.
        let row = [100.0, 10.0, 10.0, 100.0];
        let x = crossings(&alphas, &row, 1000f64.sqrt(), 1.0);
        assert_eq!(x.len(), 2);
        assert!(
            (x[0] - 1.5).abs() < 1e-12 && (x[1] - 3.5).abs() < 1e-12,
            "{x:?}"
        );
        assert!(crossings(&alphas, &[100.0, f64::NAN, 10.0, 100.0], 31.6, 1.0).len() == 1);
        // A row along the level (within 2%) has no crossing.
        assert!(crossings(&alphas, &[10.1, 9.9, 10.1, 9.9], 10.0, 1.02).is_empty());
    }
}
