//! The fast pre-tokeniser: the same `RawToken`s as [`TokenizersSplitter`], an order of
//! magnitude sooner.
//!
//! Owns only splitting. It never decides anything `tokenizers` would decide differently:
//! text is cut at ASCII whitespace into runs, and a run is split here only when NFKC provably
//! leaves it unchanged (all ASCII, or `is_nfkc_quick` says Yes). Every other run (ligatures,
//! full-width forms, "…", no-break spaces, decomposed accents...) goes to the reference
//! splitter on its own, with offsets shifted back. Cutting there is exact because an ASCII
//! whitespace character is a starter that composes with nothing: NFKC of the whole text is
//! the concatenation of NFKC of its runs, so the reference gives the same tokens for a run as
//! for the whole text. Differential tests (`tests.rs`, `tests/analyzer_identity.rs`) prove
//! it on random text and on every Reuters body.
//!
//! Must not lowercase, stem or decide sentences (that is `analyze`'s job), and must not
//! change the splitting rules: those are `tokenizers`' (whitespace removed, BERT punctuation
//! isolated).

use unicode_normalization_alignments::{is_nfkc_quick, IsNormalized};

use super::splitter::{is_bert_punct, PreTokenizer, RawToken, TokenizersSplitter};

/// Byte classes of ASCII: word character, whitespace (removed), punctuation (isolated).
const WORD: u8 = 0;
const SPACE: u8 = 1;
const PUNCT: u8 = 2;

const fn ascii_classes() -> [u8; 128] {
    let mut t = [WORD; 128];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        // `char::is_whitespace` on ASCII: \t \n \x0B \x0C \r and space (\x0B too, unlike
        // `is_ascii_whitespace`).
        if matches!(c, b'\t' | b'\n' | 0x0B | 0x0C | b'\r' | b' ') {
            t[b] = SPACE;
        } else if c.is_ascii_punctuation() {
            t[b] = PUNCT;
        }
        b += 1;
    }
    t
}

static CLASS: [u8; 128] = ascii_classes();

/// The fast path, with the reference splitter for runs it does not cover.
pub struct FastSplitter {
    reference: TokenizersSplitter,
}

impl FastSplitter {
    pub fn new() -> Self {
        FastSplitter {
            reference: TokenizersSplitter::new(),
        }
    }
}

impl Default for FastSplitter {
    fn default() -> Self {
        Self::new()
    }
}

impl PreTokenizer for FastSplitter {
    fn split(&self, text: &str, tokens: &mut Vec<RawToken>, buf: &mut String) {
        // Where NFKC changes nothing the normalised form of a token is its original text, so
        // the text is copied once and tokens point into the copy.
        let base = buf.len() as u32;
        buf.push_str(text);
        let bytes = text.as_bytes();
        let n = bytes.len();
        let mut i = 0;
        while i < n {
            // Skip ASCII whitespace; `i` then starts a run.
            while i < n && bytes[i] < 0x80 && CLASS[bytes[i] as usize] == SPACE {
                i += 1;
            }
            if i >= n {
                break;
            }
            let run_start = i;
            let mark = tokens.len();
            let mut word_start = usize::MAX;
            // Optimistically tokenise the run as ASCII.
            let mut ascii = true;
            while i < n {
                let b = bytes[i];
                if b >= 0x80 {
                    ascii = false;
                    break;
                }
                match CLASS[b as usize] {
                    WORD => {
                        if word_start == usize::MAX {
                            word_start = i;
                        }
                        i += 1;
                        // The rest of the word, eight letters or digits at a time; any other
                        // byte is left to this loop.
                        while i + 8 <= n {
                            let k = alnum_prefix8(&bytes[i..i + 8]);
                            i += k;
                            if k < 8 {
                                break;
                            }
                        }
                        continue;
                    }
                    SPACE => break,
                    _ => {
                        if word_start != usize::MAX {
                            push(tokens, base, word_start, i, false);
                            word_start = usize::MAX;
                        }
                        push(tokens, base, i, i + 1, true);
                    }
                }
                i += 1;
            }
            if ascii {
                if word_start != usize::MAX {
                    push(tokens, base, word_start, i, false);
                }
                continue;
            }
            // A run with non-ASCII text: redo it as a whole, up to the next ASCII whitespace.
            tokens.truncate(mark);
            let mut end = i;
            while end < n && !(bytes[end] < 0x80 && CLASS[bytes[end] as usize] == SPACE) {
                end += 1;
            }
            let run = &text[run_start..end];
            if is_nfkc_quick(run.chars()) == IsNormalized::Yes {
                split_stable(run, run_start, base, tokens);
            } else {
                let first = tokens.len();
                self.reference.split(run, tokens, buf);
                for t in &mut tokens[first..] {
                    t.start += run_start as u32;
                    t.end += run_start as u32;
                }
            }
            i = end;
        }
    }
}

/// How many of the eight bytes, from the first, are ASCII letters or digits (all of them
/// word bytes), tested at once in one 64-bit word (SWAR).
#[inline]
fn alnum_prefix8(b: &[u8]) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let w = u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]);
    // Below 0x80 no per-byte sum here carries into the next byte.
    let ascii = !w & HIGH;
    let x = w & !HIGH;
    let lower = x | (ONES * 0x20);
    let letter = (lower + ONES * (0x80 - 0x61)) & !(lower + ONES * (0x80 - 0x7B));
    let digit = (x + ONES * (0x80 - 0x30)) & !(x + ONES * (0x80 - 0x3A));
    let alnum = (letter | digit) & ascii & HIGH;
    ((!alnum & HIGH).trailing_zeros() / 8) as usize
}

#[inline]
fn push(tokens: &mut Vec<RawToken>, base: u32, start: usize, end: usize, punct: bool) {
    tokens.push(RawToken {
        start: start as u32,
        end: end as u32,
        norm: (base + start as u32, base + end as u32),
        punct,
    });
}

/// Splits a run that NFKC leaves unchanged, by `tokenizers`' rules, char by char.
fn split_stable(run: &str, offset: usize, base: u32, tokens: &mut Vec<RawToken>) {
    let mut word_start = usize::MAX;
    for (k, c) in run.char_indices() {
        let at = offset + k;
        if c.is_whitespace() {
            if word_start != usize::MAX {
                push(tokens, base, word_start, at, false);
                word_start = usize::MAX;
            }
        } else if is_bert_punct(c) {
            if word_start != usize::MAX {
                push(tokens, base, word_start, at, false);
                word_start = usize::MAX;
            }
            push(tokens, base, at, at + c.len_utf8(), true);
        } else if word_start == usize::MAX {
            word_start = at;
        }
    }
    if word_start != usize::MAX {
        push(tokens, base, word_start, offset + run.len(), false);
    }
}

#[cfg(test)]
mod tests {
    use super::alnum_prefix8;

    #[test]
    fn alnum_prefix_of_eight_bytes() {
        let cases: [(&[u8; 8], usize); 9] = [
            (b"abcdefgh", 8),
            (b"Zz09aZ9A", 8),
            (b"abc defg", 3),
            (b"@[`{/:AZ", 0),
            (b"ab\x01cdefg", 2),
            (b"abcdefg\x7F", 7),
            (b"abcd\xC3\xA9fg", 4),
            (b"a_cdefgh", 1),
            (b"\xE2\x80\x94abcde", 0),
        ];
        for (bytes, want) in cases {
            assert_eq!(alnum_prefix8(bytes), want, "{:?}", bytes);
        }
        // Every single byte value in the first place: a letter or digit counts, nothing else.
        for b in 0..=255u8 {
            let mut block = *b"xxxxxxxx";
            block[0] = b;
            let want = if b.is_ascii_alphanumeric() { 8 } else { 0 };
            assert_eq!(alnum_prefix8(&block), want, "byte {b:#x}");
        }
    }
}
