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
pub mod readahead;
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
    /// The text the analyzer sees when it differs from `text` (see [`Article::clean_text`]);
    /// `None` exactly when it would equal `text`, so most articles hold their text once.
    pub cleaned: Option<String>,
    /// Labels and other metadata kept from the record (e.g. Reuters PLACES, TOPICS).
    pub meta: BTreeMap<String, Vec<String>>,
    /// Non-fatal problems met while reading this article (e.g. invalid UTF-8 decoded lossily).
    pub warnings: Vec<String>,
}

impl Article {
    /// The text the analyzer sees: same length as `text`, with entities, control characters,
    /// front matter and boilerplate lines replaced by spaces so offsets do not shift.
    pub fn clean_text(&self) -> &str {
        self.cleaned.as_deref().unwrap_or(&self.text)
    }
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
    /// What was read, when the file's bytes were read: the identity incremental runs check.
    pub content: Option<Content>,
}

/// The bytes a result was computed from: their length and blake3 digest (hex), and the
/// file's stamp as its open handle gave it before they were read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Content {
    pub len: u64,
    pub hash: String,
    pub stamp: Option<Stamp>,
}

/// A file's size and modification time (nanoseconds since the epoch, 0 when unknown): what
/// incremental runs compare to know a file again without reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    pub size: u64,
    pub mtime_ns: i64,
}

impl Stamp {
    pub fn of(m: &std::fs::Metadata) -> Stamp {
        let mtime_ns = m
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos() as i64);
        Stamp {
            size: m.len(),
            mtime_ns,
        }
    }
}

/// Default for [`ReadOptions::max_doc_bytes`]: 20 MB.
pub const DEFAULT_MAX_DOC_BYTES: u64 = 20_000_000;

/// How files are read (what the pipeline says besides the lexicon).
#[derive(Debug, Clone, Copy)]
pub struct ReadOptions<'a> {
    /// Lowercased boilerplate lines blanked for analysis.
    pub boilerplate: &'a [String],
    /// Largest document read: a file (or, for JSONL, a line) over it is not read into memory
    /// and is reported instead.
    pub max_doc_bytes: u64,
    /// Hash the bytes read (`FileOutcome::content`): only the incremental state needs it.
    pub content_hash: bool,
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
        // Asked several times per file (walk, plan, read): no lowercased copy of the name.
        let ext = path.extension()?.to_str()?;
        const FORMATS: &[(&str, Format)] = &[
            ("txt", Format::Text),
            ("text", Format::Text),
            ("md", Format::Markdown),
            ("markdown", Format::Markdown),
            ("json", Format::Json),
            ("jsonl", Format::JsonLines),
            ("ndjson", Format::JsonLines),
            ("html", Format::Html),
            ("htm", Format::Html),
            ("sgm", Format::Sgml),
            ("sgml", Format::Sgml),
        ];
        FORMATS
            .iter()
            .find(|(e, _)| e.eq_ignore_ascii_case(ext))
            .map(|&(_, f)| f)
    }
}

/// Reads and parses one file with the default document limit.
pub fn read_file(path: &Path, display: &str, boilerplate: &[String]) -> FileOutcome {
    read_file_with(
        path,
        display,
        &ReadOptions {
            boilerplate,
            max_doc_bytes: DEFAULT_MAX_DOC_BYTES,
            content_hash: true,
        },
    )
}

/// Reads and parses one file. Never panics on bad input: problems become `failed`,
/// `rejected` or `warnings` entries in the outcome. A file that changes while it is read is
/// parsed as read, with a warning naming it.
///
/// The file is opened first and everything else asks the open file: its stat before and
/// after the read (`fstat`, no path lookup) and its bytes (one `read` when the size holds).
/// A folder of small files made four `stat`s per file, two of them by path, and a probe
/// `read` for the end after each file's bytes.
pub fn read_file_with(path: &Path, display: &str, opts: &ReadOptions) -> FileOutcome {
    let mut outcome = FileOutcome {
        path: display.to_string(),
        ..Default::default()
    };
    let Some(format) = Format::from_path(path) else {
        outcome.failed = Some("unsupported file extension".into());
        return outcome;
    };
    let file = match open_for_reading(path) {
        Ok(f) => f,
        Err(e) => {
            outcome.failed = Some(read_error(&e));
            return outcome;
        }
    };
    let before = match file.metadata() {
        Ok(m) => m,
        Err(e) => {
            outcome.failed = Some(read_error(&e));
            return outcome;
        }
    };
    if !before.is_file() {
        outcome.failed = Some("no longer a regular file".into());
        return outcome;
    }
    if format == Format::JsonLines {
        let mut r = std::io::BufReader::with_capacity(1 << 16, &file);
        stream_jsonl(&mut r, path, display, opts, &mut outcome);
    } else if before.len() > opts.max_doc_bytes {
        outcome.failed = Some(over_limit(format, Some(before.len()), opts.max_doc_bytes));
        return outcome;
    } else {
        match read_sized(&file, before.len(), opts.max_doc_bytes) {
            Ok(bytes) if bytes.len() as u64 > opts.max_doc_bytes => {
                // Only a file whose stat gave no size is read past the limit.
                outcome.failed = Some(over_limit(format, None, opts.max_doc_bytes));
                return outcome;
            }
            Ok(bytes) => {
                outcome.content = opts.content_hash.then(|| Content {
                    len: bytes.len() as u64,
                    hash: blake3::hash(&bytes).to_hex().to_string(),
                    stamp: None,
                });
                parse_bytes(
                    format,
                    &bytes,
                    path,
                    display,
                    opts.boilerplate,
                    &mut outcome,
                );
            }
            Err(e) => outcome.failed = Some(read_error(&e)),
        }
    }
    if let Some(c) = outcome.content.as_mut() {
        c.stamp = Some(Stamp::of(&before));
    }
    if outcome.failed.is_none() {
        if let Ok(after) = file.metadata() {
            if after.len() != before.len() || after.modified().ok() != before.modified().ok() {
                outcome.warnings.push(
                    "the file changed while it was being read; this run used the bytes as read \
                     (re-run to pick up the new content)"
                        .into(),
                );
            }
        }
    }
    outcome
}

/// Why a whole file of `len` bytes (unknown when its stat gave no size) is not read.
fn over_limit(format: Format, len: Option<u64>, limit: u64) -> String {
    format!(
        "file is {}over the {} document limit; not read (raise --max-doc-bytes or the \
         pipeline's max_doc_bytes to read it{})",
        len.map_or(String::new(), |n| format!("{}, ", json::human_bytes(n))),
        json::human_bytes(limit),
        if format == Format::Json {
            ", or split it into a .jsonl file, whose limit applies per line"
        } else {
            ""
        }
    )
}

/// Opens `path` for reading without blocking on what is not a regular file: the walk lists
/// regular files, but one replaced by a named pipe since would otherwise wait for a writer
/// forever (the caller then refuses it by its stat).
fn open_for_reading(path: &Path) -> std::io::Result<std::fs::File> {
    let mut o = std::fs::OpenOptions::new();
    o.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.custom_flags(libc::O_NONBLOCK);
    }
    o.open(path)
}

/// Reads a regular file whose stat just said `size` bytes. Reads up to that size and, when
/// it is all there, stops without a further `read` to find the end: a file that grew
/// meanwhile is read as far as its stat said, and the stat after the read reports the change.
/// One that shrank is read to its end. A size of zero is read to its end, or to one byte
/// past `limit` (the caller then refuses it): some file systems (procfs, some network
/// ones) report no size for files that have content.
fn read_sized(mut file: &std::fs::File, size: u64, limit: u64) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    bytes
        .try_reserve_exact(size as usize)
        .map_err(std::io::Error::other)?;
    // `Take` answers the end itself once `size` bytes are in, so the usual probe `read`
    // past the end never reaches the file.
    let want = if size == 0 {
        limit.saturating_add(1)
    } else {
        size
    };
    (&mut file).take(want).read_to_end(&mut bytes)?;
    Ok(bytes)
}

fn read_error(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => {
            "cannot read file: it vanished after the folder was listed".into()
        }
        std::io::ErrorKind::PermissionDenied => {
            format!("cannot read file: {e}; check its permissions")
        }
        _ => format!("cannot read file: {e}"),
    }
}

/// Reads a JSONL file line by line: a line longer than the document limit is skipped without
/// being held in memory, so one huge record costs neither the run nor the other lines.
fn stream_jsonl<R: std::io::BufRead>(
    r: &mut R,
    path: &Path,
    display: &str,
    opts: &ReadOptions,
    outcome: &mut FileOutcome,
) {
    let head: Vec<u8> = loop {
        match r.fill_buf() {
            Ok(buf) => break buf[..buf.len().min(8192)].to_vec(),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                outcome.failed = Some(read_error(&e));
                return;
            }
        }
    };
    let utf16 = head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]);
    if let Some(reason) = clean::looks_binary(&head).filter(|_| !utf16) {
        outcome.failed = Some(reason.to_string());
        if !opts.content_hash {
            return;
        }
        // Hash it all the same: a stored verdict is reused only for the same bytes.
        let mut hasher = blake3::Hasher::new();
        match std::io::copy(r, &mut hasher) {
            Ok(len) => {
                outcome.content = Some(Content {
                    len,
                    hash: hasher.finalize().to_hex().to_string(),
                    stamp: None,
                })
            }
            Err(e) => outcome.failed = Some(read_error(&e)),
        }
        return;
    }
    if utf16 {
        let mut bytes = Vec::new();
        let mut limited = std::io::Read::take(&mut *r, opts.max_doc_bytes.saturating_add(1));
        if let Err(e) = std::io::Read::read_to_end(&mut limited, &mut bytes) {
            outcome.failed = Some(read_error(&e));
            return;
        }
        if bytes.len() as u64 > opts.max_doc_bytes {
            outcome.failed = Some(format!(
                "UTF-16 JSONL file over the {} document limit; not read (convert it to UTF-8, \
                 whose limit applies per line, or raise --max-doc-bytes)",
                json::human_bytes(opts.max_doc_bytes)
            ));
            return;
        }
        outcome.content = opts.content_hash.then(|| Content {
            len: bytes.len() as u64,
            hash: blake3::hash(&bytes).to_hex().to_string(),
            stamp: None,
        });
        let file_date = date::date_from_filename(path);
        json::parse_jsonl(&bytes, display, file_date, opts.boilerplate, outcome);
        return;
    }
    let file_date = date::date_from_filename(path);
    let mut hasher = opts.content_hash.then(blake3::Hasher::new);
    let mut total: u64 = 0;
    let mut lines = json::JsonLines::new(display, file_date, opts.boilerplate);
    let mut line: Vec<u8> = Vec::new();
    let mut line_len: u64 = 0;
    let mut n: u64 = 1;
    loop {
        let buf = match r.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                outcome.failed = Some(read_error(&e));
                outcome.articles.clear();
                outcome.rejected.clear();
                return;
            }
        };
        if buf.is_empty() {
            break;
        }
        let (chunk, end_of_line) = match buf.iter().position(|&b| b == b'\n') {
            Some(i) => (&buf[..i], true),
            None => (buf, false),
        };
        line_len += chunk.len() as u64;
        if line_len <= opts.max_doc_bytes {
            line.extend_from_slice(chunk);
        } else {
            line = Vec::new();
        }
        let used = chunk.len() + usize::from(end_of_line);
        if let Some(h) = hasher.as_mut() {
            h.update(&buf[..used]);
        }
        total += used as u64;
        r.consume(used);
        if end_of_line {
            finish_line(&mut lines, n, &line, line_len, opts, outcome);
            line.clear();
            line_len = 0;
            n += 1;
        }
    }
    if line_len > 0 || !line.is_empty() {
        finish_line(&mut lines, n, &line, line_len, opts, outcome);
    }
    lines.finish(outcome);
    outcome.content = hasher.map(|h| Content {
        len: total,
        hash: h.finalize().to_hex().to_string(),
        stamp: None,
    });
}

fn finish_line(
    lines: &mut json::JsonLines,
    n: u64,
    line: &[u8],
    len: u64,
    opts: &ReadOptions,
    outcome: &mut FileOutcome,
) {
    if len > opts.max_doc_bytes {
        lines.oversized(n, len, opts.max_doc_bytes, outcome);
    } else {
        lines.line(n, line, outcome);
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_by_extension_in_any_case() {
        let cases: &[(&str, Option<Format>)] = &[
            ("a.txt", Some(Format::Text)),
            ("a.TEXT", Some(Format::Text)),
            ("dir.md/a.Md", Some(Format::Markdown)),
            ("a.markdown", Some(Format::Markdown)),
            ("a.json", Some(Format::Json)),
            ("a.JSONL", Some(Format::JsonLines)),
            ("a.ndjson", Some(Format::JsonLines)),
            ("a.html", Some(Format::Html)),
            ("a.HtM", Some(Format::Html)),
            ("reut2-000.sgm", Some(Format::Sgml)),
            ("a.sgml", Some(Format::Sgml)),
            ("a.txt.gz", None),
            ("a.jsonlx", None),
            ("txt", None),
            (".txt", None),
            ("a.", None),
        ];
        for &(path, want) in cases {
            assert_eq!(Format::from_path(Path::new(path)), want, "{path}");
        }
    }

    fn streamed(bytes: &[u8], limit: u64) -> FileOutcome {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f.jsonl");
        std::fs::write(&p, bytes).unwrap();
        let opts = ReadOptions {
            boilerplate: &[],
            max_doc_bytes: limit,
            content_hash: true,
        };
        read_file_with(&p, "f.jsonl", &opts)
    }

    #[test]
    fn streamed_jsonl_matches_the_in_memory_parser() {
        let long = format!("{{\"text\":\"{}\"}}", "China tariffs ".repeat(20_000));
        let cases: Vec<Vec<u8>> = vec![
            b"{\"text\":\"China\"}\n{bad\n[1]\n".to_vec(),
            b"{\"text\":\"no newline at the end\"}".to_vec(),
            b"\xEF\xBB\xBF{\"text\":\"BOM\"}\r\n{\"text\":\"CRLF\"}\r\n".to_vec(),
            b"\n\n   \n".to_vec(),
            b"".to_vec(),
            b"PK\x03\x04 zipped".to_vec(),
            b"\xFF\xFE{\0\"\0t\0e\0x\0t\0\"\0:\0\"\0u\0\"\0}\0\n\0".to_vec(),
            b"{\"text\":\"caf\xe9\"}\n".to_vec(),
            format!("{long}\n{long}\n{{\"text\":\"short\"}}").into_bytes(),
        ];
        for bytes in &cases {
            let s = streamed(bytes, u64::MAX);
            let mut m = FileOutcome::default();
            json::parse_jsonl(bytes, "f.jsonl", None, &[], &mut m);
            assert_eq!(s.failed, m.failed, "{bytes:?}");
            assert_eq!(s.articles, m.articles, "{bytes:?}");
            assert_eq!(s.rejected, m.rejected, "{bytes:?}");
            assert_eq!(s.warnings, m.warnings, "{bytes:?}");
            let c = s.content.expect("content stamp");
            assert_eq!(c.len, bytes.len() as u64);
            assert_eq!(c.hash, blake3::hash(bytes).to_hex().to_string());
        }
    }

    /// The content hash is for the state only: asked for, it is the hash of every byte of
    /// the file, whatever the format and path through the reader; not asked for, it is
    /// absent and nothing else about the outcome changes.
    #[test]
    fn files_are_hashed_only_when_asked() {
        let dir = tempfile::tempdir().unwrap();
        let cases: [(&str, &[u8]); 7] = [
            ("a.txt", b"Title\n\nChina raised tariffs.\n"),
            ("a.json", b"{\"title\":\"T\",\"text\":\"China tariffs.\"}"),
            ("a.jsonl", b"{\"text\":\"China\"}\n{bad\n"),
            ("b.jsonl", b"PK\x03\x04 zipped, not JSON Lines"),
            (
                "c.jsonl",
                b"\xFF\xFE{\0\"\0t\0e\0x\0t\0\"\0:\0\"\0u\0\"\0}\0\n\0",
            ),
            ("a.html", b"<html><body><p>China tariffs.</p></body></html>"),
            (
                "a.sgm",
                b"<REUTERS><TEXT><BODY>China tariffs.</BODY></TEXT></REUTERS>",
            ),
        ];
        for (name, bytes) in cases {
            let p = dir.path().join(name);
            std::fs::write(&p, bytes).unwrap();
            let read = |content_hash| {
                let opts = ReadOptions {
                    boilerplate: &[],
                    max_doc_bytes: u64::MAX,
                    content_hash,
                };
                read_file_with(&p, name, &opts)
            };
            let (with, without) = (read(true), read(false));
            let c = with.content.clone().expect(name);
            assert_eq!(
                (c.len, c.hash),
                (bytes.len() as u64, blake3::hash(bytes).to_hex().to_string()),
                "{name}"
            );
            assert_eq!(without.content, None, "{name}");
            assert_eq!(
                (with.failed, with.articles, with.rejected, with.warnings),
                (
                    without.failed,
                    without.articles,
                    without.rejected,
                    without.warnings
                ),
                "{name}"
            );
        }
    }

    /// A file is read as far as the stat taken before said, in full when it holds that many
    /// bytes or fewer (grown or shrunk since, as the stat after the read then reports); a
    /// file that reports no size is read to its end, or one byte past the document limit.
    #[test]
    fn reads_stop_at_the_size_the_stat_gave() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.txt");
        std::fs::write(&p, b"0123456789").unwrap();
        let f = std::fs::File::open(&p).unwrap();
        for (size, limit, want) in [
            (10, 100, &b"0123456789"[..]),
            (4, 100, b"0123"),
            (25, 100, b"0123456789"),
            (0, 100, b"0123456789"),
            (0, 6, b"0123456"),
        ] {
            use std::io::Seek;
            (&f).rewind().unwrap();
            assert_eq!(read_sized(&f, size, limit).unwrap(), want, "{size} {limit}");
        }
    }

    /// A file that reports no size but has content (procfs files do) is read to its end,
    /// and refused when that end is past the document limit.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_file_without_a_size_is_read_to_its_end_within_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("status.txt");
        std::os::unix::fs::symlink("/proc/self/status", &p).unwrap();
        assert_eq!(std::fs::metadata(&p).unwrap().len(), 0);
        let read = |max_doc_bytes| {
            let opts = ReadOptions {
                boilerplate: &[],
                max_doc_bytes,
                content_hash: true,
            };
            read_file_with(&p, "status.txt", &opts)
        };
        let o = read(1 << 20);
        assert_eq!(o.failed, None);
        assert!(o.articles[0].text.contains("Name:"), "{:?}", o.articles);
        assert!(o.content.unwrap().len > 100);
        let o = read(10);
        let f = o.failed.unwrap_or_default();
        assert!(
            f.starts_with("file is over the 10 bytes document limit"),
            "{f}"
        );
        assert!(o.articles.is_empty());
    }

    /// A regular file replaced by a named pipe after the walk: refused at once, not waited
    /// on for a writer that never comes.
    #[cfg(unix)]
    #[test]
    fn a_named_pipe_is_refused_without_waiting() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("fifo.txt");
        let c = std::ffi::CString::new(p.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path; mkfifo only creates the file.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || tx.send(read_file(&p, "fifo.txt", &[])).unwrap());
        let o = rx
            .recv_timeout(std::time::Duration::from_secs(20))
            .expect("reading a named pipe must not wait for a writer");
        assert_eq!(o.failed.as_deref(), Some("no longer a regular file"));
    }

    #[test]
    fn over_limit_lines_are_rejected_and_the_rest_kept() {
        let long = format!("{{\"text\":\"{}\"}}", "x".repeat(300_000));
        let bytes = format!("{{\"text\":\"a\"}}\n{long}\n{{\"text\":\"b\"}}\n{long}");
        let o = streamed(bytes.as_bytes(), 1000);
        let texts: Vec<&str> = o.articles.iter().map(|a| a.text.as_str()).collect();
        assert_eq!(texts, ["a", "b"]);
        let rej: Vec<(Option<u64>, bool)> = o
            .rejected
            .iter()
            .map(|r| (r.record, r.reason.contains("over the 1 kB document limit")))
            .collect();
        assert_eq!(rej, [(Some(2), true), (Some(4), true)]);
        assert_eq!(o.content.unwrap().len, bytes.len() as u64);
    }

    #[test]
    fn whole_files_over_the_limit_are_not_read() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["a.txt", "a.json", "a.html", "a.sgm"] {
            let p = dir.path().join(name);
            std::fs::write(&p, "China tariffs. ".repeat(100)).unwrap();
            let opts = ReadOptions {
                boilerplate: &[],
                max_doc_bytes: 1000,
                content_hash: true,
            };
            let o = read_file_with(&p, name, &opts);
            let f = o.failed.unwrap_or_default();
            assert!(
                f.starts_with("file is 1.5 kB, over the 1 kB document limit"),
                "{name}: {f}"
            );
            assert!(o.content.is_none() && o.articles.is_empty());
        }
        let o = read_file_with(
            &dir.path().join("gone.txt"),
            "gone.txt",
            &ReadOptions {
                boilerplate: &[],
                max_doc_bytes: 1000,
                content_hash: true,
            },
        );
        assert!(o.failed.unwrap().contains("vanished"));
    }
}
