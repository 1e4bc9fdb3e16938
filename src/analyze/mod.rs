//! Analyze: text → tokens → words → sentences, with byte offsets into the original text.
//!
//! Owns normalisation (NFKC), pre-tokenisation, lowercasing, stemming, the word rules that
//! make "U.S." equal "US", drop possessive "'s" and treat hyphens as spaces, and sentence
//! boundaries. It knows no lexicon and counts nothing: the tagger reads `Analysis` only.
//! Lexicon terms go through this same code (house rule 3), which is why those word rules live
//! here and not in the tagger.
//!
//! Offsets are never changed by any step: every `Token` and `Word` carries the byte range of
//! the original text it came from (house rule 2).

mod fast;
mod forms;
mod sentence;
mod splitter;
mod stem;

pub use fast::FastSplitter;
pub use forms::{FxBuild, FxHasher};
pub use splitter::{is_bert_punct, PreTokenizer, RawToken, SplitScratch, TokenizersSplitter};
pub use stem::WordStemmer;

use std::ops::Range;

use rust_stemmers::Algorithm;

/// A word written in capitals (two letters or more): acronyms such as `US`, `EU`, `MITI`.
pub const CAPS: u8 = 1;
/// First character is uppercase.
pub const INIT_CAP: u8 = 2;
/// Punctuation that phrases must not cross (comma, period, brackets...) or a sentence start
/// lies between this word and the previous one.
pub const BARRIER_BEFORE: u8 = 4;
/// Letters joined by dots ("U.S.") merged into one word.
pub const DOTTED: u8 = 8;
/// The word starts a sentence (its capital says nothing about it being a name).
pub const SENTENCE_START: u8 = 16;

/// A word: one or more pre-tokens merged by the word rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Word {
    /// Byte range in the original text.
    pub start: u32,
    pub end: u32,
    /// NFKC form with original case (dots removed for dotted acronyms), in `Analysis::buf`.
    pub surface: (u32, u32),
    /// Id of the surface form in the analysis' form table: equal surfaces get equal ids for
    /// as long as `Analysis::forms_generation` stays the same. The lowercased form and the
    /// stem are the form's (read them with `Analysis::lower` and `Analysis::stem`).
    pub form: u32,
    pub flags: u8,
    /// Index of the sentence holding the word.
    pub sentence: u32,
}

/// Sentence byte span in the original text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sentence {
    pub start: u32,
    pub end: u32,
}

/// The analysis of one text. Reused across documents by one thread so buffers and the form
/// table (stems computed once per distinct word) are allocated once, not per token.
#[derive(Default)]
pub struct Analysis {
    pub tokens: Vec<RawToken>,
    pub words: Vec<Word>,
    pub sentences: Vec<Sentence>,
    /// Normalised token forms from the splitter followed by assembled word forms.
    pub buf: String,
    forms: forms::Forms,
    split: SplitScratch,
}

impl Analysis {
    pub fn surface(&self, w: &Word) -> &str {
        &self.buf[w.surface.0 as usize..w.surface.1 as usize]
    }
    pub fn lower(&self, w: &Word) -> &str {
        let (a, b) = self.forms.form(w.form).lower;
        &self.forms.arena[a as usize..b as usize]
    }
    pub fn stem(&self, w: &Word) -> &str {
        let (a, b) = self.forms.form(w.form).stem;
        &self.forms.arena[a as usize..b as usize]
    }
    /// Changes whenever `Word::form` ids are reassigned; unique in the process.
    pub fn forms_generation(&self) -> u64 {
        self.forms.generation
    }
    /// Number of distinct forms in the table: every `Word::form` is below it.
    pub fn forms_len(&self) -> usize {
        self.forms.len()
    }
    pub fn token_norm(&self, t: &RawToken) -> &str {
        &self.buf[t.norm.0 as usize..t.norm.1 as usize]
    }
    pub fn span(w: &Word) -> Range<usize> {
        w.start as usize..w.end as usize
    }
}

/// Which pre-tokeniser an analyzer uses. Both give identical tokens (proven by differential
/// tests); they differ in speed only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnalyzerKind {
    /// The HuggingFace `tokenizers` NFKC normaliser and BERT pre-tokeniser: the reference.
    Tokenizers,
    /// `FastSplitter`: a byte-level splitter for text NFKC leaves unchanged, handing every
    /// other stretch of text to the reference.
    Fast,
}

/// Built once per run and shared by reference across threads.
pub struct Analyzer {
    splitter: Box<dyn PreTokenizer>,
    stemmer: WordStemmer,
    /// Tells form tables filled by this analyzer (and its stemmer) from others'.
    id: u64,
}

impl Analyzer {
    pub fn new(kind: AnalyzerKind, language: Algorithm) -> Analyzer {
        let splitter: Box<dyn PreTokenizer> = match kind {
            AnalyzerKind::Tokenizers => Box::new(TokenizersSplitter::new()),
            AnalyzerKind::Fast => Box::new(FastSplitter::new()),
        };
        Analyzer {
            splitter,
            stemmer: WordStemmer::new(language),
            id: forms::unique_id(),
        }
    }

    /// Analyses `text` into `out`, replacing its previous content.
    pub fn analyze(&self, text: &str, out: &mut Analysis) {
        out.tokens.clear();
        out.words.clear();
        out.sentences.clear();
        out.buf.clear();
        out.forms.prepare(self.id);
        self.splitter
            .split(text, &mut out.tokens, &mut out.buf, &mut out.split);
        self.build_words(text, out);
    }

    fn build_words(&self, text: &str, out: &mut Analysis) {
        let bytes = text.as_bytes();
        let ntok = out.tokens.len();
        let mut sentence: u32 = 0;
        let mut sentence_start: Option<u32> = None;
        let mut last_end: u32 = 0;
        let mut barrier = true;
        let mut new_sentence = true;
        let mut i = 0;
        while i < ntok {
            let t = out.tokens[i];
            // A blank line between two tokens is a paragraph break, hence a sentence break.
            let prev_end = if i > 0 {
                out.tokens[i - 1].end
            } else {
                t.start
            };
            // NFKC may expand one character into several tokens ("…" → three dots) that
            // share its original span, so tokens can overlap.
            if prev_end < t.start
                && sentence::paragraph_gap(&bytes[prev_end as usize..t.start as usize])
            {
                close_sentence(
                    out,
                    &mut sentence_start,
                    last_end,
                    &mut sentence,
                    &mut new_sentence,
                );
                barrier = true;
            }
            if t.punct {
                let c = first_char(&out.buf, &t);
                if sentence::is_terminal(c) {
                    last_end = t.end;
                    // Closing quotes and brackets after the terminal belong to the sentence.
                    let mut k = i + 1;
                    // Only when glued to it: a quote after a space opens the next sentence.
                    while k < ntok
                        && out.tokens[k].punct
                        && out.tokens[k].start == out.tokens[k - 1].end
                        && sentence::is_closer(first_char(&out.buf, &out.tokens[k]))
                    {
                        last_end = out.tokens[k].end;
                        k += 1;
                    }
                    if sentence::ends_sentence(text, out, i, k) {
                        if sentence_start.is_none() {
                            sentence_start = Some(t.start);
                        }
                        close_sentence(
                            out,
                            &mut sentence_start,
                            last_end,
                            &mut sentence,
                            &mut new_sentence,
                        );
                        barrier = true;
                        i = k;
                    } else {
                        // An abbreviation's dot ("U.S. Trade Representative") joins, like a
                        // space; a stray one after punctuation still separates.
                        if !out
                            .words
                            .last()
                            .is_some_and(|w| w.end == t.start || w.end == t.end)
                        {
                            barrier = true;
                        }
                        i += 1;
                    }
                    continue;
                }
                if !is_joiner(c) {
                    barrier = true;
                }
                if sentence_start.is_some() {
                    last_end = t.end;
                }
                i += 1;
                continue;
            }
            // A word token, possibly the start of a dotted acronym.
            let (consumed, end, dotted) = dotted_acronym(&out.tokens, &out.buf, i);
            let surface = if dotted {
                // The letters without their dots, assembled after the token forms.
                let start = out.buf.len();
                for k in (i..i + consumed).step_by(2) {
                    let tk = out.tokens[k];
                    let (a, b) = (tk.norm.0 as usize, tk.norm.1 as usize);
                    let mut ch = [0u8; 4];
                    // Single letters: one char each (checked by `dotted_acronym`).
                    if let Some(c) = out.buf[a..b].chars().next() {
                        out.buf.push_str(c.encode_utf8(&mut ch));
                    }
                }
                (start as u32, out.buf.len() as u32)
            } else {
                t.norm
            };
            let (form_id, mut flags) = out.forms.get(
                &out.buf[surface.0 as usize..surface.1 as usize],
                &self.stemmer,
            );
            if dotted {
                flags |= DOTTED;
            }
            if barrier {
                flags |= BARRIER_BEFORE;
            }
            if new_sentence {
                flags |= SENTENCE_START | BARRIER_BEFORE;
            }
            if sentence_start.is_none() {
                sentence_start = Some(t.start);
            }
            out.words.push(Word {
                start: t.start,
                end,
                surface,
                form: form_id,
                flags,
                sentence,
            });
            last_end = end;
            barrier = false;
            new_sentence = false;
            i += consumed;
            // Possessive 's / ’s: dropped so "China's" is the word "China".
            if i + 1 < ntok {
                let ap = out.tokens[i];
                let s = out.tokens[i + 1];
                if ap.punct
                    && ap.start == end
                    && is_apostrophe(first_char(&out.buf, &ap))
                    && !s.punct
                    && s.start == ap.end
                    && matches!(&out.buf[s.norm.0 as usize..s.norm.1 as usize], "s" | "S")
                {
                    last_end = s.end;
                    i += 2;
                }
            }
        }
        if sentence_start.is_some() {
            close_sentence(
                out,
                &mut sentence_start,
                last_end,
                &mut sentence,
                &mut new_sentence,
            );
        }
    }
}

fn close_sentence(
    out: &mut Analysis,
    start: &mut Option<u32>,
    end: u32,
    sentence: &mut u32,
    new_sentence: &mut bool,
) {
    if let Some(s) = start.take() {
        // Only sentences that hold a word get an index; punctuation alone is not a sentence.
        if out.words.last().is_some_and(|w| w.sentence == *sentence) {
            out.sentences.push(Sentence {
                start: s,
                end: end.max(s),
            });
            *sentence += 1;
        }
    }
    *new_sentence = true;
}

#[inline]
fn first_char(buf: &str, t: &RawToken) -> char {
    // Punctuation is nearly always one ASCII byte: read as a byte, without slicing the text
    // (which checks both ends for a char boundary).
    match buf.as_bytes().get(t.norm.0 as usize) {
        Some(&b) if b < 0x80 && t.norm.1 > t.norm.0 => char::from(b),
        _ => buf[t.norm.0 as usize..t.norm.1 as usize]
            .chars()
            .next()
            .unwrap_or(' '),
    }
}

/// Punctuation that joins words rather than separating clauses: hyphens and dashes inside
/// compounds ("rare-earth", "US-China"), apostrophes, slashes and ampersands.
fn is_joiner(c: char) -> bool {
    matches!(
        c,
        '-' | '\u{2010}'
            | '\u{2011}'
            | '\u{2012}'
            | '\u{2013}'
            | '\u{2014}'
            | '\u{2212}'
            | '\''
            | '\u{2019}'
            | '\u{2018}'
            | '\u{02BC}'
            | '/'
            | '&'
    )
}

fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '\u{2019}' | '\u{02BC}')
}

/// Single letters joined by dots with no space ("U.S.", "U.S", "E.U."): returns how many
/// tokens the acronym spans (letters and inner dots), the end offset (including an adjacent
/// final dot) and whether it is one.
fn dotted_acronym(tokens: &[RawToken], buf: &str, i: usize) -> (usize, u32, bool) {
    // Runs for every word token: most are longer than one character can be, which the
    // length settles before any slicing (as a closure it was not inlined, at 36
    // instructions a token).
    #[inline(always)]
    fn single_letter(t: &RawToken, buf: &str) -> bool {
        let (a, b) = (t.norm.0 as usize, t.norm.1 as usize);
        match b.wrapping_sub(a) {
            1 => buf.as_bytes()[a].is_ascii_alphabetic(),
            // One char of two to four bytes starts with a non-ASCII byte ("of", "the" don't).
            2..=4 if buf.as_bytes()[a] >= 0x80 => {
                let mut cs = buf[a..b].chars();
                matches!((cs.next(), cs.next()), (Some(c), None) if c.is_alphabetic())
            }
            _ => false,
        }
    }
    let is_dot = |t: &RawToken| t.punct && &buf[t.norm.0 as usize..t.norm.1 as usize] == ".";
    let t = tokens[i];
    if !single_letter(&t, buf) {
        return (1, t.end, false);
    }
    let mut k = i; // index of the last letter in the acronym
    while k + 2 < tokens.len()
        && is_dot(&tokens[k + 1])
        && tokens[k + 1].start == tokens[k].end
        && !tokens[k + 2].punct
        && tokens[k + 2].start == tokens[k + 1].end
        && single_letter(&tokens[k + 2], buf)
    {
        k += 2;
    }
    if k == i {
        return (1, t.end, false);
    }
    let mut end = tokens[k].end;
    // The final dot belongs to the acronym's span ("U.S.") but stays a token for the
    // sentence splitter to judge.
    if k + 1 < tokens.len() && is_dot(&tokens[k + 1]) && tokens[k + 1].start == end {
        end = tokens[k + 1].end;
    }
    (k - i + 1, end, true)
}

#[cfg(test)]
mod tests;
