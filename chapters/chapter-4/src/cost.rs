//! Experiment 2: what each activation costs per element, forward and backward.
//!
//! `n` f32 pre-activations are stored as fixed chunks of `CHUNK_ROWS × CHUNK_COLS`; rayon runs
//! lab's kernels ([`Activation::forward_into`], [`Activation::backward`]) over the chunks, in a
//! 1-thread and a 2-thread pool. Each pass is timed `repeats` times and the median kept. The
//! values computed are not reported (only the times), so the Report stays thread-independent.

use std::time::Instant;

use ndarray::Array2;
use rayon::prelude::*;
use serde::Serialize;

use lab::Activation;
use lab::rng::{Rng, rng_stream};

/// Chunk shape: 64 Ki elements (256 KiB of f32), large enough to amortise a rayon task,
/// small enough to stay in L2 while it runs.
pub const CHUNK_ROWS: usize = 16;
pub const CHUNK_COLS: usize = 4096;

/// Median wall times, seconds, of one pass over all elements.
#[derive(Clone, Debug, Serialize)]
pub struct KernelTime {
    pub threads: usize,
    pub forward: f64,
    pub backward: f64,
}

impl KernelTime {
    /// Forward + backward throughput, elements per second.
    pub fn throughput(&self, elements: usize) -> f64 {
        elements as f64 / (self.forward + self.backward)
    }
}

/// One activation's measurements.
#[derive(Clone, Debug, Serialize)]
pub struct KernelCost {
    pub activation: String,
    /// Exactly how many elements were timed (whole chunks).
    pub elements: usize,
    pub timings: Vec<KernelTime>,
}

/// The activations whose kernels are timed: every non-linearity lab has (identity is a copy).
pub fn activations() -> Vec<Activation> {
    Activation::all()
        .into_iter()
        .filter(|a| *a != Activation::Identity)
        .collect()
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

// ANCHOR: kernel_timing
/// Time forward and backward of `act` over `chunks` in a pool of `threads` threads.
fn time_kernels(
    act: Activation,
    z: &[Array2<f32>],
    grad: &[Array2<f32>],
    threads: usize,
    repeats: usize,
) -> KernelTime {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("thread pool");
    // Outputs preallocated once, for both directions: the passes, not the allocator, are timed.
    let mut out: Vec<Array2<f32>> = z.iter().map(|c| Array2::zeros(c.raw_dim())).collect();
    let mut grad_z = out.clone();
    let (mut fwd, mut bwd) = (Vec::new(), Vec::new());
    pool.install(|| {
        for _ in 0..repeats {
            let t = Instant::now();
            out.par_iter_mut()
                .zip(z)
                .for_each(|(a, z)| act.forward_into(z.view(), a));
            fwd.push(t.elapsed().as_secs_f64());
            let t = Instant::now();
            grad_z
                .par_iter_mut()
                .zip(z.par_iter().zip(grad))
                .for_each(|(g, (z, ga))| act.backward_into(z.view(), ga.view(), g));
            bwd.push(t.elapsed().as_secs_f64());
            std::hint::black_box((&out, &grad_z));
        }
    });
    KernelTime {
        threads,
        forward: median(fwd),
        backward: median(bwd),
    }
}
// ANCHOR_END: kernel_timing

/// Every activation over `elements` (rounded up to whole chunks) of z ~ U(−4, 4), with 1 and 2
/// threads, median of `repeats`.
pub fn kernel_costs(elements: usize, repeats: usize, seed: u64) -> Vec<KernelCost> {
    let n_chunks = elements.div_ceil(CHUNK_ROWS * CHUNK_COLS);
    let chunk = |stream: u64, lo: f32, hi: f32| {
        let mut r = rng_stream(seed, stream);
        Array2::from_shape_simple_fn((CHUNK_ROWS, CHUNK_COLS), || r.random_range(lo..hi))
    };
    let z: Vec<Array2<f32>> = (0..n_chunks as u64).map(|i| chunk(i, -4.0, 4.0)).collect();
    let grad: Vec<Array2<f32>> = (0..n_chunks as u64)
        .map(|i| chunk(1 << 32 | i, -1.0, 1.0))
        .collect();
    activations()
        .into_iter()
        .map(|act| KernelCost {
            activation: act.name(),
            elements: n_chunks * CHUNK_ROWS * CHUNK_COLS,
            timings: [1, 2]
                .iter()
                .map(|&t| time_kernels(act, &z, &grad, t, repeats))
                .collect(),
        })
        .collect()
}

/// The cost of `name` relative to ReLU (forward + backward time ratio) with `threads` threads.
pub fn relative_cost(costs: &[KernelCost], name: &str, threads: usize) -> f64 {
    let time = |n: &str| {
        let c = costs.iter().find(|c| c.activation == n).expect("timed");
        let t = c
            .timings
            .iter()
            .find(|t| t.threads == threads)
            .expect("thread count");
        t.forward + t.backward
    };
    time(name) / time("ReLU")
}
