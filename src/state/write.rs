//! Writing fresh results into the state, part by part as the run folds them.
//!
//! A file's result arrives in parts (one for a whole file, one per chunk of a large JSONL
//! file). Each part goes straight into the open transaction: its encoded result into `parts`,
//! its documents into the analyst tables. Nothing is held back in memory, so the memory a
//! file costs is that of one part, whatever the file's size. Transactions are committed every
//! `COMMIT_PARTS` parts or `COMMIT_BYTES` bytes, so a commit may fall inside a file: its
//! `files` row says `complete = 0` until the transaction that holds its last part, and only
//! complete rows are ever reused. A run killed in between leaves an incomplete row behind,
//! which the next run deletes (with its parts and documents) before anything else.
//!
//! Must not touch: what the parts mean (it stores what the pipeline made), reuse decisions.

use rusqlite::params;

use super::{codec, hash_file, is_volatile, stat, State, RACY_NS};
use crate::ingest::walk::InputFile;
use crate::ingest::Content;
use crate::pipeline::FileResult;

/// Parts written per transaction at most.
const COMMIT_PARTS: usize = 64;
/// Encoded result bytes written per transaction at most (the analyst rows come on top): a
/// transaction's pages live in SQLite's cache and WAL until the commit.
const COMMIT_BYTES: usize = 16 << 20;

/// A file whose first parts are written (its `files` row is there, `complete = 0`).
pub(super) struct Writing {
    path: String,
    parts: u32,
    documents: u64,
    rejected: u64,
    volatile: bool,
    failed: Option<String>,
}

impl State {
    /// Deletes a file's rows, in the open transaction (opened if need be).
    pub(super) fn drop_file(&mut self, path: &str) -> rusqlite::Result<()> {
        if self.conn.is_autocommit() {
            self.begin()?;
        }
        delete_file(&self.conn, path)
    }
}

/// Deletes a file's rows from every table.
pub(super) fn delete_file(conn: &rusqlite::Connection, path: &str) -> rusqlite::Result<()> {
    const SQL: [&str; 6] = [
        "DELETE FROM mentions WHERE doc IN (SELECT id FROM documents WHERE path = ?1)",
        "DELETE FROM sentences WHERE doc IN (SELECT id FROM documents WHERE path = ?1)",
        "DELETE FROM counts WHERE doc IN (SELECT id FROM documents WHERE path = ?1)",
        "DELETE FROM documents WHERE path = ?1",
        "DELETE FROM parts WHERE path = ?1",
        "DELETE FROM files WHERE path = ?1",
    ];
    for sql in SQL {
        conn.prepare_cached(sql)?.execute([path])?;
    }
    Ok(())
}

/// What the `files` row of a complete file says.
struct FileRow {
    size: u64,
    mtime_ns: i64,
    hash: String,
}

impl State {
    /// Writes the next part of `file`'s fresh result; `last` completes the file.
    pub(super) fn store_part(
        &mut self,
        file: &InputFile,
        r: &FileResult,
        last: bool,
        entity_ids: &[String],
    ) -> rusqlite::Result<()> {
        if self.conn.is_autocommit() {
            self.begin()?;
        }
        let path = file.display.as_str();
        let mut w = match self.writing.take() {
            Some(w) if w.path == path => w,
            stale => {
                // The pipeline never leaves a file unfinished, but if it did, the file's
                // incomplete rows must not stay behind for the rest of the run.
                if let Some(s) = stale {
                    delete_file(&self.conn, &s.path)?;
                }
                // A new result replaces the old one, parts and documents too. Only a file
                // the state knew has rows (incomplete ones went when the state was opened).
                if self.known.contains_key(path) {
                    delete_file(&self.conn, path)?;
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
        w.documents += r.docs.len() as u64;
        w.rejected += r.rejected.len() as u64;
        w.volatile |= is_volatile(r);
        if w.failed.is_none() {
            w.failed.clone_from(&r.failed);
        }
        if part == 0 {
            // A one-part file is decided before anything is written: most are.
            let row = if last {
                self.file_row(file, r, &w)
            } else {
                None
            };
            if last && row.is_none() {
                return self.part_written(0);
            }
            let row = row.unwrap_or(FileRow {
                size: 0,
                mtime_ns: 0,
                hash: String::new(),
            });
            self.conn
                .prepare_cached(
                    "INSERT INTO files(path, complete, size, mtime_ns, content_hash, failed, \
                     documents, rejected, volatile, parts, run) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                )?
                .execute(params![
                    path,
                    last as i64,
                    row.size as i64,
                    row.mtime_ns,
                    last.then_some(&row.hash),
                    w.failed,
                    w.documents as i64,
                    w.rejected as i64,
                    w.volatile as i64,
                    w.parts as i64,
                    self.run_id
                ])?;
        }
        let bytes = self.write_part(path, part, r, entity_ids)?;
        if !last {
            self.writing = Some(w);
        } else if part > 0 {
            match self.file_row(file, r, &w) {
                Some(row) => {
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
                None => delete_file(&self.conn, path)?,
            }
        }
        self.part_written(bytes)
    }

    /// Counts a part towards the transaction, committing when it is big enough.
    fn part_written(&mut self, bytes: usize) -> rusqlite::Result<()> {
        self.tx_parts += 1;
        self.tx_bytes += bytes;
        if self.tx_parts >= COMMIT_PARTS || self.tx_bytes >= COMMIT_BYTES {
            self.commit()?;
        }
        Ok(())
    }

    /// Opens a write transaction and applies the stats of reused files that moved.
    fn begin(&mut self) -> rusqlite::Result<()> {
        self.conn.execute_batch("BEGIN")?;
        let racy_after = self.started_ns - RACY_NS;
        for (path, s) in std::mem::take(&mut self.restat) {
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
    pub(super) fn commit(&mut self) -> rusqlite::Result<()> {
        if self.conn.is_autocommit() && !self.restat.is_empty() {
            self.begin()?;
        }
        if !self.conn.is_autocommit() {
            self.conn.execute_batch("COMMIT")?;
        }
        self.tx_parts = 0;
        self.tx_bytes = 0;
        Ok(())
    }

    /// What the `files` row of a file whose last part is `r` says, or `None` when its result
    /// must not be stored (not read, or not to its end; changed while it was read).
    fn file_row(&self, file: &InputFile, r: &FileResult, w: &Writing) -> Option<FileRow> {
        let st = self.stats.get(&file.display)?;
        let content = match &r.content {
            Some(c) => c.clone(),
            // Read in chunks (a large JSONL file): hash it now, and only if it has not moved
            // since it was read.
            None if w.failed.is_none() => match (stat(&file.path), hash_file(&file.path)) {
                (Some(now), Some(hash)) if now.size == st.size && now.mtime_ns == st.mtime_ns => {
                    Content {
                        len: now.size,
                        hash,
                    }
                }
                _ => return None,
            },
            // Not read (vanished, unreadable): nothing to reuse; the next run tries again.
            None => return None,
        };
        // A stat that moved while the file was read must not vouch for what was read, nor
        // one so recent that a rewrite in the same mtime tick would not show.
        let racy = st.mtime_ns >= self.started_ns - RACY_NS;
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

    /// Writes one part's encoded result and its documents; returns the encoded size.
    fn write_part(
        &mut self,
        path: &str,
        part: u32,
        r: &FileResult,
        entity_ids: &[String],
    ) -> rusqlite::Result<usize> {
        let blob = codec::encode(r, &mut self.scratch)
            .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
        let conn = &self.conn;
        conn.prepare_cached(
            "INSERT INTO parts(path, part, documents, result) VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![path, part as i64, r.docs.len() as i64, blob])?;
        let mut ins_doc = conn.prepare_cached(
            "INSERT INTO documents(path, record, doc, title, date, date_source, text_hash) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        let mut ins_mention = conn.prepare_cached(
            "INSERT INTO mentions(doc, entity, start, \"end\", sentence) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        let mut ins_sentence = conn.prepare_cached(
            "INSERT INTO sentences(doc, sentence, start, \"end\", text) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        let mut ins_count =
            conn.prepare_cached("INSERT INTO counts(doc, entity, mentions) VALUES (?1, ?2, ?3)")?;
        let name = |e: u32| entity_ids.get(e as usize).map_or("?", |s| s.as_str());
        for (i, d) in r.docs.iter().enumerate() {
            let detail = r.details.get(i);
            ins_doc.execute(params![
                path,
                detail.and_then(|x| x.record).map(|n| n as i64),
                d.id,
                d.title,
                d.date.map(|x| x.to_string()),
                d.date_source.as_str(),
                crate::ingest::clean::hash_hex(&d.hash)
            ])?;
            let doc = conn.last_insert_rowid();
            for &(e, n) in &d.counts {
                ins_count.execute(params![doc, name(e), n as i64])?;
            }
            let Some(detail) = detail else { continue };
            for m in &detail.mentions {
                ins_mention.execute(params![
                    doc,
                    name(m.entity),
                    m.start as i64,
                    m.end as i64,
                    m.sentence as i64
                ])?;
            }
            for s in &detail.sentences {
                ins_sentence.execute(params![
                    doc,
                    s.index as i64,
                    s.start as i64,
                    s.end as i64,
                    s.text
                ])?;
            }
        }
        Ok(blob.len())
    }
}
