//! Export: per-document and per-mention tables for SQL engines (DuckDB, Polars, Spark SQL),
//! as JSON Lines or Parquet.
//!
//! Owns the two tables' columns (docs/spark.md lists them), the walk → ingest → tag loop
//! that feeds them (files in walk order, in bounded batches on rayon threads) and the
//! duplicate flag, decided as `run` decides it: the first copy of a text in walk order is
//! the one counted. Must not touch the report or the aggregate: a table row is one article
//! or one mention as read, never a count.

pub mod jsonl;
#[cfg(feature = "parquet")]
pub mod parquet;

use std::collections::{BTreeMap, HashMap};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use rayon::prelude::*;
use serde::Serialize;

use crate::config::{EntityKind, Pipeline};
use crate::ingest::{self, clean, walk, Article, DateSource, Rejected};
use crate::pipeline::{PipelineError, Worker};

/// One article as read: `documents.*`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DocumentRow {
    pub doc: String,
    pub path: String,
    /// Line (JSONL, SGML) or index (JSON array) of the record in its file.
    pub record: Option<u64>,
    pub title: String,
    pub date: Option<NaiveDate>,
    pub date_source: DateSource,
    pub source: Option<String>,
    pub url: Option<String>,
    /// Hash of the normalised text (32 hex digits): equal for exact duplicates.
    pub hash: String,
    /// The document counted in this one's place when it is an exact duplicate.
    pub duplicate_of: Option<String>,
    /// Mentions of any entity, and distinct entities mentioned.
    pub mentions: u64,
    pub entities: u64,
    /// Length of the original text in bytes.
    pub bytes: u64,
    /// Labels and other fields kept from the record (e.g. Reuters PLACES, TOPICS).
    pub meta: BTreeMap<String, Vec<String>>,
    /// The original text (with `--text` only); mention offsets index it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// One mention: `mentions.*`. `text == document text[start..end]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MentionRow {
    pub doc: String,
    pub path: String,
    pub record: Option<u64>,
    pub date: Option<NaiveDate>,
    pub entity: String,
    /// `topic` or `actor`.
    pub kind: &'static str,
    /// For actors: country, person, organization...
    pub actor_kind: Option<String>,
    pub label: String,
    /// The actor this one rolls up to.
    pub group: Option<String>,
    pub start: u32,
    pub end: u32,
    pub text: String,
    /// Sentence number and its byte range in the text.
    pub sentence: u32,
    pub sentence_start: u32,
    pub sentence_end: u32,
}

/// Where rows go. Files appear complete or not at all: writers write temporary files and
/// rename them in `finish`.
pub trait TableWriter {
    fn document(&mut self, row: &DocumentRow) -> Result<(), ExportError>;
    fn mention(&mut self, row: &MentionRow) -> Result<(), ExportError>;
    /// Completes the files and returns their paths.
    fn finish(self: Box<Self>) -> Result<Vec<PathBuf>, ExportError>;
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("cannot create the output folder {path}: {cause}; choose another with --out")]
    CreateDir {
        path: PathBuf,
        /// Shown in the message, so not chained as a source (it would print twice).
        cause: std::io::Error,
    },
    #[error(
        "cannot write {path}: {reason}; check free space and permissions, or choose another --out"
    )]
    Write { path: PathBuf, reason: String },
    #[error(transparent)]
    Threads(#[from] PipelineError),
}

impl ExportError {
    pub(crate) fn write(path: &Path, reason: impl std::fmt::Display) -> ExportError {
        ExportError::Write {
            path: path.to_path_buf(),
            reason: reason.to_string(),
        }
    }
}

/// The folder the tables go into, created when missing.
pub(crate) fn create_dir(out: &Path) -> Result<(), ExportError> {
    std::fs::create_dir_all(out).map_err(|source| ExportError::CreateDir {
        path: out.to_path_buf(),
        cause: source,
    })
}

/// Path of the temporary file `finish` renames to `path`.
pub(crate) fn temp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".tmp");
    path.with_file_name(name)
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExportStats {
    pub files: u64,
    pub documents: u64,
    pub duplicates: u64,
    pub mentions: u64,
    /// Paths skipped on purpose (documentation, hidden, unsupported), sorted.
    pub skipped: Vec<Rejected>,
    /// Files failed and records rejected, sorted.
    pub problems: Vec<Rejected>,
}

#[derive(Debug, Clone)]
pub struct ExportOptions {
    /// Put each article's text in the documents table.
    pub text: bool,
    pub threads: Option<usize>,
}

/// Files per batch, as in `run`.
const BATCH_FILES: usize = 64;

struct Tagged {
    doc: DocumentRow,
    hash: [u8; 16],
    mentions: Vec<MentionRow>,
}

struct FileRows {
    tagged: Vec<Tagged>,
    problems: Vec<Rejected>,
}

/// Reads, tags and writes every article under `roots`, in walk order.
pub fn export(
    pipeline: &Pipeline,
    roots: &[PathBuf],
    opts: &ExportOptions,
    sink: &mut dyn TableWriter,
) -> Result<ExportStats, ExportError> {
    let walked = walk::collect_filtered(roots, &pipeline.inputs);
    let as_rejected = |s: &walk::Skipped| Rejected {
        path: s.path.clone(),
        record: None,
        reason: s.reason.clone(),
    };
    let mut stats = ExportStats {
        files: walked.files.len() as u64,
        skipped: walked.skipped.iter().map(as_rejected).collect(),
        problems: walked.failed.iter().map(as_rejected).collect(),
        ..Default::default()
    };
    let pool = crate::pipeline::thread_pool(opts.threads)?;
    let mut first: HashMap<[u8; 16], String> = HashMap::new();
    for batch in walked.files.chunks(BATCH_FILES) {
        let results: Vec<FileRows> = pool.install(|| {
            batch
                .par_iter()
                .map_init(Worker::default, |w, f| rows_of_file(pipeline, opts, w, f))
                .collect()
        });
        for r in results {
            stats.problems.extend(r.problems);
            for mut t in r.tagged {
                match first.get(&t.hash) {
                    Some(id) => {
                        t.doc.duplicate_of = Some(id.clone());
                        stats.duplicates += 1;
                    }
                    None => {
                        first.insert(t.hash, t.doc.doc.clone());
                    }
                }
                sink.document(&t.doc)?;
                stats.documents += 1;
                for m in &t.mentions {
                    sink.mention(m)?;
                }
                stats.mentions += t.mentions.len() as u64;
            }
        }
    }
    stats.problems.sort();
    Ok(stats)
}

fn rows_of_file(
    pipeline: &Pipeline,
    opts: &ExportOptions,
    worker: &mut Worker,
    file: &walk::InputFile,
) -> FileRows {
    let read = catch_unwind(AssertUnwindSafe(|| {
        let read = ingest::ReadOptions {
            boilerplate: &pipeline.boilerplate,
            max_doc_bytes: pipeline.max_doc_bytes,
            content_hash: false,
        };
        ingest::read_file_with(&file.path, &file.display, &read)
    }));
    let outcome = match read {
        Ok(o) => o,
        Err(_) => {
            return FileRows {
                tagged: Vec::new(),
                problems: vec![Rejected {
                    path: file.display.clone(),
                    record: None,
                    reason: "internal error while parsing; please report it with this file".into(),
                }],
            }
        }
    };
    let mut problems = outcome.rejected;
    if let Some(reason) = outcome.failed {
        problems.push(Rejected {
            path: outcome.path.clone(),
            record: None,
            reason,
        });
    }
    let mut tagged = Vec::with_capacity(outcome.articles.len());
    for article in outcome.articles {
        let done = catch_unwind(AssertUnwindSafe(|| {
            worker.tag(pipeline, &article);
            rows_of_article(pipeline, opts, worker, &article)
        }));
        match done {
            Ok(t) => tagged.push(t),
            Err(_) => {
                *worker = Worker::default();
                problems.push(Rejected {
                    path: article.path.clone(),
                    record: article.record,
                    reason: format!(
                        "internal error while analysing {}; please report it with this file",
                        article.id
                    ),
                });
            }
        }
    }
    FileRows { tagged, problems }
}

fn rows_of_article(
    pipeline: &Pipeline,
    opts: &ExportOptions,
    worker: &Worker,
    a: &Article,
) -> Tagged {
    let mut distinct: Vec<u32> = worker.mentions.iter().map(|m| m.entity).collect();
    distinct.sort_unstable();
    distinct.dedup();
    let hash = clean::content_hash(a.clean_text());
    let doc = DocumentRow {
        doc: a.id.clone(),
        path: a.path.clone(),
        record: a.record,
        title: a.title.clone(),
        date: a.date,
        date_source: a.date_source,
        source: a.source.clone(),
        url: a.url.clone(),
        hash: clean::hash_hex(&hash),
        duplicate_of: None,
        mentions: worker.mentions.len() as u64,
        entities: distinct.len() as u64,
        bytes: a.text.len() as u64,
        meta: a.meta.clone(),
        text: opts.text.then(|| a.text.clone()),
    };
    let mentions = worker
        .mentions
        .iter()
        .map(|m| {
            let e = &pipeline.entities[m.entity as usize];
            let (ss, se) = worker
                .analysis
                .sentences
                .get(m.sentence as usize)
                .map_or((m.start, m.end), |s| (s.start, s.end));
            MentionRow {
                doc: a.id.clone(),
                path: a.path.clone(),
                record: a.record,
                date: a.date,
                entity: e.id.clone(),
                kind: e.kind.as_str(),
                actor_kind: (e.kind == EntityKind::Actor && !e.actor_kind.is_empty())
                    .then(|| e.actor_kind.clone()),
                label: e.label.clone(),
                group: e.group.map(|g| pipeline.entities[g as usize].id.clone()),
                start: m.start,
                end: m.end,
                text: a
                    .text
                    .get(m.start as usize..m.end as usize)
                    .unwrap_or("")
                    .to_string(),
                sentence: m.sentence,
                sentence_start: ss,
                sentence_end: se,
            }
        })
        .collect();
    Tagged {
        doc,
        hash,
        mentions,
    }
}
