//! Compact JSON: the bytes `serde_json::to_writer` writes, with strings escaped a block of
//! bytes at a time.
//!
//! Why not `serde_json` itself: an initiative's JSON (`projects/<id>.json`, and the same
//! bytes in `records.json`) is mostly its Markdown body, and `serde_json` looks up every
//! byte of every string in a table to find the few it escapes: half of the time spent
//! writing an initiative's JSON went to that loop. Here a string is scanned sixteen bytes
//! at a time for a byte to escape (a control character, `"` or `\`), then eight at a time
//! within the block that has one; the runs between are copied as they are.
//!
//! Invariant: [`to_vec`] writes what `serde_json::to_writer` writes for the same value, byte
//! for byte, and fails where it fails (a map key that is not a string, a number, a bool or
//! a unit variant); the tests compare the two on every kind of value
//! (`values_write_as_serde_json_writes_them`, `strings_escape_as_serde_json_escapes_them`,
//! `map_keys_are_strings_or_quoted_as_serde_json_quotes_them`). Numbers are formatted by the
//! crates `serde_json` formats them with (`itoa`; `zmij` for floats, `null` for a float that
//! is not finite).

use serde::Serialize;
use serde::ser::{self, Impossible};

/// Why a value could not be written: a map key of a kind JSON has no key for, or an error
/// a value's own `Serialize` reported.
#[derive(Debug)]
pub struct Error(String);

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl ser::Error for Error {
    fn custom<T: std::fmt::Display>(msg: T) -> Error {
        Error(msg.to_string())
    }
}

/// Appends `value` to `out` as compact JSON (see the module documentation).
pub fn to_vec<T: Serialize + ?Sized>(value: &T, out: &mut Vec<u8>) -> Result<(), Error> {
    value.serialize(&mut Writer { out })
}

/// The serializer: writes to the end of `out`.
struct Writer<'o> {
    out: &'o mut Vec<u8>,
}

/// Is `byte` one JSON escapes in a string (`serde_json` escapes these and no other)?
#[inline(always)]
fn escaped(byte: u8) -> bool {
    byte < 0x20 || byte == b'"' || byte == b'\\'
}

/// The index of the first byte of `bytes` from `from` on that [`escaped`] says must be
/// escaped, or `bytes.len()`.
#[inline]
fn next_escaped(bytes: &[u8], from: usize) -> usize {
    let mut i = from;
    // Sixteen bytes at a time with no early exit within: the compiler compares them all at
    // once (most blocks of text have nothing to escape).
    while let Some(block) = bytes.get(i..i + 16) {
        if block.iter().fold(false, |any, &b| any | escaped(b)) {
            break;
        }
        i += 16;
    }
    // Then where in the block (or in the last bytes), eight at a time.
    while let Some(word) = bytes.get(i..i + 8) {
        let flags = escaped_in(u64::from_le_bytes(word.try_into().unwrap_or_default()));
        if flags != 0 {
            return i + (flags.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < bytes.len() && !escaped(bytes[i]) {
        i += 1;
    }
    i
}

/// The bytes of `word` (eight, the first in the lowest bits) that [`escaped`] says must be
/// escaped, each flagged by its high bit. The lowest flag is always right (a byte above a
/// flagged one may be flagged too, by the borrow of a subtraction: the caller needs only
/// the lowest).
#[inline(always)]
fn escaped_in(word: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let below = |limit: u8, w: u64| w.wrapping_sub(ONES * u64::from(limit)) & !w & HIGH;
    below(0x20, word) | below(1, word ^ (ONES * u64::from(b'"'))) | below(1, word ^ (ONES * u64::from(b'\\')))
}

/// Appends `s` as a JSON string, escaped as `serde_json` escapes it: `"` and `\` with a
/// backslash, the control characters that have a short escape with it (`\b \t \n \f \r`),
/// the others as `\u00xx`; every other character as it is.
fn push_string(out: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let mut run = 0;
    let mut i = next_escaped(bytes, 0);
    while i < bytes.len() {
        out.extend_from_slice(&bytes[run..i]);
        let byte = bytes[i];
        match byte {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\x08' => out.extend_from_slice(b"\\b"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\x0c' => out.extend_from_slice(b"\\f"),
            b'\r' => out.extend_from_slice(b"\\r"),
            _ => out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(byte >> 4)],
                HEX[usize::from(byte & 0xF)],
            ]),
        }
        run = i + 1;
        i = next_escaped(bytes, run);
    }
    out.extend_from_slice(&bytes[run..]);
    out.push(b'"');
}

fn push_integer(out: &mut Vec<u8>, value: impl itoa::Integer) {
    out.extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
}

/// A float as `serde_json` writes it: `null` if it is not finite (NaN, an infinity).
fn push_float<F: zmij::Float>(out: &mut Vec<u8>, value: F, finite: bool) {
    if finite {
        out.extend_from_slice(zmij::Buffer::new().format_finite(value).as_bytes());
    } else {
        out.extend_from_slice(b"null");
    }
}

/// A list or map being written: whether an item was written yet (the next one needs a
/// comma), and what closes it (`]` or `}`, then `}` for the object around an enum
/// variant's value).
pub struct Compound<'w, 'o> {
    writer: &'w mut Writer<'o>,
    first: bool,
    close: &'static [u8],
}

impl Compound<'_, '_> {
    fn comma(&mut self) {
        if !self.first {
            self.writer.out.push(b',');
        }
        self.first = false;
    }

    fn end(self) -> Result<(), Error> {
        self.writer.out.extend_from_slice(self.close);
        Ok(())
    }
}

impl<'w, 'o> Writer<'o> {
    fn compound(&'w mut self, open: &[u8], close: &'static [u8]) -> Compound<'w, 'o> {
        self.out.extend_from_slice(open);
        Compound {
            writer: self,
            first: true,
            close,
        }
    }

    /// `{"variant":`, the start of an enum variant with a value.
    fn variant_key(&mut self, variant: &str) {
        self.out.push(b'{');
        push_string(self.out, variant);
        self.out.push(b':');
    }
}

/// `serialize_i8` to `serialize_u128`, each writing its integer with `write`.
macro_rules! integers {
    ($write:expr) => {
        integers!($write; serialize_i8 i8, serialize_i16 i16, serialize_i32 i32, serialize_i64 i64,
            serialize_i128 i128, serialize_u8 u8, serialize_u16 u16, serialize_u32 u32,
            serialize_u64 u64, serialize_u128 u128);
    };
    ($write:expr; $($method:ident $t:ty),*) => {
        $(fn $method(self, v: $t) -> Result<(), Error> {
            #[allow(clippy::redundant_closure_call)]
            ($write)(self, v)
        })*
    };
}

impl<'w, 'o> ser::Serializer for &'w mut Writer<'o> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Compound<'w, 'o>;
    type SerializeTuple = Compound<'w, 'o>;
    type SerializeTupleStruct = Compound<'w, 'o>;
    type SerializeTupleVariant = Compound<'w, 'o>;
    type SerializeMap = Compound<'w, 'o>;
    type SerializeStruct = Compound<'w, 'o>;
    type SerializeStructVariant = Compound<'w, 'o>;

    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        self.out.extend_from_slice(if v { b"true" } else { b"false" });
        Ok(())
    }
    integers!(|writer: Self, v| {
        push_integer(writer.out, v);
        Ok(())
    });
    fn serialize_f32(self, v: f32) -> Result<(), Error> {
        push_float(self.out, v, v.is_finite());
        Ok(())
    }
    fn serialize_f64(self, v: f64) -> Result<(), Error> {
        push_float(self.out, v, v.is_finite());
        Ok(())
    }
    fn serialize_char(self, v: char) -> Result<(), Error> {
        push_string(self.out, v.encode_utf8(&mut [0; 4]));
        Ok(())
    }
    fn serialize_str(self, v: &str) -> Result<(), Error> {
        push_string(self.out, v);
        Ok(())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), Error> {
        let mut seq = self.compound(b"[", b"]");
        for byte in v {
            seq.comma();
            push_integer(seq.writer.out, *byte);
        }
        seq.end()
    }
    fn serialize_none(self) -> Result<(), Error> {
        self.serialize_unit()
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Error> {
        self.out.extend_from_slice(b"null");
        Ok(())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Error> {
        self.serialize_unit()
    }
    fn serialize_unit_variant(self, _name: &'static str, _index: u32, variant: &'static str) -> Result<(), Error> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _name: &'static str, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.variant_key(variant);
        value.serialize(&mut *self)?;
        self.out.push(b'}');
        Ok(())
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Compound<'w, 'o>, Error> {
        Ok(self.compound(b"[", b"]"))
    }
    fn serialize_tuple(self, len: usize) -> Result<Compound<'w, 'o>, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _name: &'static str, len: usize) -> Result<Compound<'w, 'o>, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'w, 'o>, Error> {
        self.variant_key(variant);
        Ok(self.compound(b"[", b"]}"))
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Compound<'w, 'o>, Error> {
        Ok(self.compound(b"{", b"}"))
    }
    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Compound<'w, 'o>, Error> {
        Ok(self.compound(b"{", b"}"))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'w, 'o>, Error> {
        self.variant_key(variant);
        Ok(self.compound(b"{", b"}}"))
    }
}

impl Compound<'_, '_> {
    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.comma();
        value.serialize(&mut *self.writer)
    }
}

/// The lists: a sequence, a tuple, a tuple struct, a tuple variant's values.
macro_rules! lists {
    ($($list:ident::$method:ident),*) => {
        $(impl ser::$list for Compound<'_, '_> {
            type Ok = ();
            type Error = Error;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
                self.element(value)
            }
            fn end(self) -> Result<(), Error> {
                Compound::end(self)
            }
        })*
    };
}

lists!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

impl ser::SerializeMap for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        self.comma();
        key.serialize(MapKey { out: self.writer.out })?;
        self.writer.out.push(b':');
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        value.serialize(&mut *self.writer)
    }
    fn end(self) -> Result<(), Error> {
        Compound::end(self)
    }
}

/// The objects whose keys are field names: a struct, a struct variant's fields.
macro_rules! structs {
    ($($object:ident),*) => {
        $(impl ser::$object for Compound<'_, '_> {
            type Ok = ();
            type Error = Error;
            fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), Error> {
                self.comma();
                push_string(self.writer.out, key);
                self.writer.out.push(b':');
                value.serialize(&mut *self.writer)
            }
            fn end(self) -> Result<(), Error> {
                Compound::end(self)
            }
        })*
    };
}

structs!(SerializeStruct, SerializeStructVariant);

/// A map key: JSON's keys are strings, so a number or a bool is written in quotes, as
/// `serde_json` writes it; any other kind of key is an error, as there.
struct MapKey<'o> {
    out: &'o mut Vec<u8>,
}

fn key_must_be_a_string() -> Error {
    Error("key must be a string".to_owned())
}

impl MapKey<'_> {
    fn quoted(self, digits: &[u8]) -> Result<(), Error> {
        self.out.push(b'"');
        self.out.extend_from_slice(digits);
        self.out.push(b'"');
        Ok(())
    }
}

impl ser::Serializer for MapKey<'_> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Impossible<(), Error>;
    type SerializeTuple = Impossible<(), Error>;
    type SerializeTupleStruct = Impossible<(), Error>;
    type SerializeTupleVariant = Impossible<(), Error>;
    type SerializeMap = Impossible<(), Error>;
    type SerializeStruct = Impossible<(), Error>;
    type SerializeStructVariant = Impossible<(), Error>;

    fn serialize_str(self, v: &str) -> Result<(), Error> {
        push_string(self.out, v);
        Ok(())
    }
    fn serialize_char(self, v: char) -> Result<(), Error> {
        push_string(self.out, v.encode_utf8(&mut [0; 4]));
        Ok(())
    }
    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        self.quoted(if v { b"true" } else { b"false" })
    }
    integers!(|key: Self, v| key.quoted(itoa::Buffer::new().format(v).as_bytes()));
    fn serialize_f32(self, v: f32) -> Result<(), Error> {
        if !v.is_finite() {
            return Err(Error("float key must be finite (got NaN or +/-inf)".to_owned()));
        }
        self.quoted(zmij::Buffer::new().format_finite(v).as_bytes())
    }
    fn serialize_f64(self, v: f64) -> Result<(), Error> {
        if !v.is_finite() {
            return Err(Error("float key must be finite (got NaN or +/-inf)".to_owned()));
        }
        self.quoted(zmij::Buffer::new().format_finite(v).as_bytes())
    }
    fn serialize_unit_variant(self, _name: &'static str, _index: u32, variant: &'static str) -> Result<(), Error> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _name: &'static str, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_bytes(self, _v: &[u8]) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_none(self) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _value: &T) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_unit(self) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Impossible<(), Error>, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple(self, _len: usize) -> Result<Impossible<(), Error>, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple_struct(self, _name: &'static str, _len: usize) -> Result<Impossible<(), Error>, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Impossible<(), Error>, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Impossible<(), Error>, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Impossible<(), Error>, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Impossible<(), Error>, Error> {
        Err(key_must_be_a_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::collections::BTreeMap;

    fn ours<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, Error> {
        let mut out = Vec::new();
        to_vec(value, &mut out).map(|()| out)
    }

    fn assert_same<T: Serialize + ?Sized + std::fmt::Debug>(value: &T) {
        let expected = serde_json::to_vec(value).unwrap();
        let got = ours(value).unwrap();
        assert_eq!(
            String::from_utf8_lossy(&got),
            String::from_utf8_lossy(&expected),
            "{value:?}"
        );
    }

    #[test]
    fn strings_escape_as_serde_json_escapes_them() {
        // Every byte value a string can hold alone, then each escaped character at every
        // place of a block, between runs of every length.
        for c in (0u32..0x80).chain([0xA0, 0x7FF, 0x800, 0xFFFF, 0x10000, 0x10FFFF]) {
            let c = char::from_u32(c).unwrap();
            assert_same(&c.to_string());
            assert_same(&c);
        }
        for special in ['"', '\\', '\n', '\r', '\t', '\x08', '\x0c', '\0', '\x1f', '\x7f', 'é'] {
            for len in [0, 1, 15, 16, 17, 31, 32, 33, 100] {
                for at in [0, len / 2, len] {
                    let mut text = "aé".repeat(len).chars().take(len).collect::<String>();
                    let at = text.char_indices().nth(at).map_or(text.len(), |(i, _)| i);
                    text.insert(at, special);
                    assert_same(&text);
                }
            }
        }
        assert_same("");
        assert_same("line\nbreak \"quoted\" back\\slash\ttab\u{1}");
        assert_same(&"\n".repeat(40));
    }

    #[test]
    fn next_escaped_finds_the_first_byte_to_escape() {
        // Bytes of every kind, among them those whose subtraction borrows into the next.
        let kinds = [
            b'a', b' ', b'"', b'\\', 0, 0x1f, 0x20, 0x21, 0x23, 0x5b, 0x5d, 0x7f, 0x80, 0xa2, 0xdc, 0xff,
        ];
        let mut state = 7u64;
        let mut next = || {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            (state >> 33) as usize
        };
        for _ in 0..20_000 {
            let len = next() % 40;
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    if next() % 4 == 0 {
                        kinds[next() % kinds.len()]
                    } else {
                        b'a'
                    }
                })
                .collect();
            for from in 0..=len {
                let expected = (from..len).find(|&i| escaped(bytes[i])).unwrap_or(len);
                assert_eq!(next_escaped(&bytes, from), expected, "{bytes:?} from {from}");
            }
        }
    }

    #[test]
    fn values_write_as_serde_json_writes_them() {
        assert_same(&json!({
            "null": null, "t": true, "f": false,
            "ints": [0, 1, -1, 42, i64::MIN, i64::MAX, u64::MAX],
            "floats": [0.0, -0.0, 0.1, 1.5, 1e21, 1e-7, 123456.789, f64::MAX, f64::MIN_POSITIVE, 2.5e-308],
            "nested": {"a": [], "b": {}, "c": [[], [{}], {"d": [1, "x"]}]},
            "unicode": "ñandú €",
        }));
        assert_same(&[f64::NAN, f64::INFINITY, -f64::INFINITY, 1.0]);
        assert_same(&[f32::NAN, 0.1f32, 3.4e38f32]);
        assert_same(&(1u8, -2i16, 3u32, -4i128, 5u128, 'x', "y"));
        assert_same(&Some(Some(3)));
        assert_same(&None::<u8>);
        assert_same(&());
        let bytes = serde_bytes_like(&[0, 1, 255]);
        assert_same(&bytes);

        #[derive(Serialize, Debug)]
        struct Unit;
        #[derive(Serialize, Debug)]
        struct Newtype(u8);
        #[derive(Serialize, Debug)]
        struct Tuple(u8, &'static str);
        #[derive(Serialize, Debug)]
        enum Kind {
            Plain,
            Wrapped(u8),
            Pair(u8, u8),
            Named { a: u8, b: Option<&'static str> },
        }
        #[derive(Serialize, Debug)]
        struct Record {
            unit: Unit,
            newtype: Newtype,
            tuple: Tuple,
            kinds: Vec<Kind>,
            #[serde(skip_serializing_if = "Option::is_none")]
            skipped: Option<u8>,
            #[serde(rename = "with \"quotes\"")]
            renamed: u8,
        }
        assert_same(&Record {
            unit: Unit,
            newtype: Newtype(7),
            tuple: Tuple(1, "two"),
            kinds: vec![
                Kind::Plain,
                Kind::Wrapped(1),
                Kind::Pair(2, 3),
                Kind::Named { a: 4, b: None },
            ],
            skipped: None,
            renamed: 5,
        });
    }

    /// `serialize_bytes`, as a type with the `serde_bytes` behaviour would call it.
    fn serde_bytes_like(bytes: &[u8]) -> impl Serialize + std::fmt::Debug + '_ {
        #[derive(Debug)]
        struct Bytes<'b>(&'b [u8]);
        impl Serialize for Bytes<'_> {
            fn serialize<S: ser::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_bytes(self.0)
            }
        }
        Bytes(bytes)
    }

    #[test]
    fn map_keys_are_strings_or_quoted_as_serde_json_quotes_them() {
        let mut numbers = BTreeMap::new();
        numbers.insert(-3i64, "a");
        numbers.insert(10, "b");
        assert_same(&numbers);
        let mut flags = BTreeMap::new();
        flags.insert(true, 1);
        flags.insert(false, 0);
        assert_same(&flags);
        let mut chars = BTreeMap::new();
        chars.insert('"', 1);
        assert_same(&chars);
        assert_same(&serde_json::Map::new());

        let mut lists = BTreeMap::new();
        lists.insert(vec![1], 1);
        assert!(serde_json::to_vec(&lists).is_err());
        assert_eq!(ours(&lists).unwrap_err().to_string(), "key must be a string");
        let mut nan_key = std::collections::HashMap::new();
        nan_key.insert(FloatKey(f64::NAN), 1);
        assert!(serde_json::to_vec(&nan_key).is_err());
        assert!(ours(&nan_key).is_err());
        let mut float_key = std::collections::HashMap::new();
        float_key.insert(FloatKey(1.5), 1);
        assert_same(&float_key);
    }

    /// A float as a map key (serde_json quotes finite ones and refuses the others).
    #[derive(Debug, PartialEq)]
    struct FloatKey(f64);
    impl Eq for FloatKey {}
    impl std::hash::Hash for FloatKey {
        fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
            self.0.to_bits().hash(state);
        }
    }
    impl Serialize for FloatKey {
        fn serialize<S: ser::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            serializer.serialize_f64(self.0)
        }
    }
}
