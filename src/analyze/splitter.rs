//! Pre-tokenisers: split text into normalised pieces with byte offsets into the original.
//!
//! Owns only splitting and normalisation (NFKC). The reference implementation drives the
//! HuggingFace `tokenizers` crate; any faster splitter must produce exactly the same
//! `RawToken`s and must prove it with differential tests against `TokenizersSplitter`.
//! Must not lowercase, stem or decide sentences: that is `analyze`'s job.

use tokenizers::normalizers::unicode::NFKC;
use tokenizers::pre_tokenizers::bert::BertPreTokenizer;
use tokenizers::{
    NormalizedString, Normalizer, OffsetReferential, OffsetType, PreTokenizedString,
    PreTokenizer as _,
};

/// One piece of text as the pre-tokeniser split it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawToken {
    /// Byte range in the original text.
    pub start: u32,
    pub end: u32,
    /// The NFKC-normalised form, as a range of the analysis buffer.
    pub norm: (u32, u32),
    /// A single punctuation character (BERT's definition: ASCII punctuation or Unicode P*).
    pub punct: bool,
}

/// Splits text into `RawToken`s, appending their normalised forms to `buf`. `scratch` is
/// working memory the caller keeps from text to text (in its `Analysis`), so a splitter
/// allocates nothing per document.
pub trait PreTokenizer: Send + Sync {
    fn split(
        &self,
        text: &str,
        tokens: &mut Vec<RawToken>,
        buf: &mut String,
        scratch: &mut SplitScratch,
    );
}

/// A splitter's working memory: the fast splitter's byte-class bit sets.
#[derive(Default)]
pub struct SplitScratch {
    pub(super) masks: Vec<super::fast::Block>,
}

/// BERT's punctuation test, as `tokenizers` defines it.
pub fn is_bert_punct(c: char) -> bool {
    use unicode_categories::UnicodeCategories;
    c.is_ascii_punctuation() || c.is_punctuation()
}

/// The reference path: `tokenizers`' NFKC normaliser and BERT pre-tokeniser, offsets taken
/// against the original text.
pub struct TokenizersSplitter {
    normalizer: NFKC,
    pre_tokenizer: BertPreTokenizer,
}

impl TokenizersSplitter {
    pub fn new() -> Self {
        TokenizersSplitter {
            normalizer: NFKC,
            pre_tokenizer: BertPreTokenizer,
        }
    }
}

impl Default for TokenizersSplitter {
    fn default() -> Self {
        Self::new()
    }
}

impl PreTokenizer for TokenizersSplitter {
    fn split(
        &self,
        text: &str,
        tokens: &mut Vec<RawToken>,
        buf: &mut String,
        _scratch: &mut SplitScratch,
    ) {
        let mut normalized = NormalizedString::from(text);
        // Both steps are infallible for these components; on an unexpected error the text is
        // left unsplit rather than aborting the run (the caller then finds no words).
        if self.normalizer.normalize(&mut normalized).is_err() {
            return;
        }
        let mut pre = PreTokenizedString::from(normalized);
        if self.pre_tokenizer.pre_tokenize(&mut pre).is_err() {
            return;
        }
        for (piece, (start, end), _) in
            pre.get_splits(OffsetReferential::Original, OffsetType::Byte)
        {
            if piece.is_empty() {
                continue;
            }
            let norm_start = buf.len() as u32;
            buf.push_str(piece);
            let mut chars = piece.chars();
            let punct = matches!((chars.next(), chars.next()), (Some(c), None) if is_bert_punct(c));
            tokens.push(RawToken {
                start: start as u32,
                end: end as u32,
                norm: (norm_start, buf.len() as u32),
                punct,
            });
        }
    }
}
