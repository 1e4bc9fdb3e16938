//! `DedupIndex`: which content hashes a run has counted, and the id of the first document
//! with each, at about 8 to 16 bytes of memory per distinct document.
//!
//! Owns an open-addressing table of 64-bit slots (a 32-bit tag of the hash and the
//! document's number) and a file of fixed-size records (the full 128-bit hash and where the
//! document's id lies in a second file of ids). A tag match is checked against the full
//! hash on disk, and only a confirmed duplicate, which is rare, reads an id back; growing the
//! table re-reads the hashes in one sequential pass. Decides nothing about what a duplicate
//! is: the caller asks in its fixed fold order.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::sync::Arc;

use super::{SpillDir, SpillError};

/// Bytes of a record: hash (16), offset of the id in the ids file (8), its length (4).
const RECORD: u64 = 28;
const FIRST_SLOTS: usize = 1 << 10;
const WRITE_BUF: usize = 64 << 10;

/// A file written through a buffer and read back through a second handle.
struct Spilled {
    path: PathBuf,
    w: BufWriter<File>,
    r: File,
    /// Bytes written (buffered or not).
    len: u64,
    /// Bytes known to be in the file, readable through `r`.
    flushed: u64,
}

impl Spilled {
    fn create(path: PathBuf) -> Result<Spilled, SpillError> {
        let w = File::create(&path).map_err(|e| SpillError::write(&path, e))?;
        let r = File::open(&path).map_err(|e| SpillError::read(&path, e))?;
        Ok(Spilled {
            w: BufWriter::with_capacity(WRITE_BUF, w),
            r,
            path,
            len: 0,
            flushed: 0,
        })
    }

    fn append(&mut self, bytes: &[u8]) -> Result<(), SpillError> {
        self.w
            .write_all(bytes)
            .map_err(|e| SpillError::write(&self.path, e))?;
        self.len += bytes.len() as u64;
        Ok(())
    }

    /// Makes every byte written so far readable.
    fn flush(&mut self) -> Result<(), SpillError> {
        if self.flushed < self.len {
            self.w
                .flush()
                .map_err(|e| SpillError::write(&self.path, e))?;
            self.flushed = self.len;
        }
        Ok(())
    }

    fn read_at(&mut self, at: u64, buf: &mut [u8]) -> Result<(), SpillError> {
        if at + buf.len() as u64 > self.flushed {
            self.flush()?;
        }
        let path = &self.path;
        self.r
            .seek(SeekFrom::Start(at))
            .and_then(|_| self.r.read_exact(buf))
            .map_err(|e| SpillError::read(path, e))
    }
}

/// The exact-duplicate index of one run.
pub struct DedupIndex {
    /// 0: empty; else the hash's tag (high 32 bits) and the document's number + 1.
    slots: Vec<u64>,
    docs: u32,
    records: Spilled,
    ids: Spilled,
    _dir: Arc<SpillDir>,
}

/// Where a hash starts probing, and the tag kept in its slot: from different bits, so a tag
/// match is a 1 in 4 billion accident unless the hash is the same. Mixed, because tests and
/// hand-made inputs do not always use uniform hashes.
fn position_and_tag(h: &[u8; 16]) -> (u64, u32) {
    let a = u64::from_le_bytes([h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7]]);
    let b = u64::from_le_bytes([h[8], h[9], h[10], h[11], h[12], h[13], h[14], h[15]]);
    let pos = (a ^ b.rotate_left(29)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let tag = (b ^ a.rotate_left(17)).wrapping_mul(0xD6E8_FEB8_6659_FD93) >> 32;
    (pos, tag as u32)
}

impl DedupIndex {
    pub fn new(dir: Arc<SpillDir>) -> Result<DedupIndex, SpillError> {
        Ok(DedupIndex {
            slots: vec![0; FIRST_SLOTS],
            docs: 0,
            records: Spilled::create(dir.file("dedup-hashes"))?,
            ids: Spilled::create(dir.file("dedup-ids"))?,
            _dir: dir,
        })
    }

    /// Distinct hashes recorded.
    pub fn len(&self) -> u32 {
        self.docs
    }

    pub fn is_empty(&self) -> bool {
        self.docs == 0
    }

    /// The id of the first document recorded with `hash`; when there is none, records `id`
    /// as that first document and returns `None`.
    pub fn first_or_insert(
        &mut self,
        hash: &[u8; 16],
        id: &str,
    ) -> Result<Option<String>, SpillError> {
        let (pos, tag) = position_and_tag(hash);
        let mask = self.slots.len() - 1;
        let mut i = (pos >> (64 - self.slots.len().trailing_zeros())) as usize & mask;
        loop {
            let slot = self.slots[i];
            if slot == 0 {
                break;
            }
            if (slot >> 32) as u32 == tag {
                let doc = (slot as u32) - 1;
                let (stored, off, len) = self.record(doc)?;
                if &stored == hash {
                    return self.id(off, len).map(Some);
                }
            }
            i = (i + 1) & mask;
        }
        let doc = self.docs;
        if doc == u32::MAX - 1 {
            return Err(SpillError::TooManyDocuments {
                max: u32::MAX as u64 - 1,
            });
        }
        let len = u32::try_from(id.len()).map_err(|_| {
            SpillError::write(
                &self.ids.path,
                io::Error::new(io::ErrorKind::InvalidInput, "a document id over 4 GB"),
            )
        })?;
        let mut rec = [0u8; RECORD as usize];
        rec[..16].copy_from_slice(hash);
        rec[16..24].copy_from_slice(&self.ids.len.to_le_bytes());
        rec[24..].copy_from_slice(&len.to_le_bytes());
        self.ids.append(id.as_bytes())?;
        self.records.append(&rec)?;
        self.slots[i] = (tag as u64) << 32 | (doc as u64 + 1);
        self.docs += 1;
        // Grown at 3/4 full: linear probing stays short.
        if self.docs as usize * 4 >= self.slots.len() * 3 {
            self.grow()?;
        }
        Ok(None)
    }

    fn record(&mut self, doc: u32) -> Result<([u8; 16], u64, u32), SpillError> {
        let mut rec = [0u8; RECORD as usize];
        self.records.read_at(doc as u64 * RECORD, &mut rec)?;
        Ok(unpack(&rec))
    }

    fn id(&mut self, off: u64, len: u32) -> Result<String, SpillError> {
        let mut buf = vec![0u8; len as usize];
        self.ids.read_at(off, &mut buf)?;
        String::from_utf8(buf).map_err(|_| {
            SpillError::read(
                &self.ids.path,
                io::Error::new(io::ErrorKind::InvalidData, "a document id is not UTF-8"),
            )
        })
    }

    /// Doubles the table, placing every document again from its hash on disk.
    fn grow(&mut self) -> Result<(), SpillError> {
        self.records.flush()?;
        let path = &self.records.path;
        let mut f = &self.records.r;
        f.seek(SeekFrom::Start(0))
            .map_err(|e| SpillError::read(path, e))?;
        let mut r = BufReader::with_capacity(1 << 16, f);
        let mut slots = vec![0u64; self.slots.len() * 2];
        let bits = slots.len().trailing_zeros();
        let mask = slots.len() - 1;
        let mut rec = [0u8; RECORD as usize];
        for doc in 0..self.docs {
            r.read_exact(&mut rec)
                .map_err(|e| SpillError::read(path, e))?;
            let (hash, _, _) = unpack(&rec);
            let (pos, tag) = position_and_tag(&hash);
            let mut i = (pos >> (64 - bits)) as usize & mask;
            while slots[i] != 0 {
                i = (i + 1) & mask;
            }
            slots[i] = (tag as u64) << 32 | (doc as u64 + 1);
        }
        self.slots = slots;
        Ok(())
    }
}

impl Drop for DedupIndex {
    fn drop(&mut self) {
        // The index is done with before the report is written: its files need not wait for
        // the folder to go.
        let _ = std::fs::remove_file(&self.records.path);
        let _ = std::fs::remove_file(&self.ids.path);
    }
}

fn unpack(rec: &[u8; RECORD as usize]) -> ([u8; 16], u64, u32) {
    let mut hash = [0u8; 16];
    hash.copy_from_slice(&rec[..16]);
    let off = u64::from_le_bytes(rec[16..24].try_into().unwrap_or_default());
    let len = u32::from_le_bytes(rec[24..28].try_into().unwrap_or_default());
    (hash, off, len)
}
