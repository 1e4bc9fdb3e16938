//! A part's documents made ready for the state on the worker thread that analysed them: their
//! summaries encoded for `parts.result` and their rows for the analyst tables. Encoding is
//! most of what storing a part costs besides SQLite itself; done here it is spread over every
//! worker instead of running in the in-order fold, which only hands the result on to the
//! writer thread (`write.rs`).
//!
//! Must not touch: SQL (the writer binds these rows), what the summaries mean.

use super::{codec, DocDetail};
use crate::aggregate::DocSummary;

/// The state's share of a part's documents (`FileResult::prepared`).
#[derive(Debug, Clone, PartialEq)]
pub struct Prepared {
    /// The summaries, encoded (`codec::encode_docs`), or why they could not be.
    pub(super) docs: Result<Vec<u8>, String>,
    /// One per summary, in order.
    pub(super) rows: Vec<DocRow>,
}

/// A document's row in `documents`, with its rows in `counts`, `mentions` and `sentences`.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct DocRow {
    pub doc: String,
    pub title: String,
    pub date: Option<String>,
    pub date_source: &'static str,
    pub text_hash: String,
    /// (entity index, mentions).
    pub counts: Vec<(u32, u32)>,
    pub detail: DocDetail,
}

impl Prepared {
    /// `details` holds one entry per summary, in the same order.
    pub fn new(docs: &[DocSummary], details: Vec<DocDetail>) -> Prepared {
        debug_assert_eq!(docs.len(), details.len());
        let rows = docs
            .iter()
            .zip(details)
            .map(|(d, detail)| DocRow {
                doc: d.id.clone(),
                title: d.title.clone(),
                date: d.date.map(|x| x.to_string()),
                date_source: d.date_source.as_str(),
                text_hash: crate::ingest::clean::hash_hex(&d.hash),
                counts: d.counts.clone(),
                detail,
            })
            .collect();
        Prepared {
            docs: codec::encode_docs(docs).map_err(|e| e.to_string()),
            rows,
        }
    }
}
