//! The commands behind the CLI: resolve raw arguments into a validated pipeline and inputs,
//! run the library, print results. Returns typed errors; the binary prints them once and
//! maps them to exit codes.

use std::io::Write;
use std::path::PathBuf;

use serde::Serialize;

use crate::aggregate::Aggregate;
use crate::analyze::Analysis;
use crate::cli::{CheckArgs, Cli, Command, RunArgs, Switch, TagArgs, TagFormat};
use crate::config::{self, ConfigErrors, EntityKind, Pipeline};
use crate::ingest::{walk, Article};
use crate::pipeline::{self, PipelineError, RunOptions};
use crate::report::{self, ReportContext, ReportError};
use crate::state;
use crate::tag::Mention;

pub mod scale;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    // Transparent: the errors are the whole message (a `{0}` message would print them twice,
    // once as the error and once as its source).
    #[error(transparent)]
    Config(#[from] ConfigErrors),
    #[error("input path {0} does not exist; pass existing files or folders")]
    MissingInput(PathBuf),
    #[error(transparent)]
    Pipeline(#[from] PipelineError),
    #[error(transparent)]
    Report(#[from] ReportError),
    #[error(transparent)]
    State(#[from] crate::state::StateError),
    #[error("cannot write to standard output: {0}")]
    Stdout(std::io::Error),
    #[error(transparent)]
    Scale(#[from] scale::ScaleError),
}

impl AppError {
    /// 2 for bad arguments or pipeline (nothing was done), 1 for failures while working.
    pub fn exit_code(&self) -> u8 {
        match self {
            AppError::Config(_) | AppError::MissingInput(_) => 2,
            AppError::Scale(e) => e.exit_code(),
            _ => 1,
        }
    }
}

/// What a successful command wants the process to exit with.
pub enum Outcome {
    Ok,
    /// `--strict` and some inputs failed.
    InputsFailed,
}

pub fn execute(cli: Cli) -> Result<Outcome, AppError> {
    match cli.command {
        Command::Run(a) => run(a),
        Command::Tag(a) => tag(a),
        Command::Check(a) => check(a),
        Command::Map(a) => scale::map(a),
        Command::Merge(a) => scale::merge(a),
        Command::Export(a) => scale::export(a),
    }
}

fn check_inputs(paths: &[PathBuf]) -> Result<(), AppError> {
    match paths.iter().find(|p| std::fs::symlink_metadata(p).is_err()) {
        Some(p) => Err(AppError::MissingInput(p.clone())),
        None => Ok(()),
    }
}

fn run(a: RunArgs) -> Result<Outcome, AppError> {
    let mut pipeline = config::load(&a.pipeline.pipeline)?;
    if let Some(n) = a.limits.max_doc_bytes {
        pipeline.max_doc_bytes = n;
    }
    let paths = if a.paths.is_empty() {
        vec![PathBuf::from(crate::cli::DEFAULT_CORPUS)]
    } else {
        a.paths
    };
    check_inputs(&paths)?;
    let out = a
        .out
        .unwrap_or_else(|| PathBuf::from("reports").join(&pipeline.name));
    let period = a.period.unwrap_or(pipeline.period);
    let progress = !a.quiet && std::io::IsTerminal::is_terminal(&std::io::stderr());
    let opts = RunOptions {
        threads: a.threads.map(usize::from),
        progress,
        spill_dir: Some(out.clone()),
    };
    // Kept open while the reports are written: it completes its indexes meanwhile.
    let mut state = None;
    let (mut agg, changes) = if a.no_state {
        (pipeline::run(&pipeline, &paths, &opts)?, None)
    } else {
        let state_path = a.state.unwrap_or_else(|| out.join("newstrack.db"));
        let tables = a.analyst_tables.map(|s| s == Switch::On);
        // Walking the inputs and opening the state (its integrity check, reading what it
        // knows of its files) need nothing of each other, and each is a tenth or more of a
        // re-run over a folder of 100,000 files: done side by side.
        let (walked, st) = std::thread::scope(|s| {
            let walk = s.spawn(|| walk::collect_filtered(&paths, &pipeline.inputs));
            let st =
                state::State::open_with(&state_path, &pipeline, a.full, tables).map(|mut st| {
                    st.preload();
                    st
                });
            (walk.join(), st)
        });
        let walked = walked.unwrap_or_else(|p| std::panic::resume_unwind(p));
        let mut st = st?;
        let mut cache = state::Cache::new(&mut st);
        let agg = pipeline::run_walked(&pipeline, &paths, walked, &opts, Some(&mut cache))?;
        let changes = st.finish(&agg);
        state = Some(st);
        (agg, Some(changes))
    };
    let inputs: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    let cx = ReportContext {
        pipeline: &pipeline,
        period,
        inputs: &inputs,
        changes: changes.as_ref(),
        parallel: a.threads != Some(1),
    };
    let written = report::write_selected(&cx, &agg, &out, &a.format)?;
    let late = state.map(state::State::close).unwrap_or_default();
    if !a.quiet {
        print_run_summary(&agg, &out, &written);
        if let Some(c) = &changes {
            print_changes(c);
        }
    }
    // Problems met after the reports were written are in no report: printed even with
    // --quiet, so they are not lost.
    for p in &late {
        eprintln!("newstrack: state: {p}");
    }
    // The name table holds one small allocation per distinct name (hundreds of thousands
    // for a large corpus); freeing them one by one took longer than writing a report, in
    // the serial tail of the run, and the process ends right after this command. Everything
    // else, the temporary spill folder included, is dropped as usual.
    std::mem::forget(std::mem::take(&mut agg.names));
    let acc = &agg.accounting;
    let failed = !acc.files_failed.is_empty() || !acc.records_rejected.is_empty();
    Ok(if a.strict && failed {
        Outcome::InputsFailed
    } else {
        Outcome::Ok
    })
}

fn print_run_summary(agg: &Aggregate, out: &std::path::Path, written: &[PathBuf]) {
    let acc = &agg.accounting;
    for f in &acc.files_failed {
        eprintln!("newstrack: failed: {}: {}", f.path, f.reason);
    }
    for r in &acc.records_rejected {
        match r.record {
            Some(n) => eprintln!("newstrack: rejected: {} (record {n}): {}", r.path, r.reason),
            None => eprintln!("newstrack: rejected: {}: {}", r.path, r.reason),
        }
    }
    // Warnings can run to thousands on a large archive: the first few here, all in the report.
    const WARNINGS_SHOWN: usize = 20;
    for w in acc.warnings.iter().take(WARNINGS_SHOWN) {
        match w.record {
            Some(n) => eprintln!("newstrack: warning: {} (record {n}): {}", w.path, w.message),
            None => eprintln!("newstrack: warning: {}: {}", w.path, w.message),
        }
    }
    if acc.warnings.len() > WARNINGS_SHOWN {
        eprintln!(
            "newstrack: ... and {} more warnings, listed in summary.json",
            acc.warnings.len() - WARNINGS_SHOWN
        );
    }
    eprintln!(
        "newstrack: {} files seen: {} read, {} skipped, {} failed; {} records: {} articles counted, {} duplicates, {} rejected; {} undated; {} warnings",
        acc.files_seen,
        acc.files_read,
        acc.files_skipped.len(),
        acc.files_failed.len(),
        acc.records_read,
        acc.articles,
        acc.duplicates.len(),
        acc.records_rejected.len(),
        agg.undated.len(),
        acc.warnings.len()
    );
    let names: Vec<String> = written
        .iter()
        .filter_map(|p| p.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .collect();
    eprintln!(
        "newstrack: report written to {}/ ({})",
        out.display(),
        names.join(", ")
    );
}

fn print_changes(c: &state::Changes) {
    if let Some(why) = &c.reset {
        eprintln!("newstrack: state: {why}");
    }
    for p in &c.problems {
        eprintln!("newstrack: state: {p}");
    }
    eprintln!("newstrack: state {}: {}", c.state, report::changes_line(c));
}

#[derive(Serialize)]
struct MentionLine<'a> {
    doc: &'a str,
    path: &'a str,
    entity: &'a str,
    kind: &'a str,
    label: &'a str,
    start: u32,
    end: u32,
    text: &'a str,
    sentence: u32,
    date: Option<String>,
}

fn render_jsonl(p: &Pipeline, article: &Article, mentions: &[Mention]) -> String {
    let mut out = String::new();
    let date = article.date.map(|d| d.to_string());
    for m in mentions {
        let e = &p.entities[m.entity as usize];
        let line = MentionLine {
            doc: &article.id,
            path: &article.path,
            entity: &e.id,
            kind: e.kind.as_str(),
            label: &e.label,
            start: m.start,
            end: m.end,
            text: article
                .text
                .get(m.start as usize..m.end as usize)
                .unwrap_or(""),
            sentence: m.sentence,
            date: date.clone(),
        };
        if let Ok(s) = serde_json::to_string(&line) {
            out.push_str(&s);
            out.push('\n');
        }
    }
    out
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn render_text(
    p: &Pipeline,
    article: &Article,
    analysis: &Analysis,
    mentions: &[Mention],
) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let date = article.date.map_or("undated".to_string(), |d| {
        format!("{d} ({})", article.date_source.as_str())
    });
    let _ = writeln!(
        out,
        "== {} — {} — {}",
        article.id,
        date,
        one_line(&article.title)
    );
    if article.path != article.id {
        let _ = writeln!(out, "   file: {}", article.path);
    }
    if mentions.is_empty() {
        let _ = writeln!(out, "   (no mentions)");
    }
    for m in mentions {
        let e = &p.entities[m.entity as usize];
        let text = article
            .text
            .get(m.start as usize..m.end as usize)
            .unwrap_or("");
        let kind = if e.kind == EntityKind::Topic {
            "topic"
        } else {
            "actor"
        };
        let _ = writeln!(
            out,
            "   {kind} {:<24} {:>7}..{:<7} sentence {:<4} \"{}\"",
            e.id,
            m.start,
            m.end,
            m.sentence,
            one_line(text)
        );
        if let Some(s) = analysis.sentences.get(m.sentence as usize) {
            let (ss, se) = (s.start as usize, s.end as usize);
            if let (Some(before), Some(after)) = (
                article.text.get(ss..m.start as usize),
                article.text.get(m.end as usize..se),
            ) {
                let _ = writeln!(
                    out,
                    "      > {}[{}]{}",
                    one_line_keep(before, true),
                    one_line(text),
                    one_line_keep(after, false)
                );
            }
        }
    }
    out.push('\n');
    out
}

/// Collapses whitespace but keeps a separating space next to the marked mention.
fn one_line_keep(s: &str, before: bool) -> String {
    let core = one_line(s);
    let space = if before {
        s.ends_with(char::is_whitespace)
    } else {
        s.starts_with(char::is_whitespace)
    };
    match (space, before) {
        (true, true) => format!("{core} "),
        (true, false) => format!(" {core}"),
        _ => core,
    }
}

fn tag(a: TagArgs) -> Result<Outcome, AppError> {
    let mut pipeline = config::load(&a.pipeline.pipeline)?;
    if let Some(n) = a.limits.max_doc_bytes {
        pipeline.max_doc_bytes = n;
    }
    check_inputs(&a.paths)?;
    let stdout = std::io::stdout();
    let mut lock = std::io::BufWriter::new(stdout.lock());
    let mut io_err: Option<std::io::Error> = None;
    let p = &pipeline;
    let format = a.format;
    let problems = pipeline::tag_files(
        p,
        &a.paths,
        a.threads.map(usize::from),
        |article, analysis, mentions| match format {
            TagFormat::Jsonl => render_jsonl(p, article, mentions),
            TagFormat::Text => render_text(p, article, analysis, mentions),
        },
        |chunk| {
            if io_err.is_none() {
                if let Err(e) = lock.write_all(chunk.as_bytes()) {
                    io_err = Some(e);
                }
            }
        },
    )?;
    if let Some(e) = io_err {
        return Err(AppError::Stdout(e));
    }
    lock.flush().map_err(AppError::Stdout)?;
    for r in &problems {
        match r.record {
            Some(n) => eprintln!("newstrack: {} (record {n}): {}", r.path, r.reason),
            None => eprintln!("newstrack: {}: {}", r.path, r.reason),
        }
    }
    Ok(Outcome::Ok)
}

fn check(a: CheckArgs) -> Result<Outcome, AppError> {
    let p = config::load(&a.pipeline.pipeline)?;
    let topics = p
        .entities
        .iter()
        .filter(|e| e.kind == EntityKind::Topic)
        .count();
    let actors = p.entities.len() - topics;
    let terms: usize = p.entities.iter().map(|e| e.terms.len()).sum();
    println!(
        "{}: ok: pipeline {:?}, {topics} topics, {actors} actors, {terms} terms, {} events, period {}, hash {}",
        a.pipeline.pipeline.display(),
        p.name,
        p.events.len(),
        p.period.as_str(),
        p.hash
    );
    Ok(Outcome::Ok)
}
