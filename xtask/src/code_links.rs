//! Every figure and listing of the book one hop from its code.
//!
//! - A figure's caption ends "Drawn by [`x_svg`](code/chapters/chapter-N/src/artifacts.rs.txt)",
//!   naming the function that draws it: `x_svg` draws `x.svg` (or, for a family of figures such
//!   as `sweep_relu.svg` and `sweep_tanh.svg`, each `x_*.svg`).
//! - A listing that includes code is preceded by a line
//!   `<span class="filename">Filename: [`path`](code/path.txt)</span>` naming each file it lists
//!   (before the `<details>` that folds it, for a listing longer than about 25 lines).
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
        let files: Vec<&str> = lines[i + 1..]
            .iter()
            .take_while(|l| !l.starts_with("```"))
            .filter_map(|l| l.trim().strip_prefix("{{#include ../../"))
            .map(|rest| rest.split([':', '}']).next().unwrap_or(rest))
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
