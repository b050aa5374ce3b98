//! Measuring symmetry: how alike the units of one layer are.
//!
//! A dense layer's weights are `w: (n_in, n_out)`, so hidden unit `j`'s *incoming weights* are
//! column `j` of `w` (PyTorch stores the transpose and calls them row `j`). Two units compute the
//! same function of the layer's input exactly when their columns and their biases are equal.
//!
//! Every measure here is computed in f64 from the f32 parameters and in a fixed order, so it is
//! the same bits whatever the number of threads.

use ndarray::{Array2, ArrayView1, ArrayView2};
use serde::{Deserialize, Serialize};

// ANCHOR: measures
/// The largest difference between the incoming weights of any two units:
/// `max_{i,j,k} |w[k,i] − w[k,j]|`, i.e. the largest spread of any input's weights across units.
/// Exactly 0.0 when every unit has the same incoming weights.
pub fn max_unit_difference(w: ArrayView2<f32>) -> f64 {
    w.rows()
        .into_iter()
        .map(|row| {
            let (lo, hi) = row
                .iter()
                .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &v| {
                    (lo.min(v), hi.max(v))
                });
            f64::from(hi) - f64::from(lo)
        })
        .fold(0.0, f64::max)
}

/// How many different units the layer has: columns of `w` with their bias, compared bit for bit.
pub fn distinct_units(w: ArrayView2<f32>, b: ArrayView1<f32>) -> usize {
    let mut units: Vec<Vec<u32>> = w
        .columns()
        .into_iter()
        .zip(b)
        .map(|(col, &bias)| {
            col.iter()
                .chain(std::iter::once(&bias))
                .map(|v| v.to_bits())
                .collect()
        })
        .collect();
    units.sort_unstable();
    units.dedup();
    units.len()
}

/// Cosine similarity between every pair of units' incoming weights: `(n_out, n_out)`.
/// A unit whose weights are all zero has similarity 0 with every unit (and 1 with itself).
pub fn cosine_matrix(w: ArrayView2<f32>) -> Array2<f64> {
    let g = gram(w);
    let n = g.nrows();
    Array2::from_shape_fn((n, n), |(i, j)| {
        let d = (g[[i, i]] * g[[j, j]]).sqrt();
        if i == j {
            1.0
        } else if d > 0.0 {
            g[[i, j]] / d
        } else {
            0.0
        }
    })
}

/// The mean cosine similarity over distinct pairs of units: 1 when all units point the same way,
/// about 0 for independent random units.
pub fn mean_pairwise_cosine(cos: &Array2<f64>) -> f64 {
    let n = cos.nrows();
    if n < 2 {
        return 1.0;
    }
    let off: f64 = (0..n)
        .flat_map(|i| (0..n).filter(move |&j| j != i).map(move |j| (i, j)))
        .map(|(i, j)| cos[[i, j]])
        .sum();
    off / (n * (n - 1)) as f64
}

/// How far the layer is from symmetric: `‖W − W̄‖_F / ‖W̄‖_F`, where `W̄` replaces every unit's
/// incoming weights by the mean over units. 0 for a symmetric layer; about `ε/c` for a constant
/// `c` plus `ε·N(0, 1)` noise.
pub fn asymmetry(w: ArrayView2<f32>) -> f64 {
    let (mut dev, mut mean_sq) = (0.0f64, 0.0f64);
    for row in w.rows() {
        let mean = lab::stats::moments(row.iter()).0;
        dev += row
            .iter()
            .map(|&v| (f64::from(v) - mean).powi(2))
            .sum::<f64>();
        mean_sq += mean * mean * row.len() as f64;
    }
    if mean_sq == 0.0 {
        if dev == 0.0 { 0.0 } else { f64::INFINITY }
    } else {
        (dev / mean_sq).sqrt()
    }
}

/// The numerical rank of `w`: the number of singular values above `σ_max · max(n_in, n_out) ·
/// ε_f32` (NumPy's `matrix_rank` rule for f32 data). Singular values are the square roots of the
/// eigenvalues of the Gram matrix `WᵀW`, computed in f64 by [`symmetric_eigenvalues`].
pub fn numerical_rank(w: ArrayView2<f32>) -> usize {
    let sigma = singular_values(w);
    let max = sigma.iter().copied().fold(0.0, f64::max);
    let tol = max * w.nrows().max(w.ncols()) as f64 * f64::from(f32::EPSILON);
    sigma.iter().filter(|&&s| s > tol).count()
}
// ANCHOR_END: measures

/// `WᵀW` in f64: `(n_out, n_out)`.
fn gram(w: ArrayView2<f32>) -> Array2<f64> {
    let w64 = w.mapv(f64::from);
    w64.t().dot(&w64)
}

/// Singular values of `w` (unsorted), from the eigenvalues of its Gram matrix. Squaring loses
/// the singular values below ~1e-8·σ_max, far below the rank threshold (~1e-4·σ_max).
pub fn singular_values(w: ArrayView2<f32>) -> Vec<f64> {
    symmetric_eigenvalues(gram(w))
        .into_iter()
        .map(|l| l.max(0.0).sqrt())
        .collect()
}

/// Eigenvalues of a symmetric matrix by the cyclic Jacobi method (Golub & Van Loan, §8.5): each
/// rotation zeroes one off-diagonal pair; sweeps repeat until the off-diagonal mass is negligible.
/// The rotation of rows and columns `p`, `q` is applied to the rows (contiguous in memory) and
/// mirrored into the columns, which symmetry makes equal.
pub fn symmetric_eigenvalues(a: Array2<f64>) -> Vec<f64> {
    let n = a.nrows();
    assert_eq!(n, a.ncols(), "a square matrix");
    let mut a: Vec<f64> = a.iter().copied().collect();
    let total: f64 = a.iter().map(|v| v * v).sum();
    for _sweep in 0..60 {
        let diag: f64 = (0..n).map(|i| a[i * n + i] * a[i * n + i]).sum();
        let off = a.iter().map(|v| v * v).sum::<f64>() - diag;
        if off <= 1e-22 * total || off <= 0.0 {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                let apq = a[p * n + q];
                if apq == 0.0 {
                    continue;
                }
                let (app, aqq) = (a[p * n + p], a[q * n + q]);
                // The rotation angle that zeroes a[p][q]: t = tan θ, the smaller root.
                let theta = (aqq - app) / (2.0 * apq);
                let t = if theta == 0.0 {
                    1.0
                } else {
                    theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt())
                };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                let (lo, hi) = a.split_at_mut(q * n);
                let (row_p, row_q) = (&mut lo[p * n..p * n + n], &mut hi[..n]);
                for (x, y) in row_p.iter_mut().zip(row_q.iter_mut()) {
                    let (xp, xq) = (*x, *y);
                    *x = c * xp - s * xq;
                    *y = s * xp + c * xq;
                }
                row_p[p] = app - t * apq;
                row_q[q] = aqq + t * apq;
                row_p[q] = 0.0;
                row_q[p] = 0.0;
                for k in 0..n {
                    a[k * n + p] = a[p * n + k];
                    a[k * n + q] = a[q * n + k];
                }
            }
        }
    }
    (0..n).map(|i| a[i * n + i]).collect()
}

/// Everything measured about one layer at one moment.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LayerProbe {
    pub max_unit_difference: f64,
    pub distinct_units: usize,
    /// Numerical rank (computed only when asked for: it is the costly measure).
    pub rank: Option<usize>,
    pub mean_cosine: f64,
    pub asymmetry: f64,
}

/// Measure one layer (its rank only `with_rank`).
pub fn probe_layer(w: ArrayView2<f32>, b: ArrayView1<f32>, with_rank: bool) -> LayerProbe {
    LayerProbe {
        max_unit_difference: max_unit_difference(w),
        distinct_units: distinct_units(w, b),
        rank: with_rank.then(|| numerical_rank(w)),
        mean_cosine: mean_pairwise_cosine(&cosine_matrix(w)),
        asymmetry: asymmetry(w),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lab::Init;
    use lab::rng::rng;
    use ndarray::{Array1, array};

    #[test]
    fn jacobi_matches_closed_forms() {
        // [[2, 1], [1, 2]] has eigenvalues 1 and 3.
        let mut e = symmetric_eigenvalues(array![[2.0, 1.0], [1.0, 2.0]]);
        e.sort_by(f64::total_cmp);
        assert!((e[0] - 1.0).abs() < 1e-12 && (e[1] - 3.0).abs() < 1e-12);
        // The all-ones n×n matrix has eigenvalues n (once) and 0 (n − 1 times).
        let mut e = symmetric_eigenvalues(Array2::from_elem((6, 6), 1.0));
        e.sort_by(f64::total_cmp);
        assert!((e[5] - 6.0).abs() < 1e-12);
        assert!(e[..5].iter().all(|v| v.abs() < 1e-12), "{e:?}");
    }

    /// A random symmetric matrix: the eigenvalues sum to the trace, their squares to ‖A‖²_F.
    #[test]
    fn jacobi_preserves_trace_and_frobenius_norm() {
        let m = Init::Normal { std: 1.0 }
            .sample((12, 12), &mut rng(3))
            .mapv(f64::from);
        let a = &m + &m.t();
        let e = symmetric_eigenvalues(a.clone());
        let trace: f64 = a.diag().sum();
        let fro: f64 = a.iter().map(|v| v * v).sum();
        assert!((e.iter().sum::<f64>() - trace).abs() < 1e-9);
        assert!((e.iter().map(|v| v * v).sum::<f64>() - fro).abs() < 1e-8 * fro);
    }

    #[test]
    fn rank_of_known_matrices() {
        assert_eq!(numerical_rank(Array2::from_elem((50, 8), 0.05).view()), 1);
        assert_eq!(numerical_rank(Array2::<f32>::zeros((5, 4)).view()), 0);
        let r = Init::HeNormal.sample((40, 16), &mut rng(1));
        assert_eq!(numerical_rank(r.view()), 16);
        // An outer product u·vᵀ has rank 1 even with unequal columns.
        let u = Init::HeNormal.sample((30, 1), &mut rng(2));
        let v = Init::HeNormal.sample((1, 7), &mut rng(3));
        assert_eq!(numerical_rank(u.dot(&v).view()), 1);
        // Two independent directions.
        let mut w = Array2::from_elem((30, 6), 1.0f32);
        w.column_mut(5).assign(&u.column(0));
        assert_eq!(numerical_rank(w.view()), 2);
    }

    #[test]
    fn symmetric_layer_measures() {
        let w = Array2::from_elem((10, 4), 0.05f32);
        let b = Array1::zeros(4);
        let p = probe_layer(w.view(), b.view(), true);
        assert_eq!(p.max_unit_difference, 0.0);
        assert_eq!(p.distinct_units, 1);
        assert_eq!(p.rank, Some(1));
        assert!((p.mean_cosine - 1.0).abs() < 1e-12);
        assert_eq!(p.asymmetry, 0.0);
        // A different bias makes a unit distinct even with equal weights.
        let b = array![0.0f32, 0.0, 0.1, 0.0];
        assert_eq!(distinct_units(w.view(), b.view()), 2);
        // One weight changed by δ: the difference is δ (up to f32 rounding of 0.05 + δ).
        let mut w2 = w.clone();
        w2[[3, 2]] += 0.25;
        assert!((max_unit_difference(w2.view()) - 0.25).abs() < 1e-7);
    }

    /// Constant c plus ε·N(0, 1): asymmetry ≈ ε/c (within sampling error on 4,000 entries).
    #[test]
    fn asymmetry_of_a_perturbed_constant() {
        let noise = Init::Normal { std: 1.0 }.sample((200, 20), &mut rng(4));
        let w = noise.mapv(|n| 0.05 + 1e-3 * n);
        let a = asymmetry(w.view());
        assert!((a / (1e-3 / 0.05) - 1.0).abs() < 0.05, "asymmetry {a}");
        let cos = cosine_matrix(w.view());
        assert!(mean_pairwise_cosine(&cos) > 0.999);
        let r = Init::HeNormal.sample((784, 32), &mut rng(5));
        assert!(mean_pairwise_cosine(&cosine_matrix(r.view())).abs() < 0.01);
    }
}
