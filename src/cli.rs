//! Command-line types (clap derive) only: no file I/O and no defaults that need the disk.
//! `app` resolves these raw arguments into what the library runs.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::config::Period;
use crate::report::Format;

pub const DEFAULT_PIPELINE: &str = "pipelines/rare-earths.toml";
pub const DEFAULT_CORPUS: &str = "corpus";

#[derive(Debug, Parser)]
#[command(name = "newstrack", version, about = "Trend reports of how news coverage mentions topics and actors over time", long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Tag every article under PATH... and write the trend report.
    Run(RunArgs),
    /// Print the mentions found in each article, with byte offsets and sentences.
    Tag(TagArgs),
    /// Validate a pipeline and its lexicon; prints every error at once.
    Check(CheckArgs),
    /// Map stage: JSON Lines article records on stdin → partial aggregates on stdout.
    Map(MapArgs),
    /// Merge stage: partial aggregates (stdin or files) → the report `run` writes.
    Merge(MergeArgs),
    /// Per-mention and per-document tables (JSON Lines or Parquet) for SQL engines.
    Export(ExportArgs),
}

#[derive(Debug, Args)]
pub struct PipelineArg {
    /// Pipeline file (TOML with the lexicon).
    #[arg(long, short = 'p', value_name = "FILE", default_value = DEFAULT_PIPELINE)]
    pub pipeline: PathBuf,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub pipeline: PipelineArg,
    /// Output folder [default: reports/<pipeline name>/].
    #[arg(long, short = 'o', value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Reporting period [default: the pipeline's, else week].
    #[arg(long, value_enum)]
    pub period: Option<Period>,
    /// Worker threads [default: all cores].
    #[arg(long, short = 'j', value_name = "N", value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub threads: Option<u16>,
    /// No progress bar and no summary on stderr.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Exit with status 1 when any file failed or any record was rejected.
    #[arg(long)]
    pub strict: bool,
    /// State database for incremental runs [default: <out>/newstrack.db].
    #[arg(long, value_name = "FILE", conflicts_with = "no_state")]
    pub state: Option<PathBuf>,
    /// Read every file again, ignoring stored results (the state is rebuilt).
    #[arg(long)]
    pub full: bool,
    /// Keep no state: read every file and write no database.
    #[arg(long)]
    pub no_state: bool,
    /// Whether the state keeps its analyst tables (documents, mentions, sentences) for SQL
    /// queries. `off` keeps only what re-runs need: a state less than half the size and a
    /// faster first run (`newstrack export` writes such tables on demand). Turning them on
    /// again reads every file once more [default: as the state has it; on for a new one].
    #[arg(long, value_enum, value_name = "on|off", conflicts_with = "no_state")]
    pub analyst_tables: Option<Switch>,
    #[command(flatten)]
    pub limits: LimitArgs,
    /// Outputs, comma-separated: md (report.md), html (report.html), csv (trends.csv,
    /// documents.csv, periods.csv), json (summary.json, trends.json).
    #[arg(long, short = 'f', value_enum, value_delimiter = ',', default_values = ["md", "html", "csv", "json"])]
    pub format: Vec<Format>,
    /// Files or folders (walked recursively) [default: corpus/].
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct LimitArgs {
    /// Largest document read, in bytes; larger files (JSONL: lines) are reported, not read
    /// [default: the pipeline's max_doc_bytes, else 20000000].
    #[arg(long, value_name = "BYTES", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_doc_bytes: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Switch {
    On,
    Off,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TagFormat {
    Text,
    Jsonl,
}

#[derive(Debug, Args)]
pub struct TagArgs {
    #[command(flatten)]
    pub pipeline: PipelineArg,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value = "text")]
    pub format: TagFormat,
    /// Worker threads [default: all cores].
    #[arg(long, short = 'j', value_name = "N", value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub threads: Option<u16>,
    #[command(flatten)]
    pub limits: LimitArgs,
    /// Files or folders (walked recursively).
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub pipeline: PipelineArg,
}

#[derive(Debug, Args)]
pub struct MapArgs {
    #[command(flatten)]
    pub pipeline: PipelineArg,
    /// Name the records are reported under: the path `run` would show for the file.
    #[arg(long, short = 's', value_name = "NAME", default_value = "stdin")]
    pub source: String,
    /// Each input line is `LINE<TAB>RECORD`, LINE being the record's line number in the
    /// source (for inputs split into partitions).
    #[arg(long)]
    pub numbered: bool,
    /// Write one partial per record instead of one for the whole input.
    #[arg(long)]
    pub per_document: bool,
    /// Worker threads [default: all cores].
    #[arg(long, short = 'j', value_name = "N", value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub threads: Option<u16>,
    /// No summary line on stderr (rejected records are still reported).
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    #[command(flatten)]
    pub pipeline: PipelineArg,
    /// Output folder [default: reports/<pipeline name>/].
    #[arg(long, short = 'o', value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Reporting period [default: the pipeline's, else week].
    #[arg(long, value_enum)]
    pub period: Option<Period>,
    /// Write the merged partial to stdout instead of the report (for staged merges).
    #[arg(long, conflicts_with_all = ["out", "period", "strict"])]
    pub partial: bool,
    /// No summary on stderr.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Exit with status 1 when any record was rejected.
    #[arg(long)]
    pub strict: bool,
    /// Files of partials, one per line, or folders of such files (Spark's part-*; `-` for
    /// stdin) [default: stdin].
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    Jsonl,
    Parquet,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub pipeline: PipelineArg,
    /// Table format.
    #[arg(long, short = 'f', value_enum, default_value = "jsonl")]
    pub format: ExportFormat,
    /// Output folder for documents.* and mentions.* [default: exports/<pipeline name>/].
    #[arg(long, short = 'o', value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Add each article's text to the documents table (documents.jsonl is then itself a
    /// corpus `run` and `map` read).
    #[arg(long)]
    pub text: bool,
    /// Worker threads [default: all cores].
    #[arg(long, short = 'j', value_name = "N", value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub threads: Option<u16>,
    /// No summary on stderr.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Files or folders (walked recursively).
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<PathBuf>,
}
