//! One JSON article object as the record code reads it, taken straight from the text by
//! serde_json's parser without building a `serde_json::Value` tree: keys and strings without
//! escapes are borrowed from the line, arrays keep only their strings, and values no field
//! uses are parsed and dropped.
//!
//! Owns: giving `json.rs` exactly the view a `Value` gave it — fields in key (byte) order, a
//! repeated key holding its last value, numbers as `serde_json::Number`, the same JSON kind
//! names — and exactly the same parse errors. For the errors, every value (skipped ones
//! included) still goes through serde_json's `deserialize_any`, as `Value` does, so nesting
//! depth, number range, string escapes and positions are checked by the same code in the same
//! order; `IgnoredAny` would not do (it skips without those checks).
//!
//! Must not touch: what a field means (aliases, text, dates, meta): that is `json.rs`.

use std::borrow::Cow;
use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Number;

/// A field's value, reduced to what any field rule can use.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Val<'de> {
    Str(Cow<'de, str>),
    Num(Number),
    /// An array: its string elements in order (other elements dropped).
    Strs(Vec<Cow<'de, str>>),
    /// `null`, a boolean or an object.
    Other,
}

impl Val<'_> {
    pub(super) fn as_str(&self) -> Option<&str> {
        match self {
            Val::Str(s) => Some(s),
            _ => None,
        }
    }
}

/// The fields of an object: sorted by key, each key once, as in `serde_json::Map`.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Object<'de> {
    fields: Vec<(Cow<'de, str>, Val<'de>)>,
}

impl<'de> Object<'de> {
    /// Sorts by key and keeps the last value of a repeated key (a `Map` replaces the value
    /// on insert); sorting is stable, so "last" is the last in the text.
    pub(super) fn new(mut fields: Vec<(Cow<'de, str>, Val<'de>)>) -> Object<'de> {
        fields.sort_by(|a, b| a.0.cmp(&b.0));
        fields.dedup_by(|later, kept| {
            let same = later.0 == kept.0;
            if same {
                std::mem::swap(&mut later.1, &mut kept.1);
            }
            same
        });
        Object { fields }
    }

    /// Where `alias` is: the key equal to it, else the first key (in key order) equal to it
    /// ignoring ASCII case.
    fn find(&self, alias: &str) -> Option<usize> {
        self.fields
            .iter()
            .position(|(k, _)| k == alias)
            .or_else(|| {
                self.fields
                    .iter()
                    .position(|(k, _)| k.eq_ignore_ascii_case(alias))
            })
    }

    /// The value of `alias` (see [`Object::find`]).
    pub(super) fn get(&self, alias: &str) -> Option<&Val<'de>> {
        self.find(alias).map(|i| &self.fields[i].1)
    }

    /// Moves the value of `alias` out, leaving an empty string in its place.
    pub(super) fn take(&mut self, alias: &str) -> Option<Val<'de>> {
        let i = self.find(alias)?;
        Some(std::mem::replace(
            &mut self.fields[i].1,
            Val::Str(Cow::Borrowed("")),
        ))
    }

    /// Every field, in key order.
    pub(super) fn fields(&self) -> impl Iterator<Item = (&str, &Val<'de>)> {
        self.fields.iter().map(|(k, v)| (k.as_ref(), v))
    }
}

/// A JSON Lines line or an item of a JSON array: an object, or what else it was.
#[derive(Debug)]
pub(super) enum Item<'de> {
    Object(Object<'de>),
    /// Any other value, named as in messages ("an array", "a number", ...).
    Other(&'static str),
}

/// A whole `.json` file: an object, an array of items, or what else it was.
#[derive(Debug)]
pub(super) enum Doc<'de> {
    Object(Object<'de>),
    Array(Vec<Item<'de>>),
    Other(&'static str),
}

/// The name `json.rs` gives a number in messages: a float serde_json could not hold as a
/// `Number` (none it parses) became `null` in a `Value`.
fn number_kind(f: f64) -> &'static str {
    if Number::from_f64(f).is_some() {
        "a number"
    } else {
        "null"
    }
}

/// Implements the scalar callbacks of a visitor whose result for a scalar is `$map(kind)`,
/// where `kind` is the value's name in messages. Strings go to `visit_borrowed_str`/
/// `visit_str` of the visitor itself.
macro_rules! scalars_by_kind {
    ($map:expr) => {
        fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
            Ok($map("a boolean"))
        }
        fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
            Ok($map("a number"))
        }
        fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
            Ok($map("a number"))
        }
        fn visit_f64<E>(self, f: f64) -> Result<Self::Value, E> {
            Ok($map(number_kind(f)))
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok($map("null"))
        }
    };
}

/// Any JSON value, parsed (with every check `Value` gets) and dropped.
struct Skip;

impl<'de> Deserialize<'de> for Skip {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Skip, D::Error> {
        d.deserialize_any(SkipVisitor)
    }
}

struct SkipVisitor;

impl<'de> Visitor<'de> for SkipVisitor {
    type Value = Skip;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any valid JSON value")
    }

    scalars_by_kind!(|_| Skip);

    fn visit_str<E>(self, _: &str) -> Result<Skip, E> {
        Ok(Skip)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Skip, A::Error> {
        while seq.next_element::<Skip>()?.is_some() {}
        Ok(Skip)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Skip, A::Error> {
        while map.next_entry::<Skip, Skip>()?.is_some() {}
        Ok(Skip)
    }
}

/// A string, borrowed from the input when it has no escapes.
struct Text<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Text<'de>, D::Error> {
        // Keys: serde_json forwards this to `deserialize_any`, as for `Value`'s keys.
        d.deserialize_str(TextVisitor)
    }
}

struct TextVisitor;

impl<'de> Visitor<'de> for TextVisitor {
    type Value = Text<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Text<'de>, E> {
        Ok(Text(Cow::Borrowed(s)))
    }

    fn visit_str<E>(self, s: &str) -> Result<Text<'de>, E> {
        Ok(Text(Cow::Owned(s.to_owned())))
    }

    fn visit_string<E>(self, s: String) -> Result<Text<'de>, E> {
        Ok(Text(Cow::Owned(s)))
    }
}

/// An array element: its string, or `None` for anything else (parsed and dropped).
struct Elem<'de>(Option<Cow<'de, str>>);

impl<'de> Deserialize<'de> for Elem<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Elem<'de>, D::Error> {
        d.deserialize_any(ElemVisitor)
    }
}

struct ElemVisitor;

impl<'de> Visitor<'de> for ElemVisitor {
    type Value = Elem<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any valid JSON value")
    }

    scalars_by_kind!(|_| Elem(None));

    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Elem<'de>, E> {
        Ok(Elem(Some(Cow::Borrowed(s))))
    }

    fn visit_str<E>(self, s: &str) -> Result<Elem<'de>, E> {
        Ok(Elem(Some(Cow::Owned(s.to_owned()))))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Elem<'de>, A::Error> {
        SkipVisitor.visit_seq(seq).map(|_| Elem(None))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Elem<'de>, A::Error> {
        SkipVisitor.visit_map(map).map(|_| Elem(None))
    }
}

impl<'de> Deserialize<'de> for Val<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Val<'de>, D::Error> {
        d.deserialize_any(ValVisitor)
    }
}

struct ValVisitor;

impl<'de> Visitor<'de> for ValVisitor {
    type Value = Val<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any valid JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Val<'de>, E> {
        Ok(Val::Other)
    }

    fn visit_i64<E>(self, n: i64) -> Result<Val<'de>, E> {
        Ok(Val::Num(n.into()))
    }

    fn visit_u64<E>(self, n: u64) -> Result<Val<'de>, E> {
        Ok(Val::Num(n.into()))
    }

    fn visit_f64<E>(self, f: f64) -> Result<Val<'de>, E> {
        Ok(Number::from_f64(f).map_or(Val::Other, Val::Num))
    }

    fn visit_unit<E>(self) -> Result<Val<'de>, E> {
        Ok(Val::Other)
    }

    fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Val<'de>, E> {
        Ok(Val::Str(Cow::Borrowed(s)))
    }

    fn visit_str<E>(self, s: &str) -> Result<Val<'de>, E> {
        Ok(Val::Str(Cow::Owned(s.to_owned())))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Val<'de>, A::Error> {
        let mut strs = Vec::new();
        while let Some(Elem(e)) = seq.next_element()? {
            strs.extend(e);
        }
        Ok(Val::Strs(strs))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Val<'de>, A::Error> {
        SkipVisitor.visit_map(map).map(|_| Val::Other)
    }
}

/// The entries of an object, in the text's order.
fn entries<'de, A: MapAccess<'de>>(mut map: A) -> Result<Object<'de>, A::Error> {
    let mut fields = Vec::with_capacity(8);
    while let Some(Text(key)) = map.next_key()? {
        let value: Val = map.next_value()?;
        fields.push((key, value));
    }
    Ok(Object::new(fields))
}

impl<'de> Deserialize<'de> for Item<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Item<'de>, D::Error> {
        d.deserialize_any(ItemVisitor)
    }
}

struct ItemVisitor;

impl<'de> Visitor<'de> for ItemVisitor {
    type Value = Item<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any valid JSON value")
    }

    scalars_by_kind!(Item::Other);

    fn visit_str<E>(self, _: &str) -> Result<Item<'de>, E> {
        Ok(Item::Other("a string"))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Item<'de>, A::Error> {
        SkipVisitor.visit_seq(seq).map(|_| Item::Other("an array"))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Item<'de>, A::Error> {
        entries(map).map(Item::Object)
    }
}

impl<'de> Deserialize<'de> for Doc<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Doc<'de>, D::Error> {
        d.deserialize_any(DocVisitor)
    }
}

struct DocVisitor;

impl<'de> Visitor<'de> for DocVisitor {
    type Value = Doc<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any valid JSON value")
    }

    scalars_by_kind!(Doc::Other);

    fn visit_str<E>(self, _: &str) -> Result<Doc<'de>, E> {
        Ok(Doc::Other("a string"))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Doc<'de>, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Doc::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Doc<'de>, A::Error> {
        entries(map).map(Doc::Object)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(src: &str) -> Object<'_> {
        match serde_json::from_str::<Item>(src).unwrap() {
            Item::Object(o) => o,
            other => panic!("{src}: {other:?}"),
        }
    }

    #[test]
    fn keys_sorted_last_repeat_wins_strings_borrowed() {
        let src = r#"{"b":"x","A":1,"b":"y","a\u0062":["s",2,["n"],"t\n"],"a":{"k":"v"}}"#;
        let o = object(src);
        let keys: Vec<&str> = o.fields().map(|(k, _)| k).collect();
        assert_eq!(keys, ["A", "a", "ab", "b"]);
        assert_eq!(o.get("b"), Some(&Val::Str("y".into())));
        assert!(matches!(o.get("b"), Some(Val::Str(Cow::Borrowed(_)))));
        assert_eq!(o.get("A"), Some(&Val::Num(1.into())));
        // Exact key first, then the first key equal ignoring ASCII case.
        assert_eq!(o.get("a"), Some(&Val::Other));
        assert_eq!(o.get("B"), Some(&Val::Str("y".into())));
        assert_eq!(
            o.get("AB"),
            Some(&Val::Strs(vec!["s".into(), "t\n".into()]))
        );
        assert_eq!(o.get("c"), None);
    }

    #[test]
    fn kinds_of_other_values() {
        let cases: &[(&str, &str)] = &[
            ("[1,{\"a\":[]}]", "an array"),
            ("\"s\"", "a string"),
            ("\"s\\n\"", "a string"),
            ("-0.5e3", "a number"),
            ("18446744073709551615", "a number"),
            ("-9", "a number"),
            ("true", "a boolean"),
            ("null", "null"),
        ];
        for (src, kind) in cases {
            match serde_json::from_str::<Item>(src) {
                Ok(Item::Other(k)) => assert_eq!(k, *kind, "{src}"),
                other => panic!("{src}: {other:?}"),
            }
        }
    }
}
