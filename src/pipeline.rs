//! The orchestration: walk inputs, then ingest → analyze → tag → summarize each document on
//! rayon threads, and fold the summaries into one `Aggregate`.
//!
//! Owns batching, thread pools, progress display, duplicate detection and the accounting of
//! every input file. Holds no format, matching or report logic of its own. Files are taken
//! in sorted order in bounded batches: documents stream through, only summaries are kept,
//! and because duplicates are decided in that fixed order the result does not depend on the
//! number of threads (house rule 4).

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;

use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;

use crate::aggregate::{summarize, Aggregate, DocRef, DocSummary, Warning};
use crate::analyze::Analysis;
use crate::config::Pipeline;
use crate::ingest::{self, walk, Article, Rejected};
use crate::tag::{self, Mention, TagScratch};

/// How a run is carried out (not what it computes: output never depends on these).
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Worker threads; `None` uses every core.
    pub threads: Option<usize>,
    /// Show a progress bar on stderr.
    pub progress: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error("cannot start {threads} worker threads: {source}; try a smaller --threads")]
    ThreadPool {
        threads: usize,
        #[source]
        source: rayon::ThreadPoolBuildError,
    },
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
            .analyze(&article.clean_text, &mut self.analysis);
        tag::tag(
            &pipeline.lexicon,
            &self.analysis,
            &mut self.scratch,
            &mut self.mentions,
        );
    }
}

/// What one file contributed.
struct FileResult {
    path: String,
    failed: Option<String>,
    rejected: Vec<Rejected>,
    warnings: Vec<String>,
    docs: Vec<DocSummary>,
}

fn process_file(pipeline: &Pipeline, worker: &mut Worker, file: &walk::InputFile) -> FileResult {
    // A bug met on one input must cost that input only (house rule 5): a panic in a parser
    // fails the file, a panic in analysis rejects the one article.
    let read = catch_unwind(AssertUnwindSafe(|| {
        ingest::read_file(&file.path, &file.display, &pipeline.boilerplate)
    }));
    let outcome = match read {
        Ok(o) => o,
        Err(p) => {
            return FileResult {
                path: file.display.clone(),
                failed: Some(format!(
                    "internal error while parsing ({}); please report it with this file",
                    panic_message(&p)
                )),
                rejected: Vec::new(),
                warnings: Vec::new(),
                docs: Vec::new(),
            }
        }
    };
    let mut docs = Vec::with_capacity(outcome.articles.len());
    let mut rejected = outcome.rejected;
    for article in &outcome.articles {
        let done = catch_unwind(AssertUnwindSafe(|| {
            worker.tag(pipeline, article);
            summarize(article, &worker.analysis, &worker.mentions, pipeline)
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
    FileResult {
        path: outcome.path,
        failed: outcome.failed,
        rejected,
        warnings: outcome.warnings,
        docs,
    }
}

fn panic_message(p: &Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".into())
}

fn thread_pool(threads: Option<usize>) -> Result<rayon::ThreadPool, PipelineError> {
    let n = threads.unwrap_or(0);
    rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .build()
        .map_err(|source| PipelineError::ThreadPool { threads: n, source })
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
    let walked = walk::collect(roots);
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
    let pb = progress_bar(opts.progress, walked.files.len());
    let mut seen: HashMap<[u8; 16], String> = HashMap::new();
    pool.install(|| {
        for batch in walked.files.chunks(BATCH_FILES) {
            let results: Vec<FileResult> = batch
                .par_iter()
                .map_init(Worker::default, |w, f| process_file(pipeline, w, f))
                .collect();
            for r in results {
                fold_file(&mut agg, &mut seen, r);
            }
            if let Some(pb) = &pb {
                pb.inc(batch.len() as u64);
                pb.set_message(format!("{} articles", agg.accounting.articles));
            }
        }
    });
    if let Some(pb) = pb {
        pb.finish_and_clear();
    }
    agg.finish();
    Ok(agg)
}

/// Folds one file's result in, in walk order: the first copy of a text counts, later exact
/// copies are listed as duplicates of it.
fn fold_file(agg: &mut Aggregate, seen: &mut HashMap<[u8; 16], String>, r: FileResult) {
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
        None => acc.files_read += 1,
    }
    acc.records_rejected.extend(r.rejected);
    for d in r.docs {
        if let Some(first) = seen.get(&d.hash) {
            agg.accounting.duplicates.push(DocRef {
                doc: d.id,
                path: d.path,
                same_as: Some(first.clone()),
            });
            continue;
        }
        seen.insert(d.hash, d.id.clone());
        agg.add_doc(d);
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
    let walked = walk::collect(roots);
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
                    let outcome = ingest::read_file(&f.path, &f.display, &pipeline.boilerplate);
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
