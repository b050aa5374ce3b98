//! `test-kit`: what the chapters' tests share, used only as a dev-dependency.
//!
//! - [`snapshot`]: insta snapshots with floats rounded to a fixed number of digits;
//! - [`checks`]: the checks every chapter's tests run (quick claims under several seeds,
//!   bit-identical reports with 1 and 2 threads, a diverging run recorded);
//! - [`robustness`]: what a chapter binary must survive (bad arguments, bad data, an unwritable
//!   output folder, being killed while writing), run once against a small test chapter;
//! - the macro [`chapter_tests!`] that gives every chapter its tests in one line.

pub mod checks;
pub mod robustness;
pub mod snapshot;

/// Re-exported for the macros.
pub use book_pipeline;
