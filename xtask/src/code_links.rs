//! Every figure and listing of the book one hop from its code.
//!
//! - A figure's caption ends "Drawn by [`x_svg`](code/chapters/chapter-N/src/artifacts.rs.txt)",
//!   naming the function that draws it: `x_svg` draws `x.svg` (or, for a family of figures such
//!   as `sweep_relu.svg` and `sweep_tanh.svg`, each `x_*.svg`).
//! - A listing that includes code is preceded by a line
//!   `<span class="filename">Filename: [`path`](code/path.txt)</span>` naming each file it lists
//!   (before the `<details>` that folds it, for a listing longer than about 25 lines).
//!
//! - No listed line is wider than [`LISTING_WIDTH`] characters, what the page's code column
//!   shows without scrolling at desktop width (the theme's `head.hbs` sizes it).
//!
//! Links under `code/` point at copies of the repository's files that `cargo xtask render`
//! puts into the rendered book (as `.txt`, so that a browser shows them as text).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// The rendered book's folder of source copies.
pub const CODE_DIR: &str = "code/";

/// `code/chapters/chapter-3/src/lib.rs.txt` → `<root>/chapters/chapter-3/src/lib.rs`; `None` for
/// any other link target.
pub fn source_of(root: &Path, target: &str) -> Option<PathBuf> {
    let rel = target.strip_prefix(CODE_DIR)?.strip_suffix(".txt")?;
    Some(root.join(rel))
}

/// Characters of code the page's code column shows at desktop width (`head.hbs`: an 800 px
/// column, code at 13 px: 100 characters of 7.8 px and the block's padding).
pub const LISTING_WIDTH: usize = 100;

/// The lines a `{{#include path:anchor}}` lists, as mdBook picks them: those between
/// `ANCHOR: anchor` and `ANCHOR_END: anchor`, without any anchor line; the whole file without
/// an anchor.
pub fn listed_lines(source: &str, anchor: Option<&str>) -> Vec<String> {
    let Some(anchor) = anchor else {
        return source.lines().map(str::to_string).collect();
    };
    let is = |l: &str, tag: &str| {
        l.split_once(tag)
            .is_some_and(|(_, name)| name.split_whitespace().next() == Some(anchor))
    };
    let mut inside = false;
    let mut out = Vec::new();
    for l in source.lines() {
        if is(l, "ANCHOR_END:") {
            inside = false;
        } else if is(l, "ANCHOR:") {
            inside = true;
        } else if inside && !l.contains("ANCHOR:") && !l.contains("ANCHOR_END:") {
            out.push(l.to_string());
        }
    }
    out
}

/// Listed lines wider than [`LISTING_WIDTH`], named by file, anchor and line.
fn wide_lines(root: &Path, include: &str) -> Vec<String> {
    let (path, anchor) = match include.split_once(':') {
        Some((p, a)) => (p, Some(a)),
        None => (include, None),
    };
    let Ok(source) = std::fs::read_to_string(root.join(path)) else {
        return Vec::new(); // a missing file is mdBook's error, reported with the render
    };
    listed_lines(&source, anchor)
        .iter()
        .filter(|l| l.chars().count() > LISTING_WIDTH)
        .map(|l| {
            format!(
                "{path}:{}: a listed line of {} characters (at most {LISTING_WIDTH} fit the \
                 page's code column): {}…",
                anchor.unwrap_or("(whole file)"),
                l.chars().count(),
                l.trim().chars().take(40).collect::<String>()
            )
        })
        .collect()
}

/// The link to a repository file's copy in the rendered book.
fn code_link(rel: &str) -> String {
    format!("({CODE_DIR}{rel}.txt)")
}

/// Problems with chapter `n`'s figure captions and listing file names (`root`: the workspace).
pub fn problems(text: &str, n: u32, root: &Path) -> Vec<String> {
    let mut problems = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    let artifacts = format!("chapters/chapter-{n}/src/artifacts.rs");
    let drawing_code = std::fs::read_to_string(root.join(&artifacts)).unwrap_or_default();
    for (i, line) in lines.iter().enumerate() {
        let Some(stem) = line
            .trim()
            .split_once(&format!("](generated/chapter-{n}/"))
            .and_then(|(_, rest)| rest.strip_suffix(".svg)"))
        else {
            continue;
        };
        let caption: String = lines[i + 1..]
            .iter()
            .skip_while(|l| l.trim().is_empty())
            .take_while(|l| !l.trim().is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(" ");
        let drawn_by = caption
            .split_once("Drawn by [`")
            .and_then(|(_, rest)| rest.split_once("`]"))
            .map(|(f, link)| (f, link.starts_with(&code_link(&artifacts))));
        match drawn_by {
            Some((f, true)) if draws(f, stem) && drawing_code.contains(&format!("fn {f}(")) => {}
            Some((f, true)) => problems.push(format!(
                "{stem}.svg: its caption names `{f}`, which is not a function `{stem}_svg` (or \
                 `x_svg` for a family `x_*.svg`) in {artifacts}"
            )),
            _ => problems.push(format!(
                "{stem}.svg: its caption must end \"Drawn by [`{stem}_svg`]{}\"",
                code_link(&artifacts)
            )),
        }
    }
    for (i, line) in lines.iter().enumerate() {
        if !line.starts_with("```rust") {
            continue;
        }
        let includes: Vec<&str> = lines[i + 1..]
            .iter()
            .take_while(|l| !l.starts_with("```"))
            .filter_map(|l| l.trim().strip_prefix("{{#include ../../"))
            .filter_map(|rest| rest.strip_suffix("}}"))
            .collect();
        for include in &includes {
            problems.extend(wide_lines(root, include));
        }
        let files: Vec<&str> = includes
            .iter()
            .map(|rest| rest.split(':').next().unwrap_or(rest))
            .collect();
        // The file's name comes before the listing, outside a `<details>` that folds it.
        let before = lines[..i].iter().rev().find(|l| {
            let l = l.trim();
            !l.is_empty() && l != "<details>" && !l.starts_with("<summary>")
        });
        for file in files {
            let named = before.is_some_and(|b| {
                b.starts_with("<span class=\"filename\">") && b.contains(&code_link(file))
            });
            if !named {
                problems.push(format!(
                    "the listing of {file} (line {}) needs a line `<span class=\"filename\">\
                     Filename: [`{file}`]{}</span>` before it",
                    i + 1,
                    code_link(file)
                ));
            }
        }
    }
    problems
}

/// Whether a function named `f` is the one that draws `stem.svg`.
fn draws(f: &str, stem: &str) -> bool {
    f.strip_suffix("_svg").is_some_and(|base| {
        stem == base
            || stem
                .strip_prefix(base)
                .is_some_and(|rest| rest.starts_with('_'))
    })
}

/// Copy every repository file that `pages` link under `code/` into `out/code/`.
pub fn copy_sources(root: &Path, pages: &[String], out: &Path) -> Result<()> {
    for text in pages {
        let mut rest = text.as_str();
        while let Some(i) = rest.find(&format!("]({CODE_DIR}")) {
            let after = &rest[i + 2..];
            let end = after.find(')').unwrap_or(after.len());
            let target = &after[..end];
            if let Some(src) = source_of(root, target) {
                let dest = out.join(target);
                std::fs::create_dir_all(dest.parent().expect("a file under code/"))?;
                std::fs::copy(&src, &dest)
                    .with_context(|| format!("cannot copy {} into the book", src.display()))?;
            }
            rest = &after[end..];
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_figure_names_the_function_that_draws_it() {
        assert!(draws("fans_svg", "fans"));
        assert!(draws("sweep_svg", "sweep_relu"));
        assert!(!draws("sweep_svg", "sweeps"));
        assert!(!draws("fans", "fans"));
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let link = "(code/chapters/chapter-1/src/artifacts.rs.txt)";
        let good = format!(
            "![A.](generated/chapter-1/fans.svg)\n\n*Figure 1.1. A. Drawn by [`fans_svg`]{link}.*\n"
        );
        assert_eq!(problems(&good, 1, root), Vec::<String>::new());
        let missing = "![A.](generated/chapter-1/fans.svg)\n\n*Figure 1.1. A.*\n";
        assert_eq!(problems(missing, 1, root).len(), 1);
        let wrong = good.replace("fans_svg", "sweep_svg");
        assert_eq!(problems(&wrong, 1, root).len(), 1);
        let absent = good
            .replace("fans.svg", "nothing.svg")
            .replace("fans_svg", "nothing_svg");
        assert_eq!(problems(&absent, 1, root).len(), 1, "no such function");
    }

    #[test]
    fn listed_lines_are_the_anchors_and_none_is_too_wide() {
        let src =
            "a\n// ANCHOR: x\nb\n  // ANCHOR: y\nc\n  // ANCHOR_END: y\n// ANCHOR_END: x\nd\n";
        assert_eq!(listed_lines(src, Some("x")), ["b", "c"]);
        assert_eq!(listed_lines(src, Some("y")), ["c"]);
        assert_eq!(listed_lines(src, None).len(), 8);
        let dir = std::env::temp_dir().join(format!("xtask-wide-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let long = format!(
            "// ANCHOR: x\n{}\n{}\n// ANCHOR_END: x\n",
            "é".repeat(100),
            "a".repeat(101)
        );
        std::fs::write(dir.join("f.rs"), long).unwrap();
        let found = wide_lines(&dir, "f.rs:x");
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].starts_with("f.rs:x: a listed line of 101 characters"),
            "{found:?}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
        // Every listing of the book fits its code column.
        let root = book_pipeline::workspace_root();
        let mut wide = Vec::new();
        for n in 1..=7 {
            let page =
                std::fs::read_to_string(root.join(format!("book/src/chapter-{n}.md"))).unwrap();
            wide.extend(
                problems(&page, n, &root)
                    .into_iter()
                    .filter(|p| p.contains("characters")),
            );
        }
        assert!(wide.is_empty(), "{}", wide.join("\n"));
    }

    #[test]
    fn a_listing_names_its_files() {
        let root = Path::new("/nonexistent");
        let listing = "```rust,ignore\n{{#include ../../lab/src/train.rs:fit}}\n```\n";
        assert_eq!(problems(listing, 1, root).len(), 1);
        let named = format!(
            "<span class=\"filename\">Filename: [`lab/src/train.rs`](code/lab/src/train.rs.txt)</span>\n\n{listing}"
        );
        assert_eq!(problems(&named, 1, root), Vec::<String>::new());
        let other = named.replace("train.rs:fit", "data.rs:load");
        assert_eq!(problems(&other, 1, root).len(), 1, "names another file");
        // Folded in a `<details>`, the name stays before it.
        let folded = named.replace(
            "```rust",
            "<details>\n<summary>The code: <code>fit</code></summary>\n\n```rust",
        );
        assert_eq!(problems(&folded, 1, root), Vec::<String>::new());
        assert_eq!(
            source_of(root, "code/lab/src/train.rs.txt"),
            Some(root.join("lab/src/train.rs"))
        );
        assert_eq!(source_of(root, "chapter-1.md"), None);
    }
}
