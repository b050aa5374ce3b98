//! Experiment 4: the multi-class case of the output bias. A long-tailed subset of Fashion-MNIST
//! (class `k` keeps a fraction `ratio^(−k/9)` of its images, from all of class 0 down to
//! `1/ratio` of class 9), trained with softmax cross-entropy from output biases 0 or the log
//! class priors, on the ordinary He-normal output layer.

use serde::{Deserialize, Serialize};

use lab::Recipe;
use lab::data::Dataset;
use lab::rng::{permutation, rng};
use lab::train::Objective;

use crate::imbalance::{OverSeeds, Run, train_with_head};

/// A subset of `data` whose class `k` keeps `round(n_k · ratio^(−k/(C−1)))` of its `n_k` samples
/// (a seeded shuffle of them): class 0 whole, the last class `1/ratio` of it.
pub fn long_tail(data: &Dataset, ratio: f64, seed: u64) -> Dataset {
    let classes = data.classes;
    let mut keep = Vec::new();
    for k in 0..classes {
        let members: Vec<usize> = (0..data.len()).filter(|&i| data.y[i] == k).collect();
        let share = ratio.powf(-(k as f64) / (classes - 1) as f64);
        let n = (members.len() as f64 * share).round() as usize;
        let order = permutation(members.len(), &mut rng(seed.wrapping_add(k as u64)));
        keep.extend(order[..n].iter().map(|&j| members[j]));
    }
    keep.sort_unstable();
    data.select(&keep)
}

// ANCHOR: log_priors
/// Each class's share `p_k` of `labels`, the softmax biases `b_k = ln p_k` that predict them
/// for every input (softmax is shift-invariant, so `ln p_k` needs no normalising constant), and
/// the loss of that prediction: the entropy `H(p) = −Σ p_k ln p_k`, in nats.
pub fn log_priors(labels: &[usize], classes: usize) -> (Vec<f64>, f64) {
    let n = labels.len() as f64;
    let p: Vec<f64> = (0..classes)
        .map(|k| labels.iter().filter(|&&y| y == k).count() as f64 / n)
        .collect();
    let entropy = -p
        .iter()
        .filter(|&&q| q > 0.0)
        .map(|q| q * q.ln())
        .sum::<f64>();
    (p.iter().map(|q| q.ln()).collect(), entropy)
}
// ANCHOR_END: log_priors

/// Train the 3×100 net on the long-tailed task from output biases 0 or the log priors.
pub fn train_long_tail(
    net: &Recipe,
    log_prior: bool,
    seed: u64,
    train: &Dataset,
    test: &Dataset,
) -> Run {
    let bias = if log_prior {
        log_priors(&train.y, train.classes).0
    } else {
        vec![0.0; train.classes]
    };
    train_with_head(
        net,
        &bias,
        false,
        Objective::SoftmaxCrossEntropy,
        seed,
        (train, test),
    )
}

/// The runs of one output bias on the long-tailed task.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TailCell {
    pub log_prior: bool,
    /// Training images per class, and the entropy of their distribution.
    pub class_counts: Vec<usize>,
    pub prior_entropy: f64,
    pub steps_per_epoch: usize,
    pub runs: OverSeeds,
}

pub fn summarise(log_prior: bool, train: &Dataset, batch: usize, runs: &[Run]) -> TailCell {
    TailCell {
        log_prior,
        class_counts: (0..train.classes)
            .map(|k| train.y.iter().filter(|&&y| y == k).count())
            .collect(),
        prior_entropy: log_priors(&train.y, train.classes).1,
        steps_per_epoch: train.len().div_ceil(batch),
        runs: OverSeeds::new(runs),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lab::layer::{Mlp, MlpSpec};
    use lab::train::evaluate_with;
    use ndarray::Array2;

    #[test]
    fn the_tail_falls_geometrically_from_all_to_one_in_ratio() {
        let x = Array2::zeros((1000, 2));
        let y: Vec<usize> = (0..1000).map(|i| i % 10).collect();
        let data = Dataset { x, y, classes: 10 };
        let d = long_tail(&data, 100.0, 3);
        let counts: Vec<usize> = (0..10)
            .map(|k| d.y.iter().filter(|&&y| y == k).count())
            .collect();
        // 100 · 100^(−k/9): 100, 60, 36, 22, 13, 8, 5, 3, 2, 1.
        assert_eq!(counts, [100, 60, 36, 22, 13, 8, 5, 3, 2, 1]);
    }

    /// With zero output weights the net predicts softmax(b) everywhere: with `b = ln p` its loss
    /// is the prior's entropy, with `b = 0` it is ln C.
    #[test]
    fn log_prior_biases_give_the_entropy_as_loss() {
        let n = 300;
        let x = Array2::from_shape_fn((n, 5), |(i, j)| ((i * 5 + j * 7) % 13) as f32 - 6.0);
        let y: Vec<usize> = (0..n)
            .map(|i| [0, 0, 0, 0, 0, 0, 1, 1, 2, 0][i % 10])
            .collect();
        let data = Dataset { x, y, classes: 3 };
        let (b, h) = log_priors(&data.y, 3);
        let want = -(0.7f64 * 0.7f64.ln() + 0.2 * 0.2f64.ln() + 0.1 * 0.1f64.ln());
        assert!((h - want).abs() < 1e-12);
        let mut model = Mlp::new(&MlpSpec::relu(&[5, 8, 3]), &mut lab::rng::rng(4));
        model.layers[1].w.fill(0.0);
        for (bk, &v) in model.layers[1].b.iter_mut().zip(&b) {
            *bk = v as f32;
        }
        let (loss, _) = evaluate_with(&model, &data, &Objective::SoftmaxCrossEntropy);
        assert!((loss - h).abs() < 1e-6, "loss {loss} vs H(p) {h}");
        model.layers[1].b.fill(0.0);
        let (loss, _) = evaluate_with(&model, &data, &Objective::SoftmaxCrossEntropy);
        assert!((loss - 3f64.ln()).abs() < 1e-6);
    }
}
