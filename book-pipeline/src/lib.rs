//! `book-pipeline`: what turns a chapter's experiment into the book's pages.
//!
//! - [`chapter`]: the contract every chapter crate implements, the command line every chapter
//!   binary shares, the report written beside the artifacts, and the checks that keep the book
//!   and the code in step (freshness, the committed Verdict);
//! - [`fingerprint`]: what makes committed artifacts stale (the code, not its comments);
//! - [`claim`]: a claim, the rule that decides it, and the Verdict table;
//! - [`clock`]: wall-clock timings;
//! - [`plot`]: the figures (one house style over plotters, SVG only);
//! - [`report`]: tables, number formats and atomic writes;
//! - [`json`]: reading a report back from its `report.json`;
//! - [`progress`]: progress bars on long runs (hidden when not a terminal).
//! - [`settings`]: `--set key=value` on a chapter's configuration.
//!
//! It depends on `lab` (the numerics) and nothing depends back on it but the chapters, `xtask`
//! and the test kit.

pub mod chapter;
pub mod claim;
pub mod clock;
pub mod fingerprint;
pub mod json;
pub mod plot;
pub mod progress;
pub mod report;
pub mod settings;

pub use lab::workspace_root;
