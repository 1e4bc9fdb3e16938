//! Spec → validated, compiled `Pipeline`. Collects every error of a pipeline file at once,
//! each with file, line, column, key, the bad value and what was expected.
//!
//! Owns validation and the construction of the shared expensive objects (analyzer, lexicon
//! index). Must not read articles or write reports.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{Datelike, Duration, NaiveDate};
use rust_stemmers::Algorithm;
use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::spec::{self, Block, EntitySpec, PipelineSpec};
use crate::analyze::{Analyzer, AnalyzerKind};
use crate::tag::{Lexicon, LexiconBuilder, TermError};

/// One problem in a pipeline file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    /// e.g. `[[actor]] #3 (id "ford")`.
    pub section: String,
    pub key: Option<String>,
    pub value: Option<String>,
    /// What is wrong and what was expected.
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: ", self.file, self.line, self.column)?;
        if !self.section.is_empty() {
            write!(f, "{}: ", self.section)?;
        }
        if let Some(k) = &self.key {
            write!(f, "key `{k}`")?;
            if let Some(v) = &self.value {
                write!(f, " = {v:?}")?;
            }
            write!(f, ": ")?;
        }
        write!(f, "{}", self.message)
    }
}

/// Every problem found in one pipeline file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for e in &self.0 {
            writeln!(f, "{e}")?;
        }
        let n = self.0.len();
        write!(
            f,
            "{n} error{} in the pipeline; fix {} and run `newstrack check` again",
            if n == 1 { "" } else { "s" },
            if n == 1 { "it" } else { "them" }
        )
    }
}

impl std::error::Error for ConfigErrors {}

/// Reporting period for trends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Period {
    Day,
    Week,
    Month,
}

impl Period {
    pub fn parse(s: &str) -> Option<Period> {
        match s {
            "day" => Some(Period::Day),
            "week" => Some(Period::Week),
            "month" => Some(Period::Month),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Period::Day => "day",
            Period::Week => "week",
            Period::Month => "month",
        }
    }
    /// First day of the period holding `d` (ISO weeks start on Monday).
    pub fn start(self, d: NaiveDate) -> NaiveDate {
        match self {
            Period::Day => d,
            Period::Week => d - Duration::days(d.weekday().num_days_from_monday() as i64),
            Period::Month => d.with_day(1).unwrap_or(d),
        }
    }
    /// First day of the next period.
    pub fn next(self, start: NaiveDate) -> NaiveDate {
        match self {
            Period::Day => start + Duration::days(1),
            Period::Week => start + Duration::days(7),
            Period::Month => {
                let (y, m) = if start.month() == 12 {
                    (start.year() + 1, 1)
                } else {
                    (start.year(), start.month() + 1)
                };
                NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(start + Duration::days(31))
            }
        }
    }
    /// Label of the period starting at `start`: `2025-06-10`, `2025-W24`, `2025-06`.
    pub fn label(self, start: NaiveDate) -> String {
        match self {
            Period::Day => start.format("%Y-%m-%d").to_string(),
            Period::Week => {
                let w = start.iso_week();
                format!("{}-W{:02}", w.year(), w.week())
            }
            Period::Month => start.format("%Y-%m").to_string(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EntityKind {
    Topic,
    Actor,
}

impl EntityKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::Topic => "topic",
            EntityKind::Actor => "actor",
        }
    }
}

/// A compiled topic or actor. Its index in `Pipeline::entities` is its number everywhere.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entity {
    pub id: String,
    pub label: String,
    pub kind: EntityKind,
    /// For actors: country, person, organization... (empty for topics).
    pub actor_kind: String,
    /// Index of the actor this one rolls up to.
    pub group: Option<u32>,
    pub terms: Vec<String>,
    pub exclude: Vec<String>,
    pub exclude_context: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Event {
    pub date: NaiveDate,
    pub label: String,
}

/// The validated pipeline every stage reads. Expensive parts are built once and shared.
pub struct Pipeline {
    pub name: String,
    pub description: String,
    pub path: PathBuf,
    pub period: Period,
    pub analyzer_kind: AnalyzerKind,
    pub language: String,
    pub entities: Vec<Entity>,
    pub events: Vec<Event>,
    /// Lowercased lines that are never tagged, besides the built-in list.
    pub boilerplate: Vec<String>,
    pub evidence_per_entity: usize,
    /// Largest document read (`max_doc_bytes`, `--max-doc-bytes`); not in `hash`: the state
    /// keys results by it separately, and the CLI may override it.
    pub max_doc_bytes: u64,
    /// `include`/`exclude` globs: which files under the input folders are read.
    pub inputs: crate::ingest::walk::Filter,
    pub analyzer: Arc<Analyzer>,
    pub lexicon: Arc<Lexicon>,
    /// Hex digest of everything that changes tagging results (terms, analyzer, language,
    /// boilerplate, version, duplicate hash function): partial results made under another
    /// hash must not be mixed in.
    pub hash: String,
    /// Per entity, the group actor its mentions roll up to: its `group`, itself when other
    /// actors roll up to it, else `None`. Worked out once here, not per mention.
    pub rollup: Vec<Option<u32>>,
}

impl fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pipeline")
            .field("name", &self.name)
            .field("entities", &self.entities.len())
            .field("hash", &self.hash)
            .finish()
    }
}

impl Pipeline {
    pub fn entity_index(&self, id: &str) -> Option<u32> {
        self.entities
            .iter()
            .position(|e| e.id == id)
            .map(|i| i as u32)
    }
}

pub const ACTOR_KINDS: &[&str] = &[
    "country",
    "person",
    "organization",
    "agency",
    "company",
    "place",
    "group",
    "other",
];

/// Reads and compiles a pipeline file.
pub fn load(path: &Path) -> Result<Pipeline, ConfigErrors> {
    let display = path.display().to_string();
    let source = std::fs::read_to_string(path).map_err(|e| {
        ConfigErrors(vec![ConfigError {
            file: display.clone(),
            line: 0,
            column: 0,
            section: String::new(),
            key: None,
            value: None,
            message: format!(
                "cannot read pipeline file: {e}; pass an existing file with --pipeline"
            ),
        }])
    })?;
    compile(&source, path)
}

struct Ctx<'a> {
    file: String,
    source: &'a str,
    errors: Vec<ConfigError>,
}

impl Ctx<'_> {
    fn at(&self, offset: usize) -> (usize, usize) {
        let before = &self.source[..offset.min(self.source.len())];
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        (line, col)
    }
    fn push(
        &mut self,
        offset: usize,
        section: &str,
        key: Option<&str>,
        value: Option<String>,
        message: impl Into<String>,
    ) {
        let (line, column) = self.at(offset);
        self.errors.push(ConfigError {
            file: self.file.clone(),
            line,
            column,
            section: section.to_string(),
            key: key.map(str::to_string),
            value,
            message: message.into(),
        });
    }
}

/// Validates `source` (the text of `path`) and builds the pipeline, or returns every error.
pub fn compile(source: &str, path: &Path) -> Result<Pipeline, ConfigErrors> {
    let spec = spec::parse(source);
    let mut cx = Ctx {
        file: path.display().to_string(),
        source,
        errors: Vec::new(),
    };
    for p in &spec.problems {
        let value = None;
        cx.push(
            p.span.start,
            &p.section,
            p.key.as_deref(),
            value,
            p.message.clone(),
        );
    }
    let built = if spec.syntax_error {
        None
    } else {
        build(&spec, &mut cx, path)
    };
    cx.errors.sort_by_key(|e| (e.line, e.column));
    match built {
        Some(p) if cx.errors.is_empty() => Ok(p),
        _ => Err(ConfigErrors(cx.errors)),
    }
}

fn is_valid_id(s: &str) -> bool {
    let mut cs = s.chars();
    matches!(cs.next(), Some(c) if c.is_ascii_lowercase() || c.is_ascii_digit())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

fn build(spec: &PipelineSpec, cx: &mut Ctx, path: &Path) -> Option<Pipeline> {
    let default = Block {
        value: Default::default(),
        offset: 0,
        ordinal: 0,
    };
    let has_pipeline = spec.pipeline.is_some();
    let pb = spec.pipeline.as_ref().unwrap_or(&default);
    let p = &pb.value;
    let sec = "[pipeline]";
    if !has_pipeline && spec.problems.iter().all(|e| e.section != "[pipeline] #1") {
        cx.push(
            0,
            "",
            None,
            None,
            "missing [pipeline] table: expected `[pipeline]` with at least `name = \"...\"`",
        );
    }
    let name = match &p.name {
        Some(n)
            if !n.get_ref().is_empty()
                && n.get_ref()
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
                && !n.get_ref().starts_with('.') =>
        {
            n.get_ref().clone()
        }
        Some(n) => {
            cx.push(pb.offset + n.span().start, sec, Some("name"), Some(n.get_ref().clone()), "expected a non-empty name of letters, digits, '-', '_' or '.' (it names the report folder)");
            String::new()
        }
        None => {
            if has_pipeline {
                cx.push(
                    pb.offset,
                    sec,
                    Some("name"),
                    None,
                    "missing: expected `name = \"...\"` (it names the report folder)",
                );
            }
            String::new()
        }
    };
    let period = match &p.period {
        None => Period::Week,
        Some(s) => Period::parse(s.get_ref()).unwrap_or_else(|| {
            cx.push(
                pb.offset + s.span().start,
                sec,
                Some("period"),
                Some(s.get_ref().clone()),
                "expected one of day, week, month",
            );
            Period::Week
        }),
    };
    let analyzer_kind = match p.analyzer.as_ref().map(|s| s.get_ref().as_str()) {
        // auto: the fast splitter, which itself hands text NFKC would change to `tokenizers`.
        None | Some("auto") | Some("fast") => AnalyzerKind::Fast,
        Some("tokenizers") => AnalyzerKind::Tokenizers,
        Some(other) => {
            let s = p.analyzer.as_ref().map_or(0, |s| s.span().start);
            cx.push(
                pb.offset + s,
                sec,
                Some("analyzer"),
                Some(other.to_string()),
                "expected one of auto, tokenizers, fast",
            );
            AnalyzerKind::Tokenizers
        }
    };
    let language = p
        .language
        .as_ref()
        .map_or("english".to_string(), |s| s.get_ref().to_lowercase());
    let algorithm = match stemmer_for(&language) {
        Some(a) => a,
        None => {
            let s = p.language.as_ref().map_or(0, |s| s.span().start);
            cx.push(pb.offset + s, sec, Some("language"), Some(language.clone()), "expected a stemmer language: arabic, danish, dutch, english, finnish, french, german, greek, hungarian, italian, norwegian, portuguese, romanian, russian, spanish, swedish, tamil, turkish");
            Algorithm::English
        }
    };
    let evidence_per_entity = match &p.evidence_per_entity {
        None => 5,
        Some(v) if (1..=100).contains(v.get_ref()) => *v.get_ref() as usize,
        Some(v) => {
            cx.push(
                pb.offset + v.span().start,
                sec,
                Some("evidence_per_entity"),
                Some(v.get_ref().to_string()),
                "expected a whole number from 1 to 100",
            );
            5
        }
    };
    let max_doc_bytes = match &p.max_doc_bytes {
        None => crate::ingest::DEFAULT_MAX_DOC_BYTES,
        Some(v) if *v.get_ref() >= 1 => *v.get_ref() as u64,
        Some(v) => {
            cx.push(
                pb.offset + v.span().start,
                sec,
                Some("max_doc_bytes"),
                Some(v.get_ref().to_string()),
                "expected a positive number of bytes (default 20000000)",
            );
            crate::ingest::DEFAULT_MAX_DOC_BYTES
        }
    };
    let mut boilerplate = Vec::new();
    for b in &p.boilerplate {
        let t = b.get_ref().trim().to_lowercase();
        if t.is_empty() {
            cx.push(
                pb.offset + b.span().start,
                sec,
                Some("boilerplate"),
                Some(b.get_ref().clone()),
                "expected a non-empty line of text",
            );
        } else {
            boilerplate.push(t);
        }
    }
    boilerplate.sort();
    boilerplate.dedup();
    let globs = |v: &[Spanned<String>]| v.iter().map(|g| g.get_ref().clone()).collect::<Vec<_>>();
    let all: Vec<(&str, &Spanned<String>)> = p
        .include
        .iter()
        .map(|g| ("include", g))
        .chain(p.exclude.iter().map(|g| ("exclude", g)))
        .collect();
    for (key, g) in &all {
        if let Err(e) = crate::ingest::walk::glob(g.get_ref()) {
            cx.push(
                pb.offset + g.span().start,
                sec,
                Some(key),
                Some(g.get_ref().clone()),
                format!(
                    "bad glob ({}): expected a glob such as \"*.json\" (any folder) or \"drafts/**\" (from the input root)",
                    e.kind()
                ),
            );
        }
    }
    let inputs = crate::ingest::walk::Filter::new(&globs(&p.include), &globs(&p.exclude))
        .unwrap_or_default();

    // Entities: ids first (groups may point forward), then terms.
    let blocks: Vec<(EntityKind, &Block<EntitySpec>)> = spec
        .topics
        .iter()
        .map(|b| (EntityKind::Topic, b))
        .chain(spec.actors.iter().map(|b| (EntityKind::Actor, b)))
        .collect();
    if blocks.is_empty() && spec.problems.is_empty() {
        cx.push(
            source_end(cx),
            "",
            None,
            None,
            "no [[topic]] or [[actor]] entries: expected at least one entity with terms",
        );
    }
    let section_of = |kind: EntityKind, b: &Block<EntitySpec>| {
        let h = if kind == EntityKind::Topic {
            "[[topic]]"
        } else {
            "[[actor]]"
        };
        format!("{h} #{} (id {:?})", b.ordinal, b.value.id.get_ref())
    };
    let mut ids: HashMap<&str, (u32, EntityKind)> = HashMap::new();
    let mut entities = Vec::new();
    for (idx, (kind, b)) in blocks.iter().enumerate() {
        let e = &b.value;
        let section = section_of(*kind, b);
        let id = e.id.get_ref();
        if !is_valid_id(id) {
            cx.push(
                b.offset + e.id.span().start,
                &section,
                Some("id"),
                Some(id.clone()),
                "expected lowercase letters, digits and '-' (e.g. \"rare-earths\")",
            );
        }
        if let Some((_, k)) = ids.get(id.as_str()) {
            cx.push(b.offset + e.id.span().start, &section, Some("id"), Some(id.clone()), format!("duplicate id: already used by a {}; ids must be unique across topics and actors", k.as_str()));
        } else {
            ids.insert(id, (idx as u32, *kind));
        }
        let label = match &e.label {
            Some(l) if l.get_ref().trim().is_empty() => {
                cx.push(
                    b.offset + l.span().start,
                    &section,
                    Some("label"),
                    Some(l.get_ref().clone()),
                    "expected a non-empty label (or leave it out to use the id)",
                );
                id.clone()
            }
            Some(l) => l.get_ref().trim().to_string(),
            None => id.clone(),
        };
        let actor_kind = match (kind, &e.kind) {
            (EntityKind::Topic, Some(k)) => {
                cx.push(
                    b.offset + k.span().start,
                    &section,
                    Some("kind"),
                    Some(k.get_ref().clone()),
                    "topics have no kind: remove it, or make this an [[actor]]",
                );
                String::new()
            }
            (EntityKind::Topic, None) => String::new(),
            (EntityKind::Actor, Some(k)) if ACTOR_KINDS.contains(&k.get_ref().as_str()) => {
                k.get_ref().clone()
            }
            (EntityKind::Actor, Some(k)) => {
                cx.push(
                    b.offset + k.span().start,
                    &section,
                    Some("kind"),
                    Some(k.get_ref().clone()),
                    format!("expected one of {}", ACTOR_KINDS.join(", ")),
                );
                String::new()
            }
            (EntityKind::Actor, None) => {
                cx.push(
                    b.offset,
                    &section,
                    Some("kind"),
                    None,
                    format!("missing: expected one of {}", ACTOR_KINDS.join(", ")),
                );
                String::new()
            }
        };
        if *kind == EntityKind::Topic {
            if let Some(g) = &e.group {
                cx.push(
                    b.offset + g.span().start,
                    &section,
                    Some("group"),
                    Some(g.get_ref().clone()),
                    "topics cannot be grouped: `group` applies to actors",
                );
            }
        }
        let strings = |v: &[Spanned<String>]| {
            v.iter()
                .map(|s| s.get_ref().trim().to_string())
                .collect::<Vec<_>>()
        };
        entities.push(Entity {
            id: id.clone(),
            label,
            kind: *kind,
            actor_kind,
            group: None,
            terms: strings(e.terms.get_ref()),
            exclude: strings(&e.exclude),
            exclude_context: strings(&e.exclude_context),
        });
    }
    // Groups.
    for (idx, (kind, b)) in blocks.iter().enumerate() {
        let Some(g) = (*kind == EntityKind::Actor)
            .then_some(b.value.group.as_ref())
            .flatten()
        else {
            continue;
        };
        let section = section_of(*kind, b);
        match ids.get(g.get_ref().as_str()) {
            Some((gi, EntityKind::Actor)) if *gi as usize != idx => {
                entities[idx].group = Some(*gi);
            }
            Some((gi, EntityKind::Actor)) if *gi as usize == idx => {
                cx.push(
                    b.offset + g.span().start,
                    &section,
                    Some("group"),
                    Some(g.get_ref().clone()),
                    "an actor cannot be its own group: name another actor's id",
                );
            }
            _ => {
                cx.push(
                    b.offset + g.span().start,
                    &section,
                    Some("group"),
                    Some(g.get_ref().clone()),
                    "expected the id of another [[actor]] (e.g. \"united-states\")",
                );
            }
        }
    }
    for (idx, (_, b)) in blocks.iter().enumerate() {
        if let Some(gi) = entities[idx].group {
            if let Some(gg) = entities[gi as usize].group {
                let g = b.value.group.as_ref().map_or(0, |g| g.span().start);
                cx.push(b.offset + g, &section_of(EntityKind::Actor, b), Some("group"), Some(entities[gi as usize].id.clone()), format!("groups are one level deep: {:?} itself rolls up to {:?}; point at {:?} instead", entities[gi as usize].id, entities[gg as usize].id, entities[gg as usize].id));
            }
        }
    }

    // Terms through the real analyzer.
    let analyzer = Arc::new(Analyzer::new(analyzer_kind, algorithm));
    let mut lb = LexiconBuilder::new(&analyzer);
    for (idx, (kind, b)) in blocks.iter().enumerate() {
        let e = &b.value;
        let section = section_of(*kind, b);
        if e.terms.get_ref().is_empty() {
            cx.push(
                b.offset + e.terms.span().start,
                &section,
                Some("terms"),
                Some("[]".into()),
                "expected at least one term",
            );
        }
        let lists: [(&str, &Vec<Spanned<String>>, bool); 2] = [
            ("terms", e.terms.get_ref(), false),
            ("exclude", &e.exclude, true),
        ];
        for (key, list, veto) in lists {
            for t in list {
                if let Err(err) = lb.add_term(idx as u32, t.get_ref(), veto) {
                    let msg = match err {
                        TermError::Duplicate(other) => format!("this phrase is also a term of {:?}: the same phrase may belong to one entity only", entities[other as usize].id),
                        other => other.to_string(),
                    };
                    cx.push(
                        b.offset + t.span().start,
                        &section,
                        Some(key),
                        Some(t.get_ref().clone()),
                        msg,
                    );
                }
            }
        }
        for w in &e.exclude_context {
            if let Err(err) = lb.add_context(idx as u32, w.get_ref()) {
                cx.push(
                    b.offset + w.span().start,
                    &section,
                    Some("exclude_context"),
                    Some(w.get_ref().clone()),
                    err.to_string(),
                );
            }
        }
    }
    let lexicon = Arc::new(lb.build());

    let mut events = Vec::new();
    for b in &spec.events {
        let section = format!("[[event]] #{}", b.ordinal);
        let d = b.value.date.get_ref();
        match NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d") {
            Ok(date) => {
                if b.value.label.get_ref().trim().is_empty() {
                    cx.push(
                        b.offset + b.value.label.span().start,
                        &section,
                        Some("label"),
                        Some(String::new()),
                        "expected a non-empty label",
                    );
                }
                events.push(Event {
                    date,
                    label: b.value.label.get_ref().trim().to_string(),
                });
            }
            Err(_) => cx.push(
                b.offset + b.value.date.span().start,
                &section,
                Some("date"),
                Some(d.clone()),
                "expected a date as YYYY-MM-DD (e.g. \"2025-06-10\")",
            ),
        }
    }
    events.sort_by(|a, b| (a.date, &a.label).cmp(&(b.date, &b.label)));

    let hash = pipeline_hash(&entities, &language, analyzer_kind, &boilerplate);
    let rollup = (0..entities.len() as u32)
        .map(|i| {
            let e = &entities[i as usize];
            e.group.or_else(|| {
                (e.kind == EntityKind::Actor && entities.iter().any(|o| o.group == Some(i)))
                    .then_some(i)
            })
        })
        .collect();
    Some(Pipeline {
        name,
        description: p.description.clone().unwrap_or_default(),
        path: path.to_path_buf(),
        period,
        analyzer_kind,
        language,
        entities,
        events,
        boilerplate,
        evidence_per_entity,
        max_doc_bytes,
        inputs,
        analyzer,
        lexicon,
        hash,
        rollup,
    })
}

fn source_end(cx: &Ctx) -> usize {
    cx.source.len()
}

fn stemmer_for(language: &str) -> Option<Algorithm> {
    Some(match language {
        "arabic" => Algorithm::Arabic,
        "danish" => Algorithm::Danish,
        "dutch" => Algorithm::Dutch,
        "english" => Algorithm::English,
        "finnish" => Algorithm::Finnish,
        "french" => Algorithm::French,
        "german" => Algorithm::German,
        "greek" => Algorithm::Greek,
        "hungarian" => Algorithm::Hungarian,
        "italian" => Algorithm::Italian,
        "norwegian" => Algorithm::Norwegian,
        "portuguese" => Algorithm::Portuguese,
        "romanian" => Algorithm::Romanian,
        "russian" => Algorithm::Russian,
        "spanish" => Algorithm::Spanish,
        "swedish" => Algorithm::Swedish,
        "tamil" => Algorithm::Tamil,
        "turkish" => Algorithm::Turkish,
        _ => return None,
    })
}

/// Digest of what changes tagging results. The period and report settings are left out:
/// aggregates are kept per day, so they can be re-bucketed without re-tagging.
fn pipeline_hash(
    entities: &[Entity],
    language: &str,
    analyzer: AnalyzerKind,
    boilerplate: &[String],
) -> String {
    let mut canon: BTreeMap<&str, String> = BTreeMap::new();
    let ents = serde_json::to_string(entities).unwrap_or_default();
    canon.insert("entities", ents);
    canon.insert("language", language.to_string());
    // Every analyzer gives the same tokens (differential tests prove it), so the choice does
    // not change results and must not split caches or partial results.
    let _ = analyzer;
    canon.insert("analyzer", "nfkc-bert".to_string());
    canon.insert("boilerplate", boilerplate.join("\n"));
    canon.insert("version", env!("CARGO_PKG_VERSION").to_string());
    // Duplicates are found by this hash of the normalised text: partial results made with
    // another one (builds of the same version before the change) must not be merged.
    canon.insert("duplicate_hash", "xxh3-128".to_string());
    let text = serde_json::to_string(&canon).unwrap_or_default();
    blake3::hash(text.as_bytes()).to_hex()[..16].to_string()
}

#[cfg(test)]
mod tests;
