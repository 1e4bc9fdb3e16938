//! Spill: temporary files that keep per-document data of a run out of memory, so a run's
//! memory does not grow with the number of documents (issue 4: peak RSS under 200 MB for a
//! 1 GB corpus; issue 5: bounded memory over a 1 GB folder).
//!
//! Owns the run's temporary folder (`SpillDir`), the sorted-run store of `documents.csv` rows
//! (`rows::DocRows`) and the exact-duplicate index (`dedup::DedupIndex`). Knows nothing of
//! ingest, tagging or report formats; the aggregate holds a `DocRows`, the pipeline a
//! `DedupIndex`, and the CSV report reads the rows back in order.
//!
//! Where the files live: in a hidden folder `.newstrack-spill-<pid>-<n>` inside the run's
//! out folder (`RunOptions::spill_dir`; library callers that give none get the system temp
//! folder). The out folder is on the disk that must hold `documents.csv` anyway, and the
//! spilled rows are about that size; the system temp folder is often a RAM-backed tmpfs,
//! where spilling would only move the memory elsewhere. The folder and its files are
//! removed when the last value using them is dropped, on success and on error alike. A run
//! killed outright (kill -9, power loss) cannot clean up; each folder holds a locked `lock`
//! file, so the next run over the same out folder removes folders whose lock is free.

pub mod dedup;
pub mod rows;

pub use dedup::DedupIndex;
pub use rows::DocRows;

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Environment variable overriding how many bytes of rows are kept in memory before a sorted
/// run is written, for tests and tuning (output never depends on it).
pub const SPILL_ENV: &str = "NEWSTRACK_SPILL_BYTES";

/// Rows kept in memory before they are written out: about 40,000 documents of the
/// benchmark corpus. Small next to the 200 MB budget, large enough that a 1 GB corpus makes
/// under 30 runs (runs are merged once there are 64).
pub const SPILL_BYTES: usize = 8 << 20;

/// Name prefix of a run's temporary folder; `.newstrack-spilling-` while it is being set up.
const PREFIX: &str = ".newstrack-spill-";
const STAGING: &str = ".newstrack-spilling-";

/// The in-memory row budget: `NEWSTRACK_SPILL_BYTES` when set to a positive number.
pub fn spill_limit() -> usize {
    crate::tuning::count_or(SPILL_ENV, SPILL_BYTES)
}

/// Why temporary files could not be used. Each names the path and says how to fix it. The
/// I/O error is part of the message, not a `source`: printed with its chain it would appear
/// twice.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SpillError {
    #[error("cannot create a folder for temporary files in {}: {cause}; a run keeps per-document data there until its reports are written: make that folder writable, or choose another --out", parent.display())]
    CreateDir {
        parent: PathBuf,
        cause: Arc<io::Error>,
    },
    #[error("cannot write temporary file {}: {cause}; a run keeps per-document data there until its reports are written (about the size of documents.csv): free space on that disk, or choose an --out on a disk with room", path.display())]
    Write {
        path: PathBuf,
        cause: Arc<io::Error>,
    },
    #[error("cannot read temporary file {}: {cause}; it was removed or changed while the run used it: leave the out folder's .newstrack-spill-* folders alone during a run, and run again", path.display())]
    Read {
        path: PathBuf,
        cause: Arc<io::Error>,
    },
    #[error("more than {max} distinct documents in one run: split the input into several runs, or use `newstrack map`/`merge`")]
    TooManyDocuments { max: u64 },
}

impl SpillError {
    pub(crate) fn write(path: &Path, e: io::Error) -> SpillError {
        SpillError::Write {
            path: path.to_path_buf(),
            cause: Arc::new(e),
        }
    }

    pub(crate) fn read(path: &Path, e: io::Error) -> SpillError {
        SpillError::Read {
            path: path.to_path_buf(),
            cause: Arc::new(e),
        }
    }
}

/// A run's temporary folder, removed with everything in it when dropped.
#[derive(Debug)]
pub struct SpillDir {
    path: PathBuf,
    /// Held (and locked) for the folder's lifetime: a free lock marks a folder left behind.
    lock: Option<File>,
    next: AtomicU64,
}

impl SpillDir {
    /// Creates a fresh temporary folder inside `parent` (created if missing), first removing
    /// folders there that runs killed outright left behind.
    pub fn create(parent: &Path) -> Result<Arc<SpillDir>, SpillError> {
        let create_err = |e: io::Error| SpillError::CreateDir {
            parent: parent.to_path_buf(),
            cause: Arc::new(e),
        };
        fs::create_dir_all(parent).map_err(create_err)?;
        sweep_stale(parent);
        let pid = std::process::id();
        // Names are unique in this process (one counter) and across live processes (the
        // pid). The folder is set up under a name the sweep ignores and renamed once its
        // lock is held, so a concurrent run's sweep never sees it unlocked.
        static SEQ: AtomicU64 = AtomicU64::new(0);
        let (staging, path) = loop {
            let name = format!("{pid}-{}", SEQ.fetch_add(1, Ordering::Relaxed));
            let path = parent.join(format!("{PREFIX}{name}"));
            if path.exists() {
                // Left by an earlier process with the same pid whose lock cannot be taken.
                continue;
            }
            let staging = parent.join(format!("{STAGING}{name}"));
            match fs::create_dir(&staging) {
                Ok(()) => break (staging, path),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(create_err(e)),
            }
        };
        let setup = || -> io::Result<File> {
            let lock = File::create(staging.join("lock"))?;
            // Without lock support (some network file systems) the folder is simply never
            // swept by another run: that loses nothing.
            let _ = lock.try_lock();
            fs::rename(&staging, &path)?;
            Ok(lock)
        };
        match setup() {
            Ok(lock) => Ok(Arc::new(SpillDir {
                path,
                lock: Some(lock),
                next: AtomicU64::new(0),
            })),
            Err(e) => {
                let _ = fs::remove_dir_all(&staging);
                Err(create_err(e))
            }
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A new file name in the folder, unique for the folder's lifetime.
    pub(crate) fn file(&self, stem: &str) -> PathBuf {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        self.path.join(format!("{stem}-{n}.bin"))
    }
}

impl Drop for SpillDir {
    fn drop(&mut self) {
        // Close the lock first: some systems refuse to remove a folder with an open file.
        drop(self.lock.take());
        let _ = fs::remove_dir_all(&self.path);
    }
}

/// Removes temporary folders in `parent` whose run is gone (their lock can be taken).
fn sweep_stale(parent: &Path) {
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        if !name.to_string_lossy().starts_with(PREFIX) {
            continue;
        }
        let dir = entry.path();
        let Ok(lock) = File::options().write(true).open(dir.join("lock")) else {
            continue;
        };
        if lock.try_lock().is_ok() {
            drop(lock);
            let _ = fs::remove_dir_all(&dir);
        }
    }
}

#[cfg(test)]
mod tests;
