//! What every chapter binary must survive, as checks run against a built binary: bad
//! arguments, missing or spoiled data, an output folder it cannot write, being killed while
//! writing. Each must end in one clear `error:` line and a non-zero exit (or whole files), never
//! a panic, and must not lose what an earlier run wrote.
//!
//! Every chapter binary is the same `book_pipeline::chapter::main` over its own `Chapter`, so the
//! checks run once, against the small `test-chapter` binary of this crate (`tests/robustness.rs`);
//! a run that diverges is checked per chapter, in process
//! ([`assert_divergence_is_recorded`](crate::checks::assert_divergence_is_recorded)).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// A fresh, empty folder in the temp dir (named after `label`), removed with everything in it
/// when the returned guard is dropped, also when a test fails.
pub fn temp_dir(label: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("lab-{label}-"))
        .tempdir()
        .expect("a temporary folder")
}

fn run(bin: &Path, args: &[&str], data_dir: Option<&Path>) -> Output {
    let mut cmd = Command::new(bin);
    cmd.args(args);
    if let Some(d) = data_dir {
        cmd.env("FASHION_MNIST_DIR", d);
    }
    cmd.output()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()))
}

/// The run failed with exit code `code`, printed no panic, and its stderr holds a line that
/// contains every one of `needles`, which it returns.
fn assert_failed_with(out: &Output, code: i32, needles: &[&str]) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(code),
        "exit code; stderr:\n{stderr}"
    );
    assert!(!stderr.contains("panicked"), "a panic:\n{stderr}");
    let line = stderr
        .lines()
        .find(|l| needles.iter().all(|n| l.contains(n)))
        .unwrap_or_else(|| panic!("no line with {needles:?} in:\n{stderr}"));
    line.to_string()
}

/// `--bogus`, `--seed abc`, `--seed` without a value, `--threads 0`, `--set` with a misspelt
/// key, a value of the wrong type or no `=`: refused before any work (nothing written), with
/// clap's usage error (exit 2) or one `error:` line (exit 1).
pub fn assert_bad_arguments_are_refused(bin: &Path) {
    let out = run(bin, &["--bogus"], None);
    assert_failed_with(&out, 2, &["unexpected argument '--bogus'"]);
    let out = run(bin, &["--seed", "abc"], None);
    assert_failed_with(&out, 2, &["invalid value 'abc'", "--seed"]);
    let out = run(bin, &["--seed"], None);
    assert_failed_with(&out, 2, &["--seed"]);
    let out = run(bin, &["--threads", "0", "--quick"], None);
    assert_failed_with(&out, 1, &["error:", "--threads must be at least 1"]);

    let work = temp_dir("bad-settings");
    let out_dir = work.path().join("out");
    let out_arg = out_dir.to_str().unwrap();
    let out = run(bin, &["--set", "figurs=3", "--out", out_arg], None);
    assert_failed_with(
        &out,
        1,
        &[
            "error:",
            "unknown key `figurs`",
            "did you mean `figures`?",
            "seed, figures",
        ],
    );
    let out = run(bin, &["--set", "figures=many", "--out", out_arg], None);
    assert_failed_with(&out, 1, &["error:", "--set figures=many", "whole number"]);
    let out = run(bin, &["--set", "figures", "--out", out_arg], None);
    assert_failed_with(&out, 2, &["is not key=value"]);
    assert!(
        !out_dir.exists(),
        "a refused run created {}",
        out_dir.display()
    );
}

/// A data folder that is missing, or holds a truncated or a corrupted file: one `error:` line
/// naming the file and how to restore it, exit 1, and the output folder as it was.
pub fn assert_data_errors_are_reported(bin: &Path) {
    let real = lab::data::fashion_mnist_dir();
    let tmp = temp_dir("data-errors");
    let work = tmp.path();
    let out_dir = work.join("out");
    std::fs::create_dir_all(&out_dir).unwrap();
    std::fs::write(out_dir.join("earlier.md"), "from an earlier run\n").unwrap();
    let out_arg = out_dir.to_str().unwrap();

    let missing = work.join("no-such-folder");
    let out = run(bin, &["--quick", "--out", out_arg], Some(&missing));
    assert_failed_with(
        &out,
        1,
        &[
            "error:",
            "$FASHION_MNIST_DIR",
            "train-images-idx3-ubyte.gz",
            "git checkout",
        ],
    );

    // The same folder with the test labels spoiled (the other three files linked, not copied).
    let spoil = |label: &str, bytes: Vec<u8>| -> PathBuf {
        let dir = work.join(label);
        std::fs::create_dir_all(&dir).unwrap();
        for f in std::fs::read_dir(&real).unwrap() {
            let f = f.unwrap().path();
            let link = dir.join(f.file_name().unwrap());
            if std::fs::hard_link(&f, &link).is_err() {
                std::fs::copy(&f, &link).unwrap();
            }
        }
        let target = dir.join("t10k-labels-idx1-ubyte.gz");
        std::fs::remove_file(&target).unwrap();
        std::fs::write(&target, bytes).unwrap();
        dir
    };
    let labels = std::fs::read(real.join("t10k-labels-idx1-ubyte.gz")).expect("the data");
    let truncated = spoil("truncated", labels[..labels.len() / 2].to_vec());
    let mut flipped = labels.clone();
    flipped[labels.len() / 2] ^= 0x55;
    let corrupted = spoil("corrupted", flipped);
    for dir in [truncated, corrupted] {
        let out = run(bin, &["--quick", "--out", out_arg], Some(&dir));
        assert_failed_with(
            &out,
            1,
            &["error:", "t10k-labels-idx1-ubyte.gz", "git checkout"],
        );
    }
    assert_eq!(
        std::fs::read_dir(&out_dir).unwrap().count(),
        1,
        "a failed run left files behind"
    );
    assert_eq!(
        std::fs::read_to_string(out_dir.join("earlier.md")).unwrap(),
        "from an earlier run\n"
    );
}

/// An output folder that cannot be created, or is a file: one `error:` line naming it, exit 1,
/// before any experiment runs.
pub fn assert_unwritable_output_is_refused(bin: &Path) {
    let start = Instant::now();
    let out = run(
        bin,
        &["--quick", "--out", "/proc/lab-cannot-write-here"],
        None,
    );
    assert_failed_with(
        &out,
        1,
        &["error:", "/proc/lab-cannot-write-here", "not writable"],
    );
    let tmp = temp_dir("unwritable");
    let work = tmp.path();
    let file = work.join("a-file");
    std::fs::write(&file, "not a folder").unwrap();
    let out = run(bin, &["--quick", "--out", file.to_str().unwrap()], None);
    assert_failed_with(&out, 1, &["error:", "a-file", "not writable"]);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "not a folder");
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "refused only after running"
    );
}

/// Killed (SIGKILL) as soon as it starts writing artifacts: every file in the output folder is
/// whole (JSON parses, SVG closes, text ends with a newline), and an earlier file is untouched
/// unless replaced whole. A second run then cleans up the temporary files the first left.
pub fn assert_interrupted_writes_leave_whole_files(bin: &Path) {
    let tmp = temp_dir("interrupted");
    let work = tmp.path();
    let out_dir = work.join("out");
    std::fs::create_dir_all(&out_dir).unwrap();
    std::fs::write(
        out_dir.join("report.json"),
        "{\"from\": \"an earlier run\"}\n",
    )
    .unwrap();
    std::fs::write(out_dir.join("earlier.md"), "from an earlier run\n").unwrap();
    let before = names(&out_dir);
    let mut child = Command::new(bin)
        .args([
            "--quick",
            "--threads",
            "1",
            "--out",
            out_dir.to_str().unwrap(),
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start the chapter");
    // Poll until an artifact (or its temporary file) appears, then kill.
    let deadline = Instant::now() + Duration::from_secs(300);
    let mut killed_while_writing = false;
    while Instant::now() < deadline {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        let now = names(&out_dir);
        let is_probe = |n: &String| n.starts_with(".write-test") || n.starts_with("..write-test");
        if now.iter().any(|n| !before.contains(n) && !is_probe(n)) {
            child.kill().ok();
            killed_while_writing = true;
            break;
        }
        std::thread::sleep(Duration::from_micros(200));
    }
    child.wait().ok();
    assert!(
        killed_while_writing,
        "the run ended before it could be interrupted"
    );
    for name in names(&out_dir).iter().filter(|n| !n.starts_with('.')) {
        let path = out_dir.join(name);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            is_whole(name, &text),
            "{name} is half-written:\n{}",
            &text[text.len().saturating_sub(200)..]
        );
    }
    assert_eq!(
        std::fs::read_to_string(out_dir.join("earlier.md")).unwrap(),
        "from an earlier run\n"
    );
    // The next run removes the temporary files the killed one left, as it starts (this one then
    // stops at the missing data, in a moment).
    let out = Command::new(bin)
        .args([
            "--quick",
            "--threads",
            "1",
            "--out",
            out_dir.to_str().unwrap(),
        ])
        .env("FASHION_MNIST_DIR", work.join("no-data"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let left: Vec<String> = names(&out_dir)
        .into_iter()
        .filter(|n| n.contains(".tmp-"))
        .collect();
    assert!(left.is_empty(), "temporary files left: {left:?}");
}

fn names(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Whether an artifact's text is complete, judged by its kind.
fn is_whole(name: &str, text: &str) -> bool {
    match Path::new(name).extension().and_then(|x| x.to_str()) {
        Some("json") => serde_json::from_str::<serde_json::Value>(text).is_ok(),
        Some("svg") => text.trim_end().ends_with("</svg>"),
        _ => text.ends_with('\n'),
    }
}
