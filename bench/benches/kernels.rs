//! `cargo bench -p bench`: criterion benchmarks of the kernels behind every chapter.
//!
//! Throughputs are reported as criterion's "elements per second": for the products an element
//! is a floating-point operation (so Gelem/s reads GFLOP/s), for activations and masks an array
//! element, for epochs and MC Dropout a sample. Groups: `matmul` (MLP shapes at batch 32, 128
//! and 512, and backprop's transposed products), `activation` (forward and backward on 10⁷
//! `f32`), `dropout_mask`, `epoch` (one epoch on 60,000 synthetic rows, 1 and 2 threads),
//! `mc_dropout` (T = 10 and 30, looped and batched), `csr` (sparse × dense against dense).

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

use bench::{Trainer, activation_inputs, activations, mask, mc_model, mlp_step_products, net};
use lab::init::Init;
use lab::linalg::matmul;
use lab::mc_dropout::{mc_loop, mc_shared_first};
use lab::rng::rng;
use lab::sparse::Csr;

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
}

fn matmul_shapes(c: &mut Criterion) {
    let mut g = c.benchmark_group("matmul");
    g.measurement_time(Duration::from_secs(2))
        .warm_up_time(Duration::from_millis(500));
    for batch in [32, 128, 512] {
        let products = if batch == 128 {
            mlp_step_products(batch)
        } else {
            mlp_step_products(batch).into_iter().take(3).collect()
        };
        for mut p in products {
            g.throughput(Throughput::Elements(p.flops() as u64));
            for threads in [1, 2] {
                let pool = pool(threads);
                g.bench_function(
                    BenchmarkId::new(format!("{} threads", threads), &p.label),
                    |b| pool.install(|| b.iter(|| p.run())),
                );
            }
        }
    }
    g.finish();
}

fn activation(c: &mut Criterion) {
    let n = 10_000_000;
    let (z, grad) = activation_inputs(n);
    let (mut a, mut gz) = (vec![0.0f32; n], vec![0.0f32; n]);
    let mut g = c.benchmark_group("activation");
    g.throughput(Throughput::Elements(n as u64)).sample_size(10);
    let one = pool(1);
    for act in activations() {
        g.bench_function(BenchmarkId::new("forward", act.name()), |b| {
            one.install(|| b.iter(|| act.forward_slice(black_box(&z), &mut a)))
        });
        g.bench_function(BenchmarkId::new("backward", act.name()), |b| {
            one.install(|| b.iter(|| act.backward_slice(black_box(&z), &grad, &mut gz)))
        });
    }
    g.finish();
}

fn dropout_mask(c: &mut Criterion) {
    let mut g = c.benchmark_group("dropout_mask");
    for (rows, cols) in [(128, 300), (10_000, 300)] {
        g.throughput(Throughput::Elements((rows * cols) as u64));
        g.bench_function(
            BenchmarkId::from_parameter(format!("{rows}×{cols}")),
            |b| b.iter(|| mask(rows, cols, 1)),
        );
    }
    g.finish();
}

fn epoch(c: &mut Criterion) {
    let mut g = c.benchmark_group("epoch");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(10));
    g.throughput(Throughput::Elements(60_000));
    for (name, batch) in [
        ("784-300-100-10", 128),
        ("784-300-100-10", 32),
        ("20×100", 128),
    ] {
        for threads in [1, 2] {
            let pool = pool(threads);
            let mut trainer = Trainer::new(&net(name), 60_000, batch);
            g.bench_function(
                BenchmarkId::new(
                    format!("{name}, batch {batch}"),
                    format!("{threads} threads"),
                ),
                |b| pool.install(|| b.iter(|| trainer.epoch())),
            );
        }
    }
    g.finish();
}

fn mc_dropout(c: &mut Criterion) {
    let model = mc_model();
    let x = bench::synthetic(10_000, 784, 10).x;
    let mut g = c.benchmark_group("mc_dropout");
    g.sample_size(10).measurement_time(Duration::from_secs(5));
    let one = pool(1);
    g.throughput(Throughput::Elements(10_000));
    g.bench_function("one pass", |b| {
        one.install(|| b.iter(|| model.forward(x.view())))
    });
    for t in [10, 30] {
        g.bench_function(BenchmarkId::new("looped", t), |b| {
            one.install(|| b.iter(|| mc_loop(&model, x.view(), 1, t)))
        });
        g.bench_function(BenchmarkId::new("batched", t), |b| {
            one.install(|| b.iter(|| mc_shared_first(&model, x.view(), 1, t)))
        });
    }
    g.finish();
}

fn csr(c: &mut Criterion) {
    // W: (300, 784) with a fraction of zeros, times a batch of 128 inputs as columns.
    let w = Init::Normal { std: 1.0 }.sample((300, 784), &mut rng(1));
    let x = Init::Normal { std: 1.0 }.sample((784, 128), &mut rng(2));
    let mut g = c.benchmark_group("csr");
    g.throughput(Throughput::Elements(2 * 300 * 784 * 128));
    g.bench_function("dense", |b| b.iter(|| matmul(w.view(), x.view())));
    for sparsity in [0.5, 0.9, 0.99] {
        let mut magnitudes: Vec<f32> = w.iter().map(|v| v.abs()).collect();
        magnitudes.sort_by(f32::total_cmp);
        let threshold = magnitudes[(sparsity * magnitudes.len() as f64) as usize];
        let pruned = w.mapv(|v| if v.abs() <= threshold { 0.0 } else { v });
        let s = Csr::from_dense(pruned.view());
        g.bench_function(
            BenchmarkId::new("csr", format!("{:.0}% zeros", 100.0 * sparsity)),
            |b| b.iter(|| s.matmul(x.view())),
        );
    }
    g.finish();
}

criterion_group!(
    benches,
    matmul_shapes,
    activation,
    dropout_mask,
    epoch,
    mc_dropout,
    csr
);
criterion_main!(benches);
