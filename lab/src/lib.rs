//! `lab`: everything the chapters of *Training Deep Neural Networks, Executably* share.
//!
//! Numerics (f32, row-major, one sample per row):
//! [`init`] → [`activation`] → [`layer`] → [`loss`] → [`optim`] / [`regularize`] → [`train`],
//! measured by [`metrics`], checked by [`gradcheck`], multiplied by [`linalg`], vectorised by
//! [`vmath`], fed by [`data`],
//! made reproducible by [`rng`].
//!
//! The book pipeline: [`chapter`] (the contract every chapter follows), [`plot`] (figures),
//! [`report`] (tables, atomic writes), [`snapshot`], [`progress`], [`robustness`] (what every
//! chapter binary must survive, tested).

pub mod activation;
pub mod chapter;
pub mod claim;
pub mod data;
pub mod gradcheck;
pub mod init;
pub mod json;
pub mod layer;
pub mod linalg;
pub mod loss;
pub mod metrics;
pub mod optim;
pub mod plot;
pub mod progress;
pub mod regularize;
pub mod report;
pub mod rng;
pub mod robustness;
pub mod snapshot;
pub mod sparse;
pub mod stats;
pub mod train;
pub mod vmath;

pub use activation::Activation;
pub use data::Dataset;
pub use init::Init;
pub use layer::{Dense, Mlp, MlpSpec};
pub use optim::{Sgd, SgdConfig};
pub use regularize::Penalty;
pub use train::{History, TrainConfig};

/// The root of the workspace (the folder holding `book/`, `data/`, `snapshots/`).
pub fn workspace_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("lab sits in the workspace")
        .to_path_buf()
}
