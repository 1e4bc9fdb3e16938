//! Partial aggregates: the versioned JSON Lines records `newstrack map` writes and
//! `newstrack merge` reads, their associative merge, and the step from a merged partial to
//! the `Aggregate` the reports are written from (docs/partials.md describes the format).
//!
//! Owns the wire format, the checks that refuse partials of another format version or
//! pipeline, the accounting of every input line across partitions, and the exact-duplicate
//! decision across partitions: the copy of a text with the smallest key (source, line)
//! counts, every other copy is listed as its duplicate — the decision `run` makes in walk
//! order, reached here whatever the split and the merge order.
//!
//! Why documents and not a pre-folded `Aggregate`: a document counted in its partition may
//! turn out, at merge time, to be a later copy of a text another partition holds. Its counts
//! could be subtracted again, but not its evidence: the best-K sample cannot give back the
//! sentence it pushed out. So a partial keeps one compact summary per distinct text (counts,
//! co-occurrence and at most one evidence sentence per entity, no article text) and folds
//! them into an `Aggregate` only in `into_aggregate`, once every decision is made.
//!
//! Must not touch: tagging (`map` drives the shared `Worker`), report files (`report` writes
//! them from the `Aggregate` built here) and the aggregate's own merge rules.

pub mod map;

use std::collections::{btree_map, hash_map, BTreeMap, HashMap, HashSet};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

pub use crate::aggregate::DocEvidence;
use crate::aggregate::{Aggregate, DocNames, DocRef, DocSummary, Warning};
use crate::ingest::{DateSource, Rejected};

/// The value of every partial's `format` field.
pub const FORMAT: &str = "newstrack-partial";
/// The format version this newstrack writes and reads.
pub const VERSION: u32 = 1;

/// The pipeline a partial was made with. The hash covers everything that changes tagging
/// (terms, analyzer, language, boilerplate, the newstrack version and the duplicate hash
/// function).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipelineId {
    pub name: String,
    pub hash: String,
}

/// One partial aggregate: one JSON object on one line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Partial {
    pub format: String,
    pub version: u32,
    /// Version of the newstrack that wrote it.
    pub newstrack: String,
    pub pipeline: PipelineId,
    /// Records (non-blank lines) read per source; a source with 0 records overall is an
    /// empty file.
    pub sources: Vec<SourceCount>,
    /// Counted documents: per text, the copy with the smallest key in this partial.
    #[serde(default)]
    pub docs: Vec<Doc>,
    /// Every other copy of a text held in `docs`.
    #[serde(default)]
    pub duplicates: Vec<Duplicate>,
    #[serde(default)]
    pub rejected: Vec<Rejected>,
    #[serde(default)]
    pub warnings: Vec<Warning>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceCount {
    pub name: String,
    pub records: u64,
}

/// One document reduced to what the reports need: a `DocSummary` without the fields the
/// key implies (its path is its source; its evidence shares its id, path and date).
/// Entities are indices into the pipeline's entity list, valid because the hash matches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Doc {
    pub source: String,
    pub line: u64,
    pub id: String,
    pub title: String,
    pub date: Option<NaiveDate>,
    pub date_source: DateSource,
    #[serde(with = "hex16")]
    pub hash: [u8; 16],
    /// (entity, mentions)
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub counts: Vec<(u32, u32)>,
    /// (actor, topic, sentences holding both)
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cooc: Vec<(u32, u32, u32)>,
    /// (actor, topic) both in the document
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pairs: Vec<(u32, u32)>,
    /// (group actor, mentions of it and its members)
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<(u32, u32)>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<DocEvidence>,
    /// Unlisted names (see `aggregate::DocNames`), their example in this document.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub names: Vec<PartialName>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// An unlisted name as a partial writes it: the name and its example spelt out (in a run
/// they share one buffer per document, which the format does not expose).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartialName {
    pub name: String,
    /// Byte range of the name in the document's original text.
    pub start: u32,
    pub end: u32,
    /// The sentence around it (shortened when long), and the name's range within it.
    pub text: String,
    pub highlight: (u32, u32),
}

/// A later copy of a counted text: listed, not counted.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Duplicate {
    pub source: String,
    pub line: u64,
    pub id: String,
    #[serde(with = "hex16")]
    pub hash: [u8; 16],
}

impl Doc {
    pub fn from_summary(source: &str, line: u64, d: DocSummary) -> Doc {
        Doc {
            source: source.to_string(),
            line,
            id: d.id,
            title: d.title,
            date: d.date,
            date_source: d.date_source,
            hash: d.hash,
            counts: d.counts,
            cooc: d.cooc_sentences,
            pairs: d.pairs,
            groups: d.groups,
            evidence: d.evidence,
            names: d
                .names
                .iter()
                .map(|h| PartialName {
                    name: d.names.name(h).to_owned(),
                    start: h.start,
                    end: h.end,
                    text: d.names.example(h).to_owned(),
                    highlight: h.highlight,
                })
                .collect(),
            warnings: d.warnings,
        }
    }

    pub fn into_summary(self) -> DocSummary {
        let (id, path, date) = (self.id, self.source, self.date);
        let mut names = DocNames::default();
        for n in &self.names {
            names.push(&n.name, n.start, n.end, &n.text, n.highlight);
        }
        DocSummary {
            names,
            evidence: self.evidence,
            id,
            path,
            date,
            date_source: self.date_source,
            title: self.title,
            hash: self.hash,
            counts: self.counts,
            cooc_sentences: self.cooc,
            pairs: self.pairs,
            groups: self.groups,
            warnings: self.warnings,
        }
    }

    fn key(&self) -> (&str, u64) {
        (&self.source, self.line)
    }

    fn into_duplicate(self) -> Duplicate {
        Duplicate {
            source: self.source,
            line: self.line,
            id: self.id,
            hash: self.hash,
        }
    }
}

/// Why partials cannot be merged. Each names where the partial came from (file and line).
#[derive(Debug, thiserror::Error)]
pub enum PartialError {
    #[error("{origin}: not a newstrack partial ({reason}); merge reads the lines `newstrack map` writes")]
    NotPartial { origin: String, reason: String },
    #[error("{origin}: partial format version {found}, but this newstrack ({ours}) reads version {VERSION}: map and merge with the same newstrack")]
    Version {
        origin: String,
        found: u64,
        ours: &'static str,
    },
    #[error("{0}")]
    Pipeline(Box<Mismatch>),
    #[error(
        "{origin}: inconsistent partial: {what}; it was damaged or not written by `newstrack map`"
    )]
    Inconsistent { origin: String, what: String },
    #[error("line {line} of {input} is in more than one partial (or twice in one): each input line must be mapped exactly once; when the input is split, number its lines and pass `map --numbered` (see docs/partials.md)")]
    SameLineTwice { input: String, line: u64 },
}

/// A partial made with another pipeline (or another newstrack) than merge's.
#[derive(Debug)]
pub struct Mismatch {
    pub origin: String,
    pub name: String,
    pub hash: String,
    pub made_by: String,
    pub want_name: String,
    pub want_hash: String,
    pub want_path: String,
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: made with pipeline \"{}\" (hash {}, newstrack {}), but merge uses pipeline \"{}\" (hash {}, newstrack {}) from {}: merge with the same pipeline file, unchanged, and the same newstrack as map",
            self.origin,
            self.name,
            self.hash,
            self.made_by,
            self.want_name,
            self.want_hash,
            env!("CARGO_PKG_VERSION"),
            self.want_path
        )
    }
}

impl PartialError {
    fn inconsistent(origin: &str, what: String) -> PartialError {
        PartialError::Inconsistent {
            origin: origin.to_string(),
            what,
        }
    }
}

/// The fields checked before the rest is read, so a partial of another version or pipeline
/// is refused with that reason rather than as a shape error.
#[derive(Deserialize)]
struct Header {
    format: Option<String>,
    version: Option<u64>,
    newstrack: Option<String>,
    pipeline: Option<LenientPipeline>,
}

#[derive(Deserialize)]
struct LenientPipeline {
    name: Option<String>,
    hash: Option<String>,
}

/// What a partial must have been made with to be merged.
pub struct Expect<'a> {
    pub pipeline: &'a PipelineId,
    /// The pipeline file, named in errors.
    pub path: &'a str,
}

/// Reads one partial (one line) from `origin` (e.g. `part-00003 line 1`), refusing other
/// formats, versions and pipelines.
pub fn parse(line: &str, origin: &str, want: &Expect) -> Result<Partial, PartialError> {
    let not_partial = |reason: String| PartialError::NotPartial {
        origin: origin.to_string(),
        reason,
    };
    let h: Header =
        serde_json::from_str(line).map_err(|e| not_partial(format!("invalid JSON: {e}")))?;
    if h.format.as_deref() != Some(FORMAT) {
        return Err(not_partial(match h.format {
            Some(f) => format!("format is {f:?}, expected {FORMAT:?}"),
            None => format!("no \"format\": \"{FORMAT}\" field"),
        }));
    }
    let found = h.version.unwrap_or(0);
    if found != VERSION as u64 {
        return Err(PartialError::Version {
            origin: origin.to_string(),
            found,
            ours: env!("CARGO_PKG_VERSION"),
        });
    }
    let (name, hash) = h
        .pipeline
        .map(|p| (p.name.unwrap_or_default(), p.hash.unwrap_or_default()))
        .unwrap_or_default();
    if hash != want.pipeline.hash {
        return Err(PartialError::Pipeline(Box::new(Mismatch {
            origin: origin.to_string(),
            name,
            hash,
            made_by: h.newstrack.unwrap_or_else(|| "?".into()),
            want_name: want.pipeline.name.clone(),
            want_hash: want.pipeline.hash.clone(),
            want_path: want.path.to_string(),
        })));
    }
    let p: Partial = serde_json::from_str(line).map_err(|e| not_partial(e.to_string()))?;
    check(&p, origin)?;
    Ok(p)
}

/// The partial's own accounting must balance: every record it read is a document, a
/// duplicate or a rejection, and every duplicate's text is counted in it.
fn check(p: &Partial, origin: &str) -> Result<(), PartialError> {
    let records: u64 = p.sources.iter().map(|s| s.records).sum();
    let held = (p.docs.len() + p.duplicates.len() + p.rejected.len()) as u64;
    if records != held {
        return Err(PartialError::inconsistent(
            origin,
            format!("its sources count {records} records but it holds {held} documents, duplicates and rejections"),
        ));
    }
    let names: HashSet<&str> = p.sources.iter().map(|s| s.name.as_str()).collect();
    let unlisted = p
        .docs
        .iter()
        .map(|d| d.source.as_str())
        .chain(p.duplicates.iter().map(|d| d.source.as_str()))
        .chain(p.rejected.iter().map(|r| r.path.as_str()))
        .find(|s| !names.contains(s));
    if let Some(s) = unlisted {
        return Err(PartialError::inconsistent(
            origin,
            format!("a record of {s:?} whose source is not listed"),
        ));
    }
    let hashes: HashSet<[u8; 16]> = p.docs.iter().map(|d| d.hash).collect();
    if let Some(d) = p.duplicates.iter().find(|d| !hashes.contains(&d.hash)) {
        return Err(PartialError::inconsistent(
            origin,
            format!(
                "duplicate line {} of {} has no counted copy",
                d.line, d.source
            ),
        ));
    }
    Ok(())
}

/// Merges partials: associative and commutative, so partials can be merged in any grouping
/// and order (a tree of `merge --partial` stages, Spark's own reduce) with the same result.
pub struct Merger {
    pipeline: PipelineId,
    sources: BTreeMap<String, u64>,
    /// Per text, the copy with the smallest key so far.
    canonical: HashMap<[u8; 16], Doc>,
    duplicates: Vec<Duplicate>,
    /// Lines seen per source: a line mapped twice would be counted twice.
    keys: HashMap<String, HashSet<u64>>,
    rejected: Vec<Rejected>,
    warnings: Vec<Warning>,
    partials: u64,
}

impl Merger {
    pub fn new(pipeline: PipelineId) -> Merger {
        Merger {
            pipeline,
            sources: BTreeMap::new(),
            canonical: HashMap::new(),
            duplicates: Vec::new(),
            keys: HashMap::new(),
            rejected: Vec::new(),
            warnings: Vec::new(),
            partials: 0,
        }
    }

    /// A merger holding one partial, e.g. to turn it into an aggregate.
    pub fn from_partial(p: Partial) -> Result<Merger, PartialError> {
        let mut m = Merger::new(p.pipeline.clone());
        m.add_partial(p)?;
        Ok(m)
    }

    /// Partials merged so far.
    pub fn partials(&self) -> u64 {
        self.partials
    }

    /// Sources seen, in order: the report's inputs.
    pub fn source_names(&self) -> Vec<String> {
        self.sources.keys().cloned().collect()
    }

    /// Merges a partial read with `parse`.
    pub fn add_partial(&mut self, p: Partial) -> Result<(), PartialError> {
        self.partials += 1;
        for s in p.sources {
            self.add_records(&s.name, s.records);
        }
        for d in p.docs {
            self.add_doc(d)?;
        }
        for d in p.duplicates {
            self.claim(&d.source, d.line)?;
            self.duplicates.push(d);
        }
        for r in p.rejected {
            self.add_rejected(r)?;
        }
        self.warnings.extend(p.warnings);
        Ok(())
    }

    /// Counts `records` more records of `source` (registering it even when 0).
    pub fn add_records(&mut self, source: &str, records: u64) {
        match self.sources.entry(source.to_string()) {
            btree_map::Entry::Occupied(mut e) => *e.get_mut() += records,
            btree_map::Entry::Vacant(e) => {
                e.insert(records);
            }
        }
    }

    fn claim(&mut self, source: &str, line: u64) -> Result<(), PartialError> {
        let lines = match self.keys.get_mut(source) {
            Some(l) => l,
            None => self.keys.entry(source.to_string()).or_default(),
        };
        if lines.insert(line) {
            Ok(())
        } else {
            Err(PartialError::SameLineTwice {
                input: source.to_string(),
                line,
            })
        }
    }

    /// Adds a document: it stays counted if it is the first copy of its text so far.
    pub fn add_doc(&mut self, d: Doc) -> Result<(), PartialError> {
        self.claim(&d.source, d.line)?;
        match self.canonical.entry(d.hash) {
            hash_map::Entry::Vacant(e) => {
                e.insert(d);
            }
            hash_map::Entry::Occupied(mut e) => {
                let later = if d.key() < e.get().key() {
                    std::mem::replace(e.get_mut(), d)
                } else {
                    d
                };
                self.duplicates.push(later.into_duplicate());
            }
        }
        Ok(())
    }

    /// Adds a rejected record (or a line that was not a record).
    pub fn add_rejected(&mut self, r: Rejected) -> Result<(), PartialError> {
        if let Some(line) = r.record {
            self.claim(&r.path, line)?;
        }
        self.rejected.push(r);
        Ok(())
    }

    pub fn add_warning(&mut self, w: Warning) {
        self.warnings.push(w);
    }

    /// The merged partial, every list in canonical order.
    pub fn into_partial(self) -> Partial {
        let mut docs: Vec<Doc> = self.canonical.into_values().collect();
        docs.sort_by(|a, b| a.key().cmp(&b.key()));
        let mut duplicates = self.duplicates;
        duplicates.sort();
        let mut rejected = self.rejected;
        rejected.sort();
        let mut warnings = self.warnings;
        warnings.sort();
        Partial {
            format: FORMAT.to_string(),
            version: VERSION,
            newstrack: env!("CARGO_PKG_VERSION").to_string(),
            pipeline: self.pipeline,
            sources: self
                .sources
                .into_iter()
                .map(|(name, records)| SourceCount { name, records })
                .collect(),
            docs,
            duplicates,
            rejected,
            warnings,
        }
    }

    /// The finished aggregate, as `run` over the same sources would make it: each source is
    /// one file read, a source without records is an empty file, each text counts once.
    pub fn into_aggregate(self, evidence_cap: usize) -> Aggregate {
        let mut agg = Aggregate::new(evidence_cap);
        let acc = &mut agg.accounting;
        for (name, records) in &self.sources {
            acc.files_seen += 1;
            acc.files_read += 1;
            acc.records_read += records;
            if *records == 0 {
                acc.records_read += 1;
                acc.records_rejected.push(Rejected {
                    path: name.clone(),
                    record: None,
                    reason: "empty file".into(),
                });
            }
        }
        acc.records_rejected.extend(self.rejected);
        acc.warnings.extend(self.warnings);
        let first: HashMap<[u8; 16], String> = self
            .canonical
            .iter()
            .map(|(h, d)| (*h, d.id.clone()))
            .collect();
        acc.duplicates
            .extend(self.duplicates.into_iter().map(|d| DocRef {
                same_as: first.get(&d.hash).cloned(),
                doc: d.id,
                path: d.source,
            }));
        // In key order, as `run` folds them in walk order: documents sharing an id then
        // keep the same relative order in every list.
        let mut docs: Vec<Doc> = self.canonical.into_values().collect();
        docs.sort_by(|a, b| a.key().cmp(&b.key()));
        for d in docs {
            agg.add_doc(d.into_summary());
        }
        agg.finish();
        agg
    }
}

/// A 16-byte content hash as 32 lowercase hex digits.
mod hex16 {
    use serde::{de::Error, Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(h: &[u8; 16], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&crate::ingest::clean::hash_hex(h))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 16], D::Error> {
        let s = <std::borrow::Cow<str>>::deserialize(d)?;
        let bytes = s.as_bytes();
        if bytes.len() != 32 {
            return Err(D::Error::custom("a hash is 32 hex digits"));
        }
        let mut h = [0u8; 16];
        for (i, pair) in bytes.chunks(2).enumerate() {
            let hex = std::str::from_utf8(pair).map_err(D::Error::custom)?;
            h[i] = u8::from_str_radix(hex, 16)
                .map_err(|_| D::Error::custom("a hash is 32 hex digits"))?;
        }
        Ok(h)
    }
}

#[cfg(test)]
mod tests;
