//! A small chapter for the robustness checks of `tests/robustness.rs`. It does what every chapter
//! binary does (the shared command line, Fashion-MNIST read and checked, figures and tables
//! written atomically, a Verdict) in a second, so that one binary can be refused bad arguments,
//! fail on spoiled data, and be killed while it writes.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;
use serde::{Deserialize, Serialize};

use book_pipeline::claim::{Claim, Scale};
use book_pipeline::progress::Progress;

/// The chapter, as the book pipeline sees it.
pub struct TestChapter;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Config {
    pub seed: u64,
    /// How many figures (each with a table beside it) to write.
    pub figures: usize,
}

impl Config {
    pub fn full() -> Self {
        Config {
            seed: 1,
            figures: 40,
        }
    }
    pub fn quick() -> Self {
        Self::full()
    }
}

/// The mean pixel of each class of the test set (standardised with the training set's moments).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Report {
    pub class_means: Vec<f64>,
    pub figures: usize,
}

pub fn run(cfg: &Config, _progress: &Progress) -> Result<Report> {
    let data = lab::data::fashion_mnist()?;
    let scaler = lab::data::Standardizer::fit(&data.train);
    let mut test = data.test;
    scaler.apply(&mut test);
    let class_means = (0..test.classes)
        .map(|k| {
            let rows: Vec<f64> = test
                .x
                .outer_iter()
                .zip(&test.y)
                .filter(|(_, y)| **y == k)
                .map(|(row, _)| lab::stats::moments(row.iter()).0)
                .collect();
            lab::stats::mean(&rows)
        })
        .collect();
    Ok(Report {
        class_means,
        figures: cfg.figures,
    })
}

mod artifacts {
    use super::*;
    use book_pipeline::plot::{Chart, Figure, LineChart, Series};
    use book_pipeline::report::{Table, write_atomic};

    /// `figures` copies of one line chart and one table.
    pub fn write(r: &Report, dir: &Path) -> Result<()> {
        let points: Vec<(f64, f64)> = r
            .class_means
            .iter()
            .enumerate()
            .map(|(k, &m)| (k as f64, m))
            .collect();
        for i in 0..r.figures {
            LineChart::new(
                Figure::new(
                    format!("Mean standardised pixel per class ({i})"),
                    "A line chart of the mean standardised pixel of each class of the test set.",
                ),
                "class",
                "mean pixel",
            )
            .with_series(Series::line("test set", points.clone()))
            .save(&dir.join(format!("figure_{i:02}.svg")))?;
            let mut t = Table::new(["class", "mean pixel"]).numeric_columns(&[0, 1]);
            for (k, m) in &points {
                t.row([format!("{k}"), format!("{m:.4}")]);
            }
            write_atomic(
                &dir.join(format!("table_{i:02}.md")),
                t.to_markdown().as_bytes(),
            )?;
        }
        Ok(())
    }
}

pub fn claims(r: &Report, _scale: Scale) -> Vec<Claim> {
    let spread = r
        .class_means
        .iter()
        .copied()
        .fold(f64::NEG_INFINITY, f64::max)
        - r.class_means.iter().copied().fold(f64::INFINITY, f64::min);
    vec![
        Claim::new("The classes differ in mean brightness")
            .rule("largest − smallest class mean of the standardised pixels > 0.1")
            .measured(format!("{spread:.3}"))
            .holds(spread > 0.1),
    ]
}

book_pipeline::impl_chapter!(
    TestChapter,
    "test-chapter",
    "A small chapter for the robustness checks"
);

fn main() -> ExitCode {
    book_pipeline::chapter::main::<TestChapter>()
}
