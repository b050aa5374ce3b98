//! `lab`: everything the chapters of *Training Deep Neural Networks, Executably* share.
//!
//! Numerics (f32, row-major, one sample per row):
//! [`init`] → [`activation`] → [`layer`] → [`loss`] → [`optim`] / [`regularize`] → [`train`],
//! measured by [`metrics`], checked by [`gradcheck`], multiplied by [`linalg`], fed by [`data`],
//! made reproducible by [`rng`].

pub mod activation;
pub mod data;
pub mod gradcheck;
pub mod init;
pub mod layer;
pub mod linalg;
pub mod loss;
pub mod metrics;
pub mod optim;
pub mod regularize;
pub mod rng;
pub mod train;

pub use activation::Activation;
pub use data::Dataset;
pub use init::Init;
pub use layer::{Dense, Mlp, MlpSpec};
pub use optim::{Sgd, SgdConfig};
pub use regularize::Penalty;
pub use train::{History, TrainConfig};
