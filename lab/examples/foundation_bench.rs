//! Release-mode timings of the two kernels everything rests on:
//! `cargo run --release -p lab --example foundation_bench`.
//!
//! - the single-threaded GFLOP/s of the matmul at (128×784)·(784×300);
//! - one training epoch of a 784-300-100-10 ReLU MLP on the 60k training set, batch 128, SGD,
//!   with 1 and 2 threads (median of epochs 2–4).

use std::time::Instant;

use lab::data::fashion_mnist;
use lab::init::Init;
use lab::linalg::matmul;
use lab::rng::rng;
use lab::stats::median;
use lab::train::{TrainConfig, fit};
use lab::{Mlp, MlpSpec, Sgd, SgdConfig};

fn main() {
    let a = Init::Normal { std: 1.0 }.sample((128, 784), &mut rng(1));
    let b = Init::Normal { std: 1.0 }.sample((784, 300), &mut rng(2));
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let two = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    for (name, pool) in [("1 thread", &one), ("2 threads", &two)] {
        let times: Vec<f64> = pool.install(|| {
            (0..200)
                .map(|_| {
                    let t = Instant::now();
                    std::hint::black_box(matmul(a.view(), b.view()));
                    t.elapsed().as_secs_f64()
                })
                .collect()
        });
        let flops = 2.0 * 128.0 * 784.0 * 300.0;
        println!(
            "matmul (128×784)·(784×300), {name}: {:.1} GFLOP/s (median of 200)",
            flops / median(&times) / 1e9
        );
    }
    let data = fashion_mnist().expect("data");
    for (name, pool) in [("1 thread", &one), ("2 threads", &two)] {
        let secs = pool.install(|| {
            let mut model = Mlp::new(&MlpSpec::relu(&[784, 300, 100, 10]), &mut rng(0));
            let mut opt = Sgd::new(SgdConfig::momentum(0.01, 0.9));
            fit(
                &mut model,
                &mut opt,
                &data.train,
                None,
                &TrainConfig::new(4, 128, 0),
                &mut (),
            )
            .epoch_seconds
        });
        println!(
            "epoch 784-300-100-10, batch 128, 60k, {name}: median of epochs 2-4 {:.3} s (all: {secs:.3?})",
            median(&secs[1..])
        );
    }
}
