//! Aggregate: what outlives a document. Per-day and per-entity counts, co-occurrence,
//! a bounded evidence sample, per-document rows and the run's accounting.
//!
//! Owns `DocSummary` (one tagged document reduced to counts) and `Aggregate`, whose `merge`
//! is associative and commutative so any split of a corpus over threads, batches or
//! machines gives the same totals. Counts are kept per day, never per reporting period, so
//! one aggregate serves day, week and month reports. No file handling here: the
//! per-document rows live in a `spill::DocRows`, which writes them to temporary files when
//! the pipeline gives it a folder (a run's rows outgrow memory on a large corpus).

mod names;
mod summary;

pub use names::{DocName, DocNames, NameExample, NameStats};
pub use summary::{summarize, summarize_unlabelled};

use std::cmp::Ordering;
use std::collections::BTreeMap;

use rustc_hash::FxHashMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::ingest::{DateSource, Rejected};
use crate::spill::DocRows;

/// Mentions and distinct documents.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub mentions: u64,
    pub documents: u64,
}

impl Counts {
    fn add(&mut self, o: Counts) {
        self.mentions += o.mentions;
        self.documents += o.documents;
    }
}

/// A sentence kept as evidence for an entity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    pub entity: u32,
    /// Distinct entities in the sentence: sentences that tie an actor to a topic rank first.
    pub score: u32,
    pub doc: String,
    pub path: String,
    pub date: Option<NaiveDate>,
    /// Byte range of the sentence in the document's original text.
    pub start: u32,
    pub end: u32,
    /// The sentence as written (possibly shortened around the mention).
    pub text: String,
    /// The entity's first mention, as a byte range of `text`.
    pub highlight: (u32, u32),
}

impl Evidence {
    /// Total order used to keep the best K: associative and commutative truncation.
    fn rank(&self, other: &Self) -> Ordering {
        rank_key(self.score, &self.doc, self.start, self.entity).cmp(&rank_key(
            other.score,
            &other.doc,
            other.start,
            other.entity,
        ))
    }
}

/// What `Evidence::rank` orders by: most distinct entities first, then document and place.
fn rank_key(
    score: u32,
    doc: &str,
    start: u32,
    entity: u32,
) -> (std::cmp::Reverse<u32>, &str, u32, u32) {
    (std::cmp::Reverse(score), doc, start, entity)
}

/// A document's best sentence for one entity, before it is known whether it will be kept:
/// the document's id, path and date live once in its `DocSummary`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocEvidence {
    pub entity: u32,
    pub score: u32,
    pub start: u32,
    pub end: u32,
    pub text: String,
    pub highlight: (u32, u32),
}

impl DocEvidence {
    fn into_evidence(self, d: &DocSummary) -> Evidence {
        Evidence {
            entity: self.entity,
            score: self.score,
            doc: d.id.clone(),
            path: d.path.clone(),
            date: d.date,
            start: self.start,
            end: self.end,
            text: self.text,
            highlight: self.highlight,
        }
    }
}

/// One document reduced to what the aggregate needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocSummary {
    pub id: String,
    pub path: String,
    /// A day number in the stored parts (postcard), not chrono's text, which a re-run parsed
    /// back for every document.
    #[serde(with = "crate::ingest::date::days")]
    pub date: Option<NaiveDate>,
    pub date_source: DateSource,
    pub title: String,
    /// Hash of the normalised text, for exact-duplicate detection.
    pub hash: [u8; 16],
    /// (entity, mentions), sorted by entity.
    pub counts: Vec<(u32, u32)>,
    /// (actor, topic, sentences holding both), sorted.
    pub cooc_sentences: Vec<(u32, u32, u32)>,
    /// (actor, topic) pairs both mentioned in the document, sorted.
    pub pairs: Vec<(u32, u32)>,
    /// (group actor, mentions of it and its members), sorted; only actors that are groups.
    pub groups: Vec<(u32, u32)>,
    /// Best sentence per entity in this document.
    pub evidence: Vec<DocEvidence>,
    /// Distinct capitalised names the lexicon does not cover.
    pub names: DocNames,
    pub warnings: Vec<String>,
}

/// A document listed in the report (undated or duplicate ones).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct DocRef {
    pub doc: String,
    pub path: String,
    /// For duplicates: the document counted in its place.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub same_as: Option<String>,
}

/// A per-document row for `documents.csv`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocRow {
    pub doc: String,
    pub path: String,
    pub date: Option<NaiveDate>,
    pub date_source: DateSource,
    pub title: String,
    pub counts: Vec<(u32, u32)>,
}

/// A warning tied to a file (and record where known).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Warning {
    pub path: String,
    pub record: Option<u64>,
    pub message: String,
}

/// Every input accounted for: files seen = read + skipped + failed; records read = articles
/// + rejected; articles = counted + duplicates.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Accounting {
    pub files_seen: u64,
    pub files_read: u64,
    pub files_skipped: Vec<Rejected>,
    pub files_failed: Vec<Rejected>,
    pub records_read: u64,
    pub records_rejected: Vec<Rejected>,
    pub articles: u64,
    pub duplicates: Vec<DocRef>,
    pub warnings: Vec<Warning>,
}

impl Accounting {
    /// Files seen = read + skipped + failed: the identity every report states.
    pub fn files_balanced(&self) -> bool {
        self.files_seen
            == self.files_read + self.files_skipped.len() as u64 + self.files_failed.len() as u64
    }

    /// Records read = counted + duplicates + rejected.
    pub fn records_balanced(&self) -> bool {
        self.records_read
            == self.articles + self.duplicates.len() as u64 + self.records_rejected.len() as u64
    }

    fn merge(&mut self, o: Accounting) {
        self.files_seen += o.files_seen;
        self.files_read += o.files_read;
        self.files_skipped.extend(o.files_skipped);
        self.files_failed.extend(o.files_failed);
        self.records_read += o.records_read;
        self.records_rejected.extend(o.records_rejected);
        self.articles += o.articles;
        self.duplicates.extend(o.duplicates);
        self.warnings.extend(o.warnings);
        self.files_skipped.sort();
        self.files_failed.sort();
        self.records_rejected.sort();
        self.duplicates.sort();
        self.warnings.sort();
    }
}

impl PartialOrd for Rejected {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Rejected {
    fn cmp(&self, other: &Self) -> Ordering {
        (&self.path, self.record, &self.reason).cmp(&(&other.path, other.record, &other.reason))
    }
}

/// The mergeable result of a run or of any part of one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Aggregate {
    pub accounting: Accounting,
    /// Articles counted (duplicates excluded) per day.
    pub day_articles: BTreeMap<NaiveDate, u64>,
    pub undated: Vec<DocRef>,
    /// (day, entity) → counts, dated documents only.
    pub cells: BTreeMap<(NaiveDate, u32), Counts>,
    /// entity → counts over all documents, undated included.
    pub totals: BTreeMap<u32, Counts>,
    /// group actor → counts of itself and its members (a document counts once).
    pub group_totals: BTreeMap<u32, Counts>,
    /// (actor, topic) → sentences holding both.
    pub cooc_sentences: BTreeMap<(u32, u32), u64>,
    /// (actor, topic) → documents holding both.
    pub cooc_documents: BTreeMap<(u32, u32), u64>,
    /// (day, actor, topic) → documents holding both.
    pub cooc_days: BTreeMap<(NaiveDate, u32, u32), u64>,
    /// entity → best evidence, at most `evidence_cap`.
    pub evidence: BTreeMap<u32, Vec<Evidence>>,
    /// (day, entity) → best evidence of that day, at most `DAY_EVIDENCE`.
    pub day_evidence: BTreeMap<(NaiveDate, u32), Vec<Evidence>>,
    /// One row per counted document, for documents.csv: read them with `docs.iter()`.
    pub docs: DocRows,
    /// Counted documents with at least one mention.
    #[serde(default)]
    pub docs_with_mentions: u64,
    pub evidence_cap: usize,
    /// Unlisted name → documents naming it (see `names` for why nothing is pruned). Hashed,
    /// not ordered: a run looks names up once per document that has them, and the report
    /// ranks them itself.
    #[serde(default)]
    pub names: FxHashMap<String, NameStats>,
}

/// Evidence kept per entity and day (for spikes).
pub const DAY_EVIDENCE: usize = 2;

fn add_map<K: Ord + Clone>(into: &mut BTreeMap<K, u64>, from: BTreeMap<K, u64>) {
    for (k, v) in from {
        *into.entry(k).or_default() += v;
    }
}

/// Adds one document's evidence to a list kept as `keep_best` would leave it (sorted by
/// rank, at most `cap`), building the full `Evidence` only when it makes the cut.
fn offer(list: &mut Vec<Evidence>, cap: usize, ev: &DocEvidence, d: &DocSummary) {
    let key = rank_key(ev.score, &d.id, ev.start, ev.entity);
    let pos = list.partition_point(|x| rank_key(x.score, &x.doc, x.start, x.entity) < key);
    if pos >= cap
        || list
            .get(pos)
            .is_some_and(|x| rank_key(x.score, &x.doc, x.start, x.entity) == key)
    {
        return;
    }
    list.insert(pos, ev.clone().into_evidence(d));
    list.truncate(cap);
}

fn keep_best(list: &mut Vec<Evidence>, cap: usize) {
    list.sort_by(Evidence::rank);
    list.dedup_by(|a, b| a.doc == b.doc && a.start == b.start && a.entity == b.entity);
    list.truncate(cap);
}

impl Aggregate {
    pub fn new(evidence_cap: usize) -> Aggregate {
        Aggregate {
            evidence_cap,
            ..Default::default()
        }
    }

    /// Folds one counted (non-duplicate) document in.
    pub fn add_doc(&mut self, d: DocSummary) {
        self.accounting.articles += 1;
        for w in &d.warnings {
            self.accounting.warnings.push(Warning {
                path: d.path.clone(),
                record: None,
                message: format!("{}: {w}", d.id),
            });
        }
        match d.date {
            Some(day) => *self.day_articles.entry(day).or_default() += 1,
            None => self.undated.push(DocRef {
                doc: d.id.clone(),
                path: d.path.clone(),
                same_as: None,
            }),
        }
        for &(e, n) in &d.counts {
            let c = Counts {
                mentions: n as u64,
                documents: 1,
            };
            self.totals.entry(e).or_default().add(c);
            if let Some(day) = d.date {
                self.cells.entry((day, e)).or_default().add(c);
            }
        }
        for &(g, n) in &d.groups {
            self.group_totals.entry(g).or_default().add(Counts {
                mentions: n as u64,
                documents: 1,
            });
        }
        for &(a, t, n) in &d.cooc_sentences {
            *self.cooc_sentences.entry((a, t)).or_default() += n as u64;
        }
        for &(a, t) in &d.pairs {
            *self.cooc_documents.entry((a, t)).or_default() += 1;
            if let Some(day) = d.date {
                *self.cooc_days.entry((day, a, t)).or_default() += 1;
            }
        }
        for ev in &d.evidence {
            offer(
                self.evidence.entry(ev.entity).or_default(),
                self.evidence_cap,
                ev,
                &d,
            );
            if let Some(day) = d.date {
                offer(
                    self.day_evidence.entry((day, ev.entity)).or_default(),
                    DAY_EVIDENCE,
                    ev,
                    &d,
                );
            }
        }
        // A name met before (most are) costs one hash and no allocation; its example is
        // copied out of the document's buffer only when it becomes the one kept.
        for hit in d.names.iter() {
            let name = d.names.name(hit);
            match self.names.get_mut(name) {
                Some(s) => s.add(hit, &d),
                None => {
                    self.names
                        .insert(name.to_owned(), NameStats::first(hit, &d));
                }
            }
        }
        self.docs_with_mentions += u64::from(!d.counts.is_empty());
        self.docs.push(DocRow {
            doc: d.id,
            path: d.path,
            date: d.date,
            date_source: d.date_source,
            title: d.title,
            counts: d.counts,
        });
    }

    /// Associative, commutative merge.
    pub fn merge(&mut self, o: Aggregate) {
        self.evidence_cap = self.evidence_cap.max(o.evidence_cap);
        self.accounting.merge(o.accounting);
        add_map(&mut self.day_articles, o.day_articles);
        self.undated.extend(o.undated);
        for (k, c) in o.cells {
            self.cells.entry(k).or_default().add(c);
        }
        for (k, c) in o.totals {
            self.totals.entry(k).or_default().add(c);
        }
        for (k, c) in o.group_totals {
            self.group_totals.entry(k).or_default().add(c);
        }
        add_map(&mut self.cooc_sentences, o.cooc_sentences);
        add_map(&mut self.cooc_documents, o.cooc_documents);
        add_map(&mut self.cooc_days, o.cooc_days);
        for (k, v) in o.evidence {
            self.evidence.entry(k).or_default().extend(v);
        }
        for (k, v) in o.day_evidence {
            self.day_evidence.entry(k).or_default().extend(v);
        }
        self.docs.absorb(o.docs);
        self.docs_with_mentions += o.docs_with_mentions;
        for (k, v) in o.names {
            match self.names.get_mut(&k) {
                Some(s) => s.merge(v),
                None => {
                    self.names.insert(k, v);
                }
            }
        }
        self.finish();
    }

    /// Puts every list in its canonical order and trims samples, so equal content gives
    /// equal values (and byte-identical reports) whatever the order documents arrived in.
    pub fn finish(&mut self) {
        self.undated.sort();
        self.docs.sort();
        let cap = self.evidence_cap;
        for list in self.evidence.values_mut() {
            keep_best(list, cap);
        }
        for list in self.day_evidence.values_mut() {
            keep_best(list, DAY_EVIDENCE);
        }
        let mut acc = std::mem::take(&mut self.accounting);
        acc.merge(Accounting::default());
        self.accounting = acc;
    }

    /// Articles counted (duplicates excluded).
    pub fn articles(&self) -> u64 {
        self.accounting.articles
    }

    pub fn first_day(&self) -> Option<NaiveDate> {
        self.day_articles.keys().next().copied()
    }

    pub fn last_day(&self) -> Option<NaiveDate> {
        self.day_articles.keys().next_back().copied()
    }
}

#[cfg(test)]
mod tests;
