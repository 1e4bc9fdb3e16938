//! The orchestration: walk inputs, then ingest → analyze → tag → summarize each document on
//! rayon threads, and fold the summaries into one `Aggregate`.
//!
//! Owns batching, thread pools, progress display, duplicate detection and the accounting of
//! every input file. Holds no format, matching or report logic of its own. Files are taken
//! in sorted order as a stream of units (whole files, or chunks of lines of large JSONL
//! files, see `stream`): documents stream through, only summaries are kept, and because
//! results are folded and duplicates decided in that fixed order the result does not depend
//! on the number of threads or on how files were chunked (house rule 4).

mod stream;

pub use stream::CHUNK_ENV;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;

use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;

use crate::aggregate::{summarize_unlabelled, Aggregate, DocRef, DocSummary, Warning};
use crate::analyze::Analysis;
use crate::config::Pipeline;
use crate::ingest::{self, json, walk, Article, Content, FileOutcome, ReadOptions, Rejected};
use crate::spill::{self, DedupIndex, DocRows, SpillDir, SpillError};
use crate::state::Prepared;
use crate::tag::{self, Mention, TagScratch};

/// How a run is carried out (not what it computes: output never depends on these).
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Worker threads; `None` uses every core.
    pub threads: Option<usize>,
    /// Show a progress bar on stderr.
    pub progress: bool,
    /// Where the run keeps its temporary files (a hidden folder inside, removed when the
    /// returned aggregate is dropped): the out folder, on the disk that will hold
    /// documents.csv; `None` for the system temp folder (see `spill`).
    pub spill_dir: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error("cannot start {threads} worker threads: {cause}; try a smaller --threads")]
    ThreadPool {
        threads: usize,
        /// Shown in the message, so not chained as a source (it would print twice).
        cause: rayon::ThreadPoolBuildError,
    },
    #[error(transparent)]
    Spill(#[from] SpillError),
}

/// Files taken per batch: enough to keep every thread busy, few enough that the summaries
/// of one batch stay small.
const BATCH_FILES: usize = 64;

/// Per-thread state, created once per worker and reused for every document.
#[derive(Default)]
pub struct Worker {
    pub analysis: Analysis,
    pub scratch: TagScratch,
    pub mentions: Vec<Mention>,
}

impl Worker {
    /// Analyses and tags one article; the mentions are left in `self.mentions`.
    pub fn tag(&mut self, pipeline: &Pipeline, article: &Article) {
        self.mentions.clear();
        pipeline
            .analyzer
            .analyze(article.clean_text(), &mut self.analysis);
        tag::tag(
            &pipeline.lexicon,
            &self.analysis,
            &mut self.scratch,
            &mut self.mentions,
        );
    }
}

/// What one file (or chunk) contributed: the unit incremental runs store and reuse
/// (`src/state`).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FileResult {
    pub path: String,
    pub failed: Option<String>,
    pub rejected: Vec<Rejected>,
    pub warnings: Vec<String>,
    pub docs: Vec<DocSummary>,
    /// The bytes the result came from, when the file was read whole, or on the last chunk of
    /// a file read in chunks (all of its bytes); `None` when they could not be read.
    #[serde(skip)]
    pub content: Option<Content>,
    /// The documents as the state stores them (summaries encoded, per-document mentions and
    /// sentences), prepared on the worker thread; only when there is a state.
    #[serde(skip)]
    pub prepared: Option<Box<Prepared>>,
}

/// Results of earlier runs (implemented over SQLite by `src/state`). A run asks it which
/// files still have a valid stored result, reads only the others, and folds stored and fresh
/// results in walk order, so the aggregate is that of a full run.
///
/// A file's result travels in parts (a whole file is one part, a chunked JSONL file one part
/// per chunk), both ways, so neither side ever holds a large file's result at once.
pub trait ResultCache: Send {
    /// Every file of the run, in walk order; returns which of them need not be read.
    fn plan(&mut self, files: &[walk::InputFile]) -> Vec<bool>;
    /// Streams the stored result of a file `plan` marked (called in walk order) into `fold`,
    /// part by part in order; `fold`'s flag marks the file's last part.
    fn load(&mut self, file: &walk::InputFile, fold: &mut dyn FnMut(FileResult, bool)) -> Loaded;
    /// Whether fresh parts carry their documents' analyst rows (`Prepared::new`).
    fn analyst_rows(&self) -> bool;
    /// The next fresh part of a file's result (called in walk order, parts in order);
    /// `last`: the file is complete. Takes `part.prepared`.
    fn store(&mut self, file: &walk::InputFile, part: &mut FileResult, last: bool);
    /// The run is over: write out what is pending.
    fn flush(&mut self);
}

/// What [`ResultCache::load`] could do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Loaded {
    /// Every part was folded.
    All,
    /// Nothing was folded (the stored result vanished since `plan`): the file is read.
    Nothing,
    /// Loading failed after some parts were folded: the aggregate is no longer that of a
    /// full run, so the run is done again without the cache.
    Partly,
}

/// How a unit's result counts towards its file.
enum UnitKind {
    /// The whole file.
    Whole,
    /// A chunk of a large JSONL file: the file is read (or empty) when its last chunk is in.
    Chunk { last: bool, any: bool },
}

/// What a unit keeps for a result cache beyond its summaries.
#[derive(Clone, Copy)]
struct Keep {
    /// Content hashes and the encoded summaries (what a re-run reuses): there is a cache.
    details: bool,
    /// The documents' analyst rows too.
    rows: bool,
}

struct UnitResult {
    kind: UnitKind,
    r: FileResult,
}

fn process_unit(
    pipeline: &Pipeline,
    worker: &mut Worker,
    file: &walk::InputFile,
    unit: stream::Unit,
    keep: Keep,
) -> UnitResult {
    match unit {
        stream::Unit::File { .. } => UnitResult {
            kind: UnitKind::Whole,
            r: process_file(pipeline, worker, file, keep),
        },
        stream::Unit::Failed { reason, .. } => UnitResult {
            kind: UnitKind::Whole,
            r: FileResult {
                path: file.display.clone(),
                failed: Some(reason),
                ..Default::default()
            },
        },
        stream::Unit::Chunk {
            bytes,
            first_line,
            last,
            content,
            ..
        } => {
            let read = catch_unwind(AssertUnwindSafe(|| {
                let mut o = FileOutcome {
                    path: file.display.clone(),
                    content: content.clone(),
                    ..Default::default()
                };
                let file_date = ingest::date::date_from_filename(&file.path);
                let any = json::parse_jsonl_chunk_limited(
                    &bytes,
                    first_line,
                    &file.display,
                    file_date,
                    &pipeline.boilerplate,
                    pipeline.max_doc_bytes,
                    &mut o,
                );
                (o, any)
            }));
            stream::recycle(bytes);
            match read {
                Ok((outcome, any)) => UnitResult {
                    kind: UnitKind::Chunk { last, any },
                    r: tag_outcome(pipeline, worker, outcome, keep),
                },
                Err(p) => UnitResult {
                    kind: UnitKind::Chunk { last, any: true },
                    r: FileResult {
                        path: file.display.clone(),
                        failed: None,
                        rejected: vec![Rejected {
                            path: file.display.clone(),
                            record: Some(first_line),
                            reason: format!(
                                "internal error while parsing the lines from {first_line} on \
                                 ({}); please report it with this file",
                                panic_message(&p)
                            ),
                        }],
                        content,
                        ..Default::default()
                    },
                },
            }
        }
    }
}

fn process_file(
    pipeline: &Pipeline,
    worker: &mut Worker,
    file: &walk::InputFile,
    keep: Keep,
) -> FileResult {
    // A bug met on one input must cost that input only (house rule 5): a panic in a parser
    // fails the file, a panic in analysis rejects the one article.
    let read = catch_unwind(AssertUnwindSafe(|| {
        let opts = ReadOptions {
            boilerplate: &pipeline.boilerplate,
            max_doc_bytes: pipeline.max_doc_bytes,
            content_hash: keep.details,
        };
        ingest::read_file_with(&file.path, &file.display, &opts)
    }));
    match read {
        Ok(outcome) => tag_outcome(pipeline, worker, outcome, keep),
        Err(p) => FileResult {
            path: file.display.clone(),
            failed: Some(format!(
                "internal error while parsing ({}); please report it with this file",
                panic_message(&p)
            )),
            ..Default::default()
        },
    }
}

/// Analyses, tags and summarises the articles of a parsed file or chunk.
fn tag_outcome(
    pipeline: &Pipeline,
    worker: &mut Worker,
    outcome: FileOutcome,
    keep: Keep,
) -> FileResult {
    let mut docs = Vec::with_capacity(outcome.articles.len());
    let mut prepared = keep.details.then(|| Box::new(Prepared::new(keep.rows)));
    let mut rejected = outcome.rejected;
    for mut article in outcome.articles {
        let done = catch_unwind(AssertUnwindSafe(|| {
            worker.tag(pipeline, &article);
            let mut d =
                summarize_unlabelled(&article, &worker.analysis, &worker.mentions, pipeline);
            if let Some(p) = prepared.as_mut() {
                p.add(&article, &worker.analysis, &worker.mentions, &d);
            }
            // Last, so that a panic above still finds the article's path and id for its
            // report; nothing reads the article after this.
            d.label_from(&mut article);
            d
        }));
        match done {
            Ok(d) => docs.push(d),
            Err(p) => {
                // The worker's buffers may be half-written: start it afresh.
                *worker = Worker::default();
                rejected.push(Rejected {
                    path: article.path.clone(),
                    record: article.record,
                    reason: format!(
                        "internal error while analysing {} ({}); please report it with this file",
                        article.id,
                        panic_message(&p)
                    ),
                });
            }
        }
    }
    if let Some(p) = prepared.as_mut() {
        p.seal(&docs);
    }
    FileResult {
        path: outcome.path,
        failed: outcome.failed,
        rejected,
        warnings: outcome.warnings,
        docs,
        content: outcome.content,
        prepared,
    }
}

fn panic_message(p: &Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".into())
}

/// The worker pool of a run, a map stage or an export: `threads` workers (all cores when
/// `None`).
pub(crate) fn thread_pool(threads: Option<usize>) -> Result<rayon::ThreadPool, PipelineError> {
    let n = threads.unwrap_or(0);
    rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        // Named so that `top -H`, `perf` and bench/timeline.py tell the workers from the
        // state's writer and reader threads.
        .thread_name(|i| format!("newstrack-w{i}"))
        .build()
        .map_err(|source| PipelineError::ThreadPool {
            threads: n,
            cause: source,
        })
}

fn progress_bar(enabled: bool, len: usize) -> Option<ProgressBar> {
    if !enabled {
        return None;
    }
    let pb = ProgressBar::new(len as u64);
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner} {elapsed_precise} [{bar:30}] {pos}/{len} files {msg}",
    ) {
        pb.set_style(style.progress_chars("=> "));
    }
    Some(pb)
}

/// Runs the whole pipeline over `roots` and returns the finished aggregate.
pub fn run(
    pipeline: &Pipeline,
    roots: &[PathBuf],
    opts: &RunOptions,
) -> Result<Aggregate, PipelineError> {
    run_cached(pipeline, roots, opts, None)
}

/// [`run`], reusing and feeding a store of earlier results when one is given.
pub fn run_cached(
    pipeline: &Pipeline,
    roots: &[PathBuf],
    opts: &RunOptions,
    cache: Option<&mut dyn ResultCache>,
) -> Result<Aggregate, PipelineError> {
    let walked = walk::collect_filtered(roots, &pipeline.inputs);
    run_walked(pipeline, roots, walked, opts, cache)
}

/// [`run_cached`] over what the walk of `roots` found (`walk::collect_filtered` with the
/// pipeline's filter), so a caller can walk while it does something else.
pub fn run_walked(
    pipeline: &Pipeline,
    roots: &[PathBuf],
    walked: walk::Collected,
    opts: &RunOptions,
    mut cache: Option<&mut dyn ResultCache>,
) -> Result<Aggregate, PipelineError> {
    let mut agg = Aggregate::new(pipeline.evidence_per_entity);
    let acc = &mut agg.accounting;
    acc.files_seen = (walked.files.len() + walked.skipped.len() + walked.failed.len()) as u64;
    acc.files_skipped = walked
        .skipped
        .iter()
        .map(|s| Rejected {
            path: s.path.clone(),
            record: None,
            reason: s.reason.clone(),
        })
        .collect();
    acc.files_failed = walked
        .failed
        .iter()
        .map(|s| Rejected {
            path: s.path.clone(),
            record: None,
            reason: s.reason.clone(),
        })
        .collect();
    let pool = thread_pool(opts.threads)?;
    let reuse = match cache.as_deref_mut() {
        Some(c) => c.plan(&walked.files),
        None => vec![false; walked.files.len()],
    };
    // Only files without a stored result are read; `read_at` maps them back to walk order.
    let (read_at, to_read): (Vec<usize>, Vec<walk::InputFile>) = walked
        .files
        .iter()
        .enumerate()
        .filter(|(i, _)| !reuse[*i])
        .map(|(i, f)| (i, f.clone()))
        .unzip();
    let keep = Keep {
        details: cache.is_some(),
        rows: cache.as_deref().is_some_and(|c| c.analyst_rows()),
    };
    // Per-document rows and the duplicate index go to disk, so memory does not grow with
    // the number of documents.
    let spill_dir = match &opts.spill_dir {
        Some(d) => SpillDir::create(d)?,
        None => SpillDir::create(&std::env::temp_dir())?,
    };
    agg.docs = DocRows::spilling(spill_dir.clone(), spill::spill_limit());
    let mut fold = Fold {
        agg: &mut agg,
        seen: DedupIndex::new(spill_dir)?,
        failed: None,
        chunk_any: false,
        pb: progress_bar(opts.progress, walked.files.len()),
        pipeline,
        cache,
        keep,
        files: &walked.files,
        read_at: &read_at,
        read_pos: 0,
        next: 0,
        redo: false,
    };
    stream::run_units(
        &pool,
        &to_read,
        keep.details,
        |w: &mut Worker, f, unit| process_unit(pipeline, w, f, unit, keep),
        |u| fold.unit(u),
    );
    if fold.failed.is_none() {
        if let Err(e) = fold.stored_until(walked.files.len()) {
            fold.failed = Some(e);
        }
    }
    // Results stored before a failure are complete and valid: keep them for the next run.
    if let Some(c) = fold.cache.as_deref_mut() {
        c.flush();
    }
    if let Some(pb) = fold.pb.take() {
        pb.finish_and_clear();
    }
    if let Some(e) = fold.failed.take() {
        return Err(e.into());
    }
    let redo = fold.redo;
    drop(fold);
    if redo {
        // A stored result failed half-way into the fold (the cache said why): only a run
        // that does not use it gives the right aggregate.
        drop(agg);
        return run(pipeline, roots, opts);
    }
    agg.finish();
    Ok(agg)
}

/// The sequential side of a run: results arrive here in input order.
struct Fold<'a, 'c> {
    agg: &'a mut Aggregate,
    /// Content hash → the id of the first document with that text.
    seen: DedupIndex,
    /// Temporary files failed: the run stops and returns this.
    failed: Option<SpillError>,
    /// Some chunk of the JSONL file being folded held a line.
    chunk_any: bool,
    pb: Option<ProgressBar>,
    pipeline: &'a Pipeline,
    cache: Option<&'c mut dyn ResultCache>,
    /// What the run's units keep for `cache` (a file read in the fold keeps the same).
    keep: Keep,
    /// Every file in walk order, and the walk index of each file that is read.
    files: &'a [walk::InputFile],
    read_at: &'a [usize],
    /// The next read file to arrive, and the next walk index to fold.
    read_pos: usize,
    next: usize,
    /// A stored result was folded only in part: the run must be done again without it.
    redo: bool,
}

impl Fold<'_, '_> {
    /// Folds one unit's result; `false` stops the run (see `failed`).
    fn unit(&mut self, u: UnitResult) -> bool {
        match self.try_unit(u) {
            Ok(()) => true,
            Err(e) => {
                self.failed = Some(e);
                false
            }
        }
    }

    fn try_unit(&mut self, u: UnitResult) -> Result<(), SpillError> {
        let walk_index = self.read_at[self.read_pos];
        self.stored_until(walk_index)?;
        let mut r = u.r;
        let file_done = match u.kind {
            UnitKind::Whole => true,
            UnitKind::Chunk { last, any } => {
                self.chunk_any |= any;
                if last && !std::mem::take(&mut self.chunk_any) {
                    r.rejected.push(Rejected {
                        path: r.path.clone(),
                        record: None,
                        reason: json::EMPTY_FILE.into(),
                    });
                }
                last
            }
        };
        if let Some(c) = self.cache.as_deref_mut() {
            c.store(&self.files[walk_index], &mut r, file_done);
        }
        fold_file(self.agg, &mut self.seen, r, file_done)?;
        if file_done {
            self.chunk_any = false;
            self.read_pos += 1;
            self.next = walk_index + 1;
            self.tick();
        }
        Ok(())
    }

    /// Folds the stored results of the files before walk index `end` not yet folded.
    fn stored_until(&mut self, end: usize) -> Result<(), SpillError> {
        while self.next < end {
            let file = &self.files[self.next];
            let (agg, seen) = (&mut *self.agg, &mut self.seen);
            let mut failed = None;
            let loaded = match self.cache.as_deref_mut() {
                Some(c) => c.load(file, &mut |r, last| {
                    if failed.is_none() {
                        failed = fold_file(agg, seen, r, last).err();
                    }
                }),
                None => Loaded::Nothing,
            };
            if let Some(e) = failed {
                return Err(e);
            }
            match loaded {
                Loaded::All => {}
                Loaded::Partly => self.redo = true,
                Loaded::Nothing => {
                    // The stored result vanished since `plan`: read the file here after all.
                    let mut w = Worker::default();
                    let mut r = process_file(self.pipeline, &mut w, file, self.keep);
                    if let Some(c) = self.cache.as_deref_mut() {
                        c.store(file, &mut r, true);
                    }
                    fold_file(self.agg, &mut self.seen, r, true)?;
                }
            }
            self.next += 1;
            self.tick();
        }
        Ok(())
    }

    fn tick(&self) {
        if let Some(pb) = &self.pb {
            pb.inc(1);
            pb.set_message(format!("{} articles", self.agg.accounting.articles));
        }
    }
}

/// Folds one file's (or chunk's) result in, in walk order: the first copy of a text counts,
/// later exact copies are listed as duplicates of it. `file_done`: the file is complete (a
/// chunk other than the last does not count it as read yet).
fn fold_file(
    agg: &mut Aggregate,
    seen: &mut DedupIndex,
    r: FileResult,
    file_done: bool,
) -> Result<(), SpillError> {
    let acc = &mut agg.accounting;
    acc.records_read += (r.docs.len() + r.rejected.len()) as u64;
    for w in r.warnings {
        acc.warnings.push(Warning {
            path: r.path.clone(),
            record: None,
            message: w,
        });
    }
    match r.failed {
        Some(reason) => acc.files_failed.push(Rejected {
            path: r.path.clone(),
            record: None,
            reason,
        }),
        None if file_done => acc.files_read += 1,
        None => {}
    }
    acc.records_rejected.extend(r.rejected);
    for d in r.docs {
        if let Some(same_as) = seen.first_or_insert(&d.hash, &d.id)? {
            // A duplicate is not counted, but what was wrong with it is still reported.
            for w in &d.warnings {
                agg.accounting.warnings.push(Warning {
                    path: d.path.clone(),
                    record: None,
                    message: format!("{}: {w}", d.id),
                });
            }
            agg.accounting.duplicates.push(DocRef {
                doc: d.id,
                path: d.path,
                same_as: Some(same_as),
            });
            continue;
        }
        agg.add_doc(d);
    }
    match agg.docs.error() {
        Some(e) => Err(e.clone()),
        None => Ok(()),
    }
}

/// Tags every article under `roots`: `render` runs on the worker threads for each article,
/// `emit` receives the rendered text in file order, batch by batch, so output streams.
/// Returns every file and record problem met.
pub fn tag_files<F, E>(
    pipeline: &Pipeline,
    roots: &[PathBuf],
    threads: Option<usize>,
    render: F,
    mut emit: E,
) -> Result<Vec<Rejected>, PipelineError>
where
    F: Fn(&Article, &Analysis, &[Mention]) -> String + Sync,
    E: FnMut(&str),
{
    let walked = walk::collect_filtered(roots, &pipeline.inputs);
    let mut problems: Vec<Rejected> = walked
        .skipped
        .iter()
        .chain(&walked.failed)
        .map(|s| Rejected {
            path: s.path.clone(),
            record: None,
            reason: s.reason.clone(),
        })
        .collect();
    let pool = thread_pool(threads)?;
    for batch in walked.files.chunks(BATCH_FILES) {
        let results: Vec<(String, Vec<Rejected>)> = pool.install(|| {
            batch
                .par_iter()
                .map_init(Worker::default, |w, f| {
                    let read = ReadOptions {
                        boilerplate: &pipeline.boilerplate,
                        max_doc_bytes: pipeline.max_doc_bytes,
                        content_hash: false,
                    };
                    let outcome = ingest::read_file_with(&f.path, &f.display, &read);
                    let mut out = String::new();
                    for article in &outcome.articles {
                        w.tag(pipeline, article);
                        out.push_str(&render(article, &w.analysis, &w.mentions));
                    }
                    let mut probs = outcome.rejected;
                    if let Some(reason) = outcome.failed {
                        probs.push(Rejected {
                            path: outcome.path.clone(),
                            record: None,
                            reason,
                        });
                    }
                    (out, probs)
                })
                .collect()
        });
        for (out, probs) in results {
            emit(&out);
            problems.extend(probs);
        }
    }
    problems.sort();
    Ok(problems)
}

#[cfg(test)]
mod tests {
    use super::thread_pool;

    /// Every worker of a run's pool carries the name profilers and bench/timeline.py group
    /// its time by, numbered from 0.
    #[test]
    fn workers_are_named() {
        let pool = thread_pool(Some(2)).unwrap();
        let mut names: Vec<String> = pool.broadcast(|_| {
            std::thread::current()
                .name()
                .unwrap_or("(unnamed)")
                .to_owned()
        });
        names.sort();
        assert_eq!(names, ["newstrack-w0", "newstrack-w1"]);
    }
}
