//! The commands that let newstrack run inside a distributed engine: `map` (JSON Lines
//! records on stdin → partials on stdout), `merge` (partials → the report `run` writes, or
//! one merged partial) and `export` (tables for SQL engines). Resolves their arguments,
//! streams stdin/stdout/files and prints problems; the work is in `partial` and `export`.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;

use super::{check_inputs, print_run_summary, AppError, Outcome};
use crate::cli::{ExportArgs, ExportFormat, MapArgs, MergeArgs};
use crate::config;
use crate::export::{self, ExportError, ExportOptions, TableWriter};
use crate::ingest::Rejected;
use crate::partial::map::{MapError, MapOptions};
use crate::partial::{self, Expect, Merger, PartialError, PipelineId};
use crate::report::{self, ReportContext};

#[derive(Debug, thiserror::Error)]
pub enum ScaleError {
    #[error(transparent)]
    Map(#[from] MapError),
    #[error(transparent)]
    Partial(#[from] PartialError),
    #[error("cannot read partials from {what}: {cause}")]
    ReadPartials {
        what: String,
        /// Shown in the message, so not chained as a source (it would print twice).
        cause: std::io::Error,
    },
    #[error("no partials to merge in {0}: give merge the output of `newstrack map`")]
    NoPartials(String),
    #[error(transparent)]
    Export(#[from] ExportError),
    #[error("this newstrack was built without Parquet support: rebuild it with `cargo build --features parquet`, or export --format jsonl")]
    NoParquet,
}

impl ScaleError {
    /// 2 when the input was refused and nothing was written, 1 for failures while working.
    pub fn exit_code(&self) -> u8 {
        match self {
            ScaleError::Partial(_)
            | ScaleError::Map(MapError::Partial(_))
            | ScaleError::NoPartials(_)
            | ScaleError::NoParquet => 2,
            _ => 1,
        }
    }
}

fn report_rejected(r: &Rejected) {
    match r.record {
        Some(n) => eprintln!("newstrack: rejected: {} (record {n}): {}", r.path, r.reason),
        None => eprintln!("newstrack: rejected: {}: {}", r.path, r.reason),
    }
}

pub fn map(a: MapArgs) -> Result<Outcome, AppError> {
    let pipeline = config::load(&a.pipeline.pipeline)?;
    let opts = MapOptions {
        source: a.source,
        numbered: a.numbered,
        per_document: a.per_document,
        threads: a.threads.map(usize::from),
    };
    let stdin = std::io::stdin().lock();
    let stdout = std::io::BufWriter::new(std::io::stdout().lock());
    let stats = partial::map::map(&pipeline, &opts, stdin, stdout, report_rejected)
        .map_err(ScaleError::from)?;
    if !a.quiet {
        eprintln!(
            "newstrack: map: {}: {} records: {} documents, {} duplicates, {} rejected",
            opts.source, stats.records, stats.documents, stats.duplicates, stats.rejected
        );
    }
    Ok(Outcome::Ok)
}

/// Feeds every partial (one per non-blank line) of `input` to the merger.
fn merge_from(
    merger: &mut Merger,
    want: &Expect,
    input: impl BufRead,
    name: &str,
) -> Result<(), ScaleError> {
    for (i, line) in input.lines().enumerate() {
        let line = line.map_err(|source| ScaleError::ReadPartials {
            what: name.to_string(),
            cause: source,
        })?;
        if line.trim().is_empty() {
            continue;
        }
        let origin = format!("{name} line {}", i + 1);
        merger.add_partial(partial::parse(&line, &origin, want)?)?;
    }
    Ok(())
}

/// A file, or the files of a folder as Spark's `saveAsTextFile` writes them (`part-*`),
/// leaving out hidden and `_`-prefixed markers such as `_SUCCESS` and `.crc` files.
fn partial_files(path: &std::path::Path) -> Result<Vec<PathBuf>, ScaleError> {
    if !path.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let err = |source| ScaleError::ReadPartials {
        what: path.display().to_string(),
        cause: source,
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(path).map_err(err)? {
        let entry = entry.map_err(err)?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.starts_with(['.', '_']) && entry.path().is_file() {
            files.push(entry.path());
        }
    }
    files.sort();
    Ok(files)
}

pub fn merge(a: MergeArgs) -> Result<Outcome, AppError> {
    let pipeline = config::load(&a.pipeline.pipeline)?;
    let id = PipelineId {
        name: pipeline.name.clone(),
        hash: pipeline.hash.clone(),
    };
    let path = pipeline.path.display().to_string();
    let want = Expect {
        pipeline: &id,
        path: &path,
    };
    let files = if a.files.is_empty() {
        vec![PathBuf::from("-")]
    } else {
        a.files
    };
    let named: Vec<PathBuf> = files
        .iter()
        .filter(|f| f.as_os_str() != "-")
        .cloned()
        .collect();
    check_inputs(&named)?;
    let mut merger = Merger::new(id.clone());
    for f in &files {
        if f.as_os_str() == "-" {
            merge_from(&mut merger, &want, std::io::stdin().lock(), "stdin")?;
            continue;
        }
        for path in partial_files(f)? {
            let name = path.display().to_string();
            let file = std::fs::File::open(&path).map_err(|source| ScaleError::ReadPartials {
                what: name.clone(),
                cause: source,
            })?;
            merge_from(&mut merger, &want, BufReader::new(file), &name)?;
        }
    }
    if merger.partials() == 0 {
        let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
        return Err(ScaleError::NoPartials(names.join(", ")).into());
    }
    if a.partial {
        let p = merger.into_partial();
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        serde_json::to_writer(&mut out, &p)
            .map_err(std::io::Error::other)
            .and_then(|_| out.write_all(b"\n"))
            .and_then(|_| out.flush())
            .map_err(AppError::Stdout)?;
        return Ok(Outcome::Ok);
    }
    let inputs = merger.source_names();
    let agg = merger.into_aggregate(pipeline.evidence_per_entity);
    let out = a
        .out
        .unwrap_or_else(|| PathBuf::from("reports").join(&pipeline.name));
    let cx = ReportContext {
        pipeline: &pipeline,
        period: a.period.unwrap_or(pipeline.period),
        inputs: &inputs,
        changes: None,
        parallel: true,
    };
    let written = report::write_all(&cx, &agg, &out)?;
    if !a.quiet {
        print_run_summary(&agg, &out, &written);
    }
    let acc = &agg.accounting;
    let failed = !acc.files_failed.is_empty() || !acc.records_rejected.is_empty();
    Ok(if a.strict && failed {
        Outcome::InputsFailed
    } else {
        Outcome::Ok
    })
}

pub fn export(a: ExportArgs) -> Result<Outcome, AppError> {
    let pipeline = config::load(&a.pipeline.pipeline)?;
    check_inputs(&a.paths)?;
    let out = a
        .out
        .unwrap_or_else(|| PathBuf::from("exports").join(&pipeline.name));
    let mut sink: Box<dyn TableWriter> = match a.format {
        ExportFormat::Jsonl => {
            Box::new(export::jsonl::JsonlWriter::create(&out).map_err(ScaleError::from)?)
        }
        #[cfg(feature = "parquet")]
        ExportFormat::Parquet => Box::new(
            export::parquet::ParquetWriter::create(&out, a.text).map_err(ScaleError::from)?,
        ),
        #[cfg(not(feature = "parquet"))]
        ExportFormat::Parquet => return Err(ScaleError::NoParquet.into()),
    };
    let opts = ExportOptions {
        text: a.text,
        threads: a.threads.map(usize::from),
    };
    let stats =
        export::export(&pipeline, &a.paths, &opts, sink.as_mut()).map_err(ScaleError::from)?;
    let written = sink.finish().map_err(ScaleError::from)?;
    if !a.quiet {
        for s in &stats.skipped {
            eprintln!("newstrack: skipped: {}: {}", s.path, s.reason);
        }
    }
    for r in &stats.problems {
        report_rejected(r);
    }
    if !a.quiet {
        let names: Vec<String> = written
            .iter()
            .filter_map(|p| p.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .collect();
        eprintln!(
            "newstrack: export: {} files read, {} skipped: {} documents ({} duplicates), {} mentions, {} problems; written to {}/ ({})",
            stats.files,
            stats.skipped.len(),
            stats.documents,
            stats.duplicates,
            stats.mentions,
            stats.problems.len(),
            out.display(),
            names.join(", ")
        );
    }
    let _ = std::io::stdout().flush();
    Ok(Outcome::Ok)
}
