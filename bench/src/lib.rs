//! The workloads that `cargo bench` and the performance appendix time, in one place so that the
//! two measure the same thing.
//!
//! Every workload runs on synthetic data of the right shape (random N(0, 1) inputs, random
//! labels), as the peer figures in the appendix were measured: speed does not depend on the
//! values, and no dataset is needed.

use std::sync::Arc;

use ndarray::{Array2, ArrayView2};

use lab::init::Init;
use lab::layer::Dropout;
use lab::linalg::matmul_into;
use lab::rng::{derive_seed, rng};
use lab::train::{Objective, train_epoch};
use lab::{Activation, Mlp, MlpSpec, Sgd, SgdConfig};

/// A matrix product `C = A·B`, with `A: (m, k)` and `B: (k, n)` given as row-major arrays or as
/// transposed views of row-major arrays (as backprop uses them).
pub struct Product {
    pub label: String,
    a: Array2<f32>,
    b: Array2<f32>,
    a_transposed: bool,
    b_transposed: bool,
    c: Array2<f32>,
}

impl Product {
    pub fn new(label: &str, (m, k, n): (usize, usize, usize), a_t: bool, b_t: bool) -> Self {
        let normal = Init::Normal { std: 1.0 };
        let a = normal.sample(if a_t { (k, m) } else { (m, k) }, &mut rng(1));
        let b = normal.sample(if b_t { (n, k) } else { (k, n) }, &mut rng(2));
        Product {
            label: label.into(),
            a,
            b,
            a_transposed: a_t,
            b_transposed: b_t,
            c: Array2::zeros((m, n)),
        }
    }

    fn views(&self) -> (ArrayView2<'_, f32>, ArrayView2<'_, f32>) {
        (
            view(&self.a, self.a_transposed),
            view(&self.b, self.b_transposed),
        )
    }

    /// Multiply-adds × 2.
    pub fn flops(&self) -> f64 {
        let (a, b) = self.views();
        2.0 * (a.nrows() * a.ncols() * b.ncols()) as f64
    }

    pub fn run(&mut self) {
        let a = view(&self.a, self.a_transposed);
        let b = view(&self.b, self.b_transposed);
        matmul_into(a, b, 0.0, self.c.view_mut());
    }
}

/// `m` itself, or its transposed view.
fn view(m: &Array2<f32>, transposed: bool) -> ArrayView2<'_, f32> {
    if transposed { m.t() } else { m.view() }
}

/// The eight products of one training step of 784-300-100-10 at batch `batch`: three forward,
/// three `Xᵀ·G` for the weight gradients, two `G·Wᵀ` for the inputs' gradients.
pub fn mlp_step_products(batch: usize) -> Vec<Product> {
    let sizes = [784, 300, 100, 10];
    let mut products = Vec::new();
    for w in sizes.windows(2) {
        let (i, o) = (w[0], w[1]);
        products.push(Product::new(
            &format!("X·W {batch}×{i}·{i}×{o}"),
            (batch, i, o),
            false,
            false,
        ));
    }
    for w in sizes.windows(2) {
        let (i, o) = (w[0], w[1]);
        products.push(Product::new(
            &format!("Xᵀ·G {i}×{batch}·{batch}×{o}"),
            (i, batch, o),
            true,
            false,
        ));
    }
    for w in sizes.windows(2).skip(1) {
        let (i, o) = (w[0], w[1]);
        products.push(Product::new(
            &format!("G·Wᵀ {batch}×{o}·{o}×{i}"),
            (batch, o, i),
            false,
            true,
        ));
    }
    products
}

/// `n` inputs spread over [−6, 6] (where every activation does something) and unit gradients.
pub fn activation_inputs(n: usize) -> (Vec<f32>, Vec<f32>) {
    let z = (0..n)
        .map(|i| ((i as f32 * 0.618_034) % 1.0) * 12.0 - 6.0)
        .collect();
    (z, vec![1.0; n])
}

/// `f32`s in anonymous memory, on the operating system's default 4 KiB pages or, where it
/// allows them (Linux's transparent huge pages in `madvise` mode), on 2 MiB pages, as NumPy
/// allocates its large arrays. A pass over 10⁷ elements (40 MB each way) touches ten thousand
/// 4 KiB pages; on a virtual machine each TLB miss walks two page tables, and the hardware
/// prefetcher stops at every page boundary, so the page size alone moves a memory-bound loop's
/// rate by a third. The elementwise benchmark measures both, and compares the peers (whose
/// NumPy buffers are on 2 MiB pages) with ours on the same kind of memory.
pub struct PageBuffer {
    map: memmap2::MmapMut,
}

impl PageBuffer {
    /// `values` (not empty) copied into fresh memory, on 2 MiB pages if `huge` (and the system
    /// allows it).
    pub fn new(values: &[f32], huge: bool) -> std::io::Result<Self> {
        let map = memmap2::MmapOptions::new()
            .len(std::mem::size_of_val(values))
            .map_anon()?;
        #[cfg(target_os = "linux")]
        if huge {
            // Only advice: where transparent huge pages are off, the pages stay 4 KiB.
            let _ = map.advise(memmap2::Advice::HugePage);
        }
        let mut buffer = PageBuffer { map };
        buffer.as_mut_slice().copy_from_slice(values);
        Ok(buffer)
    }

    pub fn as_slice(&self) -> &[f32] {
        bytemuck::cast_slice(&self.map[..])
    }

    pub fn as_mut_slice(&mut self) -> &mut [f32] {
        bytemuck::cast_slice_mut(&mut self.map[..])
    }
}

/// A synthetic classification set: `n` rows of `d` N(0, 1) features, labels in `0..classes`.
pub fn synthetic(n: usize, d: usize, classes: usize) -> lab::data::Dataset {
    let x = Init::Normal { std: 1.0 }.sample((n, d), &mut rng(3));
    let y = (0..n).map(|i| (i * 7 + i / 3) % classes).collect();
    lab::data::Dataset { x, y, classes }
}

/// The two nets of the epoch benchmark: LeNet-300-100 (784-300-100-10), and 20 hidden layers of 100.
pub fn net(name: &str) -> MlpSpec {
    match name {
        "784-300-100-10" => MlpSpec::relu(&[784, 300, 100, 10]),
        "20×100" => {
            let mut sizes = vec![784];
            sizes.extend([100; 20]);
            sizes.push(10);
            MlpSpec::relu(&sizes)
        }
        _ => panic!("unknown net {name}"),
    }
}

/// A model, its optimiser and its data, ready to train epoch after epoch.
pub struct Trainer {
    pub model: Mlp,
    opt: Sgd,
    data: Arc<lab::data::Dataset>,
    batch: usize,
    epoch: usize,
}

impl Trainer {
    /// On its own `rows` synthetic rows.
    pub fn new(spec: &MlpSpec, rows: usize, batch: usize) -> Self {
        let data = synthetic(rows, spec.sizes[0], *spec.sizes.last().expect("sizes"));
        Self::on(spec, Arc::new(data), batch)
    }

    /// On `data`, which several trainers may share, as a peer's script trains every net on one
    /// tensor: six copies of 60,000 × 784 rows (1.1 GB) would each be streamed from memory,
    /// where one (188 MB) can stay in a large last-level cache between epochs.
    pub fn on(spec: &MlpSpec, data: Arc<lab::data::Dataset>, batch: usize) -> Self {
        Trainer {
            model: Mlp::new(spec, &mut rng(0)),
            opt: Sgd::new(SgdConfig::plain(0.01)),
            data,
            batch,
            epoch: 0,
        }
    }

    /// One epoch of mini-batch SGD: `lab::train::fit`'s epoch, without its evaluations.
    pub fn epoch(&mut self) {
        let mut order = rng(derive_seed(self.epoch as u64, "batch order"));
        let batches = self.data.batches(self.batch, &mut order);
        let objective = Objective::SoftmaxCrossEntropy;
        train_epoch(
            &mut self.model,
            &mut self.opt,
            &self.data,
            &batches,
            &objective,
            7,
            0,
            &mut (),
        );
        self.epoch += 1;
    }
}

/// The inference net: 784-300-100-10 ReLU with dropout 0.5 after each hidden layer.
pub fn mc_model() -> Mlp {
    Mlp::new(
        &MlpSpec::relu(&[784, 300, 100, 10]).with_dropout(0.5),
        &mut rng(0),
    )
}

/// One dropout mask of `(rows, cols)`.
pub fn mask(rows: usize, cols: usize, seed: u64) -> Array2<f32> {
    Dropout { p: 0.5 }.mask((rows, cols), &mut rng(seed))
}

/// Every hidden activation, in the book's order.
pub fn activations() -> Vec<Activation> {
    Activation::all()
        .into_iter()
        .filter(|a| *a != Activation::Identity)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_buffer_holds_its_values_on_either_kind_of_page() {
        let values: Vec<f32> = (0..1_000_000).map(|i| i as f32 * 0.5).collect();
        for huge in [false, true] {
            let mut b = PageBuffer::new(&values, huge).unwrap();
            assert_eq!(b.as_slice(), &values[..]);
            b.as_mut_slice()[999_999] = -1.0;
            assert_eq!(b.as_slice()[999_999], -1.0);
        }
    }
}
