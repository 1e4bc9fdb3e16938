//! Sentence boundary rules: which terminal punctuation ends a sentence.
//!
//! Owns the abbreviation lists and the heuristics that let "Dr.", "U.S.", "Jan." and "Inc."
//! pass without splitting. Reads tokens and words only; builds nothing.

use super::{Analysis, DOTTED};

/// Abbreviations that are practically never the last word of a sentence.
/// (A `match`, not a list searched in turn: it runs for every word before a full stop, and
/// the compiled match tests the length first.)
fn never_final(lower: &str) -> bool {
    matches!(
        lower,
        "mr" | "mrs"
            | "ms"
            | "dr"
            | "prof"
            | "sen"
            | "rep"
            | "gov"
            | "gen"
            | "col"
            | "lt"
            | "sgt"
            | "capt"
            | "rev"
            | "st"
            | "mt"
            | "ft"
            | "vs"
            | "jan"
            | "feb"
            | "mar"
            | "apr"
            | "jun"
            | "jul"
            | "aug"
            | "sep"
            | "sept"
            | "oct"
            | "nov"
            | "dec"
            | "fig"
            | "approx"
            | "dept"
            | "est"
            | "pres"
            | "gov't"
    )
}

/// Abbreviations that may end a sentence; followed by a capitalised word they end one only
/// when that word is a common sentence opener ("...bought Acme Inc. The deal...").
fn maybe_final(lower: &str) -> bool {
    matches!(
        lower,
        "inc" | "corp" | "co" | "ltd" | "plc" | "bros" | "jr" | "sr" | "llc" | "cos" | "etc" | "al"
    )
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

/// Does the terminal token at `i` (closers run up to `k`) end a sentence?
pub(super) fn ends_sentence(_text: &str, a: &Analysis, i: usize, k: usize) -> bool {
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
    let lower = a.lower(prev);
    let surface = a.surface(prev);
    if never_final(lower) {
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
