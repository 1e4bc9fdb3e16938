//! The JSON record reader as it was before `object.rs`: a `serde_json::Value` tree per
//! record, read by the same field rules. Kept for tests only, as the reference the
//! borrowing reader must match output for output (articles, rejections, warnings, failures)
//! on random and hand-picked records.
//!
//! Must not touch: anything outside tests; this is the old code path as it was, except the
//! file and line framing (binary check, BOM, blank lines, UTF-8), which both readers share
//! from `json.rs` since it did not change.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate};
use serde_json::{Map, Value};

use super::{
    clean, date, line_text, reject, serde_message, whole_error, whole_text, Article, Ctx,
    FileOutcome, Place, DATE_KEYS, NO_TEXT, TEXT_KEYS, TITLE_KEYS,
};

pub(super) fn parse_json(
    bytes: &[u8],
    display: &str,
    file_date: Option<NaiveDate>,
    boilerplate: &[String],
    outcome: &mut FileOutcome,
) {
    let Some(text) = whole_text(bytes, display, outcome) else {
        return;
    };
    let value: Value = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(e) => {
            outcome.failed = Some(whole_error(&e));
            return;
        }
    };
    let ctx = Ctx {
        display,
        file_date,
        boilerplate,
    };
    match value {
        Value::Object(mut obj) => record(&ctx, &mut obj, Place::Whole, outcome),
        Value::Array(items) => {
            if items.is_empty() {
                outcome.warnings.push("the JSON array is empty".into());
            }
            for (i, item) in items.into_iter().enumerate() {
                let place = Place::Index(i as u64);
                match item {
                    Value::Object(mut obj) => record(&ctx, &mut obj, place, outcome),
                    other => reject(
                        outcome,
                        display,
                        place.record(),
                        format!(
                            "{}expected a JSON object, found {}",
                            place.prefix(),
                            kind(&other)
                        ),
                    ),
                }
            }
        }
        other => {
            outcome.failed = Some(format!(
                "expected a JSON object or an array of objects, found {}",
                kind(&other)
            ));
        }
    }
}

pub(super) fn parse_jsonl_line(raw: &[u8], n: u64, ctx: &Ctx, outcome: &mut FileOutcome) -> bool {
    let Some(line) = line_text(raw, n, outcome) else {
        return false;
    };
    let place = Place::Line(n);
    match serde_json::from_str::<Value>(&line) {
        Ok(Value::Object(mut obj)) => record(ctx, &mut obj, place, outcome),
        Ok(other) => reject(
            outcome,
            ctx.display,
            Some(n),
            format!("line {n}: expected a JSON object, found {}", kind(&other)),
        ),
        Err(e) => reject(
            outcome,
            ctx.display,
            Some(n),
            format!(
                "line {n}: invalid JSON: {} at column {}",
                serde_message(&e),
                e.column()
            ),
        ),
    }
    true
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The value of the first alias present: exact key first, then case-insensitive.
fn field<'v>(obj: &'v Map<String, Value>, aliases: &[&str]) -> Vec<&'v Value> {
    let mut out = Vec::new();
    for alias in aliases {
        if let Some(v) = obj.get(*alias) {
            out.push(v);
        } else if let Some((_, v)) = obj.iter().find(|(k, _)| k.eq_ignore_ascii_case(alias)) {
            out.push(v);
        }
    }
    out
}

fn first_string(obj: &Map<String, Value>, aliases: &[&str]) -> Option<String> {
    field(obj, aliases)
        .into_iter()
        .filter_map(Value::as_str)
        .find(|s| !s.trim().is_empty())
        .map(str::to_string)
}

fn date_value(obj: &Map<String, Value>) -> Option<String> {
    field(obj, DATE_KEYS).into_iter().find_map(|v| match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        Value::Number(n) => Some(unix_date(n)),
        _ => None,
    })
}

/// A Unix timestamp as a `YYYY-MM-DD` string; out-of-range values stay as written so the
/// date warning can name them.
fn unix_date(n: &serde_json::Number) -> String {
    let Some(secs) = n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)) else {
        return n.to_string();
    };
    // Milliseconds: 10^11 seconds is the year 5138, no news date.
    let secs = if secs.unsigned_abs() >= 100_000_000_000 {
        secs / 1000
    } else {
        secs
    };
    match DateTime::from_timestamp(secs, 0) {
        Some(dt) => dt.date_naive().to_string(),
        None => n.to_string(),
    }
}

fn id_value(obj: &Map<String, Value>) -> Option<String> {
    field(obj, &["id"]).into_iter().find_map(|v| match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

fn is_known_key(k: &str) -> bool {
    TEXT_KEYS
        .iter()
        .chain(TITLE_KEYS)
        .chain(DATE_KEYS)
        .chain(&["source", "url", "id"])
        .any(|a| k.eq_ignore_ascii_case(a))
}

fn meta_of(obj: &Map<String, Value>) -> BTreeMap<String, Vec<String>> {
    let mut meta: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (k, v) in obj {
        if is_known_key(k) {
            continue;
        }
        let values: Vec<String> = match v {
            Value::String(s) if !s.is_empty() => vec![s.clone()],
            Value::Array(items) => items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect(),
            _ => Vec::new(),
        };
        if !values.is_empty() {
            meta.entry(k.to_lowercase()).or_default().extend(values);
        }
    }
    meta
}

/// Moves the article text (the first non-blank string of `text`, `body`, `content`) out of
/// the record, so the longest value of a record is never copied.
fn take_text(obj: &mut Map<String, Value>) -> Option<String> {
    let key = TEXT_KEYS.iter().find_map(|alias| {
        let (k, v) = obj
            .get_key_value(*alias)
            .or_else(|| obj.iter().find(|(k, _)| k.eq_ignore_ascii_case(alias)))?;
        matches!(v, Value::String(s) if !s.trim().is_empty()).then(|| k.clone())
    })?;
    match obj.get_mut(&key) {
        Some(Value::String(s)) => Some(std::mem::take(s)),
        _ => None,
    }
}

fn record(ctx: &Ctx, obj: &mut Map<String, Value>, place: Place, outcome: &mut FileOutcome) {
    let Some(text) = take_text(obj) else {
        reject(
            outcome,
            ctx.display,
            place.record(),
            format!("{}{NO_TEXT}", place.prefix()),
        );
        return;
    };
    let clean_text = clean::clean_for_analysis(&text, ctx.boilerplate);
    let title = match first_string(obj, TITLE_KEYS) {
        Some(t) => collapse(&t),
        None => clean_text
            .lines()
            .map(collapse)
            .find(|l| !l.is_empty())
            .unwrap_or_default(),
    };
    let mut warnings = Vec::new();
    let meta_date = date_value(obj);
    let (date, date_source) = date::resolve(
        meta_date.as_deref(),
        ctx.file_date,
        &clean_text,
        &mut warnings,
    );
    outcome.articles.push(Article {
        id: id_value(obj).unwrap_or_else(|| place.default_id(ctx.display)),
        path: ctx.display.to_string(),
        record: place.record(),
        title,
        date,
        date_source,
        source: first_string(obj, &["source"]),
        url: first_string(obj, &["url"]),
        cleaned: clean::if_changed(&text, clean_text),
        text,
        meta: meta_of(obj),
        warnings,
    });
}

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The borrowing reader against this reference: same articles, rejections, warnings and
/// failures for every record, random or hand-picked.
#[cfg(test)]
mod differential {
    use proptest::prelude::*;

    use super::super::{parse_json as new_json, parse_jsonl_line as new_line, Ctx};
    use crate::ingest::FileOutcome;

    const BOILERPLATE: &[String] = &[];

    fn ctx(extra: &[String]) -> Ctx<'_> {
        Ctx {
            display: "f.jsonl",
            file_date: None,
            boilerplate: extra,
        }
    }

    /// Everything an outcome says, for comparison.
    fn seen(o: &FileOutcome) -> String {
        format!(
            "articles {:#?}\nrejected {:#?}\nwarnings {:?}\nfailed {:?}",
            o.articles, o.rejected, o.warnings, o.failed
        )
    }

    fn lines_agree(raw: &[u8], n: u64, extra: &[String]) -> Result<(), String> {
        let (mut old, mut new) = (FileOutcome::default(), FileOutcome::default());
        let old_any = super::parse_jsonl_line(raw, n, &ctx(extra), &mut old);
        let new_any = new_line(raw, n, &ctx(extra), &mut new);
        let (a, b) = (seen(&old), seen(&new));
        if old_any != new_any || a != b {
            return Err(format!(
                "line {:?}\n--- Value reader ({old_any})\n{a}\n--- borrowing reader ({new_any})\n{b}",
                String::from_utf8_lossy(raw)
            ));
        }
        Ok(())
    }

    fn files_agree(bytes: &[u8], extra: &[String]) -> Result<(), String> {
        let (mut old, mut new) = (FileOutcome::default(), FileOutcome::default());
        super::parse_json(bytes, "f.json", None, extra, &mut old);
        new_json(bytes, "f.json", None, extra, &mut new);
        let (a, b) = (seen(&old), seen(&new));
        if a != b {
            return Err(format!(
                "file {:?}\n--- Value reader\n{a}\n--- borrowing reader\n{b}",
                String::from_utf8_lossy(bytes)
            ));
        }
        Ok(())
    }

    /// Keys: every alias in several cases, keys that only match ignoring case, keys written
    /// with escapes, meta keys that lowercase to the same name, non-ASCII keys.
    const KEYS: &[&str] = &[
        "text",
        "Text",
        "TEXT",
        "body",
        "Body",
        "content",
        "CONTENT",
        "title",
        "Title",
        "headline",
        "HEADLINE",
        "date",
        "Date",
        "published",
        "PUBLISHED",
        "published_at",
        "Published_At",
        "source",
        "Source",
        "url",
        "URL",
        "id",
        "Id",
        "ID",
        "tags",
        "Tags",
        "TAGS",
        "author",
        "n",
        "te\\u0078t",
        "t\\u0069tle",
        "\\u0069d",
        "Ärger",
        "ärger",
        "",
        "a b",
        "k\\n",
    ];

    /// String contents (concatenated): escapes of every kind, surrogate pairs, blank and
    /// whitespace-only runs, control characters cleaning replaces, boilerplate, date forms.
    const PIECES: &[&str] = &[
        "",
        " ",
        "  ",
        "\\n",
        "\\t",
        "\\r\\n",
        "\\r",
        "Hello",
        "world",
        "Two  words",
        "\\u00e9",
        "é",
        "\\ud83d\\ude00",
        "😀",
        "\\\"",
        "\\\\",
        "\\/",
        "\\u0000",
        "\\u0007",
        "\\u0085",
        "\u{85}",
        "\u{FEFF}",
        "\\ufeff",
        "\u{A0}",
        "\u{3000}",
        "Advertisement",
        "\\nShare this\\n",
        "2025-06-10",
        "1987-02-26T10:00:00Z",
        "Tue, 10 Jun 2025 08:00:00 +0000",
        " 5-MAR-1987 09:12:44.02",
        "June 10 2025",
        "soon",
        "3000-01-01",
        "1066-10-14",
        "x",
        "\\b\\f",
        "ß",
        "İ",
    ];

    /// Numbers: integers at every range edge, negative zero, floats, exponents, timestamps
    /// in seconds and milliseconds, out-of-range values.
    const NUMBERS: &[&str] = &[
        "0",
        "-0",
        "42",
        "-42",
        "1749542400",
        "1749542400000",
        "-1749542400000",
        "1.5",
        "-1.5e3",
        "1e400",
        "-1e400",
        "1e-400",
        "0.1",
        "2.5e10",
        "99999999999",
        "100000000000",
        "18446744073709551615",
        "18446744073709551616",
        "9223372036854775807",
        "-9223372036854775808",
        "-9223372036854775809",
        "1E2",
        "123456789012345678901234567890",
        "1749542400.9",
        "-0.0",
        "8.64e15",
        "8.64e12",
    ];

    fn string() -> impl Strategy<Value = String> {
        prop::collection::vec(prop::sample::select(PIECES), 0..5)
            .prop_map(|p| format!("\"{}\"", p.concat()))
    }

    fn value() -> impl Strategy<Value = String> {
        let leaf = prop_oneof![
            4 => string(),
            2 => prop::sample::select(NUMBERS).prop_map(str::to_string),
            1 => prop::sample::select(&["true", "false", "null"][..]).prop_map(str::to_string),
        ];
        leaf.prop_recursive(3, 24, 5, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5)
                    .prop_map(|v| format!("[{}]", v.join(","))),
                prop::collection::vec((prop::sample::select(KEYS), inner), 0..4).prop_map(|v| {
                    let fields: Vec<String> =
                        v.into_iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
                    format!("{{{}}}", fields.join(","))
                }),
            ]
        })
    }

    /// An object with some fields (keys may repeat), with random whitespace around tokens.
    fn object() -> impl Strategy<Value = String> {
        (
            prop::collection::vec((prop::sample::select(KEYS), value()), 0..8),
            prop::sample::select(&["", " ", "\t", "  "][..]),
        )
            .prop_map(|(fields, ws)| {
                let fields: Vec<String> = fields
                    .into_iter()
                    .map(|(k, v)| format!("{ws}\"{k}\"{ws}:{ws}{v}{ws}"))
                    .collect();
                format!("{ws}{{{}}}{ws}", fields.join(","))
            })
    }

    /// A line: an object, another value, or an object broken by a cut or a stray byte.
    fn line() -> impl Strategy<Value = Vec<u8>> {
        let edit = prop_oneof![
            6 => Just(None),
            1 => (any::<prop::sample::Index>(), Just(None)).prop_map(Some),
            2 => (
                any::<prop::sample::Index>(),
                prop::sample::select(&[b",", b"}", b"]", b"\"", b":", b"\\", b"\xff", b"\x01", b" ", b"{", b"0"][..])
                    .prop_map(Some)
            )
                .prop_map(Some),
        ];
        (prop_oneof![8 => object(), 1 => value()], edit).prop_map(|(src, edit)| {
            let mut b = src.into_bytes();
            match edit {
                None => {}
                Some((at, None)) => b.truncate(at.index(b.len() + 1)),
                Some((at, Some(byte))) => {
                    let i = at.index(b.len() + 1);
                    b.splice(i..i, byte.iter().copied());
                }
            }
            b
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]

        #[test]
        fn jsonl_lines_read_as_with_value(raw in line(), n in 1u64..4, bp in any::<bool>()) {
            let extra = if bp { vec!["hello".to_string(), "x".to_string()] } else { Vec::new() };
            if let Err(e) = lines_agree(&raw, n, &extra) {
                return Err(TestCaseError::fail(e));
            }
        }

        #[test]
        fn json_files_read_as_with_value(
            items in prop::collection::vec(line(), 0..4),
            array in any::<bool>(),
        ) {
            let items: Vec<String> =
                items.iter().map(|b| String::from_utf8_lossy(b).into_owned()).collect();
            let src = if array || items.len() != 1 {
                format!("[{}]", items.join(",\n"))
            } else {
                items[0].clone()
            };
            if let Err(e) = files_agree(src.as_bytes(), BOILERPLATE) {
                return Err(TestCaseError::fail(e));
            }
        }
    }

    /// Hand-picked edges: nesting at and past serde_json's depth limit, repeated keys,
    /// case-only key matches, numbers as ids and dates, invalid escapes and surrogates, raw
    /// control characters, trailing characters, BOM, CRLF, invalid UTF-8.
    #[test]
    fn edges_read_as_with_value() {
        let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        let deep_obj = |n: usize| format!("{}1{}", "{\"a\":".repeat(n), "}".repeat(n));
        let lines: Vec<String> = vec![
            format!(r#"{{"text":"t","x":{}}}"#, deep(126)),
            format!(r#"{{"text":"t","x":{}}}"#, deep(127)),
            format!(r#"{{"text":"t","x":{}}}"#, deep(200)),
            format!(r#"{{"text":"t","tags":[{}]}}"#, deep(127)),
            format!(r#"{{"text":"t","x":{}}}"#, deep_obj(127)),
            deep(130),
            r#"{"text":"a","text":"b"}"#.into(),
            r#"{"text":"a","text":"  "}"#.into(),
            r#"{"text":"a","text":5,"body":"b"}"#.into(),
            r#"{"TEXT":"upper","Text":"title case"}"#.into(),
            r#"{"tExt":"x","text":null,"body":"y"}"#.into(),
            r#"{"text":"t","Tags":["a"],"tags":["b"],"TAGS":"c","tags":[]}"#.into(),
            r#"{"text":"t","author":"","n":5,"k":[1,"a",["b"],{"c":"d"},"",null]}"#.into(),
            r#"{"text":"t","id":-0,"date":-0.0}"#.into(),
            r#"{"text":"t","id":1.0e2,"date":1.5e9}"#.into(),
            r#"{"text":"t","id":18446744073709551616,"date":1e20}"#.into(),
            r#"{"text":"t","id":"  spaced  ","date":"  2025-06-10  "}"#.into(),
            r#"{"text":"t","id":"","ID":7}"#.into(),
            r#"{"text":"t","date":"","published":1749542400}"#.into(),
            r#"{"text":"t","date":1e400}"#.into(),
            r#"{"text":"t","x":"\ud800"}"#.into(),
            r#"{"text":"t","x":"\ud800\u0041"}"#.into(),
            r#"{"text":"t","x":"\udc00"}"#.into(),
            r#"{"text":"t","x":"\q"}"#.into(),
            r#"{"text":"t","x":"\u12"}"#.into(),
            "{\"text\":\"raw\ttab\"}".into(),
            "{\"text\":\"raw\u{1}ctl\"}".into(),
            r#"{"text":"t"} x"#.into(),
            r#"{"text":"t"}}"#.into(),
            r#"{"text":"t",}"#.into(),
            r#"{"text" "t"}"#.into(),
            r#"{1:"t"}"#.into(),
            r#"{"text":"t""#.into(),
            r#"{"text":01}"#.into(),
            r#"{"text":"t","n":1.}"#.into(),
            r#"{"text":"t","n":-}"#.into(),
            r#"{"text":"t","n":tru}"#.into(),
            r#"{"text":"Line one\r\nSHARE THIS\nbody \u00ef\u00bb\u00bf \ufeff"}"#.into(),
            r#"{"text":"\n\n   \n  Real   title  \nbody"}"#.into(),
            r#"{"text":"body","title":"  Spaced\u00a0 title\t"}"#.into(),
            r#"{"text":"body","title":"  ","headline":"Head"}"#.into(),
            r#"{"text":"body","title":"Plain Title","source":" ","url":"u"}"#.into(),
            r#"{"text":"1987-02-26 something"}"#.into(),
            r#"{}"#.into(),
            r#"[]"#.into(),
            r#""str""#.into(),
            "null".into(),
            "true".into(),
            "-1.5".into(),
            "".into(),
            "   ".into(),
        ];
        for l in &lines {
            for n in [1, 2] {
                lines_agree(l.as_bytes(), n, &[]).unwrap_or_else(|e| panic!("{e}"));
            }
            if !l.trim().is_empty() {
                files_agree(l.as_bytes(), &[]).unwrap_or_else(|e| panic!("{e}"));
            }
        }
        let raw: &[&[u8]] = &[
            b"\xEF\xBB\xBF{\"text\":\"bom\"}\r",
            b"{\"text\":\"caf\xe9\"}",
            b"{\"text\":\"ok\",\"k\xff\":\"v\"}",
            b"\xEF\xBB\xBF",
            b"\r",
        ];
        for l in raw {
            for n in [1, 2] {
                lines_agree(l, n, &[]).unwrap_or_else(|e| panic!("{e}"));
            }
            files_agree(l, &[]).unwrap_or_else(|e| panic!("{e}"));
        }
        let all = lines.join(",");
        files_agree(format!("[{all}]").as_bytes(), &[]).unwrap_or_else(|e| panic!("{e}"));
        files_agree(b"\xEF\xBB\xBF[{\"text\":\"a\"},\r\n{\"body\":\"b\"}]", &[])
            .unwrap_or_else(|e| panic!("{e}"));
        files_agree(b"[]", &[]).unwrap_or_else(|e| panic!("{e}"));
    }
}
