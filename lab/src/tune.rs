//! Choosing a learning rate fairly: every condition of a comparison gets the same grid of
//! rates, each scored on a validation split carved from the training images, and keeps its
//! best. The test set is never looked at until the final numbers.
//!
//! The score is the validation *loss*: while a net sits on a plateau at chance, every rate
//! gives the same accuracy (a tenth, give or take the split's noise), but the cross-entropy
//! still tells a rate that has started to move from one that has not.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::train::History;

/// What a tuning run scored on the validation split; NaN for a run that diverged.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Score {
    pub loss: f64,
    pub accuracy: f64,
}

impl Score {
    pub const DIVERGED: Score = Score {
        loss: f64::NAN,
        accuracy: f64::NAN,
    };
    /// The last epoch's validation loss and accuracy; [`Score::DIVERGED`] if the run diverged.
    pub fn of(history: &History) -> Score {
        match history.diverged {
            Some(_) => Score::DIVERGED,
            None => Score {
                loss: history.last().val_loss,
                accuracy: history.last().val_accuracy,
            },
        }
    }
}

/// The rates tried, their scores, and the one kept.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LrChoice {
    pub grid: Vec<f64>,
    pub scores: Vec<Score>,
    pub chosen: f64,
}

impl LrChoice {
    /// The rate of `grid` with the lowest validation loss. A diverged run (NaN) is never chosen
    /// while another finished; exact ties go to the larger rate.
    pub fn best(grid: &[f64], scores: Vec<Score>) -> Self {
        assert_eq!(grid.len(), scores.len(), "one score per rate");
        assert!(!grid.is_empty(), "an empty grid");
        let loss = |i: usize| {
            let l = scores[i].loss;
            if l.is_nan() { f64::INFINITY } else { l }
        };
        let best = (0..grid.len())
            .min_by(|&i, &j| {
                loss(i)
                    .total_cmp(&loss(j))
                    .then(grid[j].total_cmp(&grid[i]))
            })
            .expect("a non-empty grid");
        LrChoice {
            grid: grid.to_vec(),
            chosen: grid[best],
            scores,
        }
    }

    /// The score of the chosen rate.
    pub fn chosen_score(&self) -> Score {
        let i = self
            .grid
            .iter()
            .position(|&r| r == self.chosen)
            .expect("the chosen rate is on the grid");
        self.scores[i]
    }
}

/// Score every rate of `grid` with `validate` (the runs in parallel) and keep the best
/// ([`LrChoice::best`]).
pub fn choose_learning_rate(grid: &[f64], validate: impl Fn(f64) -> Score + Sync) -> LrChoice {
    let scores = grid.par_iter().map(|&lr| validate(lr)).collect();
    LrChoice::best(grid, scores)
}

// ANCHOR: protocol
/// How every condition of a comparison is trained: the same grid of learning rates, each tried
/// for `tune_epochs` on the first seed and scored on the validation split ([`LrChoice::best`]);
/// then `seeds` runs with the rate each condition kept. The conditions are then compared seed
/// by seed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Protocol {
    pub lr_grid: Vec<f64>,
    pub tune_epochs: usize,
    pub seeds: usize,
}

/// One run the protocol asks for.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Trial {
    pub lr: f64,
    pub epochs: usize,
    /// Which seed, `0..seeds`: tuning runs use seed 0.
    pub seed: usize,
    pub tuning: bool,
}

/// A condition's chosen rate and its runs, one per seed.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Tuned<R> {
    pub lr: LrChoice,
    pub runs: Vec<R>,
}

impl Protocol {
    /// The runs [`Protocol::run`] makes for `conditions` conditions.
    pub fn jobs(&self, conditions: usize) -> usize {
        conditions * (self.lr_grid.len() + self.seeds)
    }

    /// Tune, then repeat: `train` runs one [`Trial`] of a condition, `score` reads what the
    /// validation split said of a tuning run. The runs of each phase go in parallel; the
    /// results come back in the order of `conditions` and of the seeds.
    pub fn run<C: Sync, R: Send>(
        &self,
        conditions: &[C],
        epochs: usize,
        train: impl Fn(&C, Trial) -> R + Sync,
        score: impl Fn(&R) -> Score + Sync,
    ) -> Vec<Tuned<R>> {
        let grid = &self.lr_grid;
        let tuning: Vec<(usize, f64)> = (0..conditions.len())
            .flat_map(|c| grid.iter().map(move |&lr| (c, lr)))
            .collect();
        let scores: Vec<Score> = tuning
            .par_iter()
            .map(|&(c, lr)| {
                let trial = Trial {
                    lr,
                    epochs: self.tune_epochs,
                    seed: 0,
                    tuning: true,
                };
                score(&train(&conditions[c], trial))
            })
            .collect();
        let choices: Vec<LrChoice> = scores
            .chunks(grid.len())
            .map(|s| LrChoice::best(grid, s.to_vec()))
            .collect();
        let jobs: Vec<(usize, usize)> = (0..conditions.len())
            .flat_map(|c| (0..self.seeds).map(move |k| (c, k)))
            .collect();
        let mut runs: Vec<R> = jobs
            .par_iter()
            .map(|&(c, seed)| {
                let trial = Trial {
                    lr: choices[c].chosen,
                    epochs,
                    seed,
                    tuning: false,
                };
                train(&conditions[c], trial)
            })
            .collect();
        choices
            .into_iter()
            .map(|lr| Tuned {
                lr,
                runs: runs.drain(..self.seeds).collect(),
            })
            .collect()
    }
}
// ANCHOR_END: protocol

/// How much a validation curve still rose over its last `last` epochs: `curve[end] −
/// curve[end − last]`. A curve that has levelled off gains about nothing.
pub fn late_gain(curve: &[f64], last: usize) -> f64 {
    let n = curve.len();
    assert!(
        n > last,
        "a curve of {n} points has no gain over {last} epochs"
    );
    curve[n - 1] - curve[n - 1 - last]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn score(loss: f64) -> Score {
        Score {
            loss,
            accuracy: 0.5,
        }
    }

    #[test]
    fn keeps_the_lowest_loss_and_never_a_diverged_run() {
        let c = LrChoice::best(
            &[0.01, 0.1, 1.0],
            vec![score(0.5), score(0.4), Score::DIVERGED],
        );
        assert_eq!(c.chosen, 0.1);
        assert_eq!(c.chosen_score().loss, 0.4);
    }

    #[test]
    fn ties_go_to_the_larger_rate() {
        let c = LrChoice::best(&[0.01, 0.1, 1.0], vec![score(2.3); 3]);
        assert_eq!(c.chosen, 1.0);
    }

    #[test]
    fn scores_every_rate() {
        // A validation loss lowest at 0.03: the grid's nearest rate wins.
        let c = choose_learning_rate(&[0.001, 0.01, 0.03, 0.1], |lr| {
            score((lr.log10() - 0.03f64.log10()).abs())
        });
        assert_eq!(c.chosen, 0.03);
        assert_eq!(c.scores.len(), 4);
    }

    #[test]
    fn the_protocol_tunes_on_seed_zero_then_repeats_at_the_chosen_rate() {
        // Condition c's validation loss is lowest at rate 10^-c.
        let protocol = Protocol {
            lr_grid: vec![0.01, 0.1, 1.0],
            tune_epochs: 1,
            seeds: 3,
        };
        let out = protocol.run(
            &[0i32, 1, 2],
            5,
            |&c, t| (c, t),
            |&(c, t)| {
                assert!(t.tuning && t.seed == 0 && t.epochs == 1);
                score((t.lr.log10() + f64::from(c)).abs())
            },
        );
        let chosen: Vec<f64> = out.iter().map(|t| t.lr.chosen).collect();
        assert_eq!(chosen, [1.0, 0.1, 0.01]);
        for (c, tuned) in out.iter().enumerate() {
            let seeds: Vec<usize> = tuned.runs.iter().map(|r| r.1.seed).collect();
            assert_eq!(seeds, [0, 1, 2]);
            for &(cond, t) in &tuned.runs {
                assert_eq!(cond as usize, c);
                assert!(!t.tuning && t.epochs == 5 && t.lr == tuned.lr.chosen);
            }
        }
        assert_eq!(protocol.jobs(3), 18);
    }

    #[test]
    fn late_gain_is_the_rise_over_the_last_epochs() {
        assert!((late_gain(&[0.1, 0.5, 0.8, 0.85], 1) - 0.05).abs() < 1e-12);
        assert!((late_gain(&[0.1, 0.5, 0.8, 0.85], 2) - 0.35).abs() < 1e-12);
    }
}
