//! What sparsity buys: bytes on disk and inference time, CSR against dense.
//!
//! Inference is timed on the trained network pruned layer by layer at each sparsity, in the
//! layout a sparse kernel likes: activations as `(features, batch)`, each layer's weights as
//! `Wᵀ: (n_out, n_in)`, so `Zᵀ = Wᵀ·Aᵀ` is a CSR × dense product whose inner loop runs along the
//! batch. The dense side is the same product through `lab::linalg::matmul`.

use std::time::Instant;

use ndarray::{Array1, Array2, ArrayView2, Axis};
use serde::{Deserialize, Serialize};

use lab::Mlp;
use lab::linalg::matmul;
use lab::sparse::Csr;
use lab::stats::{Bootstrap, Interval, median, paired_ratio};

use crate::prune::{Scope, magnitude_masks};

/// One sparsity level.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SpeedPoint {
    pub sparsity: f64,
    /// Non-zero weights over the three layers.
    pub nnz: usize,
    pub dense_bytes: usize,
    pub csr_bytes: usize,
    /// The dense weights (f32, little-endian) compressed with gzip at its default level: what
    /// a model file with zeros in it takes on disk or on the wire.
    pub gzip_bytes: usize,
    /// Largest |difference| between the CSR and dense logits (they compute the same thing).
    pub max_abs_diff: f64,
    pub timings: SpeedTimings,
}

/// Wall times of one forward pass of a batch, in microseconds, one per repeat (the two
/// products alternate, so repeat `i` of each ran at about the same time).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SpeedTimings {
    pub dense_us: Vec<f64>,
    pub csr_us: Vec<f64>,
}

impl SpeedTimings {
    pub fn dense_median(&self) -> f64 {
        median(&self.dense_us)
    }
    pub fn csr_median(&self) -> f64 {
        median(&self.csr_us)
    }
    /// How many times faster CSR is: the median over repeats of dense time / CSR time, and
    /// its percentile-bootstrap 95% interval over the repeats.
    pub fn speedup(&self) -> (f64, Interval) {
        paired_ratio(&self.dense_us, &self.csr_us, Bootstrap::default())
    }
}

/// Bytes of the matrices' f32 values, little-endian, after gzip (default level). Runs of zeros
/// compress to almost nothing; the non-zero values, nearly random in their low bits, hardly
/// at all.
pub fn gzip_bytes(matrices: &[Array2<f32>]) -> usize {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    for m in matrices {
        for &x in m.iter() {
            gz.write_all(&x.to_le_bytes()).expect("writing to memory");
        }
    }
    gz.finish().expect("writing to memory").len()
}

/// A forward pass in `(features, batch)` layout, with any product for `Wᵀ·A`.
fn forward_t(
    biases: &[Array1<f32>],
    x_t: ArrayView2<f32>,
    mut product: impl FnMut(usize, ArrayView2<f32>) -> Array2<f32>,
) -> Array2<f32> {
    let last = biases.len() - 1;
    let mut a = x_t.to_owned();
    for (l, b) in biases.iter().enumerate() {
        let mut z = product(l, a.view()); // (n_out, B)
        z += &b.view().insert_axis(Axis(1));
        if l < last {
            z.mapv_inplace(|v| v.max(0.0)); // ReLU
        }
        a = z;
    }
    a
}

// ANCHOR: speed
/// Prune `model` layer by layer to `sparsity`, store each `Wᵀ` dense and in CSR, and time one
/// forward pass of `x: (B, 784)` both ways (median of `repeats`, alternating the two).
pub fn speed_point(model: &Mlp, sparsity: f64, x: ArrayView2<f32>, repeats: usize) -> SpeedPoint {
    let mut pruned = model.clone();
    magnitude_masks(model, sparsity, Scope::PerLayer).apply(&mut pruned);
    let dense: Vec<Array2<f32>> = pruned
        .layers
        .iter()
        .map(|l| l.w.t().as_standard_layout().into_owned()) // Wᵀ: (n_out, n_in)
        .collect();
    let csr: Vec<Csr> = dense.iter().map(|w| Csr::from_dense(w.view())).collect();
    let biases: Vec<Array1<f32>> = pruned.layers.iter().map(|l| l.b.clone()).collect();
    let x_t = x.t().as_standard_layout().into_owned(); // (784, B)

    let run_dense = || forward_t(&biases, x_t.view(), |l, a| matmul(dense[l].view(), a));
    let run_csr = || forward_t(&biases, x_t.view(), |l, a| csr[l].matmul(a));
    let (mut t_dense, mut t_csr) = (Vec::new(), Vec::new());
    let (mut out_dense, mut out_csr) = (run_dense(), run_csr()); // warm-up
    for _ in 0..repeats {
        let start = Instant::now();
        out_dense = run_dense();
        t_dense.push(start.elapsed().as_secs_f64() * 1e6);
        let start = Instant::now();
        out_csr = run_csr();
        t_csr.push(start.elapsed().as_secs_f64() * 1e6);
    }
    let max_abs_diff = out_dense
        .iter()
        .zip(&out_csr)
        .map(|(a, b)| f64::from((a - b).abs()))
        .fold(0.0, f64::max);
    SpeedPoint {
        sparsity,
        nnz: csr.iter().map(Csr::nnz).sum(),
        dense_bytes: csr.iter().map(Csr::dense_bytes).sum(),
        csr_bytes: csr.iter().map(Csr::bytes).sum(),
        gzip_bytes: gzip_bytes(&dense),
        max_abs_diff,
        timings: SpeedTimings {
            dense_us: t_dense,
            csr_us: t_csr,
        },
    }
}
// ANCHOR_END: speed

/// The crossover: the lowest measured sparsity from which on CSR is faster at every measured
/// sparsity, with the highest one where it was not (None if CSR never wins at the top, or wins
/// everywhere).
pub fn crossover(points: &[SpeedPoint]) -> (Option<f64>, Option<f64>) {
    let faster = |p: &SpeedPoint| p.timings.csr_median() < p.timings.dense_median();
    let from = points.iter().rposition(|p| !faster(p)).map_or(0, |i| i + 1);
    let first_fast = points.get(from).map(|p| p.sparsity);
    let last_slow = from.checked_sub(1).map(|i| points[i].sparsity);
    (first_fast, last_slow)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Zeros compress: a 90%-zero matrix gzips to well under half of a dense random one, and
    /// an all-zero one to a few hundred bytes.
    #[test]
    fn gzip_shrinks_zeros() {
        let n = 100 * 100;
        let random: Vec<f32> = (0..n)
            .map(|i| ((i * 7919) % 1000) as f32 * 1.2345e-3 + 0.1)
            .collect();
        let dense = Array2::from_shape_vec((100, 100), random.clone()).unwrap();
        let sparse = Array2::from_shape_fn((100, 100), |(i, j)| {
            if (i * 100 + j) % 10 == 0 {
                random[i * 100 + j]
            } else {
                0.0
            }
        });
        let zeros = Array2::<f32>::zeros((100, 100));
        let (d, s, z) = (
            gzip_bytes(&[dense]),
            gzip_bytes(&[sparse]),
            gzip_bytes(&[zeros]),
        );
        assert!(s * 2 < d, "{s} vs {d}");
        assert!(z < 300, "{z}");
    }

    fn point(s: f64, dense: f64, csr: f64) -> SpeedPoint {
        SpeedPoint {
            sparsity: s,
            nnz: 0,
            dense_bytes: 0,
            csr_bytes: 0,
            gzip_bytes: 0,
            max_abs_diff: 0.0,
            timings: SpeedTimings {
                dense_us: vec![dense],
                csr_us: vec![csr],
            },
        }
    }

    #[test]
    fn crossover_is_where_csr_wins_from_then_on() {
        let pts = vec![
            point(0.5, 1.0, 3.0),
            point(0.8, 1.0, 0.9),
            point(0.9, 1.0, 1.1),
            point(0.95, 1.0, 0.5),
            point(0.99, 1.0, 0.1),
        ];
        assert_eq!(crossover(&pts), (Some(0.95), Some(0.9)));
        assert_eq!(crossover(&pts[3..]), (Some(0.95), None));
        assert_eq!(crossover(&pts[..1]), (None, Some(0.5)));
    }
}
