//! Experiment 2: how many epochs does dropout need to reach what the plain net reaches?
//!
//! For each seed the nets with p = 0, 0.2, 0.5 start from the same weights and see the same
//! batches: only the dropout masks differ (a paired comparison).

use serde::{Deserialize, Serialize};

use lab::data::Dataset;
use lab::rng::{derive_seed, rng};
use lab::train::{EpochRecord, History, evaluate, fit};
use lab::{Mlp, Recipe};

/// A fresh net of `net`'s sizes for `data`, with dropout `p` after every hidden layer. The
/// weights depend on the seed only, not on p, so the runs of one seed are paired.
pub fn init(net: &Recipe, data: &Dataset, p: f32, seed: u64) -> Mlp {
    let spec = net.spec(data).with_dropout(p);
    Mlp::new(&spec, &mut rng(derive_seed(seed, "init")))
}

/// One training run.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TrainRun {
    pub dropout: f32,
    pub seed: u64,
    /// Train and validation loss/accuracy per epoch (epoch 0 = before training).
    pub history: History,
    /// The final net on the test set.
    pub test_nll: f64,
    pub test_accuracy: f64,
}

// ANCHOR: train
/// Train `net` with dropout `p` from seed `seed`; returns the run and the trained model.
pub fn train(
    net: &Recipe,
    p: f32,
    seed: u64,
    train: &Dataset,
    val: &Dataset,
    test: &Dataset,
) -> (TrainRun, Mlp) {
    let mut model = init(net, train, p, seed);
    let mut opt = net.optimizer();
    let cfg = net.train_config(derive_seed(seed, "train"));
    let history = fit(&mut model, &mut opt, train, Some(val), &cfg, &mut ());
    let (test_nll, test_accuracy) = evaluate(&model, test);
    let run = TrainRun {
        dropout: p,
        seed,
        history,
        test_nll,
        test_accuracy,
    };
    (run, model)
}
// ANCHOR_END: train

// ANCHOR: epochs_to_target
/// The first epoch (≥ 1) whose record satisfies `reached`, if any.
pub fn first_epoch(history: &History, reached: impl Fn(&EpochRecord) -> bool) -> Option<usize> {
    history
        .epochs
        .iter()
        .skip(1)
        .find(|e| reached(e))
        .map(|e| e.epoch)
}

/// The plain net's targets: its best validation loss and the epoch it reached it, and its best
/// validation accuracy and the first epoch it reached it.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub struct Targets {
    pub best_val_loss: f64,
    pub loss_epoch: usize,
    pub best_val_accuracy: f64,
    pub accuracy_epoch: usize,
}

pub fn targets(plain: &History) -> Targets {
    let after = &plain.epochs[1..];
    let Some(best_loss) = after
        .iter()
        .min_by(|a, b| a.val_loss.total_cmp(&b.val_loss))
    else {
        // The plain net diverged in its first epoch: there is nothing to reach.
        return Targets {
            best_val_loss: f64::NAN,
            loss_epoch: 0,
            best_val_accuracy: f64::NAN,
            accuracy_epoch: 0,
        };
    };
    let best_acc = after
        .iter()
        .map(|e| e.val_accuracy)
        .fold(f64::NEG_INFINITY, f64::max);
    Targets {
        best_val_loss: best_loss.val_loss,
        loss_epoch: best_loss.epoch,
        best_val_accuracy: best_acc,
        // 0 when no epoch has a finite accuracy (after a divergence).
        accuracy_epoch: first_epoch(plain, |e| e.val_accuracy >= best_acc).unwrap_or(0),
    }
}

/// Epochs a dropout run needs to reach the plain net's targets (None: not within the budget).
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub struct Reach {
    pub dropout: f32,
    pub seed: u64,
    pub targets: Targets,
    pub loss_epoch: Option<usize>,
    pub accuracy_epoch: Option<usize>,
}

pub fn reach(plain: &TrainRun, run: &TrainRun) -> Reach {
    let t = targets(&plain.history);
    Reach {
        dropout: run.dropout,
        seed: run.seed,
        targets: t,
        loss_epoch: first_epoch(&run.history, |e| e.val_loss <= t.best_val_loss),
        accuracy_epoch: first_epoch(&run.history, |e| e.val_accuracy >= t.best_val_accuracy),
    }
}

/// A level of validation quality that the plain net reaches: a loss `level` times its best
/// validation loss, or an accuracy `level` points below its best validation accuracy.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Target {
    Loss(f64),
    Accuracy(f64),
}

impl Target {
    pub fn label(self) -> String {
        match self {
            Target::Loss(m) => format!("val. loss ≤ {m}× p = 0's best"),
            Target::Accuracy(d) => format!("val. acc. ≥ p = 0's best − {d} pts"),
        }
    }
}

/// Epochs the plain net and a dropout run need to reach one target of the plain net's seed.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub struct TargetReach {
    pub dropout: f32,
    pub seed: u64,
    pub target: Target,
    pub plain_epoch: Option<usize>,
    pub epoch: Option<usize>,
}

impl TargetReach {
    /// Dropout epochs / plain epochs; a dropout run that never got there counts as one epoch
    /// past the `budget` (a lower bound of its ratio). None if the plain net itself did not.
    pub fn ratio(&self, budget: usize) -> Option<f64> {
        let plain = self.plain_epoch? as f64;
        Some(self.epoch.unwrap_or(budget + 1) as f64 / plain)
    }
}

/// The grid of targets for one dropout run against its seed's plain run.
pub fn reach_grid(plain: &TrainRun, run: &TrainRun, targets: &[Target]) -> Vec<TargetReach> {
    let t = self::targets(&plain.history);
    targets
        .iter()
        .map(|&target| {
            let hits = |h: &History| match target {
                Target::Loss(m) => first_epoch(h, |e| e.val_loss <= m * t.best_val_loss),
                Target::Accuracy(d) => {
                    first_epoch(h, |e| e.val_accuracy >= t.best_val_accuracy - d / 100.0)
                }
            };
            TargetReach {
                dropout: run.dropout,
                seed: run.seed,
                target,
                plain_epoch: hits(&plain.history),
                epoch: hits(&run.history),
            }
        })
        .collect()
}
// ANCHOR_END: epochs_to_target

#[cfg(test)]
mod tests {
    use super::*;

    fn history(val_loss: &[f64], val_acc: &[f64]) -> History {
        History {
            epochs: val_loss
                .iter()
                .zip(val_acc)
                .enumerate()
                .map(|(epoch, (&val_loss, &val_accuracy))| EpochRecord {
                    epoch,
                    train_loss: 0.0,
                    train_accuracy: 0.0,
                    val_loss,
                    val_accuracy,
                })
                .collect(),
            ..History::default()
        }
    }

    #[test]
    fn the_target_grid_by_hand() {
        // Plain: best val loss 0.5 (epoch 2), best accuracy 0.8. Dropout: slower.
        let run = |dropout, history| TrainRun {
            dropout,
            seed: 0,
            history,
            test_nll: 0.0,
            test_accuracy: 0.0,
        };
        let plain = run(0.0, history(&[2.3, 0.6, 0.5, 0.7], &[0.1, 0.7, 0.8, 0.8]));
        let drop = run(
            0.5,
            history(&[2.3, 0.9, 0.58, 0.52], &[0.1, 0.6, 0.75, 0.79]),
        );
        let grid = reach_grid(
            &plain,
            &drop,
            &[
                Target::Loss(1.2),
                Target::Loss(1.02),
                Target::Accuracy(2.0),
                Target::Accuracy(0.5),
            ],
        );
        // 0.6 ≤ 1.2·0.5 at plain epoch 1; dropout's 0.58 at epoch 2.
        assert_eq!((grid[0].plain_epoch, grid[0].epoch), (Some(1), Some(2)));
        assert_eq!(grid[0].ratio(3), Some(2.0));
        // 0.51: plain at epoch 2; dropout never (0.52 > 0.51): counts as budget + 1 = 4.
        assert_eq!((grid[1].plain_epoch, grid[1].epoch), (Some(2), None));
        assert_eq!(grid[1].ratio(3), Some(2.0));
        // 0.78: plain at epoch 2, dropout at 3; 0.795: plain at 2, dropout never.
        assert_eq!((grid[2].plain_epoch, grid[2].epoch), (Some(2), Some(3)));
        assert_eq!((grid[3].plain_epoch, grid[3].epoch), (Some(2), None));
    }

    #[test]
    fn targets_and_reach_by_hand() {
        // Plain: best val loss 0.5 at epoch 2, best accuracy 0.8 first at epoch 2.
        let plain = history(&[2.3, 0.6, 0.5, 0.7], &[0.1, 0.7, 0.8, 0.8]);
        let t = targets(&plain);
        assert_eq!((t.best_val_loss, t.loss_epoch), (0.5, 2));
        assert_eq!((t.best_val_accuracy, t.accuracy_epoch), (0.8, 2));
        let slow = history(
            &[2.3, 0.9, 0.6, 0.55, 0.49, 0.4],
            &[0.1, 0.6, 0.7, 0.75, 0.79, 0.81],
        );
        let run = |h: History| TrainRun {
            dropout: 0.5,
            seed: 1,
            history: h,
            test_nll: 0.0,
            test_accuracy: 0.0,
        };
        let r = reach(&run(plain.clone()), &run(slow));
        assert_eq!(r.loss_epoch, Some(4));
        assert_eq!(r.accuracy_epoch, Some(5));
        let never = history(&[2.3, 0.9], &[0.1, 0.5]);
        let r = reach(&run(plain), &run(never));
        assert_eq!((r.loss_epoch, r.accuracy_epoch), (None, None));
    }
}
