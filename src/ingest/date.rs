//! Dates: parsing the forms news files use, and choosing an article's date with provenance.
//!
//! Owns: the accepted date forms ([`parse_date`]), dates in file names
//! ([`date_from_filename`]) and in the dateline region of a text ([`date_from_text`]), the
//! plausibility rule ([`plausible`]) and the order of trust ([`resolve`]: metadata, then file
//! name, then text, then none). Every format parser resolves dates through [`resolve`].
//! Also how a date is written out ([`push_iso`]), as every report and the state write it.
//!
//! Must not touch: article text or clean text (it only reads them), and it never guesses a
//! date without a year: a partial date like "Feb 26" in a dateline is not a date here.

use std::path::Path;

use chrono::{DateTime, Duration, Local, NaiveDate};

use super::DateSource;

/// How far into a text [`date_from_text`] looks: the dateline and first lines.
const DATELINE_REGION: usize = 1500;

/// A date is plausible when its year is 1800 or later and it is not more than two days after
/// today (local clock): two days absorb time-zone differences in freshly published news.
pub fn plausible(d: NaiveDate) -> bool {
    use chrono::Datelike;
    d.year() >= 1800 && d <= today() + Duration::days(2)
}

/// Appends `d` as chrono's `Display` writes it (`1987-02-26`). Written by hand for years
/// 0 to 9999: chrono's formatter cost about 800 instructions a date, and `documents.csv` and
/// the state write one per document.
pub fn push_iso(d: NaiveDate, out: &mut String) {
    match iso_bytes(d) {
        Some(text) => {
            // Room reserved once; each char is one ASCII byte.
            out.reserve(text.len());
            out.extend(text.map(char::from));
        }
        None => {
            use std::fmt::Write;
            let _ = write!(out, "{d}");
        }
    }
}

/// `d` as `YYYY-MM-DD` ASCII bytes, when its year has four digits (chrono writes other years
/// with a sign or more digits: [`push_iso`] does).
pub fn iso_bytes(d: NaiveDate) -> Option<[u8; 10]> {
    use chrono::Datelike;
    let (y, m, day) = (d.year(), d.month(), d.day());
    if !(0..=9999).contains(&y) {
        return None;
    }
    let y = y as u32;
    let digit = |n: u32| b'0' + n as u8;
    Some([
        digit(y / 1000),
        digit(y / 100 % 10),
        digit(y / 10 % 10),
        digit(y % 10),
        b'-',
        digit(m / 10),
        digit(m % 10),
        b'-',
        digit(day / 10),
        digit(day % 10),
    ])
}

/// `d` written by [`push_iso`].
pub fn iso(d: NaiveDate) -> String {
    let mut s = String::with_capacity(10);
    push_iso(d, &mut s);
    s
}

/// Serde for an `Option<NaiveDate>` as a day number from the common era, for the binary
/// records this build writes and reads back itself (the state's analyst rows and stored
/// summaries, spilled document rows): chrono's own serde form is text, a format and a parse
/// per date.
/// `#[serde(with = "crate::ingest::date::days")]`.
pub mod days {
    use chrono::{Datelike, NaiveDate};
    use serde::{de::Error, Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(d: &Option<NaiveDate>, s: S) -> Result<S::Ok, S::Error> {
        d.map(|d| d.num_days_from_ce()).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
        match Option::<i32>::deserialize(d)? {
            None => Ok(None),
            Some(n) => NaiveDate::from_num_days_from_ce_opt(n)
                .map(Some)
                .ok_or_else(|| D::Error::custom(format!("day {n} is not a date"))),
        }
    }
}

/// Today's local date, read from the clock's time zone at most once a second per thread:
/// every article asks, and the time-zone conversion cost more than the rest of a date.
fn today() -> NaiveDate {
    use std::cell::Cell;
    use std::time::{Duration, Instant};
    thread_local! {
        static TODAY: Cell<Option<(Instant, NaiveDate)>> = const { Cell::new(None) };
    }
    TODAY.with(|cached| {
        let now = Instant::now();
        match cached.get() {
            Some((at, day)) if now.duration_since(at) < Duration::from_secs(1) => day,
            _ => {
                let day = Local::now().date_naive();
                cached.set(Some((now, day)));
                day
            }
        }
    })
}

/// The first valid `YYYY-MM-DD`, `YYYY_MM_DD` or `YYYYMMDD` (bounded by non-digits) in the
/// file name (not the directory part).
pub fn date_from_filename(path: &Path) -> Option<NaiveDate> {
    let name = path.file_name()?.to_string_lossy();
    let b = name.as_bytes();
    let digits_at =
        |i: usize, n: usize| i + n <= b.len() && b[i..i + n].iter().all(u8::is_ascii_digit);
    let bounded_after = |i: usize| i >= b.len() || !b[i].is_ascii_digit();
    for i in 0..b.len() {
        if (i > 0 && b[i - 1].is_ascii_digit()) || !b[i].is_ascii_digit() {
            continue;
        }
        let found = if digits_at(i, 8) && bounded_after(i + 8) {
            ymd(&name[i..i + 4], &name[i + 4..i + 6], &name[i + 6..i + 8])
        } else if digits_at(i, 4)
            && matches!(b.get(i + 4), Some(b'-' | b'_'))
            && digits_at(i + 5, 2)
            && b.get(i + 7) == b.get(i + 4)
            && digits_at(i + 8, 2)
            && bounded_after(i + 10)
        {
            ymd(&name[i..i + 4], &name[i + 5..i + 7], &name[i + 8..i + 10])
        } else {
            None
        };
        if found.is_some() {
            return found;
        }
    }
    None
}

fn ymd(y: &str, m: &str, d: &str) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
}

/// Parses one date value (a metadata field): RFC 3339 / ISO date-times with or without a
/// zone, `YYYY-MM-DD`, `YYYY/MM/DD`, RFC 2822, Reuters ` 5-MAR-1987 09:12:44.02`, and the
/// textual `March 5, 1987`, `Mar. 5, 1987`, `5 March 1987`, `June 10 2025` (a leading weekday
/// is allowed, month names are case-insensitive, anything after the date is ignored). The
/// date is the calendar date as written, not converted to UTC.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    // A bare `YYYY-MM-DD` (the common case) is neither an RFC 3339 date-time nor an RFC 2822
    // date, so the answer below would be `numeric_prefix`'s anyway.
    if s.len() == 10 {
        if let Some(d) = numeric_prefix(s) {
            return Some(d);
        }
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return Some(dt.date_naive());
    }
    if let Ok(dt) = DateTime::parse_from_rfc2822(s) {
        return Some(dt.date_naive());
    }
    if let Some(d) = numeric_prefix(s) {
        return Some(d);
    }
    let tokens = tokenize(s);
    let mut i = 0;
    // A leading weekday ("Tue," / "Tuesday") is decoration.
    if matches!(tokens.first(), Some(t) if t.kind == Kind::Alpha && is_weekday(t.text)) {
        i = 1;
        if matches!(tokens.get(1), Some(t) if t.text == ",") {
            i = 2;
        }
    }
    match_at(&tokens, i)
}

/// `YYYY-MM-DD` or `YYYY/MM/DD` at the start, alone or followed by a time.
fn numeric_prefix(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    if b.len() < 10 {
        return None;
    }
    let sep = b[4];
    if !matches!(sep, b'-' | b'/') || b[7] != sep {
        return None;
    }
    if !(b[..4].iter().chain(&b[5..7]).chain(&b[8..10])).all(u8::is_ascii_digit) {
        return None;
    }
    match b.get(10) {
        None => {}
        // A time (or a zone) may follow the date.
        Some(b'T' | b't' | b' ') if b.get(11).is_some_and(u8::is_ascii_digit) => {}
        Some(_) => return None,
    }
    ymd(&s[..4], &s[5..7], &s[8..10])
}

/// The first plausible full date (with a year) in the dateline region — the first ~1,500
/// bytes — of a text, in ISO form or the textual forms [`parse_date`] accepts. Implausible
/// dates (a year like 1066, or the future) are passed over.
pub fn date_from_text(text: &str) -> Option<NaiveDate> {
    let mut end = text.len().min(DATELINE_REGION);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let tokens = tokenize(&text[..end]);
    (0..tokens.len())
        .filter_map(|i| match_at(&tokens, i))
        .find(|d| plausible(*d))
}

/// Chooses the article date: metadata, then the file-name date, then the text, then none.
/// A metadata or file-name date that cannot be parsed or is implausible adds a warning
/// naming the value and falls through to the next source.
pub fn resolve(
    meta: Option<&str>,
    file_date: Option<NaiveDate>,
    text: &str,
    warnings: &mut Vec<String>,
) -> (Option<NaiveDate>, DateSource) {
    if let Some(raw) = meta.map(str::trim).filter(|s| !s.is_empty()) {
        let shown = shorten(raw);
        match parse_date(raw) {
            Some(d) if plausible(d) => return (Some(d), DateSource::Metadata),
            Some(d) => warnings.push(format!("date \"{shown}\" {}; ignored", why_implausible(d))),
            None => warnings.push(format!(
                "date \"{shown}\" is not a date form newstrack reads; ignored"
            )),
        }
    }
    if let Some(d) = file_date {
        if plausible(d) {
            return (Some(d), DateSource::Filename);
        }
        warnings.push(format!(
            "file-name date {d} {}; ignored",
            why_implausible(d)
        ));
    }
    match date_from_text(text) {
        Some(d) => (Some(d), DateSource::Text),
        None => (None, DateSource::None),
    }
}

fn why_implausible(d: NaiveDate) -> &'static str {
    if d > today() {
        "lies in the future"
    } else {
        "is before 1800"
    }
}

/// Keeps warnings readable when a date field holds a paragraph.
fn shorten(s: &str) -> String {
    const MAX: usize = 60;
    match s.char_indices().nth(MAX) {
        Some((i, _)) => format!("{}...", &s[..i]),
        None => s.to_string(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Alpha,
    Digit,
    Punct,
}

#[derive(Debug, Clone, Copy)]
struct Token<'a> {
    kind: Kind,
    text: &'a str,
    /// Whether whitespace separates this token from the previous one.
    spaced: bool,
}

fn tokenize(s: &str) -> Vec<Token<'_>> {
    let mut out = Vec::new();
    let mut spaced = true;
    let mut iter = s.char_indices().peekable();
    while let Some((start, c)) = iter.next() {
        if c.is_whitespace() {
            spaced = true;
            continue;
        }
        let kind = if c.is_ascii_digit() {
            Kind::Digit
        } else if c.is_alphabetic() {
            Kind::Alpha
        } else {
            Kind::Punct
        };
        let mut end = start + c.len_utf8();
        if kind != Kind::Punct {
            while let Some(&(i, n)) = iter.peek() {
                let same = match kind {
                    Kind::Digit => n.is_ascii_digit(),
                    _ => n.is_alphabetic(),
                };
                if !same {
                    break;
                }
                end = i + n.len_utf8();
                iter.next();
            }
        }
        out.push(Token {
            kind,
            text: &s[start..end],
            spaced,
        });
        spaced = false;
    }
    out
}

fn month(word: &str) -> Option<u32> {
    const NAMES: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    let w = word.to_ascii_lowercase();
    if w.len() < 3 {
        return None;
    }
    if w == "sept" {
        return Some(9);
    }
    NAMES
        .iter()
        .position(|n| *n == w || (w.len() == 3 && n.starts_with(&w)))
        .map(|i| i as u32 + 1)
}

fn is_weekday(word: &str) -> bool {
    const DAYS: [&str; 7] = [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ];
    let w = word.to_ascii_lowercase();
    DAYS.iter()
        .any(|d| *d == w || (w.len() >= 3 && d.starts_with(&w)))
}

fn day_num(t: &Token) -> Option<u32> {
    (t.kind == Kind::Digit && t.text.len() <= 2)
        .then(|| t.text.parse().ok())
        .flatten()
}

fn year_num(t: &Token) -> Option<i32> {
    (t.kind == Kind::Digit && t.text.len() == 4)
        .then(|| t.text.parse().ok())
        .flatten()
}

fn is_ordinal_suffix(t: &Token) -> bool {
    !t.spaced
        && t.kind == Kind::Alpha
        && matches!(
            t.text.to_ascii_lowercase().as_str(),
            "st" | "nd" | "rd" | "th"
        )
}

/// Matches one date form starting at token `i`. Numbers must not run on into further digits
/// (`2025-06-101` is not a date), and words must start at a word boundary.
fn match_at(tokens: &[Token], i: usize) -> Option<NaiveDate> {
    let t = |k: usize| tokens.get(k);
    let punct =
        |k: usize, p: &str| t(k).is_some_and(|x| x.kind == Kind::Punct && x.text == p && !x.spaced);
    let first = t(i)?;
    // A number glued to a preceding digit or letter is part of something else (an id).
    if !first.spaced && i > 0 && tokens[i - 1].kind != Kind::Punct {
        return None;
    }
    match first.kind {
        Kind::Digit if first.text.len() == 4 => {
            // ISO 2025-06-10 or 2025/06/10.
            let sep = t(i + 1)?.text;
            if !(sep == "-" || sep == "/") || !punct(i + 1, sep) || !punct(i + 3, sep) {
                return None;
            }
            let (m, d) = (t(i + 2)?, t(i + 4)?);
            if m.spaced || d.spaced || m.kind != Kind::Digit || d.kind != Kind::Digit {
                return None;
            }
            if m.text.len() != 2 || d.text.len() != 2 {
                return None;
            }
            ymd(first.text, m.text, d.text)
        }
        Kind::Digit => {
            let day = day_num(first)?;
            let mut k = i + 1;
            if t(k).is_some_and(is_ordinal_suffix) {
                k += 1;
            }
            if punct(k, "-") {
                // Reuters 5-MAR-1987.
                let mon = month(
                    t(k + 1)
                        .filter(|x| !x.spaced && x.kind == Kind::Alpha)?
                        .text,
                )?;
                if !punct(k + 2, "-") {
                    return None;
                }
                let year = year_num(t(k + 3).filter(|x| !x.spaced)?)?;
                return NaiveDate::from_ymd_opt(year, mon, day);
            }
            // 5 March 1987 / 5 Mar. 1987 / 5 March, 1987.
            let m = t(k).filter(|x| x.kind == Kind::Alpha)?;
            let mon = month(m.text)?;
            k += 1;
            if punct(k, ".") || t(k).is_some_and(|x| x.text == ",") {
                k += 1;
            }
            let year = year_num(t(k)?)?;
            NaiveDate::from_ymd_opt(year, mon, day)
        }
        Kind::Alpha => {
            // March 5, 1987 / Mar. 5, 1987 / June 10 2025 / June 10th, 2025.
            let mon = month(first.text)?;
            let mut k = i + 1;
            if punct(k, ".") {
                k += 1;
            }
            let day = day_num(t(k)?)?;
            k += 1;
            if t(k).is_some_and(is_ordinal_suffix) {
                k += 1;
            }
            if t(k).is_some_and(|x| x.text == ",") {
                k += 1;
            }
            // Digit runs are whole tokens, so "June 10 20250" fails the length check.
            let year = year_num(t(k)?)?;
            NaiveDate::from_ymd_opt(year, mon, day)
        }
        Kind::Punct => None,
    }
}

#[cfg(test)]
mod tests {
    /// Every day of the years around each width change and of the years news files carry,
    /// plus the ends of chrono's range, against chrono's own formatting.
    #[test]
    fn push_iso_writes_what_chrono_writes() {
        let years = (-2..=12)
            .chain(95..=105)
            .chain(995..=1005)
            .chain(1790..=2100)
            .chain(9995..=10005);
        let mut n = 0;
        for y in years {
            let mut d = NaiveDate::from_ymd_opt(y, 1, 1).unwrap();
            while chrono::Datelike::year(&d) == y {
                assert_eq!(super::iso(d), d.to_string());
                match super::iso_bytes(d) {
                    Some(b) => assert_eq!(&b[..], d.to_string().as_bytes()),
                    None => assert!(!(0..=9999).contains(&y), "{d}"),
                }
                n += 1;
                d = d.succ_opt().unwrap();
            }
        }
        assert!(n > 130_000, "{n} days");
        for d in [NaiveDate::MIN, NaiveDate::MAX] {
            assert_eq!(super::iso(d), d.to_string());
        }
    }

    use super::*;

    /// Day numbers round-trip every date (None included), and a number that is no date is
    /// an error, not a missing date.
    #[test]
    fn days_round_trip_and_refuse_what_is_no_date() {
        #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
        struct R(#[serde(with = "super::days")] Option<NaiveDate>);
        for d in [
            None,
            NaiveDate::from_ymd_opt(1987, 2, 26),
            NaiveDate::from_ymd_opt(1, 1, 1),
            Some(NaiveDate::MIN),
            Some(NaiveDate::MAX),
        ] {
            let bytes = postcard::to_allocvec(&R(d)).unwrap();
            assert_eq!(postcard::from_bytes::<R>(&bytes).unwrap(), R(d));
        }
        let bytes = postcard::to_allocvec(&Some(i32::MAX)).unwrap();
        assert!(postcard::from_bytes::<R>(&bytes).is_err());
    }

    proptest::proptest! {
        /// `parse_date` answers a bare `YYYY-MM-DD` / `YYYY/MM/DD` before trying RFC 3339 and
        /// RFC 2822: that is only right if neither accepts such a string.
        #[test]
        fn bare_numeric_dates_are_not_rfc_forms(
            y in 0u32..10000, m in 0u32..100, day in 0u32..100, slash in proptest::bool::ANY,
        ) {
            let sep = if slash { '/' } else { '-' };
            let s = format!("{y:04}{sep}{m:02}{sep}{day:02}");
            proptest::prop_assert!(DateTime::parse_from_rfc3339(&s).is_err(), "{}", s);
            proptest::prop_assert!(DateTime::parse_from_rfc2822(&s).is_err(), "{}", s);
            proptest::prop_assert_eq!(parse_date(&s), ymd(&s[..4], &s[5..7], &s[8..10]));
        }
    }

    fn d(y: i32, m: u32, day: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(y, m, day)
    }

    #[test]
    fn parse_date_forms() {
        let cases: &[(&str, Option<NaiveDate>)] = &[
            ("2025-06-10", d(2025, 6, 10)),
            ("  2025-06-10  ", d(2025, 6, 10)),
            ("2025/06/10", d(2025, 6, 10)),
            ("2025-06-10T08:00:00Z", d(2025, 6, 10)),
            ("2025-06-10T23:30:00-05:00", d(2025, 6, 10)),
            ("2025-06-10T08:00:00", d(2025, 6, 10)),
            ("2025-06-10 08:00", d(2025, 6, 10)),
            ("2025-06-10T08:00:00.123+0200", d(2025, 6, 10)),
            ("Tue, 10 Jun 2025 08:00:00 +0000", d(2025, 6, 10)),
            ("Mon, 10 Jun 2025 08:00:00 GMT", d(2025, 6, 10)),
            (" 5-MAR-1987 09:12:44.02", d(1987, 3, 5)),
            ("26-FEB-1987 15:01:01.79", d(1987, 2, 26)),
            ("19-MAR-1987 10:11:12.13\t\t\tC T", d(1987, 3, 19)),
            ("March 5, 1987", d(1987, 3, 5)),
            ("march 5, 1987", d(1987, 3, 5)),
            ("Mar. 5, 1987", d(1987, 3, 5)),
            ("Sept. 30, 1987", d(1987, 9, 30)),
            ("5 March 1987", d(1987, 3, 5)),
            ("5th March 1987", d(1987, 3, 5)),
            ("June 10 2025", d(2025, 6, 10)),
            ("June 10th, 2025 at 9am", d(2025, 6, 10)),
            ("Tuesday, June 10, 2025", d(2025, 6, 10)),
            ("2025-02-30", None),
            ("2025-06-1", None),
            ("2025-06-10x", d(2025, 6, 10)),
            ("June 2025", None),
            ("Feb 26", None),
            ("yesterday", None),
            ("", None),
            ("31 Foo 2020", None),
        ];
        for (input, want) in cases {
            assert_eq!(parse_date(input), *want, "input {input:?}");
        }
    }

    #[test]
    fn filename_dates() {
        let cases: &[(&str, Option<NaiveDate>)] = &[
            ("news/2025-06-10-tariffs.md", d(2025, 6, 10)),
            ("2025_06_10.txt", d(2025, 6, 10)),
            ("report-20250610.json", d(2025, 6, 10)),
            ("id123456789.txt", None),
            ("2025-13-01.txt", None),
            ("v1-2025-06-10.txt", d(2025, 6, 10)),
            ("2025-06_10.txt", None),
            ("2024-05-01/notes.txt", None),
            ("x99999999-2024-02-29.txt", d(2024, 2, 29)),
            ("plain.txt", None),
        ];
        for (input, want) in cases {
            assert_eq!(
                date_from_filename(Path::new(input)),
                *want,
                "input {input:?}"
            );
        }
    }

    #[test]
    fn text_dates() {
        let far = format!("{}June 10, 2025", "x ".repeat(800));
        let cases: &[(&str, Option<NaiveDate>)] = &[
            ("WASHINGTON, March 5, 1987 - Officials said", d(1987, 3, 5)),
            ("Posted 10 June 2025 by staff", d(2025, 6, 10)),
            ("Updated: 2025-06-10T08:00Z", d(2025, 6, 10)),
            ("Filed 5-MAR-1987 at noon", d(1987, 3, 5)),
            ("TOKYO, Feb 26 - no year here", None),
            ("Order 12345 June 10 2025", d(2025, 6, 10)),
            (
                "In 1066 and on May 1, 1066 things happened; then June 1, 2001",
                d(2001, 6, 1),
            ),
            ("Scheduled for June 1, 2999", None),
            (far.as_str(), None),
        ];
        for (input, want) in cases {
            assert_eq!(date_from_text(input), *want, "input {input:?}");
        }
    }

    #[test]
    fn plausibility() {
        let today = Local::now().date_naive();
        assert!(plausible(today));
        assert!(plausible(today + Duration::days(2)));
        assert!(!plausible(today + Duration::days(3)));
        assert!(plausible(NaiveDate::from_ymd_opt(1800, 1, 1).unwrap()));
        assert!(!plausible(NaiveDate::from_ymd_opt(1799, 12, 31).unwrap()));
    }

    #[test]
    fn resolve_order_and_warnings() {
        let f = d(2024, 1, 2);
        // (metadata, file-name date, text, expected date, source, warnings)
        type Case<'a> = (
            Option<&'a str>,
            Option<NaiveDate>,
            &'a str,
            Option<NaiveDate>,
            DateSource,
            &'a [&'a str],
        );
        let cases: &[Case] = &[
            (
                Some("2025-06-10"),
                f,
                "",
                d(2025, 6, 10),
                DateSource::Metadata,
                &[],
            ),
            (
                Some("2099-01-01"),
                f,
                "",
                f,
                DateSource::Filename,
                &["date \"2099-01-01\" lies in the future; ignored"],
            ),
            (
                Some("not a date"),
                None,
                "Jan 3, 2020 story",
                d(2020, 1, 3),
                DateSource::Text,
                &["date \"not a date\" is not a date form newstrack reads; ignored"],
            ),
            (
                Some("1700-01-01"),
                None,
                "",
                None,
                DateSource::None,
                &["date \"1700-01-01\" is before 1800; ignored"],
            ),
            (Some("  "), None, "", None, DateSource::None, &[]),
            (
                None,
                d(2099, 1, 1),
                "",
                None,
                DateSource::None,
                &["file-name date 2099-01-01 lies in the future; ignored"],
            ),
            (None, None, "no date at all", None, DateSource::None, &[]),
        ];
        for (meta, file, text, want, source, warns) in cases {
            let mut w = Vec::new();
            let got = resolve(*meta, *file, text, &mut w);
            assert_eq!(got, (*want, *source), "meta {meta:?}");
            assert_eq!(w, warns.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        }
    }

    #[test]
    fn days_travel_as_day_numbers_and_a_damaged_one_is_an_error() {
        use chrono::Datelike;
        #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
        struct Dated {
            #[serde(with = "super::days")]
            date: Option<NaiveDate>,
        }
        let ymd = |y, m, d| NaiveDate::from_ymd_opt(y, m, d);
        let cases = [
            None,
            ymd(1, 1, 1),
            ymd(1987, 3, 2),
            ymd(2025, 6, 10),
            ymd(-44, 3, 15),
            Some(NaiveDate::MIN),
            Some(NaiveDate::MAX),
        ];
        for date in cases {
            let d = Dated { date };
            let bytes = postcard::to_allocvec(&d).unwrap();
            assert_eq!(
                postcard::from_bytes::<Dated>(&bytes).unwrap(),
                d,
                "{date:?}"
            );
            // A tag byte and a varint of the day number, not ten bytes of text.
            assert!(bytes.len() <= 1 + 4, "{date:?}: {bytes:?}");
        }
        for n in [i32::MAX, i32::MIN, NaiveDate::MAX.num_days_from_ce() + 1] {
            let bytes = postcard::to_allocvec(&Some(n)).unwrap();
            let e = postcard::from_bytes::<Dated>(&bytes).unwrap_err();
            assert!(matches!(e, postcard::Error::SerdeDeCustom), "{n}: {e}");
        }
    }
}
