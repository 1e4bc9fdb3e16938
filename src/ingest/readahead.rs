//! Reading ahead of the workers when the inputs are not in the page cache.
//!
//! A first run over a folder of articles that were not read lately waits on the disk, one
//! small file at a time per worker: two workers keep two reads in flight, and a disk (or a
//! virtual one) answers many more at once. Over the benchmark's folder of 104,675 articles
//! with its pages dropped from the cache, `cat` of every file took 8.1 s, the same with 16
//! processes 2.0 s, and a run of newstrack 7.9 s against 2.0 s with the files cached.
//!
//! So while a run reads files, a few helper threads look ahead of the position the workers
//! reached (at most `AHEAD` files) and ask the kernel to start reading each file's head
//! (`posix_fadvise(WILLNEED)`); the worker that then opens the file finds it read or on its
//! way. Helpers cost an `open` per file, which a run over cached files should not pay: they
//! first test one file in `SAMPLE` with a read that fails rather than wait
//! (`preadv2(RWF_NOWAIT)`), and only once a file is found uncached do they hint at every
//! file, until `WARM` files in a row turn out cached.
//!
//! Owns: the helper threads and their hints. Must not touch: what is read, in what order or
//! how (the workers read every file themselves; a hint that fails, or a platform without
//! these calls, changes nothing but the time a cold run takes).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use super::walk::InputFile;

/// Files the helpers may run ahead of the workers.
const AHEAD: usize = 128;
/// Bytes of a file's head asked for: all of nearly every article; a larger file is read on
/// by the kernel's own readahead once the worker reads it.
const HEAD: i64 = 256 << 10;
/// While files are found cached, one in this many is tested.
const SAMPLE: usize = 64;
/// Cached files in a row that end hinting at every file.
const WARM: usize = 256;
/// Helper threads: each waits on one `open` or test at a time.
const HELPERS: usize = 8;

/// Where the workers are: the index of the next file they will open, set by whoever hands
/// out files (`Ahead::reached`).
pub struct Ahead {
    reached: AtomicUsize,
    /// The next file no helper has taken yet.
    claimed: AtomicUsize,
    /// Files are being found uncached: hint at every one.
    cold: AtomicBool,
    /// Cached files found in a row while cold.
    streak: AtomicUsize,
    stop: AtomicBool,
}

impl Ahead {
    /// The workers will open file `i` (and those after it) next.
    pub fn reached(&self, i: usize) {
        self.reached.store(i, Ordering::Relaxed);
    }

    /// Counts a file found cached or not: one uncached file makes the helpers hint at every
    /// file, `WARM` cached ones in a row make them sample again.
    fn saw(&self, was_cached: bool) {
        if !was_cached {
            self.streak.store(0, Ordering::Relaxed);
            self.cold.store(true, Ordering::Relaxed);
        } else if self.streak.fetch_add(1, Ordering::Relaxed) + 1 >= WARM {
            self.cold.store(false, Ordering::Relaxed);
        }
    }

    /// Takes the next file to look at.
    fn take(&self, len: usize) -> Next {
        loop {
            let at = self.reached.load(Ordering::Relaxed);
            let c = self.claimed.load(Ordering::Relaxed);
            let j = c.max(at);
            if j >= len {
                return Next::Done;
            }
            if j >= at + AHEAD {
                return Next::Wait;
            }
            if self
                .claimed
                .compare_exchange(c, j + 1, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
            {
                return Next::File(j);
            }
        }
    }
}

/// What a helper does next.
#[derive(Debug, PartialEq, Eq)]
enum Next {
    /// Look at this file.
    File(usize),
    /// It is as far ahead of the workers as it may go.
    Wait,
    /// Every file was taken.
    Done,
}

/// Runs `body` with helpers reading ahead of it over `files` (Linux only; elsewhere `body`
/// runs alone). `body` tells the helpers where the workers are through [`Ahead::reached`].
pub fn with_readahead<T>(files: &[InputFile], body: impl FnOnce(&Ahead) -> T) -> T {
    let ahead = Ahead {
        reached: AtomicUsize::new(0),
        claimed: AtomicUsize::new(0),
        cold: AtomicBool::new(false),
        streak: AtomicUsize::new(0),
        stop: AtomicBool::new(false),
    };
    // A single file has nothing after it to read ahead.
    if !cfg!(target_os = "linux") || files.len() < 2 {
        return body(&ahead);
    }
    std::thread::scope(|s| {
        let mut helpers = Vec::with_capacity(HELPERS);
        for k in 0..HELPERS {
            let ahead = &ahead;
            let spawned = std::thread::Builder::new()
                .name("newstrack-ahead".into())
                .spawn_scoped(s, move || helper(ahead, files, k));
            match spawned {
                Ok(h) => helpers.push(h.thread().clone()),
                // Without helpers the run only goes at the disk's pace.
                Err(_) => break,
            }
        }
        struct Stop<'a>(&'a AtomicBool, Vec<std::thread::Thread>);
        impl Drop for Stop<'_> {
            fn drop(&mut self) {
                self.0.store(true, Ordering::Relaxed);
                // Waiting helpers wake now, not at the end of their pause: the scope waits
                // for them before the run goes on.
                for t in &self.1 {
                    t.unpark();
                }
            }
        }
        // Stopped however `body` ends, a panic included, so the scope can be left.
        let _stop = Stop(&ahead.stop, helpers);
        body(&ahead)
    })
}

fn helper(ahead: &Ahead, files: &[InputFile], k: usize) {
    let pause = |ms| std::thread::park_timeout(std::time::Duration::from_millis(ms));
    while !ahead.stop.load(Ordering::Relaxed) {
        let cold = ahead.cold.load(Ordering::Relaxed);
        // One helper samples while files are cached; the others wait for a cold file.
        if !cold && k > 0 {
            pause(20);
            continue;
        }
        let j = match ahead.take(files.len()) {
            Next::Done => return,
            Next::Wait => {
                pause(2);
                continue;
            }
            Next::File(j) => j,
        };
        if !cold && j % SAMPLE != 0 {
            continue;
        }
        let seen = hint(&files[j].path);
        #[cfg(test)]
        tests::LOOKED
            .lock()
            .unwrap()
            .push((files[j].path.clone(), seen));
        if let Some(was_cached) = seen {
            ahead.saw(was_cached);
        }
    }
}

/// Whether the head of `path` is in the page cache; when it is not, the kernel is asked to
/// read it (Linux already starts a read for the read that did not wait; the explicit hint
/// asks for the whole head, and for it on kernels that do not). `None` when that cannot be
/// told (the file cannot be opened, or the file system does not answer a read that must not
/// wait).
#[cfg(target_os = "linux")]
fn hint(path: &std::path::Path) -> Option<bool> {
    use std::os::fd::AsRawFd;
    let f = std::fs::File::open(path).ok()?;
    let fd = f.as_raw_fd();
    let mut byte = 0u8;
    let iov = libc::iovec {
        iov_base: (&mut byte as *mut u8).cast(),
        iov_len: 1,
    };
    // SAFETY: `iov` points at one writable byte that outlives the call; `fd` is open.
    let n = unsafe { libc::preadv2(fd, &iov, 1, 0, libc::RWF_NOWAIT) };
    if n >= 0 {
        return Some(true);
    }
    if std::io::Error::last_os_error().raw_os_error() != Some(libc::EAGAIN) {
        return None;
    }
    // SAFETY: plain system call on an open descriptor; a failure only means no hint.
    unsafe { libc::posix_fadvise(fd, 0, HEAD, libc::POSIX_FADV_WILLNEED) };
    Some(false)
}

#[cfg(not(target_os = "linux"))]
fn hint(_: &std::path::Path) -> Option<bool> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;
    use std::sync::Mutex;

    /// Every file a helper looked at in this test process, with what `hint` said of it
    /// (cached; not cached, and asked for; cannot tell). Tests running beside each other add
    /// theirs: look only at your own folder's.
    pub(super) static LOOKED: Mutex<Vec<(PathBuf, Option<bool>)>> = Mutex::new(Vec::new());

    /// What `hint` said of the files of `dir` the helpers looked at (named `NNNN.txt`), by
    /// index, in the order they did.
    fn seen_in(dir: &std::path::Path) -> Vec<(usize, Option<bool>)> {
        let all = LOOKED.lock().unwrap();
        all.iter()
            .filter(|(p, _)| p.starts_with(dir))
            .map(|(p, s)| {
                (
                    p.file_stem().unwrap().to_str().unwrap().parse().unwrap(),
                    *s,
                )
            })
            .collect()
    }

    fn ahead(reached: usize, claimed: usize) -> Ahead {
        Ahead {
            reached: AtomicUsize::new(reached),
            claimed: AtomicUsize::new(claimed),
            cold: AtomicBool::new(false),
            streak: AtomicUsize::new(0),
            stop: AtomicBool::new(false),
        }
    }

    #[test]
    fn helpers_take_files_ahead_of_the_workers_once_each_within_the_window() {
        // (workers at, next unclaimed, files) → what a helper takes
        let cases: [(usize, usize, usize, Next); 7] = [
            (0, 0, 1000, Next::File(0)),
            (10, 3, 1000, Next::File(10)),
            (10, 40, 1000, Next::File(40)),
            (10, 10 + AHEAD, 1000, Next::Wait),
            (10, 9 + AHEAD, 1000, Next::File(9 + AHEAD)),
            (990, 999, 1000, Next::File(999)),
            (10, 1000, 1000, Next::Done),
        ];
        for (at, claimed, len, want) in cases {
            let a = ahead(at, claimed);
            let got = a.take(len);
            if let Next::File(j) = got {
                assert_eq!(a.claimed.load(Ordering::Relaxed), j + 1);
            }
            assert_eq!(got, want, "{at} {claimed} {len}");
        }
    }

    #[test]
    fn one_uncached_file_turns_hinting_on_and_a_run_of_cached_ones_off() {
        // (files seen, in order: cached or not) → hinting at every file afterwards
        let cases: [(Vec<bool>, bool); 6] = [
            (vec![], false),
            (vec![true; 1000], false),
            (vec![false], true),
            ([vec![false], vec![true; WARM - 1]].concat(), true),
            ([vec![false], vec![true; WARM]].concat(), false),
            (
                [
                    vec![false],
                    vec![true; WARM - 1],
                    vec![false],
                    vec![true; WARM - 1],
                ]
                .concat(),
                true,
            ),
        ];
        for (seen, want) in cases {
            let a = ahead(0, 0);
            for &c in &seen {
                a.saw(c);
            }
            assert_eq!(a.cold.load(Ordering::Relaxed), want, "{} files", seen.len());
        }
    }

    /// Whether the first page of `path` is cached, asking for nothing (`mincore` on a
    /// mapping: a read that must not wait, as `hint` makes, starts a read of its own).
    #[cfg(target_os = "linux")]
    fn cached(path: &std::path::Path) -> bool {
        use std::os::fd::AsRawFd;
        let f = std::fs::File::open(path).unwrap();
        let mut vec = 0u8;
        // SAFETY: a shared read-only mapping of one page of an open, non-empty file,
        // unmapped before return; `mincore` writes one byte for one page into `vec`.
        unsafe {
            let m = libc::mmap(
                std::ptr::null_mut(),
                1,
                libc::PROT_READ,
                libc::MAP_SHARED,
                f.as_raw_fd(),
                0,
            );
            assert_ne!(m, libc::MAP_FAILED);
            assert_eq!(libc::mincore(m, 1, &mut vec), 0);
            libc::munmap(m, 1);
        }
        vec & 1 == 1
    }

    /// Drops the pages of `path` from the cache; false when the file system keeps them.
    #[cfg(target_os = "linux")]
    fn drop_pages(path: &std::path::Path) -> bool {
        use std::os::fd::AsRawFd;
        let f = std::fs::File::open(path).unwrap();
        f.sync_all().unwrap();
        // SAFETY: plain system call on an open descriptor.
        unsafe { libc::posix_fadvise(f.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED) };
        !cached(path)
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn helpers_bring_uncached_files_into_the_cache_ahead_of_the_workers_and_no_further() {
        let dir = tempfile::tempdir().unwrap();
        let files: Vec<InputFile> = (0..AHEAD + 40)
            .map(|i| {
                let path = dir.path().join(format!("{i:04}.txt"));
                std::fs::write(&path, format!("Article {i}.\n").repeat(200)).unwrap();
                InputFile {
                    display: path.display().to_string(),
                    path,
                }
            })
            .collect();
        if !files.iter().all(|f| drop_pages(&f.path)) {
            eprintln!("the temporary folder keeps its files in memory: nothing to drop");
            return;
        }
        let wait = |done: &dyn Fn() -> bool| {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
            while !done() && std::time::Instant::now() < deadline {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            done()
        };
        // What the helpers must have looked at once they are done: samples (one file in
        // `SAMPLE`) until one is found uncached, then every file up to the window's end.
        // Every file was dropped, but a read that must not wait can still succeed when the
        // disk answers at once (a virtual disk over the host's cache): now and then a sample
        // is found cached all the same, and sampling goes on.
        let expected = |seen: &[(usize, Option<bool>)]| -> Vec<usize> {
            let cold = seen
                .iter()
                .filter(|s| s.1 == Some(false))
                .map(|s| s.0)
                .min();
            let cold = cold.unwrap_or(AHEAD);
            (0..AHEAD)
                .filter(|&j| j >= cold || j % SAMPLE == 0)
                .collect()
        };
        let done = || {
            let seen = seen_in(dir.path());
            let mut got: Vec<usize> = seen.iter().map(|s| s.0).collect();
            got.sort_unstable();
            expected(&seen) == got
        };
        with_readahead(&files, |_| {
            // The workers have not started: the window ahead of them is looked at (and
            // asked for: its files were dropped from the cache)...
            assert!(
                wait(&done),
                "the helpers looked at, in order (file, cached?): {:?}",
                seen_in(dir.path())
            );
            // ...and comes into the cache without being read. The kernel may drop a
            // read-ahead under memory pressure (a host whose page cache is full of other
            // files), which is not the helpers' doing: said, not failed.
            let asked: Vec<usize> = seen_in(dir.path())
                .iter()
                .filter(|s| s.1 == Some(false))
                .map(|s| s.0)
                .collect();
            if asked.is_empty() {
                eprintln!("every sampled file was answered from the cache: no hint to see");
            }
            if !wait(&|| asked.iter().all(|&j| cached(&files[j].path))) {
                let missing = asked.iter().filter(|&&j| !cached(&files[j].path)).count();
                eprintln!(
                    "the kernel did not read {missing} of the {} files asked for \
                     (read-ahead dropped under memory pressure?)",
                    asked.len()
                );
            }
        });
        // Nothing past the window: not looked at, not cached.
        assert!(done(), "{:?}", seen_in(dir.path()));
        let past: Vec<usize> = (AHEAD..files.len())
            .filter(|&i| cached(&files[i].path))
            .collect();
        assert!(past.is_empty(), "{past:?}");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_file_just_written_is_cached_and_one_dropped_from_the_cache_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.txt");
        std::fs::write(&p, "China set rare earth quotas.\n".repeat(1000)).unwrap();
        assert_eq!(hint(&p), Some(true));
        assert_eq!(hint(&dir.path().join("missing.txt")), None);
        // Some file systems (tmpfs) keep every page: then there is nothing to tell.
        if !drop_pages(&p) {
            eprintln!("the temporary folder keeps its files in memory: nothing to drop");
            return;
        }
        assert_eq!(hint(&p), Some(false));
        // The hint started a read: the file comes back into the cache without anyone
        // reading it.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while hint(&p) != Some(true) {
            assert!(
                std::time::Instant::now() < deadline,
                "the hinted file never came into the cache"
            );
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }
}
