//! Strict reading of a JSON input into typed values. Plain serde takes a
//! JSON array for a struct (its fields in order: `[]` would be an empty
//! State) and says where an error is only by line and column; this wrapper
//! around any deserializer
//!
//! * refuses an array where a struct (a JSON object) is expected,
//! * refuses a list or map of more than [`MAX_ENTRIES`] entries, before
//!   reading them all, and
//! * keeps the field path being read, so an error names it
//!   (`containers[0].files./etc/x.type`).
//!
//! Values read through serde's buffering (flattened fields, internally
//! tagged and untagged enums) are checked by their own types only.

use std::cell::RefCell;
use std::fmt;

use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, VariantAccess, Visitor,
};

/// The most entries one JSON list or map of an input may hold.
pub const MAX_ENTRIES: usize = 100_000;

/// An input that could not be read: where, and why.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}{message}", if path.is_empty() { String::new() } else { format!("{path}: ") })]
pub struct StrictError {
    /// The field path (`relations[3].remote_units_data`), empty at the top.
    pub path: String,
    pub message: String,
}

/// Parse `text` as JSON into `T`, strictly (see the module doc).
pub fn from_str<T: de::DeserializeOwned>(text: &str) -> Result<T, StrictError> {
    let path = Path::default();
    let mut json = serde_json::Deserializer::from_str(text);
    let value = T::deserialize(Strict {
        inner: &mut json,
        path: &path,
        key: false,
    })
    .and_then(|v| json.end().map(|()| v));
    value.map_err(|e| StrictError {
        path: path.render(),
        message: e.to_string(),
    })
}

/// The path being read.
#[derive(Default)]
struct Path {
    segments: RefCell<Vec<Segment>>,
    /// The last map key read, until its value is.
    key: RefCell<Option<String>>,
}

enum Segment {
    Key(String),
    Index(usize),
}

impl Path {
    fn push(&self, s: Segment) {
        self.segments.borrow_mut().push(s);
    }

    fn pop(&self) {
        self.segments.borrow_mut().pop();
    }

    fn render(&self) -> String {
        let mut out = String::new();
        for s in self.segments.borrow().iter() {
            match s {
                Segment::Key(k) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(k);
                }
                Segment::Index(i) => out.push_str(&format!("[{i}]")),
            }
        }
        out
    }
}

/// The wrapped deserializer; `key` when it reads a map key.
struct Strict<'p, D> {
    inner: D,
    path: &'p Path,
    key: bool,
}

/// The wrapped visitor.
struct Visit<'p, V> {
    inner: V,
    path: &'p Path,
    as_struct: bool,
    /// Record the string visited as the current map key.
    key: bool,
}

impl<'p, V> Visit<'p, V> {
    fn new(inner: V, path: &'p Path) -> Self {
        Visit {
            inner,
            path,
            as_struct: false,
            key: false,
        }
    }
}

impl<'p, D> Strict<'p, D> {
    fn visit<V>(&self, inner: V) -> Visit<'p, V> {
        Visit {
            inner,
            path: self.path,
            as_struct: false,
            key: self.key,
        }
    }
}

macro_rules! forward {
    ($($method:ident),* $(,)?) => {
        $(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
                let v = self.visit(visitor);
                self.inner.$method(v)
            }
        )*
    };
}

impl<'de, 'p, D: Deserializer<'de>> Deserializer<'de> for Strict<'p, D> {
    type Error = D::Error;

    forward!(
        deserialize_any,
        deserialize_bool,
        deserialize_i8,
        deserialize_i16,
        deserialize_i32,
        deserialize_i64,
        deserialize_i128,
        deserialize_u8,
        deserialize_u16,
        deserialize_u32,
        deserialize_u64,
        deserialize_u128,
        deserialize_f32,
        deserialize_f64,
        deserialize_char,
        deserialize_str,
        deserialize_string,
        deserialize_bytes,
        deserialize_byte_buf,
        deserialize_option,
        deserialize_unit,
        deserialize_seq,
        deserialize_map,
        deserialize_identifier,
        deserialize_ignored_any,
    );

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        let v = self.visit(visitor);
        self.inner.deserialize_unit_struct(name, v)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        let v = self.visit(visitor);
        self.inner.deserialize_newtype_struct(name, v)
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        let v = self.visit(visitor);
        self.inner.deserialize_tuple(len, v)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        let v = self.visit(visitor);
        self.inner.deserialize_tuple_struct(name, len, v)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        let mut v = self.visit(visitor);
        v.as_struct = true;
        self.inner.deserialize_struct(name, fields, v)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        let v = self.visit(visitor);
        self.inner.deserialize_enum(name, variants, v)
    }

    fn is_human_readable(&self) -> bool {
        self.inner.is_human_readable()
    }
}

impl<'de, 'p, V: Visitor<'de>> Visit<'p, V> {
    fn note_key(&self, k: &str) {
        if self.key {
            *self.path.key.borrow_mut() = Some(k.to_string());
        }
    }
}

macro_rules! pass {
    ($($method:ident($t:ty)),* $(,)?) => {
        $(
            fn $method<E: de::Error>(self, v: $t) -> Result<Self::Value, E> {
                self.inner.$method(v)
            }
        )*
    };
}

impl<'de, 'p, V: Visitor<'de>> Visitor<'de> for Visit<'p, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        self.inner.expecting(f)
    }

    pass!(
        visit_bool(bool),
        visit_i8(i8),
        visit_i16(i16),
        visit_i32(i32),
        visit_i64(i64),
        visit_i128(i128),
        visit_u8(u8),
        visit_u16(u16),
        visit_u32(u32),
        visit_u64(u64),
        visit_u128(u128),
        visit_f32(f32),
        visit_f64(f64),
        visit_char(char),
        visit_bytes(&[u8]),
        visit_byte_buf(Vec<u8>),
    );

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        self.note_key(v);
        self.inner.visit_str(v)
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        self.note_key(v);
        self.inner.visit_borrowed_str(v)
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        self.note_key(&v);
        self.inner.visit_string(v)
    }

    fn visit_borrowed_bytes<E: de::Error>(self, v: &'de [u8]) -> Result<Self::Value, E> {
        self.inner.visit_borrowed_bytes(v)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        self.inner.visit_none()
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        self.inner.visit_unit()
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        self.inner.visit_some(Strict {
            inner: d,
            path: self.path,
            key: false,
        })
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        self.inner.visit_newtype_struct(Strict {
            inner: d,
            path: self.path,
            key: false,
        })
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        if self.as_struct {
            return Err(de::Error::custom(format_args!(
                "expected a JSON object, found an array (for {})",
                Expecting(&self.inner)
            )));
        }
        self.inner.visit_seq(Seq {
            inner: seq,
            path: self.path,
            index: 0,
        })
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        self.inner.visit_map(Map {
            inner: map,
            path: self.path,
            count: 0,
        })
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Self::Value, A::Error> {
        self.inner.visit_enum(Enum {
            inner: data,
            path: self.path,
        })
    }
}

/// A visitor's `expecting` as `Display`.
struct Expecting<'a, V>(&'a V);

impl<'de, V: Visitor<'de>> fmt::Display for Expecting<'_, V> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        self.0.expecting(f)
    }
}

/// A seed that reads through the wrapper; `over` names the container
/// whose bound an entry read with it would pass.
struct Seed<'p, S> {
    inner: S,
    path: &'p Path,
    key: bool,
    over: Option<&'static str>,
}

impl<'de, 'p, S: DeserializeSeed<'de>> DeserializeSeed<'de> for Seed<'p, S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        if let Some(what) = self.over {
            return Err(de::Error::custom(format_args!(
                "more than {MAX_ENTRIES} entries in one {what}"
            )));
        }
        self.inner.deserialize(Strict {
            inner: d,
            path: self.path,
            key: self.key,
        })
    }
}

struct Seq<'p, A> {
    inner: A,
    path: &'p Path,
    index: usize,
}

impl<'de, 'p, A: SeqAccess<'de>> SeqAccess<'de> for Seq<'p, A> {
    type Error = A::Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, A::Error> {
        self.path.push(Segment::Index(self.index));
        let v = self.inner.next_element_seed(Seed {
            inner: seed,
            path: self.path,
            key: false,
            over: (self.index >= MAX_ENTRIES).then_some("list"),
        })?;
        self.path.pop();
        self.index += 1;
        Ok(v)
    }

    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint()
    }
}

struct Map<'p, A> {
    inner: A,
    path: &'p Path,
    count: usize,
}

impl<'de, 'p, A: MapAccess<'de>> MapAccess<'de> for Map<'p, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        let over = (self.count >= MAX_ENTRIES).then_some("map");
        self.count += 1;
        *self.path.key.borrow_mut() = None;
        self.inner.next_key_seed(Seed {
            inner: seed,
            path: self.path,
            key: true,
            over,
        })
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, A::Error> {
        let key = self.path.key.borrow_mut().take();
        let pushed = key.is_some();
        if let Some(k) = key {
            self.path.push(Segment::Key(k));
        }
        let v = self.inner.next_value_seed(Seed {
            inner: seed,
            path: self.path,
            key: false,
            over: None,
        })?;
        if pushed {
            self.path.pop();
        }
        Ok(v)
    }

    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint()
    }
}

struct Enum<'p, A> {
    inner: A,
    path: &'p Path,
}

impl<'de, 'p, A: EnumAccess<'de>> EnumAccess<'de> for Enum<'p, A> {
    type Error = A::Error;
    type Variant = Variant<'p, A::Variant>;

    fn variant_seed<S: DeserializeSeed<'de>>(
        self,
        seed: S,
    ) -> Result<(S::Value, Self::Variant), A::Error> {
        let path = self.path;
        let (v, variant) = self.inner.variant_seed(Seed {
            inner: seed,
            path,
            key: false,
            over: None,
        })?;
        Ok((
            v,
            Variant {
                inner: variant,
                path,
            },
        ))
    }
}

struct Variant<'p, A> {
    inner: A,
    path: &'p Path,
}

impl<'de, 'p, A: VariantAccess<'de>> VariantAccess<'de> for Variant<'p, A> {
    type Error = A::Error;

    fn unit_variant(self) -> Result<(), A::Error> {
        self.inner.unit_variant()
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, A::Error> {
        self.inner.newtype_variant_seed(Seed {
            inner: seed,
            path: self.path,
            key: false,
            over: None,
        })
    }

    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, A::Error> {
        self.inner
            .tuple_variant(len, Visit::new(visitor, self.path))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        let mut v = Visit::new(visitor, self.path);
        v.as_struct = true;
        self.inner.struct_variant(fields, v)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize, PartialEq, Default)]
    #[serde(default, deny_unknown_fields)]
    struct Outer {
        name: String,
        inner: Vec<Inner>,
        by_key: BTreeMap<String, Inner>,
        maybe: Option<Inner>,
    }

    #[derive(Debug, Deserialize, PartialEq, Default)]
    #[serde(default, deny_unknown_fields)]
    struct Inner {
        n: u32,
    }

    #[test]
    fn objects_read_as_before() {
        let o: Outer = from_str(
            r#"{"name": "a", "inner": [{"n": 1}], "by_key": {"k": {"n": 2}}, "maybe": {"n": 3}}"#,
        )
        .unwrap();
        assert_eq!(o.inner, vec![Inner { n: 1 }]);
        assert_eq!(o.by_key["k"], Inner { n: 2 });
        assert_eq!(o.maybe, Some(Inner { n: 3 }));
        // Plain serde takes arrays for structs; this does not.
        assert_eq!(
            serde_json::from_str::<Outer>("[]").unwrap(),
            Outer::default()
        );
    }

    #[test]
    fn an_array_for_a_struct_is_refused_where_it_is() {
        let e = from_str::<Outer>("[]").unwrap_err();
        assert_eq!(e.path, "");
        assert!(
            e.message.contains("expected a JSON object, found an array"),
            "{e}"
        );
        let e = from_str::<Outer>(r#"{"inner": [{"n": 1}, [2]]}"#).unwrap_err();
        assert_eq!(e.path, "inner[1]");
        let e = from_str::<Outer>(r#"{"by_key": {"x/y": [2]}}"#).unwrap_err();
        assert_eq!(e.path, "by_key.x/y");
        let e = from_str::<Outer>(r#"{"maybe": []}"#).unwrap_err();
        assert_eq!(e.path, "maybe");
    }

    #[test]
    fn errors_name_the_field_path() {
        let e = from_str::<Outer>(r#"{"by_key": {"k": {"n": "x"}}}"#).unwrap_err();
        assert_eq!(e.path, "by_key.k.n");
        assert!(e.message.contains("invalid type"), "{e}");
        let e = from_str::<Outer>(r#"{"inner": [{"n": 1}, {"m": 1}]}"#).unwrap_err();
        assert_eq!(e.path, "inner[1]");
        assert!(
            e.to_string().starts_with("inner[1]: unknown field `m`"),
            "{e}"
        );
        let e = from_str::<Outer>(r#"{"name": "a"} x"#).unwrap_err();
        assert!(e.message.contains("trailing characters"), "{e}");
    }

    #[test]
    fn long_lists_and_maps_are_refused() {
        let list = format!(
            r#"{{"inner": [{}]}}"#,
            vec!["{}"; MAX_ENTRIES + 1].join(",")
        );
        let e = from_str::<Outer>(&list).unwrap_err();
        assert!(e.message.contains("more than 100000 entries"), "{e}");
        let ok = format!(r#"{{"inner": [{}]}}"#, vec!["{}"; MAX_ENTRIES].join(","));
        assert_eq!(from_str::<Outer>(&ok).unwrap().inner.len(), MAX_ENTRIES);
        let keys: Vec<String> = (0..=MAX_ENTRIES)
            .map(|i| format!(r#""k{i}": {{}}"#))
            .collect();
        let map = format!(r#"{{"by_key": {{{}}}}}"#, keys.join(","));
        let e = from_str::<Outer>(&map).unwrap_err();
        assert_eq!(e.path, "by_key");
        assert!(
            e.message.contains("more than 100000 entries in one map"),
            "{e}"
        );
        let keys = &keys[..MAX_ENTRIES];
        let map = format!(r#"{{"by_key": {{{}}}}}"#, keys.join(","));
        assert_eq!(from_str::<Outer>(&map).unwrap().by_key.len(), MAX_ENTRIES);
    }
}
