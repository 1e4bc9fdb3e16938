//! Byte decoding and offset-preserving cleaning shared by every format parser.
//!
//! Owns: turning file bytes into a `String` without shifting offsets (invalid UTF-8 bytes
//! become one `?` each; UTF-16 is decoded, with a warning that offsets then refer to the
//! decoded text), the same-length `clean_text` rules (control characters, stray carriage
//! returns, byte-order marks and boilerplate lines become spaces), the content hash used for
//! exact-duplicate detection, and binary-file sniffing.
//!
//! Must not touch: format structure (front matter, JSON fields, HTML tags, SGML records) —
//! the parsers blank those themselves with [`blank`] — and it must never change the byte
//! length of a text, since every offset reported later points into the original text.

use std::cell::RefCell;

use xxhash_rust::xxh3::{xxh3_128, Xxh3};

/// Lines that carry no article content on news pages; a line whose trimmed text equals one of
/// these (ASCII case-insensitive) is blanked in the clean text.
pub const BOILERPLATE: &[&str] = &[
    "advertisement",
    "tags",
    "share this",
    "share this article",
    "share",
    "related",
    "related articles",
    "read more",
    "subscribe",
    "sign up",
    "click here",
    "skip to content",
    "comments",
    "tweet",
    "email",
    "print",
    "follow us",
    "listen to this article",
    "most read",
    "recommended",
];

/// The encoding a file was read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf16Le,
    Utf16Be,
}

/// A decoded file: the text, and what had to be repaired to get it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    pub text: String,
    pub encoding: Encoding,
    /// Bytes (UTF-8) or code units (UTF-16) that were not valid and became `?`.
    pub replaced: usize,
    /// Offset of the first replaced byte (UTF-8: file offset; UTF-16: offset in `text`).
    pub first_invalid: Option<usize>,
}

impl Decoded {
    /// The warnings a caller should record for this decoding (none for clean UTF-8).
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        match self.encoding {
            Encoding::Utf8 => {}
            Encoding::Utf16Le | Encoding::Utf16Be => {
                let name = if self.encoding == Encoding::Utf16Le {
                    "UTF-16LE"
                } else {
                    "UTF-16BE"
                };
                out.push(format!(
                    "file is {name}: decoded to UTF-8, so offsets refer to the decoded text, \
                     not to file bytes"
                ));
            }
        }
        if self.replaced > 0 {
            let first = self.first_invalid.unwrap_or(0);
            out.push(match self.encoding {
                Encoding::Utf8 => invalid_utf8_warning(self.replaced, first),
                _ => format!(
                    "{} invalid UTF-16 code unit(s) replaced with '?' at text offset {first} \
                     (first)",
                    self.replaced
                ),
            });
        }
        out
    }
}

/// The warning text for invalid UTF-8 bytes replaced one-for-one.
pub fn invalid_utf8_warning(count: usize, first_offset: usize) -> String {
    format!("{count} invalid UTF-8 byte(s) replaced with '?' at byte offset {first_offset} (first)")
}

/// Decodes UTF-8 so that the result has exactly the byte length of the input: each invalid
/// byte becomes one `?`. Returns the text and the number of bytes replaced.
pub fn decode_preserving(bytes: &[u8]) -> (String, usize) {
    let (text, replaced, _) = decode_utf8(bytes);
    (text, replaced)
}

/// Decodes a whole file: UTF-16 when it starts with a UTF-16 byte-order mark, otherwise UTF-8
/// with [`decode_preserving`]'s one-for-one repair. A UTF-8 BOM is kept in the text (it is
/// blanked in the clean text) so offsets remain file offsets.
pub fn decode(bytes: &[u8]) -> Decoded {
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        return decode_utf16(rest, Encoding::Utf16Le);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        return decode_utf16(rest, Encoding::Utf16Be);
    }
    let (text, replaced, first_invalid) = decode_utf8(bytes);
    Decoded {
        text,
        encoding: Encoding::Utf8,
        replaced,
        first_invalid,
    }
}

fn decode_utf8(bytes: &[u8]) -> (String, usize, Option<usize>) {
    let mut out = String::with_capacity(bytes.len());
    let mut replaced = 0;
    let mut first = None;
    let mut pos = 0;
    while pos < bytes.len() {
        match std::str::from_utf8(&bytes[pos..]) {
            Ok(s) => {
                out.push_str(s);
                break;
            }
            Err(e) => {
                let valid = e.valid_up_to();
                // `valid_up_to` guarantees this prefix is UTF-8, so the lossy call copies it.
                out.push_str(&String::from_utf8_lossy(&bytes[pos..pos + valid]));
                // An incomplete sequence at the end has no error_len: all of it is invalid.
                let bad = e.error_len().unwrap_or(bytes.len() - pos - valid);
                first.get_or_insert(pos + valid);
                for _ in 0..bad {
                    out.push('?');
                }
                replaced += bad;
                pos += valid + bad;
            }
        }
    }
    (out, replaced, first)
}

fn flush_utf16(
    good: &mut Vec<u16>,
    text: &mut String,
    replaced: &mut usize,
    first: &mut Option<usize>,
) {
    for c in char::decode_utf16(good.drain(..)) {
        match c {
            Ok(c) => text.push(c),
            Err(_) => {
                first.get_or_insert(text.len());
                text.push('?');
                *replaced += 1;
            }
        }
    }
}

fn decode_utf16(bytes: &[u8], encoding: Encoding) -> Decoded {
    let units = bytes.chunks(2).map(|c| match (c, encoding) {
        ([a, b], Encoding::Utf16Le) => Ok(u16::from_le_bytes([*a, *b])),
        ([a, b], _) => Ok(u16::from_be_bytes([*a, *b])),
        // A dangling odd byte cannot form a code unit.
        _ => Err(()),
    });
    let mut text = String::with_capacity(bytes.len());
    let mut replaced = 0;
    let mut first = None;
    let mut good = Vec::new();
    for u in units {
        match u {
            Ok(u) => good.push(u),
            Err(()) => {
                flush_utf16(&mut good, &mut text, &mut replaced, &mut first);
                first.get_or_insert(text.len());
                text.push('?');
                replaced += 1;
            }
        }
    }
    flush_utf16(&mut good, &mut text, &mut replaced, &mut first);
    Decoded {
        text,
        encoding,
        replaced,
        first_invalid: first,
    }
}

/// The text the analyzer sees: same byte length as `text`, char boundaries unchanged.
/// Control characters (other than newline and tab) and U+FEFF become spaces; a lone `\r`
/// becomes `\n` (old Mac line ends) and a `\r` before `\n` a space; lines that are only
/// boilerplate (`boilerplate`, given lowercased, or [`BOILERPLATE`]) are blanked, newline kept.
pub fn clean_for_analysis(text: &str, boilerplate: &[String]) -> String {
    clean_known(text, boilerplate, has_replaced_char(text.as_bytes()))
}

/// [`clean_for_analysis`] once whether `text` has a character to replace is known
/// (`replace`). Most text has none (checked a vector block at a time): one copy, instead of
/// a scan that copies runs between the characters it must look at.
fn clean_known(text: &str, boilerplate: &[String], replace: bool) -> String {
    let mut out = if replace {
        replace_chars(text)
    } else {
        text.to_owned()
    };
    blank_boilerplate_lines(&mut out, boilerplate);
    out
}

/// `text` with the characters [`clean_for_analysis`] replaces replaced, byte length kept.
fn replace_chars(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        // Printable ASCII, newlines and tabs are copied as they are, a run at a time.
        let run = i;
        while i < bytes.len() && matches!(bytes[i], b' '..=b'~' | b'\n' | b'\t') {
            i += 1;
        }
        out.push_str(&text[run..i]);
        let Some(c) = text[i..].chars().next() else {
            break;
        };
        match c {
            '\r' => out.push(if bytes.get(i + 1) == Some(&b'\n') {
                ' '
            } else {
                '\n'
            }),
            c if c.is_control() || c == '\u{FEFF}' => push_spaces(&mut out, c.len_utf8()),
            c => out.push(c),
        }
        i += c.len_utf8();
    }
    out
}

/// [`clean_for_analysis`] when it changes something, `None` when the clean text would equal
/// `text`, so the caller keeps one copy of the text instead of two (see
/// `Article::clean_text`). It changes something when `text` has a character cleaning
/// replaces (a control character but newline and tab, which covers `\r`; U+FEFF) or a line
/// that is only boilerplate; most articles have neither, and finding that out allocates
/// nothing.
pub fn cleaned(text: &str, boilerplate: &[String]) -> Option<String> {
    let replace = has_replaced_char(text.as_bytes());
    (replace || has_boilerplate_line(text, boilerplate))
        .then(|| clean_known(text, boilerplate, replace))
}

/// `clean` unless it equals `text`: the form `Article::cleaned` stores.
pub fn if_changed(text: &str, clean: String) -> Option<String> {
    (clean != text).then_some(clean)
}

/// Whether `bytes` (UTF-8) hold a character [`clean_for_analysis`] replaces.
fn has_replaced_char(bytes: &[u8]) -> bool {
    const BLOCK: usize = 32;
    let n = bytes.len();
    let mut i = 0;
    while i < n {
        // Prose is passed a block at a time while every byte is printable ASCII, newline or
        // tab: a fold without early exit, which the compiler turns into vector code.
        while i + BLOCK <= n
            && !bytes[i..i + BLOCK].iter().fold(false, |odd, &b| {
                odd | !matches!(b, b' '..=b'~' | b'\n' | b'\t')
            })
        {
            i += BLOCK;
        }
        let end = (i + BLOCK).min(n);
        while i < end {
            match bytes[i] {
                b' '..=b'~' | b'\t' | b'\n' => {}
                // Other C0 controls (`\r` included) and DEL.
                0..=0x7F => return true,
                // C1 controls, U+0080..=U+009F, are C2 80..=C2 9F; U+FEFF is EF BB BF. Both
                // lead bytes start a character, so they cannot be met inside one.
                0xC2 if matches!(bytes.get(i + 1), Some(0x80..=0x9F)) => return true,
                0xEF if bytes.get(i + 1) == Some(&0xBB) && bytes.get(i + 2) == Some(&0xBF) => {
                    return true
                }
                _ => {}
            }
            i += 1;
        }
    }
    false
}

/// Whether a line of `text` is only boilerplate.
fn has_boilerplate_line(text: &str, extra: &[String]) -> bool {
    let longest = longest_boilerplate(extra);
    let bytes = text.as_bytes();
    let n = bytes.len();
    let mut start = 0;
    loop {
        let end = memchr::memchr(b'\n', &bytes[start..]).map_or(n, |p| start + p);
        if maybe_boilerplate(&bytes[start..end], longest)
            && is_boilerplate(&text[start..end], extra, longest)
        {
            return true;
        }
        if end == n {
            return false;
        }
        start = end + 1;
    }
}

/// Whether `line` could be a boilerplate line. Most lines are prose: ending in a visible
/// ASCII character, with one within their first `len - longest` bytes, they trim to more
/// than `longest` bytes and cannot be.
fn maybe_boilerplate(line: &[u8], longest: usize) -> bool {
    let len = line.len();
    !(len > longest
        && line[len - 1].is_ascii_graphic()
        && line[..len - longest].iter().any(u8::is_ascii_graphic))
}

fn push_spaces(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

fn is_boilerplate(line: &str, extra: &[String], longest: usize) -> bool {
    // ASCII whitespace is trimmed bytewise; when what is left starts and ends with ASCII,
    // that is `trim()` (no other whitespace can be at its ends), without decoding chars.
    let b = line.as_bytes();
    let s = b.iter().position(|&c| !ascii_space(c)).unwrap_or(b.len());
    let e = b
        .iter()
        .rposition(|&c| !ascii_space(c))
        .map_or(s, |p| p + 1);
    let t = if b[s..e].first().is_some_and(u8::is_ascii) && b[s..e].last().is_some_and(u8::is_ascii)
    {
        &line[s..e]
    } else {
        line.trim()
    };
    // Most lines are prose, longer than any boilerplate line: settled by their length.
    !t.is_empty()
        && t.len() <= longest
        && (BOILERPLATE.iter().any(|b| t.eq_ignore_ascii_case(b))
            || extra.iter().any(|b| t.eq_ignore_ascii_case(b.trim())))
}

/// The trimmed length of the longest boilerplate line: longer lines are settled by length.
fn longest_boilerplate(extra: &[String]) -> usize {
    BOILERPLATE
        .iter()
        .map(|b| b.len())
        .chain(extra.iter().map(|b| b.trim().len()))
        .max()
        .unwrap_or(0)
}

fn blank_boilerplate_lines(clean: &mut String, extra: &[String]) {
    let longest = longest_boilerplate(extra);
    let n = clean.len();
    let mut start = 0;
    loop {
        let end = memchr::memchr(b'\n', &clean.as_bytes()[start..]).map_or(n, |p| start + p);
        // Prose lines are settled by `maybe_boilerplate` without a look at their text.
        if maybe_boilerplate(&clean.as_bytes()[start..end], longest)
            && is_boilerplate(&clean[start..end], extra, longest)
        {
            // A whole line (between newlines, or the text's ends): char boundaries.
            blank(clean, start, end);
        }
        if end == n {
            return;
        }
        start = end + 1;
    }
}

/// Replaces `clean[start..end]` by spaces, byte for byte. Out-of-range or non-boundary
/// ranges are ignored rather than panicking: callers compute them from input data.
pub fn blank(clean: &mut String, start: usize, end: usize) {
    if start >= end
        || end > clean.len()
        || !clean.is_char_boundary(start)
        || !clean.is_char_boundary(end)
    {
        return;
    }
    clean.replace_range(start..end, &" ".repeat(end - start));
}

/// Like [`blank`] for each of `ranges` in turn, but keeps newlines so the line structure of
/// the text survives (front matter, the link targets and comments of Markdown).
pub fn blank_keep_newlines(clean: &mut String, ranges: &[(usize, usize)]) {
    if ranges.is_empty() {
        return;
    }
    // In place, byte for byte: a newline is one byte and never part of a longer character,
    // so every other byte becoming a space gives each character as many spaces as it had
    // bytes, and whole characters become ASCII, so the text stays UTF-8 (checked once, for
    // all ranges: a Markdown file has one per link). Rebuilding each range char by char and
    // splicing it back cost tens of instructions a byte.
    let mut bytes = std::mem::take(clean).into_bytes();
    // `str::is_char_boundary` on the bytes as blanked so far.
    let boundary =
        |b: &[u8], i: usize| i == b.len() || b.get(i).is_some_and(|&c| (c as i8) >= -0x40);
    for &(start, end) in ranges {
        if start >= end || !boundary(&bytes, start) || !boundary(&bytes, end) {
            continue;
        }
        for b in &mut bytes[start..end] {
            if *b != b'\n' {
                *b = b' ';
            }
        }
    }
    *clean = String::from_utf8(bytes).expect("whole characters replaced by ASCII");
}

/// `s` with whitespace runs collapsed to one space and trimmed.
pub fn collapse(s: &str) -> String {
    // Most titles are already in that form: printable ASCII, single spaces between words.
    let mut after_space = true;
    let plain = s.bytes().all(|c| {
        let ok = match c {
            b'!'..=b'~' => true,
            b' ' => !after_space,
            _ => false,
        };
        after_space = c == b' ';
        ok
    }) && !after_space;
    if plain {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    for word in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// Printable ASCII but the space, and DEL: 0x21..=0x7F.
#[inline]
fn word_byte(b: u8) -> bool {
    b.wrapping_sub(0x21) < 0x5F
}

/// ASCII whitespace as `split_whitespace` sees it: tab, newline, vertical tab, form feed,
/// carriage return, space.
#[inline]
fn ascii_space(b: u8) -> bool {
    matches!(b, b'\t'..=b'\r' | b' ')
}

/// The first sixteen of the seventeen bytes as they are hashed — lowercased, each whitespace
/// byte a space — when they are word bytes (`0x21..=0x7F`) and lone ASCII whitespace bytes,
/// each followed by a word byte (the seventeenth byte only looked at for that): the
/// stretch's rule and its output for sixteen bytes at once. Whitespace before the first
/// byte is not looked at: a stretch only goes on after a word byte.
#[cfg(target_arch = "x86_64")]
#[inline]
fn ascii_words16(b: &[u8; 17]) -> Option<[u8; 16]> {
    use std::arch::x86_64::*;
    // SAFETY: SSE2 is part of the x86_64 baseline; the load reads the first 16 bytes of
    // `b` and the store writes the 16 bytes of `out`.
    let (bad, space, out) = unsafe {
        let v = _mm_loadu_si128(b.as_ptr().cast());
        let space = crate::simd::ascii_space(v);
        // Signed: bytes from 0x80 are negative, not above 0x20.
        let word = _mm_cmpgt_epi8(v, _mm_set1_epi8(0x20));
        let upper = crate::simd::between(v, b'A' as i8, b'Z' as i8);
        // Whitespace becomes a space, capitals gain 0x20: one OR each, as no byte is both.
        let spaced = _mm_or_si128(
            _mm_andnot_si128(space, v),
            _mm_and_si128(space, _mm_set1_epi8(0x20)),
        );
        let lower = _mm_or_si128(spaced, _mm_and_si128(upper, _mm_set1_epi8(0x20)));
        let mut out = [0u8; 16];
        _mm_storeu_si128(out.as_mut_ptr().cast(), lower);
        (
            !(_mm_movemask_epi8(_mm_or_si128(space, word)) as u32) & 0xFFFF,
            _mm_movemask_epi8(space) as u32,
            out,
        )
    };
    let lone = space & (space >> 1) == 0 && (space >> 15 == 0 || word_byte(b[16]));
    (bad == 0 && lone).then_some(out)
}

#[cfg(not(target_arch = "x86_64"))]
#[inline]
fn ascii_words16(b: &[u8; 17]) -> Option<[u8; 16]> {
    ascii_words16_bytes(b)
}

/// [`ascii_words16`] one byte at a time: the definition the vector code is tested against,
/// and the code on other targets.
#[cfg_attr(all(target_arch = "x86_64", not(test)), allow(dead_code))]
fn ascii_words16_bytes(b: &[u8; 17]) -> Option<[u8; 16]> {
    let mut out = [0u8; 16];
    for k in 0..16 {
        out[k] = if word_byte(b[k]) {
            b[k].to_ascii_lowercase()
        } else if ascii_space(b[k]) && word_byte(b[k + 1]) {
            b' '
        } else {
            return None;
        };
    }
    Some(out)
}

/// Hash for exact-duplicate detection: XXH3-128 (its canonical big-endian bytes) of the text
/// with whitespace runs collapsed to one space, trimmed and lowercased, so re-wrapped or
/// re-indented copies still match. Not a cryptographic hash: two different articles made on
/// purpose to collide would count as one, which nobody gains from here. It was blake3: 40%
/// of this function's instructions and 4% of a run's, where XXH3 takes a tenth of that.
pub fn content_hash(clean: &str) -> [u8; 16] {
    thread_local! {
        // A buffer per thread, not per call: zeroing 4 KB per article, most of which are
        // a few hundred bytes, was a quarter of this function's instructions.
        static BUF: RefCell<Box<[u8; HASH_BUF]>> = RefCell::new(Box::new([0; HASH_BUF]));
    }
    BUF.with(|b| match b.try_borrow_mut() {
        Ok(mut buf) => hash_with(clean, &mut buf),
        Err(_) => hash_with(clean, &mut [0; HASH_BUF]),
    })
}

/// Bytes gathered before each hasher `update`; most articles fit, and are hashed in one call.
const HASH_BUF: usize = 4096;

/// `content_hash` with `buf` to gather the hashed bytes in (its content is irrelevant).
fn hash_with(clean: &str, buf: &mut [u8; HASH_BUF]) -> [u8; 16] {
    // The hashed bytes are the lowercased words joined by single spaces (what
    // `split_whitespace` + `char::to_lowercase` give). They are gathered in a buffer because
    // a hasher costs tens of nanoseconds per `update` call, and a streaming hasher is only
    // set up for the articles that overflow it. Prose is mostly printable ASCII with lone
    // whitespace bytes (spaces, the newlines of wrapped lines), which is already in that
    // form once each is a space: such a stretch is tested, lowercased and copied sixteen
    // bytes at a time, so neither a word nor a line ends it; everything else (whitespace
    // runs, controls, non-ASCII) goes through the general path one character at a time.
    let mut hasher: Option<Xxh3> = None;
    let mut len = 0;
    // Something was written (the buffer may have been flushed since), and whitespace was met
    // since the last byte written.
    let mut any = false;
    let mut space = false;
    let bytes = clean.as_bytes();
    let n = bytes.len();
    let mut i = 0;
    while i < n {
        // Room for a space, a lowercased char (12 bytes at most) and a stretch below.
        if len + 32 > buf.len() {
            hasher
                .get_or_insert_with(Default::default)
                .update(&buf[..len]);
            len = 0;
        }
        let b = bytes[i];
        if ascii_space(b) {
            space = any;
            i += 1;
            continue;
        }
        if b >= 0x80 {
            let c = clean[i..].chars().next().unwrap_or(' ');
            let step = c.len_utf8();
            if c.is_whitespace() {
                space = any;
            } else {
                if std::mem::take(&mut space) {
                    buf[len] = b' ';
                    len += 1;
                }
                for l in c.to_lowercase() {
                    len += l.encode_utf8(&mut buf[len..]).len();
                }
                any = true;
            }
            i += step;
            continue;
        }
        if std::mem::take(&mut space) {
            buf[len] = b' ';
            len += 1;
        }
        if !word_byte(b) {
            // An ASCII control that is not whitespace: part of a word, as it is.
            buf[len] = b;
            len += 1;
            any = true;
            i += 1;
            continue;
        }
        // A stretch of word bytes and lone whitespace bytes between them (written as
        // spaces), as far as the buffer allows; whitespace is taken only when a word byte
        // follows it.
        let limit = n.min(i + (buf.len() - 16 - len));
        buf[len] = b.to_ascii_lowercase();
        len += 1;
        i += 1;
        // Sixteen bytes at a time where they pass for certain, one byte where they do not
        // (a double space, the stretch's end).
        while i < limit {
            if i + 17 <= limit {
                let chunk = bytes[i..i + 17].try_into().expect("17 bytes");
                if let Some(lower) = ascii_words16(chunk) {
                    buf[len..len + 16].copy_from_slice(&lower);
                    len += 16;
                    i += 16;
                    continue;
                }
            }
            let c = bytes[i];
            let d = bytes.get(i + 1).copied().unwrap_or(0);
            if word_byte(c) {
                buf[len] = c.to_ascii_lowercase();
            } else if ascii_space(c) & word_byte(d) {
                buf[len] = b' ';
            } else {
                break;
            }
            len += 1;
            i += 1;
        }
        any = true;
    }
    let digest = match hasher {
        None => xxh3_128(&buf[..len]),
        Some(mut h) => {
            h.update(&buf[..len]);
            h.digest128()
        }
    };
    digest.to_be_bytes()
}

/// A content hash as 32 lowercase hex digits: its form in the state, partials and exports.
pub fn hash_hex(h: &[u8; 16]) -> String {
    hash_hex_bytes(h).map(char::from).into_iter().collect()
}

/// [`hash_hex`] as ASCII bytes, made without an allocation (the state's writer binds one
/// per document).
pub fn hash_hex_bytes(h: &[u8; 16]) -> [u8; 32] {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = [0u8; 32];
    for (pair, &b) in out.chunks_exact_mut(2).zip(h) {
        pair[0] = DIGITS[(b >> 4) as usize];
        pair[1] = DIGITS[(b & 15) as usize];
    }
    out
}

/// Names the kind of binary data `bytes` hold, if they are not text. Known magic numbers are
/// named; otherwise a file whose first 8 KiB are more than 10% control bytes is binary. A few
/// stray NUL bytes in text do not make it binary (cleaning blanks them).
pub fn looks_binary(bytes: &[u8]) -> Option<&'static str> {
    const MAGIC: &[(&[u8], &str)] = &[
        (b"\x89PNG\r\n\x1a\n", "binary data (PNG image)"),
        (b"PK\x03\x04", "binary data (ZIP archive)"),
        (b"PK\x05\x06", "binary data (ZIP archive)"),
        (b"\x1f\x8b", "binary data (gzip archive)"),
        (b"%PDF-", "binary data (PDF document)"),
        (b"\xff\xd8\xff", "binary data (JPEG image)"),
        (b"GIF87a", "binary data (GIF image)"),
        (b"GIF89a", "binary data (GIF image)"),
        (b"\x7fELF", "binary data (ELF executable)"),
    ];
    if let Some((_, name)) = MAGIC.iter().find(|(m, _)| bytes.starts_with(m)) {
        return Some(name);
    }
    // UTF-16 text is half NUL bytes; the decoder handles it.
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return None;
    }
    let head = &bytes[..bytes.len().min(8192)];
    if head.is_empty() {
        return None;
    }
    // Counted in bytes per block of 255 (no overflow), with `&`/`|` instead of branches,
    // so the count runs in vector lanes of bytes rather than widened to `usize` per byte.
    let control: usize = head
        .chunks(255)
        .map(|block| {
            block.iter().fold(0u8, |n, &b| {
                let kept = (b == b'\n') | (b == b'\r') | (b == b'\t') | (b == 0x0C);
                n + u8::from(((b < 0x20) & !kept) | (b == 0x7F))
            }) as usize
        })
        .sum();
    if control * 10 > head.len() {
        return Some("binary data (too many control bytes)");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_preserving_keeps_length_and_counts() {
        let cases: &[(&[u8], &str, usize)] = &[
            (b"plain", "plain", 0),
            (b"a\xffb", "a?b", 1),
            (b"a\xe2\x82b", "a??b", 2),
            (b"end\xe2\x82", "end??", 2),
            ("caf\u{e9}".as_bytes(), "caf\u{e9}", 0),
            (b"\x80\x80", "??", 2),
            (b"", "", 0),
        ];
        for (input, want, n) in cases {
            let (s, count) = decode_preserving(input);
            assert_eq!(s, *want, "input {input:?}");
            assert_eq!(s.len(), input.len());
            assert_eq!(count, *n);
        }
    }

    #[test]
    fn decode_reports_first_offset() {
        let d = decode(b"good \xff and \xfe");
        assert_eq!(d.replaced, 2);
        assert_eq!(d.first_invalid, Some(5));
        assert_eq!(
            d.warnings(),
            vec!["2 invalid UTF-8 byte(s) replaced with '?' at byte offset 5 (first)".to_string()]
        );
    }

    #[test]
    fn decode_utf16_both_orders() {
        let text = "Hi \u{e9}!";
        let mut le = vec![0xFF, 0xFE];
        let mut be = vec![0xFE, 0xFF];
        for u in text.encode_utf16() {
            le.extend(u.to_le_bytes());
            be.extend(u.to_be_bytes());
        }
        for (bytes, enc) in [(le, Encoding::Utf16Le), (be, Encoding::Utf16Be)] {
            let d = decode(&bytes);
            assert_eq!(d.text, text);
            assert_eq!(d.encoding, enc);
            assert_eq!(d.replaced, 0);
            assert_eq!(d.warnings().len(), 1);
            assert!(d.warnings()[0].contains("offsets refer to the decoded text"));
        }
        // An unpaired surrogate and a dangling byte are repaired, not fatal.
        let d = decode(&[0xFF, 0xFE, 0x00, 0xD8, b'a', 0, 7]);
        assert_eq!(d.text, "?a?");
        assert_eq!(d.replaced, 2);
    }

    #[test]
    fn utf8_bom_kept_in_text_blanked_in_clean() {
        let d = decode(b"\xef\xbb\xbfTitle\n");
        assert_eq!(d.text, "\u{FEFF}Title\n");
        let c = clean_for_analysis(&d.text, &[]);
        assert_eq!(c, "   Title\n");
    }

    #[test]
    fn clean_rules() {
        let cases: &[(&str, &str)] = &[
            ("a\r\nb", "a \nb"),
            ("a\rb\rc", "a\nb\nc"),
            ("a\u{0}b\u{7}c", "a b c"),
            ("tab\there", "tab\there"),
            ("x\u{85}y", "x  y"),
            ("Body\nAdvertisement\nMore", "Body\n             \nMore"),
            (
                "Body\n  SHARE THIS  \r\nMore",
                "Body\n               \nMore",
            ),
            ("Read more about it", "Read more about it"),
            ("Body\nCustom Footer\n", "Body\n             \n"),
        ];
        let extra = vec!["custom footer".to_string()];
        for (input, want) in cases {
            let got = clean_for_analysis(input, &extra);
            assert_eq!(got, *want, "input {input:?}");
            assert_eq!(got.len(), input.len());
        }
    }

    #[test]
    fn cleaned_only_when_cleaning_changes_the_text() {
        let long = "A long line of ordinary prose, longer than any boilerplate. ".repeat(3);
        let cases: &[(&str, bool)] = &[
            ("", false),
            ("plain text\n\twith tabs and ~ punctuation!", false),
            (&long, false),
            (
                "caf\u{e9} \u{A0}\u{3000} \u{2028} \u{FFFD} \u{1F600}",
                false,
            ),
            ("\u{A0}Advertisement\u{A0}x", false),
            ("a\r\nb", true),
            ("a\rb", true),
            ("a\u{0}b", true),
            ("a\u{7F}b", true),
            ("x\u{85}y", true),
            ("x\u{9F}y", true),
            ("\u{FEFF}Title", true),
            ("Title\u{FEFF}", true),
            ("\u{EFBB}\u{FEFE}", false),
            ("Body\nAdvertisement\nMore", true),
            ("Body\n  share this  ", true),
            ("Tags", true),
            ("Body\nCustom Footer", true),
            ("Body\nCustom Footer and more", false),
            (" \u{3000}advertisement\u{3000}", true),
            ("Advertisements\nAdvert", false),
        ];
        let extra = vec!["custom footer".to_string()];
        for (text, changes) in cases {
            let want = clean_for_analysis(text, &extra);
            assert_eq!(want != *text, *changes, "{text:?}");
            assert_eq!(
                cleaned(text, &extra),
                changes.then(|| want.clone()),
                "{text:?}"
            );
            assert_eq!(
                if_changed(text, want.clone()),
                changes.then_some(want),
                "{text:?}"
            );
        }
    }

    /// `clean_for_analysis` as its doc comment defines it, a character and a line at a time.
    fn clean_by_definition(text: &str, extra: &[String]) -> String {
        let chars: Vec<char> = text.chars().collect();
        let mut out = String::new();
        for (k, &c) in chars.iter().enumerate() {
            match c {
                '\r' if chars.get(k + 1) == Some(&'\n') => out.push(' '),
                '\r' => out.push('\n'),
                '\n' | '\t' => out.push(c),
                c if c.is_control() || c == '\u{FEFF}' => push_spaces(&mut out, c.len_utf8()),
                c => out.push(c),
            }
        }
        let lines: Vec<String> = out
            .split('\n')
            .map(|line| {
                let t = line.trim();
                let listed = BOILERPLATE.iter().any(|b| t.eq_ignore_ascii_case(b))
                    || extra.iter().any(|b| t.eq_ignore_ascii_case(b.trim()));
                if !t.is_empty() && listed {
                    " ".repeat(line.len())
                } else {
                    line.to_string()
                }
            })
            .collect();
        lines.join("\n")
    }

    proptest::proptest! {
        /// For text of any length made of every kind of character cleaning distinguishes:
        /// the fast paths of `clean_for_analysis` (one copy when no character is replaced,
        /// lines settled by length) give what its definition gives, and `cleaned` is that
        /// text when it differs from the input and `None` otherwise.
        #[test]
        fn cleaning_as_defined(
            parts in proptest::collection::vec(
                proptest::sample::select(vec![
                    "Word", "prose with spaces, ", "x", " ", "\n", "\t", "\r", "\r\n", "\u{0}",
                    "\u{1F}", "\u{7F}", "\u{80}", "\u{85}", "\u{9F}", "\u{A0}", "\u{FEFF}",
                    "\u{FEFE}", "\u{FFFD}", "\u{3000}", "\u{2028}", "É", "😀", "advertisement",
                    "Share This", "custom footer", "\nprint\n", "\n  tags \n", "!~",
                ]),
                0..200,
            )
        ) {
            let text: String = parts.concat();
            let extra = vec!["custom footer".to_string()];
            let want = clean_for_analysis(&text, &extra);
            proptest::prop_assert_eq!(&want, &clean_by_definition(&text, &extra));
            proptest::prop_assert_eq!(cleaned(&text, &extra), (want != text).then_some(want));
        }
    }

    proptest::proptest! {
        /// The bytewise trim of `is_boilerplate` decides as `str::trim` does.
        #[test]
        fn boilerplate_lines_as_defined(
            parts in proptest::collection::vec(
                proptest::sample::select(vec![
                    " ", "\t", "\x0B", "\x0C", "\r", "\u{85}", "\u{A0}", "\u{2028}", "\u{3000}",
                    "\u{1F}", "print", "Share", " this", "custom footer", "É", "x",
                ]),
                0..8,
            )
        ) {
            let line: String = parts.concat();
            let extra = vec!["custom footer".to_string()];
            let t = line.trim();
            let want = !t.is_empty()
                && (BOILERPLATE.iter().any(|b| t.eq_ignore_ascii_case(b))
                    || t.eq_ignore_ascii_case("custom footer"));
            proptest::prop_assert_eq!(
                is_boilerplate(&line, &extra, longest_boilerplate(&extra)),
                want
            );
        }
    }

    #[test]
    fn collapse_whitespace() {
        let cases: &[(&str, &str)] = &[
            ("", ""),
            (" ", ""),
            ("Plain Title", "Plain Title"),
            ("A", "A"),
            (" Lead", "Lead"),
            ("Trail ", "Trail"),
            ("Two  spaces", "Two spaces"),
            ("Tab\there", "Tab here"),
            ("Line\nbreak", "Line break"),
            ("No\u{A0}break\u{3000}space", "No break space"),
            ("Caf\u{e9} au lait", "Caf\u{e9} au lait"),
            ("  many   runs  here  ", "many runs here"),
        ];
        for (src, want) in cases {
            assert_eq!(collapse(src), *want, "{src:?}");
            let words: Vec<&str> = src.split_whitespace().collect();
            assert_eq!(collapse(src), words.join(" "), "{src:?}");
        }
    }

    #[test]
    fn blank_is_safe_on_bad_ranges() {
        let mut s = "h\u{e9}llo".to_string();
        blank(&mut s, 1, 2); // inside the two-byte char: ignored
        assert_eq!(s, "h\u{e9}llo");
        blank(&mut s, 3, 99);
        assert_eq!(s, "h\u{e9}llo");
        blank(&mut s, 1, 3);
        assert_eq!(s, "h  llo");
        let mut t = "a\nb\nc".to_string();
        blank_keep_newlines(&mut t, &[(0, 4)]);
        assert_eq!(t, " \n \nc");
        // Each character becomes as many spaces as it has bytes; newlines stay.
        let mut u = "\u{e9}\n\u{65e5}\r\nz".to_string();
        blank_keep_newlines(&mut u, &[(0, 8)]);
        assert_eq!(u, "  \n    \nz");
        // Several ranges: bad ones skipped, the others blanked, a boundary made by an earlier
        // range counting for a later one.
        let mut v = "a\u{e9}b\u{e9}c".to_string();
        blank_keep_newlines(&mut v, &[(2, 3), (5, 9), (1, 3), (2, 4), (6, 7)]);
        assert_eq!(v, "a   \u{e9} ");
    }

    #[test]
    fn content_hash_ignores_case_and_spacing() {
        assert_eq!(
            content_hash("  Hello\n  World "),
            content_hash("hello world")
        );
        assert_ne!(content_hash("hello world"), content_hash("hello  worlds"));
    }

    #[test]
    fn content_hash_is_xxh3_of_the_normalised_text() {
        let long_ascii = "Word".repeat(3000);
        let long_utf8 = "İÉ".repeat(2000);
        let many = "Some Words here ".repeat(2000);
        let cases = [
            "",
            "  ",
            "One",
            " Hello\n  World ",
            "CAFÉ İstanbul ß ΟΔΟΣ Σ",
            "a\u{1}B\u{1F}c\u{85}D\u{A0}e\u{2028}F\u{3000}g\x0B\x0Ch~\u{7F}I",
            "tab\tVT\x0bFF\x0cCR\rEND",
            long_ascii.as_str(),
            long_utf8.as_str(),
            many.as_str(),
        ];
        for text in cases {
            let norm: Vec<String> = text
                .split_whitespace()
                .map(|w| w.chars().flat_map(char::to_lowercase).collect())
                .collect();
            let digest = xxh3_128(norm.join(" ").as_bytes()).to_be_bytes();
            assert_eq!(content_hash(text), digest, "{:.40}", text);
        }
    }

    /// The hex form is XXH3-128's canonical one (as `xxhsum -H2` prints it), so a content
    /// hash in a state, a partial or an export can be checked with other tools.
    #[test]
    fn content_hash_hex_is_the_canonical_xxh3_128() {
        let cases = [
            ("", "99aa06d3014798d86001c324468d497f"),
            ("  \n\t ", "99aa06d3014798d86001c324468d497f"),
        ];
        for (text, hex) in cases {
            assert_eq!(hash_hex(&content_hash(text)), hex, "{text:?}");
        }
    }

    proptest::proptest! {
        /// Any mix of ASCII words, controls, every kind of whitespace and non-ASCII letters
        /// hashes as XXH3-128 of the normalised text, at any length (buffer refills included).
        #[test]
        fn content_hash_matches_the_definition(
            parts in proptest::collection::vec(
                proptest::sample::select(vec![
                    "Word", "x", " ", "  ", "\n", "\t", "\r", "\x0B", "\x0C", "\u{1}", "\u{1F}",
                    "\u{7F}", "\u{85}", "\u{A0}", "\u{2028}", "\u{3000}", "İ", "É", "ß", "Σ",
                    "ΟΔΟΣ", "!?", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "\u{FFFD}", "😀",
                    "@[`{", "Some Words here ", "the", "tail.",
                ]),
                0..3000,
            )
        ) {
            let text: String = parts.concat();
            let norm: Vec<String> = text
                .split_whitespace()
                .map(|w| w.chars().flat_map(char::to_lowercase).collect())
                .collect();
            let digest = xxh3_128(norm.join(" ").as_bytes()).to_be_bytes();
            proptest::prop_assert_eq!(content_hash(&text), digest);
        }
    }

    #[test]
    fn sixteen_byte_stretch_test() {
        let cases: [(&[u8; 17], Option<&[u8; 16]>); 15] = [
            (b"abcdefghijklmnopq", Some(b"abcdefghijklmnop")),
            (b"Ab Cd\nEf\tG\rIJ\x0BK\x0CL", Some(b"ab cd ef g ij k ")),
            (b"A~!@[`{\x7FzZ?^_|}ab", Some(b"a~!@[`{\x7Fzz?^_|}a")),
            (b" abcdefghijklmnop", Some(b" abcdefghijklmno")),
            (b"abcdefghijklmno p", Some(b"abcdefghijklmno ")),
            (b"abcdefghijklmno\np", Some(b"abcdefghijklmno ")),
            (b"abcdefghijklmnop\x80", Some(b"abcdefghijklmnop")),
            (b"abcdefghijklmno  ", None),
            (b"abcdefghijklmno \n", None),
            (b"abcdefghijklmno \x80", None),
            (b"ab  cdefghijklmno", None),
            (b"ab\r\ncdefghijklmno", None),
            (b"abc\x1Fdefghijklmnop", None),
            (b"abc\x80defghijklmnop", None),
            (b"\xC3\xA9bcdefghijklmnop", None),
        ];
        for (bytes, want) in cases {
            assert_eq!(super::ascii_words16(bytes), want.copied(), "{bytes:?}");
            assert_eq!(
                super::ascii_words16_bytes(bytes),
                want.copied(),
                "{bytes:?}"
            );
        }
    }

    proptest::proptest! {
        /// The vector test and the byte-at-a-time definition agree on any 17 bytes drawn from
        /// the bytes the rule tells apart (each range's ends and a byte inside).
        #[test]
        fn sixteen_byte_stretch_is_its_definition(
            bytes in proptest::array::uniform17(proptest::sample::select(vec![
                0u8, 0x08, 0x09, 0x0A, 0x0D, 0x0E, 0x1F, 0x20, 0x21, 0x40, b'A', b'M', b'Z',
                0x5B, 0x60, b'a', b'z', 0x7E, 0x7F, 0x80, 0xC3, 0xFF,
            ]))
        ) {
            proptest::prop_assert_eq!(
                super::ascii_words16(&bytes),
                super::ascii_words16_bytes(&bytes)
            );
        }
    }

    #[test]
    fn hex_of_hashes() {
        let cases: [([u8; 16], &str); 2] = [
            ([0; 16], "00000000000000000000000000000000"),
            (
                [
                    0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0xff, 0x10, 0, 0, 0, 0, 0, 0xa,
                ],
                "0123456789abcdefff1000000000000a",
            ),
        ];
        for (h, want) in cases {
            assert_eq!(hash_hex(&h), want);
        }
    }

    #[test]
    fn binary_sniffing() {
        let mut mostly_nul = vec![0u8; 100];
        mostly_nul.extend(b"abc");
        let mut few_nul = b"a normal line of text that goes on for a while\n".repeat(10);
        few_nul[20] = 0;
        few_nul[200] = 0;
        // Past 10% control bytes: DEL counts, and blocks longer than one byte counter.
        let dels = b"abcdefg\x7f".repeat(300);
        // 3,000 text bytes: 333 control bytes are not more than a tenth of all, 334 are.
        let under = [b"abcdefghij".repeat(300), vec![0x01; 333]].concat();
        let over = [b"abcdefghij".repeat(300), vec![0x1F; 334]].concat();
        // Newline, carriage return, tab and form feed are text, however many.
        let layout = b"\n\r\t\x0c".repeat(2_000);
        // Only the first 8 KiB are looked at.
        let late = [b"text ".repeat(1_700), vec![0; 2_000]].concat();
        let high = vec![0x80u8; 1_000];
        let cases: &[(&[u8], Option<&str>)] = &[
            (&dels, Some("binary data (too many control bytes)")),
            (&under, None),
            (&over, Some("binary data (too many control bytes)")),
            (&layout, None),
            (&late, None),
            (&high, None),
            (b"\x89PNG\r\n\x1a\nxxxx", Some("binary data (PNG image)")),
            (b"PK\x03\x04rest", Some("binary data (ZIP archive)")),
            (b"\x1f\x8b\x08", Some("binary data (gzip archive)")),
            (b"%PDF-1.7", Some("binary data (PDF document)")),
            (b"\xff\xd8\xff\xe0", Some("binary data (JPEG image)")),
            (b"GIF89a..", Some("binary data (GIF image)")),
            (b"\x7fELF\x02", Some("binary data (ELF executable)")),
            (&mostly_nul, Some("binary data (too many control bytes)")),
            (&few_nul, None),
            (b"plain text\r\n", None),
            (b"", None),
            (b"\xff\xfeH\x00i\x00", None),
        ];
        for (input, want) in cases {
            assert_eq!(
                looks_binary(input),
                *want,
                "input {:?}",
                &input[..input.len().min(8)]
            );
        }
    }
}
