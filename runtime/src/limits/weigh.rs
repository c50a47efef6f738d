//! The weight of a value crossing a host call: the bytes of its strings and
//! byte arrays, one per byte or flag and eight per other scalar, found by walking it as serde does
//! (no copy, no allocation). Requests and replies (`HookCall`,
//! `PebbleReply`...) are weighed to charge the host's work on them.

use serde::Serialize;
use serde::ser;

/// Bytes `value` carries (strings and bytes by length, `u8` and `bool` as
/// one, other scalars as eight).
pub fn weigh<T: Serialize + ?Sized>(value: &T) -> u64 {
    let mut w = Weigher(0);
    // Weighing never fails: every method below succeeds.
    let _ = value.serialize(&mut w);
    w.0
}

struct Weigher(u64);

#[derive(Debug)]
struct Never;

impl std::fmt::Display for Never {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("never")
    }
}

impl std::error::Error for Never {}

impl ser::Error for Never {
    fn custom<T: std::fmt::Display>(_: T) -> Self {
        Never
    }
}

const SCALAR: u64 = 8;

impl Weigher {
    fn add(&mut self, n: usize) -> Result<(), Never> {
        self.0 = self.0.saturating_add(n as u64);
        Ok(())
    }
}

macro_rules! scalars {
    ($($name:ident: $t:ty),*) => {
        $(fn $name(self, _: $t) -> Result<(), Never> { self.add(SCALAR as usize) })*
    };
}

impl ser::Serializer for &mut Weigher {
    type Ok = ();
    type Error = Never;
    type SerializeSeq = Self;
    type SerializeTuple = Self;
    type SerializeTupleStruct = Self;
    type SerializeTupleVariant = Self;
    type SerializeMap = Self;
    type SerializeStruct = Self;
    type SerializeStructVariant = Self;

    scalars!(serialize_i16: i16, serialize_i32: i32, serialize_i64: i64, serialize_u16: u16,
        serialize_u32: u32, serialize_u64: u64, serialize_f32: f32, serialize_f64: f64,
        serialize_char: char);

    // Bytes are often sequences of `u8` (a `Vec<u8>`): one byte each.
    fn serialize_u8(self, _: u8) -> Result<(), Never> {
        self.add(1)
    }
    fn serialize_i8(self, _: i8) -> Result<(), Never> {
        self.add(1)
    }
    fn serialize_bool(self, _: bool) -> Result<(), Never> {
        self.add(1)
    }

    fn serialize_str(self, v: &str) -> Result<(), Never> {
        self.add(v.len())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), Never> {
        self.add(v.len())
    }
    fn serialize_none(self) -> Result<(), Never> {
        Ok(())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<(), Never> {
        v.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Never> {
        Ok(())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Never> {
        Ok(())
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, _: &'static str) -> Result<(), Never> {
        Ok(())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        v: &T,
    ) -> Result<(), Never> {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        v: &T,
    ) -> Result<(), Never> {
        v.serialize(self)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self, Never> {
        Ok(self)
    }
    fn serialize_tuple(self, _: usize) -> Result<Self, Never> {
        Ok(self)
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self, Never> {
        Ok(self)
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self, Never> {
        Ok(self)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self, Never> {
        Ok(self)
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self, Never> {
        Ok(self)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self, Never> {
        Ok(self)
    }
}

macro_rules! compound {
    ($($tr:ident: $method:ident),*) => {
        $(impl ser::$tr for &mut Weigher {
            type Ok = ();
            type Error = Never;
            fn $method<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Never> {
                v.serialize(&mut **self)
            }
            fn end(self) -> Result<(), Never> {
                Ok(())
            }
        })*
    };
}

compound!(SerializeSeq: serialize_element, SerializeTuple: serialize_element,
    SerializeTupleStruct: serialize_field, SerializeTupleVariant: serialize_field);

impl ser::SerializeMap for &mut Weigher {
    type Ok = ();
    type Error = Never;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, k: &T) -> Result<(), Never> {
        k.serialize(&mut **self)
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Never> {
        v.serialize(&mut **self)
    }
    fn end(self) -> Result<(), Never> {
        Ok(())
    }
}

/// Struct fields: the name is the type's, only the value is weighed.
macro_rules! fields {
    ($($tr:ident),*) => {
        $(impl ser::$tr for &mut Weigher {
            type Ok = ();
            type Error = Never;
            fn serialize_field<T: Serialize + ?Sized>(
                &mut self,
                _: &'static str,
                v: &T,
            ) -> Result<(), Never> {
                v.serialize(&mut **self)
            }
            fn end(self) -> Result<(), Never> {
                Ok(())
            }
        })*
    };
}

fields!(SerializeStruct, SerializeStructVariant);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::HookCall;
    use crate::bindings::types::LogLevel;

    #[test]
    fn strings_count_by_length_and_tags_by_their_names() {
        let call = HookCall::JujuLog {
            level: LogLevel::Info,
            message: "x".repeat(1000),
        };
        assert_eq!(weigh(&call), "juju-log".len() as u64 + 1000);
        let call = HookCall::RelationSet {
            relation: Some(3),
            app: false,
            settings: vec![("key".into(), "value".into())],
        };
        // The tag, relation (8), app (1), "key" and "value".
        assert_eq!(weigh(&call), 12 + 8 + 1 + 3 + 5);
        assert_eq!(weigh(&vec![0u8; 10]), 10, "a Vec<u8> weighs its length");
        assert_eq!(weigh(&serde_bytes_like(10)), 10);
    }

    fn serde_bytes_like(n: usize) -> impl Serialize {
        struct B(Vec<u8>);
        impl Serialize for B {
            fn serialize<S: ser::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_bytes(&self.0)
            }
        }
        B(vec![0; n])
    }
}
