//! Reading stored results ahead of the fold, on a thread of its own.
//!
//! A re-run that reuses most files spends most of its time reading parts back: fetching the
//! blob, decompressing and postcard decoding it (41% of a no-change re-run's instructions, measured
//! with callgrind on the 100 MB benchmark corpus), and folding it in (17%). The fold is in
//! walk order on one thread, so decoding there serialises the run; here a reader thread
//! with its own connection decodes the parts of the files `plan` chose to reuse, in walk
//! order, into a bounded queue, while the fold folds the ones before. Memory stays that of
//! `QUEUE` parts. (A second reader was tried: the fold became the bound, no faster.)
//!
//! Each part is read by a statement of its own (a primary-key lookup), the parts of one
//! batch in one read transaction, ended before the batch is sent: the reader never holds a
//! read transaction open while it waits on the queue, since a long-lived reader would stop
//! the writer's checkpoints from restarting the WAL, which would then grow with the run's
//! writes.
//!
//! Owns no decision: what a part means (`codec.rs`), whether a file is reused and what a
//! failure to read one does to the run (`mod.rs`) are not its business. It reads, decodes
//! and passes on, errors included, in the order it was given.

use std::sync::mpsc::{sync_channel, Receiver};
use std::sync::Arc;
use std::thread::JoinHandle;

use rusqlite::{Connection, OptionalExtension};

use super::codec;
use crate::pipeline::FileResult;

/// Messages waiting for the fold at most.
const QUEUE: usize = 4;
/// Parts read ahead are sent together until they hold this many documents or number
/// `GATHER_PARTS`: a part of a large file (a 1 MB chunk, about a thousand documents) goes
/// alone, as before, while the parts of small files (one article each) travel in batches.
/// One message per part woke the fold once per file, and on a re-run of a folder of
/// 104,675 small files the fold's thread was then idle a third of the time or more.
const GATHER_DOCS: usize = 256;
const GATHER_PARTS: usize = 64;

/// Reads part `part` of `path`'s stored result and decodes it.
pub fn read_part(conn: &Connection, path: &str, part: u32) -> Result<FileResult, String> {
    let mut stmt = conn
        .prepare_cached("SELECT result, documents FROM parts WHERE path = ?1 AND part = ?2")
        .map_err(|e| e.to_string())?;
    stmt.query_row(rusqlite::params![path, part], |row| {
        let blob = row.get_ref(0)?.as_blob()?;
        // Only sizes a list: a count that is not one is ignored, not an error.
        let docs = row
            .get::<_, i64>(1)
            .ok()
            .and_then(|n| usize::try_from(n).ok())
            .unwrap_or(0);
        Ok(codec::decode(blob, docs).map_err(|e| e.to_string()))
    })
    .optional()
    .map_err(|e| e.to_string())?
    .unwrap_or_else(|| Err(format!("part {part} is missing")))
}

/// What the reader sends: a file's parts in order, or why the next one could not be read
/// (the reader then goes on with the next file).
enum Msg {
    Part(FileResult),
    Failed(String),
}

/// The reader thread and the files it has yet to hand over.
pub struct Prefetch {
    /// (path, parts) of the files given to the reader, in the order it reads them; one list
    /// for both sides (a corpus of a million files has a million paths).
    files: Arc<[(String, u32)]>,
    /// How many of `files` the fold has taken.
    taken: usize,
    rx: Option<Receiver<Vec<Msg>>>,
    /// Received and not handed over yet, in order.
    ready: std::collections::VecDeque<Msg>,
    handle: Option<JoinHandle<()>>,
}

impl Prefetch {
    /// Starts reading the stored parts of `files` ((path, parts), in the order the fold
    /// will ask for them) over `conn`.
    pub fn spawn(conn: Connection, files: Vec<(String, u32)>) -> std::io::Result<Prefetch> {
        let (tx, rx) = sync_channel(QUEUE);
        let files: Arc<[(String, u32)]> = files.into();
        let list = Arc::clone(&files);
        let handle = std::thread::Builder::new()
            .name("newstrack-prefetch".into())
            .spawn(move || {
                let mut batch = Vec::new();
                let mut docs = 0;
                // Each statement on its own would open and close a read transaction (a
                // shared lock taken and released with `fcntl`, the WAL index read): a tenth
                // of the reader's time on a folder of small files, whose parts are a few
                // hundred bytes. Should one fail to open, statements read on their own.
                let mut read: Option<rusqlite::Transaction<'_>> = None;
                for (path, parts) in list.iter() {
                    for part in 0..*parts {
                        if read.is_none() {
                            read = conn.unchecked_transaction().ok();
                        }
                        let msg = match read_part(&conn, path, part) {
                            Ok(r) => {
                                docs += r.docs.len();
                                Msg::Part(r)
                            }
                            Err(e) => Msg::Failed(e),
                        };
                        let failed = matches!(msg, Msg::Failed(_));
                        batch.push(msg);
                        if docs >= GATHER_DOCS || batch.len() >= GATHER_PARTS {
                            docs = 0;
                            // Never wait on the queue inside the transaction.
                            if let Some(t) = read.take() {
                                // A commit that fails rolls back when dropped.
                                let _ = t.commit();
                            }
                            if tx.send(std::mem::take(&mut batch)).is_err() {
                                // The fold stopped taking parts: nothing left to do.
                                return;
                            }
                        }
                        if failed {
                            break;
                        }
                    }
                }
                if let Some(t) = read.take() {
                    let _ = t.commit();
                }
                if !batch.is_empty() {
                    let _ = tx.send(batch);
                }
            })?;
        Ok(Prefetch {
            files,
            taken: 0,
            rx: Some(rx),
            ready: std::collections::VecDeque::new(),
            handle: Some(handle),
        })
    }

    /// Whether `path` is the next file the reader hands over.
    pub fn is_next(&self, path: &str) -> bool {
        self.rx.is_some() && self.files.get(self.taken).is_some_and(|(p, _)| p == path)
    }

    /// Hands the next file's parts to `fold` (the flag marks the last); how many it handed
    /// over, and why it stopped early. Call only when [`is_next`](Self::is_next) says so.
    pub fn take(&mut self, fold: &mut dyn FnMut(FileResult, bool)) -> (u32, Result<(), String>) {
        let Some(rx) = &self.rx else {
            return (0, Err("the state's reader was stopped".into()));
        };
        let ready = &mut self.ready;
        let Some(&(_, parts)) = self.files.get(self.taken) else {
            return (0, Err("no stored result was read ahead for it".into()));
        };
        self.taken += 1;
        let mut n = 0;
        while n < parts {
            if ready.is_empty() {
                match rx.recv() {
                    Ok(batch) => ready.extend(batch),
                    Err(_) => return (n, Err("the state's reader stopped".into())),
                }
            }
            match ready.pop_front() {
                Some(Msg::Part(r)) => {
                    n += 1;
                    fold(r, n == parts);
                }
                Some(Msg::Failed(why)) => return (n, Err(why)),
                // A batch is never empty; receive the next one.
                None => {}
            }
        }
        (n, Ok(()))
    }

    /// Stops the reader (parts it read ahead are dropped) and waits for it.
    pub fn stop(&mut self) {
        // A reader blocked on the full queue wakes up with an error and returns.
        drop(self.rx.take());
        self.ready.clear();
        if let Some(h) = self.handle.take() {
            // It holds nothing that outlives it; a panic there has nothing to report that
            // the fold did not see as a closed queue.
            let _ = h.join();
        }
    }
}

impl Drop for Prefetch {
    fn drop(&mut self) {
        self.stop();
    }
}
