//! The chapter contract: what every chapter crate provides, the command line
//! every chapter binary shares, the Verdict table, and the checks every chapter's tests run.
//!
//! A chapter implements [`Chapter`]; its `main.rs` is one line, `lab::chapter::main::<ChapterN>()`;
//! its tests are one macro, [`chapter_tests!`](crate::chapter_tests).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::Parser;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::claim::{Claim, Scale, verdict_markdown};
use crate::fingerprint::fingerprint;
use crate::progress::Progress;
use crate::report::{write_atomic, write_json};
use crate::settings::{self, Setting, configure};

/// What a chapter crate provides. See `chapters/chapter-1` for an example.
pub trait Chapter {
    /// The package name, e.g. `"chapter-1"`.
    const NAME: &'static str;
    /// The question the chapter answers.
    const TITLE: &'static str;
    /// `env!("CARGO_MANIFEST_DIR")` of the chapter crate: its sources are fingerprinted.
    const SOURCE_DIR: &'static str;

    /// Serialisable both ways: `--set key=value` edits it as JSON (see [`settings`](crate::settings)).
    type Config: Clone + Serialize + DeserializeOwned + Send + Sync;
    /// Read back from `report.json` by the test of the committed Verdict.
    type Report: Serialize + DeserializeOwned + Send;

    /// The configuration the book shows.
    fn full() -> Self::Config;
    /// A configuration that runs in seconds, for tests.
    fn quick() -> Self::Config;
    /// `cfg` with its base seed replaced.
    fn with_seed(cfg: Self::Config, seed: u64) -> Self::Config;
    /// The base seed of `cfg`.
    fn seed(cfg: &Self::Config) -> u64;
    /// Run the experiments. Every number the book shows ends up in the Report.
    fn run(cfg: &Self::Config, progress: &Progress) -> Result<Self::Report>;
    /// Figures and tables into `dir` (report.json and verdict.md are written by [`main`]).
    fn write_artifacts(report: &Self::Report, dir: &Path) -> Result<()>;
    /// The answer's claims, measured, decided with the thresholds of `scale`.
    fn claims(report: &Self::Report, scale: Scale) -> Vec<Claim>;
}

/// Where a chapter's artifacts live in the book: `book/src/generated/<name>`.
pub fn generated_dir(name: &str) -> PathBuf {
    crate::workspace_root()
        .join("book/src/generated")
        .join(name)
}

/// What `report.json` holds: the report and everything needed to trust it.
#[derive(Serialize)]
struct Envelope<'a, C: Serialize, R: Serialize> {
    chapter: &'a str,
    title: &'a str,
    /// SHA-256 of the sources that produced this file (see [`fingerprint`](crate::fingerprint)).
    fingerprint: String,
    quick: bool,
    config: &'a C,
    claims: Vec<Claim>,
    report: &'a R,
    /// Wall time of the whole run, seconds (varies between runs).
    timings: Timing,
}

/// `report.json` read back without the chapter's types: the header and the claims typed, the
/// configuration and the report as JSON. The one schema `xtask` and the tests read.
#[derive(Debug, Deserialize)]
pub struct CommittedReport {
    pub chapter: String,
    pub title: String,
    pub fingerprint: String,
    pub quick: bool,
    pub config: serde_json::Value,
    pub claims: Vec<Claim>,
    pub report: serde_json::Value,
}

impl CommittedReport {
    /// Read `path` (JSON `null` in a float field reads back as NaN).
    pub fn read(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let v: serde_json::Value = serde_json::from_str(&text)
            .with_context(|| format!("{} is not JSON", path.display()))?;
        crate::json::from_value(&v)
            .with_context(|| format!("{} is not a chapter's report", path.display()))
    }
}

#[derive(Serialize)]
struct Timing {
    run_seconds: f64,
    threads: usize,
}

/// The command line every chapter binary shares.
#[derive(Parser, Debug)]
#[command(
    about = "Run this chapter's experiments and write its figures and tables.",
    after_help = "The data are read from data/fashion-mnist in the repository, or from the folder \
                  in $FASHION_MNIST_DIR if set."
)]
struct Args {
    /// Run the small quick configuration (seconds) instead of the full one.
    #[arg(long)]
    quick: bool,
    /// Base seed of every random draw (the book uses the default).
    #[arg(long, value_name = "N")]
    seed: Option<u64>,
    /// Change one field of the configuration, e.g. `--set quality.width=256 --set seeds=5`
    /// (repeatable; dotted keys into the chapter's Config; lists as 0.5,0.9; --print-config
    /// lists every key with its value).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    settings: Vec<Setting>,
    /// Print the configuration that would run, one `key = value` per line, and stop.
    #[arg(long)]
    print_config: bool,
    /// Where to write the artifacts [default: book/src/generated/<chapter> for the book's
    /// configuration; target/runs/<chapter> after --seed or --set; target/quick/<chapter> with
    /// --quick].
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Number of worker threads [default: all cores].
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
}

/// The whole binary of a chapter: parse arguments, run, write artifacts, print the Verdict.
/// Errors are one line on stderr and exit code 1; bad arguments exit 2 (clap).
pub fn main<C: Chapter>() -> ExitCode {
    let args = Args::parse();
    match run_cli::<C>(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run_cli<C: Chapter>(args: &Args) -> Result<()> {
    if let Some(n) = args.threads {
        if n == 0 {
            bail!("--threads must be at least 1");
        }
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global()
            .context("cannot start the thread pool")?;
    }
    let mut cfg = if args.quick { C::quick() } else { C::full() };
    if let Some(seed) = args.seed {
        cfg = C::with_seed(cfg, seed);
    }
    cfg = configure(&cfg, &args.settings)?;
    if args.print_config {
        print!("{}", settings::print_lines(&cfg)?);
        return Ok(());
    }
    let changes = configuration_changes::<C>(&cfg, args.quick)?;
    // Only the book's own configuration writes into the book, unless --out says otherwise.
    let out = match &args.out {
        Some(dir) => dir.clone(),
        None if args.quick => crate::workspace_root().join("target/quick").join(C::NAME),
        None if !changes.is_empty() => crate::workspace_root().join("target/runs").join(C::NAME),
        None => generated_dir(C::NAME),
    };
    check_writable(&out)?;
    eprintln!(
        "{}: {} ({} run{})",
        C::NAME,
        C::TITLE,
        if args.quick { "quick" } else { "full" },
        if changes.is_empty() {
            String::new()
        } else {
            format!(" with {}", changes.join(" "))
        }
    );
    let start = Instant::now();
    let report = C::run(&cfg, &Progress::stderr())?;
    let run_seconds = start.elapsed().as_secs_f64();
    write_all::<C>(&report, &cfg, &out, args.quick, run_seconds)?;
    let scale = scale_of(args.quick);
    let claims = C::claims(&report, scale);
    println!("\n{}", verdict_markdown(&claims, scale));
    let decided: Vec<&Claim> = claims.iter().filter(|c| c.decided_at(scale)).collect();
    let held = decided.iter().filter(|c| c.holds).count();
    let undecided = claims.len() - decided.len();
    println!(
        "{held}/{} claims hold{}. Artifacts in {} ({run_seconds:.1} s).",
        decided.len(),
        if undecided > 0 {
            format!(" ({undecided} decided on the full run only)")
        } else {
            String::new()
        },
        out.display()
    );
    Ok(())
}

/// Write the chapter's artifacts, `verdict.md` and `report.json` into `out`.
pub fn write_all<C: Chapter>(
    report: &C::Report,
    cfg: &C::Config,
    out: &Path,
    quick: bool,
    run_seconds: f64,
) -> Result<()> {
    C::write_artifacts(report, out)?;
    let scale = scale_of(quick);
    let claims = C::claims(report, scale);
    let changes = configuration_changes::<C>(cfg, quick)?;
    write_atomic(
        &out.join("verdict.md"),
        verdict_page::<C>(&changes, quick, &claims, scale).as_bytes(),
    )?;
    let envelope = Envelope {
        chapter: C::NAME,
        title: C::TITLE,
        fingerprint: fingerprint(Path::new(C::SOURCE_DIR))?,
        quick,
        config: cfg,
        claims,
        report,
        timings: Timing {
            run_seconds,
            threads: rayon::current_num_threads(),
        },
    };
    write_json(&out.join("report.json"), &envelope)
}

/// What differs from `Config::full()` (or `Config::quick()`), as `key=value` settings.
fn configuration_changes<C: Chapter>(cfg: &C::Config, quick: bool) -> Result<Vec<String>> {
    let base = if quick { C::quick() } else { C::full() };
    Ok(settings::differences(
        &settings::to_json(cfg)?,
        &settings::to_json(&base)?,
    ))
}

/// `verdict.md`: one line saying which configuration ran, then the Verdict table.
fn verdict_page<C: Chapter>(
    changes: &[String],
    quick: bool,
    claims: &[Claim],
    scale: Scale,
) -> String {
    let base = if quick {
        "Config::quick()"
    } else {
        "Config::full()"
    };
    let source = format!("chapters/{}/src/lib.rs", C::NAME);
    let line = match (quick, changes.is_empty()) {
        (false, true) => format!("Run with the book's configuration, `{base}` in `{source}`."),
        (true, true) => {
            format!("Run with the quick configuration, `{base}` in `{source}` (not the book's).")
        }
        _ => format!(
            "Run with `{base}` in `{source}` and `{}` (not the book's configuration).",
            changes
                .iter()
                .map(|c| format!("--set {c}"))
                .collect::<Vec<_>>()
                .join(" ")
        ),
    };
    format!(
        "*{line} Every value is in `report.json`.*\n\n{}",
        verdict_markdown(claims, scale)
    )
}

fn scale_of(quick: bool) -> Scale {
    if quick { Scale::Quick } else { Scale::Full }
}

/// Fail early, before a long run, if `dir` cannot be written; and remove the temporary files
/// (`.<name>.tmp-<pid>`, see [`write_atomic`]) that a run killed while writing left there.
fn check_writable(dir: &Path) -> Result<()> {
    let probe = dir.join(".write-test");
    write_atomic(&probe, b"")
        .with_context(|| format!("the output folder {} is not writable", dir.display()))?;
    std::fs::remove_file(&probe).ok();
    for entry in std::fs::read_dir(dir)?.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') && name.contains(".tmp-") {
            std::fs::remove_file(entry.path()).ok();
        }
    }
    Ok(())
}

// ------------------------------------------------------------------------------------------------
// Checks shared by every chapter's tests

/// Fails (naming the chapter and the command to run) when the committed artifacts were not
/// produced by the current sources, by a full run, with the book's configuration.
pub fn check_fresh<C: Chapter>() -> Result<()> {
    let path = generated_dir(C::NAME).join("report.json");
    let fix = format!(
        "run `cargo xtask run {}` and commit book/src/generated/{}",
        C::NAME,
        C::NAME
    );
    if !path.exists() {
        bail!("{} is missing: {fix}", path.display());
    }
    let committed = CommittedReport::read(&path).with_context(|| fix.clone())?;
    if committed.quick {
        bail!("{}'s artifacts come from a --quick run: {fix}", C::NAME);
    }
    // Compared as JSON text read back, so that f32 fields round-trip the same way on both sides.
    let book_config: serde_json::Value = serde_json::from_str(&serde_json::to_string(&C::full())?)?;
    if committed.config != book_config {
        bail!(
            "{}'s artifacts come from a configuration other than the book's (another --seed, or \
             an edited Config::full()): {fix}, or `git checkout -- book/src/generated/{}`",
            C::NAME,
            C::NAME
        );
    }
    let now = fingerprint(Path::new(C::SOURCE_DIR))?;
    if committed.fingerprint != now {
        bail!(
            "{}'s artifacts are stale (lab or the chapter changed since they were generated): {fix}",
            C::NAME
        );
    }
    Ok(())
}

/// Whether each claim holds in the committed full run (`None` if there is none to read).
pub fn book_verdict<C: Chapter>() -> Option<Vec<bool>> {
    let committed = CommittedReport::read(&generated_dir(C::NAME).join("report.json")).ok()?;
    Some(committed.claims.iter().map(|c| c.holds).collect())
}

/// Reads the committed full-run `report.json`, recomputes every claim from its data with the
/// chapter's own claim code, and fails naming each row (claim, rule, measured, interval, seeds,
/// holds) that differs from the committed Verdict, and if the page's `verdict.md` is not the
/// table of those claims: the book's Verdict is what the code says of the book's data.
pub fn check_committed_verdict<C: Chapter>() -> Result<()> {
    let path = generated_dir(C::NAME).join("report.json");
    let file = CommittedReport::read(&path)?;
    let report: C::Report = crate::json::from_value(&file.report)
        .with_context(|| format!("{}: its report does not read back", path.display()))?;
    let claims = C::claims(&report, Scale::Full);
    // Compared as JSON, where a NaN is `null` on both sides.
    let (recomputed, committed) = (
        serde_json::to_value(&claims)?,
        serde_json::to_value(&file.claims)?,
    );
    let (Some(now), Some(committed)) = (recomputed.as_array(), committed.as_array()) else {
        bail!("{}: no claims array", path.display());
    };
    let mut problems = Vec::new();
    if now.len() != committed.len() {
        problems.push(format!(
            "{} claims committed, {} recomputed",
            committed.len(),
            now.len()
        ));
    }
    for (i, (a, b)) in now.iter().zip(committed).enumerate() {
        for key in ["claim", "rule", "measured", "interval", "seeds", "holds"] {
            if a[key] != b[key] {
                problems.push(format!(
                    "claim {} ({}): {key} is {} in the committed Verdict, {} from its data",
                    i + 1,
                    b["claim"],
                    b[key],
                    a[key]
                ));
            }
        }
    }
    // The page shows verdict.md: it must be the table of these same claims, under the line
    // naming the configuration the committed report says ran.
    let page = generated_dir(C::NAME).join("verdict.md");
    let config: C::Config = serde_json::from_value(file.config.clone())
        .with_context(|| format!("{}: its config does not read back", path.display()))?;
    let changes = configuration_changes::<C>(&config, false)?;
    match std::fs::read_to_string(&page) {
        Ok(text) if text == verdict_page::<C>(&changes, false, &claims, Scale::Full) => {}
        Ok(_) => problems.push(format!(
            "{} is not the table of these claims",
            page.display()
        )),
        Err(e) => problems.push(format!("cannot read {}: {e}", page.display())),
    }
    if !problems.is_empty() {
        bail!(
            "{}'s committed Verdict is not what its claim code says of the committed data \
             (run `cargo xtask run {}`):\n{}",
            C::NAME,
            C::NAME,
            problems.join("\n")
        );
    }
    Ok(())
}

/// The [`Chapter`] impl of a chapter crate, which every chapter writes the same way: its
/// `Config` (with `full()`, `quick()` and a `seed` field), its `Report`, and its functions `run`,
/// `artifacts::write` and `claims`, under the chapter's package name and title. In the chapter's
/// `lib.rs`: `lab::impl_chapter!(Chapter1, "chapter-1", "Why Glorot and He initialisation?");`.
#[macro_export]
macro_rules! impl_chapter {
    ($chapter:ty, $name:literal, $title:literal) => {
        impl $crate::chapter::Chapter for $chapter {
            const NAME: &'static str = $name;
            const TITLE: &'static str = $title;
            const SOURCE_DIR: &'static str = env!("CARGO_MANIFEST_DIR");
            type Config = Config;
            type Report = Report;

            fn full() -> Config {
                Config::full()
            }
            fn quick() -> Config {
                Config::quick()
            }
            fn with_seed(cfg: Config, seed: u64) -> Config {
                Config { seed, ..cfg }
            }
            fn seed(cfg: &Config) -> u64 {
                cfg.seed
            }
            fn run(
                cfg: &Config,
                progress: &$crate::progress::Progress,
            ) -> ::anyhow::Result<Report> {
                run(cfg, progress)
            }
            fn write_artifacts(r: &Report, dir: &::std::path::Path) -> ::anyhow::Result<()> {
                artifacts::write(r, dir)
            }
            fn claims(r: &Report, scale: $crate::claim::Scale) -> Vec<$crate::claim::Claim> {
                claims(r, scale)
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A chapter that runs in microseconds, to exercise the command line and error paths that
    /// every chapter binary shares (their `main` is one call to [`main`]).
    struct Toy;

    #[derive(Clone, Serialize, Deserialize)]
    struct ToyConfig {
        seed: u64,
        fail: bool,
    }

    impl Chapter for Toy {
        const NAME: &'static str = "toy";
        const TITLE: &'static str = "A toy chapter";
        const SOURCE_DIR: &'static str = env!("CARGO_MANIFEST_DIR");
        type Config = ToyConfig;
        type Report = Vec<f64>;
        fn full() -> ToyConfig {
            ToyConfig {
                seed: 1,
                fail: false,
            }
        }
        fn quick() -> ToyConfig {
            Self::full()
        }
        fn with_seed(cfg: ToyConfig, seed: u64) -> ToyConfig {
            ToyConfig { seed, ..cfg }
        }
        fn seed(cfg: &ToyConfig) -> u64 {
            cfg.seed
        }
        fn run(cfg: &ToyConfig, _: &Progress) -> Result<Vec<f64>> {
            if cfg.fail {
                // What a missing data file looks like to a chapter.
                lab::data::fashion_mnist_from(Path::new("/nonexistent/fashion-mnist"))?;
            }
            Ok(vec![cfg.seed as f64, 0.5])
        }
        fn write_artifacts(r: &Vec<f64>, dir: &Path) -> Result<()> {
            if r[0] == 13.0 {
                bail!("cannot draw the figure");
            }
            write_atomic(&dir.join("toy.md"), format!("{r:?}").as_bytes())
        }
        fn claims(r: &Vec<f64>, _: Scale) -> Vec<Claim> {
            vec![
                Claim::new("half is half")
                    .rule("= 0.5")
                    .measured(format!("{}", r[1]))
                    .holds(r[1] == 0.5),
            ]
        }
    }

    fn args(list: &[&str]) -> std::result::Result<Args, clap::Error> {
        Args::try_parse_from(std::iter::once("toy").chain(list.iter().copied()))
    }

    fn temp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("lab-cli-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn bad_arguments_are_refused_by_the_parser() {
        use clap::error::ErrorKind;
        assert_eq!(
            args(&["--bogus"]).unwrap_err().kind(),
            ErrorKind::UnknownArgument
        );
        assert_eq!(
            args(&["--seed", "abc"]).unwrap_err().kind(),
            ErrorKind::ValueValidation
        );
        assert_eq!(
            args(&["--seed"]).unwrap_err().kind(),
            ErrorKind::InvalidValue
        );
        let ok = args(&[
            "--quick",
            "--seed",
            "7",
            "--out",
            "/tmp/x",
            "--threads",
            "1",
        ])
        .unwrap();
        assert!(ok.quick && ok.seed == Some(7) && ok.threads == Some(1));
    }

    #[test]
    fn set_changes_the_configuration_and_refuses_typos_before_any_work() {
        let out = temp("set");
        let dir = out.to_str().unwrap();
        let a = args(&["--set", "seed=4", "--set", "fail=false", "--out", dir]).unwrap();
        run_cli::<Toy>(&a).unwrap();
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap())
                .unwrap();
        assert_eq!(v["config"]["seed"], 4);
        // The page names the configuration that ran.
        let page = std::fs::read_to_string(out.join("verdict.md")).unwrap();
        assert!(
            page.starts_with(
                "*Run with `Config::full()` in `chapters/toy/src/lib.rs` and `--set seed=4`"
            ),
            "{page}"
        );
        std::fs::remove_dir_all(&out).unwrap();

        // A typo and a wrong type: one line each, and nothing created.
        for (arg, expect) in [
            (
                "sed=4",
                "unknown key `sed` (did you mean `seed`?); the keys are: seed, fail",
            ),
            (
                "fail=maybe",
                "--set fail=maybe: this field is true or false",
            ),
        ] {
            let a = args(&["--set", arg, "--out", dir]).unwrap();
            let msg = format!("{:#}", run_cli::<Toy>(&a).unwrap_err());
            assert!(msg.contains(expect) && !msg.contains('\n'), "{msg}");
            assert!(!out.exists(), "{arg}: the output folder was created");
        }
        assert!(args(&["--set", "seed"]).is_err());
    }

    #[test]
    fn print_config_prints_settings_and_runs_nothing() {
        let out = temp("print");
        let a = args(&[
            "--print-config",
            "--set",
            "seed=9",
            "--out",
            out.to_str().unwrap(),
        ]);
        run_cli::<Toy>(&a.unwrap()).unwrap();
        assert!(!out.exists());
        assert_eq!(
            settings::print_lines(
                &configure(&Toy::full(), &settings::parse_all(&["seed=9"]).unwrap()).unwrap()
            )
            .unwrap(),
            "seed = 9\nfail = false\n"
        );
    }

    #[test]
    fn only_the_books_configuration_writes_into_the_book_by_default() {
        let book = Toy::full();
        assert!(
            configuration_changes::<Toy>(&book, false)
                .unwrap()
                .is_empty()
        );
        let other = configure(&book, &settings::parse_all(&["seed=2"]).unwrap()).unwrap();
        assert_eq!(
            configuration_changes::<Toy>(&other, false).unwrap(),
            ["seed=2"]
        );
        let page = verdict_page::<Toy>(&[], false, &[], Scale::Full);
        assert!(
            page.starts_with("*Run with the book's configuration, `Config::full()`"),
            "{page}"
        );
    }

    #[test]
    fn a_run_writes_artifacts_verdict_and_report() {
        let out = temp("ok");
        let a = args(&["--seed", "3", "--out", out.to_str().unwrap()]).unwrap();
        run_cli::<Toy>(&a).unwrap();
        for f in ["toy.md", "verdict.md", "report.json"] {
            assert!(out.join(f).exists(), "{f}");
        }
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap())
                .unwrap();
        assert_eq!(v["config"]["seed"], 3);
        assert_eq!(v["quick"], false);
        let leftovers: Vec<_> = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with('.'))
            .collect();
        assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
        std::fs::remove_dir_all(&out).unwrap();
    }

    #[test]
    fn errors_are_one_line_and_nothing_written_is_lost() {
        // An output folder that cannot be written: refused before the run, naming the folder.
        let a = args(&["--out", "/proc/no-such-dir/out"]).unwrap();
        let msg = format!("{:#}", run_cli::<Toy>(&a).unwrap_err());
        assert!(
            msg.contains("/proc/no-such-dir/out") && msg.contains("not writable"),
            "{msg}"
        );
        assert!(!msg.contains('\n'), "one line: {msg}");

        // A missing data folder: the data error, naming the file and how to restore it.
        let out = temp("fail");
        let a = args(&["--out", out.to_str().unwrap()]).unwrap();
        run_cli::<Toy>(&a).unwrap();
        let before = std::fs::read(out.join("report.json")).unwrap();
        let e = run_chapter_with::<Toy>(
            ToyConfig {
                seed: 1,
                fail: true,
            },
            &out,
        )
        .unwrap_err();
        let msg = format!("{e:#}");
        assert!(
            msg.contains("train-images-idx3-ubyte.gz") && msg.contains("git checkout"),
            "{msg}"
        );
        assert!(!msg.contains('\n'), "one line: {msg}");

        // Failing while writing artifacts (seed 13 makes the figure fail): the earlier artifacts
        // are all still there, whole.
        let a = args(&["--seed", "13", "--out", out.to_str().unwrap()]).unwrap();
        let msg = format!("{:#}", run_cli::<Toy>(&a).unwrap_err());
        assert!(msg.contains("cannot draw the figure"), "{msg}");
        assert_eq!(std::fs::read(out.join("report.json")).unwrap(), before);
        assert!(out.join("toy.md").exists() && out.join("verdict.md").exists());
        std::fs::remove_dir_all(&out).unwrap();
    }

    /// [`run_cli`]'s steps for an explicit config.
    fn run_chapter_with<C: Chapter>(cfg: C::Config, out: &Path) -> Result<()> {
        let report = C::run(&cfg, &Progress::hidden())?;
        write_all::<C>(&report, &cfg, out, false, 0.0)
    }
}
