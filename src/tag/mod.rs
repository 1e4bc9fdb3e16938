//! Tag: find entity mentions in analysed text with a lexicon index built once per run.
//!
//! Owns the lexicon index (terms analysed by the same `Analyzer` as articles, house rule 3)
//! and leftmost-longest matching over stem ids. Produces `Mention`s with byte offsets into
//! the original text; counts nothing and knows nothing of periods or reports.

mod lexicon;

pub use lexicon::{FormIds, Lexicon, LexiconBuilder, TermError, NO_ID};

use serde::{Deserialize, Serialize};

/// One mention: an entity found at a byte range of the original text, in a sentence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Mention {
    pub start: u32,
    pub end: u32,
    pub entity: u32,
    pub sentence: u32,
}

/// Per-thread scratch space for tagging, reused across documents: the form → stem id memo
/// lives here, so keep one per thread for the whole run.
#[derive(Default)]
pub struct TagScratch {
    forms: FormIds,
}

/// Tags one analysed document, appending its mentions (in text order) to `out`.
pub fn tag(
    lexicon: &Lexicon,
    analysis: &crate::analyze::Analysis,
    scratch: &mut TagScratch,
    out: &mut Vec<Mention>,
) {
    lexicon.find_cached(analysis, &mut scratch.forms, out);
}
