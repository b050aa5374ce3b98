//! The fingerprint of the sources that produce a chapter's artifacts, recorded in its
//! `report.json` so that a test can tell when the committed artifacts went stale.
//!
//! What counts is the code, not its text: each Rust file is read as a stream of tokens (the
//! lexer of `proc-macro2`, the one `syn` and every procedural macro use), from which doc
//! comments (`#[doc = …]` attributes) and the items marked `#[cfg(test)]` are removed; ordinary
//! comments and formatting are not tokens at all. So `cargo fmt`, a reworded comment or a new
//! unit test leave the fingerprint as it was, and every other edit changes it.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow};
use proc_macro2::{Delimiter, Group, TokenStream, TokenTree};
use sha2::{Digest, Sha256};

/// SHA-256, in hex, of `lab`, the book pipeline and the chapter crate at `chapter_dir`: every
/// crate's manifest (whitespace removed) and its `src/` files (as [`code_tokens`]), each with its
/// path relative to its crate.
pub fn fingerprint(chapter_dir: &Path) -> Result<String> {
    let root = crate::workspace_root();
    let crates = [
        ("lab", root.join("lab")),
        ("book-pipeline", PathBuf::from(env!("CARGO_MANIFEST_DIR"))),
        ("chapter", chapter_dir.to_path_buf()),
    ];
    let mut hasher = Sha256::new();
    for (label, dir) in crates {
        let mut files = vec![dir.join("Cargo.toml")];
        collect_files(&dir.join("src"), &mut files)?;
        files.sort();
        for f in files {
            let rel = f
                .strip_prefix(&dir)
                .unwrap_or(&f)
                .to_string_lossy()
                .replace('\\', "/");
            let text = std::fs::read_to_string(&f)
                .with_context(|| format!("cannot read {}", f.display()))?;
            let content = if rel.ends_with(".rs") {
                code_tokens(&text)
                    .with_context(|| format!("cannot read {} as Rust", f.display()))?
            } else {
                text.split_whitespace().collect()
            };
            hasher.update(format!("{label}/{rel}\0{}\0", content.len()).as_bytes());
            hasher.update(content.as_bytes());
        }
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// The code of a Rust source file, as text: its tokens without doc comments and without the
/// items marked `#[cfg(test)]`, printed in `proc-macro2`'s normal form.
pub fn code_tokens(source: &str) -> Result<String> {
    let tokens: TokenStream = source
        .parse()
        .map_err(|e| anyhow!("not valid Rust tokens: {e}"))?;
    Ok(strip(tokens).to_string())
}

/// `tokens` without doc attributes (outer and inner) and without each item that follows a
/// `#[cfg(test)]` attribute, at every depth.
fn strip(tokens: TokenStream) -> TokenStream {
    let tokens: Vec<TokenTree> = tokens.into_iter().collect();
    let mut out = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while i < tokens.len() {
        if is_punct(&tokens[i], '#') {
            let inner = tokens.get(i + 1).is_some_and(|t| is_punct(t, '!'));
            let at = if inner { i + 2 } else { i + 1 };
            if let Some(TokenTree::Group(g)) = tokens.get(at)
                && g.delimiter() == Delimiter::Bracket
            {
                let attr: Vec<TokenTree> = g.stream().into_iter().collect();
                if is_ident(attr.first(), "doc") {
                    i = at + 1;
                    continue;
                }
                if !inner && is_cfg_test(&attr) {
                    i = end_of_item(&tokens, at + 1);
                    continue;
                }
            }
        }
        out.push(match &tokens[i] {
            TokenTree::Group(g) => {
                let mut group = Group::new(g.delimiter(), strip(g.stream()));
                group.set_span(g.span());
                TokenTree::Group(group)
            }
            t => t.clone(),
        });
        i += 1;
    }
    out.into_iter().collect()
}

fn is_punct(t: &TokenTree, c: char) -> bool {
    matches!(t, TokenTree::Punct(p) if p.as_char() == c)
}

fn is_ident(t: Option<&TokenTree>, name: &str) -> bool {
    matches!(t, Some(TokenTree::Ident(i)) if i == name)
}

/// `cfg(test)`, exactly.
fn is_cfg_test(attr: &[TokenTree]) -> bool {
    match attr {
        [cfg, TokenTree::Group(args)] if is_ident(Some(cfg), "cfg") => {
            let args: Vec<TokenTree> = args.stream().into_iter().collect();
            args.len() == 1 && is_ident(args.first(), "test")
        }
        _ => false,
    }
}

/// The index just past the item that starts at `from`: its first brace-delimited body, or the
/// `;` that ends it (`mod tests;`, `use …;`), whichever comes first.
fn end_of_item(tokens: &[TokenTree], from: usize) -> usize {
    for (j, t) in tokens.iter().enumerate().skip(from) {
        match t {
            TokenTree::Group(g) if g.delimiter() == Delimiter::Brace => return j + 1,
            t if is_punct(t, ';') => return j + 1,
            _ => {}
        }
    }
    tokens.len()
}

fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))? {
        let p = entry?.path();
        if p.is_dir() {
            collect_files(&p, out)?;
        } else {
            out.push(p);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_docs_formatting_and_tests_do_not_count() {
        let base = code_tokens("pub fn a(x: f32) -> f32 { x * 2.0 }").unwrap();
        let same = [
            "pub fn a(x: f32)\n    -> f32\n{\n    x * 2.0 // doubled\n}",
            "/// Doubles.\n/// Mentions #[cfg(test)] in passing.\npub fn a(x: f32) -> f32 { x * 2.0 }",
            "//! A module.\npub fn a(x: f32) -> f32 { /* ! */ x * 2.0 }",
            "pub fn a(x: f32) -> f32 { x * 2.0 }\n#[cfg(test)]\nmod tests { #[test] fn t() { assert!(true) } }",
            "#[cfg(test)]\nuse std::fmt;\npub fn a(x: f32) -> f32 { x * 2.0 }",
        ];
        for s in same {
            assert_eq!(code_tokens(s).unwrap(), base, "{s}");
        }
        let different = [
            "pub fn a(x: f32) -> f32 { x * 3.0 }",
            "fn a(x: f32) -> f32 { x * 2.0 }",
            "#[cfg(feature = \"x\")]\npub fn a(x: f32) -> f32 { x * 2.0 }",
        ];
        for s in different {
            assert_ne!(code_tokens(s).unwrap(), base, "{s}");
        }
        assert!(code_tokens("fn a() { \"unclosed }").is_err());
    }

    /// The fingerprint used to cut each file at the first `#[cfg(test)]` text, which in the
    /// chapter module was a doc comment near the top: the rest of that file was never hashed.
    #[test]
    fn code_after_a_doc_comment_mentioning_cfg_test_counts() {
        let dir = std::env::temp_dir().join(format!("pipeline-fp-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("src/sub")).unwrap();
        std::fs::write(dir.join("Cargo.toml"), "[package]\nname = \"x\"").unwrap();
        let write = |code: &str| std::fs::write(dir.join("src/lib.rs"), code).unwrap();
        write("/// Unit tests (from `#[cfg(test)]` on) are skipped.\npub fn a() -> u8 { 1 }");
        let a = fingerprint(&dir).unwrap();
        assert_eq!(a, fingerprint(&dir).unwrap());
        write("/// Unit tests (from `#[cfg(test)]` on) are skipped.\npub fn a() -> u8 { 2 }");
        let b = fingerprint(&dir).unwrap();
        assert_ne!(
            a, b,
            "an edit after the doc comment changes the fingerprint"
        );
        write("/// Reworded.\npub fn a()\n    -> u8 {\n    2 // two\n}\n#[cfg(test)]\nmod t {}");
        assert_eq!(
            b,
            fingerprint(&dir).unwrap(),
            "docs, comments, format, tests"
        );
        std::fs::write(dir.join("src/sub/m.rs"), "").unwrap();
        assert_ne!(
            b,
            fingerprint(&dir).unwrap(),
            "a new file changes the fingerprint"
        );
        std::fs::write(dir.join("Cargo.toml"), "[package]\nname = \"y\"").unwrap();
        assert_ne!(b, fingerprint(&dir).unwrap(), "so does the manifest");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
