//! Experiments 1 and 3: train the same MLP from different starting points and watch its units.

use ndarray::Array2;
use serde::{Deserialize, Serialize};

use book_pipeline::plot::{BookColor, RGBColor, palette};
use lab::data::Dataset;
use lab::rng::{derive_seed, rng};
use lab::train::{History, Observer, TrainConfig, fit};
use lab::{Init, Mlp, MlpSpec, Recipe};

use crate::symmetry::{LayerProbe, cosine_matrix, probe_layer};

// ANCHOR: start
/// The value every weight of a layer starts at in the constant runs.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Constant {
    /// The same value in every layer (e.g. 0.05).
    Fixed(f32),
    /// `1/n_in` in each layer: every unit starts as the average of its inputs, so the signal
    /// keeps its scale from layer to layer instead of growing `n_in·c`-fold.
    InverseFanIn,
}

impl Constant {
    pub fn value(&self, n_in: usize) -> f32 {
        match *self {
            Constant::Fixed(c) => c,
            Constant::InverseFanIn => 1.0 / n_in as f32,
        }
    }
    pub fn name(&self) -> String {
        match self {
            Constant::Fixed(c) => format!("{c}"),
            Constant::InverseFanIn => "1/n_in".into(),
        }
    }
}

/// Where the weights start. Every variant but `Random` and `Zeros` sets every weight of a
/// layer to the same constant before its own twist.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Start {
    /// He normal weights, zero biases: the baseline.
    Random,
    /// Every weight of a layer equal, every bias 0.
    Constant(Constant),
    /// Constant weights, and dropout with rate `p` on the hidden layers during training.
    ConstantDropout { c: Constant, p: f32 },
    /// Every weight `c + ε·N(0, 1)`.
    Perturbed { c: Constant, eps: f32 },
    /// Constant weights, biases drawn from `bias` (random biases, constant weights).
    RandomBias { c: Constant, bias: Init },
    /// Every weight and bias 0.
    Zeros,
}

/// Build the MLP `sizes` with ReLU hidden layers from `start`.
pub fn build(sizes: &[usize], start: Start, seed: u64) -> Mlp {
    let mut r = rng(derive_seed(seed, "weights"));
    let spec = MlpSpec::relu(sizes);
    let (spec, constant) = match start {
        Start::Random => (spec, None),
        Start::Zeros => (spec.with_init(Init::Zeros), None),
        Start::Constant(c) | Start::Perturbed { c, .. } => (spec, Some(c)),
        Start::ConstantDropout { c, p } => (spec.with_dropout(p), Some(c)),
        Start::RandomBias { c, bias } => (spec.with_bias_init(bias), Some(c)),
    };
    let mut mlp = Mlp::new(&spec, &mut r);
    if let Some(c) = constant {
        for layer in &mut mlp.layers {
            let v = c.value(layer.n_in());
            layer.w.fill(v);
        }
    }
    if let Start::Perturbed { eps, .. } = start {
        for layer in &mut mlp.layers {
            let noise = Init::Normal { std: 1.0 }.sample(layer.w.dim(), &mut r);
            layer.w.zip_mut_with(&noise, |w, &n| *w += eps * n);
        }
    }
    mlp
}
// ANCHOR_END: start

/// The starts drawn in one colour throughout the book: random (He) weights, the constant net
/// (its 1/n_in constant), the constant net with dropout, all zeros.
impl BookColor for Start {
    fn book_color(&self) -> Option<RGBColor> {
        match self {
            Start::Random => Init::HeNormal.book_color(),
            Start::Constant(Constant::InverseFanIn) => Some(palette::BLACK),
            Start::ConstantDropout { .. } => Some(palette::SKY_BLUE),
            Start::Zeros => Some(palette::REDDISH_PURPLE),
            _ => None,
        }
    }
}

impl Start {
    /// A short name for tables and legends ("constant" alone is the chapter's 1/n_in).
    pub fn label(&self) -> String {
        let constant = |c: &Constant| match c {
            Constant::InverseFanIn => "constant".to_string(),
            Constant::Fixed(v) => format!("constant {v}"),
        };
        match self {
            Start::Random => "random (He normal)".into(),
            Start::Constant(c) => constant(c),
            Start::ConstantDropout { c, p } => format!("{} + dropout {p}", constant(c)),
            Start::Perturbed { c, eps } => format!("{} + ε·N(0,1), ε = {eps:e}", constant(c)),
            Start::RandomBias { c, bias } => format!("{} + biases {}", constant(c), bias.name()),
            Start::Zeros => "all zeros".into(),
        }
    }
}

/// The state of every layer at one step.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Probe {
    /// SGD steps taken so far (0: at initialisation).
    pub step: usize,
    /// One entry per weight matrix, input side first (the last is the output layer).
    pub layers: Vec<LayerProbe>,
}

// ANCHOR: observer
/// Measures the layers at the steps of `schedule` (and at step 0 when created). The rank is
/// measured at every probe `with_rank`, else only at the first and the last.
pub struct Prober {
    schedule: Vec<usize>,
    with_rank: bool,
    pub probes: Vec<Probe>,
}

impl Prober {
    pub fn new(model: &Mlp, schedule: Vec<usize>, with_rank: bool) -> Self {
        let mut p = Prober {
            schedule,
            with_rank,
            probes: Vec::new(),
        };
        p.measure(0, model);
        p
    }
    fn measure(&mut self, step: usize, model: &Mlp) {
        let rank = self.with_rank || step == 0 || Some(&step) == self.schedule.last();
        let layers = model
            .layers
            .iter()
            .map(|l| probe_layer(l.w.view(), l.b.view(), rank))
            .collect();
        self.probes.push(Probe { step, layers });
    }
}

impl Observer for Prober {
    fn after_step(&mut self, step: usize, model: &mut Mlp) {
        if self.schedule.binary_search(&step).is_ok() {
            self.measure(step, model);
        }
    }
}
// ANCHOR_END: observer

/// About `per_decade` steps per factor of 10 up to `last`, always including `last`: probes
/// spaced evenly on a log axis.
pub fn log_schedule(last: usize, per_decade: usize) -> Vec<usize> {
    let mut s: Vec<usize> = (0..)
        .map(|k| 10f64.powf(k as f64 / per_decade as f64).round() as usize)
        .take_while(|&v| v < last)
        .collect();
    s.push(last);
    s.dedup();
    s
}

/// One training run.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Run {
    pub start: Start,
    /// Units per hidden layer.
    pub hidden: Vec<usize>,
    pub seed: u64,
    pub history: History,
    /// Mean training loss over each window of [`SMOOTHING`] steps.
    pub smoothed_steps: Vec<f64>,
    pub test_accuracy: f64,
    pub probes: Vec<Probe>,
    /// Cosine similarity between the first `heatmap_units` units of hidden layer 1, after
    /// training (empty if not asked for).
    pub final_cosine: Vec<Vec<f64>>,
    /// Hidden units that output 0 on every training sample at initialisation.
    pub dead_units_at_init: usize,
}

impl Run {
    /// The start's name, e.g. "constant + dropout 0.2".
    pub fn label(&self) -> String {
        self.start.label()
    }

    pub fn last_probe(&self) -> &Probe {
        self.probes.last().expect("a probe at step 0")
    }
}

// ANCHOR: epoch_cost
/// What a constant net costs: seconds per training epoch of the constant net (`hidden` units)
/// and of the net with one unit per hidden layer, which learns the same function (Experiment 1),
/// one epoch of each per round, the two interleaved so a slow spell of the machine slows both.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct EpochCost {
    pub constant: Vec<f64>,
    pub one_unit: Vec<f64>,
}

pub fn epoch_cost(
    hidden: &[usize],
    t: &Recipe,
    data: &Dataset,
    rounds: usize,
    seed: u64,
) -> EpochCost {
    let one_epoch = Recipe {
        epochs: 1,
        ..t.clone()
    };
    let sizes = |h: &[usize]| [&[data.features()], h, &[data.classes]].concat();
    let start = Start::Constant(Constant::InverseFanIn);
    let mut nets = [
        build(&sizes(hidden), start, seed),
        build(&sizes(&vec![1; hidden.len()]), start, seed),
    ];
    let mut opts = [t.optimizer(), t.optimizer()];
    let mut seconds = [Vec::new(), Vec::new()];
    for round in 0..rounds {
        let cfg = one_epoch.train_config(derive_seed(seed, &format!("timing round {round}")));
        for i in 0..2 {
            let history = fit(&mut nets[i], &mut opts[i], data, None, &cfg, &mut ());
            seconds[i].push(history.epoch_seconds[0]);
        }
    }
    let [constant, one_unit] = seconds;
    EpochCost { constant, one_unit }
}
// ANCHOR_END: epoch_cost

/// Steps per point of the smoothed loss curve.
pub const SMOOTHING: usize = 25;

/// What one run needs besides the data.
#[derive(Clone, Copy, Debug)]
pub struct Job<'a> {
    pub hidden: &'a [usize],
    pub start: Start,
    pub seed: u64,
    pub heatmap_units: usize,
    /// Measure the rank at every probe (else only at the start and the end).
    pub track_rank: bool,
}

// ANCHOR: train
/// Train one net from `job.start` with plain SGD, probing its layers along the way.
pub fn train(job: Job, t: &Recipe, train_set: &Dataset, test_set: &Dataset) -> Run {
    let mut sizes = vec![train_set.features()];
    sizes.extend_from_slice(job.hidden);
    sizes.push(train_set.classes);
    let mut model = build(&sizes, job.start, job.seed);
    let mut opt = t.optimizer();
    let cfg = TrainConfig {
        record_steps: true,
        ..t.train_config(job.seed)
    };
    let total_steps = t.epochs * t.steps_per_epoch(train_set);
    let dead_units_at_init = dead_units(&model, train_set);
    let mut prober = Prober::new(&model, log_schedule(total_steps, 8), job.track_rank);
    let history = fit(&mut model, &mut opt, train_set, None, &cfg, &mut prober);
    // ANCHOR_END: train
    let smoothed_steps = history.smoothed_step_losses(SMOOTHING);
    let test_accuracy = history.test_accuracy(&model, test_set);
    let final_cosine = if job.heatmap_units > 0 {
        let w = &model.layers[0].w;
        let k = job.heatmap_units.min(w.ncols());
        rows(&cosine_matrix(w.slice(ndarray::s![.., ..k])))
    } else {
        Vec::new()
    };
    Run {
        start: job.start,
        hidden: job.hidden.to_vec(),
        seed: job.seed,
        history,
        smoothed_steps,
        test_accuracy,
        probes: prober.probes,
        final_cosine,
        dead_units_at_init,
    }
}

/// Hidden units whose output is 0 on every sample of `data`: a dead ReLU unit passes no
/// gradient, so it never comes back.
pub fn dead_units(model: &Mlp, data: &Dataset) -> usize {
    let mut a = data.x.clone();
    let mut dead = 0;
    for layer in &model.layers[..model.layers.len() - 1] {
        a = model.activation.forward(layer.forward(a.view()).view());
        dead += a
            .columns()
            .into_iter()
            .filter(|c| c.iter().all(|&v| v == 0.0))
            .count();
    }
    dead
}

fn rows(m: &Array2<f64>) -> Vec<Vec<f64>> {
    m.rows().into_iter().map(|r| r.to_vec()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use lab::data::blobs;

    #[test]
    fn schedule_is_increasing_and_ends_at_last() {
        let s = log_schedule(1000, 4);
        assert_eq!(s.first(), Some(&1));
        assert_eq!(s.last(), Some(&1000));
        assert!(s.windows(2).all(|p| p[0] < p[1]));
        assert!(s.contains(&10) && s.contains(&100));
    }

    /// On a small problem: the constant start stays exactly symmetric, the random one is not.
    #[test]
    fn constant_start_stays_symmetric_on_blobs() {
        let data = blobs(300, 3, 8, 3.0, 1);
        let t = Recipe::new(&[6, 5], lab::SgdConfig::plain(0.05), 3, 16);
        let job = |start| Job {
            hidden: &[6, 5],
            start,
            seed: 2,
            heatmap_units: 4,
            track_rank: true,
        };
        let c = train(
            job(Start::Constant(Constant::Fixed(0.05))),
            &t,
            &data,
            &data,
        );
        for l in &c.last_probe().layers[..2] {
            assert_eq!(l.max_unit_difference, 0.0);
            assert_eq!(l.distinct_units, 1);
            assert_eq!(l.rank, Some(1));
        }
        assert!(
            c.final_cosine
                .iter()
                .flatten()
                .all(|&v| (v - 1.0).abs() < 1e-12)
        );
        let r = train(job(Start::Random), &t, &data, &data);
        assert_eq!(r.last_probe().layers[0].distinct_units, 6);
        let p = train(
            job(Start::Perturbed {
                c: Constant::InverseFanIn,
                eps: 1e-3,
            }),
            &t,
            &data,
            &data,
        );
        assert!(p.probes[0].layers[0].max_unit_difference > 0.0);
    }
}
