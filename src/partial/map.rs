//! The map stage: JSON Lines article records in, partials out. Each line is parsed by the
//! `.jsonl` ingester's own per-line parser, so a record means here what it means to `run`,
//! then analysed, tagged and summarised on rayon threads in bounded batches.
//!
//! Owns line numbering (stdin order, or the numbers `--numbered` lines carry), the source
//! name records are reported under, and the per-partition or per-document output. Must not
//! touch record parsing (`ingest::json`), tagging (`pipeline::Worker`) or the merge rules
//! (`Merger`).

use std::io::{BufRead, Write};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use rayon::prelude::*;

use super::{Doc, Merger, Partial, PartialError, PipelineId, SourceCount, FORMAT, VERSION};
use crate::aggregate::{summarize_unlabelled, Warning};
use crate::config::Pipeline;
use crate::ingest::json::LineSource;
use crate::ingest::{date, FileOutcome, Rejected};
use crate::pipeline::{PipelineError, Worker};

/// How `map` reads its input and what it writes.
#[derive(Debug, Clone)]
pub struct MapOptions {
    /// The name records are reported under: the path `run` would show for the file.
    pub source: String,
    /// Each line is `LINE<TAB>RECORD`: the record's line number in the source travels with
    /// it, so any split of the source maps to the numbers `run` gives.
    pub numbered: bool,
    /// One partial per record instead of one per input.
    pub per_document: bool,
    /// Worker threads; `None` uses every core.
    pub threads: Option<usize>,
}

/// What one map call read.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct MapStats {
    pub records: u64,
    pub documents: u64,
    pub duplicates: u64,
    pub rejected: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum MapError {
    #[error("cannot read standard input: {0}")]
    Read(std::io::Error),
    #[error("cannot write partials to standard output: {0}")]
    Write(std::io::Error),
    #[error(transparent)]
    Threads(#[from] PipelineError),
    #[error(transparent)]
    Partial(#[from] PartialError),
}

/// Lines processed per batch: enough to keep every thread busy, few enough to stay small.
const BATCH_LINES: usize = 256;

/// What one input line contributed.
struct LineOut {
    /// 1 for a record (a non-blank line), else 0.
    records: u64,
    doc: Option<Doc>,
    rejected: Option<Rejected>,
    warnings: Vec<String>,
}

/// Maps every line of `input` and writes partials to `out`; `on_reject` sees each rejected
/// record as it is met (the binary reports them on stderr).
pub fn map<R: BufRead, W: Write>(
    pipeline: &Pipeline,
    opts: &MapOptions,
    mut input: R,
    mut out: W,
    mut on_reject: impl FnMut(&Rejected),
) -> Result<MapStats, MapError> {
    let id = PipelineId {
        name: pipeline.name.clone(),
        hash: pipeline.hash.clone(),
    };
    let file_date = date::date_from_filename(Path::new(&opts.source));
    let lines = LineSource::new(&opts.source, file_date, &pipeline.boilerplate);
    let pool = crate::pipeline::thread_pool(opts.threads)?;
    let mut merger = Merger::new(id.clone());
    merger.add_records(&opts.source, 0);
    let mut stats = MapStats::default();
    let mut pos = 0u64;
    let mut done = false;
    while !done {
        let mut batch: Vec<(u64, Vec<u8>)> = Vec::with_capacity(BATCH_LINES);
        while batch.len() < BATCH_LINES {
            let mut buf = Vec::new();
            if input.read_until(b'\n', &mut buf).map_err(MapError::Read)? == 0 {
                done = true;
                break;
            }
            if buf.last() == Some(&b'\n') {
                buf.pop();
            }
            pos += 1;
            batch.push((pos, buf));
        }
        let results: Vec<LineOut> = pool.install(|| {
            batch
                .par_iter()
                .map_init(Worker::default, |w, (pos, raw)| {
                    process_line(pipeline, opts, &lines, w, *pos, raw)
                })
                .collect()
        });
        for r in results {
            stats.records += r.records;
            if let Some(rej) = &r.rejected {
                on_reject(rej);
                stats.rejected += 1;
            }
            if opts.per_document {
                if r.records == 0 && r.warnings.is_empty() {
                    continue;
                }
                if r.doc.is_some() {
                    stats.documents += 1;
                }
                let p = Partial {
                    sources: vec![SourceCount {
                        name: opts.source.clone(),
                        records: r.records,
                    }],
                    docs: r.doc.into_iter().collect(),
                    rejected: r.rejected.into_iter().collect(),
                    warnings: warnings(&opts.source, r.warnings),
                    ..empty(&id)
                };
                write_partial(&mut out, &p)?;
                continue;
            }
            merger.add_records(&opts.source, r.records);
            if let Some(d) = r.doc {
                merger.add_doc(d)?;
            }
            if let Some(rej) = r.rejected {
                merger.add_rejected(rej)?;
            }
            for w in warnings(&opts.source, r.warnings) {
                merger.add_warning(w);
            }
        }
    }
    if opts.per_document {
        // Registers the source even when it had no records: merge then reports it as an
        // empty file, as `run` does.
        let p = Partial {
            sources: vec![SourceCount {
                name: opts.source.clone(),
                records: 0,
            }],
            ..empty(&id)
        };
        write_partial(&mut out, &p)?;
    } else {
        let p = merger.into_partial();
        stats.documents = p.docs.len() as u64;
        stats.duplicates = p.duplicates.len() as u64;
        write_partial(&mut out, &p)?;
    }
    out.flush().map_err(MapError::Write)?;
    Ok(stats)
}

fn empty(id: &PipelineId) -> Partial {
    Partial {
        format: FORMAT.to_string(),
        version: VERSION,
        newstrack: env!("CARGO_PKG_VERSION").to_string(),
        pipeline: id.clone(),
        sources: Vec::new(),
        docs: Vec::new(),
        duplicates: Vec::new(),
        rejected: Vec::new(),
        warnings: Vec::new(),
    }
}

fn warnings(source: &str, messages: Vec<String>) -> Vec<Warning> {
    messages
        .into_iter()
        .map(|message| Warning {
            path: source.to_string(),
            record: None,
            message,
        })
        .collect()
}

fn write_partial<W: Write>(out: &mut W, p: &Partial) -> Result<(), MapError> {
    serde_json::to_writer(&mut *out, p).map_err(|e| MapError::Write(std::io::Error::other(e)))?;
    out.write_all(b"\n").map_err(MapError::Write)
}

/// Splits `LINE<TAB>RECORD`; `None` when the line does not start that way.
fn split_numbered(raw: &[u8]) -> Option<(u64, &[u8])> {
    let tab = raw.iter().position(|&b| b == b'\t')?;
    let digits = &raw[..tab];
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n: u64 = std::str::from_utf8(digits).ok()?.parse().ok()?;
    (n > 0).then_some((n, &raw[tab + 1..]))
}

fn process_line(
    pipeline: &Pipeline,
    opts: &MapOptions,
    lines: &LineSource,
    worker: &mut Worker,
    pos: u64,
    raw: &[u8],
) -> LineOut {
    let mut out = LineOut {
        records: 0,
        doc: None,
        rejected: None,
        warnings: Vec::new(),
    };
    let (n, record) = if opts.numbered {
        match split_numbered(raw) {
            Some(x) => x,
            None if raw.iter().all(u8::is_ascii_whitespace) => return out,
            None => {
                out.records = 1;
                out.rejected = Some(Rejected {
                    path: opts.source.clone(),
                    record: None,
                    reason: format!(
                        "input line {pos}: expected a line number, a tab and the record (map --numbered)"
                    ),
                });
                return out;
            }
        }
    } else {
        (pos, raw)
    };
    let mut parsed = FileOutcome::default();
    if !lines.parse_line(record, n, &mut parsed) {
        return out;
    }
    out.records = 1;
    out.warnings = parsed.warnings;
    out.rejected = parsed.rejected.pop();
    if let Some(mut article) = parsed.articles.pop() {
        // As in `run`: a bug met on one record rejects that record only, and the article's
        // labels move into its summary last, once nothing can panic.
        let done = catch_unwind(AssertUnwindSafe(|| {
            worker.tag(pipeline, &article);
            let mut d =
                summarize_unlabelled(&article, &worker.analysis, &worker.mentions, pipeline);
            d.label_from(&mut article);
            d
        }));
        match done {
            Ok(d) => out.doc = Some(Doc::from_summary(&opts.source, n, d)),
            Err(p) => {
                *worker = Worker::default();
                let msg = p
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| p.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "panic".into());
                out.rejected = Some(Rejected {
                    path: article.path.clone(),
                    record: article.record,
                    reason: format!(
                        "internal error while analysing {} ({msg}); please report it with this file",
                        article.id
                    ),
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::split_numbered;

    #[test]
    fn numbered_lines() {
        type Case<'a> = (&'a [u8], Option<(u64, &'a [u8])>);
        let cases: &[Case] = &[
            (b"12\t{\"text\":\"a\"}", Some((12, b"{\"text\":\"a\"}"))),
            (b"1\t", Some((1, b""))),
            (b"0\t{}", None),
            (b"{\"text\":\"a\"}", None),
            (b"\t{}", None),
            (b"1 2\t{}", None),
            (b"99999999999999999999999\t{}", None),
        ];
        for (raw, want) in cases {
            assert_eq!(
                split_numbered(raw),
                *want,
                "{}",
                String::from_utf8_lossy(raw)
            );
        }
    }
}
