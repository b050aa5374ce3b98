//! Matrix products that give the same bits on any number of threads, and on any x86-64 or
//! aarch64 machine.
//!
//! `C ← A·B + β·C` is computed the way BLAS libraries do it (Goto & van de Geijn 2008), in
//! three layers:
//!
//! 1. the depth `k` is cut into blocks of at most [`KC_MAX`]; for each block, `A` is *packed*
//!    into panels of [`MR`] rows and `B` into panels of [`NR`] columns, laid out in the order the
//!    kernel reads them;
//! 2. the output is cut into row bands of `MR` rows; bands are independent, so rayon runs them
//!    in parallel, and the bits of every element are the same whichever thread computes it;
//! 3. a *micro-kernel* computes one `MR × NR` tile as a sum of outer products, with `MR × NR`
//!    accumulators that the compiler keeps in vector registers.
//!
//! Every element of `C` is a chain of fused multiply-adds (`f32::mul_add`, correctly rounded
//! everywhere) in the order `p = 0, 1, …, k−1` within a depth block, and the blocks are added
//! to `C` in order. Nothing in that order depends on the machine (unlike BLAS libraries, whose
//! blocking follows the cache sizes), so a figure made here is bit-identical on another
//! machine. The micro-kernel is compiled several times by [`multiversion`] (AVX-512, AVX2+FMA,
//! NEON, plain) and the best version for the CPU is picked at run time; all give the same bits.

use multiversion::multiversion;
use ndarray::{Array2, ArrayView2, ArrayViewMut2, Axis};
use rayon::prelude::*;

/// Rows of one register tile.
pub const MR: usize = 8;
/// Columns of one register tile: two 16-lane AVX-512 vectors.
pub const NR: usize = 32;
/// The largest depth block. `k` is cut into `⌈k / KC_MAX⌉` nearly equal blocks, so the block
/// sizes (and the order of additions) depend only on `k`.
pub const KC_MAX: usize = 384;
/// Below this many multiply-adds a product runs on the calling thread.
const PARALLEL_MIN_MACS: usize = 1 << 24;
/// The longest side of one parallel chunk of the output (about).
const CHUNK: usize = 256;

/// `A·B` with `a: (m, k)`, `b: (k, n)` → `(m, n)`.
pub fn matmul(a: ArrayView2<f32>, b: ArrayView2<f32>) -> Array2<f32> {
    let mut c = Array2::zeros((a.nrows(), b.ncols()));
    matmul_into(a, b, 0.0, c.view_mut());
    c
}

/// `C ← A·B + β·C` in place, with `a: (m, k)`, `b: (k, n)`, `c: (m, n)`.
///
/// `a` and `b` may have any strides: pass transposed views (`x.t()`) for the backward products
/// `Xᵀ·G` and `G·Wᵀ`. With `β = 0`, `C`'s old contents are ignored (even NaN).
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
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        c.map_inplace(|x| *x = if beta == 0.0 { 0.0 } else { beta * *x });
        return;
    }
    // With β = 0 the first depth block writes C instead of adding to it (no zeroing pass).
    let overwrite = beta == 0.0;
    if !overwrite && beta != 1.0 {
        c.map_inplace(|x| *x *= beta);
    }
    if c.strides()[1] == 1 {
        accumulate(a, b, c, overwrite);
    } else {
        // A strided output (rare): work in a contiguous copy.
        let mut tmp = c.to_owned();
        accumulate(a, b, tmp.view_mut(), overwrite);
        c.assign(&tmp);
    }
}

/// `C += A·B`. Large products are cut into an even number of nearly equal chunks along the
/// longer side of `C`, computed in parallel: the cut depends only on the shape, and each
/// element's arithmetic only on `k`, so the bits do not depend on the number of threads.
fn accumulate(a: ArrayView2<f32>, b: ArrayView2<f32>, mut c: ArrayViewMut2<f32>, overwrite: bool) {
    let (m, k) = a.dim();
    let n = b.ncols();
    if m * k * n < PARALLEL_MIN_MACS {
        accumulate_block(a, b, c, overwrite);
    } else if n >= m {
        let width = chunk_size(n, NR);
        c.axis_chunks_iter_mut(Axis(1), width)
            .into_par_iter()
            .zip(b.axis_chunks_iter(Axis(1), width))
            .for_each(|(c, b)| accumulate_block(a, b, c, overwrite));
    } else {
        let height = chunk_size(m, MR);
        c.axis_chunks_iter_mut(Axis(0), height)
            .into_par_iter()
            .zip(a.axis_chunks_iter(Axis(0), height))
            .for_each(|(c, a)| accumulate_block(a, b, c, overwrite));
    }
}

/// Cut `len` into an even number of chunks of at most about [`CHUNK`], each a multiple of
/// `align`; returns the chunk size.
fn chunk_size(len: usize, align: usize) -> usize {
    let chunks = 2 * len.div_ceil(2 * CHUNK);
    len.div_ceil(chunks).next_multiple_of(align)
}

/// `C += A·B` (or `C = A·B` with `overwrite`) on the calling thread; `c`'s rows must be
/// contiguous.
fn accumulate_block(
    a: ArrayView2<f32>,
    b: ArrayView2<f32>,
    mut c: ArrayViewMut2<f32>,
    overwrite: bool,
) {
    let (m, k) = a.dim();
    let n = b.ncols();
    let blocks = k.div_ceil(KC_MAX);
    let kc_max = k.div_ceil(blocks);
    PACKED.with_borrow_mut(|(a_buffer, b_buffer)| {
        // Reused across calls (a fresh megabyte per product would cost page faults), and
        // aligned to the cache line so that no vector load straddles two lines.
        let a_packed = aligned(a_buffer, m.div_ceil(MR) * MR * kc_max);
        let b_packed = aligned(b_buffer, n.div_ceil(NR) * NR * kc_max);
        for p0 in (0..k).step_by(kc_max) {
            let kc = kc_max.min(k - p0);
            let a_packed = &mut a_packed[..m.div_ceil(MR) * MR * kc];
            let b_packed = &mut b_packed[..n.div_ceil(NR) * NR * kc];
            pack_a(a, p0, kc, a_packed);
            pack_b(b, p0, kc, b_packed);
            for (a_panel, mut c_band) in a_packed
                .chunks_exact(MR * kc)
                .zip(c.axis_chunks_iter_mut(Axis(0), MR))
            {
                for (b_panel, c_tile) in b_packed
                    .chunks_exact(NR * kc)
                    .zip(c_band.axis_chunks_iter_mut(Axis(1), NR))
                {
                    micro_kernel(kc, a_panel, b_panel, c_tile, overwrite && p0 == 0);
                }
            }
        }
    });
}

/// `len` floats of `buffer` starting on a 64-byte boundary (growing the buffer if needed).
fn aligned(buffer: &mut Vec<f32>, len: usize) -> &mut [f32] {
    const LINE: usize = 64 / size_of::<f32>();
    if buffer.len() < len + LINE {
        buffer.resize(len + LINE, 0.0);
    }
    let offset = buffer.as_ptr().align_offset(64);
    &mut buffer[offset..offset + len]
}

thread_local! {
    /// Each thread's buffers for the packed panels of `A` and `B`.
    static PACKED: std::cell::RefCell<(Vec<f32>, Vec<f32>)> = const { std::cell::RefCell::new((Vec::new(), Vec::new())) };
}

/// Pack `A[.., p0..p0+kc]` into panels of `MR` rows: panel `r` holds, for each `p`, the `MR`
/// values `A[r·MR + i, p0 + p]` side by side (zeros past the last row).
fn pack_a(a: ArrayView2<f32>, p0: usize, kc: usize, packed: &mut [f32]) {
    let m = a.nrows();
    let pack_panel = |(r, panel): (usize, &mut [f32])| {
        let rows = MR.min(m - r * MR);
        if rows < MR {
            panel.fill(0.0);
        }
        if a.strides()[0] == 1 {
            // Column-major A (a transposed view): each column's MR values are contiguous.
            for (p, dst) in panel.chunks_exact_mut(MR).enumerate() {
                let col = a.column(p0 + p);
                let col = col.to_slice().expect("unit row stride");
                let src = &col[r * MR..][..rows];
                match (
                    <&mut [f32; MR]>::try_from(&mut *dst),
                    <&[f32; MR]>::try_from(src),
                ) {
                    // Fixed-size copies compile to vector moves, not calls to memcpy.
                    (Ok(dst), Ok(src)) => *dst = *src,
                    _ => dst[..rows].copy_from_slice(src),
                }
            }
        } else if rows == MR
            && let Some(row_slices) = row_slices(a, r * MR, p0, kc)
        {
            // Row-major A, a full panel: interleave MR contiguous rows.
            for (p, dst) in panel.chunks_exact_mut(MR).enumerate() {
                for (d, row) in dst.iter_mut().zip(&row_slices) {
                    *d = row[p];
                }
            }
        } else {
            for i in 0..rows {
                let row = a.row(r * MR + i);
                let dst = panel[i..].iter_mut().step_by(MR);
                match row.to_slice() {
                    Some(row) => dst.zip(&row[p0..p0 + kc]).for_each(|(d, &x)| *d = x),
                    None => dst
                        .zip(row.iter().skip(p0).take(kc))
                        .for_each(|(d, &x)| *d = x),
                }
            }
        }
    };
    packed
        .chunks_exact_mut(MR * kc)
        .enumerate()
        .for_each(pack_panel);
}

/// The `MR` rows `A[r0 + i, p0..p0+kc]` as slices, if they are contiguous.
fn row_slices<'a>(
    a: ArrayView2<'a, f32>,
    r0: usize,
    p0: usize,
    kc: usize,
) -> Option<[&'a [f32]; MR]> {
    if a.strides()[1] != 1 {
        return None;
    }
    let slice = a.to_slice()?;
    let lda = a.ncols();
    Some(std::array::from_fn(|i| &slice[(r0 + i) * lda + p0..][..kc]))
}

/// The `NR` columns `B[p0..p0+kc, s0 + j]` as slices, if they are contiguous.
fn column_slices<'a>(
    b: ArrayView2<'a, f32>,
    s0: usize,
    p0: usize,
    kc: usize,
) -> Option<[&'a [f32]; NR]> {
    if b.strides()[0] != 1 {
        return None;
    }
    let t = b.reversed_axes();
    let slice = t.to_slice()?;
    let ldb = t.ncols();
    Some(std::array::from_fn(|j| &slice[(s0 + j) * ldb + p0..][..kc]))
}

/// Pack `B[p0..p0+kc, ..]` into panels of `NR` columns: panel `s` holds, for each `p`, the `NR`
/// values `B[p0 + p, s·NR + j]` side by side (zeros past the last column).
fn pack_b(b: ArrayView2<f32>, p0: usize, kc: usize, packed: &mut [f32]) {
    let n = b.ncols();
    let pack_panel = |(s, panel): (usize, &mut [f32])| {
        let cols = NR.min(n - s * NR);
        if cols < NR {
            panel.fill(0.0);
        }
        if b.strides()[1] == 1 {
            // Row-major B: each row's NR values are contiguous.
            for (p, dst) in panel.chunks_exact_mut(NR).enumerate() {
                let row = b.row(p0 + p);
                let row = row.to_slice().expect("unit column stride");
                let src = &row[s * NR..][..cols];
                match (
                    <&mut [f32; NR]>::try_from(&mut *dst),
                    <&[f32; NR]>::try_from(src),
                ) {
                    (Ok(dst), Ok(src)) => *dst = *src,
                    _ => dst[..cols].copy_from_slice(src),
                }
            }
        } else if cols == NR
            && let Some(columns) = column_slices(b, s * NR, p0, kc)
        {
            // Column-major B (a transposed view), a full panel: interleave NR contiguous columns.
            for (p, dst) in panel.chunks_exact_mut(NR).enumerate() {
                for (d, col) in dst.iter_mut().zip(&columns) {
                    *d = col[p];
                }
            }
        } else {
            for j in 0..cols {
                let col = b.column(s * NR + j);
                let dst = panel[j..].iter_mut().step_by(NR);
                match col.to_slice() {
                    Some(col) => dst.zip(&col[p0..p0 + kc]).for_each(|(d, &x)| *d = x),
                    None => dst
                        .zip(col.iter().skip(p0).take(kc))
                        .for_each(|(d, &x)| *d = x),
                }
            }
        }
    };
    packed
        .chunks_exact_mut(NR * kc)
        .enumerate()
        .for_each(pack_panel);
}

/// One tile, `C += Σ_p a[p, i] · b[p, j]` over the packed panels `a: (kc, MR)` and
/// `b: (kc, NR)`, as one fused multiply-add chain per element; `c` is the tile of `C`
/// (`MR × NR`, or smaller at the edges).
#[multiversion(targets("x86_64+avx512f+avx512vl+avx2+fma", "x86_64+avx2+fma", "aarch64+neon"))]
fn micro_kernel(kc: usize, a: &[f32], b: &[f32], mut c: ArrayViewMut2<f32>, overwrite: bool) {
    // One accumulator row per tile row, as separate locals: the compiler keeps each in
    // NR / 16 vector registers (an array indexed by a loop variable would live in memory).
    let mut acc = [[0.0f32; NR]; MR];
    let [
        mut c0,
        mut c1,
        mut c2,
        mut c3,
        mut c4,
        mut c5,
        mut c6,
        mut c7,
    ] = acc;
    for (a_p, b_p) in a[..kc * MR]
        .chunks_exact(MR)
        .zip(b[..kc * NR].chunks_exact(NR))
    {
        let b_p: &[f32; NR] = b_p.try_into().expect("NR values");
        let a_p: &[f32; MR] = a_p.try_into().expect("MR values");
        fma_row(&mut c0, a_p[0], b_p);
        fma_row(&mut c1, a_p[1], b_p);
        fma_row(&mut c2, a_p[2], b_p);
        fma_row(&mut c3, a_p[3], b_p);
        fma_row(&mut c4, a_p[4], b_p);
        fma_row(&mut c5, a_p[5], b_p);
        fma_row(&mut c6, a_p[6], b_p);
        fma_row(&mut c7, a_p[7], b_p);
    }
    acc = [c0, c1, c2, c3, c4, c5, c6, c7];
    for (mut c_row, acc_row) in c.rows_mut().into_iter().zip(&acc) {
        let c_row = c_row.as_slice_mut().expect("rows of C are contiguous");
        if overwrite {
            match <&mut [f32; NR]>::try_from(&mut *c_row) {
                // A full row: vector moves (a slice of variable length would call memcpy).
                Ok(c_row) => *c_row = *acc_row,
                Err(_) => c_row.copy_from_slice(&acc_row[..c_row.len()]),
            }
        } else {
            for (c, t) in c_row.iter_mut().zip(acc_row) {
                *c += t;
            }
        }
    }
}

/// `c ← a·b + c`, elementwise, one rounding per element.
#[inline(always)]
fn fma_row(c: &mut [f32; NR], a: f32, b: &[f32; NR]) {
    for j in 0..NR {
        c[j] = a.mul_add(b[j], c[j]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::init::Init;
    use crate::rng::rng;

    /// Reference product in f64 with a plain triple loop.
    fn reference(a: ArrayView2<f32>, b: ArrayView2<f32>) -> Array2<f64> {
        Array2::from_shape_fn((a.nrows(), b.ncols()), |(i, j)| {
            (0..a.ncols())
                .map(|p| f64::from(a[(i, p)]) * f64::from(b[(p, j)]))
                .sum()
        })
    }

    fn bits(c: &Array2<f32>) -> Vec<u32> {
        c.iter().map(|x| x.to_bits()).collect()
    }

    fn pool(threads: usize) -> rayon::ThreadPool {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
    }

    /// f32 sums of k products of N(0,1) numbers have a rounding error of about
    /// √k·ε·|terms| ≈ √k·6e-8 relative to the row scale √k; 1e-5 · √k·… leaves a wide margin
    /// yet catches any misplaced element (an error of order 1).
    #[test]
    fn matches_a_reference_for_every_layout_and_edge() {
        // Sizes straddle the tile and depth-block edges: m around MR, n around NR, k > KC_MAX.
        for &(m, k, n) in &[
            (1, 1, 1),
            (7, 3, 33),
            (8, 385, 32),
            (9, 400, 65),
            (70, 784, 31),
            (128, 100, 10),
        ] {
            let a = Init::Normal { std: 1.0 }.sample((m, k), &mut rng(1));
            let at = Init::Normal { std: 1.0 }.sample((k, m), &mut rng(2));
            let b = Init::Normal { std: 1.0 }.sample((k, n), &mut rng(3));
            let bt = Init::Normal { std: 1.0 }.sample((n, k), &mut rng(4));
            let scale = (k as f64).sqrt();
            for (av, bv) in [
                (a.view(), b.view()),
                (at.t(), b.view()),
                (a.view(), bt.t()),
                (at.t(), bt.t()),
            ] {
                let c = matmul(av, bv);
                let r = reference(av, bv);
                for (x, y) in c.iter().zip(&r) {
                    assert!((f64::from(*x) - y).abs() / scale < 1e-5, "{m}×{k}×{n}");
                }
            }
        }
    }

    #[test]
    fn accumulates_with_beta_and_ignores_old_contents_with_zero() {
        let a = Init::Normal { std: 1.0 }.sample((20, 30), &mut rng(1));
        let b = Init::Normal { std: 1.0 }.sample((30, 40), &mut rng(2));
        let ab = matmul(a.view(), b.view());
        let mut c = Array2::from_elem((20, 40), f32::NAN);
        matmul_into(a.view(), b.view(), 0.0, c.view_mut());
        assert_eq!(bits(&c), bits(&ab));
        let mut c = Array2::from_elem((20, 40), 2.0f32);
        matmul_into(a.view(), b.view(), 0.5, c.view_mut());
        for (x, y) in c.iter().zip(&ab) {
            assert_eq!(*x, 1.0 + y);
        }
        // A strided output view: every other column of a wider array.
        let mut wide = Array2::<f32>::zeros((20, 80));
        matmul_into(
            a.view(),
            b.view(),
            0.0,
            wide.slice_mut(ndarray::s![.., ..;2]),
        );
        assert_eq!(
            bits(&wide.slice(ndarray::s![.., ..;2]).to_owned()),
            bits(&ab)
        );
    }

    /// The bits do not depend on the number of threads, nor on whether the product is split
    /// (the parallel path) or not.
    #[test]
    fn same_bits_with_one_or_two_threads() {
        let a = Init::Normal { std: 1.0 }.sample((300, 784), &mut rng(1));
        let b = Init::Normal { std: 1.0 }.sample((784, 300), &mut rng(2));
        let c1 = pool(1).install(|| matmul(a.view(), b.view()));
        let c2 = pool(2).install(|| matmul(a.view(), b.view()));
        assert_eq!(bits(&c1), bits(&c2));
        let c1 = pool(1).install(|| matmul(a.t(), b.t()));
        let c2 = pool(2).install(|| matmul(a.t(), b.t()));
        assert_eq!(bits(&c1), bits(&c2));
    }

    /// Each element is `fma` chains in the order of `p`: a hand-written loop in that order
    /// gives the same bits (the promise that makes results portable across machines).
    #[test]
    fn order_of_additions_is_the_documented_one() {
        let (m, k, n) = (5, 2 * KC_MAX + 7, 3);
        let a = Init::Normal { std: 1.0 }.sample((m, k), &mut rng(5));
        let b = Init::Normal { std: 1.0 }.sample((k, n), &mut rng(6));
        let c = matmul(a.view(), b.view());
        let blocks = k.div_ceil(KC_MAX);
        let kc = k.div_ceil(blocks);
        for i in 0..m {
            for j in 0..n {
                let mut total = 0.0f32;
                for p0 in (0..k).step_by(kc) {
                    let mut acc = 0.0f32;
                    for p in p0..(p0 + kc).min(k) {
                        acc = a[(i, p)].mul_add(b[(p, j)], acc);
                    }
                    total += acc;
                }
                assert_eq!(c[(i, j)].to_bits(), total.to_bits());
            }
        }
    }
}
