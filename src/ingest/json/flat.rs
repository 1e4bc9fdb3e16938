//! The common JSON record read without serde: one flat object whose values are strings,
//! plain integers, booleans, null or arrays of those
//! (`{"id":"a1","date":"2025-06-10","text":"…","tags":["trade"]}`), as a JSON Lines line,
//! or as a `.json` file of one such object or an array of them.
//!
//! Owns: recognising that shape and reading it into exactly the [`Item`] or [`Doc`]
//! serde_json's path (`object.rs`) gives — the same keys and values, strings without escapes
//! borrowed, numbers as the same `Number`. Anything else, valid or not (objects as values,
//! arrays in arrays, fractions, exponents, integers of 19 digits or more, `-0`, surrogate
//! escapes, raw control characters, any syntax error), is declined with `None` and read by
//! serde_json, so every error message, column and edge case stays serde_json's. Must not
//! touch what a field means (`json.rs`).
//!
//! Why: serde_json copies a string with escapes into a scratch buffer run by run and the
//! visitor then copies it again into a `String`; a wire article's text has an escaped
//! newline every line, so that was most of reading a record (docs/performance.md, session
//! 23). Here the runs between escapes are found sixteen bytes at a time and copied once.

use std::borrow::Cow;

use serde_json::Number;

use super::object::{Doc, Item, Object, Val};

/// The record on `line` if it has the flat shape above, else `None` (then ask serde_json).
pub(super) fn item(line: &str) -> Option<Item<'_>> {
    let (obj, end) = object(line, skip_ws(line.as_bytes(), 0))?;
    whole(line, end).then_some(Item::Object(obj))
}

/// A whole `.json` file if it is one flat object or an array of them (the other items an
/// array may hold are declined), else `None` (then ask serde_json).
pub(super) fn doc(text: &str) -> Option<Doc<'_>> {
    let b = text.as_bytes();
    let i = skip_ws(b, 0);
    if b.get(i) != Some(&b'[') {
        let (obj, end) = object(text, i)?;
        return whole(text, end).then_some(Doc::Object(obj));
    }
    let mut items = Vec::new();
    let mut i = skip_ws(b, i + 1);
    if b.get(i) == Some(&b']') {
        return whole(text, i + 1).then_some(Doc::Array(items));
    }
    loop {
        let (obj, end) = object(text, i)?;
        items.push(Item::Object(obj));
        i = skip_ws(b, end);
        match b.get(i) {
            Some(b',') => i = skip_ws(b, i + 1),
            Some(b']') => return whole(text, i + 1).then_some(Doc::Array(items)),
            _ => return None,
        }
    }
}

/// Whether only whitespace follows `i`: serde_json refuses trailing characters.
fn whole(text: &str, i: usize) -> bool {
    skip_ws(text.as_bytes(), i) == text.len()
}

/// The flat object starting at `i`, and the index after its closing brace.
fn object(text: &str, mut i: usize) -> Option<(Object<'_>, usize)> {
    let b = text.as_bytes();
    if b.get(i) != Some(&b'{') {
        return None;
    }
    i = skip_ws(b, i + 1);
    let mut fields = Vec::with_capacity(8);
    if b.get(i) == Some(&b'}') {
        return Some((Object::new(fields), i + 1));
    }
    loop {
        if b.get(i) != Some(&b'"') {
            return None;
        }
        let (key, next) = string(text, i + 1)?;
        i = skip_ws(b, next);
        if b.get(i) != Some(&b':') {
            return None;
        }
        i = skip_ws(b, i + 1);
        let (value, next) = value(text, i)?;
        fields.push((key, value));
        i = skip_ws(b, next);
        match b.get(i) {
            Some(b',') => i = skip_ws(b, i + 1),
            Some(b'}') => return Some((Object::new(fields), i + 1)),
            _ => return None,
        }
    }
}

/// JSON's whitespace, as serde_json skips it.
fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while let Some(b' ' | b'\t' | b'\n' | b'\r') = b.get(i) {
        i += 1;
    }
    i
}

/// The value starting at `i` and the index after it.
fn value(line: &str, i: usize) -> Option<(Val<'_>, usize)> {
    let b = line.as_bytes();
    match *b.get(i)? {
        b'"' => string(line, i + 1).map(|(s, next)| (Val::Str(s), next)),
        b't' => literal(b, i, b"true"),
        b'f' => literal(b, i, b"false"),
        b'n' => literal(b, i, b"null"),
        b'-' | b'0'..=b'9' => integer(b, i),
        b'[' => array(line, i + 1),
        _ => None,
    }
}

/// An array of the scalars above (tags, authors), its text starting after `[`: its strings
/// kept in order, the rest dropped, as `object.rs` keeps them. Nested arrays and objects
/// are declined. Without arrays a line with tags after its text had the text unescaped
/// here, then read again by serde_json.
fn array(line: &str, mut i: usize) -> Option<(Val<'_>, usize)> {
    let b = line.as_bytes();
    let mut strs = Vec::new();
    i = skip_ws(b, i);
    if b.get(i) == Some(&b']') {
        return Some((Val::Strs(strs), i + 1));
    }
    loop {
        if let b'[' | b'{' = *b.get(i)? {
            return None;
        }
        let (v, next) = value(line, i)?;
        if let Val::Str(s) = v {
            strs.push(s);
        }
        i = skip_ws(b, next);
        match b.get(i) {
            Some(b',') => i = skip_ws(b, i + 1),
            Some(b']') => return Some((Val::Strs(strs), i + 1)),
            _ => return None,
        }
    }
}

/// `true`, `false` or `null` (all `Val::Other`). What follows is the caller's to check
/// (`nullx` is no value and then declined there).
fn literal<'a>(b: &[u8], i: usize, word: &[u8]) -> Option<(Val<'a>, usize)> {
    let end = i + word.len();
    (b.get(i..end)? == word).then_some((Val::Other, end))
}

/// A plain integer: `0`, or an optional minus and up to 18 digits without a leading zero,
/// so it fits an `i64` or `u64` exactly as serde_json would hold it. `-0` (a float to
/// serde_json), fractions, exponents and longer integers (which may become floats) are
/// declined.
fn integer<'a>(b: &[u8], i: usize) -> Option<(Val<'a>, usize)> {
    let negative = b[i] == b'-';
    let start = i + negative as usize;
    let mut end = start;
    while end < b.len() && b[end].is_ascii_digit() {
        end += 1;
    }
    let digits = &b[start..end];
    if digits.is_empty()
        || digits.len() > 18
        || (digits[0] == b'0' && (digits.len() > 1 || negative))
    {
        return None;
    }
    if let Some(b'.' | b'e' | b'E') = b.get(end) {
        return None;
    }
    let n = digits
        .iter()
        .fold(0u64, |n, d| n * 10 + u64::from(d - b'0'));
    let num = if negative {
        Number::from(-(n as i64))
    } else {
        Number::from(n)
    };
    Some((Val::Num(num), end))
}

/// The string whose text starts at `start` (after its opening quote), and the index after
/// its closing quote. Borrowed when it has no escapes.
fn string(line: &str, start: usize) -> Option<(Cow<'_, str>, usize)> {
    let b = line.as_bytes();
    let at = special(b, start)?;
    if b[at] == b'"' {
        return Some((Cow::Borrowed(&line[start..at]), at + 1));
    }
    let mut out = String::with_capacity(capacity(b, start));
    let mut run = start;
    let mut at = at;
    loop {
        // Every byte `special` stops at is ASCII, so these are char boundaries.
        out.push_str(&line[run..at]);
        match b[at] {
            b'"' => return Some((Cow::Owned(out), at + 1)),
            b'\\' => {}
            _ => return None, // a raw control character: serde_json's error
        }
        let (c, len) = escape(b, at + 1)?;
        out.push(c);
        run = at + 1 + len;
        at = special(b, run)?;
    }
}

/// What to reserve for the string with escapes whose text starts at `start`: never more
/// than it takes, since an escape stands for fewer bytes than it is written with. That is
/// the rest of a JSON Lines line; in a larger input (a `.json` file) the closing quote is
/// found first, or every string would reserve the rest of the file (the whole array's
/// articles, each kept with its text).
fn capacity(b: &[u8], start: usize) -> usize {
    const LINE: usize = 64 << 10;
    let rest = b.len() - start;
    if rest <= LINE {
        return rest;
    }
    let mut i = start;
    while let Some(at) = special(b, i) {
        if b[at] != b'\\' {
            return at - start;
        }
        // The escaped byte may be a quote: step over it.
        i = at + 2;
    }
    rest
}

/// The character of the escape whose letter is at `i`, and the escape's length after the
/// backslash. Surrogates (halves of a pair, or lone) are declined.
fn escape(b: &[u8], i: usize) -> Option<(char, usize)> {
    let c = match *b.get(i)? {
        b'"' => '"',
        b'\\' => '\\',
        b'/' => '/',
        b'b' => '\u{8}',
        b'f' => '\u{c}',
        b'n' => '\n',
        b'r' => '\r',
        b't' => '\t',
        b'u' => {
            let hex = b.get(i + 1..i + 5)?;
            let mut n = 0u32;
            for &h in hex {
                n = n * 16 + (h as char).to_digit(16)?;
            }
            // `from_u32` refuses exactly the surrogates.
            return char::from_u32(n).map(|c| (c, 5));
        }
        _ => return None,
    };
    Some((c, 1))
}

/// The first index from `i` holding `"`, `\` or a control character (below 0x20), or
/// `None` when the line ends first.
#[inline]
fn special(b: &[u8], mut i: usize) -> Option<usize> {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_loadu_si128, _mm_movemask_epi8};
        while i + 16 <= b.len() {
            // SAFETY: the sixteen bytes from `i` are inside `b` (checked above); SSE2 is
            // part of the x86_64 baseline.
            let mask = unsafe {
                let v = _mm_loadu_si128(b.as_ptr().add(i).cast());
                _mm_movemask_epi8(crate::simd::json_special(v))
            };
            if mask != 0 {
                return Some(i + mask.trailing_zeros() as usize);
            }
            i += 16;
        }
    }
    b[i.min(b.len())..]
        .iter()
        .position(|&c| is_special(c))
        .map(|p| i + p)
}

/// What ends a run of plain string text: the byte-at-a-time definition `special`'s vector
/// path is tested against.
fn is_special(c: u8) -> bool {
    c == b'"' || c == b'\\' || c < 0x20
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// serde_json's reading of `src` through `object.rs`.
    fn by_serde(src: &str) -> Option<Item<'_>> {
        serde_json::from_str::<Item>(src).ok()
    }

    fn doc_by_serde(src: &str) -> Option<Doc<'_>> {
        serde_json::from_str::<Doc>(src).ok()
    }

    /// `fast` (this reader) takes `src` exactly when `taken`, and what it reads then equals
    /// what `slow` (serde_json's path) reads.
    fn agrees<'a, T: std::fmt::Debug>(
        src: &'a str,
        taken: bool,
        fast: impl Fn(&'a str) -> Option<T>,
        slow: impl Fn(&'a str) -> Option<T>,
        same: impl Fn(&T, &T) -> bool,
    ) -> Result<(), String> {
        match (fast(src), taken) {
            (None, false) => Ok(()),
            (Some(got), true) => match slow(src) {
                Some(want) if same(&got, &want) => Ok(()),
                want => Err(format!("{src:?}: {got:?} != {want:?}")),
            },
            (got, _) => Err(format!(
                "{src:?}: taken {}, expected {taken}",
                got.is_some()
            )),
        }
    }

    fn same(a: &Item, b: &Item) -> bool {
        match (a, b) {
            (Item::Object(a), Item::Object(b)) => a == b,
            (Item::Other(a), Item::Other(b)) => a == b,
            _ => false,
        }
    }

    #[test]
    fn flat_records_read_as_serde_reads_them_and_the_rest_is_declined() {
        // (line, read here rather than declined)
        let cases: &[(&str, bool)] = &[
            (
                r#"{"id":"a1","date":"2025-06-10","text":"one\ntwo \"q\" \\ \/ \b\f\r\t"}"#,
                true,
            ),
            (r#"  { "b" : "x" , "a" : 1 , "b" : "y" }  "#, true),
            (
                "{\"text\":\"caf\u{e9} \\u00e9\\u20AC\\u0000 \u{1F600}\"}\r",
                true,
            ),
            (r#"{}"#, true),
            (r#"{ }"#, true),
            (
                r#"{"n":0,"m":-7,"k":123456789012345678,"t":true,"f":false,"z":null}"#,
                true,
            ),
            (r#"{"a\u0062":"key with an escape","":"empty key"}"#, true),
            (r#"{"text":"x","tags":["a","b"]}"#, true),
            (
                r#"{"k":[ "a" , 1 ,true,null, "b\n" ],"e":[ ],"z":[]}"#,
                true,
            ),
            (r#"{"k":[["n"]]}"#, false),
            (r#"{"k":[{"a":"b"}]}"#, false),
            (r#"{"k":[1.5]}"#, false),
            (r#"{"k":["a",]}"#, false),
            (r#"{"k":[,]}"#, false),
            (r#"{"k":["a""#, false),
            (r#"{"k":["a" "b"]}"#, false),
            (r#"{"text":"x","o":{"k":"v"}}"#, false),
            (r#"{"n":1.5}"#, false),
            (r#"{"n":1e3}"#, false),
            (r#"{"n":1E3}"#, false),
            (r#"{"n":-0}"#, false),
            (r#"{"n":01}"#, false),
            (r#"{"n":-}"#, false),
            (r#"{"n":1234567890123456789}"#, false),
            (r#"{"n":-1234567890123456789}"#, false),
            (r#"{"x":"\ud83d\ude00"}"#, false),
            (r#"{"x":"\ud800"}"#, false),
            (r#"{"x":"\udc00"}"#, false),
            (r#"{"x":"\q"}"#, false),
            (r#"{"x":"\u12"}"#, false),
            (r#"{"x":"\u12g4"}"#, false),
            ("{\"x\":\"raw\ttab\"}", false),
            ("{\"x\":\"raw\u{1f}ctl\"}", false),
            (r#"{"text":"t"} x"#, false),
            (r#"{"text":"t"}}"#, false),
            (r#"{"text":"t",}"#, false),
            (r#"{"text" "t"}"#, false),
            (r#"{1:"t"}"#, false),
            (r#"{"text":"t""#, false),
            (r#"{"text":"t"#, false),
            (r#"{"text":"t\"#, false),
            (r#"{"t":tru}"#, false),
            (r#"{"t":nullx}"#, false),
            (r#"{"t":true1}"#, false),
            (r#"[]"#, false),
            (r#""s""#, false),
            ("", false),
            ("{", false),
        ];
        for &(src, taken) in cases {
            agrees(src, taken, item, by_serde, same).unwrap_or_else(|e| panic!("{e}"));
        }
    }

    /// Pieces of string text: every escape this reader takes, multi-byte characters, DEL,
    /// and runs long enough to cross sixteen-byte blocks.
    const PIECES: &[&str] = &[
        "a",
        "wire copy ",
        "0123456789abcdef!",
        "\\n",
        "\\\"",
        "\\\\",
        "\\/",
        "\\b",
        "\\f",
        "\\r",
        "\\t",
        "\\u00e9",
        "\\u20AC",
        "\\u0000",
        "\\uffff",
        "\u{e9}",
        "\u{20ac}",
        "\u{1f600}",
        "\u{7f}",
        "'",
        " ",
    ];
    const SCALARS: &[&str] = &[
        "0",
        "7",
        "-1",
        "123456789012345678",
        "-123456789012345678",
        "true",
        "false",
        "null",
    ];
    const SPACE: &[&str] = &["", " ", "\t", "\r", "\n", " \t "];

    fn text() -> impl Strategy<Value = String> {
        prop::collection::vec(prop::sample::select(PIECES), 0..24)
            .prop_map(|p| format!("\"{}\"", p.concat()))
    }

    /// A line of the flat shape, with whitespace anywhere JSON allows it.
    fn flat_line() -> impl Strategy<Value = String> {
        let scalar =
            || prop_oneof![3 => text(), 1 => prop::sample::select(SCALARS).prop_map(String::from)];
        let array = (
            prop::collection::vec(scalar(), 0..4),
            prop::sample::select(SPACE),
        )
            .prop_map(|(v, ws)| format!("[{ws}{}{ws}]", v.join(&format!("{ws},{ws}"))));
        let value = prop_oneof![4 => scalar(), 1 => array];
        let ws = || prop::sample::select(SPACE);
        (
            prop::collection::vec((text(), value, ws(), ws(), ws(), ws()), 0..6),
            ws(),
            ws(),
        )
            .prop_map(|(fields, a, z)| {
                let fields: Vec<String> = fields
                    .into_iter()
                    .map(|(k, v, w1, w2, w3, w4)| format!("{w1}{k}{w2}:{w3}{v}{w4}"))
                    .collect();
                format!("{a}{{{}}}{z}", fields.join(","))
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// Every line of the flat shape is read here, and read as serde_json reads it.
        /// (`json/reference.rs` checks whole records, declined and broken lines included.)
        #[test]
        fn flat_lines_are_read_and_read_as_serde_reads_them(line in flat_line()) {
            prop_assert!(by_serde(&line).is_some(), "serde_json refuses {:?}", line);
            agrees(&line, true, item, by_serde, same).map_err(TestCaseError::fail)?;
        }

        /// A `.json` file of flat records, alone or in an array, likewise.
        #[test]
        fn flat_files_are_read_and_read_as_serde_reads_them(
            lines in prop::collection::vec(flat_line(), 0..4),
            array in any::<bool>(),
        ) {
            let src = if array || lines.len() != 1 {
                format!("[{}]", lines.join(",\n"))
            } else {
                lines[0].clone()
            };
            prop_assert!(doc_by_serde(&src).is_some(), "serde_json refuses {:?}", src);
            agrees(&src, true, doc, doc_by_serde, same_doc).map_err(TestCaseError::fail)?;
        }
    }

    fn same_doc(a: &Doc, b: &Doc) -> bool {
        match (a, b) {
            (Doc::Object(a), Doc::Object(b)) => a == b,
            (Doc::Array(a), Doc::Array(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(a, b)| same(a, b))
            }
            (Doc::Other(a), Doc::Other(b)) => a == b,
            _ => false,
        }
    }

    #[test]
    fn flat_files_read_as_serde_reads_them_and_the_rest_is_declined() {
        let cases: &[(&str, bool)] = &[
            ("{\"text\":\"one\\ntwo\"}\n", true),
            ("[{\"text\":\"a\",\"id\":1},\r\n {\"text\":\"b\"}]", true),
            ("[]", true),
            (" [ ] ", true),
            ("[{}]", true),
            ("[{\"text\":\"a\"},1]", false),
            ("[{\"text\":\"a\"},\"s\"]", false),
            ("[{\"text\":\"a\"},[]]", false),
            ("[{\"text\":\"a\"},]", false),
            ("[{\"text\":\"a\"}] x", false),
            ("[{\"text\":\"a\"}", false),
            ("[{\"text\":\"a\"}{\"text\":\"b\"}]", false),
            ("[{\"tags\":[\"a\"]}]", true),
            ("[{\"tags\":[[\"a\"]]}]", false),
            ("{\"text\":\"a\"}{}", false),
            ("\"s\"", false),
            ("[", false),
            ("", false),
        ];
        for &(src, taken) in cases {
            agrees(src, taken, doc, doc_by_serde, same_doc).unwrap_or_else(|e| panic!("{e}"));
        }
    }

    #[test]
    fn strings_in_a_large_file_reserve_only_their_own_length() {
        let filler = "x".repeat(70 << 10);
        // (string text after its opening quote and what follows it, reserved bytes)
        let cases: Vec<(String, usize)> = vec![
            (format!("a\\nb\",\"{filler}\""), 4),
            (format!("q\\\"q\\\\\",\"{filler}\""), 6),
            (format!("\\u00e9\",\"{filler}\""), 6),
            ("a\\nb\",\"short\"".to_string(), 13),
            (format!("a\\nb{filler}"), filler.len() + 4),
        ];
        for (text, want) in &cases {
            assert_eq!(capacity(text.as_bytes(), 0), *want, "{}", &text[..12]);
        }
        let src = format!("[{{\"text\":\"one\\ntwo\",\"pad\":\"{filler}\"}}]");
        let Some(Doc::Array(items)) = doc(&src) else {
            panic!("declined")
        };
        let Item::Object(o) = &items[0] else {
            panic!("not an object")
        };
        let Some(Val::Str(Cow::Owned(text))) = o.get("text") else {
            panic!("no owned text")
        };
        assert_eq!(text, "one\ntwo");
        assert!(text.capacity() < 16, "{}", text.capacity());
    }

    #[test]
    fn strings_without_escapes_are_borrowed() {
        let Some(Item::Object(o)) = item(r#"{"a":"plain","b":"esc\n"}"#) else {
            panic!("declined")
        };
        assert!(matches!(o.get("a"), Some(Val::Str(Cow::Borrowed("plain")))));
        assert!(matches!(o.get("b"), Some(Val::Str(Cow::Owned(_)))));
    }

    #[test]
    fn special_finds_what_the_byte_definition_finds() {
        // Every byte value at every offset of a 40-byte run (two vector blocks and a tail).
        for c in 0..=255u8 {
            for at in 0..40 {
                let mut b = vec![b'a'; 40];
                b[at] = c;
                for from in [0, 3, 17] {
                    let want = b[from..]
                        .iter()
                        .position(|&x| is_special(x))
                        .map(|p| from + p);
                    assert_eq!(special(&b, from), want, "byte {c:#x} at {at} from {from}");
                }
            }
        }
    }
}
