//! The lexicon index: a trie over stem ids, with per-term capital-letter requirements,
//! trailing-`*` prefix words, exclusion phrases (vetoes) and context vetoes.
//!
//! Owns term compilation and matching. Must not read files or know about reports.

use rustc_hash::FxHashMap as HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::analyze::{Analysis, Analyzer, BARRIER_BEFORE, CAPS};

use super::Mention;

/// Stem id of a word that no term uses.
pub const NO_ID: u32 = u32::MAX;

static NEXT_LEXICON: AtomicU64 = AtomicU64::new(1);

/// Per-thread memo of the lexicon's view of each distinct word form of an `Analysis`: its
/// stem id and whether a one-word prefix term (`tariff*`) could start on it. Turns matching
/// into integer work: a word costs one table read, however often it occurs.
#[derive(Debug, Default)]
pub struct FormIds {
    lexicon: u64,
    generation: u64,
    /// form → stem id (`NO_ID` when no term uses it; low half) and its `ROOT_PREFIX` and
    /// `STARTS` flags (high half), `UNSEEN_FORM` until looked up: one load per word.
    table: Vec<u64>,
    /// Per word of the current document: stem id, flags.
    ids: Vec<u32>,
    flags: Vec<u8>,
}

/// A `FormIds::table` entry not computed yet.
const UNSEEN_FORM: u64 = u64::MAX;
/// Some one-word prefix term (at the trie's root) matches the word.
const ROOT_PREFIX: u8 = 1;
/// A term can start at the word: a root prefix matches, or its stem starts a term.
const STARTS: u8 = 2;

/// Why a term could not be compiled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TermError {
    #[error("normalises to nothing: expected at least one word of letters or digits")]
    Empty,
    #[error("`*` is only allowed at the end of the last word (e.g. \"export licen*\")")]
    Wildcard,
    #[error("contains punctuation that separates words ({0:?}); phrases never match across it: split it into separate terms")]
    Barrier(String),
    #[error("is also a term of entity #{0}: the same phrase may belong to one entity only")]
    Duplicate(u32),
    #[error("context words must be single words, found {0} words")]
    NotOneWord(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Entity(u32),
    /// An exclusion phrase: it wins like any longer match and masks its span.
    Veto(u32),
}

#[derive(Debug)]
struct Term {
    target: Target,
    len: u32,
    /// Positions whose surface must match exactly (words written in capitals).
    caps: Vec<(u32, Box<str>)>,
    prefix: bool,
}

#[derive(Debug, Default)]
struct Node {
    /// Looked up once per word of a candidate phrase: FxHash, not SipHash (ids are ours).
    children: HashMap<u32, u32>,
    terminals: Vec<u32>,
    /// Prefix continuations: (lowercased prefix, term index).
    prefixes: Vec<(Box<str>, u32)>,
}

/// Built once per run; shared read-only across threads.
#[derive(Debug)]
pub struct Lexicon {
    /// Tells per-thread form → id tables made for this lexicon from others'.
    id: u64,
    vocab: HashMap<Box<str>, u32>,
    nodes: Vec<Node>,
    terms: Vec<Term>,
    /// entity → stem ids that veto its matches in the same sentence.
    context: HashMap<u32, Vec<u32>>,
}

pub struct LexiconBuilder<'a> {
    analyzer: &'a Analyzer,
    lex: Lexicon,
    keys: HashMap<String, u32>,
    analysis: Analysis,
}

impl<'a> LexiconBuilder<'a> {
    pub fn new(analyzer: &'a Analyzer) -> Self {
        LexiconBuilder {
            analyzer,
            lex: Lexicon {
                id: NEXT_LEXICON.fetch_add(1, Ordering::Relaxed),
                vocab: HashMap::default(),
                nodes: vec![Node::default()],
                terms: Vec::new(),
                context: HashMap::default(),
            },
            keys: HashMap::default(),
            analysis: Analysis::default(),
        }
    }

    fn intern(&mut self, stem: &str) -> u32 {
        if let Some(&id) = self.lex.vocab.get(stem) {
            return id;
        }
        let id = self.lex.vocab.len() as u32;
        self.lex.vocab.insert(stem.into(), id);
        id
    }

    /// Adds a term (or, with `veto`, an exclusion phrase) for `entity`.
    pub fn add_term(&mut self, entity: u32, term: &str, veto: bool) -> Result<(), TermError> {
        let trimmed = term.trim();
        let (body, prefix) = match trimmed.strip_suffix('*') {
            Some(b) => (b.trim_end(), true),
            None => (trimmed, false),
        };
        if body.contains('*') {
            return Err(TermError::Wildcard);
        }
        if prefix && body.ends_with(|c: char| !c.is_alphanumeric()) {
            return Err(TermError::Wildcard);
        }
        let mut a = std::mem::take(&mut self.analysis);
        self.analyzer.analyze(body, &mut a);
        let result = self.add_analysed(entity, body, &a, prefix, veto);
        self.analysis = a;
        result
    }

    fn add_analysed(
        &mut self,
        entity: u32,
        body: &str,
        a: &Analysis,
        prefix: bool,
        veto: bool,
    ) -> Result<(), TermError> {
        if a.words.is_empty() {
            return Err(TermError::Empty);
        }
        if let Some(w) = a
            .words
            .iter()
            .skip(1)
            .find(|w| w.flags & BARRIER_BEFORE != 0)
        {
            let gap = &body[..w.start as usize];
            let p: String = gap
                .chars()
                .rev()
                .find(|c| !c.is_whitespace() && !c.is_alphanumeric())
                .into_iter()
                .collect();
            return Err(TermError::Barrier(p));
        }
        let n = a.words.len();
        let mut caps = Vec::new();
        let mut key = String::new();
        for (pos, w) in a.words.iter().enumerate() {
            if w.flags & CAPS != 0 {
                caps.push((pos as u32, a.surface(w).into()));
                key.push_str(a.surface(w));
                key.push('!');
            }
            if prefix && pos + 1 == n {
                key.push('*');
                key.push_str(a.lower(w));
            } else {
                key.push_str(a.stem(w));
            }
            key.push(' ');
        }
        let target = if veto {
            Target::Veto(entity)
        } else {
            Target::Entity(entity)
        };
        if let Some(&existing) = self.keys.get(&key) {
            let t = &self.lex.terms[existing as usize];
            return match (t.target, target) {
                (Target::Entity(e), Target::Entity(f)) if e == f => Ok(()),
                (Target::Veto(_), Target::Veto(_)) => Ok(()),
                (Target::Entity(e) | Target::Veto(e), _) => Err(TermError::Duplicate(e)),
            };
        }
        let term_idx = self.lex.terms.len() as u32;
        let path_len = if prefix { n - 1 } else { n };
        let mut node = 0u32;
        for w in &a.words[..path_len] {
            let id = self.intern(a.stem(w));
            node = match self.lex.nodes[node as usize].children.get(&id) {
                Some(&c) => c,
                None => {
                    let c = self.lex.nodes.len() as u32;
                    self.lex.nodes.push(Node::default());
                    self.lex.nodes[node as usize].children.insert(id, c);
                    c
                }
            };
        }
        if prefix {
            let last = a.lower(&a.words[n - 1]).into();
            self.lex.nodes[node as usize]
                .prefixes
                .push((last, term_idx));
        } else {
            self.lex.nodes[node as usize].terminals.push(term_idx);
        }
        self.lex.terms.push(Term {
            target,
            len: n as u32,
            caps,
            prefix,
        });
        self.keys.insert(key, term_idx);
        Ok(())
    }

    /// Adds a word that vetoes `entity`'s matches in any sentence containing it.
    pub fn add_context(&mut self, entity: u32, word: &str) -> Result<(), TermError> {
        let mut a = std::mem::take(&mut self.analysis);
        self.analyzer.analyze(word, &mut a);
        let result = match a.words.len() {
            0 => Err(TermError::Empty),
            1 => {
                let id = self.intern(a.stem(&a.words[0]));
                self.lex.context.entry(entity).or_default().push(id);
                Ok(())
            }
            n => Err(TermError::NotOneWord(n)),
        };
        self.analysis = a;
        result
    }

    pub fn build(self) -> Lexicon {
        self.lex
    }
}

impl Lexicon {
    /// Number of distinct stems the lexicon uses.
    pub fn vocab_len(&self) -> usize {
        self.vocab.len()
    }

    /// Stem id of a stem, or `NO_ID`.
    pub fn stem_id(&self, stem: &str) -> u32 {
        self.vocab.get(stem).copied().unwrap_or(NO_ID)
    }

    fn caps_ok(&self, t: &Term, a: &Analysis, first: usize) -> bool {
        t.caps.iter().all(|(pos, want)| {
            let w = &a.words[first + *pos as usize];
            let surface = a.surface(w);
            if t.prefix && *pos + 1 == t.len {
                surface.starts_with(&**want)
            } else {
                surface == &**want
            }
        })
    }

    /// Finds mentions leftmost-longest; `ids` is scratch space for the words' stem ids.
    /// Looks every word's stem up by string: `find_cached` does the same work once per
    /// distinct form. Tries a match at every word whose stem any term uses, which
    /// `find_cached` narrows to the words a term can start at (its tests compare the two).
    pub fn find(&self, a: &Analysis, ids: &mut Vec<u32>, out: &mut Vec<Mention>) {
        ids.clear();
        ids.extend(a.words.iter().map(|w| self.stem_id(a.stem(w))));
        let root = &self.nodes[0].prefixes;
        let prefix: Vec<bool> = a
            .words
            .iter()
            .map(|w| root.iter().any(|(p, _)| a.lower(w).starts_with(&**p)))
            .collect();
        let flags: Vec<u8> = ids
            .iter()
            .zip(&prefix)
            .map(|(&id, &p)| {
                let start = if id != NO_ID || p { STARTS } else { 0 };
                start | if p { ROOT_PREFIX } else { 0 }
            })
            .collect();
        self.find_ids(a, ids, &flags, out);
    }

    /// `find` with the per-form memo `memo` (kept by the caller across documents).
    pub fn find_cached(&self, a: &Analysis, memo: &mut FormIds, out: &mut Vec<Mention>) {
        if memo.lexicon != self.id || memo.generation != a.forms_generation() {
            memo.lexicon = self.id;
            memo.generation = a.forms_generation();
            memo.table.clear();
        }
        if memo.table.len() < a.forms_len() {
            memo.table.resize(a.forms_len(), UNSEEN_FORM);
        }
        memo.ids.clear();
        memo.flags.clear();
        let root = &self.nodes[0];
        for w in &a.words {
            let f = w.form as usize;
            let mut entry = memo.table[f];
            if entry == UNSEEN_FORM {
                let id = self.stem_id(a.stem(w));
                let lower = a.lower(w);
                let prefix = root.prefixes.iter().any(|(p, _)| lower.starts_with(&**p));
                // Half the words whose stem some term uses ("of", "the" in "Bank of
                // Japan") start none: skipped by the scan instead of a trie lookup each.
                let starts = prefix || root.children.contains_key(&id);
                let flags = (u8::from(prefix) * ROOT_PREFIX) | (u8::from(starts) * STARTS);
                entry = u64::from(id) | (u64::from(flags) << 32);
                memo.table[f] = entry;
            }
            memo.ids.push(entry as u32);
            memo.flags.push((entry >> 32) as u8);
        }
        self.find_ids(a, &memo.ids, &memo.flags, out);
    }

    /// Leftmost-longest matching over stem ids; `flags[i]` has `ROOT_PREFIX` when a
    /// one-word prefix term can match word `i` (the other prefixes are tested on the way),
    /// and lacks `STARTS` only where no term can start (a match is not tried there).
    fn find_ids(&self, a: &Analysis, ids: &[u32], flags: &[u8], out: &mut Vec<Mention>) {
        let n = a.words.len();
        let first_out = out.len();
        let mut i = 0;
        while i < n {
            // Most words start no term: passed in one tight scan.
            match flags[i..].iter().position(|&f| f & STARTS != 0) {
                Some(k) => i += k,
                None => break,
            }
            // (length, is_prefix, term index): longest wins, then exact over prefix.
            let mut best: Option<(u32, bool, u32)> = None;
            let consider = |len: u32, term: u32, best: &mut Option<(u32, bool, u32)>| {
                let t = &self.terms[term as usize];
                if !self.caps_ok(t, a, i) {
                    return;
                }
                let cand = (len, t.prefix, term);
                let better = match best {
                    None => true,
                    Some((bl, bp, bt)) => {
                        len > *bl
                            || (len == *bl && (*bp && !t.prefix || (*bp == t.prefix && term < *bt)))
                    }
                };
                if better {
                    *best = Some(cand);
                }
            };
            let mut node = 0usize;
            let mut j = i;
            while j < n {
                if j > i && a.words[j].flags & BARRIER_BEFORE != 0 {
                    break;
                }
                let nd = &self.nodes[node];
                if !nd.prefixes.is_empty() && (node != 0 || flags[j] & ROOT_PREFIX != 0) {
                    let lower = a.lower(&a.words[j]);
                    for (p, term) in &nd.prefixes {
                        if lower.starts_with(&**p) {
                            consider((j - i + 1) as u32, *term, &mut best);
                        }
                    }
                }
                let id = ids[j];
                if id == NO_ID {
                    break;
                }
                match nd.children.get(&id) {
                    Some(&c) => node = c as usize,
                    None => break,
                }
                j += 1;
                for &term in &self.nodes[node].terminals {
                    consider((j - i) as u32, term, &mut best);
                }
            }
            match best {
                Some((len, _, term)) => {
                    if let Target::Entity(e) = self.terms[term as usize].target {
                        let first = &a.words[i];
                        let last = &a.words[i + len as usize - 1];
                        out.push(Mention {
                            start: first.start,
                            end: last.end,
                            entity: e,
                            sentence: first.sentence,
                        });
                    }
                    i += len as usize;
                }
                None => i += 1,
            }
        }
        if !self.context.is_empty() {
            self.apply_context_vetoes(a, ids, first_out, out);
        }
    }

    fn apply_context_vetoes(
        &self,
        a: &Analysis,
        ids: &[u32],
        first_out: usize,
        out: &mut Vec<Mention>,
    ) {
        let mut k = first_out;
        while k < out.len() {
            let m = out[k];
            let vetoed = self.context.get(&m.entity).is_some_and(|words| {
                a.words
                    .iter()
                    .zip(ids)
                    .filter(|(w, _)| w.sentence == m.sentence)
                    .any(|(_, id)| words.contains(id))
            });
            if vetoed {
                out.remove(k);
            } else {
                k += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests;
