//! Metrics: accuracy, negative log-likelihood, expected calibration error, AUROC.
//!
//! All take predicted class probabilities `probs: (n, classes)` (rows sum to 1) or scores, and
//! accumulate in f64 in a fixed order.

use ndarray::ArrayView2;

use crate::loss::argmax_rows;

/// Fraction of rows whose highest score is the label.
pub fn accuracy(scores: ArrayView2<f32>, labels: &[usize]) -> f64 {
    let pred = argmax_rows(scores);
    pred.iter().zip(labels).filter(|(p, y)| p == y).count() as f64 / labels.len() as f64
}

/// Mean negative log-likelihood of the labels, `−(1/n) Σ log p[yᵢ]`, with p clamped at 1e-12
/// (a probability that underflowed to 0 would otherwise give an infinite loss).
pub fn nll(probs: ArrayView2<f32>, labels: &[usize]) -> f64 {
    labels
        .iter()
        .enumerate()
        .map(|(i, &y)| -f64::from(probs[(i, y)]).max(1e-12).ln())
        .sum::<f64>()
        / labels.len() as f64
}

/// One bin of a reliability diagram.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CalibrationBin {
    /// Bin bounds on the confidence axis.
    pub lo: f64,
    pub hi: f64,
    pub count: usize,
    /// Mean confidence and accuracy of the predictions in the bin (0 if empty).
    pub confidence: f64,
    pub accuracy: f64,
}

/// Reliability bins: predictions grouped by confidence (the top probability) into `bins` equal
/// intervals of [0, 1]; the last interval includes 1.
pub fn calibration_bins(
    probs: ArrayView2<f32>,
    labels: &[usize],
    bins: usize,
) -> Vec<CalibrationBin> {
    let mut count = vec![0usize; bins];
    let mut conf = vec![0f64; bins];
    let mut correct = vec![0f64; bins];
    let pred = argmax_rows(probs);
    for (i, (&p, &y)) in pred.iter().zip(labels).enumerate() {
        let c = f64::from(probs[(i, p)]);
        let b = ((c * bins as f64) as usize).min(bins - 1);
        count[b] += 1;
        conf[b] += c;
        correct[b] += f64::from(u8::from(p == y));
    }
    (0..bins)
        .map(|b| {
            let n = count[b].max(1) as f64;
            CalibrationBin {
                lo: b as f64 / bins as f64,
                hi: (b + 1) as f64 / bins as f64,
                count: count[b],
                confidence: conf[b] / n,
                accuracy: correct[b] / n,
            }
        })
        .collect()
}

/// Expected calibration error: `Σ_b (n_b/n)·|acc_b − conf_b|` over equal-width confidence bins
/// (Guo et al. 2017 use 15).
pub fn ece(probs: ArrayView2<f32>, labels: &[usize], bins: usize) -> f64 {
    let n = labels.len() as f64;
    calibration_bins(probs, labels, bins)
        .iter()
        .map(|b| b.count as f64 / n * (b.accuracy - b.confidence).abs())
        .sum()
}

/// Area under the ROC curve of `scores` for telling `positive` cases from the others: the
/// probability that a random positive scores higher than a random negative (ties count ½).
/// Computed from ranks (Mann–Whitney U), O(n log n). Returns NaN if either class is empty.
pub fn auroc(scores: &[f64], positive: &[bool]) -> f64 {
    assert_eq!(scores.len(), positive.len());
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    // Average ranks over ties (ranks start at 1).
    let mut rank = vec![0f64; scores.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && scores[order[j + 1]] == scores[order[i]] {
            j += 1;
        }
        let r = (i + j) as f64 / 2.0 + 1.0;
        order[i..=j].iter().for_each(|&k| rank[k] = r);
        i = j + 1;
    }
    let n_pos = positive.iter().filter(|&&p| p).count() as f64;
    let n_neg = positive.len() as f64 - n_pos;
    let rank_sum: f64 = rank
        .iter()
        .zip(positive)
        .filter(|(_, p)| **p)
        .map(|(r, _)| r)
        .sum();
    (rank_sum - n_pos * (n_pos + 1.0) / 2.0) / (n_pos * n_neg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn by_hand() {
        let p = array![[0.9f32, 0.1], [0.4, 0.6], [0.7, 0.3], [0.2, 0.8]];
        let y = [0, 0, 1, 1];
        assert_eq!(accuracy(p.view(), &y), 0.5);
        let expected_nll = -(0.9f64.ln() + 0.4f64.ln() + 0.3f64.ln() + 0.8f64.ln()) / 4.0;
        assert!((nll(p.view(), &y) - expected_nll).abs() < 1e-6);
        // 2 bins: [0, .5) is empty (top probability ≥ .5); [.5, 1] holds all four with mean
        // confidence (.9+.6+.7+.8)/4 = .75 and accuracy .5, so ECE = .25.
        assert!((ece(p.view(), &y, 2) - 0.25).abs() < 1e-6);
        let bins = calibration_bins(p.view(), &y, 2);
        assert_eq!(bins[1].count, 4);
        assert_eq!(bins[0].count, 0);
    }

    #[test]
    fn auroc_extremes_and_ties() {
        assert_eq!(
            auroc(&[0.1, 0.2, 0.8, 0.9], &[false, false, true, true]),
            1.0
        );
        assert_eq!(
            auroc(&[0.9, 0.8, 0.2, 0.1], &[false, false, true, true]),
            0.0
        );
        assert_eq!(
            auroc(&[0.5, 0.5, 0.5, 0.5], &[false, true, false, true]),
            0.5
        );
        // One inversion out of 2×2 pairs.
        assert_eq!(
            auroc(&[0.1, 0.6, 0.5, 0.9], &[false, false, true, true]),
            0.75
        );
    }
}
