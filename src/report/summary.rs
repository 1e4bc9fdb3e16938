//! `summary.json`: the run's accounting for machines: counts of files seen, read, skipped
//! and failed, records, articles, duplicates, undated documents and warnings, each problem
//! with its path and reason.

use serde::Serialize;

use crate::aggregate::{Aggregate, DocRef, Warning};
use crate::ingest::Rejected;
use crate::state::Changes;

use super::ReportContext;

#[derive(Serialize)]
struct Summary<'a> {
    newstrack: &'static str,
    pipeline: PipelineInfo<'a>,
    period: &'static str,
    inputs: &'a [String],
    date_range: Option<[String; 2]>,
    files: Files,
    records: Records,
    articles: Articles,
    accounting_balanced: bool,
    failed: &'a [Rejected],
    skipped: &'a [Rejected],
    rejected: &'a [Rejected],
    duplicates: &'a [DocRef],
    undated: &'a [DocRef],
    warnings: &'a [Warning],
    /// Incremental runs: documents and files reused, added, changed and removed.
    #[serde(skip_serializing_if = "Option::is_none")]
    incremental: Option<&'a Changes>,
}

#[derive(Serialize)]
struct PipelineInfo<'a> {
    name: &'a str,
    path: String,
    hash: &'a str,
}

#[derive(Serialize)]
struct Files {
    seen: u64,
    read: u64,
    skipped: u64,
    failed: u64,
}

#[derive(Serialize)]
struct Records {
    read: u64,
    rejected: u64,
}

#[derive(Serialize)]
struct Articles {
    counted: u64,
    duplicates: u64,
    undated: u64,
    with_mentions: u64,
}

pub fn render(cx: &ReportContext, agg: &Aggregate) -> String {
    let acc = &agg.accounting;
    let files = Files {
        seen: acc.files_seen,
        read: acc.files_read,
        skipped: acc.files_skipped.len() as u64,
        failed: acc.files_failed.len() as u64,
    };
    let records = Records {
        read: acc.records_read,
        rejected: acc.records_rejected.len() as u64,
    };
    let articles = Articles {
        counted: acc.articles,
        duplicates: acc.duplicates.len() as u64,
        undated: agg.undated.len() as u64,
        with_mentions: agg.docs_with_mentions,
    };
    let balanced = acc.files_balanced() && acc.records_balanced();
    let s = Summary {
        newstrack: env!("CARGO_PKG_VERSION"),
        pipeline: PipelineInfo {
            name: &cx.pipeline.name,
            path: cx.pipeline.path.display().to_string(),
            hash: &cx.pipeline.hash,
        },
        period: cx.period.as_str(),
        inputs: cx.inputs,
        date_range: agg
            .first_day()
            .zip(agg.last_day())
            .map(|(a, b)| [a.to_string(), b.to_string()]),
        files,
        records,
        articles,
        accounting_balanced: balanced,
        failed: &acc.files_failed,
        skipped: &acc.files_skipped,
        rejected: &acc.records_rejected,
        duplicates: &acc.duplicates,
        undated: &agg.undated,
        warnings: &acc.warnings,
        incremental: cx.changes,
    };
    let mut out =
        serde_json::to_string_pretty(&s).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    out.push('\n');
    out
}
