//! Sentence boundary rules: which terminal punctuation ends a sentence.
//!
//! Owns the abbreviation lists and the heuristics that let "Dr.", "U.S.", "Jan." and "Inc."
//! pass without splitting. Reads tokens and words only; builds nothing.

use super::{Analysis, DOTTED};

/// A word list as a `match` (it runs for every word before a full stop, and the compiled
/// match tests the length first, where a list would be searched in turn) and as a constant,
/// from which `LISTED_MAX` is computed.
macro_rules! word_list {
    ($(#[$doc:meta])* $name:ident, $list:ident, [$($w:literal),* $(,)?]) => {
        const $list: &[&str] = &[$($w),*];
        $(#[$doc])*
        fn $name(lower: &str) -> bool {
            matches!(lower, $($w)|*)
        }
    };
}

word_list!(
    /// Abbreviations that are practically never the last word of a sentence.
    never_final,
    NEVER_FINAL,
    [
        "mr", "mrs", "ms", "dr", "prof", "sen", "rep", "gov", "gen", "col", "lt", "sgt",
        "capt", "rev", "st", "mt", "ft", "vs", "jan", "feb", "mar", "apr", "jun", "jul", "aug",
        "sep", "sept", "oct", "nov", "dec", "fig", "approx", "dept", "est", "pres", "gov't",
    ]
);

word_list!(
    /// Abbreviations that may end a sentence; followed by a capitalised word they end one
    /// only when that word is a common sentence opener ("...bought Acme Inc. The deal...").
    maybe_final,
    MAYBE_FINAL,
    [
        "inc", "corp", "co", "ltd", "plc", "bros", "jr", "sr", "llc", "cos", "etc", "al",
    ]
);

/// Longest word on the abbreviation lists, in bytes (`listed_lower` relies on it).
const LISTED_MAX: usize = longest(&[NEVER_FINAL, MAYBE_FINAL]);

const fn longest(lists: &[&[&str]]) -> usize {
    let (mut most, mut l) = (0, 0);
    while l < lists.len() {
        let mut i = 0;
        while i < lists[l].len() {
            if lists[l][i].len() > most {
                most = lists[l][i].len();
            }
            i += 1;
        }
        l += 1;
    }
    most
}

const OPENERS: &[&str] = &[
    "the",
    "a",
    "an",
    "in",
    "it",
    "he",
    "she",
    "they",
    "we",
    "i",
    "but",
    "and",
    "this",
    "that",
    "these",
    "those",
    "however",
    "on",
    "at",
    "for",
    "as",
    "while",
    "after",
    "its",
    "his",
    "her",
    "their",
    "there",
    "some",
    "many",
    "most",
    "if",
    "when",
    "to",
    "by",
    "with",
    "from",
    "meanwhile",
    "still",
    "also",
    "yet",
    "so",
    "one",
    "both",
    "such",
    "our",
    "what",
    "who",
];

pub(super) fn is_terminal(c: char) -> bool {
    matches!(
        c,
        '.' | '!' | '?' | '\u{2026}' | '\u{3002}' | '\u{FF01}' | '\u{FF1F}'
    )
}

pub(super) fn is_closer(c: char) -> bool {
    matches!(
        c,
        '"' | '\u{201D}' | '\u{2019}' | '\'' | ')' | ']' | '\u{00BB}'
    )
}

/// A blank line (two line breaks with only spaces between) separates paragraphs.
pub(super) fn paragraph_gap(gap: &[u8]) -> bool {
    // Most gaps between tokens are one space: asked before every token.
    if gap.len() < 2 {
        return false;
    }
    let mut newlines = 0;
    for &b in gap {
        match b {
            b'\n' => newlines += 1,
            b' ' | b'\t' | b'\r' => {}
            _ => newlines = 0,
        }
        if newlines >= 2 {
            return true;
        }
    }
    false
}

/// A common sentence opener, in any case. ASCII words are compared without allocating;
/// others lowercased as before (an NFKC form has no non-ASCII letter that lowercases to ASCII,
/// but the general path keeps that an implementation detail).
fn is_opener(word: &str) -> bool {
    if word.is_ascii() {
        OPENERS.iter().any(|o| o.eq_ignore_ascii_case(word))
    } else {
        OPENERS.contains(&word.to_lowercase().as_str())
    }
}

/// The lowercase form of an ASCII `surface`, as far as the abbreviation lists need it: the
/// form itself when short enough to be on them (written into `buf`), `""` when longer (on
/// neither list), `None` for other text, whose lowercase form the form table gives. An ASCII
/// form's lowercase form is its ASCII lowercasing, of the same length, so this is exact; it
/// spares most sentence ends a read of the form table's side entries and arena, a cache miss
/// on a large table.
fn listed_lower<'b>(surface: &str, buf: &'b mut [u8; LISTED_MAX]) -> Option<&'b str> {
    if !surface.is_ascii() {
        return None;
    }
    let Some(buf) = buf.get_mut(..surface.len()) else {
        return Some("");
    };
    for (d, s) in buf.iter_mut().zip(surface.bytes()) {
        *d = s.to_ascii_lowercase();
    }
    std::str::from_utf8(buf).ok()
}

/// Whether the last two words, joined by an apostrophe, are a listed abbreviation: the
/// tokeniser splits "gov't" into `gov`, `'` and `t`, so the word before the dot is `t`
/// (`last_lower`, the last word's lowercase form).
fn elided_never_final(text: &str, a: &Analysis, last_lower: &str) -> bool {
    let [.., before, last] = a.words.as_slice() else {
        return false;
    };
    let between = text.get(before.end as usize..last.start as usize);
    if !matches!(between, Some("'" | "\u{2019}")) {
        return false;
    }
    let mut small = [0u8; LISTED_MAX];
    let Some(head) = listed_lower(a.surface(before), &mut small) else {
        return false;
    };
    // Joined on the stack, as `listed_lower` does: this runs in the analysis of every text.
    let n = head.len() + 1 + last_lower.len();
    let mut joined = [0u8; LISTED_MAX];
    let Some(dst) = joined.get_mut(..n) else {
        return false; // longer than any listed word
    };
    dst[..head.len()].copy_from_slice(head.as_bytes());
    dst[head.len()] = b'\'';
    dst[head.len() + 1..].copy_from_slice(last_lower.as_bytes());
    std::str::from_utf8(dst).is_ok_and(never_final)
}

/// Does the terminal token at `i` (closers run up to `k`) end a sentence?
pub(super) fn ends_sentence(text: &str, a: &Analysis, i: usize, k: usize) -> bool {
    let t = a.tokens[i];
    let c = a.token_norm(&t).chars().next().unwrap_or('.');
    // The next word token, skipping opening quotes and brackets.
    let mut n = k;
    while n < a.tokens.len() && a.tokens[n].punct {
        n += 1;
    }
    let Some(next) = a.tokens.get(n) else {
        return true;
    };
    // "3.5", "example.com": a dot glued to what follows is not a full stop.
    if k == i + 1 && next.start == t.end && n == k {
        return false;
    }
    let next_text = a.token_norm(next);
    let next_first = next_text.chars().next().unwrap_or(' ');
    if next_first.is_lowercase() {
        return false;
    }
    if c != '.' {
        return true;
    }
    let Some(prev) = a.words.last() else {
        return true;
    };
    // Only judge the word right before the dot.
    if prev.end != t.start && prev.end != t.end {
        return true;
    }
    let surface = a.surface(prev);
    let mut small = [0u8; LISTED_MAX];
    let lower = listed_lower(surface, &mut small).unwrap_or_else(|| a.lower(prev));
    if never_final(lower) || elided_never_final(text, a, lower) {
        return false;
    }
    // An initial: "J. Smith".
    let mut sc = surface.chars();
    if matches!((sc.next(), sc.next()), (Some(ch), None) if ch.is_uppercase()) {
        return false;
    }
    if prev.flags & DOTTED != 0 || maybe_final(lower) {
        return is_opener(next_text);
    }
    true
}

#[cfg(test)]
mod tests {
    use super::{listed_lower, maybe_final, never_final, LISTED_MAX, MAYBE_FINAL, NEVER_FINAL};
    use crate::analyze::{Analysis, Analyzer, AnalyzerKind};
    use rust_stemmers::Algorithm;

    /// `listed_lower` stands in for the form table's lowercase form: wherever it answers,
    /// both lists must say what they say of the real lowercase form. Every listed word as
    /// written, in capitals, capitalised and one letter longer, plus non-ASCII forms.
    #[test]
    fn listed_lower_agrees_with_the_lowercase_form() {
        let mut surfaces: Vec<String> = vec![
            "Ünc".into(),
            "İnc".into(),
            "Straße".into(),
            "DR".into(),
            "x".into(),
            "approxi".into(),
            "Sept2".into(),
        ];
        for w in NEVER_FINAL.iter().chain(MAYBE_FINAL) {
            let mut cap = w.to_string();
            cap[..1].make_ascii_uppercase();
            surfaces.extend([w.to_string(), w.to_ascii_uppercase(), cap, format!("{w}s")]);
        }
        let analyzer = Analyzer::new(AnalyzerKind::Tokenizers, Algorithm::English);
        let mut a = Analysis::default();
        let mut answered = 0;
        for text in &surfaces {
            analyzer.analyze(text, &mut a);
            // ("gov't" is three tokens, so two words: each is checked; `elided_never_final`
            // joins them again.)
            for w in &a.words {
                let (surface, lower) = (a.surface(w), a.lower(w));
                let mut buf = [0u8; LISTED_MAX];
                match listed_lower(surface, &mut buf) {
                    None => assert!(!surface.is_ascii(), "{surface:?}"),
                    Some(l) => {
                        answered += 1;
                        if surface.len() <= LISTED_MAX {
                            assert_eq!(l, lower, "{surface:?}");
                        } else {
                            assert_eq!(l, "", "{surface:?}");
                        }
                        assert_eq!(never_final(l), never_final(lower), "{surface:?}");
                        assert_eq!(maybe_final(l), maybe_final(lower), "{surface:?}");
                    }
                }
            }
        }
        assert!(answered > surfaces.len() / 2);
    }
}
