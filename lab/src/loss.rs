//! Losses, each returning the mean loss over the batch and its gradient.
//!
//! All losses average over the batch, so every gradient carries a factor `1/batch`.
//! Each loss is accumulated in f64 so the reported value does not depend on rounding in the
//! sum, and both the loss and the gradient are computed from the logits (stable at ±1000).

use ndarray::{Array2, ArrayView2, Axis};

use crate::activation::{sigmoid, softplus};

/// Row-wise softmax, stable: subtracts each row's max before `exp`. `(batch, classes)`.
pub fn softmax(logits: ArrayView2<f32>) -> Array2<f32> {
    let mut p = logits.to_owned();
    for mut row in p.rows_mut() {
        let max = row.fold(f32::NEG_INFINITY, |m, &x| m.max(x));
        row.mapv_inplace(|x| (x - max).exp());
        let sum: f32 = row.sum();
        row.mapv_inplace(|x| x / sum);
    }
    p
}

/// Row-wise `log softmax` through log-sum-exp. `(batch, classes)`.
pub fn log_softmax(logits: ArrayView2<f32>) -> Array2<f32> {
    let mut out = logits.to_owned();
    for mut row in out.rows_mut() {
        let max = row.fold(f32::NEG_INFINITY, |m, &x| m.max(x));
        let lse = max + row.iter().map(|&x| (x - max).exp()).sum::<f32>().ln();
        row.mapv_inplace(|x| x - lse);
    }
    out
}

/// Softmax cross-entropy with integer labels.
///
/// `L = −(1/B) Σᵢ log softmax(zᵢ)[yᵢ]`, and `∂L/∂z = (softmax(z) − onehot(y)) / B`.
/// `logits: (batch, classes)`, `labels: (batch)` → (mean loss, gradient `(batch, classes)`).
pub fn softmax_cross_entropy(logits: ArrayView2<f32>, labels: &[usize]) -> (f64, Array2<f32>) {
    let batch = logits.nrows();
    assert_eq!(batch, labels.len(), "one label per row");
    let logp = log_softmax(logits);
    let loss = -labels
        .iter()
        .enumerate()
        .map(|(i, &y)| f64::from(logp[(i, y)]))
        .sum::<f64>()
        / batch as f64;
    let mut grad = logp.mapv(f32::exp);
    for (i, &y) in labels.iter().enumerate() {
        grad[(i, y)] -= 1.0;
    }
    grad /= batch as f32;
    (loss, grad)
}

/// Binary cross-entropy on logits (one column), with targets in {0, 1} (or [0, 1]).
///
/// `L = (1/B) Σ softplus(z) − t·z`, the stable form of `−t log σ(z) − (1−t) log(1−σ(z))`;
/// `∂L/∂z = (σ(z) − t) / B`. `logits: (batch, 1)`, `targets: (batch)`.
pub fn binary_cross_entropy(logits: ArrayView2<f32>, targets: &[f32]) -> (f64, Array2<f32>) {
    let batch = logits.nrows();
    assert_eq!(
        logits.ncols(),
        1,
        "binary cross-entropy takes one logit per row"
    );
    assert_eq!(batch, targets.len(), "one target per row");
    let z = logits.column(0);
    let loss = z
        .iter()
        .zip(targets)
        .map(|(&z, &t)| f64::from(softplus(z)) - f64::from(t) * f64::from(z))
        .sum::<f64>()
        / batch as f64;
    let grad = Array2::from_shape_fn((batch, 1), |(i, _)| {
        (sigmoid(z[i]) - targets[i]) / batch as f32
    });
    (loss, grad)
}

/// Mean squared error, `L = (1/B) Σᵢ ½‖ŷᵢ − yᵢ‖²` (the ½ makes `∂L/∂ŷ = (ŷ − y)/B`).
/// `pred, target: (batch, outputs)`.
pub fn mse(pred: ArrayView2<f32>, target: ArrayView2<f32>) -> (f64, Array2<f32>) {
    assert_eq!(
        pred.dim(),
        target.dim(),
        "prediction and target shapes differ"
    );
    let batch = pred.nrows() as f64;
    let diff = &pred - &target;
    let loss = 0.5 * diff.iter().map(|&d| f64::from(d).powi(2)).sum::<f64>() / batch;
    (loss, diff / batch as f32)
}

/// The predicted class of each row. `(batch, classes)` → `(batch)`.
pub fn argmax_rows(scores: ArrayView2<f32>) -> Vec<usize> {
    scores
        .axis_iter(Axis(0))
        .map(|row| {
            let mut best = 0;
            for (j, &v) in row.iter().enumerate() {
                if v > row[best] {
                    best = j;
                }
            }
            best
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::{STEP, check_gradient};
    use crate::init::Init;
    use crate::rng::rng;

    /// Loss gradients in f32 against central differences (h = 1e-2): the losses are smooth with
    /// third derivatives of order one, so truncation is ~2e-5 and 1e-3 is a safe bound.
    #[test]
    fn gradients_match_finite_differences() {
        let logits = Init::Normal { std: 2.0 }.sample((6, 4), &mut rng(1));
        let labels = [0, 3, 1, 1, 2, 0];
        let (_, grad) = softmax_cross_entropy(logits.view(), &labels);
        let mut p = logits.clone().into_raw_vec_and_offset().0;
        let shape = logits.dim();
        let err = check_gradient(
            &mut p,
            grad.as_slice().unwrap(),
            |p| softmax_cross_entropy(ArrayView2::from_shape(shape, p).unwrap(), &labels).0,
            STEP,
            usize::MAX,
        );
        println!("gradcheck softmax cross-entropy: {err:.1e}");
        assert!(err < 1e-3, "softmax cross-entropy: {err:e}");

        let z = Init::Normal { std: 3.0 }.sample((8, 1), &mut rng(2));
        let t = [0.0, 1.0, 1.0, 0.0, 1.0, 0.0, 0.3, 1.0];
        let (_, grad) = binary_cross_entropy(z.view(), &t);
        let mut p = z.clone().into_raw_vec_and_offset().0;
        let err = check_gradient(
            &mut p,
            grad.as_slice().unwrap(),
            |p| binary_cross_entropy(ArrayView2::from_shape((8, 1), p).unwrap(), &t).0,
            STEP,
            usize::MAX,
        );
        println!("gradcheck binary cross-entropy: {err:.1e}");
        assert!(err < 1e-3, "binary cross-entropy: {err:e}");

        let y = Init::Normal { std: 1.0 }.sample((5, 3), &mut rng(3));
        let target = Init::Normal { std: 1.0 }.sample((5, 3), &mut rng(4));
        let (_, grad) = mse(y.view(), target.view());
        let mut p = y.clone().into_raw_vec_and_offset().0;
        let err = check_gradient(
            &mut p,
            grad.as_slice().unwrap(),
            |p| mse(ArrayView2::from_shape((5, 3), p).unwrap(), target.view()).0,
            STEP,
            usize::MAX,
        );
        println!("gradcheck mse: {err:.1e}");
        assert!(err < 1e-3, "mse: {err:e}");
    }

    #[test]
    fn stable_at_huge_logits() {
        let logits = ndarray::array![[1000.0f32, -1000.0, 0.0], [-1000.0, -1000.0, 1000.0]];
        let p = softmax(logits.view());
        assert!(p.iter().all(|x| x.is_finite()));
        assert_eq!(p[(0, 0)], 1.0);
        let (loss, grad) = softmax_cross_entropy(logits.view(), &[0, 2]);
        assert_eq!(loss, 0.0);
        assert!(grad.iter().all(|x| x.is_finite()));
        let (loss, _) = softmax_cross_entropy(logits.view(), &[1, 0]);
        assert!(
            (loss - 2000.0).abs() < 1e-3,
            "wrong-class loss is the logit gap: {loss}"
        );
        let (loss, grad) =
            binary_cross_entropy(ndarray::array![[1000.0f32], [-1000.0]].view(), &[0.0, 0.0]);
        assert!((loss - 500.0).abs() < 1e-3 && grad.iter().all(|x| x.is_finite()));
        // Uniform logits over 10 classes: the loss is ln 10.
        let (loss, _) = softmax_cross_entropy(Array2::zeros((3, 10)).view(), &[1, 5, 9]);
        assert!((loss - 10f64.ln()).abs() < 1e-6);
    }
}
