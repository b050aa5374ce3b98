//! Checks on the book's markdown sources (and the README), run before every render:
//!
//! - every local link, image and `{{#include}}` points at a file that exists, and every
//!   `page.md#anchor` at a heading of that page;
//! - every generated figure (`book/src/generated/**/*.svg`) is shown, and every generated table
//!   (`*.md`) included, somewhere in the book;
//! - every figure's alt text is the figure's own `<title>` (the one sentence its code wrote for
//!   readers who cannot see it), and a caption `*Figure N.k.` follows it, numbered 1, 2, 3, … in
//!   chapter N; every generated table but the Verdict has a caption `*Table N.k.`, numbered the
//!   same way;
//! - every "Figure N.k" or "Table N.k" the text mentions exists;
//! - every figure's caption names the function that draws it, and every listing its files
//!   (see [`crate::code_links`]).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// A markdown file, by its path relative to the workspace root, and its text.
struct Page {
    rel: String,
    dir: PathBuf,
    text: String,
}

/// Everything wrong with the book's sources, one line each (empty: all good).
pub fn source_problems(root: &Path) -> Result<Vec<String>> {
    let src = root.join("book/src");
    let mut pages = Vec::new();
    let mut names: Vec<PathBuf> = std::fs::read_dir(&src)
        .with_context(|| format!("cannot list {}", src.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    names.sort();
    names.push(root.join("README.md"));
    for path in names {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let rel = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .display()
            .to_string();
        let dir = path.parent().unwrap_or(root).to_path_buf();
        pages.push(Page { rel, dir, text });
    }

    let mut problems = Vec::new();
    let mut used = BTreeSet::new();
    let mut defined = BTreeSet::new();
    for page in &pages {
        for (target, what) in references(&page.text) {
            let (file, anchor) = target.split_once('#').unwrap_or((&target, ""));
            let file = file.split_once(':').map_or(file, |(f, _)| f); // include anchors
            let path = if let Some(source) = crate::code_links::source_of(root, file) {
                source
            } else if file.is_empty() {
                page.dir
                    .join(Path::new(&page.rel).file_name().unwrap_or_default())
            } else {
                normalise(&page.dir.join(file))
            };
            if !path.exists() {
                problems.push(format!("{}: {what} `{target}`: no such file", page.rel));
                continue;
            }
            used.insert(path.clone());
            if !anchor.is_empty() && path.extension().is_some_and(|x| x == "md") {
                let text = std::fs::read_to_string(&path)?;
                if !heading_anchors(&text).contains(anchor) {
                    problems.push(format!(
                        "{}: link `{target}`: no heading with that anchor",
                        page.rel
                    ));
                }
            }
        }
        if let Some(n) = chapter_number(&page.rel) {
            problems.extend(
                figure_problems(&page.text, n, &page.dir)
                    .into_iter()
                    .chain(crate::code_links::problems(&page.text, n, root))
                    .map(|p| format!("{}: {p}", page.rel)),
            );
        }
        defined.extend(captions(&page.text));
    }
    for page in &pages {
        for mention in mentions(&page.text) {
            if !defined.contains(&mention) {
                problems.push(format!(
                    "{}: mentions {mention}, which has no caption",
                    page.rel
                ));
            }
        }
    }

    let mut generated = Vec::new();
    collect(&src.join("generated"), &mut generated)?;
    for f in generated {
        let shown = f.extension().is_some_and(|x| x == "svg" || x == "md");
        if shown && !used.contains(&f) {
            let rel = f.strip_prefix(root).unwrap_or(&f).display().to_string();
            problems.push(format!("{rel} is generated but not shown in the book"));
        }
    }
    Ok(problems)
}

/// `a/./b/../c` → `a/c`, without touching the file system.
fn normalise(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            c => out.push(c),
        }
    }
    out
}

/// Every file below `dir`, recursively.
pub fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    for e in std::fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))? {
        let p = e?.path();
        if p.is_dir() {
            collect(&p, out)?;
        } else {
            out.push(p);
        }
    }
    Ok(())
}

/// `chapter-3.md` → 3.
fn chapter_number(rel: &str) -> Option<u32> {
    Path::new(rel)
        .file_stem()?
        .to_str()?
        .strip_prefix("chapter-")?
        .parse()
        .ok()
}

/// The local targets of links, images and includes, with what refers to them. Code blocks are
/// skipped except for `{{#include}}` (which is how code from the crates gets into the book).
fn references(text: &str) -> Vec<(String, &'static str)> {
    let mut out = Vec::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
        }
        let mut rest = line;
        while let Some(i) = rest.find("{{#include") {
            let after = &rest[i + "{{#include".len()..];
            let end = after.find("}}").unwrap_or(after.len());
            out.push((after[..end].trim().to_string(), "include"));
            rest = &after[end..];
        }
        if fenced {
            continue;
        }
        let mut rest = line;
        while let Some(i) = rest.find("](") {
            let after = &rest[i + 2..];
            let end = after.find(')').unwrap_or(after.len());
            let target = after[..end].trim();
            let what = if rest[..i].contains("![") {
                "image"
            } else {
                "link"
            };
            if !target.contains("://") && !target.starts_with("mailto:") && !target.is_empty() {
                out.push((target.to_string(), what));
            }
            rest = &after[end..];
        }
    }
    out
}

/// The anchors mdBook gives a page's headings: the text lower-cased, spaces as `-`, anything
/// not alphanumeric, `-` or `_` dropped; repeats get `-1`, `-2`, ….
fn heading_anchors(text: &str) -> BTreeSet<String> {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut out = BTreeSet::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
        }
        let Some(title) = line.strip_prefix('#').filter(|_| !fenced) else {
            continue;
        };
        let title = title.trim_start_matches('#').trim();
        let id: String = title
            .chars()
            .filter_map(|c| {
                if c.is_alphanumeric() || c == '-' || c == '_' {
                    Some(c.to_lowercase().next().unwrap_or(c))
                } else if c.is_whitespace() {
                    Some('-')
                } else {
                    None
                }
            })
            .collect();
        let n = seen.entry(id.clone()).or_insert(0);
        out.insert(if *n == 0 {
            id.clone()
        } else {
            format!("{id}-{n}")
        });
        *n += 1;
    }
    out
}

/// "Figure 1.3" and "Table 2.1" as captioned: lines starting `*Figure N.k.` / `*Table N.k.`.
fn captions(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| {
            let l = l.strip_prefix('*')?;
            let (kind, rest) = l.split_once(' ')?;
            let number = rest.split_once(". ").map_or(rest, |(n, _)| n);
            let number = number.trim_end_matches(['.', '*']);
            (matches!(kind, "Figure" | "Table") && parse_number(number).is_some())
                .then(|| format!("{kind} {number}"))
        })
        .collect()
}

/// Every "Figure N.k" / "Table N.k" the text mentions (captions included).
fn mentions(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for kind in ["Figure", "Table"] {
        let mut rest = text;
        while let Some(i) = rest.find(&format!("{kind} ")) {
            let after = &rest[i + kind.len() + 1..];
            let number: String = after
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '.')
                .collect();
            let number = number.trim_end_matches('.');
            if parse_number(number).is_some() {
                out.push(format!("{kind} {number}"));
            }
            rest = after;
        }
    }
    out
}

/// "3.12" → (3, 12).
fn parse_number(s: &str) -> Option<(u32, u32)> {
    let (a, b) = s.split_once('.')?;
    Some((a.parse().ok()?, b.parse().ok()?))
}

/// In chapter `n`: each generated figure has its `<title>` as alt text and a caption
/// `*Figure n.k.` after it, k = 1, 2, …; table captions are numbered the same way.
fn figure_problems(text: &str, n: u32, dir: &Path) -> Vec<String> {
    let mut problems = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    let mut figure = 0;
    for (i, line) in lines.iter().enumerate() {
        let Some(rest) = line.trim().strip_prefix("![") else {
            continue;
        };
        let Some((alt, target)) = rest.split_once("](") else {
            continue;
        };
        let target = target.trim_end_matches(')');
        figure += 1;
        if let Ok(svg) = std::fs::read_to_string(dir.join(target))
            && let Some(title) = svg_title(&svg)
            && alt != title
        {
            problems.push(format!(
                "the alt text of {target} is not its <title> (copy it): `{title}`"
            ));
        }
        let caption = lines[i + 1..].iter().find(|l| !l.trim().is_empty());
        let want = format!("*Figure {n}.{figure}.");
        if !caption.is_some_and(|c| c.starts_with(&want)) {
            problems.push(format!(
                "{target} needs a caption starting `{want}` on the next line"
            ));
        }
    }
    for (i, line) in lines.iter().enumerate() {
        let Some(file) = line
            .trim()
            .strip_prefix("{{#include generated/")
            .and_then(|r| r.strip_suffix(".md}}"))
        else {
            continue;
        };
        let caption = lines[i + 1..].iter().find(|l| !l.trim().is_empty());
        let want = format!("*Table {n}.");
        if !file.ends_with("verdict") && !caption.is_some_and(|c| c.starts_with(&want)) {
            problems.push(format!(
                "the table {file}.md needs a caption starting `{want}k.` on the next line"
            ));
        }
    }
    let mut table = 0;
    for line in &lines {
        if let Some(rest) = line.strip_prefix("*Table ") {
            table += 1;
            let want = format!("{n}.{table}.");
            if !rest.starts_with(&want) {
                problems.push(format!(
                    "table caption `{}` should be numbered Table {n}.{table}",
                    &line[..line.len().min(40)]
                ));
            }
        }
    }
    problems
}

/// The text of an SVG's `<title>`, with XML entities decoded.
fn svg_title(svg: &str) -> Option<String> {
    let start = svg.find("<title>")? + "<title>".len();
    let end = start + svg[start..].find("</title>")?;
    Some(
        svg[start..end]
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&amp;", "&"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_books_sources_have_no_problems() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let problems = source_problems(root).unwrap();
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    #[test]
    fn anchors_are_mdbooks() {
        let a = heading_anchors(
            "# Verdict\n## Experiment 5: self-normalisation through 1000 layers\n```\n# not\n```\n## Verdict\n",
        );
        let want: BTreeSet<String> = [
            "verdict",
            "verdict-1",
            "experiment-5-self-normalisation-through-1000-layers",
        ]
        .map(String::from)
        .into();
        assert_eq!(a, want);
    }

    #[test]
    fn references_links_images_and_includes() {
        let r = references(
            "See [ch 4](chapter-4.md#x) and [web](https://a.b).\n![alt](generated/f.svg)\n\
             ```rust\n{{#include ../../lab/src/x.rs:anchor}}\nlet a = [1](2);\n```\n",
        );
        let targets: Vec<_> = r.iter().map(|(t, w)| format!("{w} {t}")).collect();
        assert_eq!(
            targets,
            [
                "link chapter-4.md#x",
                "image generated/f.svg",
                "include ../../lab/src/x.rs:anchor"
            ]
        );
    }

    #[test]
    fn figures_need_their_title_as_alt_and_numbered_captions() {
        let dir = std::env::temp_dir().join(format!("xtask-figs-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("a.svg"), "<svg><title>A &amp; B.</title></svg>").unwrap();
        let good = "![A & B.](a.svg)\n\n*Figure 2.1. Caption.*\n\n*Table 2.1. T.*\n";
        assert!(figure_problems(good, 2, &dir).is_empty());
        let terse = "![A](a.svg)\n*Figure 2.1. Caption.*\n";
        assert_eq!(figure_problems(terse, 2, &dir).len(), 1);
        let unnumbered = "![A & B.](a.svg)\nno caption\n*Table 2.2. T.*\n";
        assert_eq!(figure_problems(unnumbered, 2, &dir).len(), 2);
        let tables = "{{#include generated/chapter-2/a.md}}\n\n*Table 2.1. A.*\n\
                      {{#include generated/chapter-2/b.md}}\nText.\n\
                      {{#include generated/chapter-2/verdict.md}}\n";
        let problems = figure_problems(tables, 2, &dir);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("b.md"));
        assert_eq!(captions(good), ["Figure 2.1", "Table 2.1"]);
        assert_eq!(
            mentions("as Figure 1.1 shows (Table 3.2.), unlike Figure 9"),
            ["Figure 1.1", "Table 3.2"]
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
