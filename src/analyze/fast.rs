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
//! Bytes are classified 64 at a time into bit sets (whitespace, punctuation, non-ASCII; SSE2
//! on x86_64, the class table elsewhere). Stretches without a non-ASCII byte are split from
//! the sets alone, one bit scan per token; each run holding one is split as described above.
//!
//! Must not lowercase, stem or decide sentences (that is `analyze`'s job), and must not
//! change the splitting rules: those are `tokenizers`' (whitespace removed, BERT punctuation
//! isolated).

use unicode_normalization_alignments::{is_nfkc_quick, IsNormalized};

use super::splitter::{is_bert_punct, PreTokenizer, RawToken, SplitScratch, TokenizersSplitter};

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
    fn split(
        &self,
        text: &str,
        tokens: &mut Vec<RawToken>,
        buf: &mut String,
        scratch: &mut SplitScratch,
    ) {
        // Where NFKC changes nothing the normalised form of a token is its original text, so
        // the text is copied once and tokens point into the copy.
        let base = buf.len() as u32;
        buf.push_str(text);
        let bytes = text.as_bytes();
        let n = bytes.len();
        classify(bytes, &mut scratch.masks);
        let masks = &scratch.masks[..];
        // Stretches without non-ASCII bytes are split from the bit sets; each run (between
        // ASCII whitespace) holding a non-ASCII byte is split as a whole.
        let mut at = 0;
        loop {
            let high = find(masks, at, n, |b| b.high);
            if high == n {
                split_span(masks, at, n, base, tokens);
                break;
            }
            let start = last_space(masks, at, high).map_or(at, |p| p + 1);
            let end = find(masks, high, n, |b| b.space);
            split_span(masks, at, start, base, tokens);
            let run = &text[start..end];
            if is_nfkc_quick(run.chars()) == IsNormalized::Yes {
                split_stable(run, start, base, tokens);
            } else {
                let first = tokens.len();
                // The reference keeps no working memory.
                let none = &mut SplitScratch::default();
                self.reference.split(run, tokens, buf, none);
                for t in &mut tokens[first..] {
                    t.start += start as u32;
                    t.end += start as u32;
                }
            }
            at = end;
        }
    }
}

/// The byte classes of 64 bytes of text as bit sets: bit `k` stands for byte `64 * block + k`.
/// Tokens are then found by bit scans, a few instructions each, instead of a loop per byte
/// (that loop was about 80 instructions per token).
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub(super) struct Block {
    /// ASCII whitespace (removed).
    space: u64,
    /// ASCII punctuation (isolated).
    punct: u64,
    /// Bytes of non-ASCII characters (their run goes to the general path).
    high: u64,
}

/// Splits the bytes `from..to`, which hold no non-ASCII byte, straight from their bit sets: a
/// token starts at every punctuation byte and at every word byte that follows no word byte
/// of the span; a word ends at the next whitespace or punctuation byte. One bit scan per
/// token, nothing per byte.
fn split_span(masks: &[Block], from: usize, to: usize, base: u32, tokens: &mut Vec<RawToken>) {
    if from >= to {
        return;
    }
    // The byte before the block is a word byte of the span (a word runs on across it).
    let mut carry = 0u64;
    for k in from / 64..=(to - 1) / 64 {
        let b = &masks[k];
        let lo = from.saturating_sub(k * 64).min(64);
        let hi = (to - k * 64).min(64);
        let span = (!0u64 >> (64 - hi)) & (!0u64 << lo);
        let word = !(b.space | b.punct) & span;
        let punct = b.punct & span;
        let mut starts = (word & !((word << 1) | carry)) | punct;
        carry = word >> 63;
        while starts != 0 {
            let j = starts.trailing_zeros() as usize;
            starts &= starts - 1;
            let at = k * 64 + j;
            if (punct >> j) & 1 != 0 {
                push(tokens, base, at, at + 1, true);
                continue;
            }
            let stop = !word & (!0u64 << j);
            let end = if stop != 0 {
                (k * 64 + stop.trailing_zeros() as usize).min(to)
            } else {
                find(masks, (k + 1) * 64, to, |b| b.space | b.punct)
            };
            push(tokens, base, at, end, false);
        }
    }
}

/// The last ASCII whitespace byte in `from..before`, if any.
fn last_space(masks: &[Block], from: usize, before: usize) -> Option<usize> {
    if from >= before {
        return None;
    }
    let mut k = (before - 1) / 64;
    // Bits below `before` in its block.
    let mut bits = masks[k].space & (!0u64 >> (63 - (before - 1) % 64));
    loop {
        if bits != 0 {
            let p = k * 64 + 63 - bits.leading_zeros() as usize;
            return (p >= from).then_some(p);
        }
        if k == 0 || k * 64 <= from {
            return None;
        }
        k -= 1;
        bits = masks[k].space;
    }
}

/// The first position from `from` whose bit `pick` sets, or `n`. Bits past the text's end
/// are zero in every set; `pick` may invert them, which the `min` covers.
#[inline(always)]
fn find(masks: &[Block], from: usize, n: usize, pick: impl Fn(&Block) -> u64) -> usize {
    if from >= n {
        return n;
    }
    let mut k = from / 64;
    let mut bits = pick(&masks[k]) & (!0u64 << (from % 64));
    loop {
        if bits != 0 {
            return (k * 64 + bits.trailing_zeros() as usize).min(n);
        }
        k += 1;
        if k >= masks.len() {
            return n;
        }
        bits = pick(&masks[k]);
    }
}

/// Fills `masks` with the classes of `bytes`, one [`Block`] per 64 bytes.
fn classify(bytes: &[u8], masks: &mut Vec<Block>) {
    masks.clear();
    let mut chunks = bytes.chunks_exact(64);
    for c in &mut chunks {
        masks.push(classify64(c.try_into().expect("64 bytes")));
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        // Zero bytes are word bytes: the padding sets no bit.
        let mut last = [0u8; 64];
        last[..rest.len()].copy_from_slice(rest);
        masks.push(classify64(&last));
    }
}

#[cfg(target_arch = "x86_64")]
#[inline]
fn classify64(b: &[u8; 64]) -> Block {
    use std::arch::x86_64::*;
    let mut out = Block::default();
    for (q, part) in b.chunks_exact(16).enumerate() {
        // SAFETY: SSE2 is part of the x86_64 baseline; the load reads the 16 bytes of `part`.
        let (space, punct, high) = unsafe {
            let v = _mm_loadu_si128(part.as_ptr().cast());
            // Bytes from 0x80 fail every range test (`simd::between`).
            let range = |lo: i8, hi: i8| crate::simd::between(v, lo, hi);
            let space = crate::simd::ascii_space(v);
            let punct = _mm_or_si128(
                _mm_or_si128(range(0x21, 0x2F), range(0x3A, 0x40)),
                _mm_or_si128(range(0x5B, 0x60), range(0x7B, 0x7E)),
            );
            (
                _mm_movemask_epi8(space) as u16 as u64,
                _mm_movemask_epi8(punct) as u16 as u64,
                _mm_movemask_epi8(v) as u16 as u64,
            )
        };
        out.space |= space << (16 * q);
        out.punct |= punct << (16 * q);
        out.high |= high << (16 * q);
    }
    out
}

#[cfg(not(target_arch = "x86_64"))]
#[inline]
fn classify64(b: &[u8; 64]) -> Block {
    classify64_bytes(b)
}

/// [`classify64`] one byte at a time, from the class table: the definition the vector code
/// is tested against, and the code on other targets.
#[cfg_attr(all(target_arch = "x86_64", not(test)), allow(dead_code))]
fn classify64_bytes(b: &[u8; 64]) -> Block {
    let mut out = Block::default();
    for (k, &c) in b.iter().enumerate() {
        let bit = 1u64 << k;
        if c >= 0x80 {
            out.high |= bit;
        } else if CLASS[c as usize] == SPACE {
            out.space |= bit;
        } else if CLASS[c as usize] == PUNCT {
            out.punct |= bit;
        }
    }
    out
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
    use super::{classify, classify64, classify64_bytes, find, last_space, Block};

    /// The vector classification is the table's, for every byte value in every lane.
    #[test]
    fn classify64_matches_the_byte_table() {
        for first in 0..=255u8 {
            let mut block = [0u8; 64];
            for (k, b) in block.iter_mut().enumerate() {
                *b = first.wrapping_add((k as u8).wrapping_mul(37));
            }
            assert_eq!(
                classify64(&block),
                classify64_bytes(&block),
                "from {first:#x}"
            );
        }
    }

    #[test]
    fn find_stops_at_the_text_end() {
        let text = b"ab cd\t\n";
        let mut masks = Vec::new();
        classify(text, &mut masks);
        let n = text.len();
        type Pick = fn(&Block) -> u64;
        let cases: [(usize, Pick, usize); 6] = [
            (0, |b| b.space, 2),
            (2, |b| !b.space, 3),
            (3, |b| b.space, 5),
            (5, |b| !b.space, n),
            (7, |b| b.space, n),
            (n, |b| b.space, n),
        ];
        for (from, pick, want) in cases {
            assert_eq!(find(&masks, from, n, pick), want, "from {from}");
        }
        // (from, before, last whitespace in from..before)
        let back = [
            (0, 7, Some(6)),
            (0, 5, Some(2)),
            (3, 5, None),
            (2, 3, Some(2)),
            (0, 2, None),
        ];
        for (from, before, want) in back {
            assert_eq!(last_space(&masks, from, before), want, "{from}..{before}");
        }
        // Across blocks: the first space after 100 word bytes, the last before 150.
        let long = [vec![b' '; 10], vec![b'x'; 90], vec![b' '], vec![b'x'; 70]].concat();
        classify(&long, &mut masks);
        assert_eq!(last_space(&masks, 0, 150), Some(100));
        assert_eq!(last_space(&masks, 0, 100), Some(9));
        assert_eq!(last_space(&masks, 10, 100), None);
        let long = [vec![b'x'; 100], vec![b' ']].concat();
        classify(&long, &mut masks);
        assert_eq!(find(&masks, 3, long.len(), |b| b.space), 100);
    }
}
