//! The per-thread table of distinct word forms: surface form → (lowercased form, stem,
//! capital-letter flags, form id).
//!
//! Owns the cache that makes stemming happen once per distinct word instead of once per
//! token. Keyed by the surface form as written (after NFKC), so a hit needs neither
//! lowercasing nor allocation. Each table has a generation number, unique in the process, that
//! changes whenever ids are reassigned (cleared at the cap, or filled by another analyzer), so
//! a consumer that keeps its own per-form data (the tagger's form → lexicon id table) knows
//! when to drop it. Must not know about the lexicon.

use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

use rust_stemmers::Stemmer;

use super::{CAPS, INIT_CAP};

/// Source of process-unique numbers for analyzer ids and table generations.
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

pub(super) fn unique_id() -> u64 {
    NEXT_ID.fetch_add(1, Ordering::Relaxed)
}

/// Cap on distinct forms per table, so a corpus with endless distinct words (numbers, ids,
/// names) cannot grow it without bound: about 80 bytes each, 10 MB per thread at most. A
/// year of news has fewer distinct forms than this in its frequent vocabulary, which is what
/// must stay cached.
pub(super) const FORMS_MAX: usize = 120_000;

/// FxHash (rustc's hasher): word forms are short and not attacker-chosen in a way that
/// matters for a batch tool, so a multiply-rotate hash beats SipHash several times over.
#[derive(Default, Clone, Copy)]
pub struct FxHasher {
    hash: u64,
}

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    #[inline]
    fn add(&mut self, w: u64) {
        self.hash = (self.hash.rotate_left(5) ^ w).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut b = bytes;
        while b.len() >= 8 {
            self.add(u64::from_le_bytes([
                b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7],
            ]));
            b = &b[8..];
        }
        if b.len() >= 4 {
            self.add(u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as u64);
            b = &b[4..];
        }
        for &x in b {
            self.add(x as u64);
        }
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(i as u64);
    }
    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(i as u64);
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    #[inline]
    fn finish(&self) -> u64 {
        self.hash
    }
}

pub type FxBuild = BuildHasherDefault<FxHasher>;

/// What is known about one distinct surface form.
#[derive(Debug, Clone, Copy)]
pub(super) struct Form {
    /// Lowercased form, in `Forms::arena`.
    pub lower: (u32, u32),
    /// Stem of the lowercased form, in `Forms::arena`.
    pub stem: (u32, u32),
    /// `CAPS` and `INIT_CAP` as they follow from the surface.
    pub flags: u8,
}

pub(super) struct Forms {
    /// The analyzer whose stemmer filled the table.
    pub owner: u64,
    pub generation: u64,
    /// Open addressing: high 32 bits of the key's hash, low 32 bits entry index + 1 (0 =
    /// empty). A specialised table because this lookup runs once per token: a probe reads
    /// one slot, a hit one entry, which holds short keys inline (no allocation per form, no
    /// memcmp call).
    slots: Vec<u64>,
    entries: Vec<Entry>,
    /// Keys longer than `INLINE` bytes.
    long_keys: Vec<u8>,
    /// Lowercased forms and stems.
    pub arena: String,
}

const INLINE: usize = 16;

#[derive(Clone, Copy)]
struct Entry {
    key: [u8; INLINE],
    len: u32,
    /// Offset in `long_keys` when `len > INLINE`.
    start: u32,
    form: Form,
}

impl Default for Forms {
    fn default() -> Self {
        Forms {
            owner: 0,
            generation: unique_id(),
            slots: Vec::new(),
            entries: Vec::new(),
            long_keys: Vec::new(),
            arena: String::new(),
        }
    }
}

/// A word's hash: eight bytes per multiply (most words take one or two), so the lookup's
/// address is known a few cycles after the word is.
#[inline]
fn hash_of(bytes: &[u8]) -> u64 {
    let mut h = bytes.len() as u64;
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        let w = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        h = (h.rotate_left(5) ^ w).wrapping_mul(SEED);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut tail = [0u8; 8];
        tail[..rest.len()].copy_from_slice(rest);
        h = (h.rotate_left(5) ^ u64::from_le_bytes(tail)).wrapping_mul(SEED);
    }
    h
}

impl Forms {
    /// Makes the table ready for `analyzer`: emptied when another analyzer filled it or when
    /// it reached the cap. Only called between documents, so no live `Word` loses its forms.
    pub fn prepare(&mut self, analyzer: u64) {
        if self.owner != analyzer || self.entries.len() >= FORMS_MAX {
            self.slots.clear();
            self.entries.clear();
            self.long_keys.clear();
            self.arena.clear();
            self.owner = analyzer;
            self.generation = unique_id();
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    #[inline]
    fn key_is(&self, e: &Entry, bytes: &[u8]) -> bool {
        if e.len as usize != bytes.len() {
            return false;
        }
        if bytes.len() <= INLINE {
            e.key[..bytes.len()].iter().zip(bytes).all(|(x, y)| x == y)
        } else {
            &self.long_keys[e.start as usize..e.start as usize + bytes.len()] == bytes
        }
    }

    /// The id and facts of `surface`, stemming it on first sight.
    #[inline]
    pub fn get(&mut self, surface: &str, stemmer: &Stemmer) -> (u32, Form) {
        let bytes = surface.as_bytes();
        // Fx leaves the low bits weak: the slot index and the tag take the high ones.
        let tag = hash_of(bytes) >> 32;
        if !self.slots.is_empty() {
            let mask = self.slots.len() - 1;
            let mut i = tag as usize & mask;
            loop {
                let slot = self.slots[i];
                if slot == 0 {
                    break;
                }
                if slot >> 32 == tag {
                    let id = (slot as u32) - 1;
                    let e = &self.entries[id as usize];
                    if self.key_is(e, bytes) {
                        return (id, e.form);
                    }
                }
                i = (i + 1) & mask;
            }
        }
        self.insert(surface, tag, stemmer)
    }

    fn place(slots: &mut [u64], tag: u64, id: u32) {
        let mask = slots.len() - 1;
        let mut i = tag as usize & mask;
        while slots[i] != 0 {
            i = (i + 1) & mask;
        }
        slots[i] = tag << 32 | (id as u64 + 1);
    }

    fn grow(&mut self) {
        let cap = (self.slots.len() * 2).max(1024);
        let old = std::mem::take(&mut self.slots);
        self.slots = vec![0; cap];
        for slot in old.into_iter().filter(|&s| s != 0) {
            Self::place(&mut self.slots, slot >> 32, (slot as u32) - 1);
        }
    }

    #[cold]
    fn insert(&mut self, surface: &str, tag: u64, stemmer: &Stemmer) -> (u32, Form) {
        if (self.entries.len() + 1) * 2 > self.slots.len() {
            self.grow();
        }
        let mut flags = 0;
        if surface.chars().next().is_some_and(char::is_uppercase) {
            flags |= INIT_CAP;
        }
        let letters = surface.chars().filter(|c| c.is_alphabetic()).count();
        if letters >= 2 && !surface.chars().any(char::is_lowercase) {
            flags |= CAPS;
        }
        let ls = self.arena.len() as u32;
        if surface.is_ascii() {
            self.arena
                .extend(surface.bytes().map(|b| b.to_ascii_lowercase() as char));
        } else {
            self.arena.push_str(&surface.to_lowercase());
        }
        let lower = (ls, self.arena.len() as u32);
        let stemmed = stemmer.stem(&self.arena[ls as usize..]);
        let stem = if *stemmed == self.arena[ls as usize..] {
            lower
        } else {
            let stemmed = stemmed.into_owned();
            let ss = self.arena.len() as u32;
            self.arena.push_str(&stemmed);
            (ss, self.arena.len() as u32)
        };
        let form = Form { lower, stem, flags };
        let bytes = surface.as_bytes();
        let mut entry = Entry {
            key: [0; INLINE],
            len: bytes.len() as u32,
            start: 0,
            form,
        };
        if bytes.len() <= INLINE {
            entry.key[..bytes.len()].copy_from_slice(bytes);
        } else {
            entry.start = self.long_keys.len() as u32;
            self.long_keys.extend_from_slice(bytes);
        }
        let id = self.entries.len() as u32;
        self.entries.push(entry);
        Self::place(&mut self.slots, tag, id);
        (id, form)
    }
}
