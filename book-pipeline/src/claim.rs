//! Claims and the Verdict table.
//!
//! A chapter's answer is a list of [`Claim`]s. Each says how it is decided before the run (the
//! statistic and its threshold: its *rule*), what the run measured (the statistic with its 95%
//! interval where it has one), over how many seeds and in how many of them it holds on its own,
//! and whether it holds. A comparison is decided on a paired difference and its interval, "no
//! difference" on an equivalence test against a stated margin (see [`crate::stats`]); identities
//! and bookkeeping are unit tests of the code, not claims.
//!
//! Thresholds are fixed in the code beside the claim, one for the full run and one for the
//! quick run, with the reason they differ ([`Threshold`]). A claim that the quick run is too
//! small to decide says so ([`Claim::full_run_only`]) instead of being loosened until it passes.

use serde::{Deserialize, Serialize};

use crate::report::Table;
use lab::stats::Interval;

/// Which configuration a report comes from: the book's, or the quick test's (seconds).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Scale {
    Full,
    Quick,
}

/// A threshold fixed before the run: the full run's, the quick run's, and why they differ.
#[derive(Clone, Copy, Debug)]
pub struct Threshold {
    pub full: f64,
    pub quick: f64,
    /// One line: why the quick run needs another value ("" when they are the same).
    pub why: &'static str,
}

impl Threshold {
    /// The same threshold at both scales.
    pub const fn same(x: f64) -> Self {
        Threshold {
            full: x,
            quick: x,
            why: "",
        }
    }
    pub fn at(&self, scale: Scale) -> f64 {
        match scale {
            Scale::Full => self.full,
            Scale::Quick => self.quick,
        }
    }
}

/// In how many seeds a claim over seeds holds on its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    pub holding: usize,
    pub of: usize,
}

/// One claim of a chapter's answer, how it is decided, and what this run measured.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Claim {
    /// The claim, in words.
    pub claim: String,
    /// How the claim is decided, fixed before the run: the statistic and its threshold.
    pub rule: String,
    /// What this run measured: the statistic (with its interval), then what helps read it.
    pub measured: String,
    /// The statistic's 95% interval (90% for an equivalence test), where it has one.
    pub interval: Option<Interval>,
    /// For a claim over seeds: in how many seeds it holds on its own.
    pub seeds: Option<Tally>,
    /// What the literature reports for the same question ("—" if nothing comparable).
    pub literature: String,
    /// Where the literature value comes from (paper, section, or repository path).
    pub source: String,
    /// Whether the measurement supports the claim.
    pub holds: bool,
    /// Why the quick run cannot decide this claim, if it cannot: the tests then check it on
    /// the committed full run only.
    pub full_run_only: Option<String>,
    /// Why the verdict is not robust, if it is not: full runs under other base seeds decided
    /// this claim differently (what they found), so its ✓ or ✗ sits inside the noise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inside_noise: Option<String>,
}

impl Claim {
    /// A claim that does not hold until [`holds`](Self::holds) says so.
    pub fn new(claim: impl Into<String>) -> Self {
        Claim {
            claim: claim.into(),
            rule: String::new(),
            measured: String::new(),
            interval: None,
            seeds: None,
            literature: "—".into(),
            source: String::new(),
            holds: false,
            full_run_only: None,
            inside_noise: None,
        }
    }
    pub fn rule(mut self, rule: impl Into<String>) -> Self {
        self.rule = rule.into();
        self
    }
    pub fn measured(mut self, measured: impl Into<String>) -> Self {
        self.measured = measured.into();
        self
    }
    pub fn interval(mut self, interval: Interval) -> Self {
        self.interval = Some(interval);
        self
    }
    /// The claim holds on its own in `holding` of `of` seeds.
    pub fn seeds(mut self, holding: usize, of: usize) -> Self {
        self.seeds = Some(Tally { holding, of });
        self
    }
    pub fn literature(mut self, value: impl Into<String>, source: impl Into<String>) -> Self {
        self.literature = value.into();
        self.source = source.into();
        self
    }
    pub fn holds(mut self, holds: bool) -> Self {
        self.holds = holds;
        self
    }
    /// The quick run cannot decide this claim, for the reason given.
    pub fn full_run_only(mut self, why: impl Into<String>) -> Self {
        self.full_run_only = Some(why.into());
        self
    }
    /// Full runs under other base seeds decided this claim differently, as `what` says: its
    /// verdict sits inside the noise, and the Verdict says so beside it.
    pub fn inside_noise(mut self, what: impl Into<String>) -> Self {
        self.inside_noise = Some(what.into());
        self
    }
    /// Whether a run at `scale` decides this claim.
    pub fn decided_at(&self, scale: Scale) -> bool {
        scale == Scale::Full || self.full_run_only.is_none()
    }
}

/// The Verdict table in markdown: claim, rule, measured, literature (with source), holds (with
/// the seed tally). At quick scale a claim the quick run cannot decide shows "—".
pub fn verdict_markdown(claims: &[Claim], scale: Scale) -> String {
    let mut t = Table::new([
        "Claim",
        "Decided by (fixed before the run)",
        "Measured here",
        "Literature",
        "Holds?",
    ]);
    for c in claims {
        let lit = if c.source.is_empty() {
            c.literature.clone()
        } else {
            format!("{} ({})", c.literature, c.source)
        };
        t.row([
            c.claim.clone(),
            c.rule.clone(),
            c.measured.clone(),
            lit,
            holds_cell(c, scale),
        ]);
    }
    t.to_markdown()
}

/// "✓ yes", "✗ **no**", with "(k/n seeds)" for a claim over seeds.
pub fn holds_cell(c: &Claim, scale: Scale) -> String {
    if !c.decided_at(scale) {
        return "— (full run only)".into();
    }
    let mark = if c.holds { "✓ yes" } else { "✗ **no**" };
    let mut cell = match c.seeds {
        Some(t) => format!("{mark} ({}/{} seeds)", t.holding, t.of),
        None => mark.into(),
    };
    if let Some(why) = &c.inside_noise {
        cell.push_str(&format!("; inside the noise: {why}"));
    }
    cell
}

/// The claims a run at `scale` decides and that do not hold, one line each.
pub fn failures(claims: &[Claim], scale: Scale) -> Vec<String> {
    claims
        .iter()
        .filter(|c| c.decided_at(scale) && !c.holds)
        .map(|c| format!("- {} (rule: {}; measured: {})", c.claim, c.rule, c.measured))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdict_rows_show_rule_interval_and_tally() {
        let claims = vec![
            Claim::new("He keeps the std")
                .rule("median drift ≤ 2×")
                .measured("1.3× [1.1, 1.6]")
                .seeds(18, 20)
                .literature("within 2×", "He et al. 2015")
                .holds(true),
            Claim::new("x").rule("r").measured("y"),
            Claim::new("slow")
                .rule("t")
                .measured("m")
                .holds(true)
                .full_run_only("timed on a busy machine"),
        ];
        let md = verdict_markdown(&claims, Scale::Full);
        assert!(
            md.contains(
                "| He keeps the std | median drift ≤ 2× | 1.3× [1.1, 1.6] | within 2× (He et al. 2015) | ✓ yes (18/20 seeds) |"
            ),
            "{md}"
        );
        assert!(md.contains("| x | r | y | — | ✗ **no** |"), "{md}");
        assert!(md.contains("| slow | t | m | — | ✓ yes |"), "{md}");
        let quick = verdict_markdown(&claims, Scale::Quick);
        assert!(
            quick.contains("| slow | t | m | — | — (full run only) |"),
            "{quick}"
        );
        assert_eq!(failures(&claims, Scale::Quick).len(), 1);
        assert_eq!(failures(&claims, Scale::Full).len(), 1);
    }

    /// A verdict that other base seeds decided differently says so in its Holds cell, and a
    /// report written before the field existed still reads.
    #[test]
    fn a_claim_inside_the_noise_says_so() {
        let c = Claim::new("small effect")
            .seeds(6, 10)
            .inside_noise("base seed 3 gives ✓ (9/10)");
        assert_eq!(
            holds_cell(&c, Scale::Full),
            "✗ **no** (6/10 seeds); inside the noise: base seed 3 gives ✓ (9/10)"
        );
        let mut json = serde_json::to_value(Claim::new("old")).unwrap();
        assert!(
            json.get("inside_noise").is_none(),
            "not written when absent"
        );
        json.as_object_mut().unwrap().remove("inside_noise");
        let back: Claim = serde_json::from_value(json).unwrap();
        assert_eq!(back.inside_noise, None);
    }

    #[test]
    fn thresholds_per_scale() {
        let t = Threshold {
            full: 1.0,
            quick: 2.0,
            why: "fewer steps",
        };
        assert_eq!(t.at(Scale::Full), 1.0);
        assert_eq!(t.at(Scale::Quick), 2.0);
        assert_eq!(Threshold::same(3.0).at(Scale::Quick), 3.0);
    }
}
