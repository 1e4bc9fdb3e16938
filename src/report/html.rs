//! `report.html`: one self-contained page (inline CSS, inline SVG, a few lines of inline
//! script; no network, no external fonts) with the run summary, topic and actor charts
//! (share and documents), spikes, movers, events, an actor × topic heat map, actors with
//! each topic over time, unlisted names, and every entity's evidence one click away.
//!
//! Owns turning the view and analytics into display-ready rows; the markup lives in
//! `templates/report.html` (askama: checked at compile time, every `{{ }}` HTML-escaped),
//! the charts in `svg`. Computes no statistic of its own.

use askama::Template;
use chrono::NaiveDate;

use crate::aggregate::{Aggregate, Evidence};
use crate::config::EntityKind;

use super::analytics::{Analytics, Movers, RECENT};
use super::markdown_trends::{gap_runs, name_shares, pct, points, range_label};
use super::svg::{bar_chart, LineChart, Marker, Series, YFormat};
use super::trends::View;
use super::ReportContext;

/// Colour-blind-friendly palette (Tableau 10), one colour per line.
const PALETTE: [&str; 10] = [
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
    "#9c755f", "#79706e",
];
/// Topics drawn on the topic chart (one colour each).
const CHART_TOPICS: usize = 10;
/// Actors with small multiples.
const MULTIPLES: usize = 12;
/// Actors in the heat map and in each topic's over-time table.
const HEAT_ACTORS: usize = 20;
const TIME_ACTORS: usize = 8;
const TIME_TOPICS: usize = 8;
/// Names listed.
const NAMES_SHOWN: usize = 50;
/// Items listed per problem kind.
const PROBLEMS_MAX: usize = 200;
/// Most x labels on a chart.
const X_LABELS: usize = 8;

struct Kwic {
    left: String,
    kw: String,
    right: String,
    date: String,
    path: String,
    doc: String,
    bytes: String,
}

fn one_line(s: &str) -> String {
    let lead = s.starts_with(char::is_whitespace);
    let trail = s.ends_with(char::is_whitespace);
    let core = s.split_whitespace().collect::<Vec<_>>().join(" ");
    format!(
        "{}{core}{}",
        if lead && !core.is_empty() { " " } else { "" },
        if trail && !core.is_empty() { " " } else { "" }
    )
}

fn kwic(
    text: &str,
    hl: (u32, u32),
    date: Option<NaiveDate>,
    path: &str,
    doc: &str,
    span: (u32, u32),
) -> Kwic {
    let (hs, he) = (hl.0 as usize, hl.1 as usize);
    let ok = hs <= he && he <= text.len() && text.is_char_boundary(hs) && text.is_char_boundary(he);
    let (left, kw, right) = if ok {
        (&text[..hs], &text[hs..he], &text[he..])
    } else {
        (text, "", "")
    };
    Kwic {
        left: one_line(left).trim_start().to_string(),
        kw: one_line(kw).trim().to_string(),
        right: one_line(right).trim_end().to_string(),
        date: date.map_or("undated".to_string(), |d| d.to_string()),
        path: path.to_string(),
        doc: doc.to_string(),
        bytes: format!("bytes {}–{}", span.0, span.1),
    }
}

fn ev_kwic(e: &Evidence) -> Kwic {
    kwic(
        &e.text,
        e.highlight,
        e.date,
        &e.path,
        &e.doc,
        (e.start, e.end),
    )
}

struct Fact {
    label: &'static str,
    value: String,
}

struct Legend {
    name: String,
    id: String,
    color: &'static str,
}

struct EventView {
    n: usize,
    date: String,
    label: String,
    period: String,
    around: String,
    risers: String,
}

struct SpikeView {
    period: String,
    name: String,
    id: String,
    documents: u64,
    articles: u64,
    share: String,
    baseline: String,
    ratio: String,
    evidence: Vec<Kwic>,
}

struct MoverView {
    name: String,
    id: String,
    before: String,
    after: String,
    change: String,
    docs: String,
}

struct MoverBlock {
    title: String,
    rising: Vec<MoverView>,
    falling: Vec<MoverView>,
}

struct Multiple {
    name: String,
    id: String,
    total: String,
    share_chart: String,
    raw_chart: String,
}

struct Cell {
    text: String,
    style: String,
    title: String,
}

struct HeatRow {
    name: String,
    cells: Vec<Cell>,
}

struct Heat {
    columns: Vec<String>,
    rows: Vec<HeatRow>,
}

struct TopicTime {
    name: String,
    heat: Heat,
}

struct NameView {
    rank: usize,
    name: String,
    documents: u64,
    first: String,
    last: String,
    growth: String,
    spark: String,
    example: Kwic,
}

struct EntityView {
    name: String,
    id: String,
    kind: String,
    mentions: u64,
    documents: u64,
    share: String,
    spark: String,
    evidence: Vec<Kwic>,
}

struct ProblemList {
    title: &'static str,
    count: usize,
    items: Vec<String>,
    more: usize,
}

#[derive(Template)]
#[template(path = "report.html")]
struct Page {
    title: String,
    description: String,
    meta: String,
    facts: Vec<Fact>,
    accounting: String,
    period: String,
    articles_chart: String,
    gap_note: String,
    legend: Vec<Legend>,
    topics_share: String,
    topics_raw: String,
    topics_note: String,
    events: Vec<EventView>,
    rule: String,
    spikes: Vec<SpikeView>,
    movers: Vec<MoverBlock>,
    movers_note: String,
    multiples: Vec<Multiple>,
    topic_multiples: Vec<Multiple>,
    heat: Heat,
    topic_times: Vec<TopicTime>,
    names: Vec<NameView>,
    rising_names: String,
    entities: Vec<EntityView>,
    problems: Vec<ProblemList>,
    version: &'static str,
}

/// Position of `d` in periods (fraction into its period), for event lines.
fn position(view: &View, d: NaiveDate) -> Option<f64> {
    let start = view.period.start(d);
    let i = view.periods.iter().position(|p| p.start == start)?;
    let len = (view.period.next(start) - start).num_days().max(1) as f64;
    Some(i as f64 + (d - start).num_days() as f64 / len)
}

fn heat_cell(n: u64, max: u64, title: String) -> Cell {
    if n == 0 {
        return Cell {
            text: String::new(),
            style: String::new(),
            title,
        };
    }
    // Square root so a few large cells do not wash out the rest.
    let a = (n as f64 / max.max(1) as f64).sqrt();
    Cell {
        text: n.to_string(),
        style: format!(
            "background:rgba(78,121,167,{a:.2});color:{}",
            if a > 0.55 { "#fff" } else { "#1a1a1a" }
        ),
        title,
    }
}

pub fn render(cx: &ReportContext, agg: &Aggregate, view: &View, an: &Analytics) -> String {
    let p = cx.pipeline;
    let per = view.period.as_str();
    let acc = &agg.accounting;
    let labels: Vec<String> = view.periods.iter().map(|r| r.label.clone()).collect();
    let gaps: Vec<bool> = view.periods.iter().map(|r| r.articles == 0).collect();
    let name = |e: u32| p.entities[e as usize].label.clone();
    let id = |e: u32| p.entities[e as usize].id.clone();
    let range = match (agg.first_day(), agg.last_day()) {
        (Some(a), Some(b)) => format!("{a} to {b}"),
        _ => "no dated articles".into(),
    };
    let with_mentions = agg.docs_with_mentions;
    let facts = vec![
        Fact {
            label: "articles counted",
            value: acc.articles.to_string(),
        },
        Fact {
            label: "with a mention",
            value: with_mentions.to_string(),
        },
        Fact {
            label: "files read",
            value: format!("{} of {}", acc.files_read, acc.files_seen),
        },
        Fact {
            label: "duplicates",
            value: acc.duplicates.len().to_string(),
        },
        Fact {
            label: "undated",
            value: agg.undated.len().to_string(),
        },
        Fact {
            label: "failed / rejected",
            value: format!(
                "{} / {}",
                acc.files_failed.len(),
                acc.records_rejected.len()
            ),
        },
        Fact {
            label: "warnings",
            value: acc.warnings.len().to_string(),
        },
        Fact {
            label: "spikes",
            value: an.spikes.len().to_string(),
        },
    ];
    let (files_ok, records_ok) = (acc.files_balanced(), acc.records_balanced());
    let accounting = format!(
        "Every input is accounted for: files seen {} = read {} + skipped {} + failed {}; records read {} = counted {} + duplicates {} + rejected {}.{}",
        acc.files_seen,
        acc.files_read,
        acc.files_skipped.len(),
        acc.files_failed.len(),
        acc.records_read,
        acc.articles,
        acc.duplicates.len(),
        acc.records_rejected.len(),
        if files_ok && records_ok { "" } else { " MISMATCH: please report this as a bug." }
    );
    let counts: Vec<u64> = view.periods.iter().map(|r| r.articles).collect();
    let articles_chart = if view.periods.is_empty() {
        String::new()
    } else {
        bar_chart(
            900.0,
            150.0,
            &format!("Articles per {per}"),
            &labels,
            &counts,
            X_LABELS,
        )
    };
    let runs = gap_runs(view);
    let gap_note = if view.periods.is_empty() {
        "No dated articles: nothing to show over time.".to_string()
    } else if runs.is_empty() {
        format!("Every {per} of the range has articles.")
    } else {
        format!(
            "No articles at all in {}: shaded on every chart as gaps in the coverage, never as zero attention.",
            runs.iter().map(|&(a, b)| range_label(view, a, b)).collect::<Vec<_>>().join(", ")
        )
    };

    // Events first: the charts number them.
    let events: Vec<EventView> = an
        .events
        .iter()
        .enumerate()
        .map(|(i, ev)| {
            let arts = |k: Option<usize>| {
                k.map_or("–".to_string(), |k| view.periods[k].articles.to_string())
            };
            EventView {
                n: i + 1,
                date: ev.date.to_string(),
                label: ev.label.clone(),
                period: ev.period.map_or("outside the data".to_string(), |k| {
                    view.periods[k].label.clone()
                }),
                around: ev.period.map_or("–".to_string(), |k| {
                    format!(
                        "{} / {} / {}",
                        arts(ev.before),
                        arts(Some(k)),
                        arts(ev.after)
                    )
                }),
                risers: ev
                    .risers
                    .iter()
                    .map(|(e, b, a)| format!("{} {} → {}", name(*e), pct(*b), pct(*a)))
                    .collect::<Vec<_>>()
                    .join("; "),
            }
        })
        .collect();
    let markers: Vec<Marker> = an
        .events
        .iter()
        .enumerate()
        .filter_map(|(i, ev)| {
            Some(Marker {
                x: position(view, ev.date)?,
                tag: (i + 1).to_string(),
                label: format!("{}: {}", ev.date, ev.label),
            })
        })
        .collect();
    let spike_tip = |e: u32, i: usize| -> Vec<(usize, String)> {
        an.spikes_of(e)
            .filter(|s| s.period == i || i == usize::MAX)
            .map(|s| {
                (
                    s.period,
                    format!(
                        "spike: {} in {}, {} of articles ({} documents)",
                        name(e),
                        view.periods[s.period].label,
                        pct(s.share),
                        s.documents
                    ),
                )
            })
            .collect()
    };

    // Topics chart.
    let topics: Vec<u32> = view
        .ranked_of(p, EntityKind::Topic)
        .into_iter()
        .filter(|e| agg.totals.get(e).is_some_and(|c| c.documents > 0))
        .take(CHART_TOPICS)
        .collect();
    let raw: Vec<Vec<Option<f64>>> = topics
        .iter()
        .map(|&e| {
            view.counts(e)
                .iter()
                .zip(&view.periods)
                .map(|(c, r)| (r.articles > 0).then_some(c.documents as f64))
                .collect()
        })
        .collect();
    let legend: Vec<Legend> = topics
        .iter()
        .enumerate()
        .map(|(i, &e)| Legend {
            name: name(e),
            id: id(e),
            color: PALETTE[i % PALETTE.len()],
        })
        .collect();
    let topic_series = |share: bool| -> Vec<Series> {
        topics
            .iter()
            .enumerate()
            .map(|(i, &e)| Series {
                name: &p.entities[e as usize].label,
                color: PALETTE[i % PALETTE.len()],
                values: if share { &an.shares[&e] } else { &raw[i] },
                marks: spike_tip(e, usize::MAX),
            })
            .collect()
    };
    let chart = |title: String, series: Vec<Series>, y: YFormat, w: f64, h: f64, max_x: usize| {
        if view.periods.is_empty() || series.is_empty() {
            String::new()
        } else {
            LineChart {
                width: w,
                height: h,
                title: &title,
                x_labels: &labels,
                gaps: &gaps,
                series,
                markers: &markers,
                y,
                max_x_labels: max_x,
            }
            .render()
        }
    };
    let topics_share = chart(
        format!("Share of articles per {per}, by topic"),
        topic_series(true),
        YFormat::Percent,
        900.0,
        320.0,
        X_LABELS,
    );
    let topics_raw = chart(
        format!("Documents per {per}, by topic"),
        topic_series(false),
        YFormat::Count,
        900.0,
        320.0,
        X_LABELS,
    );
    let n_topics = view.ranked_of(p, EntityKind::Topic).len();
    let topics_note = if n_topics > topics.len() {
        format!(
            "The {} most mentioned of {} topics; every series is in trends.json.",
            topics.len(),
            n_topics
        )
    } else {
        String::new()
    };

    let spikes: Vec<SpikeView> = an
        .spikes
        .iter()
        .map(|s| SpikeView {
            period: view.periods[s.period].label.clone(),
            name: name(s.entity),
            id: id(s.entity),
            documents: s.documents,
            articles: s.articles,
            share: pct(s.share),
            baseline: format!("{} over {} {per}s", pct(s.baseline), s.baseline_periods),
            ratio: if s.ratio().is_finite() {
                format!("{:.1}×", s.ratio())
            } else {
                "new".into()
            },
            evidence: s.evidence.iter().map(ev_kwic).collect(),
        })
        .collect();

    let block = |title: String, m: &Movers| {
        let rows = |list: &[super::analytics::Mover]| {
            list.iter()
                .map(|mv| MoverView {
                    name: name(mv.entity),
                    id: id(mv.entity),
                    before: pct(mv.before),
                    after: pct(mv.after),
                    change: points(mv.change()),
                    docs: format!("{} → {}", mv.before_documents, mv.after_documents),
                })
                .collect()
        };
        MoverBlock {
            title,
            rising: rows(&m.rising),
            falling: rows(&m.falling),
        }
    };
    let span = |r: (usize, usize)| range_label(view, r.0, r.1 - 1);
    let mut movers = Vec::new();
    if let Some(m) = &an.halves {
        movers.push(block(
            format!(
                "First half ({}, {} articles) → second half ({}, {} articles)",
                span(m.before),
                m.before_articles,
                span(m.after),
                m.after_articles
            ),
            m,
        ));
    }
    if let Some(m) = &an.recent {
        movers.push(block(
            format!("Last {RECENT} {per}s with articles ({}, {} articles) against the {RECENT} before ({}, {} articles)", span(m.after), m.after_articles, span(m.before), m.before_articles),
            m,
        ));
    }
    let movers_note = if movers.is_empty() {
        "The range is too short to compare stretches of it.".to_string()
    } else {
        "Change in share of articles, in percentage points; entities with at least 3 documents on one side.".to_string()
    };

    // Small multiples: every charted topic and the top actors, each on its own scale so a
    // rare topic's surge shows beside a common one.
    let actors: Vec<u32> = view
        .ranked_of(p, EntityKind::Actor)
        .into_iter()
        .filter(|e| agg.totals.get(e).is_some_and(|c| c.documents > 0))
        .take(MULTIPLES)
        .collect();
    let small = |ids: &[u32]| -> Vec<Multiple> {
        ids.iter()
            .map(|&e| {
                let c = agg.totals.get(&e).copied().unwrap_or_default();
                let raw: Vec<Option<f64>> = view
                    .counts(e)
                    .iter()
                    .zip(&view.periods)
                    .map(|(c, r)| (r.articles > 0).then_some(c.documents as f64))
                    .collect();
                let one = |share: bool| {
                    vec![Series {
                        name: &p.entities[e as usize].label,
                        color: PALETTE[0],
                        values: if share { &an.shares[&e] } else { &raw },
                        marks: spike_tip(e, usize::MAX),
                    }]
                };
                Multiple {
                    name: name(e),
                    id: id(e),
                    total: format!(
                        "{} documents, {} of articles",
                        c.documents,
                        pct(c.documents as f64 / agg.articles().max(1) as f64)
                    ),
                    share_chart: chart(
                        format!("{}: share of articles per {per}", name(e)),
                        one(true),
                        YFormat::Percent,
                        320.0,
                        130.0,
                        3,
                    ),
                    raw_chart: chart(
                        format!("{}: documents per {per}", name(e)),
                        one(false),
                        YFormat::Count,
                        320.0,
                        130.0,
                        3,
                    ),
                }
            })
            .collect()
    };
    let multiples = small(&actors);
    let topic_multiples = small(&topics);

    // Actor × topic heat map (documents holding both).
    let all_topics = view.ranked_of(p, EntityKind::Topic);
    let heat_actors: Vec<u32> = view
        .ranked_of(p, EntityKind::Actor)
        .into_iter()
        .filter(|a| {
            all_topics
                .iter()
                .any(|t| agg.cooc_documents.contains_key(&(*a, *t)))
        })
        .take(HEAT_ACTORS)
        .collect();
    let max = agg.cooc_documents.values().copied().max().unwrap_or(0);
    let heat = Heat {
        columns: all_topics.iter().map(|&t| name(t)).collect(),
        rows: heat_actors
            .iter()
            .map(|&a| HeatRow {
                name: name(a),
                cells: all_topics
                    .iter()
                    .map(|&t| {
                        let n = agg.cooc_documents.get(&(a, t)).copied().unwrap_or(0);
                        let s = agg.cooc_sentences.get(&(a, t)).copied().unwrap_or(0);
                        heat_cell(
                            n,
                            max,
                            format!("{} × {}: {n} documents, {s} sentences", name(a), name(t)),
                        )
                    })
                    .collect(),
            })
            .collect(),
    };

    // Actors with each topic, per period.
    let topic_times: Vec<TopicTime> = all_topics
        .iter()
        .copied()
        .filter(|t| an.cooc.keys().any(|(_, tt)| tt == t))
        .take(TIME_TOPICS)
        .map(|t| {
            let actors = an.actors_with(p, view, t);
            let cols: Vec<usize> = (0..view.periods.len())
                .filter(|&i| actors.iter().any(|(a, _)| an.cooc[&(*a, t)][i] > 0))
                .collect();
            let max = actors
                .iter()
                .flat_map(|(a, _)| an.cooc[&(*a, t)].iter().copied())
                .max()
                .unwrap_or(0);
            TopicTime {
                name: name(t),
                heat: Heat {
                    columns: cols
                        .iter()
                        .map(|&i| view.periods[i].label.clone())
                        .collect(),
                    rows: actors
                        .iter()
                        .take(TIME_ACTORS)
                        .map(|&(a, _)| HeatRow {
                            name: name(a),
                            cells: cols
                                .iter()
                                .map(|&i| {
                                    let n = an.cooc[&(a, t)][i];
                                    heat_cell(
                                        n,
                                        max,
                                        format!(
                                            "{} with {} in {}: {n} documents",
                                            name(a),
                                            name(t),
                                            view.periods[i].label
                                        ),
                                    )
                                })
                                .collect(),
                        })
                        .collect(),
                },
            }
        })
        .collect();

    let names: Vec<NameView> = an
        .names
        .iter()
        .take(NAMES_SHOWN)
        .enumerate()
        .map(|(i, n)| NameView {
            rank: i + 1,
            name: n.name.clone(),
            documents: n.documents,
            first: n.first.map_or("undated".into(), |d| d.to_string()),
            last: n.last.map_or("undated".into(), |d| d.to_string()),
            growth: n
                .growth
                .map_or("–".into(), |(b, a)| format!("{} → {}", pct(b), pct(a))),
            spark: super::trends::sparkline(&name_shares(view, &n.series)),
            example: kwic(
                &n.example.text,
                n.example.highlight,
                n.example.date,
                &n.example.path,
                &n.example.doc,
                (n.example.start, n.example.end),
            ),
        })
        .collect();
    let rising_names = an
        .rising_names
        .iter()
        .map(|&i| {
            let n = &an.names[i];
            let (b, a) = n.growth.unwrap_or((0.0, 0.0));
            format!("{} ({} → {})", n.name, pct(b), pct(a))
        })
        .collect::<Vec<_>>()
        .join(", ");

    let entities: Vec<EntityView> = view
        .ranked
        .iter()
        .filter(|e| agg.totals.get(e).is_some_and(|c| c.documents > 0))
        .map(|&e| {
            let c = agg.totals.get(&e).copied().unwrap_or_default();
            let ent = &p.entities[e as usize];
            EntityView {
                name: ent.label.clone(),
                id: ent.id.clone(),
                kind: if ent.kind == EntityKind::Topic {
                    "topic".into()
                } else {
                    ent.actor_kind.clone()
                },
                mentions: c.mentions,
                documents: c.documents,
                share: pct(c.documents as f64 / agg.articles().max(1) as f64),
                spark: super::trends::sparkline(&an.shares[&e]),
                evidence: agg
                    .evidence
                    .get(&e)
                    .map_or(Vec::new(), |v| v.iter().map(ev_kwic).collect()),
            }
        })
        .collect();

    let problems = problem_lists(agg);
    let page = Page {
        title: format!("newstrack report: {}", p.name),
        description: p.description.clone(),
        meta: format!(
            "Pipeline {} (hash {}), {} {per}{}, articles dated {range}. Inputs: {}.",
            p.path.display(),
            p.hash,
            view.periods.len(),
            if view.periods.len() == 1 { "" } else { "s" },
            cx.inputs.join(", ")
        ),
        facts,
        accounting,
        period: per.to_string(),
        articles_chart,
        gap_note,
        legend,
        topics_share,
        topics_raw,
        topics_note,
        events,
        rule: an.rule.describe(view.period),
        spikes,
        movers,
        movers_note,
        multiples,
        topic_multiples,
        heat,
        topic_times,
        names,
        rising_names,
        entities,
        problems,
        version: env!("CARGO_PKG_VERSION"),
    };
    page.render().unwrap_or_else(|e| {
        format!(
            "<!doctype html><title>newstrack</title><p>report could not be rendered: {}</p>",
            super::svg::esc(&e.to_string())
        )
    })
}

fn problem_lists(agg: &Aggregate) -> Vec<ProblemList> {
    let lists = super::input_problems(agg).map(|(title, v)| {
        let items: Vec<String> = v
            .into_iter()
            .map(|p| format!("{}: {}", p.place, p.what))
            .collect();
        (title, items)
    });
    lists
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(title, v)| ProblemList {
            title,
            count: v.len(),
            more: v.len().saturating_sub(PROBLEMS_MAX),
            items: v.into_iter().take(PROBLEMS_MAX).collect(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kwic_splits_at_the_highlight_and_folds_whitespace() {
        // (text, highlight, left, kw, right)
        type Case<'a> = (&'a str, (u32, u32), &'a str, &'a str, &'a str);
        let cases: &[Case] = &[
            (
                "Japan  said\nchips rose.",
                (12, 17),
                "Japan said ",
                "chips",
                " rose.",
            ),
            ("chips", (0, 5), "", "chips", ""),
            ("bad range", (4, 99), "bad range", "", ""),
        ];
        for &(t, hl, l, k, r) in cases {
            let q = kwic(t, hl, None, "p", "d", (0, 0));
            assert_eq!(
                (q.left.as_str(), q.kw.as_str(), q.right.as_str()),
                (l, k, r),
                "{t}"
            );
        }
    }

    #[test]
    fn heat_cells_scale_and_stay_empty_for_zero() {
        let z = heat_cell(0, 10, "t".into());
        assert!(z.text.is_empty() && z.style.is_empty());
        let full = heat_cell(10, 10, "t".into());
        assert!(full.style.contains("rgba(78,121,167,1.00)") && full.style.contains("#fff"));
        let low = heat_cell(1, 100, "t".into());
        assert!(low.style.contains(",0.10)") && low.style.contains("#1a1a1a"));
    }
}
