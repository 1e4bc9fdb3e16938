//! Byte buffers kept for reuse between the thread that fills them and the one that is done
//! with them.
//!
//! Owns only the keeping: how many buffers and how large a one is kept. What the buffers
//! hold is their users' (the stream's chunks of lines, the state's encoded parts). Buffers
//! of a megabyte or more, made on one thread and freed on another, went back to the system
//! and came from it again (a page fault and a zeroed page per 4 KB) or stayed resident as
//! the allocator's slack; a few kept here cost neither.

use std::sync::{Mutex, PoisonError};

/// A bounded list of empty buffers.
pub struct BytePool {
    bufs: Mutex<Vec<Vec<u8>>>,
    /// Buffers kept at most.
    count: usize,
    /// Largest capacity kept: a buffer an unusual input stretched is freed, or a few of
    /// them would hold memory for nothing.
    max_bytes: usize,
}

impl BytePool {
    pub const fn new(count: usize, max_bytes: usize) -> BytePool {
        BytePool {
            bufs: Mutex::new(Vec::new()),
            count,
            max_bytes,
        }
    }

    /// An empty buffer, with the capacity of one given back when there is one.
    pub fn take(&self) -> Vec<u8> {
        self.bufs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop()
            .unwrap_or_default()
    }

    /// Keeps `buf`, emptied, for a later `take`, unless the pool is full or `buf` holds no
    /// memory or more than the largest kept.
    pub fn give(&self, mut buf: Vec<u8>) {
        if buf.capacity() == 0 || buf.capacity() > self.max_bytes {
            return;
        }
        buf.clear();
        let mut bufs = self.bufs.lock().unwrap_or_else(PoisonError::into_inner);
        if bufs.len() < self.count {
            bufs.push(buf);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::BytePool;

    #[test]
    fn keeps_emptied_buffers_up_to_its_count_and_size() {
        // (capacities given back in order, capacities taken back out, last kept first)
        let cases: [(&[usize], &[usize]); 5] = [
            (&[10], &[10]),
            (&[10, 20, 30], &[20, 10]),
            (&[0], &[]),
            (&[101], &[]),
            (&[100, 101, 5], &[5, 100]),
        ];
        for (given, want) in cases {
            let pool = BytePool::new(2, 100);
            for &cap in given {
                let mut v = Vec::with_capacity(cap);
                v.extend(std::iter::repeat_n(7u8, cap.min(3)));
                pool.give(v);
            }
            let mut got = Vec::new();
            loop {
                let v = pool.take();
                if v.capacity() == 0 {
                    break;
                }
                assert!(v.is_empty(), "{given:?}");
                got.push(v.capacity());
            }
            assert_eq!(got, want, "{given:?}");
        }
    }
}
