//! Experiment 2: what each activation costs per element, forward and backward.
//!
//! `n` f32 pre-activations are stored as fixed chunks of `CHUNK_ROWS × CHUNK_COLS`; rayon runs
//! lab's kernels ([`Activation::forward_into`], [`Activation::backward_into`]) over the chunks,
//! in a 1-thread and a 2-thread pool. The activations take turns, one pass each per round, for
//! `repeats` rounds: a slow spell of the machine then slows every activation of that round
//! alike, and the ratio of two activations' times within a round cancels it. Every round's time
//! is kept; a cost relative to ReLU is the median of the per-round ratios, with a bootstrap
//! interval over the rounds. The values computed are not reported (only the times), so the
//! Report stays thread-independent.

use std::time::Instant;

use ndarray::Array2;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use lab::Activation;
use lab::rng::{Rng, rng_stream};
use lab::stats::{Bootstrap, Interval, median, paired_ratio};

/// Chunk shape: 64 Ki elements (256 KiB of f32), large enough to amortise a rayon task,
/// small enough to stay in L2 while it runs.
pub const CHUNK_ROWS: usize = 16;
pub const CHUNK_COLS: usize = 4096;

/// Wall times, seconds, of one pass over all elements, one per round.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct KernelTime {
    pub threads: usize,
    pub forward: Vec<f64>,
    pub backward: Vec<f64>,
}

impl KernelTime {
    /// Median forward and backward times.
    pub fn forward_median(&self) -> f64 {
        median(&self.forward)
    }
    pub fn backward_median(&self) -> f64 {
        median(&self.backward)
    }
    /// Forward + backward time of each round.
    pub fn totals(&self) -> Vec<f64> {
        self.forward
            .iter()
            .zip(&self.backward)
            .map(|(f, b)| f + b)
            .collect()
    }
    /// Forward + backward throughput (median round), elements per second.
    pub fn throughput(&self, elements: usize) -> f64 {
        elements as f64 / median(&self.totals())
    }
}

/// One activation's measurements.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct KernelCost {
    pub activation: Activation,
    /// Exactly how many elements were timed (whole chunks).
    pub elements: usize,
    pub timings: Vec<KernelTime>,
    pub in_cache: InCache,
}

/// One chunk (256 KiB, in cache) passed over `passes` times per round, 1 thread: the kernel's
/// arithmetic cost, which the large array's memory traffic hides.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct InCache {
    pub passes: usize,
    /// Wall times (named so that snapshots leave them out).
    pub timings: KernelTime,
}

/// The activations whose kernels are timed: every non-linearity lab has (identity is a copy).
pub fn activations() -> Vec<Activation> {
    Activation::all()
        .into_iter()
        .filter(|a| *a != Activation::Identity)
        .collect()
}

// ANCHOR: kernel_timing
/// Time forward and backward of every activation over `z` in a pool of `threads` threads, the
/// activations taking turns for `repeats` rounds.
fn time_kernels(
    acts: &[Activation],
    z: &[Array2<f32>],
    grad: &[Array2<f32>],
    threads: usize,
    repeats: usize,
) -> Vec<KernelTime> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("thread pool");
    // Outputs preallocated once, for both directions: the passes, not the allocator, are timed.
    let mut out: Vec<Array2<f32>> = z.iter().map(|c| Array2::zeros(c.raw_dim())).collect();
    let mut grad_z = out.clone();
    let mut times: Vec<KernelTime> = acts
        .iter()
        .map(|_| KernelTime {
            threads,
            forward: Vec::new(),
            backward: Vec::new(),
        })
        .collect();
    pool.install(|| {
        for _ in 0..repeats {
            for (act, time) in acts.iter().zip(&mut times) {
                let t = Instant::now();
                out.par_iter_mut()
                    .zip(z)
                    .for_each(|(a, z)| act.forward_into(z.view(), a));
                time.forward.push(t.elapsed().as_secs_f64());
                let t = Instant::now();
                grad_z
                    .par_iter_mut()
                    .zip(z.par_iter().zip(grad))
                    .for_each(|(g, (z, ga))| act.backward_into(z.view(), ga.view(), g));
                time.backward.push(t.elapsed().as_secs_f64());
                std::hint::black_box((&out, &grad_z));
            }
        }
    });
    times
}
// ANCHOR_END: kernel_timing

/// Time forward and backward of every activation on one chunk, `passes` times per round on
/// one thread (no pool): the chunk stays in cache, so the time is the kernel's arithmetic.
fn time_in_cache(
    acts: &[Activation],
    z: &Array2<f32>,
    grad: &Array2<f32>,
    passes: usize,
    repeats: usize,
) -> Vec<KernelTime> {
    let mut out = Array2::zeros(z.raw_dim());
    let mut grad_z = Array2::zeros(z.raw_dim());
    let mut times: Vec<KernelTime> = acts
        .iter()
        .map(|_| KernelTime {
            threads: 1,
            forward: Vec::new(),
            backward: Vec::new(),
        })
        .collect();
    for _ in 0..repeats {
        for (act, time) in acts.iter().zip(&mut times) {
            let t = Instant::now();
            for _ in 0..passes {
                act.forward_into(z.view(), &mut out);
                std::hint::black_box(&out);
            }
            time.forward.push(t.elapsed().as_secs_f64());
            let t = Instant::now();
            for _ in 0..passes {
                act.backward_into(z.view(), grad.view(), &mut grad_z);
                std::hint::black_box(&grad_z);
            }
            time.backward.push(t.elapsed().as_secs_f64());
        }
    }
    times
}

/// Every activation over `elements` (rounded up to whole chunks) of z ~ U(−4, 4), with 1 and 2
/// threads, median of `repeats`; then in cache, one chunk passed over as many times as there are
/// chunks (the same number of elements).
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
    let acts = activations();
    let per_threads: Vec<Vec<KernelTime>> = [1, 2]
        .iter()
        .map(|&t| time_kernels(&acts, &z, &grad, t, repeats))
        .collect();
    let in_cache = time_in_cache(&acts, &z[0], &grad[0], n_chunks, repeats);
    acts.iter()
        .enumerate()
        .map(|(i, act)| KernelCost {
            activation: *act,
            elements: n_chunks * CHUNK_ROWS * CHUNK_COLS,
            timings: per_threads.iter().map(|ts| ts[i].clone()).collect(),
            in_cache: InCache {
                passes: n_chunks,
                timings: in_cache[i].clone(),
            },
        })
        .collect()
}

fn timing(costs: &[KernelCost], act: Activation, threads: usize) -> &KernelTime {
    costs
        .iter()
        .find(|c| c.activation == act)
        .expect("timed")
        .timings
        .iter()
        .find(|t| t.threads == threads)
        .expect("thread count")
}

/// The cost of `act` relative to ReLU with `threads` threads: the median over rounds of the
/// ratio of its forward + backward time to ReLU's in the same round, and the percentile-
/// bootstrap 95% interval of that median over the rounds.
pub fn relative_cost(costs: &[KernelCost], act: Activation, threads: usize) -> (f64, Interval) {
    paired_ratio(
        &timing(costs, act, threads).totals(),
        &timing(costs, Activation::Relu, threads).totals(),
        Bootstrap::default(),
    )
}

/// The same ratio in cache (1 thread): the arithmetic cost relative to ReLU's.
pub fn relative_cost_in_cache(costs: &[KernelCost], act: Activation) -> (f64, Interval) {
    let totals = |a: Activation| {
        costs
            .iter()
            .find(|c| c.activation == a)
            .expect("timed")
            .in_cache
            .timings
            .totals()
    };
    paired_ratio(
        &totals(act),
        &totals(Activation::Relu),
        Bootstrap::default(),
    )
}
