//! MC Dropout (Gal & Ghahramani 2016): keep dropout on at inference, run `T` stochastic passes
//! and average their class probabilities.
//!
//! Three ways to compute the same `T` passes, each pass `t` drawing its masks from its own
//! stream `t` (so all three draw the same masks and agree up to f32 rounding):
//! - [`mc_loop`]: `T` passes one after the other;
//! - [`mc_stacked`]: the `T` copies of the input stacked into one `(T·n, d)` matrix, one pass;
//! - [`mc_shared_first`]: as stacked, but the first layer runs once: dropout acts on hidden
//!   outputs, so `relu(x·W₁ + b₁)` is the same in every pass and only the layers above it differ.
//!
//! Shapes: `n` examples, `d` inputs, `w` hidden units, `k` classes.

use std::ops::Range;

use ndarray::{Array2, ArrayView2, Axis, concatenate, s};
use rayon::prelude::*;

use crate::Mlp;
use crate::layer::Dropout;
use crate::loss::softmax;
use crate::rng::rng_stream;

// ANCHOR: passes
/// Rows of the input handled together when passes are stacked: a chunk of `len·ROWS` stacked
/// rows stays in the CPU's caches, where stacking all `n` rows of `T` passes would be a few
/// hundred megabytes to write and read back.
pub const ROWS: usize = 128;

/// The first hidden layer's output, `relu(x·W₁ + b₁)`: `x: (n, d)` → `(n, w)`. Dropout comes
/// after it, so it is the same in every MC pass.
pub fn first_hidden(model: &Mlp, x: ArrayView2<f32>) -> Array2<f32> {
    model.layers[0].forward_activation(x, model.activation).1
}

/// MC passes `passes` (e.g. `0..T`) from the first hidden output `h: (n, w)`. Returns the class
/// probabilities of every pass, stacked by pass: `(len·n, k)`, rows `[i·n, (i+1)·n)` belonging
/// to pass `passes.start + i`.
pub fn mc_passes(model: &Mlp, h: ArrayView2<f32>, seed: u64, passes: Range<usize>) -> Array2<f32> {
    by_row_chunks(model, h, seed, passes, true)
}

/// The passes `passes` on `input`, `ROWS` rows at a time: each chunk's copies (one per pass) are
/// stacked into one `(len·rows, ·)` matrix that goes through the layers as one product per
/// layer. `input` is `x` itself, or the first hidden output if `first_done`. The chunks are
/// independent (each finds its masks by position), so they run in parallel.
fn by_row_chunks(
    model: &Mlp,
    input: ArrayView2<f32>,
    seed: u64,
    passes: Range<usize>,
    first_done: bool,
) -> Array2<f32> {
    let (n, len) = (input.nrows(), passes.len());
    let k = model.layers.last().expect("layers").n_out();
    let starts: Vec<usize> = (0..n).step_by(ROWS).collect();
    let outs: Vec<Array2<f32>> = starts
        .par_iter()
        .map(|&r0| {
            let chunk = input.slice(s![r0..(r0 + ROWS).min(n), ..]);
            // One pass needs no copy: the chunk goes through the layers as it is.
            let h = match (first_done, len) {
                (true, 1) => chunk.to_owned(),
                (false, 1) => first_hidden(model, chunk),
                (true, _) => concatenate(Axis(0), &vec![chunk; len]).expect("same widths"),
                (false, _) => {
                    let stacked = concatenate(Axis(0), &vec![chunk; len]).expect("same widths");
                    first_hidden(model, stacked.view())
                }
            };
            above_first(model, h, seed, passes.clone(), (n, r0))
        })
        .collect();
    let mut probs = Array2::zeros((len * n, k));
    for (&r0, out) in starts.iter().zip(&outs) {
        let rows = out.nrows() / len;
        for (i, block) in out.axis_chunks_iter(Axis(0), rows).enumerate() {
            probs
                .slice_mut(s![i * n + r0..i * n + r0 + rows, ..])
                .assign(&block);
        }
    }
    probs
}

/// The layers above the first, on `a: (len·rows, w)`: rows `r0..r0+rows` of the `n` inputs'
/// first hidden outputs, stacked by pass. Pass `t` takes its masks from stream `t` of `seed`,
/// where the masks of all `n` rows are laid out layer after layer, row by row, one word per
/// entry (as the training-mode forward pass draws them); the chunk's words are found by
/// seeking, so every chunk size gives the same masks.
fn above_first(
    model: &Mlp,
    mut a: Array2<f32>,
    seed: u64,
    passes: Range<usize>,
    (n, r0): (usize, usize),
) -> Array2<f32> {
    let drop = Dropout { p: model.dropout };
    let rows = a.nrows() / passes.len();
    let mut rngs: Vec<_> = passes.map(|t| rng_stream(seed, t as u64)).collect();
    let last = model.layers.len() - 1;
    let mut words_before = 0; // mask words of the layers below, all n rows
    for (l, layer) in model.layers.iter().enumerate().skip(1) {
        let w = a.ncols();
        for (rng, block) in rngs.iter_mut().zip(a.axis_chunks_iter_mut(Axis(0), rows)) {
            rng.set_word_pos((words_before + r0 * w) as u128);
            drop.apply_in_place(block, rng);
        }
        words_before += n * w;
        a = if l == last {
            softmax(layer.forward(a.view()).view())
        } else {
            layer.forward_activation(a.view(), model.activation).1
        };
    }
    a
}

/// Mean over the `T` blocks of `(T·n, k)` stacked probabilities, added in pass order: `(n, k)`.
pub fn mean_of_blocks(stacked: &Array2<f32>, n: usize) -> Array2<f32> {
    let t = stacked.nrows() / n;
    let mut sum = Array2::<f32>::zeros((n, stacked.ncols()));
    for block in stacked.axis_chunks_iter(Axis(0), n) {
        sum += &block;
    }
    sum / t as f32
}
// ANCHOR_END: passes

// ANCHOR: three_ways
/// `T` passes one after the other (each row-chunked like the others, so that the comparison
/// is about stacking, not about memory): `(n, k)` mean probabilities.
pub fn mc_loop(model: &Mlp, x: ArrayView2<f32>, seed: u64, t: usize) -> Array2<f32> {
    let mut sum = Array2::<f32>::zeros((x.nrows(), model.layers.last().unwrap().n_out()));
    for pass in 0..t {
        sum += &by_row_chunks(model, x, seed, pass..pass + 1, false);
    }
    sum / t as f32
}

/// The `T` copies of `x` stacked into one large product through every layer.
pub fn mc_stacked(model: &Mlp, x: ArrayView2<f32>, seed: u64, t: usize) -> Array2<f32> {
    mean_of_blocks(&by_row_chunks(model, x, seed, 0..t, false), x.nrows())
}

/// The first layer once, then the `T` copies stacked through the layers above it.
pub fn mc_shared_first(model: &Mlp, x: ArrayView2<f32>, seed: u64, t: usize) -> Array2<f32> {
    let h = first_hidden(model, x);
    mean_of_blocks(&mc_passes(model, h.view(), seed, 0..t), x.nrows())
}
// ANCHOR_END: three_ways

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::rng;
    use crate::{Init, MlpSpec};

    fn net(p: f32) -> Mlp {
        let spec = MlpSpec::relu(&[7, 16, 12, 4])
            .with_dropout(p)
            .with_bias_init(Init::Normal { std: 0.1 });
        Mlp::new(&spec, &mut rng(3))
    }

    /// The three ways draw the same masks: the same T passes, up to f32 rounding of the sums.
    #[test]
    fn loop_stacked_and_shared_agree() {
        let model = net(0.5);
        let x = Init::Normal { std: 1.0 }.sample((9, 7), &mut rng(4));
        let a = mc_loop(&model, x.view(), 11, 6);
        let b = mc_stacked(&model, x.view(), 11, 6);
        let c = mc_shared_first(&model, x.view(), 11, 6);
        for (u, v) in a.iter().zip(&b).chain(a.iter().zip(&c)) {
            assert!((u - v).abs() < 1e-6, "{u} vs {v}");
        }
        // And the passes really differ (p = 0.5 on 16 units): not the deterministic prediction.
        let det = softmax(model.forward(x.view()).view());
        assert!(a.iter().zip(&det).any(|(u, v)| (u - v).abs() > 1e-3));
    }

    /// Row chunks find their masks by seeking: every pass equals the training-mode forward pass
    /// with the same stream, on more rows than one chunk (so the seeking is exercised).
    #[test]
    fn chunked_passes_are_the_training_forward_pass() {
        let model = net(0.5);
        let n = 2 * ROWS + 37;
        let x = Init::Normal { std: 1.0 }.sample((n, 7), &mut rng(8));
        let h = first_hidden(&model, x.view());
        let stacked = mc_passes(&model, h.view(), 13, 2..5);
        for (i, t) in (2..5).enumerate() {
            let (logits, _) = model.forward_train(x.view(), Some(&mut rng_stream(13, t)));
            let reference = softmax(logits.view());
            let block = stacked.slice(s![i * n..(i + 1) * n, ..]);
            for (u, v) in block.iter().zip(&reference) {
                assert!((u - v).abs() < 1e-6, "pass {t}: {u} vs {v}");
            }
        }
    }

    /// With p = 0 every pass is the deterministic net: MC equals weight scaling.
    #[test]
    fn no_dropout_means_no_randomness() {
        let model = net(0.0);
        let x = Init::Normal { std: 1.0 }.sample((5, 7), &mut rng(5));
        let det = softmax(model.forward(x.view()).view());
        let mc = mc_shared_first(&model, x.view(), 1, 4);
        for (u, v) in mc.iter().zip(&det) {
            assert!((u - v).abs() < 1e-6);
        }
    }

    /// Inverted dropout keeps the expectation of a linear layer's output: the mean over many
    /// passes of `(h ⊙ m)·W` tends to `h·W` (weight scaling is exact for one linear layer).
    #[test]
    fn inverted_dropout_is_unbiased_for_a_linear_layer() {
        let mut model = net(0.5);
        model.layers.truncate(2);
        model.output = crate::Activation::Identity;
        let x = Init::Normal { std: 1.0 }.sample((3, 7), &mut rng(6));
        let h = first_hidden(&model, x.view());
        let exact = model.layers[1].forward(h.view());
        // Logits, not probabilities: use the stacked masks directly.
        let drop = Dropout { p: 0.5 };
        let t = 20_000;
        let mut sum = Array2::<f64>::zeros(exact.dim());
        let mut r = rng(7);
        for _ in 0..t {
            let m = drop.mask(h.dim(), &mut r);
            sum += &model.layers[1].forward((&h * &m).view()).mapv(f64::from);
        }
        let scale = exact.iter().map(|v| v.abs()).fold(0f32, f32::max);
        for (s, &e) in sum.iter().zip(&exact) {
            // s.e. of a mean of 2·10⁴ draws with per-draw std ≲ |h||W| ≈ scale: 0.007·scale.
            assert!((s / t as f64 - f64::from(e)).abs() < 0.05 * f64::from(scale));
        }
    }
}
