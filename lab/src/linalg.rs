//! Matrix products that give the same bits with any number of threads.
//!
//! ndarray's default backend (matrixmultiply) computes each output element with a fixed order
//! of additions. We parallelise over *fixed* blocks of output rows: the blocks, and so every
//! addition, are the same whether one thread or two run them (DESIGN.md §5). Small products run
//! on the calling thread, since spawning costs more than it saves.

use ndarray::linalg::general_mat_mul;
use ndarray::{Array2, ArrayView2, ArrayViewMut2, Axis};
use rayon::prelude::*;

/// Rows of the output per parallel task.
const BLOCK_ROWS: usize = 64;
/// Below this many multiply-adds a product is not worth splitting.
const PARALLEL_MIN_MACS: usize = 1 << 20;

/// `A·B` with `a: (m, k)`, `b: (k, n)` → `(m, n)`.
pub fn matmul(a: ArrayView2<f32>, b: ArrayView2<f32>) -> Array2<f32> {
    let mut c = Array2::zeros((a.nrows(), b.ncols()));
    matmul_into(a, b, 0.0, c.view_mut());
    c
}

/// `C ← A·B + β·C` in place, with `a: (m, k)`, `b: (k, n)`, `c: (m, n)`.
///
/// Pass transposed views (`x.t()`) for the backward products `Xᵀ·G` and `G·Wᵀ`.
pub fn matmul_into(a: ArrayView2<f32>, b: ArrayView2<f32>, beta: f32, mut c: ArrayViewMut2<f32>) {
    let (m, k) = a.dim();
    let n = b.ncols();
    assert_eq!(
        b.nrows(),
        k,
        "matmul: inner dimensions differ ({m}×{k} · {}×{n})",
        b.nrows()
    );
    assert_eq!(c.dim(), (m, n), "matmul: output has the wrong shape");
    if m * k * n < PARALLEL_MIN_MACS || m <= BLOCK_ROWS {
        general_mat_mul(1.0, &a, &b, beta, &mut c);
        return;
    }
    let a_blocks: Vec<_> = a.axis_chunks_iter(Axis(0), BLOCK_ROWS).collect();
    let c_blocks: Vec<_> = c.axis_chunks_iter_mut(Axis(0), BLOCK_ROWS).collect();
    c_blocks
        .into_par_iter()
        .zip(a_blocks)
        .for_each(|(mut c_block, a_block)| general_mat_mul(1.0, &a_block, &b, beta, &mut c_block));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::init::Init;
    use crate::rng::rng;

    /// Reference product in f64 with a plain triple loop.
    fn reference(a: &Array2<f32>, b: &Array2<f32>) -> Array2<f64> {
        Array2::from_shape_fn((a.nrows(), b.ncols()), |(i, j)| {
            (0..a.ncols())
                .map(|p| f64::from(a[(i, p)]) * f64::from(b[(p, j)]))
                .sum()
        })
    }

    /// f32 sums of k = 300 products of N(0,1) numbers have rounding error of about
    /// √k·ε·|terms| ≈ 17·6e-8·√300 ≈ 2e-5 relative to the row scale; 1e-4 leaves room.
    #[test]
    fn matches_a_reference_and_is_the_same_with_one_or_two_threads() {
        let a = Init::Normal { std: 1.0 }.sample((300, 300), &mut rng(1));
        let b = Init::Normal { std: 1.0 }.sample((300, 200), &mut rng(2));
        let c = matmul(a.view(), b.view());
        let r = reference(&a, &b);
        let scale = 300f64.sqrt();
        for (x, y) in c.iter().zip(&r) {
            assert!((f64::from(*x) - y).abs() / scale < 1e-4);
        }
        let one = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        let two = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        let c1 = one.install(|| matmul(a.view(), b.view()));
        let c2 = two.install(|| matmul(a.view(), b.view()));
        let bits = |c: &Array2<f32>| c.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&c1), bits(&c2));
        // Transposed views and accumulation: C ← AᵀB + C.
        let mut acc = c.clone();
        matmul_into(a.t(), b.view(), 1.0, acc.view_mut());
        let rt = reference(&a.t().to_owned(), &b);
        for ((x, y), z) in acc.iter().zip(&rt).zip(&r) {
            assert!((f64::from(*x) - y - z).abs() / scale < 2e-4);
        }
    }
}
