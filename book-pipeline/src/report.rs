//! Writing artifacts: atomic file writes, markdown tables, CSV, JSON.
//!
//! Every artifact is written to a temporary file beside its target and renamed over it, so an
//! interrupted run never leaves a half-written figure or table: a reader sees the old file or the
//! new one, never a mix.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

use anyhow::{Context, Result};
use serde::Serialize;

/// Write `bytes` to `path` atomically (temp file in the same folder, then rename), creating the
/// folder if needed. Errors name the path.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the folder {}", dir.display()))?;
    let name = path
        .file_name()
        .with_context(|| format!("{} is not a file path", path.display()))?;
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.with_context(|| format!("cannot write {}", path.display()))
}

/// Serialize `value` as pretty JSON to `path`, atomically.
pub fn write_json(path: &Path, value: &impl Serialize) -> Result<()> {
    let mut s = serde_json::to_string_pretty(value)?;
    s.push('\n');
    write_atomic(path, s.as_bytes())
}

/// A table of strings, rendered as GitHub-flavoured markdown or CSV.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// Right-align these columns (numbers).
    pub numeric: Vec<bool>,
}

impl Table {
    pub fn new<S: Into<String>>(headers: impl IntoIterator<Item = S>) -> Self {
        let headers: Vec<String> = headers.into_iter().map(Into::into).collect();
        let numeric = vec![false; headers.len()];
        Table {
            headers,
            rows: Vec::new(),
            numeric,
        }
    }

    /// Mark columns as numeric (right-aligned in markdown).
    pub fn numeric_columns(mut self, cols: &[usize]) -> Self {
        cols.iter().for_each(|&c| self.numeric[c] = true);
        self
    }

    pub fn row<S: Into<String>>(&mut self, cells: impl IntoIterator<Item = S>) -> &mut Self {
        let row: Vec<String> = cells.into_iter().map(Into::into).collect();
        assert_eq!(
            row.len(),
            self.headers.len(),
            "row has {} cells, table has {} columns",
            row.len(),
            self.headers.len()
        );
        self.rows.push(row);
        self
    }

    pub fn to_markdown(&self) -> String {
        let esc = |s: &str| s.replace('|', "\\|");
        let mut out = String::new();
        let _ = writeln!(
            out,
            "| {} |",
            self.headers
                .iter()
                .map(|h| esc(h))
                .collect::<Vec<_>>()
                .join(" | ")
        );
        let rule: Vec<&str> = self
            .numeric
            .iter()
            .map(|&n| if n { "---:" } else { "---" })
            .collect();
        let _ = writeln!(out, "|{}|", rule.join("|"));
        for r in &self.rows {
            let _ = writeln!(
                out,
                "| {} |",
                r.iter().map(|c| esc(c)).collect::<Vec<_>>().join(" | ")
            );
        }
        out
    }

    pub fn to_csv(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{}",
            self.headers
                .iter()
                .map(|h| csv_field(h))
                .collect::<Vec<_>>()
                .join(",")
        );
        for r in &self.rows {
            let _ = writeln!(
                out,
                "{}",
                r.iter().map(|c| csv_field(c)).collect::<Vec<_>>().join(",")
            );
        }
        out
    }
}

/// Quote a CSV field when it holds a comma, quote or newline (RFC 4180).
pub fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Format a number with `sig` significant digits, switching to `1.2e-5` form outside [1e-3, 1e5).
pub fn fmt_sig(x: f64, sig: usize) -> String {
    if x.is_nan() {
        return "NaN".into();
    }
    if x.is_infinite() {
        return if x > 0.0 {
            "∞".into()
        } else {
            "−∞".into()
        };
    }
    if x == 0.0 {
        return "0".into();
    }
    let exp = x.abs().log10().floor() as i32;
    if !(-3..5).contains(&exp) {
        let s = format!("{:.*e}", sig.saturating_sub(1), x);
        return s.replace("e-", "e−");
    }
    let decimals = (sig as i32 - 1 - exp).max(0) as usize;
    format!("{x:.decimals$}")
}

/// Round `x` to `sig` significant digits through its decimal form (`{:.3e}` for sig = 4), e.g. to
/// print a learning rate computed in f32 as the decimal it was meant to be.
pub fn round_sig(x: f64, sig: usize) -> f64 {
    if !x.is_finite() || x == 0.0 {
        return x;
    }
    format!("{:.*e}", sig.saturating_sub(1), x)
        .parse()
        .expect("a formatted float parses")
}

/// `mean ± std` with the same number of decimals for both (set by `decimals`).
pub fn fmt_mean_std(mean: f64, std: f64, decimals: usize) -> String {
    format!("{mean:.decimals$} ± {std:.decimals$}")
}

/// Format a fraction as a percentage with `decimals` decimals: `0.8731 → 87.31%`.
pub fn fmt_pct(x: f64, decimals: usize) -> String {
    format!("{:.decimals$}%", 100.0 * x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_render() {
        let mut t = Table::new(["init", "std"]).numeric_columns(&[1]);
        t.row(["He | normal", "1.0"]).row(["a,b", "2"]);
        assert_eq!(
            t.to_markdown(),
            "| init | std |\n|---|---:|\n| He \\| normal | 1.0 |\n| a,b | 2 |\n"
        );
        assert_eq!(t.to_csv(), "init,std\nHe | normal,1.0\n\"a,b\",2\n");
    }

    #[test]
    fn number_formats() {
        assert_eq!(fmt_sig(0.012345, 3), "0.0123");
        assert_eq!(fmt_sig(123.456, 3), "123");
        assert_eq!(fmt_sig(1.5e-7, 2), "1.5e−7");
        assert_eq!(fmt_sig(2.5e9, 2), "2.5e9");
        assert_eq!(fmt_pct(0.87314, 2), "87.31%");
        assert_eq!(fmt_mean_std(0.5, 0.01234, 3), "0.500 ± 0.012");
    }

    #[test]
    fn atomic_write_replaces_and_leaves_no_temp() {
        let dir = std::env::temp_dir().join(format!("lab-report-{}", std::process::id()));
        let p = dir.join("sub/a.txt");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        let names: Vec<_> = std::fs::read_dir(dir.join("sub"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "no temporary file left: {names:?}");
        std::fs::remove_dir_all(&dir).unwrap();
        let err = write_atomic(Path::new("/proc/forbidden/x.txt"), b"x").unwrap_err();
        assert!(format!("{err:#}").contains("/proc/forbidden"), "{err:#}");
    }
}
