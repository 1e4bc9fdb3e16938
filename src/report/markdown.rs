//! `report.md`: the run summary, ranked topics and actors with sparklines, the per-period
//! trend table, actor × topic co-occurrence, evidence sentences and every input problem.
//! Formatting only: numbers come from the aggregate and the period view.

use std::fmt::Write as _;

use crate::aggregate::{Aggregate, Counts, Evidence};
use crate::config::{EntityKind, Pipeline};

use super::analytics::Analytics;
use super::markdown_trends;
use super::trends::{sparkline, View};
use super::ReportContext;

/// Rows shown in long lists before pointing to the full list in `summary.json`.
const LIST_MAX: usize = 50;
/// Entities with evidence sections.
const EVIDENCE_TOPICS: usize = 8;
const EVIDENCE_ACTORS: usize = 12;
/// Actors shown in the co-occurrence table.
const COOC_ACTORS: usize = 20;

/// Escapes text for a Markdown table cell or inline text.
pub fn md_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '|' | '*' | '_' | '`' | '[' | ']' | '<' | '>' | '#' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' | '\t' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    // Hard-wrapped wire copy: fold runs of spaces.
    let mut folded = String::with_capacity(out.len());
    let mut prev_space = false;
    for c in out.chars() {
        if c == ' ' {
            if !prev_space {
                folded.push(c);
            }
            prev_space = true;
        } else {
            folded.push(c);
            prev_space = false;
        }
    }
    folded.trim().to_string()
}

fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

fn share(c: Counts, articles: u64) -> String {
    if articles == 0 {
        "–".into()
    } else {
        pct(c.documents as f64 / articles as f64)
    }
}

/// The evidence sentence with the mention in bold.
pub fn evidence_line(e: &Evidence) -> String {
    let (hs, he) = (e.highlight.0 as usize, e.highlight.1 as usize);
    let t = &e.text;
    if he <= t.len() && t.is_char_boundary(hs) && t.is_char_boundary(he) && hs <= he {
        format!(
            "{}**{}**{}",
            md_escape_keep_edges(&t[..hs]),
            md_escape(&t[hs..he]),
            md_escape_keep_edges(&t[he..])
        )
    } else {
        md_escape(t)
    }
}

/// Like `md_escape` but keeps one space at the edges, which matter next to the bold part.
fn md_escape_keep_edges(s: &str) -> String {
    let lead = s.starts_with(char::is_whitespace);
    let trail = s.ends_with(char::is_whitespace);
    let core = md_escape(s);
    match (core.is_empty(), lead, trail) {
        (true, _, _) if !s.is_empty() => " ".into(),
        (true, _, _) => String::new(),
        (false, l, t) => format!(
            "{}{}{}",
            if l { " " } else { "" },
            core,
            if t { " " } else { "" }
        ),
    }
}

pub fn render(cx: &ReportContext, agg: &Aggregate, view: &View, an: &Analytics) -> String {
    let p = cx.pipeline;
    let acc = &agg.accounting;
    let mut s = String::new();
    let _ = writeln!(s, "# newstrack report: {}\n", md_escape(&p.name));
    if !p.description.is_empty() {
        let _ = writeln!(s, "{}\n", md_escape(&p.description));
    }
    let range = match (agg.first_day(), agg.last_day()) {
        (Some(a), Some(b)) => format!("{a} to {b}"),
        _ => "no dated articles".into(),
    };
    let _ = writeln!(
        s,
        "Pipeline `{}` (hash `{}`), {} periods ({} of them), articles dated {}. Inputs: {}.\n",
        p.path.display(),
        p.hash,
        view.period.as_str(),
        view.periods.len(),
        range,
        cx.inputs
            .iter()
            .map(|i| format!("`{i}`"))
            .collect::<Vec<_>>()
            .join(", ")
    );

    // Run summary.
    let _ = writeln!(s, "## Run summary\n");
    let _ = writeln!(s, "| | count |\n|---|---:|");
    let rows: [(&str, u64); 11] = [
        ("files seen", acc.files_seen),
        ("files read", acc.files_read),
        ("files skipped", acc.files_skipped.len() as u64),
        ("files failed", acc.files_failed.len() as u64),
        ("records read", acc.records_read),
        ("records rejected", acc.records_rejected.len() as u64),
        ("articles counted", acc.articles),
        (
            "exact duplicates (not counted)",
            acc.duplicates.len() as u64,
        ),
        (
            "undated articles (counted in totals, not in trends)",
            agg.undated.len() as u64,
        ),
        ("articles with at least one mention", agg.docs_with_mentions),
        ("warnings", acc.warnings.len() as u64),
    ];
    for (k, v) in rows {
        let _ = writeln!(s, "| {k} | {v} |");
    }
    let (files_ok, records_ok) = (acc.files_balanced(), acc.records_balanced());
    let _ = writeln!(
        s,
        "\nEvery input is accounted for: files seen {} = read {} + skipped {} + failed {}{}; records read {} = counted {} + duplicates {} + rejected {}{}.\n",
        acc.files_seen,
        acc.files_read,
        acc.files_skipped.len(),
        acc.files_failed.len(),
        if files_ok { "" } else { " (MISMATCH: please report this as a bug)" },
        acc.records_read,
        acc.articles,
        acc.duplicates.len(),
        acc.records_rejected.len(),
        if records_ok { "" } else { " (MISMATCH: please report this as a bug)" },
    );
    if let Some(c) = cx.changes {
        let _ = writeln!(
            s,
            "Incremental run: {}.\n",
            md_escape(&super::changes_line(c))
        );
    }

    markdown_trends::periods(&mut s, view);
    ranked_table(&mut s, p, agg, view, EntityKind::Topic);
    ranked_table(&mut s, p, agg, view, EntityKind::Actor);
    groups_table(&mut s, p, agg);
    markdown_trends::spikes(&mut s, p, view, an);
    markdown_trends::movers(&mut s, p, view, an);
    markdown_trends::events(&mut s, p, view, an);
    trend_table(&mut s, p, view);
    cooc_table(&mut s, p, agg, view);
    markdown_trends::cooc_over_time(&mut s, p, view, an);
    markdown_trends::names(&mut s, view, an);
    evidence(&mut s, p, agg, view);
    problems(&mut s, agg);
    s
}

fn ranked_table(s: &mut String, p: &Pipeline, agg: &Aggregate, view: &View, kind: EntityKind) {
    let title = if kind == EntityKind::Topic {
        "Topics"
    } else {
        "Actors"
    };
    let _ = writeln!(s, "## {title}\n");
    let ids = view.ranked_of(p, kind);
    if ids.is_empty() {
        let _ = writeln!(s, "No {} in this pipeline.\n", title.to_lowercase());
        return;
    }
    let articles = agg.articles();
    if kind == EntityKind::Actor {
        let _ = writeln!(s, "| # | actor | kind | group | mentions | documents | share of articles | trend ({}ly share) |\n|---:|---|---|---|---:|---:|---:|---|", view.period.as_str());
    } else {
        let _ = writeln!(s, "| # | topic | mentions | documents | share of articles | trend ({}ly share) |\n|---:|---|---:|---:|---:|---|", view.period.as_str());
    }
    for (rank, e) in ids.iter().enumerate() {
        let ent = &p.entities[*e as usize];
        let c = agg.totals.get(e).copied().unwrap_or_default();
        let spark = sparkline(&view.shares(*e));
        let name = format!("{} (`{}`)", md_escape(&ent.label), ent.id);
        if kind == EntityKind::Actor {
            let group = ent.group.map_or(String::new(), |g| {
                format!("`{}`", p.entities[g as usize].id)
            });
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} | {} | `{}` |",
                rank + 1,
                name,
                ent.actor_kind,
                group,
                c.mentions,
                c.documents,
                share(c, articles),
                spark
            );
        } else {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | `{}` |",
                rank + 1,
                name,
                c.mentions,
                c.documents,
                share(c, articles),
                spark
            );
        }
    }
    let _ = writeln!(s, "\nShare of articles: documents mentioning the entity ÷ articles counted. Sparklines show the share per {} (`·` marks a {} without any articles).\n", view.period.as_str(), view.period.as_str());
}

fn groups_table(s: &mut String, p: &Pipeline, agg: &Aggregate) {
    if agg.group_totals.is_empty() {
        return;
    }
    let _ = writeln!(s, "## Actors with their members\n\nEach group counts its own mentions plus those of the actors that roll up to it; a document counts once.\n");
    let _ = writeln!(
        s,
        "| group | members | mentions | documents |\n|---|---|---:|---:|"
    );
    let mut rows: Vec<(u32, Counts)> = agg.group_totals.iter().map(|(g, c)| (*g, *c)).collect();
    rows.sort_by(|a, b| b.1.mentions.cmp(&a.1.mentions).then(a.0.cmp(&b.0)));
    for (g, c) in rows {
        let members: Vec<String> = p
            .entities
            .iter()
            .filter(|e| e.group == Some(g))
            .map(|e| format!("`{}`", e.id))
            .collect();
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} |",
            md_escape(&p.entities[g as usize].label),
            members.join(", "),
            c.mentions,
            c.documents
        );
    }
    let _ = writeln!(s);
}

fn trend_table(s: &mut String, p: &Pipeline, view: &View) {
    let _ = writeln!(s, "## Trend by {}\n", view.period.as_str());
    if view.periods.is_empty() {
        let _ = writeln!(s, "No dated articles: nothing to show over time.\n");
        return;
    }
    let topics = view.ranked_of(p, EntityKind::Topic);
    let actors: Vec<u32> = view
        .ranked_of(p, EntityKind::Actor)
        .into_iter()
        .take(6)
        .collect();
    let cols: Vec<u32> = topics.iter().chain(&actors).copied().collect();
    let _ = write!(s, "Mentions (documents) per {}; top {} actors after the topics. Full series in `trends.csv`.\n\n| {} | articles |", view.period.as_str(), actors.len(), view.period.as_str());
    for e in &cols {
        let _ = write!(s, " {} |", md_escape(&p.entities[*e as usize].label));
    }
    let _ = write!(s, "\n|---|---:|");
    for _ in &cols {
        let _ = write!(s, "---:|");
    }
    let _ = writeln!(s);
    let series: Vec<Vec<Counts>> = cols.iter().map(|e| view.counts(*e)).collect();
    for (i, row) in view.periods.iter().enumerate() {
        if row.articles == 0 {
            let _ = write!(s, "| {} | 0 (gap) |", row.label);
            for _ in &cols {
                let _ = write!(s, " · |");
            }
        } else {
            let _ = write!(s, "| {} | {} |", row.label, row.articles);
            for sr in &series {
                let c = sr[i];
                let _ = write!(s, " {} ({}) |", c.mentions, c.documents);
            }
        }
        let _ = writeln!(s);
    }
    let _ = writeln!(s);
}

fn cooc_table(s: &mut String, p: &Pipeline, agg: &Aggregate, view: &View) {
    let _ = writeln!(s, "## Actors × topics\n");
    if agg.cooc_documents.is_empty() {
        let _ = writeln!(s, "No article mentions an actor and a topic together.\n");
        return;
    }
    let topics = view.ranked_of(p, EntityKind::Topic);
    let actors: Vec<u32> = view
        .ranked_of(p, EntityKind::Actor)
        .into_iter()
        .filter(|a| {
            topics
                .iter()
                .any(|t| agg.cooc_documents.contains_key(&(*a, *t)))
        })
        .take(COOC_ACTORS)
        .collect();
    let _ = write!(
        s,
        "Sentences / documents where the actor and the topic appear together.\n\n| actor |"
    );
    for t in &topics {
        let _ = write!(s, " {} |", md_escape(&p.entities[*t as usize].label));
    }
    let _ = write!(s, "\n|---|");
    for _ in &topics {
        let _ = write!(s, "---:|");
    }
    let _ = writeln!(s);
    for a in &actors {
        let _ = write!(s, "| {} |", md_escape(&p.entities[*a as usize].label));
        for t in &topics {
            let sn = agg.cooc_sentences.get(&(*a, *t)).copied().unwrap_or(0);
            let dn = agg.cooc_documents.get(&(*a, *t)).copied().unwrap_or(0);
            let _ = write!(s, " {sn} / {dn} |");
        }
        let _ = writeln!(s);
    }
    let _ = writeln!(s);
}

fn evidence(s: &mut String, p: &Pipeline, agg: &Aggregate, view: &View) {
    let _ = writeln!(s, "## Evidence\n\nSentences that mention each leading entity, those naming most other entities first.\n");
    let chosen: Vec<u32> = view
        .ranked_of(p, EntityKind::Topic)
        .into_iter()
        .take(EVIDENCE_TOPICS)
        .chain(
            view.ranked_of(p, EntityKind::Actor)
                .into_iter()
                .take(EVIDENCE_ACTORS),
        )
        .filter(|e| agg.evidence.get(e).is_some_and(|v| !v.is_empty()))
        .collect();
    if chosen.is_empty() {
        let _ = writeln!(s, "No mentions found.\n");
        return;
    }
    for e in chosen {
        let ent = &p.entities[e as usize];
        let _ = writeln!(s, "### {} (`{}`)\n", md_escape(&ent.label), ent.id);
        for ev in &agg.evidence[&e] {
            let date = ev.date.map_or("undated".to_string(), |d| d.to_string());
            let _ = writeln!(
                s,
                "- {} — {date}, `{}` (`{}`, bytes {}–{})",
                evidence_line(ev),
                ev.doc,
                ev.path,
                ev.start,
                ev.end
            );
        }
        let _ = writeln!(s);
    }
}

fn problems(s: &mut String, agg: &Aggregate) {
    let lists = super::input_problems(agg).map(|(title, v)| {
        let items: Vec<String> = v
            .into_iter()
            .map(|p| format!("`{}`: {}", p.place, md_escape(&p.what)))
            .collect();
        (title, items)
    });
    let _ = writeln!(s, "## Inputs that need a look\n");
    if lists.iter().all(|(_, v)| v.is_empty()) {
        let _ = writeln!(s, "None: every file was read and every record counted.");
        return;
    }
    for (title, items) in lists {
        if items.is_empty() {
            continue;
        }
        let _ = writeln!(s, "### {title} ({})\n", items.len());
        for it in items.iter().take(LIST_MAX) {
            let _ = writeln!(s, "- {it}");
        }
        if items.len() > LIST_MAX {
            let _ = writeln!(s, "- … {} more in `summary.json`", items.len() - LIST_MAX);
        }
        let _ = writeln!(s);
    }
}
