//! Ingest: turns files on disk into `Article`s (text, title, date with provenance, metadata).
//!
//! Owns walking input paths, format detection by extension, per-format parsing, date
//! resolution and the offset-preserving cleaning of text. It never tokenises or tags, and it
//! never decides what counts: a file or record that cannot be read becomes a `Rejected` entry
//! with a reason, so the caller can account for every input.

pub mod clean;
pub mod date;
pub mod html;
pub mod json;
pub mod sgml;
pub mod text;
pub mod walk;

use std::collections::BTreeMap;
use std::path::Path;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Where an article's date came from, in order of trust.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DateSource {
    /// A date field of the record itself (front matter, JSON field, HTML meta, SGML DATE).
    Metadata,
    /// A `YYYY-MM-DD` in the file name.
    Filename,
    /// A date written in the dateline or the first lines of the text.
    Text,
    /// No date could be found: the article is counted and listed as undated.
    None,
}

impl DateSource {
    pub fn as_str(self) -> &'static str {
        match self {
            DateSource::Metadata => "metadata",
            DateSource::Filename => "filename",
            DateSource::Text => "text",
            DateSource::None => "none",
        }
    }
}

/// One article, as read. `text` is the original article text: every offset reported later
/// (mentions, sentences, evidence) is a byte offset into it. For `.txt`/`.md` files it is the
/// file's bytes (invalid UTF-8 bytes replaced one-for-one so offsets stay file offsets).
#[derive(Debug, Clone, PartialEq)]
pub struct Article {
    /// Stable identifier: the record's own id where it has one, else derived from path and
    /// record position.
    pub id: String,
    /// The file the article came from, as the user named it (root + relative path).
    pub path: String,
    /// 1-based line (JSONL, SGML) or 0-based index (JSON array) of the record, when the file
    /// holds several.
    pub record: Option<u64>,
    pub title: String,
    pub date: Option<NaiveDate>,
    pub date_source: DateSource,
    pub source: Option<String>,
    pub url: Option<String>,
    /// The original article text; offsets refer to it.
    pub text: String,
    /// The text the analyzer sees: same length as `text`, with entities, control characters,
    /// front matter and boilerplate lines replaced by spaces so offsets do not shift.
    pub clean_text: String,
    /// Labels and other metadata kept from the record (e.g. Reuters PLACES, TOPICS).
    pub meta: BTreeMap<String, Vec<String>>,
    /// Non-fatal problems met while reading this article (e.g. invalid UTF-8 decoded lossily).
    pub warnings: Vec<String>,
}

/// A record or file that could not become an article, with where and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejected {
    pub path: String,
    /// Line (JSONL, SGML record start) or index (JSON array) when known.
    pub record: Option<u64>,
    pub reason: String,
}

/// Everything one input file produced.
#[derive(Debug, Default)]
pub struct FileOutcome {
    pub path: String,
    pub articles: Vec<Article>,
    pub rejected: Vec<Rejected>,
    /// Set when the file as a whole could not be read or parsed; `articles` is then empty.
    pub failed: Option<String>,
    /// File-level warnings (lossy decoding, truncated input...).
    pub warnings: Vec<String>,
}

/// The input formats newstrack reads, chosen by file extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Markdown,
    Json,
    JsonLines,
    Html,
    Sgml,
}

impl Format {
    pub fn from_path(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        Some(match ext.as_str() {
            "txt" | "text" => Format::Text,
            "md" | "markdown" => Format::Markdown,
            "json" => Format::Json,
            "jsonl" | "ndjson" => Format::JsonLines,
            "html" | "htm" => Format::Html,
            "sgm" | "sgml" => Format::Sgml,
            _ => return None,
        })
    }
}

/// Reads and parses one file. Never panics on bad input: problems become `failed`,
/// `rejected` or `warnings` entries in the outcome.
pub fn read_file(path: &Path, display: &str, boilerplate: &[String]) -> FileOutcome {
    let mut outcome = FileOutcome {
        path: display.to_string(),
        ..Default::default()
    };
    let Some(format) = Format::from_path(path) else {
        outcome.failed = Some("unsupported file extension".into());
        return outcome;
    };
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            outcome.failed = Some(format!("cannot read file: {e}"));
            return outcome;
        }
    };
    parse_bytes(format, &bytes, path, display, boilerplate, &mut outcome);
    outcome
}

/// Parses the bytes of one file of a known format into `outcome`.
pub fn parse_bytes(
    format: Format,
    bytes: &[u8],
    path: &Path,
    display: &str,
    boilerplate: &[String],
    outcome: &mut FileOutcome,
) {
    let file_date = date::date_from_filename(path);
    match format {
        Format::Text | Format::Markdown => {
            text::parse(bytes, display, file_date, boilerplate, outcome)
        }
        Format::Json => json::parse_json(bytes, display, file_date, boilerplate, outcome),
        Format::JsonLines => json::parse_jsonl(bytes, display, file_date, boilerplate, outcome),
        Format::Html => html::parse(bytes, display, file_date, boilerplate, outcome),
        Format::Sgml => sgml::parse(bytes, display, file_date, boilerplate, outcome),
    }
}
