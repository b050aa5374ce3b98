//! Snapshot helpers: every snapshot lives in `<workspace>/snapshots/<crate>/`, and floats are
//! rounded to a fixed number of significant digits (through a decimal string) before they are
//! compared, so a snapshot records the result, not the last bits of f32 rounding.
//!
//! Keys named `timings` are removed wherever they appear: wall times vary from run to run and
//! are never snapshotted.

use std::path::PathBuf;

use serde::Serialize;
use serde_json::{Number, Value};

pub use book_pipeline::report::round_sig;

/// Significant digits kept in snapshots.
pub const SIGNIFICANT_DIGITS: usize = 4;

/// The folder of a crate's snapshots.
pub fn snapshot_dir(crate_name: &str) -> PathBuf {
    lab::workspace_root().join("snapshots").join(crate_name)
}

/// insta settings for a crate: central folder, no module prefix, sorted maps.
pub fn settings(crate_name: &str) -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path(snapshot_dir(crate_name));
    s.set_prepend_module_to_snapshot(false);
    s.set_sort_maps(true);
    s
}

/// `value` as JSON with `timings` removed and every non-integer number rounded to `sig`
/// significant digits.
pub fn rounded(value: &impl Serialize, sig: usize) -> Value {
    let mut v = serde_json::to_value(value).expect("reports serialise to JSON");
    strip_timings(&mut v);
    round_in_place(&mut v, sig);
    v
}

/// `value` as JSON with `timings` removed, every float exact: equal values mean equal bits.
pub fn exact(value: &impl Serialize) -> Value {
    let mut v = serde_json::to_value(value).expect("reports serialise to JSON");
    strip_timings(&mut v);
    v
}

fn strip_timings(v: &mut Value) {
    match v {
        Value::Object(map) => {
            map.remove("timings");
            map.values_mut().for_each(strip_timings);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_timings),
        _ => {}
    }
}

fn round_in_place(v: &mut Value, sig: usize) {
    match v {
        Value::Number(n) if n.is_f64() => {
            let r = round_sig(n.as_f64().expect("f64"), sig);
            *n = Number::from_f64(r).expect("finite");
        }
        Value::Object(map) => map.values_mut().for_each(|v| round_in_place(v, sig)),
        Value::Array(items) => items.iter_mut().for_each(|v| round_in_place(v, sig)),
        _ => {}
    }
}

/// Snapshot `value` (rounded) as `<workspace>/snapshots/<crate_name>/<name>.snap`.
pub fn assert_snapshot(crate_name: &str, name: &str, value: &impl Serialize) {
    let v = rounded(value, SIGNIFICANT_DIGITS);
    settings(crate_name).bind(|| insta::assert_yaml_snapshot!(name, v));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_through_decimal_and_drops_timings() {
        assert_eq!(round_sig(0.123456, 4), 0.1235);
        assert_eq!(round_sig(123456.0, 2), 120000.0);
        assert_eq!(round_sig(-1.23456e-7, 3), -1.23e-7);
        let v = rounded(
            &serde_json::json!({"a": 0.333333, "n": 3, "timings": {"x": 1.0}, "b": [{"timings": 2}, 1.23456]}),
            3,
        );
        assert_eq!(v, serde_json::json!({"a": 0.333, "n": 3, "b": [{}, 1.23]}));
    }

    #[test]
    fn snapshot_of_lab_itself() {
        // A tiny fixed computation, snapshotted where every crate's snapshots live.
        let x = ndarray::array![[1.0f32, -2.0, 0.5]];
        let p = lab::loss::softmax(x.view());
        assert_snapshot(
            "lab",
            "softmax_example",
            &p.iter().map(|&v| f64::from(v)).collect::<Vec<_>>(),
        );
    }
}
