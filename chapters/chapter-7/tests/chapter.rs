//! Claims, snapshot, 1-vs-2-thread determinism and freshness of chapter 7, and its binary's
//! robustness (bad arguments, bad data, unwritable output, interrupted writes, divergence).
//!
//! Like `lab::chapter_tests!`, except for which claims are asserted where: the timing claims are
//! never asserted (wall time on a shared machine is noise), the MC Dropout claims need nets
//! trained at full scale and are asserted on the committed full-run report (which
//! `committed_artifacts_are_fresh` ties to the current sources), and the rest on the smoke run.

use std::sync::OnceLock;

use chapter_7::{Chapter7, FULL_SCALE_CLAIMS, Report, TIMING_CLAIMS, claims};
use lab::chapter::{Chapter, Claim, assert_claims_hold, generated_dir};
use lab::progress::Progress;

fn smoke_report() -> &'static Report {
    static REPORT: OnceLock<Report> = OnceLock::new();
    REPORT
        .get_or_init(|| Chapter7::run(&Chapter7::smoke(), &Progress::hidden()).expect("smoke run"))
}

fn pick(all: &[Claim], keep: impl Fn(usize) -> bool) -> Vec<Claim> {
    all.iter()
        .enumerate()
        .filter(|&(i, _)| keep(i))
        .map(|(_, c)| c.clone())
        .collect()
}

#[test]
fn smoke_scale_claims_hold_on_the_smoke_run() {
    let all = claims(smoke_report());
    let smoke = pick(&all, |i| {
        !TIMING_CLAIMS.contains(&i) && !FULL_SCALE_CLAIMS.contains(&i)
    });
    assert!(!smoke.is_empty());
    assert_claims_hold(Chapter7::NAME, &smoke);
}

#[test]
fn full_scale_claims_hold_in_the_committed_full_run() {
    let path = generated_dir(Chapter7::NAME).join("report.json");
    let text = std::fs::read_to_string(&path).expect("committed report.json");
    let v: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(v["quick"], serde_json::Value::Bool(false), "a full run");
    for &i in &FULL_SCALE_CLAIMS {
        let c = &v["claims"][i];
        assert_eq!(
            c["holds"],
            serde_json::Value::Bool(true),
            "full-run claim does not hold: {} (measured: {})",
            c["claim"],
            c["measured"]
        );
    }
}

#[test]
fn smoke_report_matches_its_snapshot() {
    lab::snapshot::assert_snapshot(Chapter7::NAME, "smoke_report", smoke_report());
}

#[test]
fn same_bits_with_one_and_two_threads() {
    lab::chapter::assert_same_bits_across_threads::<Chapter7>(&Chapter7::smoke());
}

#[test]
fn committed_artifacts_are_fresh() {
    if let Err(e) = lab::chapter::check_fresh::<Chapter7>() {
        panic!("{e:#}");
    }
}

#[test]
fn artifacts_are_written() {
    let dir = std::env::temp_dir().join(format!("chapter-7-artifacts-{}", std::process::id()));
    lab::chapter::write_all::<Chapter7>(smoke_report(), &Chapter7::smoke(), &dir, true, 0.0)
        .expect("artifacts");
    for f in [
        "report.json",
        "verdict.md",
        "mc.md",
        "mc_cost.svg",
        "reliability.svg",
    ] {
        assert!(dir.join(f).exists(), "{f} not written");
    }
    std::fs::remove_dir_all(&dir).ok();
}

lab::binary_tests!("chapter-7");

/// Learning rate 10⁴: training diverges, and the run records it instead of panicking.
#[test]
fn a_diverging_run_is_recorded() {
    let mut cfg = chapter_7::Config::smoke();
    cfg.net.lr = 1e4;
    lab::robustness::assert_divergence_is_recorded::<chapter_7::Chapter7>(&cfg, |r| {
        r.runs.iter().any(|t| t.history.diverged.is_some())
    });
}
