//! `lab`: the numerics every chapter of *Training Deep Neural Networks, Executably* shares.
//!
//! f32, row-major, one sample per row:
//! [`init`] → [`activation`] → [`layer`] → [`loss`] → [`optim`] / [`regularize`] → [`train`],
//! measured by [`metrics`] and [`stats`], tuned fairly by [`tune`], checked by [`gradcheck`],
//! multiplied by [`linalg`] and [`sparse`], vectorised by [`vmath`], fed by [`data`], made
//! reproducible by [`rng`].
//!
//! No plotting, command line or snapshots here: the book pipeline (`book-pipeline`) turns what
//! these compute into the book, and `test-kit` holds what the tests share.

pub mod activation;
pub mod data;
pub mod gradcheck;
pub mod init;
pub mod layer;
pub mod linalg;
pub mod loss;
pub mod mc_dropout;
pub mod metrics;
pub mod optim;
pub mod regularize;
pub mod rng;
pub mod sparse;
pub mod stats;
pub mod train;
pub mod tune;
pub mod vmath;

pub use activation::Activation;
pub use data::Dataset;
pub use init::Init;
pub use layer::{Dense, Mlp, MlpSpec};
pub use optim::{Sgd, SgdConfig};
pub use regularize::Penalty;
pub use train::{History, Recipe, TrainConfig};

/// The root of the workspace (the folder holding `book/`, `data/`, `snapshots/`).
pub fn workspace_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("lab sits in the workspace")
        .to_path_buf()
}
