//! Report: turns a finished `Aggregate` into files people read and tools load.
//!
//! Owns output formats, one file per format (`markdown`, `html`, `csv`, `summary`,
//! `json_out`), the period-bucketed view they share (`trends`) and the analytics computed
//! on it (`analytics`). Reads aggregates and the compiled pipeline only; never re-reads
//! articles. Everything is written in a fixed order so the same aggregate always gives
//! byte-identical files.

pub mod analytics;
pub mod csv_out;
pub mod html;
pub mod json_out;
pub mod markdown;
mod markdown_trends;
pub mod summary;
pub mod svg;
pub mod trends;

use std::path::{Path, PathBuf};

use crate::aggregate::Aggregate;
use crate::config::{Period, Pipeline};
use crate::state::Changes;

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("cannot create the output folder {path}: {cause}; choose another with --out")]
    CreateDir {
        path: PathBuf,
        /// Shown in the message, so not chained as a source (it would print twice).
        cause: std::io::Error,
    },
    #[error(
        "cannot write {path}: {cause}; check free space and permissions, or choose another --out"
    )]
    Write {
        path: PathBuf,
        /// Shown in the message, so not chained as a source (it would print twice).
        cause: std::io::Error,
    },
}

/// A group of output files chosen with `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, clap::ValueEnum)]
pub enum Format {
    /// `report.md`
    Md,
    /// `report.html`
    Html,
    /// `trends.csv`, `documents.csv`, `periods.csv`
    Csv,
    /// `summary.json`, `trends.json`
    Json,
}

impl Format {
    pub const ALL: [Format; 4] = [Format::Md, Format::Html, Format::Csv, Format::Json];
}

/// What the report is about, besides the aggregate.
pub struct ReportContext<'a> {
    pub pipeline: &'a Pipeline,
    pub period: Period,
    /// Input paths as the user gave them.
    pub inputs: &'a [String],
    /// How this run relates to the previous one (incremental runs), when a state was kept.
    pub changes: Option<&'a Changes>,
    /// Whether reports may be written on more than one thread (not with `--threads 1`).
    pub parallel: bool,
}

/// One line on what an incremental run reused: documents (and files) reused, added,
/// changed and removed since the previous run.
pub fn changes_line(c: &Changes) -> String {
    let (d, f) = (&c.documents, &c.files);
    format!(
        "documents {} reused, {} added, {} changed, {} removed since the previous run (files {} reused, {} added, {} changed, {} removed)",
        d.reused, d.added, d.changed, d.removed, f.reused, f.added, f.changed, f.removed
    )
}

pub(crate) fn write_file(path: &Path, content: &[u8]) -> Result<(), ReportError> {
    // Write then rename, so a reader never sees a half-written report.
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, content)
        .and_then(|_| std::fs::rename(&tmp, path))
        .map_err(|source| ReportError::Write {
            path: path.to_path_buf(),
            cause: source,
        })
}

/// Like `write_file`, for content produced by `fill` into a buffered file.
fn write_streamed<F>(path: &Path, fill: F) -> Result<(), ReportError>
where
    F: FnOnce(&mut std::io::BufWriter<std::fs::File>) -> std::io::Result<()>,
{
    let tmp = path.with_extension("tmp");
    std::fs::File::create(&tmp)
        .and_then(|f| {
            let mut w = std::io::BufWriter::with_capacity(1 << 16, f);
            fill(&mut w)?;
            std::io::Write::flush(&mut w)
        })
        .and_then(|_| std::fs::rename(&tmp, path))
        .map_err(|source| ReportError::Write {
            path: path.to_path_buf(),
            cause: source,
        })
}

/// Writes every report file into `out` and returns their paths.
pub fn write_all(
    cx: &ReportContext,
    agg: &Aggregate,
    out: &Path,
) -> Result<Vec<PathBuf>, ReportError> {
    write_selected(cx, agg, out, &Format::ALL)
}

/// Writes the files of the chosen formats into `out` and returns their paths.
pub fn write_selected(
    cx: &ReportContext,
    agg: &Aggregate,
    out: &Path,
    formats: &[Format],
) -> Result<Vec<PathBuf>, ReportError> {
    std::fs::create_dir_all(out).map_err(|source| ReportError::CreateDir {
        path: out.to_path_buf(),
        cause: source,
    })?;
    let docs_path = out.join("documents.csv");
    // One row per document, streamed to disk from the run's sorted temporary files: the
    // largest file and the longest write. With more than one thread it is written while the
    // other reports are rendered, which would otherwise wait for it in the run's serial tail.
    let write_docs = || write_streamed(&docs_path, |w| csv_out::write_documents(cx, agg, w));
    let on = |f: Format| formats.contains(&f);
    let (files, docs) = if on(Format::Csv) && cx.parallel {
        std::thread::scope(|s| {
            let docs = s.spawn(write_docs);
            let files = render(cx, agg, &on);
            let docs = docs.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
            (files, Some(docs))
        })
    } else {
        let files = render(cx, agg, &on);
        (files, on(Format::Csv).then(write_docs))
    };
    let mut written = Vec::new();
    let mut docs = docs;
    for (name, content) in files {
        let path = out.join(name);
        match content {
            Some(content) => write_file(&path, &content)?,
            None => docs.take().unwrap_or(Ok(()))?,
        }
        written.push(path);
    }
    Ok(written)
}

/// Every selected report but `documents.csv` rendered, in the order they are listed to the
/// user; `documents.csv` holds its place with `None`.
fn render(
    cx: &ReportContext,
    agg: &Aggregate,
    on: &dyn Fn(Format) -> bool,
) -> Vec<(&'static str, Option<Vec<u8>>)> {
    let view = trends::View::new(cx.pipeline, agg, cx.period);
    let an = analytics::Analytics::new(cx.pipeline, agg, &view);
    let mut files = Vec::new();
    if on(Format::Md) {
        files.push((
            "report.md",
            Some(markdown::render(cx, agg, &view, &an).into_bytes()),
        ));
    }
    if on(Format::Html) {
        files.push((
            "report.html",
            Some(html::render(cx, agg, &view, &an).into_bytes()),
        ));
    }
    if on(Format::Csv) {
        files.push(("trends.csv", Some(csv_out::trends(cx, &view))));
        files.push(("documents.csv", None));
        files.push(("periods.csv", Some(csv_out::periods(&view))));
    }
    if on(Format::Json) {
        files.push(("summary.json", Some(summary::render(cx, agg).into_bytes())));
        files.push((
            "trends.json",
            Some(json_out::render(cx, agg, &view, &an).into_bytes()),
        ));
    }
    files
}

/// One input that needs a look: where (file, record, or document) and what happened.
pub(crate) struct Problem {
    pub place: String,
    pub what: String,
}

/// Every list of inputs that need a look, titled, in report order (empty lists included):
/// the Markdown and HTML reports format the same lists.
pub(crate) fn input_problems(agg: &Aggregate) -> [(&'static str, Vec<Problem>); 6] {
    let acc = &agg.accounting;
    let rej = |r: &crate::ingest::Rejected| Problem {
        place: match r.record {
            Some(n) => format!("{} (record {n})", r.path),
            None => r.path.clone(),
        },
        what: r.reason.clone(),
    };
    let doc = |d: &crate::aggregate::DocRef, what: String| Problem {
        place: format!("{} ({})", d.doc, d.path),
        what,
    };
    [
        ("Failed files", acc.files_failed.iter().map(rej).collect()),
        (
            "Rejected records",
            acc.records_rejected.iter().map(rej).collect(),
        ),
        ("Skipped files", acc.files_skipped.iter().map(rej).collect()),
        (
            "Undated articles",
            agg.undated
                .iter()
                .map(|d| doc(d, "no date in metadata, file name or text".into()))
                .collect(),
        ),
        (
            "Duplicates",
            acc.duplicates
                .iter()
                .map(|d| {
                    doc(
                        d,
                        format!("repeats {}", d.same_as.as_deref().unwrap_or("?")),
                    )
                })
                .collect(),
        ),
        (
            "Warnings",
            acc.warnings
                .iter()
                .map(|w| Problem {
                    place: w.path.clone(),
                    what: w.message.clone(),
                })
                .collect(),
        ),
    ]
}
