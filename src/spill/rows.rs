//! `DocRows`: the rows of `documents.csv` (one per counted document), kept in a bounded
//! memory buffer and in sorted runs on disk, and read back as one sorted stream by a k-way
//! merge when the file is written.
//!
//! Owns the row order, the on-disk encoding of a row and the runs' files. Rows are
//! ordered by a total order on their whole content (doc id, path, then the other fields),
//! so any split of the rows over buffers, runs and merged stores reads back the same
//! sequence: `Aggregate::merge` stays associative and commutative. Without a spill folder
//! (`DocRows::default`, as in unit tests and `merge`) every row stays in memory.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::PathBuf;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{SpillDir, SpillError};
use crate::aggregate::DocRow;
use crate::ingest::DateSource;
use chrono::NaiveDate;

/// Runs kept before they are merged into one: bounds the files open, and their read buffers,
/// when the rows are read back (64 runs of the default budget are about 2.5 million documents).
const MAX_RUNS: usize = 64;
const READ_BUF: usize = 64 << 10;
const WRITE_BUF: usize = 256 << 10;

/// The order rows are written in: by document id and path (what a reader of documents.csv
/// sees), then by the rest of the row, so rows sharing an id and path (records of one file
/// with the same `id` field) come out the same whatever order they were folded in. Rows it
/// calls equal are identical, so sorts need not be stable (an unstable sort allocates
/// nothing, where a stable one would take half the buffer again).
pub fn row_order(a: &DocRow, b: &DocRow) -> Ordering {
    a.doc
        .cmp(&b.doc)
        .then_with(|| a.path.cmp(&b.path))
        .then_with(|| a.date.cmp(&b.date))
        .then_with(|| a.date_source.as_str().cmp(b.date_source.as_str()))
        .then_with(|| a.title.cmp(&b.title))
        .then_with(|| a.counts.cmp(&b.counts))
}

/// Sorts `rows` into [`row_order`]. A comparison sort of the rows themselves (about 100 bytes
/// each, compared by their id strings first) took about 1% of a run's instructions (5.1M of
/// 605M on the 5 MB benchmark slice, against 1.85M now). Here the sort works on
/// (key, index) pairs, where the key is the eight bytes of the document id that follow the
/// prefix every id in `rows` shares ("c0-12…", "reut2-000.sgm#…"), read as one big-endian
/// integer: equal keys go to `row_order`, so the order is exactly its order (ids compare as
/// their suffixes past a common prefix, and an integer of the next eight bytes, zero-padded,
/// never orders two ids against their byte order). The rows are then moved into place along
/// the permutation's cycles, each once.
pub fn sort_rows(rows: &mut [DocRow]) {
    let n = rows.len();
    if n < 2 {
        return;
    }
    let first = rows[0].doc.as_bytes();
    let shared = rows[1..].iter().fold(first.len(), |len, r| {
        first[..len]
            .iter()
            .zip(r.doc.as_bytes())
            .take_while(|(a, b)| a == b)
            .count()
    });
    let key = |r: &DocRow| {
        let rest = &r.doc.as_bytes()[shared..];
        let mut k = [0u8; 8];
        let m = rest.len().min(8);
        k[..m].copy_from_slice(&rest[..m]);
        u64::from_be_bytes(k)
    };
    let mut order: Vec<(u64, u32)> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| (key(r), i as u32))
        .collect();
    order.sort_unstable_by(|a, b| {
        a.0.cmp(&b.0)
            .then_with(|| row_order(&rows[a.1 as usize], &rows[b.1 as usize]))
    });
    // Position p takes the row now at `from[p]`; a visited position is marked `DONE`.
    const DONE: u32 = u32::MAX;
    let mut from: Vec<u32> = order.into_iter().map(|(_, i)| i).collect();
    for start in 0..n {
        let mut at = start;
        while from[at] != DONE {
            let next = from[at] as usize;
            from[at] = DONE;
            if next == start {
                break;
            }
            rows.swap(at, next);
            at = next;
        }
    }
}

/// Memory a row holds, counted against the spill budget.
pub(crate) fn row_bytes(r: &DocRow) -> usize {
    std::mem::size_of::<DocRow>()
        + r.doc.capacity()
        + r.path.capacity()
        + r.title.capacity()
        + r.counts.capacity() * std::mem::size_of::<(u32, u32)>()
}

/// Where and when a store spills.
#[derive(Debug, Clone)]
struct Target {
    dir: Arc<SpillDir>,
    limit: usize,
}

/// One sorted run on disk; the file is removed when the last store sharing it is dropped.
#[derive(Debug)]
struct Run {
    path: PathBuf,
    rows: u64,
    _dir: Arc<SpillDir>,
}

impl Drop for Run {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// The per-document rows of a run or of any part of one.
#[derive(Default)]
pub struct DocRows {
    /// Rows not yet written out, in arrival order.
    buf: Vec<DocRow>,
    buf_bytes: usize,
    /// Sorted runs, immutable once written, so clones share them.
    runs: Vec<Arc<Run>>,
    target: Option<Target>,
    /// The first failure to write a run. Rows then stay in memory (nothing is lost) and the
    /// pipeline, which checks after every file, stops the run with this error.
    error: Option<SpillError>,
}

impl DocRows {
    /// A store that writes a sorted run into `dir` whenever its buffered rows reach `limit`
    /// bytes.
    pub fn spilling(dir: Arc<SpillDir>, limit: usize) -> DocRows {
        DocRows {
            target: Some(Target { dir, limit }),
            ..Default::default()
        }
    }

    pub fn push(&mut self, row: DocRow) {
        self.buf_bytes += row_bytes(&row);
        self.buf.push(row);
        self.maybe_spill();
    }

    /// Takes over every row of `other` (and its spill folder if this store has none).
    pub fn absorb(&mut self, other: DocRows) {
        if self.target.is_none() {
            self.target = other.target;
        }
        if self.error.is_none() {
            self.error = other.error;
        }
        self.runs.extend(other.runs);
        self.buf_bytes += other.buf_bytes;
        self.buf.extend(other.buf);
        self.maybe_spill();
    }

    /// Sorts the buffered rows (only the order of `iter` counts; this makes stores that hold
    /// everything in memory canonical in `Debug` too).
    pub fn sort(&mut self) {
        sort_rows(&mut self.buf);
    }

    /// Rows held, in memory and on disk.
    pub fn len(&self) -> u64 {
        self.buf.len() as u64 + self.runs.iter().map(|r| r.rows).sum::<u64>()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Sorted runs on disk.
    pub fn runs(&self) -> usize {
        self.runs.len()
    }

    /// Rows held in memory.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// The failure that stopped spilling, if any.
    pub fn error(&self) -> Option<&SpillError> {
        self.error.as_ref()
    }

    /// Every row, in `row_order`.
    pub fn iter(&self) -> Result<Rows<'_>, SpillError> {
        Rows::new(&self.buf, &self.runs)
    }

    fn maybe_spill(&mut self) {
        if self.error.is_some() {
            return;
        }
        let Some(t) = &self.target else {
            return;
        };
        if self.buf_bytes >= t.limit && !self.buf.is_empty() {
            sort_rows(&mut self.buf);
            match write_run(&t.dir, self.buf.iter().map(|r| Ok(Cow::Borrowed(r)))) {
                Ok(run) => {
                    self.runs.push(Arc::new(run));
                    self.buf.clear();
                    self.buf_bytes = 0;
                }
                Err(e) => {
                    self.error = Some(e);
                    return;
                }
            }
        }
        if self.runs.len() > MAX_RUNS {
            let merged = Rows::new(&[], &self.runs)
                .and_then(|rows| write_run(&t.dir, rows.map(|r| r.map(Cow::Owned))));
            match merged {
                Ok(run) => self.runs = vec![Arc::new(run)],
                Err(e) => self.error = Some(e),
            }
        }
    }
}

/// Writes `rows` (already in order) as a new run; a failed run leaves no file behind.
fn write_run<'r, I>(dir: &Arc<SpillDir>, rows: I) -> Result<Run, SpillError>
where
    I: Iterator<Item = Result<Cow<'r, DocRow>, SpillError>>,
{
    // Built first, so its `Drop` removes the file on every error below.
    let mut run = Run {
        path: dir.file("rows"),
        rows: 0,
        _dir: dir.clone(),
    };
    let file = File::create(&run.path).map_err(|e| SpillError::write(&run.path, e))?;
    let mut w = BufWriter::with_capacity(WRITE_BUF, file);
    let mut scratch = Vec::new();
    for row in rows {
        encode(row?.as_ref(), &mut w, &mut scratch).map_err(|e| SpillError::write(&run.path, e))?;
        run.rows += 1;
    }
    w.flush().map_err(|e| SpillError::write(&run.path, e))?;
    Ok(run)
}

/// A row as the runs hold it: `DocRow` with the date as a day number. chrono's serde form is
/// text, and formatting and parsing it was a tenth of the time spent writing `documents.csv`
/// (where the rows are read back) and of spilling them. (`DocRow`'s own serde form is that of
/// the partial files, which is why it is not changed there.)
#[derive(Serialize)]
struct RowOut<'a> {
    doc: &'a str,
    path: &'a str,
    #[serde(with = "crate::ingest::date::days")]
    date: Option<NaiveDate>,
    date_source: DateSource,
    title: &'a str,
    counts: &'a [(u32, u32)],
}

/// [`RowOut`] read back.
#[derive(Deserialize)]
struct RowIn {
    doc: String,
    path: String,
    #[serde(with = "crate::ingest::date::days")]
    date: Option<NaiveDate>,
    date_source: DateSource,
    title: String,
    counts: Vec<(u32, u32)>,
}

/// A row on disk: its length (u32, little-endian), then the row ([`RowOut`]) in postcard, the
/// compact serde format the state's parts use too. The files live only for one run, so the
/// layout needs no version.
fn encode<W: Write>(r: &DocRow, w: &mut W, scratch: &mut Vec<u8>) -> io::Result<()> {
    scratch.clear();
    let row = RowOut {
        doc: &r.doc,
        path: &r.path,
        date: r.date,
        date_source: r.date_source,
        title: &r.title,
        counts: &r.counts,
    };
    let bytes = postcard::to_extend(&row, std::mem::take(scratch))
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    let n = u32::try_from(bytes.len())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "a row over 4 GB"))?;
    w.write_all(&n.to_le_bytes())?;
    w.write_all(&bytes)?;
    *scratch = bytes;
    Ok(())
}

fn decode<R: Read>(r: &mut R, scratch: &mut Vec<u8>) -> io::Result<DocRow> {
    let mut len = [0u8; 4];
    r.read_exact(&mut len)?;
    scratch.resize(u32::from_le_bytes(len) as usize, 0);
    r.read_exact(scratch)?;
    let row: RowIn =
        postcard::from_bytes(scratch).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
    Ok(DocRow {
        doc: row.doc,
        path: row.path,
        date: row.date,
        date_source: row.date_source,
        title: row.title,
        counts: row.counts,
    })
}

/// Reads one run back, row by row.
struct RunReader<'a> {
    run: &'a Run,
    r: BufReader<File>,
    left: u64,
    scratch: Vec<u8>,
}

impl RunReader<'_> {
    fn next(&mut self) -> Option<Result<DocRow, SpillError>> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        Some(
            decode(&mut self.r, &mut self.scratch).map_err(|e| SpillError::read(&self.run.path, e)),
        )
    }
}

/// The smallest unread row of one source; the heap's top is the smallest of all.
struct Head {
    row: DocRow,
    src: usize,
}

impl Ord for Head {
    fn cmp(&self, o: &Self) -> Ordering {
        // Reversed: `BinaryHeap` is a max-heap.
        row_order(&o.row, &self.row).then_with(|| o.src.cmp(&self.src))
    }
}
impl PartialOrd for Head {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl PartialEq for Head {
    fn eq(&self, o: &Self) -> bool {
        self.cmp(o) == Ordering::Equal
    }
}
impl Eq for Head {}

/// Every row of a store in `row_order`: the sorted buffer and the runs, merged.
pub struct Rows<'a> {
    mem: std::vec::IntoIter<&'a DocRow>,
    readers: Vec<RunReader<'a>>,
    heap: BinaryHeap<Head>,
    failed: bool,
}

impl<'a> Rows<'a> {
    fn new(buf: &'a [DocRow], runs: &'a [Arc<Run>]) -> Result<Rows<'a>, SpillError> {
        let mut mem: Vec<&DocRow> = buf.iter().collect();
        mem.sort_unstable_by(|a, b| row_order(a, b));
        let mut readers = Vec::with_capacity(runs.len());
        for run in runs {
            let f = File::open(&run.path).map_err(|e| SpillError::read(&run.path, e))?;
            readers.push(RunReader {
                run,
                r: BufReader::with_capacity(READ_BUF, f),
                left: run.rows,
                scratch: Vec::new(),
            });
        }
        let mut rows = Rows {
            mem: mem.into_iter(),
            readers,
            heap: BinaryHeap::with_capacity(runs.len() + 1),
            failed: false,
        };
        for src in 0..=rows.readers.len() {
            if let Some(row) = rows.pull(src) {
                rows.heap.push(Head { row: row?, src });
            }
        }
        Ok(rows)
    }

    /// The next row of source `src` (the runs, then the buffer).
    fn pull(&mut self, src: usize) -> Option<Result<DocRow, SpillError>> {
        match self.readers.get_mut(src) {
            Some(r) => r.next(),
            None => self.mem.next().map(|r| Ok(r.clone())),
        }
    }
}

impl Iterator for Rows<'_> {
    type Item = Result<DocRow, SpillError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let Head { row, src } = self.heap.pop()?;
        match self.pull(src) {
            Some(Ok(next)) => self.heap.push(Head { row: next, src }),
            Some(Err(e)) => {
                self.failed = true;
                return Some(Err(e));
            }
            None => {}
        }
        Some(Ok(row))
    }
}

impl Clone for DocRows {
    fn clone(&self) -> DocRows {
        DocRows {
            buf: self.buf.clone(),
            buf_bytes: self.buf_bytes,
            runs: self.runs.clone(),
            target: self.target.clone(),
            error: self.error.clone(),
        }
    }
}

/// Equal rows in the same order, wherever they are held. Rows that cannot be read back
/// compare unequal.
impl PartialEq for DocRows {
    fn eq(&self, other: &DocRows) -> bool {
        if self.len() != other.len() {
            return false;
        }
        match (self.iter(), other.iter()) {
            (Ok(a), Ok(b)) => a
                .zip(b)
                .all(|pair| matches!(pair, (Ok(x), Ok(y)) if x == y)),
            _ => false,
        }
    }
}
impl Eq for DocRows {}

impl std::fmt::Debug for DocRows {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.iter() {
            Ok(rows) => f.debug_list().entries(rows).finish(),
            Err(e) => write!(f, "DocRows({e})"),
        }
    }
}

impl Serialize for DocRows {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{Error, SerializeSeq};
        let mut seq = s.serialize_seq(Some(self.len() as usize))?;
        for row in self.iter().map_err(S::Error::custom)? {
            seq.serialize_element(&row.map_err(S::Error::custom)?)?;
        }
        seq.end()
    }
}

impl<'de> Deserialize<'de> for DocRows {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<DocRows, D::Error> {
        let buf = Vec::<DocRow>::deserialize(d)?;
        Ok(DocRows {
            buf_bytes: buf.iter().map(row_bytes).sum(),
            buf,
            ..Default::default()
        })
    }
}
