//! `--set key=value`: change any field of a chapter's configuration from the command line.
//!
//! The configuration is edited in its JSON form, the one `report.json` records: a dotted key
//! walks into the nested structs (`quality.width`, `net.sgd.lr`), the text after `=` is read as
//! the type of the value it replaces, and the edited JSON is read back into the chapter's
//! `Config`. So every field a chapter adds can be set with no code of its own, and a typo or a
//! value of the wrong type is refused, naming the key, before anything runs.

use std::str::FromStr;

use anyhow::{Context, Result, anyhow, bail};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Number, Value};

/// One `key=value` of the command line.
#[derive(Clone, Debug, PartialEq)]
pub struct Setting {
    pub key: String,
    pub value: String,
}

impl FromStr for Setting {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.split_once('=') {
            Some((key, value)) if !key.trim().is_empty() => Ok(Setting {
                key: key.trim().to_string(),
                value: value.trim().to_string(),
            }),
            _ => Err(format!(
                "`{s}` is not key=value (e.g. `seeds=5`; --print-config lists the keys)"
            )),
        }
    }
}

/// `base` with every setting applied in order. Each setting is checked on its own (its key
/// exists, its value has the field's type and reads back into `C`), so an error names it.
pub fn configure<C: Serialize + DeserializeOwned>(base: &C, settings: &[Setting]) -> Result<C> {
    let mut json = to_json(base)?;
    for s in settings {
        apply(&mut json, s)?;
        serde_json::from_value::<C>(json.clone())
            .map_err(|e| anyhow!("--set {}={}: {e}", s.key, s.value))?;
    }
    serde_json::from_value(json).context("the configuration does not read back")
}

/// `config` as JSON, its fields in their declared order, through its text as `report.json`
/// holds it (so an `f32` 0.01 reads 0.01, not the `f64` nearest to it).
pub fn to_json<C: Serialize>(config: &C) -> Result<Value> {
    Ok(serde_json::from_str(&serde_json::to_string(config)?)?)
}

/// Every key `--set` accepts in `config`, dotted, with its current value: the lines of
/// `--print-config`. Lists are one value each (`sparsities = [0.5,0.9]`).
pub fn leaves(config: &Value) -> Vec<(String, &Value)> {
    fn walk<'a>(v: &'a Value, path: &str, out: &mut Vec<(String, &'a Value)>) {
        match v {
            Value::Object(map) if !map.is_empty() => {
                for (k, child) in map {
                    let key = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    walk(child, &key, out);
                }
            }
            _ => out.push((path.to_string(), v)),
        }
    }
    let mut out = Vec::new();
    walk(config, "", &mut out);
    out
}

/// The keys whose values differ between `config` and `base`, as `key=value` (what `--set`
/// would take to turn `base` into `config`).
pub fn differences(config: &Value, base: &Value) -> Vec<String> {
    let base: std::collections::HashMap<String, &Value> = leaves(base).into_iter().collect();
    leaves(config)
        .into_iter()
        .filter(|(k, v)| base.get(k) != Some(v))
        .map(|(k, v)| format!("{k}={}", compact(v)))
        .collect()
}

/// A value as `--set` writes it: numbers and lists as JSON, names without quotes.
pub fn compact(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Replace the value at `setting.key` in `config`, read as the type of the value it replaces.
pub fn apply(config: &mut Value, setting: &Setting) -> Result<()> {
    let keys: Vec<String> = leaves(config).into_iter().map(|(k, _)| k).collect();
    let mut node = &mut *config;
    for part in setting.key.split('.') {
        node = match node {
            Value::Object(map) if map.contains_key(part) => map.get_mut(part).expect("present"),
            _ => return Err(unknown_key(&setting.key, &keys)),
        };
    }
    *node = parse_like(node, &setting.value)
        .map_err(|why| anyhow!("--set {}={}: {why}", setting.key, setting.value))?;
    Ok(())
}

/// One line: the unknown key, the valid ones it most likely meant (those ending in the same
/// name, else the nearest by edit distance), and all of them.
fn unknown_key(key: &str, keys: &[String]) -> anyhow::Error {
    let last = |k: &str| k.rsplit('.').next().unwrap_or_default().to_string();
    let mut likely: Vec<&String> = keys.iter().filter(|k| last(k) == last(key)).collect();
    if likely.is_empty() {
        likely.extend(
            keys.iter()
                .map(|k| (strsim::levenshtein(key, k), k))
                .min()
                .filter(|(d, _)| *d <= 3)
                .map(|(_, k)| k),
        );
    }
    let hint = if likely.is_empty() {
        String::new()
    } else {
        let names: Vec<String> = likely.iter().map(|k| format!("`{k}`")).collect();
        format!(" (did you mean {}?)", names.join(" or "))
    };
    anyhow!(
        "--set: unknown key `{key}`{hint}; the keys are: {}",
        keys.join(", ")
    )
}

/// `text` read as a value of the same JSON type as `old`; the error says which type.
fn parse_like(old: &Value, text: &str) -> std::result::Result<Value, String> {
    let digits = text.replace('_', "");
    match old {
        Value::Number(n) if n.is_u64() => digits
            .parse::<u64>()
            .map(Value::from)
            .map_err(|_| "this field is a whole number ≥ 0 (e.g. 256)".into()),
        Value::Number(n) if n.is_i64() => digits
            .parse::<i64>()
            .map(Value::from)
            .map_err(|_| "this field is a whole number (e.g. -3)".into()),
        Value::Number(_) => digits
            .parse::<f64>()
            .ok()
            .and_then(Number::from_f64)
            .map(Value::Number)
            .ok_or_else(|| "this field is a finite number (e.g. 0.01 or 1e-3)".into()),
        Value::Bool(_) => text
            .parse::<bool>()
            .map(Value::Bool)
            .map_err(|_| "this field is true or false".into()),
        Value::String(_) => Ok(Value::String(text.to_string())),
        Value::Array(_) => {
            // `0.5,0.9` is accepted for `[0.5,0.9]`: brackets need quoting in most shells.
            let json = if text.starts_with('[') {
                text.to_string()
            } else {
                format!("[{text}]")
            };
            match serde_json::from_str::<Value>(&json) {
                Ok(v @ Value::Array(_)) => Ok(v),
                _ => Err("this field is a list: write it as 0.5,0.9 or as JSON, [0.5,0.9]".into()),
            }
        }
        Value::Object(map) => match serde_json::from_str::<Value>(text) {
            Ok(v @ Value::Object(_)) => Ok(v),
            _ => Err(format!(
                "this is a group of settings, not one value: set one of its keys ({}), \
                 or give the whole group as JSON",
                map.keys().cloned().collect::<Vec<_>>().join(", ")
            )),
        },
        Value::Null => serde_json::from_str::<Value>(text)
            .map_err(|_| "this field is empty (null): give its value as JSON".into()),
    }
}

/// Parse `key=value` strings (tests and callers without clap).
pub fn parse_all(args: &[&str]) -> Result<Vec<Setting>> {
    args.iter()
        .map(|a| Setting::from_str(a).map_err(|e| anyhow!(e)))
        .collect()
}

/// `config` as the lines `--print-config` prints: `key = value`, one per settable key.
pub fn print_lines<C: Serialize>(config: &C) -> Result<String> {
    let json = to_json(config)?;
    if !matches!(json, Value::Object(_)) {
        bail!("a configuration is a struct");
    }
    Ok(leaves(&json)
        .into_iter()
        .map(|(k, v)| format!("{k} = {}\n", compact(v)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
    struct Net {
        width: usize,
        lr: f32,
        hidden: Vec<usize>,
    }

    #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
    enum Penalty {
        None,
        L1,
    }

    #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
    struct Config {
        seed: u64,
        shift: i32,
        nesterov: bool,
        penalty: Penalty,
        net: Net,
    }

    fn base() -> Config {
        Config {
            seed: 1,
            shift: -2,
            nesterov: false,
            penalty: Penalty::None,
            net: Net {
                width: 128,
                lr: 0.01,
                hidden: vec![128, 64],
            },
        }
    }

    fn set(args: &[&str]) -> Result<Config> {
        configure(&base(), &parse_all(args)?)
    }

    fn error(args: &[&str]) -> String {
        format!("{:#}", set(args).unwrap_err())
    }

    #[test]
    fn every_type_of_field_can_be_set() {
        let c = set(&[
            "seed=7",
            "shift=-5",
            "nesterov=true",
            "penalty=L1",
            "net.width=1_024",
            "net.lr=3e-2",
            "net.hidden=256,256,256",
        ])
        .unwrap();
        assert_eq!(
            c,
            Config {
                seed: 7,
                shift: -5,
                nesterov: true,
                penalty: Penalty::L1,
                net: Net {
                    width: 1024,
                    lr: 0.03,
                    hidden: vec![256, 256, 256]
                }
            }
        );
        assert_eq!(set(&["net.hidden=[32]"]).unwrap().net.hidden, vec![32]);
        // Later settings win.
        assert_eq!(set(&["seed=2", "seed=3"]).unwrap().seed, 3);
    }

    #[test]
    fn an_unknown_key_is_one_line_naming_the_nearest_and_all_keys() {
        let msg = error(&["net.widht=256"]);
        assert!(msg.contains("unknown key `net.widht`"), "{msg}");
        assert!(msg.contains("did you mean `net.width`?"), "{msg}");
        for k in [
            "seed",
            "shift",
            "nesterov",
            "penalty",
            "net.width",
            "net.lr",
            "net.hidden",
        ] {
            assert!(msg.contains(k), "{k} missing from: {msg}");
        }
        assert!(!msg.contains('\n'), "{msg}");
        // A key below a value is unknown too, and nothing near it is suggested.
        let msg = error(&["seed.x.y.z=1"]);
        assert!(
            msg.contains("unknown key") && !msg.contains("did you mean"),
            "{msg}"
        );
    }

    #[test]
    fn a_value_of_the_wrong_type_names_the_field_and_the_type() {
        for (arg, expect) in [
            ("net.width=2.5", "whole number ≥ 0"),
            ("net.width=-1", "whole number ≥ 0"),
            ("shift=x", "whole number"),
            ("net.lr=fast", "finite number"),
            ("net.lr=inf", "finite number"),
            ("nesterov=yes", "true or false"),
            ("net.hidden=[1,", "a list"),
            ("net=5", "set one of its keys (width, lr, hidden)"),
            (
                "penalty=L3",
                "unknown variant `L3`, expected `None` or `L1`",
            ),
            ("net.hidden=[1.5]", "invalid type"),
        ] {
            let msg = error(&[arg]);
            assert!(msg.contains(&format!("--set {arg}")), "{arg}: {msg}");
            assert!(msg.contains(expect), "{arg}: {msg}");
            assert!(!msg.contains('\n'), "{msg}");
        }
        assert!(parse_all(&["seed"]).is_err() && parse_all(&["=3"]).is_err());
    }

    #[test]
    fn differences_are_the_settings_that_make_them() {
        let b = to_json(&base()).unwrap();
        assert!(differences(&b, &b).is_empty());
        let args = ["net.width=256", "penalty=L1", "net.hidden=[1,2]"];
        let c = to_json(&set(&args).unwrap()).unwrap();
        let diff = differences(&c, &b);
        assert_eq!(diff, ["penalty=L1", "net.width=256", "net.hidden=[1,2]"]);
        // Applying them to the base gives the configuration back.
        let diff: Vec<&str> = diff.iter().map(String::as_str).collect();
        assert_eq!(to_json(&set(&diff).unwrap()).unwrap(), c);
    }

    #[test]
    fn printed_lines_are_settings() {
        let text = print_lines(&base()).unwrap();
        assert!(text.contains("net.lr = 0.01\n") && text.contains("penalty = None\n"));
        let args: Vec<String> = text.lines().map(|l| l.replace(" = ", "=")).collect();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        assert_eq!(set(&args).unwrap(), base());
    }
}
