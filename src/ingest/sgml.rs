//! Reuters-21578 SGML files (`.sgm`, `.sgml`): many `<REUTERS>` records per file.
//!
//! Owns: splitting a file into `<REUTERS …>` … `</REUTERS>` records with a plain scanner (the
//! files are not well-formed XML, so no XML parser), reading each record's fields, and the
//! same-length entity blanking of the clean text. Tag and attribute names match ASCII
//! case-insensitively. What each record becomes:
//!
//! - `text`: raw `<TITLE>` + `"\n\n"` + raw `<BODY>`, entity references (`&lt;`, `&#3;` …)
//!   left as written; a `TYPE="BRIEF"` record (no body) is its title alone; a
//!   `TYPE="UNPROC"` record (or one with neither TITLE nor BODY) is its raw `<TEXT>` content.
//! - `clean_text`: named entities become their character padded with spaces (`&lt;` →
//!   `<   `), numeric references to control characters become spaces, other numeric
//!   references their character padded with spaces; then the shared cleaning rules.
//! - `title`: the title with entities decoded and whitespace collapsed (for UNPROC, the first
//!   non-blank line of the text); `date`: the `<DATE>` element as metadata.
//! - `meta` keys: the `<REUTERS>` attributes lowercased (`newid`, `oldid`, `lewissplit`,
//!   `cgisplit`, and `topics` = the YES/NO/BYPASS attribute); the `<D>` values of the label
//!   elements as `topics_labels` (the `<TOPICS>` element), `places`, `people`, `orgs`,
//!   `exchanges`, `companies` (empty lists are left out); `dateline`, `author`, and
//!   `text_type` (`NORM`, `BRIEF` or `UNPROC`).
//! - `id`: `{display}#{NEWID}`, else `{display}#{ordinal}` (1-based record ordinal in the
//!   file); `record`: the 1-based line where `<REUTERS` starts.
//!
//! A record with no closing `</REUTERS>` (a truncated file, or a record cut off by the next
//! `<REUTERS`) is kept, with a warning, when its `<TEXT>` element is complete — no text was
//! lost — and rejected otherwise. A record whose text is blank is rejected.
//!
//! Must not touch: the raw record text (offsets refer to it) and anything outside records
//! (the DOCTYPE line).

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::{clean, date, Article, FileOutcome, Rejected};

/// Parses one Reuters-21578 SGML file.
pub fn parse(
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
    let decoded = clean::decode(bytes);
    outcome.warnings.extend(decoded.warnings());
    let s = decoded.text.as_str();
    // ASCII upper-casing keeps every byte offset, so tags are found in `upper` and content
    // is cut from `s` at the same offsets.
    let upper = s.to_ascii_uppercase();
    let ctx = Ctx {
        s,
        upper: &upper,
        display,
        file_date,
        boilerplate,
    };

    let mut lines = LineCounter::default();
    let mut pos = 0;
    let mut ordinal = 0u64;
    while let Some(start) = find_open(&upper, "REUTERS", pos, upper.len()) {
        ordinal += 1;
        let line = lines.line_at(s, start);
        let next = find_open(&upper, "REUTERS", start + 1, upper.len()).unwrap_or(upper.len());
        let Some(open_end) = upper[start..next].find('>').map(|n| start + n) else {
            outcome.rejected.push(Rejected {
                path: display.to_string(),
                record: Some(line),
                reason: format!(
                    "record at line {line} has no closing </REUTERS> (file truncated?)"
                ),
            });
            pos = next;
            continue;
        };
        let attrs = parse_attrs(&s[start + "<REUTERS".len()..open_end]);
        let (end, closed) = match find_in(&upper, b"</REUTERS>", open_end, next) {
            Some(n) => (open_end + n, true),
            None => (next, false),
        };
        let rec = Record {
            attrs,
            from: open_end + 1,
            to: end,
            line,
            ordinal,
            closed,
        };
        ctx.record(&rec, outcome);
        pos = if closed {
            end + "</REUTERS>".len()
        } else {
            next
        };
    }
    if ordinal == 0 {
        outcome.failed = Some("no <REUTERS> records found (not a Reuters-21578 SGML file?)".into());
    }
}

struct Ctx<'a> {
    s: &'a str,
    upper: &'a str,
    display: &'a str,
    file_date: Option<NaiveDate>,
    boilerplate: &'a [String],
}

struct Record {
    attrs: Vec<(String, String)>,
    /// Content range, between the opening tag's `>` and `</REUTERS>` (or the cut-off point).
    from: usize,
    to: usize,
    line: u64,
    ordinal: u64,
    closed: bool,
}

/// An element found by the scanner: its attribute text and content range.
struct Element {
    attrs: (usize, usize),
    from: usize,
    to: usize,
    closed: bool,
}

/// Turns byte offsets into 1-based line numbers, counting forward only once per file.
#[derive(Default)]
struct LineCounter {
    at: usize,
    newlines: u64,
}

impl LineCounter {
    fn line_at(&mut self, s: &str, pos: usize) -> u64 {
        if pos > self.at {
            self.newlines += s.as_bytes()[self.at..pos]
                .iter()
                .filter(|&&b| b == b'\n')
                .count() as u64;
            self.at = pos;
        }
        self.newlines + 1
    }
}

/// The first occurrence of `needle` in `upper[from..to]`, as an offset from `from`.
/// memchr's vectorised search: `str::find` with a string pattern (Two-Way, byte by byte) was
/// a tenth of a run over the Reuters files, each record being searched for a dozen tags.
fn find_in(upper: &str, needle: &[u8], from: usize, to: usize) -> Option<usize> {
    memchr::memmem::find(upper.get(from..to)?.as_bytes(), needle)
}

/// `<NAME` or `</NAME>` for a tag name, without an allocation per search.
fn tag(name: &str, close: bool) -> ([u8; 24], usize) {
    let mut buf = [0u8; 24];
    let parts: [&[u8]; 3] = if close {
        [b"</", name.as_bytes(), b">"]
    } else {
        [b"<", name.as_bytes(), b""]
    };
    let mut n = 0;
    for p in parts {
        // Tag names are this module's constants, far shorter than the buffer.
        buf[n..n + p.len()].copy_from_slice(p);
        n += p.len();
    }
    (buf, n)
}

/// Offset of the next `<NAME` (followed by `>` or whitespace) in `upper[from..to]`.
fn find_open(upper: &str, name: &str, from: usize, to: usize) -> Option<usize> {
    let (buf, len) = tag(name, false);
    let pat = &buf[..len];
    let mut at = from;
    while at < to {
        let n = find_in(upper, pat, at, to)? + at;
        let after = upper.as_bytes().get(n + pat.len());
        if matches!(after, Some(b'>') | Some(b' ' | b'\t' | b'\r' | b'\n')) {
            return Some(n);
        }
        at = n + pat.len();
    }
    None
}

/// The first `<NAME …>…</NAME>` in `upper[from..to]`; an element without its closing tag
/// runs to `to`.
fn element(upper: &str, name: &str, from: usize, to: usize) -> Option<Element> {
    let start = find_open(upper, name, from, to)?;
    let open_end = upper[start..to].find('>')? + start;
    let (buf, len) = tag(name, true);
    let (end, closed) = match find_in(upper, &buf[..len], open_end + 1, to) {
        Some(n) => (open_end + 1 + n, true),
        None => (to, false),
    };
    Some(Element {
        attrs: (start + 1 + name.len(), open_end),
        from: open_end + 1,
        to: end,
        closed,
    })
}

/// `KEY="value"` / `KEY='value'` / `KEY=value` pairs; keys lowercased.
fn parse_attrs(s: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = s.trim_start();
    while !rest.is_empty() {
        let key_end = rest
            .find(|c: char| c == '=' || c.is_whitespace())
            .unwrap_or(rest.len());
        let key = rest[..key_end].to_ascii_lowercase();
        rest = rest[key_end..].trim_start();
        let value = if let Some(after) = rest.strip_prefix('=') {
            let after = after.trim_start();
            let (value, remaining) = match after.chars().next() {
                Some(q @ ('"' | '\'')) => {
                    let inner = &after[1..];
                    match inner.find(q) {
                        Some(n) => (&inner[..n], &inner[n + 1..]),
                        None => (inner, ""),
                    }
                }
                _ => {
                    let n = after.find(char::is_whitespace).unwrap_or(after.len());
                    (&after[..n], &after[n..])
                }
            };
            rest = remaining;
            value.to_string()
        } else {
            String::new()
        };
        if !key.is_empty() {
            out.push((key, value));
        }
        rest = rest.trim_start();
    }
    out
}

/// Resolves entity references. With `pad`, each reference is replaced in place by its
/// character followed by spaces (control references by spaces only) so the length is
/// unchanged; without, references shrink to their character (controls to one space).
/// Unknown or malformed references are left as written.
fn entities(raw: &str, pad: bool) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let semi = rest.as_bytes().iter().take(12).position(|&b| b == b';');
        let replacement = semi.and_then(|n| entity_char(&rest[1..n]).map(|c| (c, n + 1)));
        match replacement {
            Some((c, len)) => {
                if c.is_control() {
                    let n = if pad { len } else { 1 };
                    out.extend(std::iter::repeat_n(' ', n));
                } else if pad && c.len_utf8() > len {
                    // Cannot happen for references of at most 12 bytes, but never grow text.
                    out.push_str(&rest[..len]);
                } else {
                    out.push(c);
                    if pad {
                        out.extend(std::iter::repeat_n(' ', len - c.len_utf8()));
                    }
                }
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn entity_char(name: &str) -> Option<char> {
    match name {
        "lt" => Some('<'),
        "gt" => Some('>'),
        "amp" => Some('&'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        _ => {
            let num = name.strip_prefix('#')?;
            let code = match num.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => num.parse().ok()?,
            };
            char::from_u32(code)
        }
    }
}

/// Decoded, whitespace-collapsed text of a raw fragment.
fn plain(raw: &str) -> String {
    clean::collapse(&entities(raw, false))
}

impl Ctx<'_> {
    fn reject(&self, rec: &Record, reason: String, outcome: &mut FileOutcome) {
        outcome.rejected.push(Rejected {
            path: self.display.to_string(),
            record: Some(rec.line),
            reason,
        });
    }

    fn record(&self, rec: &Record, outcome: &mut FileOutcome) {
        let (s, upper) = (self.s, self.upper);
        let el = |name: &str, from: usize, to: usize| element(upper, name, from, to);
        let text_el = el("TEXT", rec.from, rec.to);
        let truncated = format!(
            "record at line {} has no closing </REUTERS> (file truncated?)",
            rec.line
        );
        let mut warnings = Vec::new();
        if !rec.closed {
            if !text_el.as_ref().is_some_and(|t| t.closed) {
                self.reject(rec, truncated, outcome);
                return;
            }
            warnings.push(format!("{truncated}; kept: its <TEXT> is complete"));
        }

        let mut meta: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (k, v) in &rec.attrs {
            meta.entry(k.clone()).or_default().push(v.clone());
        }
        for (tag, key) in [
            ("TOPICS", "topics_labels"),
            ("PLACES", "places"),
            ("PEOPLE", "people"),
            ("ORGS", "orgs"),
            ("EXCHANGES", "exchanges"),
            ("COMPANIES", "companies"),
        ] {
            let Some(list) = el(tag, rec.from, rec.to) else {
                continue;
            };
            let mut values = Vec::new();
            let mut at = list.from;
            while let Some(d) = el("D", at, list.to) {
                let v = plain(&s[d.from..d.to]);
                if !v.is_empty() {
                    values.push(v);
                }
                at = if d.closed {
                    d.to + "</D>".len()
                } else {
                    list.to
                };
            }
            if !values.is_empty() {
                meta.insert(key.to_string(), values);
            }
        }
        if let Some(a) = el("AUTHOR", rec.from, rec.to) {
            let author = plain(&s[a.from..a.to]);
            if !author.is_empty() {
                meta.insert("author".into(), vec![author]);
            }
        }

        let (text, title) = match &text_el {
            Some(t) => self.text_of(t, &mut meta),
            None => (String::new(), String::new()),
        };
        let mut clean_text = clean::clean_for_analysis(&entities(&text, true), self.boilerplate);
        if clean_text.trim().is_empty() {
            let who = match meta.get("newid").and_then(|v| v.first()) {
                Some(id) => format!("record NEWID={id}"),
                None => format!("record at line {}", rec.line),
            };
            // A dated wire item with an empty body is still an item the wire sent that day:
            // it is counted (with a warning) so the day's article total stays true.
            if el("DATE", rec.from, rec.to).is_none() {
                self.reject(rec, format!("{who} has no text"), outcome);
                return;
            }
            warnings.push(format!(
                "{who} has no text; counted as an article without mentions"
            ));
        }
        // The same-length guarantee is what makes offsets valid; never hand out a text
        // that breaks it.
        if clean_text.len() != text.len() {
            clean_text = " ".repeat(text.len());
            warnings.push("clean text could not be aligned; blanked".into());
        }

        let date_raw = el("DATE", rec.from, rec.to).map(|d| entities(&s[d.from..d.to], false));
        let (date, date_source) = date::resolve(
            date_raw.as_deref(),
            self.file_date,
            &clean_text,
            &mut warnings,
        );
        let id = match meta
            .get("newid")
            .and_then(|v| v.first())
            .filter(|v| !v.is_empty())
        {
            Some(newid) => format!("{}#{newid}", self.display),
            None => format!("{}#{}", self.display, rec.ordinal),
        };
        outcome.articles.push(Article {
            id,
            path: self.display.to_string(),
            record: Some(rec.line),
            title,
            date,
            date_source,
            source: None,
            url: None,
            cleaned: clean::if_changed(&text, clean_text),
            text,
            meta,
            warnings,
        });
    }

    /// The article text and title of a `<TEXT>` element; records the dateline and type.
    fn text_of(&self, t: &Element, meta: &mut BTreeMap<String, Vec<String>>) -> (String, String) {
        let (s, upper) = (self.s, self.upper);
        let kind = parse_attrs(&s[t.attrs.0..t.attrs.1])
            .into_iter()
            .find(|(k, _)| k == "type")
            .map(|(_, v)| v.to_ascii_uppercase())
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| "NORM".into());
        meta.insert("text_type".into(), vec![kind.clone()]);
        let title = element(upper, "TITLE", t.from, t.to);
        let body = element(upper, "BODY", t.from, t.to);
        if let Some(d) = element(upper, "DATELINE", t.from, t.to) {
            let line = plain(&s[d.from..d.to]);
            let line = line.trim_end_matches(['-', ' ']).to_string();
            if !line.is_empty() {
                meta.insert("dateline".into(), vec![line]);
            }
        }
        if kind == "UNPROC" || (title.is_none() && body.is_none()) {
            let raw = &s[t.from..t.to];
            let title = entities(raw, false)
                .lines()
                .map(clean::collapse)
                .find(|l| !l.is_empty())
                .unwrap_or_default();
            return (raw.to_string(), title);
        }
        let title_raw = title.map_or("", |e| &s[e.from..e.to]);
        let body_raw = body.map_or("", |e| &s[e.from..e.to]);
        let text = match (title_raw.is_empty(), body_raw.is_empty()) {
            (false, false) => format!("{title_raw}\n\n{body_raw}"),
            (false, true) => title_raw.to_string(),
            _ => body_raw.to_string(),
        };
        (text, plain(title_raw))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::DateSource;

    fn run(src: &str) -> FileOutcome {
        run_bytes(src.as_bytes())
    }

    fn run_bytes(bytes: &[u8]) -> FileOutcome {
        let mut o = FileOutcome::default();
        parse(bytes, "r.sgm", None, &[], &mut o);
        o
    }

    #[test]
    fn elements_are_found_by_whole_tag_names() {
        // (text, tag, content of the first such element, closed)
        let cases: &[(&str, &str, Option<&str>, bool)] = &[
            ("<D>A</D>", "D", Some("A"), true),
            // A longer tag sharing the name's first letters neither opens nor closes it.
            (
                "<DATELINE>X</DATELINE><DATE>Y</DATE>",
                "DATE",
                Some("Y"),
                true,
            ),
            ("<D>A</DX> B</D>", "D", Some("A</DX> B"), true),
            ("<D X=1>A</D>", "D", Some("A"), true),
            ("<D\n>A</D>", "D", Some("A"), true),
            ("<D>A", "D", Some("A"), false),
            ("<DX>A</DX>", "D", None, false),
            ("", "D", None, false),
        ];
        for &(text, name, want, closed) in cases {
            let upper = text.to_ascii_uppercase();
            let got = element(&upper, name, 0, upper.len());
            assert_eq!(
                got.as_ref().map(|e| &text[e.from..e.to]),
                want,
                "{text:?} <{name}>"
            );
            if let Some(e) = got {
                assert_eq!(e.closed, closed, "{text:?} <{name}> closed");
            }
        }
    }

    const NORMAL: &str = "<!DOCTYPE lewis SYSTEM \"lewis.dtd\">\n\
<REUTERS TOPICS=\"YES\" LEWISSPLIT=\"TRAIN\" CGISPLIT=\"TRAINING-SET\" OLDID=\"10\" NEWID=\"7\">\n\
<DATE> 5-MAR-1987 09:12:44.02</DATE>\n\
<TOPICS><D>grain</D><D>trade</D></TOPICS>\n\
<PLACES><D>usa</D></PLACES>\n\
<PEOPLE></PEOPLE>\n\
<ORGS><D>gatt</D></ORGS>\n\
<EXCHANGES></EXCHANGES>\n\
<COMPANIES></COMPANIES>\n\
<UNKNOWN>&#5;&#5;noise</UNKNOWN>\n\
<TEXT>&#2;\n\
<TITLE>FARM &amp; TRADE &lt;GROUP&gt; MEETS</TITLE>\n\
<DATELINE>    HOMETOWN, March 5 - </DATELINE><BODY>The &lt;Farm Group> said wheat\n\
talks went well &amp; ended.\n\
 Reuter\n\
&#3;</BODY></TEXT>\n\
</REUTERS>\n";

    #[test]
    fn normal_record_fields() {
        let o = run(NORMAL);
        assert!(o.rejected.is_empty() && o.failed.is_none(), "{o:?}");
        let a = &o.articles[0];
        assert_eq!(a.id, "r.sgm#7");
        assert_eq!(a.record, Some(2));
        assert_eq!(a.title, "FARM & TRADE <GROUP> MEETS");
        assert!(a
            .text
            .starts_with("FARM &amp; TRADE &lt;GROUP&gt; MEETS\n\nThe &lt;Farm"));
        assert!(a.text.ends_with("Reuter\n&#3;"));
        assert_eq!(a.date.map(|d| d.to_string()).as_deref(), Some("1987-03-05"));
        assert_eq!(a.date_source, DateSource::Metadata);
        let m = |k: &str| a.meta.get(k).cloned().unwrap_or_default();
        assert_eq!(m("topics"), ["YES"]);
        assert_eq!(m("topics_labels"), ["grain", "trade"]);
        assert_eq!(m("places"), ["usa"]);
        assert_eq!(m("orgs"), ["gatt"]);
        assert_eq!(m("newid"), ["7"]);
        assert_eq!(m("oldid"), ["10"]);
        assert_eq!(m("lewissplit"), ["TRAIN"]);
        assert_eq!(m("cgisplit"), ["TRAINING-SET"]);
        assert_eq!(m("dateline"), ["HOMETOWN, March 5"]);
        assert_eq!(m("text_type"), ["NORM"]);
        assert!(!a.meta.contains_key("people"));
        assert!(a.warnings.is_empty());
    }

    #[test]
    fn entities_blanked_keeping_offsets() {
        let o = run(NORMAL);
        let a = &o.articles[0];
        assert_eq!(a.clean_text().len(), a.text.len());
        // Every word of the clean text sits at the same offsets in the text.
        for (word, want) in [
            ("wheat", "wheat"),
            ("Group>", "Group>"),
            ("ended.", "ended."),
        ] {
            let s = a.clean_text().find(word).unwrap();
            assert_eq!(&a.text[s..s + want.len()], want);
        }
        let cases = [
            ("&lt;", "<   "),
            ("&amp;", "&    "),
            ("&#3;", "    "),
            ("&gt;", ">   "),
        ];
        for (entity, blanked) in cases {
            let s = a.text.find(entity).unwrap();
            let e = s + entity.len();
            assert_eq!(&a.text[s..e], entity);
            assert_eq!(&a.clean_text()[s..e], blanked);
        }
        assert!(a.clean_text().ends_with("Reuter\n    "));
    }

    #[test]
    fn entity_table() {
        let cases: &[(&str, &str, &str)] = &[
            ("a&lt;b", "a<   b", "a<b"),
            ("&quot;x&quot;", "\"     x\"     ", "\"x\""),
            ("it&apos;s", "it'     s", "it's"),
            ("&#22;&#127;", "           ", "  "),
            ("&#65;&#x42;", "A    B     ", "AB"),
            ("AT&T &nbsp; &#;", "AT&T &nbsp; &#;", "AT&T &nbsp; &#;"),
            ("&#233;", "\u{e9}    ", "\u{e9}"),
        ];
        for (raw, padded, shrunk) in cases {
            assert_eq!(entities(raw, true), *padded, "{raw}");
            assert_eq!(entities(raw, true).len(), raw.len());
            assert_eq!(entities(raw, false), *shrunk, "{raw}");
        }
    }

    #[test]
    fn brief_unproc_and_rejections() {
        let src = "<REUTERS NEWID=\"1\"><DATE>26-FEB-1987 15:01:01.79</DATE>\n\
<TEXT TYPE=\"BRIEF\">&#2;\n******<TITLE>SHORT ITEM HEADLINE\n</TITLE>Blah blah blah.\n&#3;\n</TEXT>\n</REUTERS>\n\
<REUTERS NEWID=\"2\"><DATE>26-FEB-1987 15:02:00.00</DATE>\n\
<TEXT TYPE=\"UNPROC\">&#2;\nWEEKLY TABLE 1 - FEB 26\n  Line one....1 vs 2\n&#3;</TEXT>\n</REUTERS>\n\
<REUTERS NEWID=\"3\">\n<TEXT>&#2;\n&#3;</TEXT>\n</REUTERS>\n\
<REUTERS NEWID=\"4\"><DATE>2-MAR-1987 15:03:00.00</DATE>\n<TEXT><TITLE>CUT</TITLE><BODY>Half a st";
        let o = run(src);
        let got: Vec<_> = o
            .articles
            .iter()
            .map(|a| {
                (
                    a.id.as_str(),
                    a.record,
                    a.title.as_str(),
                    a.meta["text_type"][0].as_str(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("r.sgm#1", Some(1), "SHORT ITEM HEADLINE", "BRIEF"),
                ("r.sgm#2", Some(8), "WEEKLY TABLE 1 - FEB 26", "UNPROC"),
            ]
        );
        assert_eq!(o.articles[0].text, "SHORT ITEM HEADLINE\n");
        assert!(o.articles[1].text.starts_with("&#2;\nWEEKLY TABLE"));
        assert!(o.articles[1].clean_text().starts_with("    \nWEEKLY TABLE"));
        let rej: Vec<_> = o
            .rejected
            .iter()
            .map(|r| (r.record, r.reason.as_str()))
            .collect();
        assert_eq!(
            rej,
            [
                (Some(14), "record NEWID=3 has no text"),
                (
                    Some(18),
                    "record at line 18 has no closing </REUTERS> (file truncated?)"
                ),
            ]
        );
    }

    #[test]
    fn unterminated_record_with_complete_text_is_kept() {
        let src = "<REUTERS NEWID=\"9\">\n<DATE>3-MAR-1987 10:00:00.00</DATE>\n<TEXT><TITLE>KEPT</TITLE><BODY>Whole body.</BODY></TEXT>\n\
<REUTERS NEWID=\"10\">\n<TEXT><TITLE>NEXT</TITLE></TEXT>\n</REUTERS>";
        let o = run(src);
        assert_eq!(o.articles.len(), 2);
        assert_eq!(o.articles[0].text, "KEPT\n\nWhole body.");
        assert_eq!(
            o.articles[0].warnings,
            vec!["record at line 1 has no closing </REUTERS> (file truncated?); kept: its <TEXT> is complete"]
        );
        assert_eq!(o.articles[1].record, Some(4));
        assert!(o.articles[1].warnings.is_empty());
    }

    #[test]
    fn stray_byte_is_replaced_not_lost() {
        let src = NORMAL.replace("wheat", "wh\u{1}at").into_bytes();
        let at = src.iter().position(|&b| b == 1).unwrap();
        let mut bytes = src.clone();
        bytes[at] = 0xFC;
        let o = run_bytes(&bytes);
        assert_eq!(o.articles.len(), 1);
        assert!(o.articles[0].text.contains("wh?at"));
        assert_eq!(
            o.warnings,
            vec![format!(
                "1 invalid UTF-8 byte(s) replaced with '?' at byte offset {at} (first)"
            )]
        );
    }

    #[test]
    fn no_records_and_odd_dates() {
        let o = run("<!DOCTYPE lewis>\nnothing here\n");
        assert!(o.failed.unwrap().starts_with("no <REUTERS> records"));
        let o = run("<REUTERS NEWID=\"5\"><DATE>19-MAR-1987 10:11:12.13&#9;&#9;&#9;C T</DATE><TEXT><TITLE>T</TITLE></TEXT></REUTERS>");
        assert_eq!(
            o.articles[0].date.map(|d| d.to_string()).as_deref(),
            Some("1987-03-19")
        );
        let o = run("<reuters newid=5><date>junk</date><text><title>T</title></text></reuters>");
        assert_eq!(o.articles[0].date, None);
        assert_eq!(o.articles[0].id, "r.sgm#5");
        assert_eq!(
            o.articles[0].warnings,
            vec!["date \"junk\" is not a date form newstrack reads; ignored"]
        );
    }

    /// Runs over the real Reuters-21578 files when the shared data is present.
    #[test]
    fn reuters_21578_corpus() {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/reuters21578");
        if !dir.is_dir() {
            println!("skipping: ../shared/data/reuters21578 not found");
            return;
        }
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "sgm"))
            .collect();
        files.sort();
        assert_eq!(files.len(), 22);
        let (mut records, mut articles, mut rejected, mut dated, mut file_warnings) =
            (0, 0, 0, 0, Vec::new());
        let mut with_date = 0;
        for path in &files {
            let bytes = std::fs::read(path).unwrap();
            records += bytes.windows(9).filter(|w| w == b"<REUTERS ").count();
            with_date += bytes.windows(6).filter(|w| w == b"<DATE>").count();
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            let o = crate::ingest::read_file(path, &name, &[]);
            assert!(o.failed.is_none(), "{name}: {:?}", o.failed);
            for a in &o.articles {
                assert_eq!(a.text.len(), a.clean_text().len(), "{}", a.id);
                // The one empty but dated wire item is kept, with a warning.
                assert!(
                    a.warnings.is_empty() || a.warnings[0].contains("has no text"),
                    "{}: {:?}",
                    a.id,
                    a.warnings
                );
                if a.date.is_some() {
                    assert_eq!(a.date_source, DateSource::Metadata);
                    dated += 1;
                }
            }
            articles += o.articles.len();
            rejected += o.rejected.len();
            file_warnings.extend(o.warnings.iter().map(|w| format!("{name}: {w}")));
        }
        println!(
            "reuters: {records} records, {articles} articles, {rejected} rejected, {dated} dated, warnings {file_warnings:?}"
        );
        assert_eq!(records, 21_578);
        assert_eq!(articles + rejected, records);
        assert_eq!(
            articles, records,
            "every record is an article: {rejected} rejected"
        );
        assert_eq!(with_date, records);
        assert_eq!(dated, articles);
        assert_eq!(file_warnings.len(), 1);
        assert!(file_warnings[0].starts_with("reut2-017.sgm: 1 invalid UTF-8 byte(s)"));
    }
}
