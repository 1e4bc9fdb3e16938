//! Streaming work distribution: units of work (whole files, or chunks of lines of a large
//! JSONL file) handed to every thread of a pool, results consumed strictly in input order.
//!
//! Owns the unit plan (which files are chunked, reading chunks at line ends and numbering
//! their lines), the reorder window that bounds memory (results are consumed as soon as all
//! earlier ones are, and no thread runs more than `WINDOW` units ahead of the consumer) and
//! the per-thread worker state, which lives for the whole run so caches stay warm. There are
//! no batch barriers: a thread that finishes a unit leaves its result and takes the next
//! one; if no thread is consuming, it first consumes everything that is ready, in order,
//! while the others go on. Knows nothing of articles, tagging or aggregates: the caller's
//! closures do that.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Read;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, PoisonError};

use crate::ingest::{clean, readahead, walk::InputFile, Content, Format, Stamp};
use crate::pool::BytePool;

/// Chunk size for large JSONL files: small enough that threads share the file evenly and a
/// chunk's articles stay a few megabytes, large enough that handing out units costs nothing.
const CHUNK_BYTES: usize = 1 << 20;

/// Units a thread may run ahead of the oldest unconsumed one.
const WINDOW: u64 = 64;

/// Chunk buffers given back (`recycle`) once their lines are parsed: eight (one in reading,
/// one per thread analysing, a few spare), none stretched by a long line past four chunks.
/// A fresh megabyte per chunk came from the system and went back to it (the allocator
/// returns large blocks soon after they are freed), a page fault and a zeroed page for
/// every 4 KB read.
static SPARE: BytePool = BytePool::new(8, 4 * CHUNK_BYTES);

/// Gives a chunk's buffer back for the next chunk to be read into.
pub fn recycle(bytes: Vec<u8>) {
    SPARE.give(bytes);
}

/// An empty buffer for a chunk, holding `carry` (the start of its first line).
fn chunk_buffer(carry: &[u8]) -> Vec<u8> {
    let mut buf = SPARE.take();
    buf.extend_from_slice(carry);
    buf
}

/// Environment variable overriding the chunk size (bytes), for tests and tuning; files
/// larger than twice the chunk size are chunked.
pub const CHUNK_ENV: &str = "NEWSTRACK_CHUNK_BYTES";

/// One piece of work.
pub enum Unit {
    /// A whole file, read by the worker.
    File { file: usize },
    /// Whole lines of a large JSONL file; `first_line` is 1-based. The last chunk of a file
    /// has `last` set (and may be empty), and, when asked for (`run_units`), `content`: the
    /// length and hash of every byte of the file, taken as they were read (the state records
    /// it; hashing the file again at its end would read it twice, after the run).
    Chunk {
        file: usize,
        bytes: Vec<u8>,
        first_line: u64,
        last: bool,
        content: Option<Content>,
    },
    /// A chunked file that could not be read to its end (or turned out to be binary).
    Failed { file: usize, reason: String },
}

struct OpenFile {
    file: usize,
    handle: File,
    carry: Vec<u8>,
    next_line: u64,
    /// Every byte handed out so far, when the content is asked for.
    hash: Option<blake3::Hasher>,
    len: u64,
    /// The file's stamp from its handle, before the first byte was read.
    stamp: Option<Stamp>,
}

/// Hands out units in input order. Reading happens here, under the planner's lock, a chunk
/// at a time: a page-cache read of a megabyte is a small fraction of analysing it.
struct Planner<'a> {
    files: &'a [InputFile],
    next_file: usize,
    open: Option<OpenFile>,
    chunk: usize,
    seq: u64,
    /// Hash chunked files as they are read (`Unit::Chunk::content`).
    content: bool,
}

impl Planner<'_> {
    fn next(&mut self) -> Option<Unit> {
        if let Some(open) = self.open.as_mut() {
            let (unit, done) = next_chunk(open, self.chunk);
            if done {
                self.open = None;
            }
            return Some(unit);
        }
        let idx = self.next_file;
        let f = self.files.get(idx)?;
        self.next_file += 1;
        if Format::from_path(&f.path) != Some(Format::JsonLines) {
            return Some(Unit::File { file: idx });
        }
        match std::fs::metadata(&f.path) {
            Ok(m) if m.len() > 2 * self.chunk as u64 => {}
            _ => return Some(Unit::File { file: idx }),
        }
        let Ok(mut handle) = File::open(&f.path) else {
            // The worker reports the error exactly as for any file.
            return Some(Unit::File { file: idx });
        };
        let stamp = handle.metadata().ok().map(|m| Stamp::of(&m));
        let mut head = vec![0u8; 8192];
        let n = match read_full(&mut handle, &mut head) {
            Ok(n) => n,
            Err(_) => return Some(Unit::File { file: idx }),
        };
        head.truncate(n);
        // UTF-16 must be decoded as a whole; binary files fail as a whole.
        if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) {
            return Some(Unit::File { file: idx });
        }
        if let Some(reason) = clean::looks_binary(&head) {
            return Some(Unit::Failed {
                file: idx,
                reason: reason.to_string(),
            });
        }
        let mut open = OpenFile {
            file: idx,
            handle,
            carry: head,
            next_line: 1,
            hash: self.content.then(blake3::Hasher::new),
            len: 0,
            stamp,
        };
        let (unit, done) = next_chunk(&mut open, self.chunk);
        if !done {
            self.open = Some(open);
        }
        Some(unit)
    }
}

/// Reads until `buf` is full or the file ends.
fn read_full(f: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// The next chunk of whole lines of `open`, and whether the file is done.
fn next_chunk(open: &mut OpenFile, chunk: usize) -> (Unit, bool) {
    let mut buf = chunk_buffer(&open.carry);
    open.carry.clear();
    let mut eof = false;
    // The carry of a previous chunk holds no newline; the head read at opening may.
    let mut newline = buf.contains(&b'\n');
    // At least `chunk` bytes, then up to the end of a line.
    while !(eof || buf.len() >= chunk && newline) {
        let have = buf.len();
        let want = if have < chunk {
            chunk - have
        } else {
            64 * 1024
        };
        // Read into spare capacity: zeroing a megabyte first would cost more than the read.
        buf.reserve_exact(want);
        match (&mut open.handle).take(want as u64).read_to_end(&mut buf) {
            Ok(n) => {
                eof = n < want;
                newline = newline || buf[have..].contains(&b'\n');
            }
            Err(e) => {
                let unit = Unit::Failed {
                    file: open.file,
                    reason: format!(
                        "cannot read file after line {}: {e}; the lines before were counted",
                        open.next_line.saturating_sub(1)
                    ),
                };
                return (unit, true);
            }
        }
    }
    let cut = if eof {
        buf.len()
    } else {
        buf.iter()
            .rposition(|&b| b == b'\n')
            .map_or(buf.len(), |p| p + 1)
    };
    open.carry.extend_from_slice(&buf[cut..]);
    buf.truncate(cut);
    let first_line = open.next_line;
    open.next_line += count_newlines(&buf);
    open.len += buf.len() as u64;
    let content = open.hash.as_mut().and_then(|h| {
        h.update(&buf);
        eof.then(|| Content {
            len: open.len,
            hash: h.finalize().to_hex().to_string(),
            stamp: open.stamp,
        })
    });
    let unit = Unit::Chunk {
        file: open.file,
        bytes: buf,
        first_line,
        last: eof,
        content,
    };
    (unit, eof)
}

/// Counted in blocks of 128 bytes with a byte counter, which the compiler turns into vector
/// code (a `filter().count()` widens every byte to a 64-bit count: eight times slower).
fn count_newlines(bytes: &[u8]) -> u64 {
    bytes
        .chunks(128)
        .map(|c| {
            c.iter()
                .fold(0u8, |n, &b| n.wrapping_add(u8::from(b == b'\n'))) as u64
        })
        .sum()
}

fn chunk_size() -> usize {
    crate::tuning::count_or(CHUNK_ENV, CHUNK_BYTES)
}

/// Results waiting for their turn, and whether a thread is folding them.
struct Reorder<R> {
    pending: BTreeMap<u64, R>,
    /// The next result to consume.
    next: u64,
    /// A thread is consuming (or `consume` asked to stop): the others leave their results
    /// here and go on.
    folding: bool,
}

/// Runs `process` on every unit of `files` across the threads of `pool`, each thread with
/// its own `W` for the whole run, and feeds the results to `consume` in input order. When
/// `consume` returns `false` the run stops: no unit is started or consumed after it.
/// `content`: the last chunk of a chunked file carries the hash of the file's bytes.
pub fn run_units<W, R, P, C>(
    pool: &rayon::ThreadPool,
    files: &[InputFile],
    content: bool,
    process: P,
    consume: C,
) where
    W: Default,
    R: Send,
    P: Fn(&mut W, &InputFile, Unit) -> R + Sync,
    C: FnMut(R) -> bool + Send,
{
    let planner = Mutex::new(Planner {
        files,
        next_file: 0,
        open: None,
        chunk: chunk_size(),
        seq: 0,
        content,
    });
    let wake = Condvar::new();
    // Threads waiting on `wake` for the window to move.
    let waiting = AtomicUsize::new(0);
    let consumed = AtomicU64::new(0);
    let reorder = Mutex::new(Reorder {
        pending: BTreeMap::new(),
        next: 0,
        folding: false,
    });
    // Taken only by the thread that folds (`Reorder::folding`), so never waited for.
    let consume = Mutex::new(consume);
    // Set when a thread dies of a panic (a bug: units catch their own), so the others stop
    // waiting for a result that will never come and the panic reaches the caller; also set
    // when `consume` stops the run.
    let aborted = AtomicBool::new(false);
    struct Abort<'a>(&'a AtomicBool, &'a Condvar);
    impl Drop for Abort<'_> {
        fn drop(&mut self) {
            if std::thread::panicking() {
                self.0.store(true, Ordering::Release);
                self.1.notify_all();
            }
        }
    }
    // On a cold disk, helpers ask for the next files' pages while the workers read these.
    readahead::with_readahead(files, |ahead| {
        pool.broadcast(|_| {
            let _abort = Abort(&aborted, &wake);
            let mut worker = W::default();
            loop {
                let (seq, unit) = {
                    let mut p = planner.lock().unwrap_or_else(PoisonError::into_inner);
                    while p.seq >= consumed.load(Ordering::SeqCst) + WINDOW {
                        if aborted.load(Ordering::Acquire) {
                            return;
                        }
                        // Counted, then the window checked again, before waiting: a thread that
                        // moves the window before the count sees the window moved here; one that
                        // moves it after sees the count and wakes this one (all `SeqCst`). The
                        // wait's timeout bounds what a missed wake-up would cost.
                        waiting.fetch_add(1, Ordering::SeqCst);
                        if p.seq < consumed.load(Ordering::SeqCst) + WINDOW {
                            waiting.fetch_sub(1, Ordering::SeqCst);
                            break;
                        }
                        p = wake
                            .wait_timeout(p, std::time::Duration::from_millis(100))
                            .unwrap_or_else(PoisonError::into_inner)
                            .0;
                        waiting.fetch_sub(1, Ordering::SeqCst);
                    }
                    if aborted.load(Ordering::Acquire) {
                        return;
                    }
                    let Some(unit) = p.next() else { break };
                    ahead.reached(p.next_file);
                    p.seq += 1;
                    (p.seq - 1, unit)
                };
                let file = match &unit {
                    Unit::File { file } | Unit::Chunk { file, .. } | Unit::Failed { file, .. } => {
                        *file
                    }
                };
                let r = process(&mut worker, &files[file], unit);
                {
                    let mut q = reorder.lock().unwrap_or_else(PoisonError::into_inner);
                    q.pending.insert(seq, r);
                    // Another thread is folding: it will find this result, and this thread need
                    // not wait for it (waiting here for the fold cost a folder of small files,
                    // where a unit is a few microseconds of work, a tenth of its run time:
                    // docs/performance.md, session 11).
                    if q.folding {
                        continue;
                    }
                    q.folding = true;
                }
                let mut consume = consume.lock().unwrap_or_else(PoisonError::into_inner);
                loop {
                    // Taken, or folding given up, under the same lock a result is left under, so
                    // a result left just after this thread gives up finds no one folding.
                    let (r, at) = {
                        let mut q = reorder.lock().unwrap_or_else(PoisonError::into_inner);
                        let at = q.next;
                        let Some(r) = q.pending.remove(&at) else {
                            q.folding = false;
                            break;
                        };
                        q.next = at + 1;
                        (r, at)
                    };
                    let go_on = (*consume)(r);
                    if !go_on {
                        // Stopping is an abort without a panic: every thread returns, and with
                        // `folding` left set no result is consumed after this one.
                        aborted.store(true, Ordering::Release);
                    }
                    consumed.fetch_max(at + 1, Ordering::SeqCst);
                    // Waking wakes no one most of the time, and costs a system call even then
                    // (one per unit, on a folder of small files one per file): only when someone
                    // waits.
                    if waiting.load(Ordering::SeqCst) > 0 {
                        let _p = planner.lock().unwrap_or_else(PoisonError::into_inner);
                        wake.notify_all();
                    }
                    if !go_on {
                        break;
                    }
                }
            }
        });
    });
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use super::*;

    #[test]
    fn newlines_counted_at_every_length() {
        let all_newlines = vec![b'\n'; 1000];
        let lines = b"{\"text\":\"a\"}\n\n\r\n".repeat(40);
        for bytes in [&all_newlines[..], &lines[..], b"no newline", b""] {
            for end in 0..=bytes.len() {
                let want = bytes[..end].iter().filter(|&&b| b == b'\n').count() as u64;
                assert_eq!(count_newlines(&bytes[..end]), want, "{end}");
            }
        }
    }

    fn files(n: usize) -> Vec<InputFile> {
        (0..n)
            .map(|i| InputFile {
                path: format!("x{i}.txt").into(),
                display: format!("x{i}.txt"),
            })
            .collect()
    }

    fn pool(threads: usize) -> rayon::ThreadPool {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
    }

    /// The file a whole-file unit is of, counting it as processed.
    fn index_of(processed: &AtomicUsize, unit: Unit) -> usize {
        processed.fetch_add(1, Ordering::SeqCst);
        match unit {
            Unit::File { file } => file,
            _ => usize::MAX,
        }
    }

    /// Chunks read into recycled buffers hold their own lines only: what a buffer held
    /// before is gone, and the chunks put together are the file.
    #[test]
    fn chunks_in_recycled_buffers_are_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.jsonl");
        let text: String = (0..2000)
            .map(|i| format!("{{\"text\":\"line {i}\"}}\n"))
            .collect();
        std::fs::write(&path, &text).unwrap();
        let files = [InputFile {
            path,
            display: "a.jsonl".into(),
        }];
        let mut planner = Planner {
            files: &files,
            next_file: 0,
            open: None,
            chunk: 1000,
            seq: 0,
            content: false,
        };
        let mut got = Vec::new();
        let mut chunks = 0;
        while let Some(unit) = planner.next() {
            recycle(b"what the buffer held before; ".repeat(100));
            let Unit::Chunk { bytes, .. } = unit else {
                panic!("a large JSONL file is read in chunks");
            };
            assert!(bytes.is_empty() || bytes.ends_with(b"\n"), "{chunks}");
            got.extend_from_slice(&bytes);
            recycle(bytes);
            chunks += 1;
        }
        assert!(chunks > 10, "{chunks}");
        assert_eq!(String::from_utf8(got).unwrap(), text);
    }

    #[test]
    fn consume_returning_false_stops_the_run() {
        // (threads, stop after the Nth result; 0 = never)
        for (threads, stop_at) in [(1, 5), (2, 5), (2, 1), (3, 0)] {
            let files = files(2000);
            let processed = AtomicUsize::new(0);
            let mut seen = Vec::new();
            run_units(
                &pool(threads),
                &files,
                false,
                |_: &mut (), _, unit| index_of(&processed, unit),
                |file| {
                    seen.push(file);
                    seen.len() != stop_at
                },
            );
            let case = format!("{threads} threads, stop at {stop_at}");
            let want = if stop_at == 0 { files.len() } else { stop_at };
            assert_eq!(seen, (0..want).collect::<Vec<_>>(), "{case}");
            // No thread starts a unit beyond the window once the consumer has stopped.
            let limit = want + WINDOW as usize + threads;
            assert!(processed.load(Ordering::SeqCst) <= limit, "{case}");
        }
    }

    #[test]
    fn threads_go_on_while_another_folds() {
        // The first result's consumer waits until every unit is processed: the other
        // thread must leave its results and go on rather than wait for the fold (it waited
        // on the fold's lock before, and this would time out).
        let n = WINDOW as usize / 2;
        let processed = AtomicUsize::new(0);
        let mut seen = Vec::new();
        let mut waited_out = false;
        run_units(
            &pool(2),
            &files(n),
            false,
            |_: &mut (), _, unit| index_of(&processed, unit),
            |file| {
                if seen.is_empty() {
                    waited_out = !wait_for(|| processed.load(Ordering::SeqCst) == n);
                }
                seen.push(file);
                true
            },
        );
        assert!(!waited_out, "the other thread waited for the fold");
        assert_eq!(seen, (0..n).collect::<Vec<_>>());
    }

    #[test]
    fn nothing_is_consumed_after_a_stop_with_results_waiting() {
        // The first result stops the run once every other one is waiting behind it, but
        // for the last, whose unit ends only after the stop: its thread, finding results
        // ready, must not consume them.
        let n = WINDOW as usize / 2;
        let processed = AtomicUsize::new(0);
        let stopped = AtomicBool::new(false);
        let mut seen = Vec::new();
        run_units(
            &pool(2),
            &files(n),
            false,
            |_: &mut (), _, unit| {
                let i = index_of(&processed, unit);
                if i == n - 1 {
                    assert!(wait_for(|| stopped.load(Ordering::SeqCst)));
                }
                i
            },
            |file| {
                assert!(wait_for(|| processed.load(Ordering::SeqCst) == n));
                seen.push(file);
                stopped.store(true, Ordering::SeqCst);
                false
            },
        );
        assert_eq!(seen, [0]);
    }

    /// Waits up to five seconds for `done`; whether it came.
    fn wait_for(done: impl Fn() -> bool) -> bool {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while !done() {
            if std::time::Instant::now() > deadline {
                return false;
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        true
    }
}
