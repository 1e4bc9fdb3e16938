//! A part's documents made ready for the state on the worker thread that analysed them: their
//! summaries encoded for `parts.result`, and their rows for the analyst tables (documents,
//! mentions, the sentences that hold a mention; `counts` is a view over mentions) written one
//! after another into one buffer. Encoding is most of what storing a part costs besides
//! SQLite itself; done here it is spread over every worker instead of running in the in-order
//! fold, which only hands the part on to the writer thread (`write.rs`).
//!
//! The buffers come from a small pool and go back to it when the writer is done with them:
//! parts are made on one thread and dropped on another, and an allocator keeps memory freed
//! that way for a while, so a megabyte or two per part, allocated afresh, showed as tens of
//! megabytes of peak memory.
//!
//! Must not touch: SQL (the writer binds these rows), what the summaries mean.

use serde::{Deserialize, Serialize, Serializer};

use super::codec;
use crate::aggregate::DocSummary;
use crate::analyze::{Analysis, Sentence};
use crate::ingest::{Article, DateSource};
use crate::pool::BytePool;
use crate::tag::Mention;

/// Buffers kept for reuse at most, and the largest kept (a larger one, made for an unusual
/// part, is freed).
static POOL: BytePool = BytePool::new(12, 8 << 20);

/// A byte buffer from the pool; it returns there when dropped.
pub(super) struct Buf(pub Vec<u8>);

impl Buf {
    pub fn take() -> Buf {
        Buf(POOL.take())
    }
}

impl Drop for Buf {
    fn drop(&mut self) {
        POOL.give(std::mem::take(&mut self.0));
    }
}

impl Clone for Buf {
    fn clone(&self) -> Buf {
        let mut b = Buf::take();
        b.0.extend_from_slice(&self.0);
        b
    }
}

impl PartialEq for Buf {
    fn eq(&self, other: &Buf) -> bool {
        self.0 == other.0
    }
}

impl std::fmt::Debug for Buf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} bytes", self.0.len())
    }
}

/// The state's share of a part's documents (`FileResult::prepared`): [`Prepared::add`] each
/// document as it is summarised, then [`Prepared::seal`] with the part's summaries.
#[derive(Debug, Clone, PartialEq)]
pub struct Prepared {
    /// The summaries, encoded (`codec::encode_docs`), or why they could not be.
    pub(super) docs: Result<Buf, String>,
    /// One [`RowIn`] per document, in order; `None` when the state keeps no analyst tables
    /// (`--analyst-tables off`).
    pub(super) rows: Option<Buf>,
    /// Documents added.
    pub(super) count: usize,
}

impl Default for Prepared {
    fn default() -> Prepared {
        Prepared::new(true)
    }
}

impl Prepared {
    /// `rows`: whether the documents' analyst rows are kept.
    pub fn new(rows: bool) -> Prepared {
        Prepared {
            docs: Err("the part was not sealed".into()),
            rows: rows.then(Buf::take),
            count: 0,
        }
    }

    /// Adds a document (and its rows, when kept): `summary` is what `article` was
    /// summarised to, from its `analysis` and `mentions`, with or without the article's id
    /// and title (`summarize_unlabelled`): those are read from the article.
    pub fn add(
        &mut self,
        article: &Article,
        analysis: &Analysis,
        mentions: &[Mention],
        summary: &DocSummary,
    ) {
        self.count += 1;
        let Some(rows) = self.rows.as_mut() else {
            return;
        };
        // The sentences that hold a mention (in order, once each), those that exist.
        let mut idx: Vec<u32> = Vec::with_capacity(mentions.len());
        for m in mentions {
            let ok = analysis
                .sentences
                .get(m.sentence as usize)
                .is_some_and(|s| article.text.get(s.start as usize..s.end as usize).is_some());
            if ok {
                idx.push(m.sentence);
            }
        }
        idx.sort_unstable();
        idx.dedup();
        let row = RowOut {
            record: article.record,
            doc: &article.id,
            title: &article.title,
            date: summary.date,
            date_source: summary.date_source,
            hash: summary.hash,
            mentions: MentionsOut(mentions),
            sentences: SentencesOut {
                idx: &idx,
                sentences: &analysis.sentences,
                text: &article.text,
            },
        };
        let buf = std::mem::take(&mut rows.0);
        // Writing into a Vec fails only when a sequence has no length, which these all have.
        rows.0 = postcard::to_extend(&row, buf).expect("rows of a document encode");
    }

    /// Encodes the part's summaries (every document added, in the same order).
    pub fn seal(&mut self, docs: &[DocSummary]) {
        debug_assert_eq!(docs.len(), self.count);
        self.docs = codec::encode_docs(docs).map_err(|e| e.to_string());
    }
}

/// A document's row in `documents`, and its rows in `mentions` and `sentences`,
/// as a worker writes it; [`RowIn`] reads it back (same fields, same order).
#[derive(Serialize)]
struct RowOut<'a> {
    record: Option<u64>,
    doc: &'a str,
    title: &'a str,
    /// A day number, so no text is made here.
    #[serde(with = "crate::ingest::date::days")]
    date: Option<chrono::NaiveDate>,
    date_source: DateSource,
    hash: [u8; 16],
    mentions: MentionsOut<'a>,
    sentences: SentencesOut<'a>,
}

/// (entity, start, end, sentence) of each mention.
struct MentionsOut<'a>(&'a [Mention]);

impl Serialize for MentionsOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(
            self.0
                .iter()
                .map(|m| (m.entity, m.start, m.end, m.sentence)),
        )
    }
}

/// (index, start, end, text) of the sentences in `idx` (all of which exist).
struct SentencesOut<'a> {
    idx: &'a [u32],
    sentences: &'a [Sentence],
    text: &'a str,
}

impl Serialize for SentencesOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.idx.iter().map(|&i| {
            let x = &self.sentences[i as usize];
            (
                i,
                x.start,
                x.end,
                &self.text[x.start as usize..x.end as usize],
            )
        }))
    }
}

/// A mention as the writer reads it: (entity index, start, end, sentence).
pub(super) type MentionIn = (u32, u32, u32, u32);
/// A sentence as the writer reads it: (index, start, end, text).
pub(super) type SentenceIn<'a> = (u32, u32, u32, Text<'a>);

/// A text of a row, read back as the bytes a worker wrote from a `&str` (postcard writes
/// both alike) and bound as SQL text as they are: checking again the UTF-8 of text this
/// process encoded from `&str` moments before took a quarter of reading the rows back (1% of
/// the writer's instructions). The buffers never leave the process (`Prepared` to the writer
/// through a channel), so nothing else writes them. The writer also binds the ASCII dates and
/// hashes it formats on the stack through it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub(super) struct Text<'a>(#[serde(borrow)] pub &'a [u8]);

impl rusqlite::ToSql for Text<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        Ok(rusqlite::types::ToSqlOutput::Borrowed(
            rusqlite::types::ValueRef::Text(self.0),
        ))
    }
}

/// A document's rows as the writer reads them, borrowing the texts from the buffer.
#[derive(Debug, Deserialize)]
pub(super) struct RowIn<'a> {
    pub record: Option<u64>,
    #[serde(borrow)]
    pub doc: Text<'a>,
    #[serde(borrow)]
    pub title: Text<'a>,
    #[serde(with = "crate::ingest::date::days")]
    pub date: Option<chrono::NaiveDate>,
    pub date_source: DateSource,
    pub hash: [u8; 16],
    pub mentions: Vec<MentionIn>,
    #[serde(borrow)]
    pub sentences: Vec<SentenceIn<'a>>,
}

#[cfg(test)]
impl RowIn<'_> {
    /// The date as `documents.date` holds it (`YYYY-MM-DD`).
    pub fn date_text(&self) -> Option<String> {
        self.date.map(crate::ingest::date::iso)
    }
}

/// Reads the rows of `count` documents back.
pub(super) fn read_rows(bytes: &[u8], count: usize) -> Result<Vec<RowIn<'_>>, String> {
    let mut rows = Vec::with_capacity(count);
    let mut rest = bytes;
    while !rest.is_empty() {
        let (row, more) = postcard::take_from_bytes::<RowIn<'_>>(rest)
            .map_err(|e| format!("the rows of a part do not decode: {e}"))?;
        rows.push(row);
        rest = more;
    }
    if rows.len() != count {
        return Err(format!(
            "a part holds the rows of {} documents, not {count}",
            rows.len()
        ));
    }
    Ok(rows)
}
