//! JSON (`.json`: one object or an array of objects) and JSON Lines (`.jsonl`: one object
//! per line) article files.
//!
//! Owns: the field aliases — text `text|body|content` (the first non-blank string), title
//! `title|headline`, date `date|published|published_at` (a string, or a number of Unix
//! seconds; numbers of 10^11 or more are taken as milliseconds), `source`, `url`, `id`
//! (string or number); keys match exactly first, then ASCII case-insensitively. Every other
//! field whose value is a string or an array of strings goes to `meta` under its lowercased
//! name. Also owns record numbering (1-based line for JSONL, 0-based index for an array) and
//! the per-record rejection reasons.
//!
//! Records are read by `json/object.rs` straight from the text, without a `serde_json::Value`
//! tree but with exactly its view and errors; `json/reference.rs` (tests only) keeps the
//! `Value` reader and checks the two agree on random and hand-picked records. A JSON Lines
//! line or `.json` file of the common flat shape (objects of string, integer, boolean and
//! null values and arrays of those) is read by `json/flat.rs` without serde into the same
//! view; it declines everything else, errors included, so those still get serde_json's
//! reading and messages.
//!
//! Must not touch: the text value itself — it is the article's original text and every offset
//! refers to it — nor any other record of the file when one record is bad.

use std::borrow::Cow;
use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate};

use super::{clean, date, Article, FileOutcome, Rejected};

mod flat;
mod object;
#[cfg(test)]
mod reference;

use object::{Doc, Item, Object, Val};

const TEXT_KEYS: &[&str] = &["text", "body", "content"];
const TITLE_KEYS: &[&str] = &["title", "headline"];
const DATE_KEYS: &[&str] = &["date", "published", "published_at"];
/// Every alias above plus `source`, `url`, `id`: the keys that never go to `meta`.
const KNOWN_KEYS: &[&str] = &[
    "text",
    "body",
    "content",
    "title",
    "headline",
    "date",
    "published",
    "published_at",
    "source",
    "url",
    "id",
];
const NO_TEXT: &str = "no text field (expected one of text, body, content)";

/// Where a record sits in its file, for ids, `record` and reasons.
#[derive(Clone, Copy)]
enum Place {
    Whole,
    Index(u64),
    Line(u64),
}

impl Place {
    fn record(self) -> Option<u64> {
        match self {
            Place::Whole => None,
            Place::Index(n) | Place::Line(n) => Some(n),
        }
    }

    fn default_id(self, display: &str) -> String {
        match self {
            Place::Whole => display.to_string(),
            Place::Index(n) | Place::Line(n) => format!("{display}#{n}"),
        }
    }

    fn prefix(self) -> String {
        match self {
            Place::Whole => String::new(),
            Place::Index(n) => format!("item {n}: "),
            Place::Line(n) => format!("line {n}: "),
        }
    }
}

struct Ctx<'a> {
    display: &'a str,
    file_date: Option<NaiveDate>,
    boilerplate: &'a [String],
}

/// Parses a `.json` file: one article object, or an array of them.
pub fn parse_json(
    bytes: &[u8],
    display: &str,
    file_date: Option<NaiveDate>,
    boilerplate: &[String],
    outcome: &mut FileOutcome,
) {
    let Some(text) = whole_text(bytes, display, outcome) else {
        return;
    };
    // Arrays of flat records without serde; anything else (errors included) through it.
    let value = flat::doc(&text).map_or_else(|| serde_json::from_str::<Doc>(&text), Ok);
    let value = match value {
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
        Doc::Object(obj) => record(&ctx, obj, Place::Whole, outcome),
        Doc::Array(items) => {
            if items.is_empty() {
                outcome.warnings.push("the JSON array is empty".into());
            }
            for (i, item) in items.into_iter().enumerate() {
                let place = Place::Index(i as u64);
                match item {
                    Item::Object(obj) => record(&ctx, obj, place, outcome),
                    Item::Other(kind) => reject(
                        outcome,
                        display,
                        place.record(),
                        format!("{}expected a JSON object, found {kind}", place.prefix()),
                    ),
                }
            }
        }
        Doc::Other(kind) => {
            outcome.failed = Some(format!(
                "expected a JSON object or an array of objects, found {kind}"
            ));
        }
    }
}

/// Parses a `.jsonl` file: one article object per line; blank lines are ignored and a bad
/// line is rejected on its own.
pub fn parse_jsonl(
    bytes: &[u8],
    display: &str,
    file_date: Option<NaiveDate>,
    boilerplate: &[String],
    outcome: &mut FileOutcome,
) {
    if let Some(reason) = clean::looks_binary(bytes) {
        outcome.failed = Some(reason.to_string());
        return;
    }
    let ctx = Ctx {
        display,
        file_date,
        boilerplate,
    };
    // UTF-16 has to be decoded before lines can be found; UTF-8 is split first so that one
    // bad byte is reported against its own line.
    let decoded;
    let bytes = if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        decoded = clean::decode(bytes);
        outcome.warnings.extend(decoded.warnings());
        decoded.text.as_bytes()
    } else {
        bytes
    };
    if !parse_jsonl_lines(bytes, 1, &ctx, outcome) {
        reject(outcome, display, None, EMPTY_FILE.into());
    }
}

/// Why a JSONL file with no record at all is rejected.
pub const EMPTY_FILE: &str = "empty file";

/// The rejection of a record over the document size limit.
fn oversized_reason(n: u64, len: u64, limit: u64) -> String {
    format!(
        "line {n}: record is {}, over the {} document limit; skipped \
         (raise --max-doc-bytes or the pipeline's max_doc_bytes to read it)",
        human_bytes(len),
        human_bytes(limit)
    )
}

fn parse_jsonl_lines(bytes: &[u8], first_line: u64, ctx: &Ctx, outcome: &mut FileOutcome) -> bool {
    // A chunk ends with its last line's newline: that is no extra (blank) line.
    let bytes = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    if bytes.is_empty() {
        return false;
    }
    let mut any = false;
    for (i, raw) in split_lines(bytes).enumerate() {
        any |= parse_jsonl_line(raw, first_line + i as u64, ctx, outcome);
    }
    any
}

/// Where JSON Lines records come from, for records read one line at a time (`newstrack map`
/// reads them from standard input): the name they are reported under, as `run` would show
/// the file, and that name's `YYYY-MM-DD` as the fallback date.
pub struct LineSource<'a> {
    ctx: Ctx<'a>,
}

impl<'a> LineSource<'a> {
    pub fn new(display: &'a str, file_date: Option<NaiveDate>, boilerplate: &'a [String]) -> Self {
        LineSource {
            ctx: Ctx {
                display,
                file_date,
                boilerplate,
            },
        }
    }

    /// Parses line `n` (1-based, without its `\n`) exactly as `parse_jsonl` parses that line
    /// of a file: an article, a rejection or a warning goes into `outcome`. Returns false for
    /// a blank line, which is not a record.
    pub fn parse_line(&self, raw: &[u8], n: u64, outcome: &mut FileOutcome) -> bool {
        parse_jsonl_line(raw, n, &self.ctx, outcome)
    }
}

/// Line-by-line JSONL parsing of a file streamed from disk (`ingest::read_file_with`), so a
/// large file is never held whole: feed each line (without its `\n`) to [`JsonLines::line`],
/// then call [`JsonLines::finish`]. Lines parse exactly as in [`parse_jsonl`].
pub struct JsonLines<'a> {
    ctx: Ctx<'a>,
    any: bool,
}

impl<'a> JsonLines<'a> {
    pub fn new(
        display: &'a str,
        file_date: Option<NaiveDate>,
        boilerplate: &'a [String],
    ) -> JsonLines<'a> {
        JsonLines {
            ctx: Ctx {
                display,
                file_date,
                boilerplate,
            },
            any: false,
        }
    }

    /// A line too long to hold: rejected without being read.
    pub fn oversized(&mut self, n: u64, len: u64, limit: u64, outcome: &mut FileOutcome) {
        self.any = true;
        reject(
            outcome,
            self.ctx.display,
            Some(n),
            oversized_reason(n, len, limit),
        );
    }

    /// Parses line `n` (1-based).
    pub fn line(&mut self, n: u64, raw: &[u8], outcome: &mut FileOutcome) {
        self.any |= parse_jsonl_line(raw, n, &self.ctx, outcome);
    }

    pub fn finish(self, outcome: &mut FileOutcome) {
        if !self.any {
            reject(outcome, self.ctx.display, None, "empty file".into());
        }
    }
}

/// Parses a run of whole lines of a large `.jsonl` file (UTF-8, split at line ends by the
/// caller) whose first line is line `first_line` of the file; returns whether any line held
/// something (the caller rejects the file as [`EMPTY_FILE`] when no chunk of it did). A line
/// longer than `max_line` bytes is rejected as over the limit (see
/// [`JsonLines::oversized`]) instead of parsed.
pub fn parse_jsonl_chunk_limited(
    bytes: &[u8],
    first_line: u64,
    display: &str,
    file_date: Option<NaiveDate>,
    boilerplate: &[String],
    max_line: u64,
    outcome: &mut FileOutcome,
) -> bool {
    let mut lines = JsonLines::new(display, file_date, boilerplate);
    let body = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    if !body.is_empty() {
        for (i, raw) in split_lines(body).enumerate() {
            let n = first_line + i as u64;
            if raw.len() as u64 > max_line {
                lines.oversized(n, raw.len() as u64, max_line, outcome);
            } else {
                lines.line(n, raw, outcome);
            }
        }
    }
    lines.any
}

/// The pieces of `bytes` between newlines, as `bytes.split(|&b| b == b'\n')` gives them
/// (an empty piece after a trailing newline included), found with `memchr`.
fn split_lines(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut start = 0;
    memchr::memchr_iter(b'\n', bytes)
        .map(Some)
        .chain([None])
        .map(move |end| {
            let end = end.unwrap_or(bytes.len());
            let line = &bytes[start..end];
            start = end + 1;
            line
        })
}

/// `20 MB`, `1.5 kB`: sizes in messages.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [(u64, &str); 3] = [(1_000_000_000, "GB"), (1_000_000, "MB"), (1_000, "kB")];
    for (size, unit) in UNITS {
        if n >= size {
            let v = n as f64 / size as f64;
            return if n.is_multiple_of(size) {
                format!("{} {unit}", n / size)
            } else {
                format!("{v:.1} {unit}")
            };
        }
    }
    format!("{n} bytes")
}

/// One line of a JSON Lines file; see `LineSource::parse_line`.
fn parse_jsonl_line(raw: &[u8], n: u64, ctx: &Ctx, outcome: &mut FileOutcome) -> bool {
    let Some(line) = line_text(raw, n, outcome) else {
        return false;
    };
    let place = Place::Line(n);
    // The common flat record without serde; anything else (errors included) through it.
    let item = flat::item(&line).map_or_else(|| serde_json::from_str::<Item>(&line), Ok);
    match item {
        Ok(Item::Object(obj)) => record(ctx, obj, place, outcome),
        Ok(Item::Other(kind)) => reject(
            outcome,
            ctx.display,
            Some(n),
            format!("line {n}: expected a JSON object, found {kind}"),
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

/// A `.json` file's text after what every reading of it checks first: binary data fails the
/// file, a BOM is dropped, an empty file is rejected (`None` then: nothing to parse).
fn whole_text(bytes: &[u8], display: &str, outcome: &mut FileOutcome) -> Option<String> {
    if let Some(reason) = clean::looks_binary(bytes) {
        outcome.failed = Some(reason.to_string());
        return None;
    }
    let mut text = decode_whole(bytes, &mut outcome.warnings);
    if text.starts_with('\u{FEFF}') {
        text.drain(..'\u{FEFF}'.len_utf8());
    }
    if text.trim().is_empty() {
        reject(outcome, display, None, "empty file".into());
        return None;
    }
    Some(text)
}

/// Why a `.json` file is not JSON.
fn whole_error(e: &serde_json::Error) -> String {
    format!(
        "invalid JSON at line {} column {}: {}",
        e.line(),
        e.column(),
        serde_message(e)
    )
}

/// JSON Lines line `n` as text: CR and (on line 1) a BOM dropped, invalid UTF-8 replaced
/// with a warning; `None` for a blank line, which is not a record.
fn line_text<'a>(raw: &'a [u8], n: u64, outcome: &mut FileOutcome) -> Option<Cow<'a, str>> {
    let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
    let raw = if n == 1 {
        raw.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(raw)
    } else {
        raw
    };
    if raw.iter().all(u8::is_ascii_whitespace) {
        return None;
    }
    Some(match std::str::from_utf8(raw) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => {
            outcome
                .warnings
                .push(format!("line {n}: invalid UTF-8 replaced with U+FFFD"));
            String::from_utf8_lossy(raw)
        }
    })
}

fn decode_whole(bytes: &[u8], warnings: &mut Vec<String>) -> String {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        let d = clean::decode(bytes);
        warnings.extend(d.warnings());
        return d.text;
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(e) => {
            warnings.push(format!(
                "invalid UTF-8 replaced with U+FFFD (first at byte offset {})",
                e.valid_up_to()
            ));
            String::from_utf8_lossy(bytes).into_owned()
        }
    }
}

fn reject(outcome: &mut FileOutcome, display: &str, record: Option<u64>, reason: String) {
    outcome.rejected.push(Rejected {
        path: display.to_string(),
        record,
        reason,
    });
}

/// serde_json's message without its trailing position, which is reported separately (and
/// for JSONL would count lines within the line).
fn serde_message(e: &serde_json::Error) -> String {
    let full = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    full.strip_suffix(&suffix).unwrap_or(&full).to_string()
}

/// The values of the aliases present, in alias order: for each, the key equal to it, else
/// the first key (in key order) equal to it ignoring ASCII case.
fn field<'o, 'de, 'a>(
    obj: &'o Object<'de>,
    aliases: &'a [&'a str],
) -> impl Iterator<Item = &'o Val<'de>> + 'a
where
    'o: 'a,
{
    aliases.iter().filter_map(|alias| obj.get(alias))
}

fn first_string<'o>(obj: &'o Object, aliases: &[&str]) -> Option<&'o str> {
    field(obj, aliases)
        .filter_map(Val::as_str)
        .find(|s| !s.trim().is_empty())
}

fn date_value<'o>(obj: &'o Object) -> Option<Cow<'o, str>> {
    field(obj, DATE_KEYS).find_map(|v| match v {
        Val::Str(s) if !s.trim().is_empty() => Some(Cow::Borrowed(s.as_ref())),
        Val::Num(n) => Some(Cow::Owned(unix_date(n))),
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

fn id_value(obj: &Object) -> Option<String> {
    field(obj, &["id"]).find_map(|v| match v {
        Val::Str(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Val::Num(n) => Some(n.to_string()),
        _ => None,
    })
}

fn is_known_key(k: &str) -> bool {
    KNOWN_KEYS.iter().any(|a| k.eq_ignore_ascii_case(a))
}

fn meta_of(obj: &Object) -> BTreeMap<String, Vec<String>> {
    let mut meta: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (k, v) in obj.fields() {
        if is_known_key(k) {
            continue;
        }
        let values: Vec<String> = match v {
            Val::Str(s) if !s.is_empty() => vec![s.to_string()],
            Val::Strs(items) => items.iter().map(|s| s.to_string()).collect(),
            _ => Vec::new(),
        };
        if !values.is_empty() {
            meta.entry(k.to_lowercase()).or_default().extend(values);
        }
    }
    meta
}

/// Moves the article text (the first non-blank string of `text`, `body`, `content`) out of
/// the record, so a text with escapes (decoded once by the parser) is never copied again.
fn take_text(obj: &mut Object) -> Option<String> {
    let alias = TEXT_KEYS
        .iter()
        .find(|alias| matches!(obj.get(alias), Some(Val::Str(s)) if !s.trim().is_empty()))?;
    match obj.take(alias) {
        Some(Val::Str(s)) => Some(s.into_owned()),
        _ => None,
    }
}

fn record(ctx: &Ctx, mut obj: Object, place: Place, outcome: &mut FileOutcome) {
    let Some(text) = take_text(&mut obj) else {
        reject(
            outcome,
            ctx.display,
            place.record(),
            format!("{}{NO_TEXT}", place.prefix()),
        );
        return;
    };
    let cleaned = clean::cleaned(&text, ctx.boilerplate);
    let clean_text = cleaned.as_deref().unwrap_or(&text);
    let title = match first_string(&obj, TITLE_KEYS) {
        Some(t) => clean::collapse(t),
        None => clean_text
            .lines()
            .map(clean::collapse)
            .find(|l| !l.is_empty())
            .unwrap_or_default(),
    };
    let mut warnings = Vec::new();
    let meta_date = date_value(&obj);
    let (date, date_source) = date::resolve(
        meta_date.as_deref(),
        ctx.file_date,
        clean_text,
        &mut warnings,
    );
    outcome.articles.push(Article {
        id: id_value(&obj).unwrap_or_else(|| place.default_id(ctx.display)),
        path: ctx.display.to_string(),
        record: place.record(),
        title,
        date,
        date_source,
        source: first_string(&obj, &["source"]).map(str::to_string),
        url: first_string(&obj, &["url"]).map(str::to_string),
        text,
        cleaned,
        meta: meta_of(&obj),
        warnings,
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::DateSource;

    #[test]
    fn known_keys_are_the_aliases() {
        let aliases: Vec<&str> = TEXT_KEYS
            .iter()
            .chain(TITLE_KEYS)
            .chain(DATE_KEYS)
            .chain(&["source", "url", "id"])
            .copied()
            .collect();
        assert_eq!(KNOWN_KEYS, aliases);
        for a in &aliases {
            assert!(is_known_key(a) && is_known_key(&a.to_uppercase()), "{a}");
        }
        for k in ["tags", "author", "ids", "texts", "", "publishedat"] {
            assert!(!is_known_key(k), "{k}");
        }
    }

    fn run_json(bytes: &[u8]) -> FileOutcome {
        let mut o = FileOutcome::default();
        parse_json(bytes, "f.json", None, &[], &mut o);
        o
    }

    fn run_jsonl(bytes: &[u8]) -> FileOutcome {
        let mut o = FileOutcome::default();
        parse_jsonl(bytes, "f.jsonl", None, &[], &mut o);
        o
    }

    #[test]
    fn field_aliases() {
        // (object, text, title, date, source, url, id)
        type Case = (
            &'static str,
            &'static str,
            &'static str,
            Option<&'static str>,
            Option<&'static str>,
            Option<&'static str>,
            &'static str,
        );
        let cases: &[Case] = &[
            (
                r#"{"text":"T1","title":"Head","date":"2025-06-10","source":"S","url":"U","id":"a1"}"#,
                "T1",
                "Head",
                Some("2025-06-10"),
                Some("S"),
                Some("U"),
                "a1",
            ),
            (
                r#"{"body":"B","headline":"H","published":"Tue, 10 Jun 2025 08:00:00 +0000","id":42}"#,
                "B",
                "H",
                Some("2025-06-10"),
                None,
                None,
                "42",
            ),
            (
                r#"{"text":"  ","content":"First line\nsecond","published_at":1749542400}"#,
                "First line\nsecond",
                "First line",
                Some("2025-06-10"),
                None,
                None,
                "f.json",
            ),
            (
                r#"{"Text":"X","Title":"  Spaced   title ","date":1749542400000}"#,
                "X",
                "Spaced title",
                Some("2025-06-10"),
                None,
                None,
                "f.json",
            ),
            (
                r#"{"text":"X","date":"soon"}"#,
                "X",
                "X",
                None,
                None,
                None,
                "f.json",
            ),
        ];
        for (src, text, title, date, source, url, id) in cases {
            let o = run_json(src.as_bytes());
            assert!(o.failed.is_none() && o.rejected.is_empty(), "{src}: {o:?}");
            let a = &o.articles[0];
            assert_eq!(a.text, *text, "{src}");
            assert_eq!(a.title, *title, "{src}");
            assert_eq!(a.date.map(|d| d.to_string()).as_deref(), *date, "{src}");
            assert_eq!(a.source.as_deref(), *source, "{src}");
            assert_eq!(a.url.as_deref(), *url, "{src}");
            assert_eq!(a.id, *id, "{src}");
            assert_eq!(a.record, None);
            assert_eq!(a.clean_text().len(), a.text.len());
        }
        let o = run_json(br#"{"text":"X","date":"soon"}"#);
        assert_eq!(o.articles[0].date_source, DateSource::None);
        assert_eq!(
            o.articles[0].warnings,
            vec!["date \"soon\" is not a date form newstrack reads; ignored"]
        );
    }

    #[test]
    fn meta_fields() {
        let o = run_json(
            br#"{"text":"x","Tags":["a",1,"b"],"author":"Ann","n":5,"empty":[],"body":"ignored"}"#,
        );
        let m = &o.articles[0].meta;
        assert_eq!(m.get("tags"), Some(&vec!["a".to_string(), "b".to_string()]));
        assert_eq!(m.get("author"), Some(&vec!["Ann".to_string()]));
        assert_eq!(m.len(), 2);
    }

    #[test]
    fn json_array_and_errors() {
        let o = run_json(br#"[{"text":"a"},{"title":"no text"},"str",{"text":"d","id":"x"}]"#);
        let ids: Vec<_> = o
            .articles
            .iter()
            .map(|a| (a.id.as_str(), a.record))
            .collect();
        assert_eq!(ids, [("f.json#0", Some(0)), ("x", Some(3))]);
        let rej: Vec<_> = o
            .rejected
            .iter()
            .map(|r| (r.record, r.reason.as_str()))
            .collect();
        assert_eq!(
            rej,
            [
                (
                    Some(1),
                    "item 1: no text field (expected one of text, body, content)"
                ),
                (Some(2), "item 2: expected a JSON object, found a string"),
            ]
        );

        let cases: &[(&str, Option<&str>, Option<&str>)] = &[
            (
                "[{\"text\": \"a\"},\n  {\"text\": ",
                Some("invalid JSON at line 2 column 11: EOF while parsing a value"),
                None,
            ),
            (
                "{\"text\": \"a\",}",
                Some("invalid JSON at line 1 column 14: trailing comma"),
                None,
            ),
            (
                "42",
                Some("expected a JSON object or an array of objects, found a number"),
                None,
            ),
            ("  \n", None, Some("empty file")),
            (
                "{\"title\":\"t\"}",
                None,
                Some("no text field (expected one of text, body, content)"),
            ),
        ];
        for (src, failed, rejected) in cases {
            let o = run_json(src.as_bytes());
            assert_eq!(o.failed.as_deref(), *failed, "{src}");
            assert_eq!(
                o.rejected.first().map(|r| r.reason.as_str()),
                *rejected,
                "{src}"
            );
            assert!(o.articles.is_empty());
        }
    }

    #[test]
    fn jsonl_lines() {
        let src = b"\xEF\xBB\xBF{\"text\":\"one\"}\r\n\r\n{\"text\":\"three\",\"id\":7}\n{bad\n[1,2]\n{\"title\":\"t\"}\n{\"text\":\"caf\xe9\"}\n";
        let o = run_jsonl(src);
        let got: Vec<_> = o
            .articles
            .iter()
            .map(|a| (a.id.as_str(), a.record, a.text.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("f.jsonl#1", Some(1), "one"),
                ("7", Some(3), "three"),
                ("f.jsonl#7", Some(7), "caf\u{FFFD}"),
            ]
        );
        let rej: Vec<_> = o
            .rejected
            .iter()
            .map(|r| (r.record, r.reason.as_str()))
            .collect();
        assert_eq!(
            rej,
            [
                (
                    Some(4),
                    "line 4: invalid JSON: key must be a string at column 2"
                ),
                (Some(5), "line 5: expected a JSON object, found an array"),
                (
                    Some(6),
                    "line 6: no text field (expected one of text, body, content)"
                ),
            ]
        );
        assert_eq!(
            o.warnings,
            vec!["line 7: invalid UTF-8 replaced with U+FFFD"]
        );
        assert!(o.failed.is_none());
    }

    #[test]
    fn lines_split_as_slice_split() {
        let cases: &[&[u8]] = &[
            b"",
            b"\n",
            b"\n\n",
            b"a",
            b"a\n",
            b"\na",
            b"a\nb",
            b"a\n\nb\n",
            b"\r\n \n",
        ];
        for bytes in cases {
            let want: Vec<&[u8]> = bytes.split(|&b| b == b'\n').collect();
            assert_eq!(split_lines(bytes).collect::<Vec<_>>(), want, "{bytes:?}");
        }
    }

    #[test]
    fn jsonl_empty_and_binary() {
        let o = run_jsonl(b"\n \n");
        assert_eq!(o.rejected[0].reason, "empty file");
        let o = run_jsonl(b"\x1f\x8b\x08\x00");
        assert_eq!(o.failed.as_deref(), Some("binary data (gzip archive)"));
    }
}
