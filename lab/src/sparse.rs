//! A compressed sparse row (CSR) matrix and its product with a dense matrix.
//!
//! CSR keeps, for an `(m, k)` matrix with `nnz` non-zeros, three arrays:
//! `values: (nnz)` the non-zeros row after row, `col_idx: (nnz)` their columns, and
//! `row_ptr: (m + 1)` where row `i` occupies `values[row_ptr[i]..row_ptr[i + 1]]`.
//! Stored with f32 values and u32 indices it takes `8·nnz + 4·(m + 1)` bytes against `4·m·k`
//! dense: smaller once more than about half of the entries are zero.
//!
//! The product `C = A·B` (`A` sparse `(m, k)`, `B` dense `(k, n)`) walks each row of `A` and adds
//! `a_ij · B[j, :]` to `C[i, :]`: a contiguous axpy over `n` columns per non-zero, so its cost is
//! `nnz·n` multiply-adds instead of `m·k·n`. Rows of `C` are computed in parallel in *fixed* blocks
//! of [`BLOCK_ROWS`], each element summed in the order of its row's non-zeros, so the result has
//! the same bits with any number of threads.

use ndarray::{Array2, ArrayView2, ArrayViewMut2, Axis};
use rayon::prelude::*;

/// Rows of the output per parallel task.
pub const BLOCK_ROWS: usize = 32;
/// Below this many multiply-adds a product runs on the calling thread.
const PARALLEL_MIN_MACS: usize = 1 << 18;

/// A sparse `(rows, cols)` matrix in compressed sparse row form.
#[derive(Clone, Debug, PartialEq)]
pub struct Csr {
    pub rows: usize,
    pub cols: usize,
    /// `(rows + 1)`: row `i` is `row_ptr[i]..row_ptr[i + 1]` in `col_idx` and `values`.
    pub row_ptr: Vec<u32>,
    /// `(nnz)`: column of each stored entry, increasing within a row.
    pub col_idx: Vec<u32>,
    /// `(nnz)`: the stored entries.
    pub values: Vec<f32>,
}

impl Csr {
    /// The CSR form of `a`, keeping exactly its non-zero entries.
    pub fn from_dense(a: ArrayView2<f32>) -> Self {
        let (rows, cols) = a.dim();
        assert!(
            rows * cols < u32::MAX as usize,
            "Csr uses u32 indices: {rows}×{cols} is too large"
        );
        let mut row_ptr = Vec::with_capacity(rows + 1);
        let (mut col_idx, mut values) = (Vec::new(), Vec::new());
        row_ptr.push(0);
        for row in a.rows() {
            for (j, &v) in row.iter().enumerate() {
                if v != 0.0 {
                    col_idx.push(j as u32);
                    values.push(v);
                }
            }
            row_ptr.push(values.len() as u32);
        }
        Csr {
            rows,
            cols,
            row_ptr,
            col_idx,
            values,
        }
    }

    /// Back to a dense `(rows, cols)` matrix.
    pub fn to_dense(&self) -> Array2<f32> {
        let mut a = Array2::zeros((self.rows, self.cols));
        for i in 0..self.rows {
            for p in self.row_range(i) {
                a[(i, self.col_idx[p] as usize)] = self.values[p];
            }
        }
        a
    }

    /// Number of stored (non-zero) entries.
    pub fn nnz(&self) -> usize {
        self.values.len()
    }

    /// Fraction of entries that are zero.
    pub fn sparsity(&self) -> f64 {
        1.0 - self.nnz() as f64 / (self.rows * self.cols) as f64
    }

    /// Bytes of storage: f32 values, u32 column indices and u32 row pointers.
    pub fn bytes(&self) -> usize {
        4 * self.values.len() + 4 * self.col_idx.len() + 4 * self.row_ptr.len()
    }

    /// Bytes of the same matrix stored densely in f32.
    pub fn dense_bytes(&self) -> usize {
        4 * self.rows * self.cols
    }

    fn row_range(&self, i: usize) -> std::ops::Range<usize> {
        self.row_ptr[i] as usize..self.row_ptr[i + 1] as usize
    }

    /// `C = A·B` with `self: (m, k)` and `b: (k, n)` → `(m, n)`.
    pub fn matmul(&self, b: ArrayView2<f32>) -> Array2<f32> {
        let mut c = Array2::zeros((self.rows, b.ncols()));
        self.matmul_into(b, c.view_mut());
        c
    }

    /// `C ← A·B` in place (C is overwritten), with `b: (k, n)` and `c: (m, n)`.
    pub fn matmul_into(&self, b: ArrayView2<f32>, mut c: ArrayViewMut2<f32>) {
        let n = b.ncols();
        assert_eq!(
            b.nrows(),
            self.cols,
            "Csr::matmul: inner dimensions differ ({}×{} · {}×{n})",
            self.rows,
            self.cols,
            b.nrows()
        );
        assert_eq!(
            c.dim(),
            (self.rows, n),
            "Csr::matmul: output has the wrong shape"
        );
        // Contiguous rows of B make the inner loop a straight axpy.
        let b_owned;
        let b = if b.is_standard_layout() {
            b
        } else {
            b_owned = b.as_standard_layout().into_owned();
            b_owned.view()
        };
        let b = b.as_slice().expect("standard layout");
        if self.nnz() * n < PARALLEL_MIN_MACS || self.rows <= BLOCK_ROWS {
            self.rows_into(0, b, n, c.view_mut());
            return;
        }
        let blocks: Vec<(usize, ArrayViewMut2<f32>)> = c
            .axis_chunks_iter_mut(Axis(0), BLOCK_ROWS)
            .enumerate()
            .map(|(i, block)| (i * BLOCK_ROWS, block))
            .collect();
        blocks
            .into_par_iter()
            .for_each(|(first, block)| self.rows_into(first, b, n, block));
    }

    /// Rows `first..first + c.nrows()` of the product into `c`; `b` is `(k, n)` row-major.
    fn rows_into(&self, first: usize, b: &[f32], n: usize, mut c: ArrayViewMut2<f32>) {
        for (r, mut c_row) in c.rows_mut().into_iter().enumerate() {
            let out = c_row
                .as_slice_mut()
                .expect("output rows are contiguous (standard layout)");
            out.fill(0.0);
            for p in self.row_range(first + r) {
                let a = self.values[p];
                let j = self.col_idx[p] as usize;
                let b_row = &b[j * n..(j + 1) * n];
                out.iter_mut().zip(b_row).for_each(|(o, &x)| *o += a * x);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::init::Init;
    use crate::rng::{Rng, rng};

    /// A random `(m, k)` matrix with about a fraction `zeros` of exact zeros.
    fn sparse_random(m: usize, k: usize, zeros: f64, seed: u64) -> Array2<f32> {
        let mut a = Init::Normal { std: 1.0 }.sample((m, k), &mut rng(seed));
        let mut r = rng(seed + 100);
        a.mapv_inplace(|x| if r.random::<f64>() < zeros { 0.0 } else { x });
        a
    }

    #[test]
    fn round_trips_and_counts_bytes() {
        let a = sparse_random(7, 5, 0.6, 1);
        let s = Csr::from_dense(a.view());
        assert_eq!(s.to_dense(), a);
        let nnz = a.iter().filter(|&&x| x != 0.0).count();
        assert_eq!(s.nnz(), nnz);
        assert_eq!(s.bytes(), 8 * nnz + 4 * 8);
        assert_eq!(s.dense_bytes(), 4 * 35);
        assert!((s.sparsity() - (1.0 - nnz as f64 / 35.0)).abs() < 1e-12);
        // A row of zeros has an empty range.
        let z = Csr::from_dense(Array2::<f32>::zeros((3, 4)).view());
        assert_eq!(z.row_ptr, vec![0, 0, 0, 0]);
        let product = z.matmul(Array2::<f32>::ones((4, 2)).view());
        assert_eq!(product, Array2::<f32>::zeros((3, 2)));
    }

    /// Against the dense product (f64 reference) on a product large enough to run in parallel,
    /// with a transposed (non-standard) right-hand side, and bit-identical with 1 and 2 threads.
    /// Tolerance: f32 sums of ≤ 300 terms of N(0,1)·N(0,1) products, as in `linalg`.
    #[test]
    fn matches_the_dense_product_with_any_thread_count() {
        let a = sparse_random(300, 300, 0.9, 2);
        let b = Init::Normal { std: 1.0 }.sample((300, 256), &mut rng(3));
        let s = Csr::from_dense(a.view());
        let reference = Array2::from_shape_fn((300, 256), |(i, j)| {
            (0..300)
                .map(|p| f64::from(a[(i, p)]) * f64::from(b[(p, j)]))
                .sum::<f64>()
        });
        let c = s.matmul(b.view());
        let scale = 300f64.sqrt();
        for (x, y) in c.iter().zip(&reference) {
            assert!((f64::from(*x) - y).abs() / scale < 1e-4);
        }
        let bt = b.t().to_owned();
        assert_eq!(
            s.matmul(bt.t()),
            c,
            "a transposed view gives the same product"
        );
        let pool = |n| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build()
                .unwrap()
        };
        let bits = |c: &Array2<f32>| c.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        let c1 = pool(1).install(|| s.matmul(b.view()));
        let c2 = pool(2).install(|| s.matmul(b.view()));
        assert_eq!(bits(&c1), bits(&c2));
        assert_eq!(bits(&c1), bits(&c));
    }
}
