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

use super::WordStemmer;

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
}

pub(super) struct Forms {
    /// The analyzer whose stemmer filled the table.
    pub owner: u64,
    pub generation: u64,
    /// Open addressing over the keys themselves. A specialised table because this lookup
    /// runs once per token: a probe reads one slot, which holds the key (as `words_of`, for
    /// keys of up to `INLINE` bytes), the form id and the capital-letter flags, so a hit
    /// reads nothing else. On a table of a hundred thousand forms that is one cache miss per
    /// rare word instead of two (slot, then entry).
    slots: Vec<Slot>,
    /// Per form id: lowercased form and stem, read only when a consumer asks for them.
    entries: Vec<Entry>,
    /// Keys longer than `INLINE` bytes.
    long_keys: Vec<u8>,
    /// Lowercased forms and stems.
    pub arena: String,
}

const INLINE: usize = 16;

#[derive(Clone, Copy, Default)]
struct Slot {
    /// `words_of` the key when it is at most `INLINE` bytes long (equal lengths and equal
    /// words mean equal keys); for a longer key its hash and zero, the bytes being compared
    /// in `long_keys`.
    words: (u64, u64),
    /// Form id + 1; 0 marks an empty slot.
    id1: u32,
    /// Key length, saturated: longer keys are told apart by their bytes.
    len: u16,
    flags: u8,
}

#[derive(Clone, Copy)]
struct Entry {
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

#[inline(always)]
fn u64_at(b: &[u8], i: usize) -> u64 {
    u64::from_le_bytes([
        b[i],
        b[i + 1],
        b[i + 2],
        b[i + 3],
        b[i + 4],
        b[i + 5],
        b[i + 6],
        b[i + 7],
    ])
}

#[inline(always)]
fn u32_at(b: &[u8], i: usize) -> u64 {
    u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]) as u64
}

/// A key of at most 16 bytes as two integers that together hold every byte: the first and
/// the last eight bytes (overlapping when shorter than 16), four and four for 4–7 bytes,
/// first, middle and last byte below that. Given the length, equal words mean equal keys.
/// Loads that may overlap replace copying the key into a zeroed buffer (a `memmove` call
/// per word).
#[inline(always)]
fn words_of(b: &[u8]) -> (u64, u64) {
    let n = b.len();
    if n >= 8 {
        (u64_at(b, 0), u64_at(b, n - 8))
    } else if n >= 4 {
        (u32_at(b, 0), u32_at(b, n - 4))
    } else if n > 0 {
        (
            b[0] as u64 | (b[n / 2] as u64) << 8 | (b[n - 1] as u64) << 16,
            0,
        )
    } else {
        (0, 0)
    }
}

#[inline(always)]
fn mix(h: u64, w: u64) -> u64 {
    (h.rotate_left(5) ^ w).wrapping_mul(SEED)
}

/// A key's hash and its slot words (`Slot::words`), from one reading of its bytes: two
/// multiplies for a word of up to 16 bytes (nearly all), so the lookup's address is known a
/// few cycles after the word is. Computed apart, the hash and then the slot words, whether the
/// compiler merged the two readings in the word loop changed from build to build with
/// unrelated code (4.6M instructions on the 5 MB slice; docs/performance.md, session 7).
#[inline(always)]
fn key_of(bytes: &[u8]) -> Key {
    let n = bytes.len();
    if n <= INLINE {
        let words = words_of(bytes);
        return Key {
            hash: short_hash(n, words),
            words,
        };
    }
    let mut h = n as u64;
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        h = mix(h, words_of(c).0);
    }
    // The last eight bytes again, overlapping the chunks: covers the remainder.
    let hash = mix(h, words_of(&bytes[n - 8..]).0);
    Key {
        hash,
        words: (hash, 0),
    }
}

/// The hash of a key of at most `INLINE` bytes, from its length and words.
#[inline(always)]
fn short_hash(len: usize, words: (u64, u64)) -> u64 {
    mix(mix(len as u64, words.0), words.1)
}

#[cfg(test)]
fn hash_of(bytes: &[u8]) -> u64 {
    key_of(bytes).hash
}

/// What a lookup needs of a key besides its bytes.
#[derive(Clone, Copy)]
struct Key {
    hash: u64,
    /// `Slot::words` of the key.
    words: (u64, u64),
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

    /// Lowercased form and stem of form `id`, as ranges of `arena`.
    pub(super) fn form(&self, id: u32) -> Form {
        self.entries[id as usize].form
    }

    /// The id and capital-letter flags of `surface`, stemming it on first sight.
    #[inline]
    pub fn get(&mut self, surface: &str, stemmer: &WordStemmer) -> (u32, u8) {
        let bytes = surface.as_bytes();
        let key = key_of(bytes);
        match self.find(bytes, key) {
            Some(hit) => hit,
            None => self.insert(surface, key, stemmer),
        }
    }

    /// The id and flags of the form `bytes` (whose key is `key`), if it is known.
    #[inline(always)]
    fn find(&self, bytes: &[u8], key: Key) -> Option<(u32, u8)> {
        if self.slots.is_empty() {
            return None;
        }
        let len = bytes.len().min(u16::MAX as usize) as u16;
        let mask = self.slots.len() - 1;
        // Fx leaves the low bits weak: the slot index takes the high ones.
        let mut i = (key.hash >> 32) as usize & mask;
        loop {
            let slot = &self.slots[i];
            if slot.id1 == 0 {
                return None;
            }
            if slot.words == key.words && slot.len == len {
                let id = slot.id1 - 1;
                if bytes.len() <= INLINE || self.long_key_is(id, bytes) {
                    return Some((id, slot.flags));
                }
            }
            i = (i + 1) & mask;
        }
    }

    #[cold]
    fn long_key_is(&self, id: u32, bytes: &[u8]) -> bool {
        let e = &self.entries[id as usize];
        e.len as usize == bytes.len()
            && &self.long_keys[e.start as usize..e.start as usize + bytes.len()] == bytes
    }

    fn place(slots: &mut [Slot], hash: u64, slot: Slot) {
        let mask = slots.len() - 1;
        let mut i = (hash >> 32) as usize & mask;
        while slots[i].id1 != 0 {
            i = (i + 1) & mask;
        }
        slots[i] = slot;
    }

    /// The hash a slot was placed by, from what it holds.
    fn hash_of_slot(slot: &Slot) -> u64 {
        if slot.len as usize <= INLINE {
            short_hash(slot.len as usize, slot.words)
        } else {
            slot.words.0
        }
    }

    fn grow(&mut self) {
        let cap = (self.slots.len() * 2).max(1024);
        let old = std::mem::take(&mut self.slots);
        self.slots = vec![Slot::default(); cap];
        for slot in old.into_iter().filter(|s| s.id1 != 0) {
            Self::place(&mut self.slots, Self::hash_of_slot(&slot), slot);
        }
    }

    #[cold]
    fn insert(&mut self, surface: &str, key: Key, stemmer: &WordStemmer) -> (u32, u8) {
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
        let lower_text = &self.arena[ls as usize..];
        // A capitalised form whose lowercase form is known ("Tariffs" after "tariffs", every
        // word of a headline in capitals) shares its lowercase form and stem: the stem is a
        // function of the lowercase form, and stemming is most of what a new form costs.
        let known = if lower_text.as_bytes() != surface.as_bytes() {
            self.find(lower_text.as_bytes(), key_of(lower_text.as_bytes()))
        } else {
            None
        };
        let form = match known {
            Some((id, _)) => {
                self.arena.truncate(ls as usize);
                self.entries[id as usize].form
            }
            None => {
                let lower = (ls, self.arena.len() as u32);
                let stemmed = stemmer.stem(&self.arena[ls as usize..]);
                let stem = if *stemmed == self.arena[ls as usize..] {
                    lower
                } else {
                    let stemmed = stemmed.into_static();
                    let ss = self.arena.len() as u32;
                    self.arena.push_str(&stemmed);
                    (ss, self.arena.len() as u32)
                };
                Form { lower, stem }
            }
        };
        let bytes = surface.as_bytes();
        let mut entry = Entry {
            len: bytes.len() as u32,
            start: 0,
            form,
        };
        if bytes.len() > INLINE {
            entry.start = self.long_keys.len() as u32;
            self.long_keys.extend_from_slice(bytes);
        }
        let id = self.entries.len() as u32;
        self.entries.push(entry);
        let slot = Slot {
            words: key.words,
            id1: id + 1,
            len: bytes.len().min(u16::MAX as usize) as u16,
            flags,
        };
        Self::place(&mut self.slots, key.hash, slot);
        (id, flags)
    }
}

#[cfg(test)]
mod tests {
    use super::{hash_of, words_of, Forms};
    use crate::analyze::WordStemmer;
    use rust_stemmers::Algorithm;

    /// Keys of every length around the word boundaries that differ in one byte only, at the
    /// start, the middle or the end, each get their own form; equal keys get the same one.
    #[test]
    fn keys_differing_in_one_byte_are_distinct() {
        let stemmer = WordStemmer::new(Algorithm::English);
        let mut forms = Forms::default();
        let mut keys = Vec::new();
        for len in 0..=20usize {
            let base: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
            keys.push(base.clone());
            for at in [0, len / 2, len.saturating_sub(1)] {
                if at < len {
                    let mut k = base.clone();
                    k[at] = b'Z';
                    keys.push(k);
                }
            }
        }
        keys.sort();
        keys.dedup();
        let ids: Vec<u32> = keys
            .iter()
            .map(|k| forms.get(std::str::from_utf8(k).unwrap(), &stemmer).0)
            .collect();
        let mut distinct = ids.clone();
        distinct.sort();
        distinct.dedup();
        assert_eq!(
            distinct.len(),
            keys.len(),
            "every distinct key has its own id"
        );
        for (k, id) in keys.iter().zip(&ids) {
            assert_eq!(forms.get(std::str::from_utf8(k).unwrap(), &stemmer).0, *id);
        }
    }

    /// A form met after its lowercase form borrows that form's lowercase and stem; each
    /// must still be what lowercasing and stemming it gives, in either order of meeting,
    /// for long keys and non-ASCII ones too.
    #[test]
    fn case_variants_share_the_stem_of_their_lowercase() {
        let stemmer = WordStemmer::new(Algorithm::English);
        let orders: [&[&str]; 7] = [
            &["tariffs", "Tariffs", "TARIFFS"],
            &["tariffs", "trade", "Trade", "Tariffs", "TRADED", "traded"],
            &["TARIFFS", "tariffs", "Tariffs"],
            &["Relational", "relational"],
            &[
                "internationalisation",
                "Internationalisation",
                "INTERNATIONALISATION",
            ],
            &["élections", "Élections", "ÉLECTIONS"],
            &["US", "us", "Us"],
        ];
        for order in orders {
            let mut forms = Forms::default();
            let ids: Vec<u32> = order.iter().map(|w| forms.get(w, &stemmer).0).collect();
            for (w, id) in order.iter().zip(ids) {
                let f = forms.form(id);
                let lower = &forms.arena[f.lower.0 as usize..f.lower.1 as usize];
                let stem = &forms.arena[f.stem.0 as usize..f.stem.1 as usize];
                assert_eq!(lower, w.to_lowercase(), "{order:?}: lowercase of {w}");
                assert_eq!(
                    stem,
                    &*stemmer.stem(&w.to_lowercase()),
                    "{order:?}: stem of {w}"
                );
            }
            assert_eq!(forms.len(), order.len(), "{order:?}: one form per surface");
        }
    }

    #[test]
    fn words_hold_every_byte() {
        let cases: [(&[u8], (u64, u64)); 5] = [
            (b"", (0, 0)),
            (b"ab", (0x62_62_61, 0)),
            (b"abc", (0x63_62_61, 0)),
            (b"abcde", (0x64_63_62_61, 0x65_64_63_62)),
            (
                b"abcdefghi",
                (0x68_67_66_65_64_63_62_61, 0x69_68_67_66_65_64_63_62),
            ),
        ];
        for (b, want) in cases {
            assert_eq!(words_of(b), want, "{:?}", b);
        }
        assert_ne!(hash_of(b"abcdefghijklmnopq"), hash_of(b"abcdefghijklmnopr"));
    }
}
