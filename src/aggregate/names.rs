//! Unlisted names: capitalised name sequences (people, organisations, places) in a document
//! that the lexicon does not cover, so analysts see which actors to add.
//!
//! Owns the per-document extraction (`extract`, over the analysed words and the mentions,
//! into `DocNames`: one buffer per document for every name and example text) and the
//! mergeable per-name statistics (`NameStats`). Reads the analysis and mentions
//! only; never matches lexicon terms itself (a word inside or touching a mention is the
//! lexicon's business) and knows nothing of periods or reports.
//!
//! Rules: a name is a run of capitalised words (or acronyms in capitals) with no
//! punctuation barrier between them, joined by lowercase connectors such as "of" ("Bank of
//! Tokyo", "University of Illinois"). A sentence's first word says nothing about being a
//! name, so a name starting a sentence needs a second word; leading titles and common words
//! ("The", "Dr", "President", "March") are dropped, as are trailing company suffixes ("Inc",
//! "Ltd"). Runs that touch a mention extend a listed name ("Treasury Secretary" before
//! "Baker") and are skipped. In headlines written in capitals, capitals say nothing.

use std::cell::{Cell, RefCell};
use std::sync::LazyLock;

use rustc_hash::FxHashMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::analyze::{Analysis, Word, BARRIER_BEFORE, CAPS, INIT_CAP, SENTENCE_START};
use crate::ingest::Article;
use crate::tag::Mention;

use super::DocSummary;

/// Longest name kept, in words: longer runs are headlines or titles of works, not names.
const MAX_WORDS: usize = 6;
/// Distinct names kept per document (in text order): a list or a table of names should not
/// flood the statistics.
pub const MAX_PER_DOC: usize = 100;
/// Longest example text kept, in bytes.
const EXAMPLE_MAX: usize = 240;
/// A typical longest name in bytes (a name is at most `MAX_WORDS` words of any length): only
/// sizes a document's name buffer.
const MAX_NAME: usize = 64;

/// Lowercase words allowed inside a name between capitalised words.
const CONNECTORS: &[&str] = &[
    "al", "bin", "da", "de", "del", "der", "di", "du", "for", "la", "le", "of", "the", "van", "von",
];

/// Last words of organisation names: "and" joins two capitalised runs into one name only
/// when the second ends with one ("Securities and Exchange Commission"), so "Britain and
/// France" stay two names.
const ORG_WORDS: &[&str] = &[
    "agency",
    "association",
    "authority",
    "bank",
    "board",
    "bureau",
    "college",
    "commission",
    "committee",
    "company",
    "corporation",
    "council",
    "department",
    "exchange",
    "foundation",
    "fund",
    "group",
    "industries",
    "industry",
    "institute",
    "ministry",
    "office",
    "organisation",
    "organization",
    "party",
    "service",
    "services",
    "society",
    "trust",
    "union",
    "university",
];

/// Trailing company suffixes dropped so "Sony Corp" and "Sony" are one name.
const SUFFIXES: &[&str] = &[
    "ag", "bhd", "co", "corp", "cos", "gmbh", "inc", "kk", "llc", "ltd", "nv", "plc", "sa", "spa",
];

/// Words that are capitalised for reasons other than being a name: function words, titles,
/// months and weekdays, and the commonest sentence openers. Sorted for binary search.
const COMMON: &[&str] = &[
    "a",
    "about",
    "according",
    "acting",
    "after",
    "again",
    "against",
    "ago",
    "all",
    "also",
    "although",
    "am",
    "ambassador",
    "among",
    "an",
    "analyst",
    "analysts",
    "and",
    "another",
    "any",
    "apr",
    "april",
    "are",
    "as",
    "assistant",
    "at",
    "attorney",
    "aug",
    "august",
    "avg",
    "be",
    "because",
    "been",
    "before",
    "being",
    "bln",
    "both",
    "but",
    "by",
    "can",
    "cdt",
    "ceo",
    "chairman",
    "chairwoman",
    "chancellor",
    "chief",
    "co",
    "commissioner",
    "congressman",
    "could",
    "cts",
    "dec",
    "december",
    "deputy",
    "despite",
    "did",
    "director",
    "dlrs",
    "do",
    "does",
    "dr",
    "during",
    "each",
    "earlier",
    "edt",
    "eight",
    "either",
    "est",
    "even",
    "every",
    "executive",
    "feb",
    "february",
    "few",
    "first",
    "five",
    "for",
    "former",
    "four",
    "fourth",
    "friday",
    "from",
    "full",
    "further",
    "furthermore",
    "gmt",
    "gov",
    "governor",
    "had",
    "has",
    "have",
    "he",
    "her",
    "here",
    "his",
    "how",
    "however",
    "i",
    "if",
    "in",
    "inc",
    "including",
    "instead",
    "into",
    "is",
    "it",
    "its",
    "jan",
    "january",
    "jr",
    "judge",
    "jul",
    "july",
    "jun",
    "june",
    "just",
    "last",
    "later",
    "like",
    "many",
    "march",
    "may",
    "mayor",
    "meanwhile",
    "minister",
    "miss",
    "mln",
    "monday",
    "more",
    "moreover",
    "most",
    "mr",
    "mrs",
    "ms",
    "mths",
    "much",
    "my",
    "next",
    "nine",
    "no",
    "nor",
    "not",
    "nov",
    "november",
    "now",
    "oct",
    "october",
    "of",
    "officer",
    "officials",
    "on",
    "once",
    "one",
    "only",
    "oper",
    "or",
    "other",
    "our",
    "over",
    "pdt",
    "per",
    "perhaps",
    "pm",
    "premier",
    "president",
    "prof",
    "professor",
    "pst",
    "qtr",
    "rep",
    "representative",
    "reuter",
    "reuters",
    "revs",
    "said",
    "saturday",
    "second",
    "secretary",
    "sen",
    "senator",
    "sep",
    "sept",
    "september",
    "seven",
    "several",
    "she",
    "should",
    "shr",
    "shrs",
    "since",
    "six",
    "so",
    "some",
    "speaker",
    "spokesman",
    "spokeswoman",
    "sr",
    "still",
    "such",
    "sunday",
    "ten",
    "than",
    "that",
    "the",
    "their",
    "them",
    "then",
    "there",
    "these",
    "they",
    "third",
    "this",
    "those",
    "though",
    "three",
    "thursday",
    "to",
    "today",
    "too",
    "tuesday",
    "two",
    "under",
    "undersecretary",
    "unless",
    "until",
    "upon",
    "us",
    "vice",
    "was",
    "we",
    "wednesday",
    "were",
    "what",
    "when",
    "where",
    "whether",
    "which",
    "while",
    "who",
    "why",
    "will",
    "with",
    "within",
    "without",
    "would",
    "year",
    "yesterday",
    "yet",
    "you",
    "your",
];

/// An unlisted name found in a document, with its example there: ranges into the
/// document's [`DocNames`] buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocName {
    /// The name, in the buffer (read it with `DocNames::name`).
    name: (u32, u32),
    /// Byte range of the name in the document's original text.
    pub start: u32,
    pub end: u32,
    /// The sentence around it (shortened when long), in the buffer (read it with
    /// `DocNames::example`), and the name's range within that example.
    text: (u32, u32),
    pub highlight: (u32, u32),
}

/// A document's unlisted names, in order of first appearance, with their names and example
/// texts in one buffer: a document costs one allocation however many names it has (four or
/// five in a news article), names in one short sentence share its text, and the fold copies
/// out only the few examples that become the ones kept.
///
/// Decoding checks every range (stored parts may be damaged), so reading one never panics.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawNames")]
pub struct DocNames {
    text: String,
    list: Vec<DocName>,
}

/// [`DocNames`] as decoded, before its ranges are checked.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNames {
    text: String,
    list: Vec<DocName>,
}

impl TryFrom<RawNames> for DocNames {
    type Error = String;

    fn try_from(raw: RawNames) -> Result<DocNames, String> {
        let fits = |(a, b): (u32, u32)| raw.text.get(a as usize..b as usize).is_some();
        match raw.list.iter().find(|h| !fits(h.name) || !fits(h.text)) {
            Some(h) => Err(format!(
                "a name's range {:?} or {:?} is outside its {} bytes of text",
                h.name,
                h.text,
                raw.text.len()
            )),
            None => Ok(DocNames {
                text: raw.text,
                list: raw.list,
            }),
        }
    }
}

impl DocNames {
    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    pub fn iter(&self) -> std::slice::Iter<'_, DocName> {
        self.list.iter()
    }

    /// The name of `hit`, one of these names.
    pub fn name(&self, hit: &DocName) -> &str {
        self.slice(hit.name)
    }

    /// The example text of `hit`, one of these names.
    pub fn example(&self, hit: &DocName) -> &str {
        self.slice(hit.text)
    }

    /// Adds a name with its own copy of its example.
    pub fn push(&mut self, name: &str, start: u32, end: u32, example: &str, highlight: (u32, u32)) {
        let name = self.append(name);
        let text = self.append(example);
        self.list.push(DocName {
            name,
            start,
            end,
            text,
            highlight,
        });
    }

    fn slice(&self, (a, b): (u32, u32)) -> &str {
        // Ranges are made by `append` or checked when decoded.
        &self.text[a as usize..b as usize]
    }

    fn append(&mut self, s: &str) -> (u32, u32) {
        let a = self.text.len() as u32;
        self.text.push_str(s);
        (a, self.text.len() as u32)
    }

    /// Whether an earlier name is `name`.
    fn has(&self, name: &str) -> bool {
        self.list.iter().any(|h| self.name(h) == name)
    }
}

/// Where a name was first seen: the earliest document (by id) and position.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NameExample {
    pub doc: String,
    pub path: String,
    pub date: Option<NaiveDate>,
    /// Byte range of the name in the document's original text.
    pub start: u32,
    pub end: u32,
    /// The sentence around it (shortened when long), and the name's range within it.
    pub text: String,
    pub highlight: (u32, u32),
}

/// Documents naming one name: per day for dated documents, plus the undated ones.
///
/// Merging adds counts and keeps the smallest example, so it is associative and
/// commutative. Nothing is pruned here: a threshold applied while merging would count a
/// name seen once in each of two parts as zero, so the report applies its thresholds to
/// the finished aggregate instead (memory grows with distinct (name, day) pairs, so they are
/// kept compact: a sorted vector, not a tree whose smallest node holds eleven entries).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NameStats {
    pub documents: u64,
    pub days: Days,
    pub example: NameExample,
}

/// A name's (day, documents) list: sorted by day, each day once. It remembers where it
/// counted last: coverage mostly arrives in date order, so the next day counted is that one
/// or the one after, and checking there reads one cache line where a binary search walks a
/// chain of them (on a large corpus that walk was most of the fold's time on names).
#[derive(Debug, Clone, Default)]
pub struct Days {
    list: Vec<(NaiveDate, u32)>,
    /// Index in `list` of the day counted last (0 when empty).
    at: u32,
}

impl Days {
    fn one(day: NaiveDate) -> Days {
        Days {
            list: vec![(day, 1)],
            at: 0,
        }
    }

    /// Adds `n` documents on `day`.
    fn bump(&mut self, day: NaiveDate, n: u32) {
        let list = &mut self.list;
        let at = self.at as usize;
        let k = match list.get(at).map(|e| e.0) {
            Some(d) if d == day => at,
            Some(d) if d < day => match list.get(at + 1).map(|e| e.0) {
                Some(next) if next == day => at + 1,
                Some(next) if next < day => search(list, day),
                // Between the two, or after the last.
                _ => {
                    list.insert(at + 1, (day, 0));
                    at + 1
                }
            },
            _ => search(list, day),
        };
        list[k].1 += n;
        self.at = k as u32;

        /// Where `day` is, inserted (with no documents) when missing.
        fn search(list: &mut Vec<(NaiveDate, u32)>, day: NaiveDate) -> usize {
            list.binary_search_by_key(&day, |&(d, _)| d)
                .unwrap_or_else(|k| {
                    list.insert(k, (day, 0));
                    k
                })
        }
    }
}

impl std::ops::Deref for Days {
    type Target = [(NaiveDate, u32)];

    fn deref(&self) -> &[(NaiveDate, u32)] {
        &self.list
    }
}

/// The same days and counts, wherever the last count went.
impl PartialEq for Days {
    fn eq(&self, o: &Days) -> bool {
        self.list == o.list
    }
}
impl Eq for Days {}

impl Serialize for Days {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.list.serialize(s)
    }
}

impl<'de> Deserialize<'de> for Days {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Days, D::Error> {
        let list = Vec::<(NaiveDate, u32)>::deserialize(d)?;
        Ok(Days { list, at: 0 })
    }
}

impl NameStats {
    pub fn new(date: Option<NaiveDate>, example: NameExample) -> NameStats {
        let days = date.map(Days::one).unwrap_or_default();
        NameStats {
            documents: 1,
            days,
            example,
        }
    }

    /// The stats of a name first met in document `d` (`hit` is one of `d.names`).
    pub fn first(hit: &DocName, d: &DocSummary) -> NameStats {
        NameStats::new(d.date, example_of(hit, d))
    }

    /// Counts one more document naming it; the example is built only when it wins.
    pub fn add(&mut self, hit: &DocName, d: &DocSummary) {
        self.documents += 1;
        if let Some(day) = d.date {
            self.days.bump(day, 1);
        }
        let ex = &self.example;
        if (d.id.as_str(), hit.start) < (ex.doc.as_str(), ex.start) {
            self.example = example_of(hit, d);
        }
    }

    pub fn merge(&mut self, o: NameStats) {
        self.documents += o.documents;
        for &(d, n) in o.days.iter() {
            self.days.bump(d, n);
        }
        fn key(e: &NameExample) -> (&str, u32) {
            (&e.doc, e.start)
        }
        if key(&o.example) < key(&self.example) {
            self.example = o.example;
        }
    }
}

fn example_of(hit: &DocName, d: &DocSummary) -> NameExample {
    NameExample {
        doc: d.id.clone(),
        path: d.path.clone(),
        date: d.date,
        start: hit.start,
        end: hit.end,
        text: d.names.example(hit).to_owned(),
        highlight: hit.highlight,
    }
}

const IS_COMMON: u8 = 1;
const IS_CONNECTOR: u8 = 2;
const IS_SUFFIX: u8 = 4;
const IS_ORG: u8 = 8;

/// Every listed word with the lists it is on: one hash lookup per word instead of a search
/// per list (this runs for every capitalised word of every document).
static CLASSES: LazyLock<FxHashMap<&'static str, u8>> = LazyLock::new(|| {
    let mut m = FxHashMap::default();
    for (list, bit) in [
        (COMMON, IS_COMMON),
        (CONNECTORS, IS_CONNECTOR),
        (SUFFIXES, IS_SUFFIX),
        (ORG_WORDS, IS_ORG),
    ] {
        for w in list {
            *m.entry(*w).or_default() |= bit;
        }
    }
    m
});

/// The lists a lowercased word is on.
fn class(lower: &str) -> u8 {
    if lower.len() > 16 {
        return 0;
    }
    CLASSES.get(lower).copied().unwrap_or(0)
}

/// Facts about a word form, cached per form id (see `Scratch`): the lists its lowercase
/// form is on (the `IS_*` bits) and what its surface holds.
const HAS_DIGIT: u16 = 16;
const HAS_LETTER: u16 = 32;
const IS_AND: u16 = 64;
/// At least two letters: a single letter is an initial, not a name.
const TWO_LETTERS: u16 = 128;
const KNOWN: u16 = 256;

/// Per-thread buffers reused across documents, and the facts of each word form. Form ids
/// are stable while the analysis' form table keeps its generation, and every fact here is
/// a function of the surface form, so each form is looked at once per table instead of once
/// per token (this runs over every word of every document).
#[derive(Default)]
struct Scratch {
    generation: u64,
    facts: Vec<u16>,
    headline: Vec<bool>,
    /// Indexes of the document's capitalised words.
    capitalised: Vec<u32>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::default();
}

fn facts_of(surface: &str, lower: &str) -> u16 {
    let mut f = KNOWN | u16::from(class(lower));
    if surface.bytes().any(|b| b.is_ascii_digit()) {
        f |= HAS_DIGIT;
    }
    let letters = surface
        .chars()
        .filter(|c| c.is_alphabetic())
        .take(2)
        .count();
    if letters > 0 {
        f |= HAS_LETTER;
    }
    if letters > 1 {
        f |= TWO_LETTERS;
    }
    if lower == "and" {
        f |= IS_AND;
    }
    f
}

/// The facts of a word's form, computed on first need.
#[inline(always)]
fn form_facts(facts: &[Cell<u16>], analysis: &Analysis, w: &Word) -> u16 {
    let cell = &facts[w.form as usize];
    match cell.get() {
        0 => {
            let f = facts_of(analysis.surface(w), analysis.lower(w));
            cell.set(f);
            f
        }
        f => f,
    }
}

/// The distinct unlisted names of one document, in order of first appearance.
pub fn extract(article: &Article, analysis: &Analysis, mentions: &[Mention]) -> DocNames {
    SCRATCH.with(|s| match s.try_borrow_mut() {
        Ok(mut s) => extract_with(&mut s, article, analysis, mentions),
        Err(_) => extract_with(&mut Scratch::default(), article, analysis, mentions),
    })
}

fn extract_with(
    scratch: &mut Scratch,
    article: &Article,
    analysis: &Analysis,
    mentions: &[Mention],
) -> DocNames {
    let words = &analysis.words;
    let n = words.len();
    if scratch.generation != analysis.forms_generation() {
        scratch.generation = analysis.forms_generation();
        scratch.facts.clear();
    }
    let nforms = analysis.forms_len();
    if scratch.facts.len() < nforms {
        scratch.facts.resize(nforms, 0);
    }
    let Scratch {
        facts,
        headline,
        capitalised,
        ..
    } = scratch;
    let facts = Cell::from_mut(&mut facts[..]).as_slice_of_cells();
    // Forms' facts are computed on first need: most words are lowercase and never asked.
    let fact = |i: usize| form_facts(facts, analysis, &words[i]);
    // Only a capitalised word can start or extend a name, and only a sentence holding a word
    // in capitals can be a headline: both passes below visit these words, not every word.
    // Every index is written and the count moves only past capitalised ones: a fifth of
    // the words, at random, so a branch per word would be mispredicted often.
    capitalised.clear();
    capitalised.resize(n, 0);
    let mut m = 0;
    for (k, w) in words.iter().enumerate() {
        capitalised[m] = k as u32;
        m += usize::from(w.flags & (CAPS | INIT_CAP) != 0);
    }
    let capitalised = &capitalised[..m];
    // Sentences written mostly in capitals (wire headlines): capitals there mark nothing.
    // A sentence's words are consecutive, and sentences come in order.
    debug_assert!(words.windows(2).all(|p| p[0].sentence <= p[1].sentence));
    headline.clear();
    headline.resize(analysis.sentences.len(), false);
    let mut c = 0;
    while c < capitalised.len() {
        let k = capitalised[c] as usize;
        if words[k].flags & CAPS == 0 {
            c += 1;
            continue;
        }
        let s = words[k].sentence;
        let to = k + words[k..].partition_point(|w| w.sentence == s);
        let (mut caps, mut capital) = (0u32, 0u32);
        while c < capitalised.len() && (capitalised[c] as usize) < to {
            caps += u32::from(words[capitalised[c] as usize].flags & CAPS != 0);
            capital += 1;
            c += 1;
        }
        // `letters` counts every capitalised word, so `letters >= capital`: with one word in
        // capitals, or capitals no more than half of the capitalised words from `k` on, the
        // sentence is no headline whatever its other words, and they need not be looked at
        // (most sentences naming "U.S." end here).
        if caps * 2 <= capital.max(3) {
            continue;
        }
        let from = words[..k].partition_point(|w| w.sentence < s);
        let letters = (from..to)
            .filter(|&k| words[k].flags & (CAPS | INIT_CAP) != 0 || fact(k) & HAS_LETTER != 0)
            .count() as u32;
        if let Some(h) = headline.get_mut(s as usize) {
            *h = letters >= 3 && caps * 2 > letters;
        }
    }
    let headline = &headline[..];
    // Mentions come in text order and do not overlap, so their ends are sorted too; only
    // capitalised words and their neighbours are asked about.
    let in_mention = |i: usize| -> bool {
        let w = &words[i];
        let k = mentions.partition_point(|m| m.end <= w.start);
        k < mentions.len() && mentions[k].start <= w.start && w.end <= mentions[k].end
    };
    // A word opening a line is treated like one opening a sentence: in tables and
    // listings ("Shr 12 cts", "Net profit") line starts are capitalised whatever they are.
    let bytes = article.text.as_bytes();
    let line_start = |i: usize| -> bool {
        let from = if i == 0 { 0 } else { words[i - 1].end as usize };
        bytes
            .get(from..words[i].start as usize)
            .is_some_and(|gap| gap.contains(&b'\n'))
            || (i == 0 && words[0].start == 0)
    };
    // Most words are lowercase: the flags settle them before anything else is looked at.
    let capital = |i: usize| -> bool {
        let w = &words[i];
        w.flags & (CAPS | INIT_CAP) != 0
            && !headline.get(w.sentence as usize).copied().unwrap_or(false)
            && !in_mention(i)
            && fact(i) & HAS_DIGIT == 0
    };
    let joined = |i: usize| words[i].flags & BARRIER_BEFORE == 0;
    let mut out = DocNames::default();
    let mut shown = None;
    // Words before `done` belong to runs already looked at.
    let mut done = 0;
    for &i in capitalised {
        let i = i as usize;
        if i < done || !capital(i) {
            continue;
        }
        // Extend over capitalised words and connectors followed by a capitalised word.
        let mut last = i;
        let mut k = i + 1;
        while k < n && joined(k) && last + 1 - i < MAX_WORDS + 2 {
            if capital(k) {
                last = k;
                k += 1;
                continue;
            }
            let mut c = k;
            while c < n
                && c - k < 2
                && joined(c)
                && !in_mention(c)
                && words[c].flags & INIT_CAP == 0
                && fact(c) & u16::from(IS_CONNECTOR) != 0
            {
                c += 1;
            }
            if c > k && c < n && joined(c) && capital(c) {
                last = c;
                k = c + 1;
                continue;
            }
            if c == k && fact(k) & IS_AND != 0 && !in_mention(k) {
                // "and" followed by a capitalised run ending in an organisation word.
                let mut e = k + 1;
                while e < n && joined(e) && capital(e) {
                    e += 1;
                }
                let tail = e.saturating_sub(1);
                if e > k + 1 && fact(tail) & u16::from(IS_ORG | IS_SUFFIX) != 0 {
                    last = tail;
                    k = e;
                    continue;
                }
            }
            break;
        }
        let next = last + 1;
        // Only a capitalised mention makes this run part of a longer name: "European"
        // before the topic word "automakers" is a name of its own.
        let named = |k: usize| in_mention(k) && words[k].flags & (INIT_CAP | CAPS) != 0;
        let touches =
            (i > 0 && named(i - 1) && joined(i)) || (next < n && named(next) && joined(next));
        if !touches {
            let run = &words[i..=last];
            name_of(
                article,
                analysis,
                facts,
                run,
                line_start(i),
                &mut out,
                &mut shown,
            );
        }
        if out.len() >= MAX_PER_DOC {
            break;
        }
        done = next;
    }
    out
}

/// The example text written last, and what it was cut from: a name in the same window of
/// the same sentence (the whole sentence, when short) shares it.
#[derive(Clone, Copy)]
struct Shown {
    sentence: (usize, usize),
    window: (usize, usize),
    text: (u32, u32),
}

/// Trims a run of words to the name it holds and adds it to `out`, unless nothing name-like
/// is left or the document named it before: only a name's first place gets an example.
fn name_of(
    article: &Article,
    analysis: &Analysis,
    facts: &[Cell<u16>],
    run: &[Word],
    line_start: bool,
    out: &mut DocNames,
    shown: &mut Option<Shown>,
) {
    let opens = |k: usize, w: &Word| w.flags & SENTENCE_START != 0 || (k == 0 && line_start);
    let class = |w: &Word| form_facts(facts, analysis, w) as u8 & 15;
    let mut a = 0;
    let mut b = run.len();
    // "Shares of Acme": a sentence's first word joined by a connector is a common noun as
    // often as a name, so the name starts after the connector.
    if run.len() > 1 && opens(0, &run[0]) && run[1].flags & INIT_CAP == 0 {
        a = 1;
    }
    // Leading titles and common words, trailing suffixes, connectors and common words.
    while a < b && class(&run[a]) & (IS_COMMON | IS_CONNECTOR) != 0 {
        a += 1;
    }
    while b > a {
        if class(&run[b - 1]) & (IS_SUFFIX | IS_CONNECTOR | IS_COMMON) != 0
            || run[b - 1].flags & INIT_CAP == 0 && run[b - 1].flags & CAPS == 0
        {
            b -= 1;
        } else {
            break;
        }
    }
    let first = a;
    let run = &run[a..b];
    if run.is_empty() || run.len() > MAX_WORDS {
        return;
    }
    if run.len() == 1 {
        let w = &run[0];
        // A sentence's first word is capitalised anyway; one letter is an initial.
        if opens(first, w) || form_facts(facts, analysis, w) & TWO_LETTERS == 0 {
            return;
        }
    }
    let (start, end) = (run[0].start as usize, run[run.len() - 1].end as usize);
    let (Some(raw), Some(sentence)) = (
        article.text.get(start..end),
        analysis.sentences.get(run[0].sentence as usize),
    ) else {
        return;
    };
    if out.list.is_empty() {
        // Nearly every sentence of news copy names someone, so the examples come to most of
        // the document's text: room for all of it at once, instead of a buffer grown (and
        // copied) several times over. A long document fills no more than `MAX_PER_DOC`
        // names with their examples (`EXAMPLE_MAX` bytes and two ellipses each), so its
        // buffer is not made the size of its text.
        let most = MAX_PER_DOC * (MAX_NAME + EXAMPLE_MAX + 2 * '…'.len_utf8());
        out.text.reserve(article.text.len().min(most));
    }
    // Names met before in the document are the common case: checked before anything is
    // written.
    let name = if is_squeezed(raw) {
        if out.has(raw) {
            return;
        }
        out.append(raw)
    } else {
        let mark = out.text.len();
        squeeze_spaces_into(raw, &mut out.text);
        let name = (mark as u32, out.text.len() as u32);
        if out.has(out.slice(name)) {
            out.text.truncate(mark);
            return;
        }
        name
    };
    let (s, e) = (sentence.start as usize, sentence.end as usize);
    let window = super::summary::window(&article.text, s, e, start, end, EXAMPLE_MAX);
    let text = match *shown {
        Some(sh) if sh.sentence == (s, e) && sh.window == window => sh.text,
        _ => {
            let mark = out.text.len() as u32;
            super::summary::push_excerpt(&mut out.text, &article.text, s, e, window);
            let text = (mark, out.text.len() as u32);
            *shown = Some(Shown {
                sentence: (s, e),
                window,
                text,
            });
            text
        }
    };
    out.list.push(DocName {
        name,
        start: start as u32,
        end: end as u32,
        text,
        highlight: super::summary::highlight(s, window, start, end),
    });
}

/// Whether `raw` is its words joined by single spaces already (most names are).
fn is_squeezed(raw: &str) -> bool {
    let b = raw.as_bytes();
    raw.is_ascii()
        && !b.iter().any(|c| matches!(c, b'\t'..=b'\r'))
        && !b.windows(2).any(|p| p == b"  ")
        && b.first() != Some(&b' ')
        && b.last() != Some(&b' ')
}

/// `raw`'s words joined by single spaces, written at the end of `out`.
fn squeeze_spaces_into(raw: &str, out: &mut String) {
    for (k, part) in raw.split_whitespace().enumerate() {
        if k > 0 {
            out.push(' ');
        }
        out.push_str(part);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::compile;
    use crate::ingest::DateSource;
    use crate::tag::TagScratch;

    const PIPE: &str = r#"
[pipeline]
name = "t"
[[topic]]
id = "envoys"
terms = ["envoy"]
[[actor]]
id = "bessent"
kind = "person"
terms = ["Bessent"]
[[actor]]
id = "china"
kind = "country"
terms = ["China"]
"#;

    fn article(text: &str) -> Article {
        Article {
            id: "d".into(),
            path: "d.txt".into(),
            record: None,
            title: String::new(),
            date: None,
            date_source: DateSource::None,
            source: None,
            url: None,
            text: text.into(),
            cleaned: None,
            meta: Default::default(),
            warnings: vec![],
        }
    }

    /// The unlisted names of `text`, analysed and tagged with `PIPE`.
    fn extracted(text: &str) -> DocNames {
        let p = compile(PIPE, std::path::Path::new("t.toml")).unwrap();
        let mut a = Analysis::default();
        p.analyzer.analyze(text, &mut a);
        let mut m = Vec::new();
        crate::tag::tag(&p.lexicon, &a, &mut TagScratch::default(), &mut m);
        extract(&article(text), &a, &m)
    }

    fn names(text: &str) -> Vec<String> {
        let found = extracted(text);
        found.iter().map(|h| found.name(h).to_owned()).collect()
    }

    #[test]
    fn names_found_and_noise_skipped() {
        let cases: &[(&str, &[&str])] = &[
            (
                "Experts such as Dr. Michael Thompson at the University of Illinois agreed.",
                &["Michael Thompson", "University of Illinois"],
            ),
            (
                "As Dr. Thomas Lin, a senior analyst at the Brookings Institution, noted.",
                &["Thomas Lin", "Brookings Institution"],
            ),
            // Sentence-initial capitals and common words are not names.
            ("However, prices rose. Markets fell in March.", &[]),
            // A sentence's first word counts when a second capitalised word follows.
            ("Sarah Johnson said so.", &["Sarah Johnson"]),
            // Runs touching a capitalised mention extend a listed name; a lowercase one
            // (a topic word) does not.
            ("Treasury Secretary Scott Bessent met China's envoy.", &[]),
            ("They met European envoys about China.", &["European"]),
            // Company suffixes dropped; one entry per name.
            ("Shares of Acme Corp rose, and Acme said more.", &["Acme"]),
            // A headline in capitals marks nothing; acronyms elsewhere do.
            (
                "JAPAN SAYS TRADE TALKS STALL\n\nThe talks at GATT stalled.",
                &["GATT"],
            ),
            // Two words in capitals of three with letters make a headline; of four, not.
            ("IBM GM Talks.\n\nSony rose.", &[]),
            ("IBM GM Talks Sony.", &["IBM GM Talks Sony"]),
            ("Then IBM met GM.", &["IBM", "GM"]),
            // Words without letters count for neither.
            ("IBM GM TALKS 12 34 56 78.", &[]),
            // A headline is judged on its whole sentence: capitals after a lowercase
            // opening are names, even where they outnumber the words after them.
            (
                "Dealers in the city said NEW YORK BANKS sold.",
                &["NEW YORK BANKS"],
            ),
            // "and" joins only into an organisation's name.
            (
                "It told the Securities and Exchange Commission, Britain and France.",
                &["Securities and Exchange Commission", "Britain", "France"],
            ),
            // Line starts count as sentence starts (tables, listings).
            (
                "Shr 12 cts vs 10 cts\nNet profit rose\nNew York Times said",
                &["New York Times"],
            ),
            // Commas and digits break runs; names after them stand alone.
            (
                "They met Lin, Thompson and 3M officials.",
                &["Lin", "Thompson"],
            ),
        ];
        for (text, want) in cases {
            assert_eq!(names(text), *want, "{text}");
        }
    }

    /// What `squeeze_spaces_into` appends (after other text, as in a document's buffer).
    fn squeezed_form(raw: &str) -> String {
        let mut out = String::from("before");
        squeeze_spaces_into(raw, &mut out);
        out["before".len()..].to_owned()
    }

    #[test]
    fn squeezed_names_are_copied_as_written() {
        let cases = [
            ("Bank of Tokyo", true),
            ("Bank  of Tokyo", false),
            ("Bank\nof Tokyo", false),
            ("Bank\u{a0}of Tokyo", false),
            ("Banco de España", false),
        ];
        for (raw, squeezed) in cases {
            assert_eq!(is_squeezed(raw), squeezed, "{raw:?}");
            if squeezed {
                assert_eq!(squeezed_form(raw), raw);
            }
        }
        assert_eq!(squeezed_form("Bank \n of\u{a0}Tokyo"), "Bank of Tokyo");
    }

    #[test]
    fn names_in_one_sentence_share_its_text() {
        let long = format!(
            "Then Ann Lee met Bob Ray {} and Cy Dunn.",
            "and talked ".repeat(40)
        );
        let text = format!("Experts such as Sarah Johnson and Tom Baker agreed. {long}");
        let found = extracted(&text);
        let got: Vec<(&str, &str, &str)> = found
            .iter()
            .map(|h| {
                let ex = found.example(h);
                let lit = &ex[h.highlight.0 as usize..h.highlight.1 as usize];
                assert_eq!(lit, &text[h.start as usize..h.end as usize]);
                (found.name(h), ex, lit)
            })
            .collect();
        let first = "Experts such as Sarah Johnson and Tom Baker agreed.";
        assert_eq!(got[0], ("Sarah Johnson", first, "Sarah Johnson"));
        assert_eq!(got[1], ("Tom Baker", first, "Tom Baker"));
        // One copy of a short sentence for both names.
        assert_eq!(found.list[0].text, found.list[1].text);
        // A long sentence is cut around each name: windows differ, so do the texts.
        let names: Vec<&str> = got.iter().map(|g| g.0).collect();
        assert_eq!(
            names,
            [
                "Sarah Johnson",
                "Tom Baker",
                "Ann Lee",
                "Bob Ray",
                "Cy Dunn"
            ]
        );
        assert!(got[2].1.ends_with('…') && got[4].1.starts_with('…'));
        assert_ne!(found.list[2].text, found.list[4].text);
    }

    #[test]
    fn a_long_document_does_not_size_its_name_buffer_by_its_text() {
        // (document, at most this many bytes of buffer)
        let long = format!(
            "Sarah Johnson spoke. {}",
            "Prices rose again. ".repeat(50_000)
        );
        let cases = [("Sarah Johnson spoke.".to_string(), 64), (long, 40 << 10)];
        for (text, most) in cases {
            let found = extracted(&text);
            assert_eq!(found.len(), 1);
            assert!(
                found.text.capacity() <= most,
                "{} for {} bytes",
                found.text.capacity(),
                text.len()
            );
        }
    }

    #[test]
    fn decoded_names_with_ranges_outside_their_text_are_refused() {
        #[derive(Serialize)]
        struct Raw<'a> {
            text: &'a str,
            list: Vec<DocName>,
        }
        let hit = |name: (u32, u32), text: (u32, u32)| DocName {
            name,
            start: 0,
            end: 1,
            text,
            highlight: (0, 1),
        };
        let cases = [
            ("good", "Baker met", hit((0, 5), (0, 9)), true),
            (
                "name past the end",
                "Baker met",
                hit((0, 50), (0, 9)),
                false,
            ),
            (
                "text past the end",
                "Baker met",
                hit((0, 5), (6, 10)),
                false,
            ),
            ("reversed", "Baker met", hit((5, 0), (0, 9)), false),
            ("inside a character", "Müller", hit((0, 2), (0, 7)), false),
        ];
        for (what, text, h, ok) in cases {
            let bytes = postcard::to_allocvec(&Raw {
                text,
                list: vec![h],
            })
            .unwrap();
            let got = postcard::from_bytes::<DocNames>(&bytes);
            assert_eq!(got.is_ok(), ok, "{what}: {got:?}");
            if let Ok(n) = got {
                assert_eq!(n.name(&n.list[0]), "Baker");
            }
        }
    }

    #[test]
    fn word_lists_are_sorted_lowercase() {
        for list in [COMMON, CONNECTORS, SUFFIXES, ORG_WORDS] {
            assert!(list.windows(2).all(|w| w[0] < w[1]), "{list:?}");
            assert!(list.iter().all(|w| w.to_lowercase() == *w));
        }
    }

    #[test]
    fn days_count_each_day_once_in_order_whatever_the_order_counted() {
        let d = |n: u32| NaiveDate::from_ymd_opt(1987, 1, 1).unwrap() + chrono::Days::new(n.into());
        // Dates in order (the common case), a corpus read twice, a day between two counted
        // ones, days before the first, repeats after a jump back, and a scatter.
        let cases: &[&[u32]] = &[
            &[],
            &[5, 5, 5],
            &[1, 2, 2, 3, 7, 7, 9],
            &[1, 2, 3, 1, 2, 3, 4],
            &[1, 5, 3, 4, 2, 6],
            &[9, 8, 7, 7, 1, 9, 1],
            &[4, 4, 9, 4, 9, 5, 10, 5, 0, 11, 3],
            // Forward jumps of every length from 1 to 40 over a list already full of days
            // (a corpus read twice), landing on counted days and between them.
            &{
                let mut seq: Vec<u32> = (0..300).step_by(2).collect();
                let mut day = 0;
                for jump in 1..=40 {
                    day += jump;
                    seq.push(day);
                    seq.push(0);
                    seq.push(day);
                }
                seq
            },
            // A scatter with runs forward: an LCG's days, each followed by a few later ones.
            &{
                let mut seq = Vec::new();
                let mut x = 12345u32;
                for _ in 0..200 {
                    x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                    let start = (x >> 16) % 400;
                    for k in 0..(x >> 8) % 5 {
                        seq.push(start + k * (x >> 4) % 37);
                    }
                }
                seq
            },
        ];
        for seq in cases {
            let mut days = Days::default();
            let mut want: std::collections::BTreeMap<NaiveDate, u32> = Default::default();
            for (i, &n) in seq.iter().enumerate() {
                let c = i as u32 % 3 + 1;
                days.bump(d(n), c);
                *want.entry(d(n)).or_default() += c;
                let want: Vec<(NaiveDate, u32)> = want.iter().map(|(&k, &v)| (k, v)).collect();
                assert_eq!(*days, want[..], "{seq:?} after {i}");
            }
        }
    }

    #[test]
    fn merge_adds_counts_and_keeps_the_smallest_example() {
        let ex = |doc: &str| NameExample {
            doc: doc.into(),
            path: format!("{doc}.txt"),
            date: None,
            start: 0,
            end: 1,
            text: "x".into(),
            highlight: (0, 1),
        };
        let d = |n| NameDate::from_ymd_opt(1987, 3, n).unwrap();
        type NameDate = NaiveDate;
        let mut a = NameStats::new(Some(d(1)), ex("b"));
        let b = NameStats::new(Some(d(1)), ex("a"));
        let c = NameStats::new(None, ex("c"));
        let mut ab = a.clone();
        ab.merge(b.clone());
        ab.merge(c.clone());
        let mut cb = c;
        cb.merge(b);
        a.merge(cb);
        assert_eq!(a, ab);
        assert_eq!(a.documents, 3);
        assert_eq!(*a.days, [(d(1), 2)]);
        assert_eq!(a.example.doc, "a");
    }
}
