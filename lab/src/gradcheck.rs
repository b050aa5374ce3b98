//! Gradient checks by central finite differences.
//!
//! The network runs in f32. A central difference `(L(x+h) − L(x−h)) / 2h` has a truncation error
//! of order h²·L'''/6 and a rounding error of order ε·|L|/h, with ε ≈ 6e-8 for f32. With
//! h = 1e-2 both are around 1e-5 for quantities of order one, so an f32 gradient check can
//! promise about three correct digits. Losses are accumulated in f64 to keep the rounding error
//! at the f32 level of the inputs. Each check reports the worst *relative* error
//! `|analytic − numeric| / max(|analytic|, |numeric|, 1)`; the tests compare it with 1e-3
//! and say why that bound is right for what they check.

/// The default step: large enough that f32 rounding stays below 1e-5 of the loss, small enough
/// that the truncation error does too.
pub const STEP: f32 = 1e-2;

/// Worst relative error between `df` and the central difference of `f` over the points `xs`.
pub fn derivative_error(
    f: impl Fn(f32) -> f32,
    df: impl Fn(f32) -> f32,
    xs: &[f32],
    h: f32,
) -> f64 {
    xs.iter()
        .map(|&x| {
            let numeric = (f64::from(f(x + h)) - f64::from(f(x - h))) / (2.0 * f64::from(h));
            relative_error(f64::from(df(x)), numeric)
        })
        .fold(0.0, f64::max)
}

/// `|a − n| / max(|a|, |n|, 1)`: relative for large values, absolute below 1.
pub fn relative_error(analytic: f64, numeric: f64) -> f64 {
    (analytic - numeric).abs() / analytic.abs().max(numeric.abs()).max(1.0)
}

/// Check a full gradient: `loss(params)` against `grad` (same length as `params`), perturbing each
/// coordinate in turn (or the first `max_coords` of a strided selection for big tensors).
///
/// Returns the worst relative error.
pub fn check_gradient(
    params: &mut [f32],
    grad: &[f32],
    mut loss: impl FnMut(&[f32]) -> f64,
    h: f32,
    max_coords: usize,
) -> f64 {
    assert_eq!(
        params.len(),
        grad.len(),
        "gradient and parameters differ in length"
    );
    let stride = params.len().div_ceil(max_coords.max(1)).max(1);
    let mut worst = 0.0f64;
    for i in (0..params.len()).step_by(stride) {
        let saved = params[i];
        params[i] = saved + h;
        let up = loss(params);
        params[i] = saved - h;
        let down = loss(params);
        params[i] = saved;
        let numeric = (up - down) / (2.0 * f64::from(h));
        worst = worst.max(relative_error(f64::from(grad[i]), numeric));
    }
    worst
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catches_a_wrong_derivative_and_passes_a_right_one() {
        let xs: Vec<f32> = (-20..20).map(|i| i as f32 * 0.25).collect();
        assert!(derivative_error(|x| x * x * x, |x| 3.0 * x * x, &xs, STEP) < 1e-3);
        assert!(derivative_error(|x| x * x * x, |x| 2.9 * x * x, &xs, STEP) > 1e-2);
        let mut p = vec![1.0f32, -2.0, 0.5];
        let loss = |p: &[f32]| p.iter().map(|&x| f64::from(x).powi(2)).sum::<f64>();
        let good: Vec<f32> = p.iter().map(|x| 2.0 * x).collect();
        assert!(check_gradient(&mut p, &good, loss, STEP, 10) < 1e-4);
        let bad: Vec<f32> = p.iter().map(|x| 2.1 * x).collect();
        assert!(check_gradient(&mut p, &bad, loss, STEP, 10) > 1e-2);
    }
}
