//! The checks every chapter's tests run, and the macro that gives a chapter all of them.

use book_pipeline::chapter::{Chapter, book_verdict, write_all};
use book_pipeline::claim::Scale;
use book_pipeline::progress::Progress;

/// Runs `cfg` in a 1-thread and a 2-thread pool and fails unless the reports are bit-identical
/// (timings excluded).
pub fn assert_same_bits_across_threads<C: Chapter>(cfg: &C::Config) {
    let run_in = |threads| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("thread pool");
        let report = pool
            .install(|| C::run(cfg, &Progress::hidden()))
            .expect("quick run");
        crate::snapshot::exact(&report)
    };
    let (one, two) = (run_in(1), run_in(2));
    if one != two {
        let (a, b) = (one.to_string(), two.to_string());
        let at = a
            .bytes()
            .zip(b.bytes())
            .position(|(x, y)| x != y)
            .unwrap_or(0);
        panic!(
            "{}: reports differ between 1 and 2 threads near …{}…",
            C::NAME,
            &a[at.saturating_sub(80)..(at + 40).min(a.len())]
        );
    }
}

/// The base seeds under which the quick claims are checked: the quick configuration's own and
/// two others, so that a claim that holds only for the seed it was written with fails a test.
pub const SMOKE_SEEDS: [u64; 3] = [1, 2, 3];

/// Runs the quick configuration under each of [`SMOKE_SEEDS`] (reusing `default_run` for the
/// configuration's own seed) and fails listing, per seed, every claim the quick run decides
/// whose outcome differs from the book's: a claim the book shows holding must hold at quick
/// size, and one the book shows failing must fail there too (or be marked full-run only). A
/// claim marked inside the noise (full runs under other base seeds decided it differently) has
/// no verdict to agree with, and is skipped.
pub fn assert_quick_claims_agree_with_the_book<C: Chapter>(default_run: &C::Report) {
    let quick = C::quick();
    let book = book_verdict::<C>();
    let mut problems = Vec::new();
    for seed in SMOKE_SEEDS {
        let fresh;
        let report = if seed == C::seed(&quick) {
            default_run
        } else {
            fresh =
                C::run(&C::with_seed(quick.clone(), seed), &Progress::hidden()).expect("quick run");
            &fresh
        };
        for (i, c) in C::claims(report, Scale::Quick).iter().enumerate() {
            let expected = book
                .as_ref()
                .and_then(|b| b.get(i).copied())
                .unwrap_or(true);
            if c.decided_at(Scale::Quick) && c.inside_noise.is_none() && c.holds != expected {
                problems.push(format!(
                    "base seed {seed}: claim {} {} at quick-run size but {} in the book: {} (rule: {}; measured: {})",
                    i + 1,
                    if c.holds { "holds" } else { "fails" },
                    if expected { "holds" } else { "fails" },
                    c.claim,
                    c.rule,
                    c.measured
                ));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{}: quick claims that disagree with the book:\n{}",
        C::NAME,
        problems.join("\n")
    );
}

/// `cfg` makes training diverge: the run still returns a report in which `diverged` sees the
/// divergence, its artifacts are written (figures drawn from NaNs and all) and its claims judged,
/// without a panic.
pub fn assert_divergence_is_recorded<C: Chapter>(
    cfg: &C::Config,
    diverged: impl Fn(&C::Report) -> bool,
) {
    let report = C::run(cfg, &Progress::hidden()).expect("a run that diverges still reports");
    assert!(diverged(&report), "the divergence is not in the report");
    let dir = crate::robustness::temp_dir(&format!("{}-diverged", C::NAME));
    write_all::<C>(&report, cfg, dir.path(), true, 0.0).expect("artifacts of a diverged run");
    let claims = C::claims(&report, Scale::Quick);
    assert!(!claims.is_empty());
}

/// The tests every chapter has: the quick claims agree with the book under three base seeds, the committed
/// Verdict is what the claim code says of the committed data, the quick report matches its
/// snapshot, the report is bit-identical with 1 and 2 threads, the committed artifacts are
/// fresh, and the artifacts are written. Use in `tests/chapter.rs`:
/// `test_kit::chapter_tests!(chapter_1::Chapter1);`.
#[macro_export]
macro_rules! chapter_tests {
    ($chapter:ty) => {
        use $crate::book_pipeline::chapter::Chapter as _;

        fn quick_report() -> &'static <$chapter as $crate::book_pipeline::chapter::Chapter>::Report
        {
            static REPORT: std::sync::OnceLock<
                <$chapter as $crate::book_pipeline::chapter::Chapter>::Report,
            > = std::sync::OnceLock::new();
            REPORT.get_or_init(|| {
                <$chapter>::run(
                    &<$chapter>::quick(),
                    &$crate::book_pipeline::progress::Progress::hidden(),
                )
                .expect("quick run")
            })
        }

        #[test]
        fn quick_claims_agree_with_the_book_under_three_base_seeds() {
            $crate::checks::assert_quick_claims_agree_with_the_book::<$chapter>(quick_report());
        }

        #[test]
        fn committed_verdict_is_what_the_claims_say_of_its_data() {
            if let Err(e) = $crate::book_pipeline::chapter::check_committed_verdict::<$chapter>() {
                panic!("{e:#}");
            }
        }

        #[test]
        fn quick_report_matches_its_snapshot() {
            $crate::snapshot::assert_snapshot(<$chapter>::NAME, "quick_report", quick_report());
        }

        #[test]
        fn same_bits_with_one_and_two_threads() {
            $crate::checks::assert_same_bits_across_threads::<$chapter>(&<$chapter>::quick());
        }

        #[test]
        fn committed_artifacts_are_fresh() {
            if let Err(e) = $crate::book_pipeline::chapter::check_fresh::<$chapter>() {
                panic!("{e:#}");
            }
        }

        #[test]
        fn artifacts_are_written() {
            let dir = $crate::robustness::temp_dir(&format!("{}-artifacts", <$chapter>::NAME));
            $crate::book_pipeline::chapter::write_all::<$chapter>(
                quick_report(),
                &<$chapter>::quick(),
                dir.path(),
                true,
                0.0,
            )
            .expect("artifacts");
            for f in ["report.json", "verdict.md"] {
                assert!(dir.path().join(f).exists(), "{f} not written");
            }
        }
    };
}
