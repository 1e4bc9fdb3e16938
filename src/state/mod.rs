//! Incremental runs: the per-file results of earlier runs, kept in a SQLite database
//! (`newstrack.db` in the out folder, or `--state FILE`), so a re-run reads only new and
//! changed files and still folds exactly what a full run would.
//!
//! Owns the state file (opening, trusting or rebuilding it, its schema in `schema.rs`), the
//! decision whether a stored result is still valid for a file (path + size + mtime, then the
//! content hash; the pipeline hash and document limit for the whole state), and the
//! analyst-facing tables (documents, mentions, sentences; `counts` is a view over mentions),
//! which a state kept with `--analyst-tables off` leaves empty.
//! Results are stored and loaded in parts (`write.rs`, `codec.rs`), so a large file never
//! sits in memory whole; worker threads prepare a part (`prepare.rs`), a writer thread of its
//! own stores it, so the in-order fold never waits on SQLite. Crash safety comes from SQLite
//! transactions (WAL mode; a rollback journal for a run from an empty state, see [`Journal`]):
//! fresh parts are committed in batches, a file's row becomes valid for reuse only in the
//! transaction of its last part, and a file left incomplete by a killed run is deleted when
//! the state is next opened.
//!
//! Must not touch: parsing, tagging or counting (it stores `FileResult`s the pipeline made and
//! hands them back unchanged), and the report (it only returns [`Changes`]). A state error
//! in the middle of a run never costs the report: the state stops being updated and says so
//! (a stored result that fails half-way into the fold makes the pipeline redo the run
//! without the state).

mod codec;
mod prefetch;
mod prepare;
mod schema;
mod write;

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use rayon::prelude::*;
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use crate::aggregate::Aggregate;
use crate::config::Pipeline;
use crate::ingest::walk::InputFile;
use crate::pipeline::{FileResult, Loaded, ResultCache};

pub use prepare::Prepared;
pub use schema::{APPLICATION_ID, SCHEMA_VERSION};
pub use write::COMMIT_PARTS_ENV;

/// Bump when what `FileResult` holds for the same input changes in a way the pipeline hash
/// does not show (a parser or summary change), or how a part is encoded (`codec.rs`), so
/// stored results are not reused.
const RESULTS_VERSION: u32 = 8;

/// Warnings whose truth depends on the day of the run: such results are never reused.
const VOLATILE_MARKERS: &[&str] = &["lies in the future", "changed while it was being read"];

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("cannot create the folder of the state file {path}: {cause}; choose another with --state, or pass --no-state")]
    Dir {
        path: PathBuf,
        /// Shown in the message, so not chained as a source (it would print twice).
        cause: std::io::Error,
    },
    #[error("cannot use the state file {path}: {cause}; move it away, choose another with --state, or pass --no-state")]
    Sqlite {
        path: PathBuf,
        /// Shown in the message, so not chained as a source (it would print twice).
        cause: rusqlite::Error,
    },
    #[error("cannot move the untrusted state file {path} aside: {cause}; delete it or choose another with --state")]
    MoveAside {
        path: PathBuf,
        /// Shown in the message, so not chained as a source (it would print twice).
        cause: std::io::Error,
    },
}

/// How this run relates to the previous one: files and the documents in them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Changes {
    /// The state file used (shown on stderr; left out of the report files, which must not
    /// depend on where the state lives).
    #[serde(skip)]
    pub state: String,
    /// Why nothing was reused, when the state was new, rebuilt or reset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reset: Option<String>,
    pub files: ChangeCounts,
    pub documents: ChangeCounts,
    /// State problems met during the run (the report is complete regardless).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ChangeCounts {
    pub reused: u64,
    pub added: u64,
    pub changed: u64,
    pub removed: u64,
}

/// What the state knew of a file.
struct Known {
    size: u64,
    mtime_ns: i64,
    content_hash: String,
    documents: u64,
    volatile: bool,
    /// Parts its result is stored in.
    parts: u32,
}

/// A file's size and modification time: compared with the stored ones to reuse a result,
/// and stored with a fresh result as its file's handle gave them before it was read
/// (`Content::stamp`).
type Stat = crate::ingest::Stamp;

fn stat(path: &Path) -> Option<Stat> {
    std::fs::metadata(path).ok().map(|m| Stat::of(&m))
}

fn hash_file(path: &Path) -> Option<String> {
    let mut h = blake3::Hasher::new();
    let f = std::fs::File::open(path).ok()?;
    h.update_reader(f).ok()?;
    Some(h.finalize().to_hex().to_string())
}

/// The open state of one run.
pub struct State {
    conn: Connection,
    path: PathBuf,
    run_id: i64,
    known: HashMap<String, Known>,
    /// `known` was read (`preload`).
    loaded: bool,
    /// Every file of this run (walk display paths): the others in `known` were removed.
    present: HashSet<String>,
    /// The thread that writes this run's results, started at the first write.
    writer: Option<write::Writer>,
    /// The thread that reads the reused files' results ahead of the fold.
    prefetch: Option<prefetch::Prefetch>,
    /// Files whose stored result was reused but whose stat moved (touched, same content).
    restat: Vec<(String, Stat)>,
    changes: Changes,
    /// Set after a write failed: the rest of the run neither reads nor writes the state.
    broken: bool,
    /// The run started from an empty state: its secondary indexes are built at the end.
    bulk: bool,
    /// The state keeps the analyst tables (`--analyst-tables`).
    tables: bool,
    /// How this run's writes are journaled (a rollback journal for a bulk run).
    journal: Journal,
    /// When this run started (ns since the epoch): a file modified within `RACY_NS` of it
    /// may change again within the same mtime tick, so its stat is not trusted next time.
    started_ns: i64,
}

/// How close to the run's start an mtime must be for the content, not the stat, to decide
/// next time (file systems tick mtimes in milliseconds or coarser).
const RACY_NS: i64 = 2_000_000_000;

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The identity of results: stored results are valid only under the same one. It names the
/// build of newstrack too (a digest of the running executable): a parser or summary change
/// between builds must not mix old results with new ones, even when the version is the same.
fn settings_key(p: &Pipeline) -> String {
    format!(
        "pipeline {} max_doc_bytes {} results v{} newstrack {} build {}",
        p.hash,
        p.max_doc_bytes,
        RESULTS_VERSION,
        env!("CARGO_PKG_VERSION"),
        build_id()
    )
}

/// Which build of newstrack wrote a state: the executable's size and modification time. A
/// rebuilt or reinstalled binary gets a new time, so its state is not trusted; hashing the
/// executable instead (tens of MB) cost more than a whole small run.
fn build_id() -> &'static str {
    static ID: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    ID.get_or_init(|| {
        std::env::current_exe()
            .ok()
            .and_then(|p| stat(&p))
            .map_or_else(
                || "unknown".to_string(),
                |s| format!("{}-{}", s.size, s.mtime_ns),
            )
    })
}

fn open_conn(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(30))?;
    Ok(conn)
}

/// How a connection journals its transactions. Either way a killed process loses at most
/// the transaction in flight, never the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Journal {
    /// WAL + `synchronous = NORMAL`: readers go on while the writer writes (a re-run's
    /// prefetch reader reads stored parts beside the writer storing fresh ones).
    Wal,
    /// A rollback journal (`DELETE`) + `synchronous = FULL`, for a run that starts from an
    /// empty state: nearly every page it writes is new, and a new page goes to the database
    /// file once, where WAL writes it to the log and again at the checkpoint (100 MB of
    /// JSONL, first run on 2 threads: 1.49-1.57 -> 1.36-1.44 s). Nothing reads the state
    /// beside such a run's writer; a reader would delay its commits, not break them. The
    /// writer puts the file back in WAL mode when it completes the run.
    Rollback,
}

/// Sets `journal` on `conn` and returns the journal in effect: SQLite keeps the one it has
/// when it cannot switch (another connection in WAL mode), and a run then goes on with it.
fn configure(conn: &Connection, journal: Journal) -> rusqlite::Result<Journal> {
    let mode = match journal {
        Journal::Wal => "WAL",
        Journal::Rollback => "DELETE",
    };
    let got: String = conn.query_row(&format!("PRAGMA journal_mode = {mode}"), [], |r| r.get(0))?;
    let got = if got.eq_ignore_ascii_case("wal") {
        Journal::Wal
    } else {
        Journal::Rollback
    };
    // FULL with a rollback journal: NORMAL may corrupt the file on a power cut there.
    // Foreign keys are not enforced: `delete_file` removes child rows itself (see schema.rs).
    let sync = match got {
        Journal::Wal => "NORMAL",
        Journal::Rollback => "FULL",
    };
    conn.execute_batch(&format!(
        "PRAGMA synchronous = {sync}; PRAGMA foreign_keys = OFF;"
    ))?;
    Ok(got)
}

/// Moves an untrusted file (and its WAL, shared-memory and rollback-journal sidecars) to
/// `<name>.bad`: a journal left behind would be rolled back into the new file.
fn move_aside(path: &Path) -> Result<PathBuf, StateError> {
    let bad = PathBuf::from(format!("{}.bad", path.display()));
    for suffix in ["-wal", "-shm", "-journal"] {
        let side = PathBuf::from(format!("{}{suffix}", path.display()));
        if side.exists() {
            let to = PathBuf::from(format!("{}{suffix}", bad.display()));
            std::fs::rename(&side, &to).map_err(|source| StateError::MoveAside {
                path: side.clone(),
                cause: source,
            })?;
        }
    }
    std::fs::rename(path, &bad).map_err(|source| StateError::MoveAside {
        path: path.to_path_buf(),
        cause: source,
    })?;
    Ok(bad)
}

impl State {
    /// Opens (or creates) the state at `path` for `pipeline`. An untrusted file is moved to
    /// `<path>.bad` and a new state is built; stored results made under another pipeline or
    /// document limit, or all of them with `full`, are dropped. `changes().reset` says why.
    pub fn open(path: &Path, pipeline: &Pipeline, full: bool) -> Result<State, StateError> {
        State::open_with(path, pipeline, full, None)
    }

    /// [`State::open`], and whether the state keeps the analyst tables (`documents`,
    /// `mentions`, `sentences`): `None` keeps what the state has (on for a new one). Turning
    /// them off empties them and keeps every stored result; turning them on drops the stored
    /// results, since those files' rows are not there to be reused, and every file is read
    /// again.
    pub fn open_with(
        path: &Path,
        pipeline: &Pipeline,
        full: bool,
        analyst_tables: Option<bool>,
    ) -> Result<State, StateError> {
        let sql = |source| StateError::Sqlite {
            path: path.to_path_buf(),
            cause: source,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StateError::Dir {
                path: dir.to_path_buf(),
                cause: source,
            })?;
        }
        let mut reset = None;
        let existed = path.exists();
        let mut conn = open_conn(path).map_err(sql)?;
        let mut verdict = schema::examine(&conn, full);
        // Turning the analyst tables off empties them first: damage met there (the check at
        // opening covers them only after a run that did not end cleanly) makes the file
        // untrusted, as damage found by the check does, rather than failing the run. Any
        // other failure (busy, disk full) says nothing against the file: opening fails.
        if verdict == schema::Verdict::Ours && analyst_tables == Some(false) {
            match empty_analyst_tables(&mut conn) {
                Ok(()) => {}
                Err(e) if is_damage(&e) => {
                    verdict = schema::Verdict::Untrusted(format!("a damaged database ({e})"));
                }
                Err(e) => return Err(sql(e)),
            }
        }
        match verdict {
            schema::Verdict::Ours => {}
            schema::Verdict::Empty => {
                reset = Some(if existed {
                    "the state file was empty; built a new one".to_string()
                } else {
                    "no earlier state; every file read".to_string()
                });
            }
            schema::Verdict::Untrusted(why) => {
                drop(conn);
                let bad = move_aside(path)?;
                reset = Some(format!(
                    "{} is {why}: not trusted; moved to {} and built a new state",
                    path.display(),
                    bad.display()
                ));
                conn = open_conn(path).map_err(sql)?;
            }
        }
        if reset.is_some() {
            // Only a database without pages takes a page size (before its journal mode is set).
            conn.execute_batch(schema::PAGE_SIZE).map_err(sql)?;
        }
        // A new file is filled by this run alone: a rollback journal from the start, so that
        // no other connection (a reader watching it fill) keeps it in WAL mode.
        let first = if reset.is_some() {
            Journal::Rollback
        } else {
            Journal::Wal
        };
        let mut journal = configure(&conn, first).map_err(sql)?;
        if reset.is_some() {
            schema::create(&mut conn).map_err(sql)?;
        }
        let key = settings_key(pipeline);
        let stored: Option<String> = conn
            .query_row("SELECT value FROM meta WHERE key = 'settings'", [], |r| {
                r.get(0)
            })
            .optional()
            .map_err(sql)?;
        let had_tables = has_analyst_tables(&conn).map_err(sql)?;
        let tables = analyst_tables.unwrap_or(had_tables);
        let tx = conn.transaction().map_err(sql)?;
        let has_results = has_files(&tx).map_err(sql)?;
        let drop_results = match (&stored, full) {
            (_, true) => {
                reset.get_or_insert_with(|| "--full: every file read again".into());
                true
            }
            (Some(s), false) if *s != key => {
                let what = if !s.starts_with(&format!("pipeline {} ", pipeline.hash)) {
                    "the pipeline changed"
                } else if !s.contains(&format!(" max_doc_bytes {} ", pipeline.max_doc_bytes)) {
                    "the document limit changed"
                } else {
                    "newstrack is another build"
                };
                reset.get_or_insert_with(|| {
                    format!(
                        "{what} since the last run: stored results dropped, every file read again"
                    )
                });
                true
            }
            _ if tables && !had_tables && has_results => {
                reset.get_or_insert_with(|| {
                    "the analyst tables were turned on (--analyst-tables on): stored results \
                     dropped, every file read again to fill them"
                        .into()
                });
                true
            }
            _ => false,
        };
        if drop_results {
            tx.execute_batch(
                "DELETE FROM sentences; DELETE FROM mention_rows; \
                 DELETE FROM documents; DELETE FROM parts; DELETE FROM files;",
            )
            .map_err(sql)?;
        } else {
            // A file whose parts were still being written when a run was killed: its parts
            // and documents go with it, and the file is read again.
            let incomplete: Vec<String> = tx
                .prepare("SELECT path FROM files WHERE complete = 0")
                .and_then(|mut q| q.query_map([], |r| r.get(0))?.collect())
                .map_err(sql)?;
            for p in &incomplete {
                write::delete_file(&tx, p).map_err(sql)?;
            }
        }
        let bulk = !has_files(&tx).map_err(sql)?;
        if bulk {
            schema::drop_indexes(&tx).map_err(sql)?;
        } else {
            schema::create_indexes(&tx).map_err(sql)?;
        }
        tx.execute(
            "INSERT OR REPLACE INTO meta(key, value) VALUES ('settings', ?1), \
             ('pipeline', ?2), ('pipeline_hash', ?3), ('max_doc_bytes', ?4), \
             ('analyst_tables', ?5)",
            params![
                key,
                pipeline.name,
                pipeline.hash,
                pipeline.max_doc_bytes.to_string(),
                if tables { "on" } else { "off" }
            ],
        )
        .map_err(sql)?;
        tx.execute("DELETE FROM entities", []).map_err(sql)?;
        for (i, e) in pipeline.entities.iter().enumerate() {
            let group = e.group.map(|g| pipeline.entities[g as usize].id.clone());
            let actor_kind = (!e.actor_kind.is_empty()).then_some(&e.actor_kind);
            tx.execute(
                "INSERT INTO entities(id, idx, kind, label, actor_kind, group_id) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![e.id, i as i64, e.kind.as_str(), e.label, actor_kind, group],
            )
            .map_err(sql)?;
        }
        tx.execute(
            "INSERT INTO runs(started_at, pipeline, pipeline_hash) VALUES (?1, ?2, ?3)",
            params![now(), pipeline.name, pipeline.hash],
        )
        .map_err(sql)?;
        let run_id = tx.last_insert_rowid();
        tx.commit().map_err(sql)?;
        if bulk && journal == Journal::Wal {
            journal = configure(&conn, Journal::Rollback).map_err(sql)?;
        }
        Ok(State {
            conn,
            path: path.to_path_buf(),
            run_id,
            known: HashMap::default(),
            loaded: false,
            present: HashSet::default(),
            writer: None,
            prefetch: None,
            restat: Vec::new(),
            changes: Changes {
                state: path.display().to_string(),
                reset,
                ..Default::default()
            },
            broken: false,
            bulk,
            tables,
            journal,
            started_ns: std::time::SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as i64),
        })
    }

    /// Where the state lives.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The counts so far (complete after [`State::finish`]).
    pub fn changes(&self) -> &Changes {
        &self.changes
    }

    fn fail(&mut self, what: &str, e: impl std::fmt::Display) {
        // Whatever the open transaction holds is not to be trusted half-done.
        if !self.conn.is_autocommit() {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
        if !self.broken {
            self.changes.problems.push(format!(
                "{what} failed ({e}); the state is not updated for the rest of this run \
                 (the report is complete; the next run reads again what is missing)"
            ));
        }
        self.broken = true;
    }

    /// Reads what the state knows of its files, once: `Cache::plan` needs it, and a caller
    /// can have it read beforehand, while it walks the inputs (a hundred thousand rows took
    /// a tenth of a second, on the one thread that runs before planning).
    pub fn preload(&mut self) {
        if self.loaded || self.broken {
            return;
        }
        self.loaded = true;
        if let Err(e) = self.load_known() {
            self.known.clear();
            self.fail("reading the state", e);
        }
    }

    fn load_known(&mut self) -> rusqlite::Result<()> {
        let mut stmt = self.conn.prepare(
            "SELECT path, size, mtime_ns, content_hash, documents, volatile, parts FROM files \
             WHERE complete = 1",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                Known {
                    size: r.get::<_, i64>(1)? as u64,
                    mtime_ns: r.get(2)?,
                    content_hash: r.get(3)?,
                    documents: r.get::<_, i64>(4)? as u64,
                    volatile: r.get::<_, i64>(5)? != 0,
                    parts: r.get::<_, i64>(6)? as u32,
                },
            ))
        })?;
        for row in rows {
            let (p, k) = row?;
            self.known.insert(p, k);
        }
        Ok(())
    }

    /// Streams the stored parts of `path` into `fold`, in order; how far it got. The reader
    /// thread has them decoded already when it was given the file; otherwise they are read
    /// here.
    fn load_parts(
        &mut self,
        path: &str,
        parts: u32,
        fold: &mut dyn FnMut(FileResult, bool),
    ) -> (u32, Result<(), String>) {
        if let Some(p) = self.prefetch.as_mut().filter(|p| p.is_next(path)) {
            return p.take(fold);
        }
        for part in 0..parts {
            match prefetch::read_part(&self.conn, path, part) {
                Ok(r) => fold(r, part + 1 == parts),
                Err(e) => return (part, Err(e)),
            }
        }
        (parts, Ok(()))
    }

    /// Starts reading the stored results of the files `plan` reuses (in walk order) ahead of
    /// the fold; without a connection of its own, `load_parts` reads them itself.
    fn start_prefetch(&mut self, files: Vec<(String, u32)>) {
        if files.is_empty() {
            return;
        }
        let started = open_conn(&self.path)
            .map_err(|e| e.to_string())
            .and_then(|c| prefetch::Prefetch::spawn(c, files).map_err(|e| e.to_string()));
        // Reading inline is only slower: nothing to report.
        self.prefetch = started.ok();
    }

    /// The writer for this run, started if need be; `None` once the state is broken.
    fn writer(&mut self) -> Option<&mut write::Writer> {
        if self.broken {
            return None;
        }
        if self.writer.is_none() {
            let started = open_conn(&self.path)
                .and_then(|c| configure(&c, self.journal).map(|_| c))
                .map_err(|e| e.to_string())
                .and_then(|conn| {
                    write::Writer::spawn(
                        conn,
                        write::RunInfo {
                            run_id: self.run_id,
                            started_ns: self.started_ns,
                            restat: std::mem::take(&mut self.restat),
                        },
                    )
                });
            match started {
                Ok(w) => self.writer = Some(w),
                Err(e) => {
                    self.fail("writing the state", e);
                    return None;
                }
            }
        }
        self.writer.as_mut().filter(|w| !w.failed())
    }

    /// Deletes a file's rows (through the writer).
    fn drop_file(&mut self, path: &str) {
        if let Some(w) = self.writer() {
            w.send(write::Msg::Drop(path.to_string()));
        }
    }

    /// Commits what the writer was given so far, and waits for it.
    #[cfg(test)]
    fn commit(&mut self) {
        if let Some(w) = self.writer.as_mut() {
            w.commit();
        }
    }

    /// Drops files that are gone, marks duplicates, records the run (on the writer thread,
    /// which goes on to build the indexes of a bulk run and to checkpoint the WAL while the
    /// caller writes its reports: [`State::close`] waits for that). Returns the counts.
    pub fn finish(&mut self, agg: &Aggregate) -> Changes {
        // Drained by a fold that ran to the end; a failed fold left parts in it.
        if let Some(mut p) = self.prefetch.take() {
            p.stop();
        }
        if self.broken {
            return self.changes.clone();
        }
        let mut gone = Vec::new();
        for (p, k) in &self.known {
            if !self.present.contains(p.as_str()) {
                gone.push(p.clone());
                self.changes.files.removed += 1;
                self.changes.documents.removed += k.documents;
            }
        }
        let c = self.changes.documents;
        // `documents.duplicate_of` marks them, when the state keeps that table.
        let duplicates = match self.tables {
            true => agg
                .accounting
                .duplicates
                .iter()
                .map(|d| (d.same_as.clone(), d.doc.clone(), d.path.clone()))
                .collect(),
            false => Vec::new(),
        };
        let end = write::RunEnd {
            gone,
            duplicates,
            bulk: self.bulk,
            files: self.present.len() as u64,
            reused: c.reused,
            added: c.added,
            changed: c.changed,
            removed: c.removed,
            articles: agg.accounting.articles,
        };
        if self.writer.is_none() {
            // Nothing was written: a writer records the run all the same.
            self.writer();
        }
        // A writer that failed says why here.
        if let Some(f) = self.writer.as_mut().and_then(|w| w.finish(end)) {
            self.fail(f.what, f.error);
        }
        self.changes.clone()
    }

    /// Waits for what the state does after [`State::finish`] (a first run's indexes, the
    /// WAL checkpoint); the problems met there, which the run's report could not hold (the
    /// state's results are committed: a later run builds missing indexes).
    pub fn close(mut self) -> Vec<String> {
        let Some(w) = self.writer.take() else {
            return Vec::new();
        };
        let before = self.changes.problems.len();
        if let Some(f) = w.join() {
            self.fail(f.what, f.error);
        }
        self.changes.problems.split_off(before)
    }
}

/// Whether the state keeps the analyst tables (`meta.analyst_tables`; absent in a state
/// written before the setting existed, which kept them).
fn has_analyst_tables(conn: &Connection) -> rusqlite::Result<bool> {
    let v: Option<String> = conn
        .query_row(
            "SELECT value FROM meta WHERE key = 'analyst_tables'",
            [],
            |r| r.get(0),
        )
        .optional()?;
    Ok(v.is_none_or(|v| v != "off"))
}

/// Empties the analyst tables of a state that keeps them and records that it no longer
/// does, in one transaction.
fn empty_analyst_tables(conn: &mut Connection) -> rusqlite::Result<()> {
    if !has_analyst_tables(conn)? {
        return Ok(());
    }
    let tx = conn.transaction()?;
    tx.execute_batch(
        "DELETE FROM sentences; DELETE FROM mention_rows; DELETE FROM documents; \
         INSERT OR REPLACE INTO meta(key, value) VALUES ('analyst_tables', 'off');",
    )?;
    tx.commit()
}

/// Whether `e` says the file is damaged, rather than busy, full or not writable.
fn is_damage(e: &rusqlite::Error) -> bool {
    use rusqlite::ErrorCode::{DatabaseCorrupt, NotADatabase};
    matches!(e.sqlite_error_code(), Some(DatabaseCorrupt | NotADatabase))
}

/// Whether the state holds any file's result.
fn has_files(conn: &Connection) -> rusqlite::Result<bool> {
    conn.query_row("SELECT EXISTS (SELECT 1 FROM files)", [], |r| r.get(0))
}

fn is_volatile(r: &FileResult) -> bool {
    let hit = |w: &String| VOLATILE_MARKERS.iter().any(|m| w.contains(m));
    r.warnings.iter().any(hit)
        || r.docs.iter().any(|d| d.warnings.iter().any(hit))
        || r.failed
            .as_deref()
            .is_some_and(|f| f.contains("internal error"))
        || r.rejected
            .iter()
            .any(|x| x.reason.contains("internal error"))
}

/// The state as the pipeline's result cache.
pub struct Cache<'a> {
    pub state: &'a mut State,
}

impl<'a> Cache<'a> {
    pub fn new(state: &'a mut State) -> Cache<'a> {
        Cache { state }
    }
}

impl ResultCache for Cache<'_> {
    fn analyst_rows(&self) -> bool {
        self.state.tables
    }

    fn plan(&mut self, files: &[InputFile]) -> Vec<bool> {
        let st = &mut *self.state;
        st.present = files.iter().map(|f| f.display.clone()).collect();
        st.preload();
        // Stat the files the state knows, in parallel; hash only those whose stat moved but
        // whose size did not (touched or rewritten with the same length): the content
        // decides. A file it does not know is read in any case, and what is stored of it
        // takes the stamp its handle gives as it is read (a path stat per file here was a
        // tenth of a first run over a folder of small files).
        let known = &st.known;
        let probes: Vec<(Option<Stat>, Option<String>)> = files
            .par_iter()
            .map(|f| {
                let Some(k) = known.get(&f.display) else {
                    return (None, None);
                };
                let s = stat(&f.path);
                let rehash = s.is_some_and(|s| {
                    !k.volatile && s.size == k.size && (s.mtime_ns != k.mtime_ns || k.mtime_ns == 0)
                });
                (s, rehash.then(|| hash_file(&f.path)).flatten())
            })
            .collect();
        let mut out = Vec::with_capacity(files.len());
        // The reused files with parts, in walk order: what the reader reads ahead.
        let mut ahead = Vec::new();
        for (f, (s, hash)) in files.iter().zip(probes) {
            let k = st.known.get(&f.display);
            let reuse = match (s, k) {
                (Some(s), Some(k)) if !k.volatile && !st.broken => {
                    let same_stat = s.size == k.size && s.mtime_ns == k.mtime_ns && k.mtime_ns != 0;
                    let same_content = hash.as_deref() == Some(k.content_hash.as_str());
                    if same_content && !same_stat {
                        st.restat.push((f.display.clone(), s));
                    }
                    same_stat || same_content
                }
                _ => false,
            };
            match (reuse, k) {
                (true, Some(k)) => {
                    st.changes.files.reused += 1;
                    st.changes.documents.reused += k.documents;
                    if k.parts > 0 {
                        ahead.push((f.display.clone(), k.parts));
                    }
                }
                (_, Some(_)) => st.changes.files.changed += 1,
                (_, None) => st.changes.files.added += 1,
            }
            out.push(reuse);
        }
        st.start_prefetch(ahead);
        out
    }

    fn load(&mut self, file: &InputFile, fold: &mut dyn FnMut(FileResult, bool)) -> Loaded {
        let st = &mut *self.state;
        let (docs, parts) = st
            .known
            .get(&file.display)
            .map_or((0, 0), |k| (k.documents, k.parts));
        // Committed results stay valid after a failed write: they are still read.
        let loaded = if parts == 0 {
            Loaded::Nothing
        } else {
            match st.load_parts(&file.display, parts, fold) {
                (_, Ok(())) => Loaded::All,
                (0, Err(_)) => Loaded::Nothing,
                (_, Err(why)) => {
                    // Its first parts are folded already: the pipeline redoes the run
                    // without the state. The damaged result goes, so the next run reads
                    // the file again.
                    st.changes.problems.push(format!(
                        "the stored result of {} could not be read ({why}); it was dropped \
                         and this run was done again without the state",
                        file.display
                    ));
                    st.drop_file(&file.display);
                    // The run is done again without the state: nothing more is read.
                    if let Some(mut p) = st.prefetch.take() {
                        p.stop();
                    }
                    Loaded::Partly
                }
            }
        };
        if loaded != Loaded::All {
            // Counted as reused by `plan`; it is read again instead.
            st.changes.files.reused -= 1;
            st.changes.documents.reused -= docs;
            st.changes.files.changed += 1;
        }
        loaded
    }

    fn store(&mut self, file: &InputFile, part: &mut FileResult, last: bool) {
        let st = &mut *self.state;
        let n = part.docs.len() as u64;
        let known = st.known.contains_key(&file.display);
        if known {
            st.changes.documents.changed += n;
        } else {
            st.changes.documents.added += n;
        }
        if st.broken || st.writer.as_ref().is_some_and(|w| w.failed()) {
            return;
        }
        let prepared = match part.prepared.take() {
            Some(p) => *p,
            // Every part the pipeline makes with documents comes prepared.
            None => {
                debug_assert!(part.docs.is_empty(), "{} came unprepared", part.path);
                let mut p = Prepared::new(st.tables);
                p.seal(&part.docs);
                p
            }
        };
        let blob = prepared
            .docs
            .and_then(|d| codec::encode_part(d, part).map_err(|e| e.to_string()));
        let msg = write::PartMsg {
            path: file.display.clone(),
            fs_path: file.path.clone(),
            known,
            last,
            blob,
            rows: prepared.rows,
            documents: prepared.count,
            rejected: part.rejected.len() as u64,
            volatile: is_volatile(part),
            failed: part.failed.clone(),
            content: part.content.clone(),
        };
        if let Some(w) = st.writer() {
            w.send_part(msg);
        }
    }

    fn flush(&mut self) {
        // Committed while the run finishes its aggregate, and kept should the run fail
        // before `State::finish`.
        if let Some(w) = self.state.writer.as_mut() {
            w.send(write::Msg::Commit(None));
        }
    }
}

#[cfg(test)]
mod tests;
