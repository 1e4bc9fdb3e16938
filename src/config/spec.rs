//! Serde mirror of a pipeline TOML file (`deny_unknown_fields` everywhere).
//!
//! Owns only the shape of the file and a block-wise parse that lets one malformed entry be
//! reported without hiding the errors of the others. No validation beyond types lives here:
//! that is `compile`'s job.

use serde::Deserialize;
use toml::Spanned;

/// `[pipeline]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipelineSection {
    pub name: Option<Spanned<String>>,
    pub description: Option<String>,
    pub period: Option<Spanned<String>>,
    pub analyzer: Option<Spanned<String>>,
    pub language: Option<Spanned<String>>,
    #[serde(default)]
    pub boilerplate: Vec<Spanned<String>>,
    pub evidence_per_entity: Option<Spanned<i64>>,
    pub max_doc_bytes: Option<Spanned<i64>>,
    #[serde(default)]
    pub include: Vec<Spanned<String>>,
    #[serde(default)]
    pub exclude: Vec<Spanned<String>>,
}

/// `[[topic]]` and `[[actor]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntitySpec {
    pub id: Spanned<String>,
    pub label: Option<Spanned<String>>,
    pub kind: Option<Spanned<String>>,
    pub group: Option<Spanned<String>>,
    pub description: Option<String>,
    pub terms: Spanned<Vec<Spanned<String>>>,
    #[serde(default)]
    pub exclude: Vec<Spanned<String>>,
    #[serde(default)]
    pub exclude_context: Vec<Spanned<String>>,
}

/// `[[event]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventSpec {
    pub date: Spanned<String>,
    pub label: Spanned<String>,
}

/// Which section a block of the file belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Pipeline,
    Topic,
    Actor,
    Event,
}

impl Section {
    pub fn header(self) -> &'static str {
        match self {
            Section::Pipeline => "[pipeline]",
            Section::Topic => "[[topic]]",
            Section::Actor => "[[actor]]",
            Section::Event => "[[event]]",
        }
    }
}

/// One parsed block with the byte offset of its body in the file, so spans inside it can be
/// turned back into file lines and columns.
#[derive(Debug)]
pub struct Block<T> {
    pub value: T,
    pub offset: usize,
    /// 1-based ordinal among blocks of the same section.
    pub ordinal: usize,
}

/// A parse problem before validation: byte range in the file and message.
#[derive(Debug, Clone)]
pub struct SpecProblem {
    pub span: std::ops::Range<usize>,
    pub key: Option<String>,
    pub section: String,
    pub message: String,
}

#[derive(Debug, Default)]
pub struct PipelineSpec {
    pub pipeline: Option<Block<PipelineSection>>,
    pub topics: Vec<Block<EntitySpec>>,
    pub actors: Vec<Block<EntitySpec>>,
    pub events: Vec<Block<EventSpec>>,
    pub problems: Vec<SpecProblem>,
    /// The file is not valid TOML; nothing else was checked.
    pub syntax_error: bool,
}

/// Splits the file at table headers and parses each block on its own, so every malformed
/// entry is reported, not only the first (serde stops at the first error of a document).
pub fn parse(source: &str) -> PipelineSpec {
    let mut spec = PipelineSpec::default();
    // Whole-file syntax first: a syntax error makes block boundaries unreliable.
    if let Err(e) = source.parse::<toml::Table>() {
        spec.problems.push(SpecProblem {
            span: e.span().unwrap_or(0..0),
            key: None,
            section: String::new(),
            message: format!("invalid TOML: {}", e.message()),
        });
        spec.syntax_error = true;
        return spec;
    }
    let mut headers: Vec<(usize, usize, Option<Section>, String)> = Vec::new(); // (line start, body start, section, header text)
    let mut pos = 0;
    for line in source.split_inclusive('\n') {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            let header = trimmed.split('#').next().unwrap_or("").trim().to_string();
            let name: String = header
                .chars()
                .filter(|c| !matches!(c, '[' | ']' | ' ' | '\t'))
                .collect();
            let double = header.starts_with("[[");
            let section = match (name.as_str(), double) {
                ("pipeline", false) => Some(Section::Pipeline),
                ("topic", true) => Some(Section::Topic),
                ("actor", true) => Some(Section::Actor),
                ("event", true) => Some(Section::Event),
                _ => None,
            };
            headers.push((pos, pos + line.len(), section, header));
        }
        pos += line.len();
    }
    // Keys before the first header.
    let root_end = headers.first().map_or(source.len(), |h| h.0);
    collect_root_keys(&source[..root_end], &mut spec);
    let mut ordinals = [0usize; 4];
    for (n, (line_start, body_start, section, header)) in headers.iter().enumerate() {
        let body_end = headers.get(n + 1).map_or(source.len(), |h| h.0);
        let body = &source[*body_start..body_end];
        let Some(section) = section else {
            spec.problems.push(SpecProblem {
                span: *line_start..*body_start,
                key: Some(header.clone()),
                section: header.clone(),
                message: format!(
                    "unknown table {header}: expected one of [pipeline], [[topic]], [[actor]], [[event]]"
                ),
            });
            continue;
        };
        let idx = *section as usize;
        ordinals[idx] += 1;
        let ordinal = ordinals[idx];
        let label = format!("{} #{ordinal}", section.header());
        match section {
            Section::Pipeline => {
                if spec.pipeline.is_some() {
                    spec.problems.push(SpecProblem {
                        span: *line_start..*body_start,
                        key: None,
                        section: label,
                        message: "duplicate [pipeline] table: expected exactly one".into(),
                    });
                    continue;
                }
                if let Some(value) =
                    parse_block::<PipelineSection>(body, *body_start, &label, &mut spec.problems)
                {
                    spec.pipeline = Some(Block {
                        value,
                        offset: *body_start,
                        ordinal,
                    });
                }
            }
            Section::Topic | Section::Actor => {
                if let Some(value) =
                    parse_block::<EntitySpec>(body, *body_start, &label, &mut spec.problems)
                {
                    let block = Block {
                        value,
                        offset: *body_start,
                        ordinal,
                    };
                    if *section == Section::Topic {
                        spec.topics.push(block);
                    } else {
                        spec.actors.push(block);
                    }
                }
            }
            Section::Event => {
                if let Some(value) =
                    parse_block::<EventSpec>(body, *body_start, &label, &mut spec.problems)
                {
                    spec.events.push(Block {
                        value,
                        offset: *body_start,
                        ordinal,
                    });
                }
            }
        }
    }
    spec
}

fn collect_root_keys(root: &str, spec: &mut PipelineSpec) {
    let mut pos = 0;
    for line in root.split_inclusive('\n') {
        let t = line.trim();
        if !t.is_empty() && !t.starts_with('#') {
            let key = t.split('=').next().unwrap_or(t).trim().to_string();
            let lead = line.len() - line.trim_start().len();
            spec.problems.push(SpecProblem {
                span: pos + lead..pos + line.trim_end().len(),
                key: Some(key.clone()),
                section: "top level".into(),
                message: format!("key `{key}` outside any table: expected it under [pipeline]"),
            });
        }
        pos += line.len();
    }
}

/// Parses one block. An unknown key is reported, blanked out (offsets kept) and the block
/// parsed again, so the other keys of the same entry are still validated.
fn parse_block<T: serde::de::DeserializeOwned>(
    body: &str,
    offset: usize,
    label: &str,
    problems: &mut Vec<SpecProblem>,
) -> Option<T> {
    let mut body = body.to_string();
    for _ in 0..32 {
        match parse_once::<T>(&body, offset, label, problems) {
            Ok(v) => return Some(v),
            Err(Some(key_at)) => blank_key(&mut body, key_at),
            Err(None) => return None,
        }
    }
    None
}

/// Blanks the key line at `at` and the continuation lines of its value.
fn blank_key(body: &mut String, at: usize) {
    let end = body[at..]
        .split_inclusive('\n')
        .enumerate()
        .take_while(|(i, l)| {
            let t = l.trim_start();
            *i == 0
                || !(t.is_empty()
                    || t.starts_with('#')
                    || t.split('=').next().is_some_and(|k| {
                        let k = k.trim();
                        !k.is_empty()
                            && t.contains('=')
                            && k.chars()
                                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
                    }))
        })
        .map(|(_, l)| l.len())
        .sum::<usize>();
    let blanked: String = body[at..at + end]
        .chars()
        .map(|c| if c == '\n' { '\n' } else { ' ' })
        .collect();
    body.replace_range(at..at + end, &blanked);
}

fn parse_once<T: serde::de::DeserializeOwned>(
    body: &str,
    offset: usize,
    label: &str,
    problems: &mut Vec<SpecProblem>,
) -> Result<T, Option<usize>> {
    match toml::from_str::<T>(body) {
        Ok(v) => Ok(v),
        Err(e) => {
            let mut span = e.span().unwrap_or(0..0);
            let message = e.message().trim().to_string();
            let key = message
                .split('`')
                .nth(1)
                .filter(|_| {
                    message.starts_with("unknown field") || message.starts_with("missing field")
                })
                .map(str::to_string);
            // serde reports an unknown key at the table; point at the key's own line instead.
            let mut retry = None;
            if let Some(k) = key
                .as_deref()
                .filter(|_| message.starts_with("unknown field"))
            {
                if let Some(p) = find_key(body, k) {
                    span = p..p + k.len();
                    retry = Some(p);
                }
            }
            problems.push(SpecProblem {
                span: offset + span.start..offset + span.end,
                key,
                section: label.to_string(),
                message,
            });
            Err(retry)
        }
    }
}

fn find_key(body: &str, key: &str) -> Option<usize> {
    let mut pos = 0;
    for line in body.split_inclusive('\n') {
        let t = line.trim_start();
        if let Some(rest) = t.strip_prefix(key) {
            if rest.trim_start().starts_with('=') {
                return Some(pos + line.len() - t.len());
            }
        }
        pos += line.len();
    }
    None
}
