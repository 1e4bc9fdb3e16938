//! Writing fresh results into the state, on a thread of its own, part by part as the run
//! folds them.
//!
//! The in-order fold must not wait on SQLite (it would serialise the run's threads), so it
//! hands each part, encoded and turned into rows on the worker threads (`prepare.rs`), to a
//! writer thread through a bounded queue: the fold runs at most `QUEUE` parts ahead of the
//! writer, so memory stays that of a few parts. The writer owns a connection of its own and
//! writes in the order it is given, which is walk order. A failure stops the writer (its open
//! transaction is rolled back, later parts are dropped unread) and is reported when the run
//! ends ([`Writer::join`]), where it becomes the same state problem as before: the report is
//! complete, the state is not updated for the rest of the run.
//!
//! Each part goes straight into the open transaction: its encoded result into `parts`, its
//! documents into the analyst tables (the rows of one message's parts gathered, many per
//! INSERT). Nothing is held back past a message, so the memory a file costs is that of one
//! part, whatever the file's size. Transactions are
//! committed every `COMMIT_PARTS` parts or `COMMIT_BYTES` bytes, so a commit may fall inside a
//! file: its `files` row says `complete = 0` until the transaction that holds its last part,
//! and only complete rows are ever reused. A run killed in between leaves an incomplete row
//! behind, which the next run deletes (with its parts and documents) before anything else. A
//! writer whose queue is closed without [`Writer::finish`] (a panic) rolls back what it has
//! not committed, as a dropped connection would.
//!
//! Must not touch: what the parts mean (it stores what the pipeline made), reuse decisions.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Arc;
use std::thread::JoinHandle;

use rusqlite::{params, Connection, Statement};

use super::prepare::{read_rows, Buf, MentionIn, RowIn, SentenceIn, Text};
use super::{schema, stat, Stat, RACY_NS};
use crate::ingest::Content;

/// Parts written per transaction at most. A part is a 1 MB chunk of a large file or a whole
/// small file, so the byte budget below is what ends a transaction of large files; this one
/// ends a transaction of many small ones. Each commit is followed by a checkpoint, two
/// `fsync`s: at 64 parts, a folder of 104,675 one-article files (100 MB) made 1,636 commits,
/// and the run took 6.2 s against 1.5 s for the same articles as one JSONL file.
const COMMIT_PARTS: usize = 4096;
/// Environment variable overriding `COMMIT_PARTS`, for tests (a run killed after its first
/// commits) and tuning.
pub const COMMIT_PARTS_ENV: &str = "NEWSTRACK_COMMIT_PARTS";

/// Encoded result bytes written per transaction at most (the analyst rows come on top): a
/// transaction's pages live in SQLite's cache and WAL until the commit.
const COMMIT_BYTES: usize = 16 << 20;
/// Messages queued for the writer at most (a part of about a megabyte, one 1 MB chunk's
/// results, or the gathered parts of small files).
/// The checkpoint after each commit waits on two `fsync`s, about a quarter of a second on a
/// laptop disk, in which two workers fold five or six parts: with room for fewer, the fold
/// and then the workers stopped at every commit (1 GB, 2 threads: 2 → 8 parts took the run
/// from 48.8 to 46.4 s for 3 MB more peak memory).
const QUEUE: usize = 8;
/// Rows per multi-row INSERT: per row, SQLite then spends about a third less than on one
/// statement per row (the statement's setup and cursor are shared).
const BATCH: usize = 64;

/// One fresh part, as the fold hands it to the writer.
pub(super) struct PartMsg {
    /// The file as the run shows it (`files.path`), and where it is (to hash it).
    pub path: String,
    pub fs_path: PathBuf,
    /// The state had rows for the file before this run: they go first.
    pub known: bool,
    /// The file's last part.
    pub last: bool,
    /// `parts.result` (`codec`), or why it could not be encoded.
    pub blob: Result<Buf, String>,
    /// The documents' rows (`prepare::RowIn`; `None` when the state keeps no analyst
    /// tables), and how many documents the part holds.
    pub rows: Option<Buf>,
    pub documents: usize,
    pub rejected: u64,
    pub volatile: bool,
    pub failed: Option<String>,
    pub content: Option<Content>,
}

pub(super) enum Msg {
    /// Consecutive parts, in order (`Writer::send_part` gathers them).
    Parts(Vec<PartMsg>),
    /// Delete a file's rows (its stored result turned out to be damaged).
    Drop(String),
    /// Commit now (and say so, when asked).
    Commit(Option<SyncSender<()>>),
    /// The run is over: commit, record it and say how that went; then build a bulk run's
    /// indexes and fold the WAL back into the database.
    Finish(Box<RunEnd>, SyncSender<Option<Failure>>),
}

/// What the end of a run writes.
pub(super) struct RunEnd {
    /// Files no longer found under the inputs: their rows go.
    pub gone: Vec<String>,
    /// (same_as, doc, path) of every duplicate document, in fold order.
    pub duplicates: Vec<(Option<String>, String, String)>,
    /// The run started from an empty state: no document is marked a duplicate yet, and the
    /// indexes sorted at the end (`schema::INDEXES`) are to be built.
    pub bulk: bool,
    /// `runs` columns: files, documents reused, added, changed, removed, articles counted.
    pub files: u64,
    pub reused: u64,
    pub added: u64,
    pub changed: u64,
    pub removed: u64,
    pub articles: u64,
}

/// What went wrong on the writer: the step, as the state's problem names it, and the error.
pub(super) struct Failure {
    pub what: &'static str,
    pub error: String,
}

/// What the writer needs to know of the run.
pub(super) struct RunInfo {
    pub run_id: i64,
    pub started_ns: i64,
    /// Stats of reused files that moved (touched, same content), applied in its first
    /// transaction.
    pub restat: Vec<(String, Stat)>,
}

/// Parts gathered into one message until they hold this many bytes (result and rows)...
const GATHER_BYTES: usize = 256 << 10;
/// ...or are this many. A 1 MB chunk of a large file is a message of its own, as before;
/// the parts of small files travel together: one message, and one wake-up of the writer,
/// per part cost a futex call and a context switch on each side for every file.
const GATHER_PARTS: usize = 256;

/// The run's handle on its writer thread.
pub(super) struct Writer {
    tx: Option<SyncSender<Msg>>,
    handle: Option<JoinHandle<Option<Failure>>>,
    failed: Arc<AtomicBool>,
    finished: bool,
    /// Parts not sent yet, and their bytes.
    gathered: Vec<PartMsg>,
    gathered_bytes: usize,
}

impl Writer {
    /// Starts a writer on `conn` (a connection of its own to the state).
    pub fn spawn(conn: Connection, run: RunInfo) -> Result<Writer, String> {
        let mut sink = Sink::new(conn, run).map_err(|e| e.to_string())?;
        let (tx, rx) = sync_channel(QUEUE);
        let failed = Arc::new(AtomicBool::new(false));
        let flag = failed.clone();
        let handle = std::thread::Builder::new()
            .name("newstrack-state".into())
            .spawn(move || sink.run(rx, &flag))
            .map_err(|e| format!("cannot start the state's writer thread: {e}"))?;
        Ok(Writer {
            tx: Some(tx),
            handle: Some(handle),
            failed,
            finished: false,
            gathered: Vec::new(),
            gathered_bytes: 0,
        })
    }

    /// The writer has failed: nothing more will be written.
    pub fn failed(&self) -> bool {
        self.failed.load(Ordering::Acquire)
    }

    /// Gathers the next part, and queues what is gathered once it is large enough.
    pub fn send_part(&mut self, p: PartMsg) {
        if self.failed() || self.finished {
            return;
        }
        self.gathered_bytes +=
            p.blob.as_ref().map_or(0, |b| b.0.len()) + p.rows.as_ref().map_or(0, |b| b.0.len());
        self.gathered.push(p);
        if self.gathered_bytes >= GATHER_BYTES || self.gathered.len() >= GATHER_PARTS {
            self.send_gathered();
        }
    }

    /// Queues `msg` after the parts gathered so far, waiting while the queue is full.
    pub fn send(&mut self, msg: Msg) {
        if self.failed() || self.finished {
            return;
        }
        self.send_gathered();
        self.queue(msg);
    }

    fn send_gathered(&mut self) {
        self.gathered_bytes = 0;
        if !self.gathered.is_empty() {
            let parts = std::mem::take(&mut self.gathered);
            self.queue(Msg::Parts(parts));
        }
    }

    fn queue(&mut self, msg: Msg) {
        if let Some(tx) = &self.tx {
            // A closed queue means the thread is gone; `join` says why.
            let _ = tx.send(msg);
        }
    }

    /// Commits what was sent so far, and waits for it.
    #[cfg(test)]
    pub fn commit(&mut self) {
        let (ack, done) = sync_channel(1);
        self.send(Msg::Commit(Some(ack)));
        let _ = done.recv();
    }

    /// Ends the run: the writer commits what it was sent and records the run, and this
    /// waits for that (what went wrong, if anything). The indexes of a bulk run and the
    /// WAL checkpoint follow on the writer while the caller goes on ([`Writer::join`]).
    pub fn finish(&mut self, end: RunEnd) -> Option<Failure> {
        let (ack, done) = sync_channel(1);
        self.send(Msg::Finish(Box::new(end), ack));
        self.finished = true;
        match done.recv() {
            Ok(f) => f,
            // Not sent or not answered: the writer failed before; ending it says how.
            Err(_) => self.end(),
        }
    }

    /// Waits for the writer to end; what went wrong that was not said yet. Without
    /// [`Writer::finish`] first, what was not committed is rolled back.
    pub fn join(mut self) -> Option<Failure> {
        self.end()
    }

    fn end(&mut self) -> Option<Failure> {
        self.tx = None;
        let handle = self.handle.take()?;
        handle.join().unwrap_or_else(|_| {
            Some(Failure {
                what: "writing the state",
                error: "the state's writer thread panicked".into(),
            })
        })
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.end();
    }
}

/// A file whose first parts are written (its `files` row is there, `complete = 0`).
struct Writing {
    path: String,
    parts: u32,
    documents: u64,
    rejected: u64,
    volatile: bool,
    failed: Option<String>,
}

/// Rows written and not yet inserted (`Sink::insert_rows`), so that those of consecutive
/// parts share multi-row statements. Inserted before anything else reads or changes their
/// tables (a delete, an update of a file's row, a commit), in the order they were written.
#[derive(Default)]
struct Pending<'p> {
    /// `files` rows of files whose first part this is.
    files: Vec<FileIn<'p>>,
    /// `parts` rows: path, part, documents, result.
    parts: Vec<(&'p str, u32, usize, &'p [u8])>,
    /// Analyst rows: document id, file path, row.
    docs: Vec<(i64, &'p str, &'p RowIn<'p>)>,
}

impl Pending<'_> {
    fn is_empty(&self) -> bool {
        self.files.is_empty() && self.parts.is_empty() && self.docs.is_empty()
    }

    fn clear(&mut self) {
        self.files.clear();
        self.parts.clear();
        self.docs.clear();
    }
}

/// A `files` row as its file's first part writes it (`complete` when it is the last).
struct FileIn<'p> {
    path: &'p str,
    complete: bool,
    size: u64,
    mtime_ns: i64,
    hash: Option<String>,
    failed: Option<String>,
    documents: u64,
    rejected: u64,
    volatile: bool,
    parts: u32,
}

/// The SQL of a multi-row INSERT and of its one-row form.
struct Insert {
    one: String,
    many: String,
    cols: usize,
}

impl Insert {
    /// `into`: the table and its columns.
    fn new(into: &str, cols: usize) -> Insert {
        let row = format!("({})", vec!["?"; cols].join(", "));
        Insert {
            one: format!("INSERT INTO {into} VALUES {row}"),
            // OR FAIL: a statement of many rows that may stop half-way would otherwise keep
            // a journal of its own to undo its first rows (SQLite's statement journal); a
            // failure rolls back the whole transaction anyway. A given INTEGER PRIMARY KEY
            // brings the journal back whatever the OR (see `documents` in `Sink::new`).
            many: format!(
                "INSERT OR FAIL INTO {into} VALUES {}",
                vec![row; BATCH].join(", ")
            ),
            cols,
        }
    }

    /// Inserts `rows`, `BATCH` per statement; `bind` binds one row from the given parameter
    /// index on.
    fn rows<T>(
        &self,
        conn: &Connection,
        rows: &[T],
        bind: impl Fn(&mut Statement<'_>, usize, &T) -> rusqlite::Result<()>,
    ) -> rusqlite::Result<()> {
        let mut chunks = rows.chunks_exact(BATCH);
        if rows.len() >= BATCH {
            let mut st = conn.prepare_cached(&self.many)?;
            for chunk in &mut chunks {
                for (i, row) in chunk.iter().enumerate() {
                    bind(&mut st, 1 + i * self.cols, row)?;
                }
                st.raw_execute()?;
            }
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut st = conn.prepare_cached(&self.one)?;
            for row in rest {
                bind(&mut st, 1, row)?;
                st.raw_execute()?;
            }
        }
        Ok(())
    }
}

/// The writer thread's side.
struct Sink {
    conn: Connection,
    run: RunInfo,
    writing: Option<Writing>,
    /// Parts and encoded bytes written in the open transaction.
    tx_parts: usize,
    tx_bytes: usize,
    /// Parts that end a transaction (`COMMIT_PARTS`).
    commit_parts: usize,
    /// The id SQLite gives the next document row (`max(id) + 1`), known here so that its
    /// mention and sentence rows can name it before it is inserted; kept in step after every
    /// delete (see `delete_rows`).
    next_doc: i64,
    /// The connection writes through a WAL, to be checkpointed (not with a bulk run's
    /// rollback journal, which leaves nothing to fold back).
    wal: bool,
    files: Insert,
    parts: Insert,
    documents: Insert,
    mentions: Insert,
    sentences: Insert,
}

/// What the `files` row of a complete file says.
struct FileRow {
    size: u64,
    mtime_ns: i64,
    hash: String,
}

/// The id SQLite gives the next row of `documents`: one more than the largest (the table
/// has no AUTOINCREMENT).
fn next_doc_id(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("SELECT coalesce(max(id), 0) + 1 FROM documents", [], |r| {
        r.get(0)
    })
}

/// Deletes a file's rows from every table.
pub(super) fn delete_file(conn: &Connection, path: &str) -> rusqlite::Result<()> {
    const SQL: [&str; 5] = [
        "DELETE FROM mention_rows WHERE doc IN (SELECT id FROM documents WHERE path = ?1)",
        "DELETE FROM sentences WHERE doc IN (SELECT id FROM documents WHERE path = ?1)",
        "DELETE FROM documents WHERE path = ?1",
        "DELETE FROM parts WHERE path = ?1",
        "DELETE FROM files WHERE path = ?1",
    ];
    for sql in SQL {
        conn.prepare_cached(sql)?.execute([path])?;
    }
    Ok(())
}

impl Sink {
    fn new(conn: Connection, run: RunInfo) -> rusqlite::Result<Sink> {
        conn.set_prepared_statement_cache_capacity(32);
        conn.execute_batch("PRAGMA wal_autocheckpoint = 0;")?;
        let wal = conn
            .query_row("PRAGMA journal_mode", [], |r| r.get::<_, String>(0))?
            .eq_ignore_ascii_case("wal");
        let next_doc = next_doc_id(&conn)?;
        Ok(Sink {
            conn,
            run,
            writing: None,
            tx_parts: 0,
            tx_bytes: 0,
            commit_parts: crate::tuning::count_or(COMMIT_PARTS_ENV, COMMIT_PARTS),
            next_doc,
            wal,
            // Without `id`: SQLite numbers the rows (`max(id) + 1`, which `next_doc` follows).
            // A multi-row INSERT that gives an INTEGER PRIMARY KEY may fail half-way on its
            // integer check, so SQLite kept a statement journal for every one of them: 1.4 GB
            // of temporary-file writes in a first run over 1 GB (docs/performance.md,
            // session 25).
            documents: Insert::new(
                "documents(path, record, doc, title, date, date_source, text_hash)",
                7,
            ),
            files: Insert::new(
                "files(path, complete, size, mtime_ns, content_hash, failed, documents, \
                 rejected, volatile, parts, run)",
                11,
            ),
            parts: Insert::new("parts(path, part, documents, result)", 4),
            mentions: Insert::new("mention_rows(doc, entity, start, \"end\", sentence)", 5),
            sentences: Insert::new("sentences(doc, sentence, start, \"end\", text)", 5),
        })
    }

    fn run(&mut self, rx: Receiver<Msg>, failed: &AtomicBool) -> Option<Failure> {
        const WRITING: &str = "writing the state";
        let mut failure: Option<Failure> = None;
        let fail = |s: &mut Sink, what: &'static str, e: rusqlite::Error| {
            // Whatever the open transaction holds is not to be trusted half-done.
            if !s.conn.is_autocommit() {
                let _ = s.conn.execute_batch("ROLLBACK");
            }
            failed.store(true, Ordering::Release);
            Some(Failure {
                what,
                error: e.to_string(),
            })
        };
        for msg in rx {
            match msg {
                // After a failure, parts are dropped unread.
                _ if failure.is_some() && !matches!(msg, Msg::Commit(_) | Msg::Finish(..)) => {}
                Msg::Parts(parts) => {
                    if let Err(e) = self.store_parts(&parts) {
                        failure = fail(self, WRITING, e);
                    }
                }
                Msg::Drop(path) => {
                    if let Err(e) = self.drop_file(&path) {
                        failure = fail(self, WRITING, e);
                    }
                }
                Msg::Commit(ack) => {
                    if failure.is_none() {
                        if let Err(e) = self.commit() {
                            failure = fail(self, WRITING, e);
                        }
                    }
                    if let Some(ack) = ack {
                        let _ = ack.send(());
                    }
                }
                Msg::Finish(end, ack) => {
                    if failure.is_none() {
                        if let Err(e) = self.commit() {
                            failure = fail(self, WRITING, e);
                        } else if let Err(e) = self.record_run(&end) {
                            failure = fail(self, "finishing the state", e);
                        }
                    }
                    let ok = failure.is_none();
                    if ack.send(failure.take()).is_ok() && ok {
                        // Nothing waits for these: the run's results are committed.
                        if let Err(e) = self.complete(end.bulk) {
                            failure = fail(self, "completing the state", e);
                        }
                    }
                    break;
                }
            }
        }
        // The queue closed without `Finish` (the run panicked): like a dropped connection,
        // roll back what is not committed.
        if !self.conn.is_autocommit() {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
        failure
    }

    /// Drops the files that are gone, marks duplicates and records the run, in one
    /// transaction.
    fn record_run(&mut self, end: &RunEnd) -> rusqlite::Result<()> {
        let tx = self.conn.transaction()?;
        for p in &end.gone {
            delete_file(&tx, p)?;
        }
        if end.bulk {
            // Every document was inserted by this run, none marked, and `documents(doc)`
            // is not built yet: one pass over the table marks them all.
            if !end.duplicates.is_empty() {
                tx.execute_batch(
                    "CREATE TEMP TABLE dups(doc TEXT NOT NULL, path TEXT NOT NULL, \
                     same_as TEXT NOT NULL, PRIMARY KEY (doc, path)) WITHOUT ROWID;",
                )?;
                {
                    // The last of equal (doc, path) wins, as with one UPDATE each.
                    let mut ins = tx.prepare(
                        "INSERT OR REPLACE INTO dups(same_as, doc, path) VALUES (?1, ?2, ?3)",
                    )?;
                    for (same_as, doc, path) in &end.duplicates {
                        ins.execute(params![same_as, doc, path])?;
                    }
                }
                tx.execute_batch(
                    "UPDATE documents SET duplicate_of = dups.same_as FROM dups \
                     WHERE dups.doc = documents.doc AND dups.path = documents.path; \
                     DROP TABLE dups;",
                )?;
            }
        } else {
            tx.execute(
                "UPDATE documents SET duplicate_of = NULL WHERE duplicate_of IS NOT NULL",
                [],
            )?;
            let mut dup = tx.prepare_cached(
                "UPDATE documents SET duplicate_of = ?1 WHERE doc = ?2 AND path = ?3",
            )?;
            for (same_as, doc, path) in &end.duplicates {
                dup.execute(params![same_as, doc, path])?;
            }
        }
        tx.execute(
            "UPDATE runs SET finished_at = ?2, files = ?3, reused = ?4, added = ?5, changed = ?6, \
             removed = ?7, articles = ?8 WHERE id = ?1",
            params![
                self.run.run_id,
                super::now(),
                end.files as i64,
                end.reused as i64,
                end.added as i64,
                end.changed as i64,
                end.removed as i64,
                end.articles as i64
            ],
        )?;
        tx.commit()
    }

    /// After the run is recorded: builds the indexes of a run that started from an empty
    /// state, once from the finished tables (see `schema::INDEXES`), in a transaction of
    /// their own, and folds the WAL back so the state is one self-contained file between
    /// runs. A failure here costs no result: a later run builds missing indexes.
    fn complete(&mut self, bulk: bool) -> rusqlite::Result<()> {
        if bulk {
            let tx = self.conn.transaction()?;
            schema::create_indexes(&tx)?;
            tx.commit()?;
        }
        if self.wal {
            // Whatever can be folded back without waiting: someone reading the state (a
            // transaction left open in `sqlite3`) would make a TRUNCATE checkpoint wait for
            // them as long as the busy timeout allows, at the end of every run; the next
            // run's checkpoints fold back the rest.
            self.conn.busy_timeout(std::time::Duration::ZERO)?;
            return self.checkpoint("TRUNCATE");
        }
        // A run written through a rollback journal leaves the file in WAL mode, as every
        // other run does: someone reading it between runs (`sqlite3`, a transaction left
        // open) would otherwise hold up the next run, whose switch to WAL needs the file to
        // itself. Nothing is copied; the next run finds it as it expects it.
        self.conn
            .query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))
    }

    /// Copies the WAL's committed pages into the database (`mode` as `PRAGMA
    /// wal_checkpoint` takes it); nothing to do with a rollback journal.
    fn checkpoint(&self, mode: &str) -> rusqlite::Result<()> {
        if !self.wal {
            return Ok(());
        }
        self.conn
            .query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |_| Ok(()))
    }

    /// Deletes a file's rows, in the open transaction (opened if need be).
    fn drop_file(&mut self, path: &str) -> rusqlite::Result<()> {
        if self.conn.is_autocommit() {
            self.begin()?;
        }
        if self.writing.as_ref().is_some_and(|w| w.path == path) {
            self.writing = None;
        }
        self.delete_rows(path)
    }

    /// Deletes a file's rows, then follows SQLite's numbering: deleted documents that held
    /// the largest ids give their ids to the next ones inserted.
    fn delete_rows(&mut self, path: &str) -> rusqlite::Result<()> {
        delete_file(&self.conn, path)?;
        self.next_doc = next_doc_id(&self.conn)?;
        Ok(())
    }

    /// Writes consecutive parts. Their rows are inserted together, so that the rows of small
    /// files (a `files` and a `parts` row, one document, a few mentions and sentences each)
    /// share multi-row statements: with one statement per row, the analyst rows were a
    /// quarter of a first run over a folder of small files; gathering the `files` and
    /// `parts` rows too took that run (104,675 files, 2 threads) from 2.9-3.0 to 2.6-2.8 s.
    fn store_parts(&mut self, parts: &[PartMsg]) -> rusqlite::Result<()> {
        let rows: Vec<Result<Vec<RowIn<'_>>, String>> = parts
            .iter()
            .map(|p| match &p.rows {
                Some(b) => read_rows(&b.0, p.documents),
                None => Ok(Vec::new()),
            })
            .collect();
        let mut pending = Pending::default();
        for (p, rows) in parts.iter().zip(&rows) {
            self.store_part(p, rows, &mut pending)?;
        }
        self.insert_rows(&mut pending)
    }

    /// Writes the next part of a file's fresh result; its `last` completes the file. Its
    /// rows join `pending`, which is inserted before anything else touches those tables (a
    /// delete, the update that completes a file of several parts, a commit) and after the
    /// last part of a message.
    fn store_part<'p>(
        &mut self,
        p: &'p PartMsg,
        rows: &'p Result<Vec<RowIn<'p>>, String>,
        pending: &mut Pending<'p>,
    ) -> rusqlite::Result<()> {
        let failure = |e: &String| rusqlite::Error::ToSqlConversionFailure(e.clone().into());
        let blob = p.blob.as_ref().map(|b| b.0.as_slice()).map_err(failure)?;
        let rows = rows.as_ref().map_err(failure)?;
        if self.conn.is_autocommit() {
            self.begin()?;
        }
        let path = p.path.as_str();
        let mut w = match self.writing.take() {
            Some(w) if w.path == path => w,
            stale => {
                // The pipeline never leaves a file unfinished, but if it did, the file's
                // incomplete rows must not stay behind for the rest of the run.
                if let Some(s) = stale {
                    self.insert_rows(pending)?;
                    self.delete_rows(&s.path)?;
                }
                // A new result replaces the old one, parts and documents too. Only a file
                // the state knew has rows (incomplete ones went when the state was opened).
                if p.known {
                    self.insert_rows(pending)?;
                    self.delete_rows(path)?;
                }
                Writing {
                    path: path.to_string(),
                    parts: 0,
                    documents: 0,
                    rejected: 0,
                    volatile: false,
                    failed: None,
                }
            }
        };
        let part = w.parts;
        w.parts += 1;
        w.documents += p.documents as u64;
        w.rejected += p.rejected;
        w.volatile |= p.volatile;
        if w.failed.is_none() {
            w.failed.clone_from(&p.failed);
        }
        if part == 0 {
            // A one-part file is decided before anything is written: most are.
            let row = if p.last { self.file_row(p, &w) } else { None };
            if p.last && row.is_none() {
                return self.part_written(0, pending);
            }
            let row = row.unwrap_or(FileRow {
                size: 0,
                mtime_ns: 0,
                hash: String::new(),
            });
            pending.files.push(FileIn {
                path,
                complete: p.last,
                size: row.size,
                mtime_ns: row.mtime_ns,
                hash: p.last.then_some(row.hash),
                failed: w.failed.clone(),
                documents: w.documents,
                rejected: w.rejected,
                volatile: w.volatile,
                parts: w.parts,
            });
        }
        self.write_part(path, part, p.documents, blob, rows, pending);
        if !p.last {
            self.writing = Some(w);
        } else if part > 0 {
            match self.file_row(p, &w) {
                Some(row) => {
                    // The row to update may still be pending.
                    self.insert_rows(pending)?;
                    self.conn
                        .prepare_cached(
                            "UPDATE files SET complete = 1, size = ?2, mtime_ns = ?3, \
                             content_hash = ?4, failed = ?5, documents = ?6, rejected = ?7, \
                             volatile = ?8, parts = ?9 WHERE path = ?1",
                        )?
                        .execute(params![
                            path,
                            row.size as i64,
                            row.mtime_ns,
                            row.hash,
                            w.failed,
                            w.documents as i64,
                            w.rejected as i64,
                            w.volatile as i64,
                            w.parts as i64,
                        ])?;
                }
                // Not reusable after all (it changed while it was read, or could not be
                // read to its end): drop what was written of it.
                None => {
                    self.insert_rows(pending)?;
                    self.delete_rows(path)?
                }
            }
        }
        let bytes = blob.len();
        self.part_written(bytes, pending)
    }

    /// Counts a part towards the transaction, committing when it is big enough.
    fn part_written(&mut self, bytes: usize, pending: &mut Pending<'_>) -> rusqlite::Result<()> {
        self.tx_parts += 1;
        self.tx_bytes += bytes;
        if self.tx_parts >= self.commit_parts || self.tx_bytes >= COMMIT_BYTES {
            self.insert_rows(pending)?;
            self.commit()?;
            // What SQLite's automatic checkpoint would do here; it is off on this connection
            // so that the last commits of a run leave theirs to `complete`, after the run
            // is recorded and while the reports are written.
            self.checkpoint("PASSIVE")?;
        }
        Ok(())
    }

    /// Opens a write transaction and applies the stats of reused files that moved.
    fn begin(&mut self) -> rusqlite::Result<()> {
        self.conn.execute_batch("BEGIN")?;
        let racy_after = self.run.started_ns - RACY_NS;
        for (path, s) in std::mem::take(&mut self.run.restat) {
            let mtime = if s.mtime_ns >= racy_after {
                0
            } else {
                s.mtime_ns
            };
            self.conn
                .prepare_cached("UPDATE files SET size = ?2, mtime_ns = ?3 WHERE path = ?1")?
                .execute(params![path, s.size as i64, mtime])?;
        }
        Ok(())
    }

    /// Commits the open transaction, if any (and the pending stat updates).
    fn commit(&mut self) -> rusqlite::Result<()> {
        if self.conn.is_autocommit() && !self.run.restat.is_empty() {
            self.begin()?;
        }
        if !self.conn.is_autocommit() {
            self.conn.execute_batch("COMMIT")?;
        }
        self.tx_parts = 0;
        self.tx_bytes = 0;
        Ok(())
    }

    /// What the `files` row of a file whose last part is `p` says, or `None` when its result
    /// must not be stored (not read, or not to its end; changed while it was read).
    fn file_row(&self, p: &PartMsg, w: &Writing) -> Option<FileRow> {
        // Not read (vanished, unreadable), or not to its end: nothing to reuse; the next run
        // tries again. The stamp is the file's as its handle gave it before it was read.
        let content = p.content.clone()?;
        let st = content.stamp?;
        // Stored in parts (a large JSONL file read in chunks, hashed as it was read): only
        // if it has not moved since the run began.
        if w.parts > 1 {
            match stat(&p.fs_path) {
                Some(now) if now.size == st.size && now.mtime_ns == st.mtime_ns => {}
                _ => return None,
            }
        }
        // A stat that moved while the file was read must not vouch for what was read, nor
        // one so recent that a rewrite in the same mtime tick would not show.
        let racy = st.mtime_ns >= self.run.started_ns - RACY_NS;
        let mtime_ns = if content.len == st.size && !racy {
            st.mtime_ns
        } else {
            0
        };
        Some(FileRow {
            size: content.len,
            mtime_ns,
            hash: content.hash,
        })
    }

    /// Gives one part's documents the ids SQLite will number them with (`next_doc`), for
    /// their mention and sentence rows; its encoded result and their rows (none when the
    /// state keeps no analyst tables) join `pending`.
    fn write_part<'p>(
        &mut self,
        path: &'p str,
        part: u32,
        documents: usize,
        blob: &'p [u8],
        rows: &'p [RowIn<'p>],
        pending: &mut Pending<'p>,
    ) {
        pending.parts.push((path, part, documents, blob));
        let first = self.next_doc;
        self.next_doc += rows.len() as i64;
        pending
            .docs
            .extend((first..).zip(rows).map(|(id, row)| (id, path, row)));
    }

    /// Inserts the pending rows, each table's in the order they were written, and empties
    /// `pending`.
    fn insert_rows(&mut self, pending: &mut Pending<'_>) -> rusqlite::Result<()> {
        if pending.is_empty() {
            return Ok(());
        }
        let conn = &self.conn;
        let run = self.run.run_id;
        self.files.rows(conn, &pending.files, |st, at, f| {
            st.raw_bind_parameter(at, f.path)?;
            st.raw_bind_parameter(at + 1, f.complete as i64)?;
            st.raw_bind_parameter(at + 2, f.size as i64)?;
            st.raw_bind_parameter(at + 3, f.mtime_ns)?;
            st.raw_bind_parameter(at + 4, &f.hash)?;
            st.raw_bind_parameter(at + 5, &f.failed)?;
            st.raw_bind_parameter(at + 6, f.documents as i64)?;
            st.raw_bind_parameter(at + 7, f.rejected as i64)?;
            st.raw_bind_parameter(at + 8, f.volatile as i64)?;
            st.raw_bind_parameter(at + 9, f.parts as i64)?;
            st.raw_bind_parameter(at + 10, run)
        })?;
        self.parts
            .rows(conn, &pending.parts, |st, at, &(path, part, docs, blob)| {
                st.raw_bind_parameter(at, path)?;
                st.raw_bind_parameter(at + 1, part as i64)?;
                st.raw_bind_parameter(at + 2, docs as i64)?;
                st.raw_bind_parameter(at + 3, blob)
            })?;
        let docs = &pending.docs[..];
        self.documents.rows(conn, docs, |st, at, &(_, path, d)| {
            st.raw_bind_parameter(at, path)?;
            st.raw_bind_parameter(at + 1, d.record.map(|n| n as i64))?;
            st.raw_bind_parameter(at + 2, d.doc)?;
            st.raw_bind_parameter(at + 3, d.title)?;
            // Date and hash written on the stack, not in a `String` each.
            match d.date {
                None => st.raw_bind_parameter(at + 4, None::<&str>)?,
                Some(day) => match crate::ingest::date::iso_bytes(day) {
                    Some(iso) => st.raw_bind_parameter(at + 4, Text(&iso))?,
                    None => st.raw_bind_parameter(at + 4, crate::ingest::date::iso(day))?,
                },
            }
            st.raw_bind_parameter(at + 5, d.date_source.as_str())?;
            let hash = crate::ingest::clean::hash_hex_bytes(&d.hash);
            st.raw_bind_parameter(at + 6, Text(&hash))
        })?;
        // The mention and sentence rows below name the documents by the ids given in
        // `write_part`; SQLite gave its own. They agree unless something else wrote to the
        // table, and then no row may name the wrong document.
        if let Some(&(last, _, _)) = docs.last() {
            let got = conn.last_insert_rowid();
            if got != last {
                return Err(rusqlite::Error::SqliteFailure(
                    rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_MISMATCH),
                    Some(format!(
                        "documents were numbered up to {got} where {last} was expected: \
                         the table was changed during the run"
                    )),
                ));
            }
        }
        let mentions: Vec<(i64, &MentionIn)> = docs
            .iter()
            .flat_map(|&(id, _, d)| d.mentions.iter().map(move |m| (id, m)))
            .collect();
        self.mentions.rows(
            conn,
            &mentions,
            |st, at, &(id, &(e, start, end, sentence))| {
                st.raw_bind_parameter(at, id)?;
                st.raw_bind_parameter(at + 1, e as i64)?;
                st.raw_bind_parameter(at + 2, start as i64)?;
                st.raw_bind_parameter(at + 3, end as i64)?;
                st.raw_bind_parameter(at + 4, sentence as i64)
            },
        )?;
        let sentences: Vec<(i64, &SentenceIn<'_>)> = docs
            .iter()
            .flat_map(|&(id, _, d)| d.sentences.iter().map(move |s| (id, s)))
            .collect();
        self.sentences.rows(
            conn,
            &sentences,
            |st, at, &(id, &(index, start, end, text))| {
                st.raw_bind_parameter(at, id)?;
                st.raw_bind_parameter(at + 1, index as i64)?;
                st.raw_bind_parameter(at + 2, start as i64)?;
                st.raw_bind_parameter(at + 3, end as i64)?;
                st.raw_bind_parameter(at + 4, text)
            },
        )?;
        pending.clear();
        Ok(())
    }
}
