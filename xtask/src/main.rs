//! `cargo xtask`: run the chapters and render the book.
//!
//! ```text
//! cargo xtask run [chapter-N ...|all] [--quick]   run chapters, write their artifacts
//! cargo xtask book                                 every chapter at full size, then render
//! cargo xtask render                               render from the committed artifacts only
//! ```
//!
//! The book is rendered in-process with mdBook's library and the KaTeX preprocessor (no
//! `cargo install` needed), then checked: the sources' links, figures and captions (see
//! [`sources`]), no `{{#include}}` left unexpanded, and nothing loaded from the network.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};

use book_pipeline::workspace_root;

mod code_links;
mod glance;
mod sources;

use glance::{GLANCE_MARKER, RESULTS_MARKER};

#[derive(Parser)]
#[command(about = "Run the book's chapters and render the book.")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run chapters (default: all) and write their artifacts into book/src/generated/.
    Run {
        /// Chapters to run, e.g. `chapter-1 chapter-5`, or `all`.
        chapters: Vec<String>,
        /// Quick configuration (seconds); artifacts go to target/quick/ instead of the book.
        #[arg(long)]
        quick: bool,
    },
    /// Run every chapter at full size, then render the book into target/book/.
    Book,
    /// Render the book from the committed artifacts into target/book/ (no experiments run).
    Render,
}

fn main() -> ExitCode {
    match Cli::parse().command.execute() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

impl Cmd {
    fn execute(self) -> Result<()> {
        let root = workspace_root();
        match self {
            Cmd::Run { chapters, quick } => {
                let chosen = select_chapters(&root, &chapters)?;
                let times = run_chapters(&root, &chosen, quick)?;
                print_times(&times);
            }
            Cmd::Book => {
                let start = Instant::now();
                let chosen = select_chapters(&root, &[])?;
                let times = run_chapters(&root, &chosen, false)?;
                let index = render(&root)?;
                print_times(&times);
                println!(
                    "book: {} (total {:.0} s)",
                    index.display(),
                    start.elapsed().as_secs_f64()
                );
            }
            Cmd::Render => {
                let start = Instant::now();
                let index = render(&root)?;
                println!(
                    "book: {} ({:.1} s)",
                    index.display(),
                    start.elapsed().as_secs_f64()
                );
            }
        }
        Ok(())
    }
}

/// Every chapter crate under `chapters/`, in numeric order.
fn all_chapters(root: &Path) -> Result<Vec<String>> {
    let mut names: Vec<String> = std::fs::read_dir(root.join("chapters"))
        .context("cannot list chapters/")?
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("Cargo.toml").exists())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort_by_key(|n| {
        n.trim_start_matches("chapter-")
            .parse::<u32>()
            .unwrap_or(u32::MAX)
    });
    Ok(names)
}

fn select_chapters(root: &Path, requested: &[String]) -> Result<Vec<String>> {
    let all = all_chapters(root)?;
    if requested.is_empty() || requested.iter().any(|r| r == "all") {
        return Ok(all);
    }
    for r in requested {
        if !all.contains(r) {
            bail!("unknown chapter `{r}` (known: {})", all.join(", "));
        }
    }
    Ok(requested.to_vec())
}

/// Build all chapters once, then run each in turn; returns `(chapter, seconds)`.
fn run_chapters(root: &Path, chapters: &[String], quick: bool) -> Result<Vec<(String, f64)>> {
    let mut build = Command::new(env!("CARGO"));
    build.current_dir(root).args(["build", "--release", "-q"]);
    chapters.iter().for_each(|c| {
        build.args(["-p", c]);
    });
    let status = build.status().context("cannot run cargo")?;
    if !status.success() {
        bail!("building the chapters failed");
    }
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or(root.join("target"), |d| root.join(d));
    run_binaries(root, &target.join("release"), chapters, quick)
}

/// Run each chapter's binary from `bin_dir` in turn, from `root`, and stop at the first that
/// fails (its own `error:` line is already on stderr; the chapters before it keep what they
/// wrote, the ones after it are not touched). Returns `(chapter, seconds)`.
fn run_binaries(
    root: &Path,
    bin_dir: &Path,
    chapters: &[String],
    quick: bool,
) -> Result<Vec<(String, f64)>> {
    let mut times = Vec::new();
    for c in chapters {
        let start = Instant::now();
        let mut cmd = Command::new(bin_dir.join(c));
        cmd.current_dir(root);
        if quick {
            cmd.arg("--quick");
        }
        let status = cmd
            .status()
            .with_context(|| format!("cannot start {}", bin_dir.join(c).display()))?;
        if !status.success() {
            bail!("{c} failed ({status}); the chapters after it were not run");
        }
        times.push((c.clone(), start.elapsed().as_secs_f64()));
    }
    Ok(times)
}

fn print_times(times: &[(String, f64)]) {
    for (c, s) in times {
        println!("{c:>12}: {s:7.1} s");
    }
}

/// Render the book with mdBook + KaTeX into target/book, then check it. Returns index.html.
fn render(root: &Path) -> Result<PathBuf> {
    // Without a subscriber, mdBook's and KaTeX's warnings (a missing include, a formula that
    // does not parse) would vanish; with this one they are printed and counted.
    let warnings = init_tracing();
    let mut book = mdbook_driver::MDBook::load(root).context("cannot load the book (book.toml)")?;
    // Replaces the `mdbook-katex` command that book.toml names with the in-process preprocessor,
    // keeping its place after `links` so math inside included files renders too.
    book.with_preprocessor(mdbook_katex::preprocess::KatexProcessor);
    book.with_preprocessor(ResultsAtAGlance {
        root: root.to_path_buf(),
    });
    book.build().context("mdBook failed")?;
    let out = root.join(&book.config.build.build_dir);
    let mut pages = Vec::new();
    for page in std::fs::read_dir(root.join("book/src"))? {
        let path = page?.path();
        if path.extension().is_some_and(|x| x == "md") {
            pages.push(std::fs::read_to_string(&path)?);
        }
    }
    code_links::copy_sources(root, &pages, &out)?;
    let mut problems = sources::source_problems(root)?;
    problems.extend(check_book(&out)?);
    let n = warnings.load(Ordering::Relaxed);
    if n > 0 {
        problems.push(format!(
            "{n} warning(s) or error(s) while rendering (see above)"
        ));
    }
    if !problems.is_empty() {
        bail!(
            "the rendered book has problems:\n  {}",
            problems.join("\n  ")
        );
    }
    Ok(out.join("index.html"))
}

/// Expands `{{#glance …}}` and `{{#results}}` (see [`glance`]): the results page is generated
/// from the chapters' pages and their `report.json`, never typed.
struct ResultsAtAGlance {
    root: PathBuf,
}

impl mdbook_preprocessor::Preprocessor for ResultsAtAGlance {
    fn name(&self) -> &str {
        "results-at-a-glance"
    }

    fn run(
        &self,
        _: &mdbook_preprocessor::PreprocessorContext,
        mut book: mdbook_preprocessor::book::Book,
    ) -> mdbook_preprocessor::errors::Result<mdbook_preprocessor::book::Book> {
        let mut error = None;
        book.for_each_chapter_mut(|ch| {
            if ch.content.contains(RESULTS_MARKER) || ch.content.contains(GLANCE_MARKER) {
                match glance::expand(&self.root, &ch.content) {
                    Ok(text) => ch.content = text,
                    Err(e) => error = Some(e),
                }
            }
        });
        match error {
            Some(e) => Err(e.context("cannot build Results at a glance")),
            None => Ok(book),
        }
    }
}

/// Print mdBook's log on stderr and count its warnings and errors.
fn init_tracing() -> Arc<AtomicUsize> {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let count = Arc::new(AtomicUsize::new(0));
    let _ = tracing_subscriber::registry()
        .with(tracing_subscriber::filter::LevelFilter::INFO)
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .without_time(),
        )
        .with(CountWarnings(Arc::clone(&count)))
        .try_init();
    count
}

/// A tracing layer that counts events at level WARN or ERROR.
struct CountWarnings(Arc<AtomicUsize>);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for CountWarnings {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        if *event.metadata().level() <= tracing::Level::WARN {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Problems in the rendered HTML: unexpanded includes, and network references in `src`/`href`
/// of `<link>`, `<script>` and `<img>`.
fn check_book(dir: &Path) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    let mut html = Vec::new();
    sources::collect(dir, &mut html)?;
    html.retain(|p| p.extension().is_some_and(|x| x == "html"));
    if html.is_empty() {
        bail!("no HTML in {}", dir.display());
    }
    for f in html {
        let text = std::fs::read_to_string(&f)?;
        let name = f.strip_prefix(dir).unwrap_or(&f).display().to_string();
        problems.extend(
            html_problems(&text)
                .into_iter()
                .map(|p| format!("{name}: {p}")),
        );
    }
    Ok(problems)
}

fn html_problems(html: &str) -> Vec<String> {
    let mut problems = Vec::new();
    for marker in [
        "{{#include",
        "{{#rustdoc_include",
        RESULTS_MARKER,
        GLANCE_MARKER,
    ] {
        if html.contains(marker) {
            problems.push(format!("an unexpanded `{marker}` (a broken include)"));
        }
    }
    for tag in ["link", "script", "img"] {
        let open = format!("<{tag}");
        let mut rest = html;
        while let Some(i) = rest.find(&open) {
            let after = &rest[i..];
            let end = after.find('>').unwrap_or(after.len());
            let element = &after[..end];
            for attr in ["src=", "href="] {
                if let Some(j) = element.find(attr) {
                    let value = element[j + attr.len()..].trim_start_matches(['"', '\'']);
                    if value.starts_with("http://")
                        || value.starts_with("https://")
                        || value.starts_with("//")
                    {
                        problems.push(format!(
                            "<{tag}> loads from the network: {}",
                            &value[..value.len().min(80)]
                        ));
                    }
                }
            }
            rest = &after[end..];
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chapters_are_found_and_unknown_ones_refused() {
        let root = workspace_root();
        let all = all_chapters(&root).unwrap();
        assert_eq!(all.first().map(String::as_str), Some("chapter-1"));
        assert_eq!(select_chapters(&root, &["all".into()]).unwrap(), all);
        let err = select_chapters(&root, &["chapter-99".into()])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("unknown chapter `chapter-99`") && err.contains("chapter-1"),
            "{err}"
        );
        assert!(Cli::try_parse_from(["xtask", "--bogus"]).is_err());
        assert!(Cli::try_parse_from(["xtask", "run", "--bogus"]).is_err());
    }

    #[cfg(unix)]
    #[test]
    fn a_failing_or_missing_chapter_binary_stops_the_run() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("xtask-bins-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for (name, script) in [
            ("chapter-1", "#!/bin/sh\nexit 0\n"),
            (
                "chapter-2",
                "#!/bin/sh\necho 'error: no data' >&2\nexit 1\n",
            ),
        ] {
            let path = dir.join(name);
            std::fs::write(&path, script).unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        let names = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let ok = run_binaries(&dir, &dir, &names(&["chapter-1"]), true).unwrap();
        assert_eq!(ok.len(), 1);
        let err = run_binaries(
            &dir,
            &dir,
            &names(&["chapter-1", "chapter-2", "chapter-9"]),
            true,
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("chapter-2 failed (exit status: 1)"), "{err}");
        let err = run_binaries(&dir, &dir, &names(&["chapter-9"]), false)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("cannot start") && err.contains("chapter-9"),
            "{err}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_corrupt_report_is_named_not_skipped() {
        let root = std::env::temp_dir().join(format!("xtask-report-{}", std::process::id()));
        let generated = root.join("book/src/generated/chapter-1");
        std::fs::create_dir_all(root.join("chapters/chapter-1")).unwrap();
        std::fs::create_dir_all(&generated).unwrap();
        std::fs::write(root.join("chapters/chapter-1/Cargo.toml"), "").unwrap();
        std::fs::write(generated.join("report.json"), "{\"chapter\": \"chap").unwrap();
        let err = format!("{:#}", glance::results_table(&root).unwrap_err());
        assert!(err.contains("report.json is not JSON"), "{err}");
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn results_table_has_a_row_per_claim() {
        let table = glance::results_table(&workspace_root()).unwrap();
        assert!(table.starts_with("| Chapter | # | Claim |"));
        assert!(table.contains("<span id=\"chapter-7-claim-1\">1</span>"));
        assert!(table.contains("[1. "), "chapter 1 is linked: {table}");
        // The last column: "✓ yes (5/5 seeds)".
        assert!(
            table.contains(" seeds) |\n"),
            "claims over seeds show their tally: {table}"
        );
    }

    #[test]
    fn finds_network_references_and_broken_includes() {
        assert!(
            html_problems(
                r#"<link rel="stylesheet" href="katex/katex.min.css"><img src="fig.svg">"#
            )
            .is_empty()
        );
        assert!(html_problems(r#"<a href="https://example.org">a link is fine</a>"#).is_empty());
        assert_eq!(
            html_problems(r#"<script src="https://cdn.example/x.js"></script>"#).len(),
            1
        );
        assert_eq!(
            html_problems(r#"<link href='//fonts.example/css' rel="stylesheet">"#).len(),
            1
        );
        assert_eq!(
            html_problems(r#"<img alt="x" src="http://example.org/a.png">"#).len(),
            1
        );
        assert_eq!(html_problems("<p>{{#include generated/x.md}}</p>").len(), 1);
    }
}
