//! Progress bars for long runs, drawn on stderr only when it is a terminal.

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A set of progress bars (one per experiment of a chapter, say). Hidden in tests and when
/// stderr is redirected, so logs and CI output stay clean.
#[derive(Clone)]
pub struct Progress {
    multi: MultiProgress,
}

impl Progress {
    /// Bars on stderr; indicatif draws nothing when stderr is not a terminal.
    pub fn stderr() -> Self {
        Progress {
            multi: MultiProgress::with_draw_target(ProgressDrawTarget::stderr()),
        }
    }

    /// No output at all (tests).
    pub fn hidden() -> Self {
        Progress {
            multi: MultiProgress::with_draw_target(ProgressDrawTarget::hidden()),
        }
    }

    /// A bar of `len` steps labelled `label`, e.g. `progress.bar(7 * 4, "variance sweep")`.
    pub fn bar(&self, len: u64, label: &str) -> ProgressBar {
        let style = ProgressStyle::with_template(
            "{prefix:>24} [{bar:30}] {pos}/{len} {elapsed_precise} {msg}",
        )
        .expect("valid template")
        .progress_chars("=> ");
        let bar = self.multi.add(ProgressBar::new(len));
        bar.set_style(style);
        bar.set_prefix(label.to_string());
        bar
    }
}
