//! *Results at a glance*: per question, the chapter's short answer, its key figure and its
//! Verdict tally, then every claim in one table. Nothing on the page is typed twice: the answer
//! and the figure (with its alt text and caption) are read from the chapter's page, the tally
//! and the table from its committed `report.json`.
//!
//! The page's source says which figure is each chapter's key one, one line per chapter:
//! `{{#glance chapter-5 norm.svg}}`. `{{#results}}` becomes the table of every claim.

use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};

use book_pipeline::chapter::CommittedReport;
use book_pipeline::claim::{Claim, Scale, holds_cell};

pub const RESULTS_MARKER: &str = "{{#results}}";
pub const GLANCE_MARKER: &str = "{{#glance ";

/// `content` with every `{{#glance chapter-N figure.svg}}` line and `{{#results}}` expanded.
pub fn expand(root: &Path, content: &str) -> Result<String> {
    let mut out = String::new();
    for line in content.lines() {
        match line.trim().strip_prefix(GLANCE_MARKER) {
            Some(rest) => {
                let args: Vec<&str> = rest.trim_end_matches("}}").split_whitespace().collect();
                let [chapter, figure] = args[..] else {
                    bail!("`{line}`: expected {{{{#glance chapter-N figure.svg}}}}");
                };
                out.push_str(
                    &answer_block(root, chapter, figure).with_context(|| line.to_string())?,
                );
            }
            None if line.trim() == RESULTS_MARKER => out.push_str(&results_table(root)?),
            None => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    Ok(out)
}

/// One question at a glance: the chapter's title, its short answer, its key figure with the
/// chapter's caption, and its Verdict tally linking the claims that do not hold, then a link to
/// the chapter.
fn answer_block(root: &Path, chapter: &str, figure: &str) -> Result<String> {
    let page_path = root.join("book/src").join(format!("{chapter}.md"));
    let page = std::fs::read_to_string(&page_path)
        .with_context(|| format!("cannot read {}", page_path.display()))?;
    let report = read_report(root, chapter)?;
    let n = chapter.trim_start_matches("chapter-");
    let answer = short_answer(&page, chapter)?;
    let (image, caption) = figure_with_caption(&page, chapter, figure)?;
    Ok(format!(
        "## {n}. {title}\n\n{answer}\n\n{image}\n\n{caption}\n\n{tally} \
         [Read chapter {n} →]({chapter}.md)\n\n",
        title = report.title,
        tally = tally(chapter, &report.claims),
    ))
}

fn report_path(root: &Path, chapter: &str) -> std::path::PathBuf {
    root.join("book/src/generated")
        .join(chapter)
        .join("report.json")
}

fn read_report(root: &Path, chapter: &str) -> Result<CommittedReport> {
    CommittedReport::read(&report_path(root, chapter))
}

/// The paragraph that opens with `**The short answer.**`, without that lead; links to the
/// page's own sections point at the chapter.
pub fn short_answer(page: &str, chapter: &str) -> Result<String> {
    const LEAD: &str = "**The short answer.**";
    let start = page
        .find(LEAD)
        .ok_or_else(|| anyhow!("{chapter}.md has no paragraph starting {LEAD}"))?;
    let rest = &page[start + LEAD.len()..];
    let paragraph = rest[..rest.find("\n\n").unwrap_or(rest.len())].trim();
    Ok(paragraph.replace("](#", &format!("]({chapter}.md#")))
}

/// The page's image line for `generated/<chapter>/<figure>` and the caption paragraph after it.
pub fn figure_with_caption(page: &str, chapter: &str, figure: &str) -> Result<(String, String)> {
    let target = format!("(generated/{chapter}/{figure})");
    let lines: Vec<&str> = page.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.starts_with("![") && l.contains(&target))
        .ok_or_else(|| anyhow!("{chapter}.md does not show {figure}"))?;
    let first = lines[at + 1..]
        .iter()
        .position(|l| !l.trim().is_empty())
        .map(|i| at + 1 + i)
        .filter(|&i| lines[i].starts_with("*Figure "))
        .ok_or_else(|| anyhow!("{figure} in {chapter}.md has no caption after it"))?;
    let end = lines[first..]
        .iter()
        .position(|l| l.trim().is_empty())
        .map_or(lines.len(), |i| first + i);
    let caption = lines[first..end]
        .join("\n")
        .replace("](#", &format!("]({chapter}.md#"));
    Ok((lines[at].to_string(), caption))
}

/// "**Verdict: 5 of 6 claims hold**; does not hold: [claim 4](#…)." One link per claim that
/// does not hold, and per claim whose verdict sits inside the noise, to its row below.
pub fn tally(chapter: &str, claims: &[Claim]) -> String {
    let robust: Vec<&Claim> = claims.iter().filter(|c| c.inside_noise.is_none()).collect();
    let held = robust.iter().filter(|c| c.holds).count();
    let link = |i: usize| format!("[claim {}](#{})", i + 1, row_id(chapter, i));
    let listed = |pick: &dyn Fn(&Claim) -> bool| -> Vec<String> {
        claims
            .iter()
            .enumerate()
            .filter(|(_, c)| pick(c))
            .map(|(i, _)| link(i))
            .collect()
    };
    let failing = listed(&|c| c.inside_noise.is_none() && !c.holds);
    let noisy = listed(&|c| c.inside_noise.is_some());
    let mut line = format!(
        "**Verdict: {held} of {} claims hold{}**",
        robust.len(),
        if noisy.is_empty() {
            String::new()
        } else {
            format!(", {} inside the noise", noisy.len())
        }
    );
    if !failing.is_empty() {
        line.push_str(&format!("; does not hold: {}", failing.join(", ")));
    }
    if !noisy.is_empty() {
        line.push_str(&format!(
            "; decided differently under other seeds: {}",
            noisy.join(", ")
        ));
    }
    line.push('.');
    line
}

/// The id of a claim's row in the table of every claim.
fn row_id(chapter: &str, i: usize) -> String {
    format!("{chapter}-claim-{}", i + 1)
}

/// The Verdict rows of every chapter that has a report, one table, linked to each chapter; each
/// claim's row carries an id the tallies link to.
pub fn results_table(root: &Path) -> Result<String> {
    let mut out =
        String::from("| Chapter | # | Claim | Measured here | Holds? |\n|---|---|---|---|---|\n");
    for name in crate::all_chapters(root)? {
        if !report_path(root, &name).exists() {
            continue;
        }
        let report = read_report(root, &name)?;
        let n = name.trim_start_matches("chapter-");
        for (i, c) in report.claims.iter().enumerate() {
            let cell = |s: &str| s.replace('|', "\\|");
            let chapter = if i == 0 {
                format!("[{n}. {}]({name}.md#verdict)", report.title)
            } else {
                String::new()
            };
            out.push_str(&format!(
                "| {chapter} | <span id=\"{}\">{}</span> | {} | {} | {} |\n",
                row_id(&name, i),
                i + 1,
                cell(&c.claim),
                cell(&c.measured),
                holds_cell(c, Scale::Full)
            ));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = "# Q?\n\n**The short answer.** Yes, see [the proof](#the-mathematics)\nand \
                        [chapter 1](chapter-1.md).\n\n## Intuition\n\n\
                        ![A chart.](generated/chapter-9/a.svg)\n\n*Figure 9.1. A chart, see \
                        [below](#verdict).\nDrawn by `a_svg`.*\n\nMore text.\n";

    #[test]
    fn the_short_answer_is_the_pages_paragraph_with_its_links_kept() {
        assert_eq!(
            short_answer(PAGE, "chapter-9").unwrap(),
            "Yes, see [the proof](chapter-9.md#the-mathematics)\nand [chapter 1](chapter-1.md)."
        );
        assert!(short_answer("# Q?\n\nNo lead.\n", "chapter-9").is_err());
    }

    #[test]
    fn the_key_figure_comes_with_its_caption() {
        let (image, caption) = figure_with_caption(PAGE, "chapter-9", "a.svg").unwrap();
        assert_eq!(image, "![A chart.](generated/chapter-9/a.svg)");
        assert_eq!(
            caption,
            "*Figure 9.1. A chart, see [below](chapter-9.md#verdict).\nDrawn by `a_svg`.*"
        );
        let msg = figure_with_caption(PAGE, "chapter-9", "b.svg").unwrap_err();
        assert!(msg.to_string().contains("does not show b.svg"));
        let bare = "![A chart.](generated/chapter-9/a.svg)\n\nNo caption.\n";
        assert!(figure_with_caption(bare, "chapter-9", "a.svg").is_err());
    }

    #[test]
    fn the_tally_counts_and_links_the_claims_that_do_not_hold() {
        let c = |holds: bool, noise: bool| Claim {
            inside_noise: noise.then(|| "seed 2 differs".to_string()),
            ..Claim::new("x").holds(holds)
        };
        let all = [c(true, false), c(false, false), c(true, false)];
        assert_eq!(
            tally("chapter-9", &all),
            "**Verdict: 2 of 3 claims hold**; does not hold: [claim 2](#chapter-9-claim-2)."
        );
        let noisy = [c(true, false), c(false, true)];
        assert_eq!(
            tally("chapter-9", &noisy),
            "**Verdict: 1 of 1 claims hold, 1 inside the noise**; decided differently under \
             other seeds: [claim 2](#chapter-9-claim-2)."
        );
    }

    #[test]
    fn a_bad_glance_line_is_an_error() {
        let root = book_pipeline::workspace_root();
        assert!(expand(&root, "{{#glance chapter-1}}\n").is_err());
        assert!(expand(&root, "{{#glance chapter-1 no-such.svg}}\n").is_err());
        assert_eq!(expand(&root, "plain\n").unwrap(), "plain\n");
    }
}
