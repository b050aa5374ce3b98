//! Experiment 4: does the initialisation matter for training? (He et al. 2015, Fig. 3, on
//! Fashion-MNIST), and HOML's 100-layer test, ReLU + He against SELU + LeCun.

use serde::{Deserialize, Serialize};

use lab::data::Dataset;
use lab::rng::{derive_seed, rng};
use lab::train::{History, Recipe, TrainConfig, fit};
use lab::{Activation, Init, Mlp};

/// One training run.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TrainRun {
    pub activation: Activation,
    pub init: Init,
    pub history: History,
    /// Mean training loss over each window of `smoothing` steps.
    pub smoothed_steps: Vec<f64>,
    pub test_accuracy: f64,
}

impl TrainRun {
    /// "ReLU + He normal".
    pub fn label(&self) -> String {
        format!("{} + {}", self.activation.name(), self.init.name())
    }
}

/// Steps per point of the smoothed loss curve.
pub const SMOOTHING: usize = 20;

/// Train one MLP of `net`'s recipe with `activation` and `init` on `train`, test on `test`.
pub fn train_deep(
    net: &Recipe,
    activation: Activation,
    init: Init,
    train: &Dataset,
    test: &Dataset,
    seed: u64,
) -> TrainRun {
    let spec = net.spec(train).with_activation(activation).with_init(init);
    let mut model = Mlp::new(&spec, &mut rng(derive_seed(seed, "weights")));
    let mut opt = net.optimizer();
    let cfg = TrainConfig {
        record_steps: true,
        ..net.train_config(seed)
    };
    let history = fit(&mut model, &mut opt, train, None, &cfg, &mut ());
    let smoothed_steps = history.smoothed_step_losses(SMOOTHING);
    let test_accuracy = history.test_accuracy(&model, test);
    TrainRun {
        activation,
        init,
        history,
        smoothed_steps,
        test_accuracy,
    }
}
