//! Reading a report back from its `report.json`.
//!
//! JSON has no NaN or infinity, and `serde_json` writes a non-finite float as `null`; a
//! diverged run, or the std of an exploding net beyond the last finite layer, is such a value.
//! [`from_value`] deserialises a report with every `null` that lands in a float read back as NaN
//! (an `Option` still reads `null` as `None`), so the claims of a committed run can be
//! recomputed from its data. Infinities come back as NaN too: claim code treats both as
//! "not finite", never one against the other.

use serde::de::{
    self, DeserializeOwned, DeserializeSeed, Deserializer, EnumAccess, IntoDeserializer, MapAccess,
    SeqAccess, VariantAccess, Visitor,
};
use serde_json::{Error, Value};

/// Deserialise `T` from `value`, reading `null` as NaN where a float is expected.
pub fn from_value<T: DeserializeOwned>(value: &Value) -> Result<T, Error> {
    T::deserialize(NullAsNan(value))
}

/// A borrowed JSON value, deserialised like `serde_json::Value` except for `null` floats.
struct NullAsNan<'a>(&'a Value);

impl<'de, 'a> Deserializer<'de> for NullAsNan<'a> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
                (Some(u), _, _) => visitor.visit_u64(u),
                (_, Some(i), _) => visitor.visit_i64(i),
                (_, _, Some(f)) => visitor.visit_f64(f),
                _ => Err(de::Error::custom(format!("unreadable number {n}"))),
            },
            Value::String(s) => visitor.visit_str(s),
            Value::Array(items) => visitor.visit_seq(Seq(items.iter())),
            Value::Object(map) => visitor.visit_map(Map {
                entries: map.iter(),
                value: None,
            }),
        }
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Null => visitor.visit_f64(f64::NAN),
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Null => visitor.visit_f32(f32::NAN),
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.0 {
            // A unit variant: `"Relu"`.
            Value::String(s) => visitor.visit_enum(s.as_str().into_deserializer()),
            // Any other variant: `{"Normal": {"std": 0.01}}`.
            Value::Object(map) if map.len() == 1 => {
                let (variant, value) = map.iter().next().expect("one entry");
                visitor.visit_enum(Enum { variant, value })
            }
            other => Err(de::Error::custom(format!(
                "expected an enum, found {other}"
            ))),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 char str string bytes byte_buf unit
        unit_struct seq tuple tuple_struct map struct identifier ignored_any
    }
}

struct Seq<'a>(std::slice::Iter<'a, Value>);

impl<'de, 'a> SeqAccess<'de> for Seq<'a> {
    type Error = Error;
    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        self.0
            .next()
            .map(|v| seed.deserialize(NullAsNan(v)))
            .transpose()
    }
    fn size_hint(&self) -> Option<usize> {
        Some(self.0.len())
    }
}

struct Map<'a> {
    entries: serde_json::map::Iter<'a>,
    value: Option<&'a Value>,
}

impl<'de, 'a> MapAccess<'de> for Map<'a> {
    type Error = Error;
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        match self.entries.next() {
            Some((k, v)) => {
                self.value = Some(v);
                seed.deserialize(k.as_str().into_deserializer()).map(Some)
            }
            None => Ok(None),
        }
    }
    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let v = self.value.take().expect("a value follows its key");
        seed.deserialize(NullAsNan(v))
    }
}

struct Enum<'a> {
    variant: &'a str,
    value: &'a Value,
}

impl<'de, 'a> EnumAccess<'de> for Enum<'a> {
    type Error = Error;
    type Variant = NullAsNan<'a>;
    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, Self::Variant), Error> {
        let variant = seed.deserialize(self.variant.into_deserializer())?;
        Ok((variant, NullAsNan(self.value)))
    }
}

impl<'de, 'a> VariantAccess<'de> for NullAsNan<'a> {
    type Error = Error;
    fn unit_variant(self) -> Result<(), Error> {
        Ok(())
    }
    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, Error> {
        seed.deserialize(self)
    }
    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_any(visitor)
    }
    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_any(visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::{Deserialize, Serialize};

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    enum Kind {
        Plain,
        Scaled(f32),
        Normal { std: f64 },
        Pair(u8, f64),
    }

    #[derive(Debug, Serialize, Deserialize)]
    struct Report {
        name: String,
        values: Vec<f64>,
        single: f32,
        maybe: Option<f64>,
        kinds: Vec<Kind>,
        pair: (usize, f64),
        wrapped: Wrapped,
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Wrapped(Vec<f64>);

    #[test]
    fn round_trips_every_shape_and_reads_non_finite_as_nan() {
        let r = Report {
            name: "a".into(),
            values: vec![1.5, f64::NAN, f64::INFINITY, -0.1, 1e300],
            single: f32::NAN,
            maybe: None,
            kinds: vec![
                Kind::Plain,
                Kind::Scaled(0.3),
                Kind::Normal { std: 0.01 },
                Kind::Pair(2, -3.5),
            ],
            pair: (7, 0.1 + 0.2),
            wrapped: Wrapped(vec![2.0, f64::NEG_INFINITY]),
        };
        let text = serde_json::to_string(&r).unwrap();
        assert!(
            serde_json::from_str::<Report>(&text).is_err(),
            "plain serde_json refuses null"
        );
        let back: Report = from_value(&serde_json::from_str(&text).unwrap()).unwrap();
        assert_eq!(back.name, "a");
        assert_eq!(back.values[0], 1.5);
        assert!(back.values[1].is_nan() && back.values[2].is_nan());
        assert_eq!(&back.values[3..], &[-0.1, 1e300]);
        assert!(back.single.is_nan());
        assert_eq!(back.maybe, None);
        assert_eq!(back.kinds, r.kinds);
        assert_eq!(back.pair, (7, 0.1 + 0.2), "floats come back bit for bit");
        assert!(back.wrapped.0[1].is_nan());
        let some: Option<f64> = from_value(&serde_json::json!(2.5)).unwrap();
        assert_eq!(some, Some(2.5));
    }

    #[test]
    fn f32_values_come_back_bit_for_bit() {
        // Through the text, as report.json is read: the shortest decimal of each f32, parsed as
        // f64 (exactly: serde_json's float_roundtrip), then rounded to f32.
        let xs: Vec<f32> = (1..100_000)
            .map(|i| (i as f32).sqrt() * 1.37e-3 + 0.1)
            .collect();
        let text = serde_json::to_string(&xs).unwrap();
        let back: Vec<f32> = from_value(&serde_json::from_str(&text).unwrap()).unwrap();
        assert_eq!(xs, back);
    }
}
