//! Axis scales, tick positions and labels, and padded data ranges.

use super::*;

/// How an axis maps values to positions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Scale {
    #[default]
    Linear,
    /// Powers of ten equally spaced; only positive values can be drawn.
    Log10,
}

/// At most about `max_ticks` tick positions with their labels for an axis from `lo` to `hi`.
///
/// Linear axes step by 1, 2 or 5 times a power of ten, labelled with just enough decimals
/// (`0.0`, `0.2`, …) or in `2e-5` form for very small or large numbers. Log axes tick at powers
/// of ten, labelled `1e-4`, `1e-3`, … (or `0.01`, `1`, `100` when every tick lies in
/// [0.01, 1000]); a log axis spanning fewer than three powers of ten adds 2 and 5 times them.
pub fn ticks(lo: f64, hi: f64, scale: Scale, max_ticks: usize) -> Vec<(f64, String)> {
    let (lo, hi) = (lo.min(hi), lo.max(hi));
    if !(lo.is_finite() && hi.is_finite()) || lo == hi {
        return Vec::new();
    }
    match scale {
        Scale::Log10 if lo > 0.0 => log_ticks(lo, hi, max_ticks.max(2)),
        _ => linear_ticks(lo, hi, max_ticks.max(2)),
    }
}

pub(crate) fn linear_ticks(lo: f64, hi: f64, max_ticks: usize) -> Vec<(f64, String)> {
    let base = 10f64.powf(((hi - lo) / max_ticks as f64).log10().floor());
    let first = |step: f64| (lo / step - 1e-9).ceil();
    let last = |step: f64| (hi / step + 1e-9).floor();
    let count = |step: f64| (last(step) - first(step) + 1.0) as usize;
    let steps = [1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0].map(|m| m * base);
    // The finest step that fits; but never fewer than three ticks (two on a tiny axis) when a
    // slightly finer step gives them.
    let least = max_ticks.min(3);
    let step = match steps.iter().copied().find(|&s| count(s) <= max_ticks) {
        Some(s) if count(s) >= least => s,
        _ => steps
            .iter()
            .rev()
            .copied()
            .find(|&s| count(s) >= least)
            .unwrap_or(base),
    };
    let values: Vec<f64> = (first(step) as i64..=last(step) as i64)
        .map(|i| i as f64 * step)
        .collect();
    let labels = linear_labels(&values, step);
    values.into_iter().zip(labels).collect()
}

/// Labels for ticks `step` apart: fixed decimals, or `1.5e-4` form for tiny or huge values.
pub(crate) fn linear_labels(values: &[f64], step: f64) -> Vec<String> {
    let step_exp = (step.log10() + 1e-9).floor();
    let decimals = (-step_exp).max(0.0) as usize;
    let biggest = values.iter().fold(0.0_f64, |m, v| m.max(v.abs()));
    if biggest < 1e5 && decimals <= 3 {
        return values
            .iter()
            .map(|&v| format!("{:.decimals$}", v + 0.0))
            .collect();
    }
    let sci = |v: f64| {
        let digits = ((v.abs().log10() + 1e-9).floor() - step_exp).max(0.0) as usize;
        let s = format!("{v:.digits$e}");
        match s.split_once('e') {
            Some((m, e)) if m.contains('.') => {
                format!("{}e{e}", m.trim_end_matches('0').trim_end_matches('.'))
            }
            _ => s,
        }
    };
    values
        .iter()
        .map(|&v| if v == 0.0 { "0".to_string() } else { sci(v) })
        .collect()
}

pub(crate) fn log_ticks(lo: f64, hi: f64, max_ticks: usize) -> Vec<(f64, String)> {
    let (a, b) = (lo.log10(), hi.log10());
    let (e0, e1) = ((a - 1e-9).ceil() as i32, (b + 1e-9).floor() as i32);
    // Each tick is m · 10^e, kept as (m, e) so that labels never go through a rounded float.
    let decade_ticks = |mantissas: &[i64]| -> Vec<(i64, i32)> {
        (a.floor() as i32..=b.ceil() as i32)
            .flat_map(|e| mantissas.iter().map(move |&m| (m, e)))
            .filter(|&(m, e)| {
                (lo * (1.0 - 1e-9)..=hi * (1.0 + 1e-9)).contains(&(m as f64 * 10f64.powi(e)))
            })
            .collect()
    };
    let powers = (e1 - e0 + 1).max(0) as usize;
    let marks = if powers >= 3 {
        // Every power of ten, or every second, third, ... when there are too many (but at least
        // the first and last).
        let stride = powers.div_ceil(max_ticks) as i32;
        let every: Vec<(i64, i32)> = (e0..=e1)
            .filter(|e| e.rem_euclid(stride) == 0)
            .map(|e| (1, e))
            .collect();
        if every.len() >= 2 {
            every
        } else {
            vec![(1, e0), (1, e1)]
        }
    } else {
        // Less than three decades: 1, 2 and 5 times each power if they fit, else every digit.
        [&[1, 2, 5][..], &[1, 2, 3, 4, 5, 6, 7, 8, 9], &[1]]
            .iter()
            .map(|m| decade_ticks(m))
            .find(|t| (3..=max_ticks).contains(&t.len()))
            .unwrap_or_else(|| decade_ticks(&[1]))
    };
    if marks.len() < 2 {
        return linear_ticks(lo, hi, max_ticks);
    }
    let plain = marks.iter().all(|&(_, e)| (-2..=3).contains(&e));
    marks
        .into_iter()
        .map(|(m, e)| {
            let label = match (plain, e) {
                (true, e) if e >= 0 => format!("{}", m * 10i64.pow(e as u32)),
                (true, e) => format!("{:.*}", (-e) as usize, m as f64 * 10f64.powi(e)),
                (false, e) if m == 1 => format!("1e{e}"),
                (false, e) => format!("{m}e{e}"),
            };
            (m as f64 * 10f64.powi(e), label)
        })
        .collect()
}

/// Unlabelled minor ticks at 2…9 × 10^e on a log axis of at most eight decades.
pub(crate) fn log_minor_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let (a, b) = (lo.log10(), hi.log10());
    if b - a > 8.0 {
        return Vec::new();
    }
    (a.floor() as i32..=b.ceil() as i32)
        .flat_map(|e| (2..=9).map(move |m| f64::from(m) * 10f64.powi(e)))
        .filter(|v| (lo..=hi).contains(v))
        .collect()
}

/// The range of the finite values (positive ones on a log axis), padded a little on each side:
/// 4% of the span on a linear axis, 4% of the decades (at least 0.05 decade) on a log axis.
pub(crate) fn padded_range(values: impl Iterator<Item = f64>, scale: Scale) -> Option<(f64, f64)> {
    let usable = |v: &f64| v.is_finite() && (scale == Scale::Linear || *v > 0.0);
    let (lo, hi) = values
        .filter(usable)
        .fold(None, |r: Option<(f64, f64)>, v| {
            Some(r.map_or((v, v), |(lo, hi)| (lo.min(v), hi.max(v))))
        })?;
    Some(match scale {
        Scale::Linear if lo == hi => {
            let d = if lo == 0.0 { 1.0 } else { 0.1 * lo.abs() };
            (lo - d, hi + d)
        }
        Scale::Linear => (lo - 0.04 * (hi - lo), hi + 0.04 * (hi - lo)),
        Scale::Log10 => {
            let (a, b) = (lo.log10(), hi.log10());
            let pad = if a == b {
                0.5
            } else {
                (0.04 * (b - a)).max(0.05)
            };
            (10f64.powf(a - pad), 10f64.powf(b + pad))
        }
    })
}

/// The axis range to draw: `explicit` if given (checked), else the padded data range, else a
/// default when there is no drawable data.
pub(crate) fn axis_range(
    values: impl Iterator<Item = f64>,
    scale: Scale,
    explicit: Option<(f64, f64)>,
) -> Result<(f64, f64)> {
    if let Some((lo, hi)) = explicit {
        ensure!(
            lo.is_finite() && hi.is_finite() && lo < hi,
            "axis range ({lo}, {hi}) must be finite with lo < hi"
        );
        ensure!(
            scale == Scale::Linear || lo > 0.0,
            "a log axis needs a positive range, not ({lo}, {hi})"
        );
        return Ok((lo, hi));
    }
    Ok(padded_range(values, scale).unwrap_or(match scale {
        Scale::Linear => (0.0, 1.0),
        Scale::Log10 => (1.0, 10.0),
    }))
}
