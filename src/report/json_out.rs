//! `trends.json`: the full aggregate view for other tools: every period with its article
//! count, every entity's series (mentions, documents, share; `null` share in gaps), spikes
//! with their rule and evidence, movers, actor × topic documents per period, unlisted names
//! and events. Serialisation only; the numbers come from `View` and `Analytics`.

use serde::Serialize;

use crate::aggregate::{Aggregate, Evidence};
use crate::config::EntityKind;

use super::analytics::{Analytics, Movers};
use super::trends::View;
use super::ReportContext;

/// Shares rounded to 8 decimals: stable text, ample precision.
fn r(x: f64) -> f64 {
    (x * 1e8).round() / 1e8
}

#[derive(Serialize)]
struct Trends<'a> {
    newstrack: &'static str,
    pipeline: Pipe<'a>,
    period: &'static str,
    date_range: Option<[String; 2]>,
    articles: u64,
    undated: u64,
    periods: Vec<PeriodOut<'a>>,
    spike_rule: Rule,
    entities: Vec<EntityOut<'a>>,
    spikes: Vec<SpikeOut<'a>>,
    movers: MoversOut<'a>,
    cooc: Vec<CoocOut<'a>>,
    names: Vec<NameOut<'a>>,
    events: Vec<EventOut<'a>>,
}

#[derive(Serialize)]
struct Pipe<'a> {
    name: &'a str,
    hash: &'a str,
}

#[derive(Serialize)]
struct PeriodOut<'a> {
    period: &'a str,
    start: String,
    articles: u64,
}

#[derive(Serialize)]
struct Rule {
    text: String,
    window: usize,
    min_baseline: usize,
    ratio: f64,
    z: f64,
    min_documents: u64,
}

#[derive(Serialize)]
struct EntityOut<'a> {
    id: &'a str,
    label: &'a str,
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    actor_kind: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    group: Option<&'a str>,
    mentions: u64,
    documents: u64,
    /// Documents ÷ articles counted (undated included).
    share: f64,
    series: Series,
}

#[derive(Serialize)]
struct Series {
    mentions: Vec<u64>,
    documents: Vec<u64>,
    share: Vec<Option<f64>>,
}

#[derive(Serialize)]
struct EvidenceOut<'a> {
    doc: &'a str,
    path: &'a str,
    date: Option<String>,
    start: u32,
    end: u32,
    text: &'a str,
    highlight: [u32; 2],
}

fn evidence(e: &Evidence) -> EvidenceOut<'_> {
    EvidenceOut {
        doc: &e.doc,
        path: &e.path,
        date: e.date.map(|d| d.to_string()),
        start: e.start,
        end: e.end,
        text: &e.text,
        highlight: [e.highlight.0, e.highlight.1],
    }
}

#[derive(Serialize)]
struct SpikeOut<'a> {
    period: &'a str,
    entity: &'a str,
    documents: u64,
    articles: u64,
    share: f64,
    baseline: f64,
    baseline_periods: usize,
    expected: f64,
    evidence: Vec<EvidenceOut<'a>>,
}

#[derive(Serialize)]
struct MoverOut<'a> {
    entity: &'a str,
    before: f64,
    after: f64,
    change: f64,
    before_documents: u64,
    after_documents: u64,
}

#[derive(Serialize)]
struct MoversSide<'a> {
    before: [&'a str; 2],
    after: [&'a str; 2],
    before_articles: u64,
    after_articles: u64,
    rising: Vec<MoverOut<'a>>,
    falling: Vec<MoverOut<'a>>,
}

#[derive(Serialize)]
struct MoversOut<'a> {
    halves: Option<MoversSide<'a>>,
    recent: Option<MoversSide<'a>>,
}

#[derive(Serialize)]
struct CoocOut<'a> {
    period: &'a str,
    actor: &'a str,
    topic: &'a str,
    documents: u64,
}

#[derive(Serialize)]
struct NameOut<'a> {
    name: &'a str,
    documents: u64,
    first: Option<String>,
    last: Option<String>,
    share_first_half: Option<f64>,
    share_second_half: Option<f64>,
    series: &'a [u64],
    example: ExampleOut<'a>,
}

#[derive(Serialize)]
struct ExampleOut<'a> {
    doc: &'a str,
    path: &'a str,
    date: Option<String>,
    start: u32,
    end: u32,
    text: &'a str,
}

#[derive(Serialize)]
struct EventOut<'a> {
    date: String,
    label: &'a str,
    period: Option<&'a str>,
    before: Option<&'a str>,
    after: Option<&'a str>,
    risers: Vec<RiserOut<'a>>,
}

#[derive(Serialize)]
struct RiserOut<'a> {
    entity: &'a str,
    before: f64,
    after: f64,
}

pub fn render(cx: &ReportContext, agg: &Aggregate, view: &View, an: &Analytics) -> String {
    let p = cx.pipeline;
    let id = |e: u32| p.entities[e as usize].id.as_str();
    let plabel = |i: usize| view.periods[i].label.as_str();
    let articles = agg.articles();
    let entities = view
        .ranked
        .iter()
        .map(|&e| {
            let ent = &p.entities[e as usize];
            let c = agg.totals.get(&e).copied().unwrap_or_default();
            let counts = view.counts(e);
            EntityOut {
                id: &ent.id,
                label: &ent.label,
                kind: ent.kind.as_str(),
                actor_kind: (ent.kind == EntityKind::Actor).then_some(ent.actor_kind.as_str()),
                group: ent.group.map(id),
                mentions: c.mentions,
                documents: c.documents,
                share: if articles > 0 {
                    r(c.documents as f64 / articles as f64)
                } else {
                    0.0
                },
                series: Series {
                    mentions: counts.iter().map(|c| c.mentions).collect(),
                    documents: counts.iter().map(|c| c.documents).collect(),
                    share: an.shares[&e].iter().map(|s| s.map(r)).collect(),
                },
            }
        })
        .collect();
    let movers = |m: &'_ Option<Movers>| {
        m.as_ref().map(|m| {
            let out = |list: &[super::analytics::Mover]| {
                list.iter()
                    .map(|mv| MoverOut {
                        entity: id(mv.entity),
                        before: r(mv.before),
                        after: r(mv.after),
                        change: r(mv.change()),
                        before_documents: mv.before_documents,
                        after_documents: mv.after_documents,
                    })
                    .collect()
            };
            MoversSide {
                before: [plabel(m.before.0), plabel(m.before.1 - 1)],
                after: [plabel(m.after.0), plabel(m.after.1 - 1)],
                before_articles: m.before_articles,
                after_articles: m.after_articles,
                rising: out(&m.rising),
                falling: out(&m.falling),
            }
        })
    };
    let mut cooc = Vec::new();
    for i in 0..view.periods.len() {
        for ((a, t), series) in &an.cooc {
            if series[i] > 0 {
                cooc.push(CoocOut {
                    period: plabel(i),
                    actor: id(*a),
                    topic: id(*t),
                    documents: series[i],
                });
            }
        }
    }
    let t = Trends {
        newstrack: env!("CARGO_PKG_VERSION"),
        pipeline: Pipe {
            name: &p.name,
            hash: &p.hash,
        },
        period: view.period.as_str(),
        date_range: agg
            .first_day()
            .zip(agg.last_day())
            .map(|(a, b)| [a.to_string(), b.to_string()]),
        articles,
        undated: agg.undated.len() as u64,
        periods: view
            .periods
            .iter()
            .map(|pr| PeriodOut {
                period: &pr.label,
                start: pr.start.to_string(),
                articles: pr.articles,
            })
            .collect(),
        spike_rule: Rule {
            text: an.rule.describe(view.period),
            window: an.rule.window,
            min_baseline: an.rule.min_baseline,
            ratio: an.rule.ratio,
            z: an.rule.z,
            min_documents: an.rule.min_documents,
        },
        entities,
        spikes: an
            .spikes
            .iter()
            .map(|s| SpikeOut {
                period: plabel(s.period),
                entity: id(s.entity),
                documents: s.documents,
                articles: s.articles,
                share: r(s.share),
                baseline: r(s.baseline),
                baseline_periods: s.baseline_periods,
                expected: r(s.expected),
                evidence: s.evidence.iter().map(evidence).collect(),
            })
            .collect(),
        movers: MoversOut {
            halves: movers(&an.halves),
            recent: movers(&an.recent),
        },
        cooc,
        names: an
            .names
            .iter()
            .map(|n| NameOut {
                name: &n.name,
                documents: n.documents,
                first: n.first.map(|d| d.to_string()),
                last: n.last.map(|d| d.to_string()),
                share_first_half: n.growth.map(|g| r(g.0)),
                share_second_half: n.growth.map(|g| r(g.1)),
                series: &n.series,
                example: ExampleOut {
                    doc: &n.example.doc,
                    path: &n.example.path,
                    date: n.example.date.map(|d| d.to_string()),
                    start: n.example.start,
                    end: n.example.end,
                    text: &n.example.text,
                },
            })
            .collect(),
        events: an
            .events
            .iter()
            .map(|ev| EventOut {
                date: ev.date.to_string(),
                label: &ev.label,
                period: ev.period.map(plabel),
                before: ev.before.map(plabel),
                after: ev.after.map(plabel),
                risers: ev
                    .risers
                    .iter()
                    .map(|(e, b, a)| RiserOut {
                        entity: id(*e),
                        before: r(*b),
                        after: r(*a),
                    })
                    .collect(),
            })
            .collect(),
    };
    let mut out =
        serde_json::to_string_pretty(&t).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    out.push('\n');
    out
}
