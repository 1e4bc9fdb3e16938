//! The analytics sections of `report.md`: articles per period with gaps, spikes with their
//! rule and evidence, movers, events, actors with each topic over time and unlisted names.
//! Formatting only: every number comes from `Analytics` and the period view.

use std::fmt::Write as _;

use crate::config::{EntityKind, Pipeline};

use super::analytics::{Analytics, Movers};
use super::markdown::{evidence_line, md_escape};
use super::trends::{sparkline, View};

/// Spikes shown in full (the rest are in `trends.json`).
const SPIKES_MAX: usize = 40;
/// Names listed.
const NAMES_SHOWN: usize = 30;
/// Topics and actors per period in the co-occurrence section.
const COOC_TOPICS: usize = 8;
const COOC_ACTORS: usize = 3;

/// Percent with two decimals: shares of a few tenths of a percent are common.
pub fn pct(x: f64) -> String {
    format!("{:.2}%", x * 100.0)
}

/// Change in share as signed percentage points.
pub fn points(x: f64) -> String {
    format!("{:+.2} pt", x * 100.0)
}

fn label(p: &Pipeline, e: u32) -> String {
    let ent = &p.entities[e as usize];
    format!("{} (`{}`)", md_escape(&ent.label), ent.id)
}

/// Runs of consecutive periods without articles, as (first, last) indices.
pub fn gap_runs(view: &View) -> Vec<(usize, usize)> {
    let mut runs: Vec<(usize, usize)> = Vec::new();
    for (i, p) in view.periods.iter().enumerate() {
        if p.articles > 0 {
            continue;
        }
        match runs.last_mut() {
            Some(r) if r.1 + 1 == i => r.1 = i,
            _ => runs.push((i, i)),
        }
    }
    runs
}

pub fn range_label(view: &View, a: usize, b: usize) -> String {
    if a == b {
        view.periods[a].label.clone()
    } else {
        format!("{}–{}", view.periods[a].label, view.periods[b].label)
    }
}

pub fn periods(s: &mut String, view: &View) {
    let p = view.period.as_str();
    let _ = writeln!(s, "## Articles per {p}\n");
    if view.periods.is_empty() {
        let _ = writeln!(s, "No dated articles.\n");
        return;
    }
    let counts: Vec<Option<f64>> = view
        .periods
        .iter()
        .map(|r| (r.articles > 0).then_some(r.articles as f64))
        .collect();
    let gaps = gap_runs(view);
    let n_gaps: usize = gaps.iter().map(|(a, b)| b - a + 1).sum();
    let n = view.periods.len();
    let span = if n == 1 {
        format!("1 {p}, {}", view.periods[0].label)
    } else {
        format!(
            "{n} {p}s from {} to {}",
            view.periods[0].label,
            view.periods[n - 1].label
        )
    };
    let _ = writeln!(
        s,
        "{span}, {} with articles. `{}`\n",
        n - n_gaps,
        sparkline(&counts)
    );
    if gaps.is_empty() {
        let _ = writeln!(s, "Every {p} of the range has articles.\n");
    } else {
        let list: Vec<String> = gaps.iter().map(|&(a, b)| range_label(view, a, b)).collect();
        let _ = writeln!(
            s,
            "No articles at all in {}: these are gaps in the coverage, shown as `·` and never as zero attention. Every {p} with its count is in `periods.csv`.\n",
            list.join(", ")
        );
    }
}

pub fn spikes(s: &mut String, p: &Pipeline, view: &View, an: &Analytics) {
    let _ = writeln!(s, "## Spikes\n\n{}\n", an.rule.describe(view.period));
    if an.spikes.is_empty() {
        let _ = writeln!(s, "No spikes under this rule.\n");
        return;
    }
    let _ = writeln!(
        s,
        "| {} | entity | documents / articles | share | baseline share | × baseline |\n|---|---|---:|---:|---:|---:|",
        view.period.as_str()
    );
    for sp in &an.spikes {
        let ratio = sp.ratio();
        let _ = writeln!(
            s,
            "| {} | {} | {} / {} | {} | {} over {} | {} |",
            view.periods[sp.period].label,
            label(p, sp.entity),
            sp.documents,
            sp.articles,
            pct(sp.share),
            pct(sp.baseline),
            sp.baseline_periods,
            if ratio.is_finite() {
                format!("{ratio:.1}")
            } else {
                "new".into()
            }
        );
    }
    let _ = writeln!(s);
    for sp in an.spikes.iter().take(SPIKES_MAX) {
        let _ = writeln!(
            s,
            "### {} — {}\n",
            view.periods[sp.period].label,
            label(p, sp.entity)
        );
        if sp.evidence.is_empty() {
            let _ = writeln!(
                s,
                "No evidence sentence kept for this {}.\n",
                view.period.as_str()
            );
            continue;
        }
        for ev in &sp.evidence {
            let date = ev.date.map_or("undated".to_string(), |d| d.to_string());
            let _ = writeln!(s, "- {} — {date}, `{}`", evidence_line(ev), ev.path);
        }
        let _ = writeln!(s);
    }
    if an.spikes.len() > SPIKES_MAX {
        let _ = writeln!(
            s,
            "Evidence for {} more spikes is in `trends.json`.\n",
            an.spikes.len() - SPIKES_MAX
        );
    }
}

fn movers_table(s: &mut String, p: &Pipeline, m: &Movers, rising: bool) {
    let list = if rising { &m.rising } else { &m.falling };
    let _ = writeln!(s, "{}:\n", if rising { "Rising" } else { "Falling" });
    if list.is_empty() {
        let _ = writeln!(s, "None.\n");
        return;
    }
    let _ = writeln!(
        s,
        "| entity | share before | share after | change | documents before → after |\n|---|---:|---:|---:|---:|"
    );
    for mv in list {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} → {} |",
            label(p, mv.entity),
            pct(mv.before),
            pct(mv.after),
            points(mv.change()),
            mv.before_documents,
            mv.after_documents
        );
    }
    let _ = writeln!(s);
}

pub fn movers(s: &mut String, p: &Pipeline, view: &View, an: &Analytics) {
    let per = view.period.as_str();
    let _ = writeln!(s, "## Movers\n\nChange in share of articles (percentage points) between two stretches of the range; entities with at least 3 documents on one side.\n");
    let span = |r: (usize, usize)| range_label(view, r.0, r.1 - 1);
    match &an.halves {
        Some(m) => {
            let _ = writeln!(
                s,
                "### First half ({}, {} articles) → second half ({}, {} articles)\n",
                span(m.before),
                m.before_articles,
                span(m.after),
                m.after_articles
            );
            movers_table(s, p, m, true);
            movers_table(s, p, m, false);
        }
        None => {
            let _ = writeln!(
                s,
                "The range is too short, or one half has no articles: no halves to compare.\n"
            );
        }
    }
    match &an.recent {
        Some(m) => {
            let _ = writeln!(
                s,
                "### Last {} {per}s with articles ({}, {} articles) against the {} before ({}, {} articles)\n",
                super::analytics::RECENT,
                span(m.after),
                m.after_articles,
                super::analytics::RECENT,
                span(m.before),
                m.before_articles
            );
            movers_table(s, p, m, true);
            movers_table(s, p, m, false);
        }
        None => {
            let _ = writeln!(
                s,
                "Fewer than {} {per}s with articles: no recent movers.\n",
                2 * super::analytics::RECENT
            );
        }
    }
}

pub fn events(s: &mut String, p: &Pipeline, view: &View, an: &Analytics) {
    if an.events.is_empty() {
        return;
    }
    let per = view.period.as_str();
    let _ = writeln!(s, "## Events\n\nEvents listed in the pipeline, with the articles in the {per} before, of and after each, and the entities whose share rose most beyond chance (as for spikes) from the {per} before to the event's {per} or the next.\n");
    let _ = writeln!(
        s,
        "| date | event | {per} | articles before / during / after | rising |\n|---|---|---|---|---|"
    );
    let arts =
        |i: Option<usize>| i.map_or("–".to_string(), |i| view.periods[i].articles.to_string());
    for ev in &an.events {
        let (period, around) = match ev.period {
            Some(i) => (
                view.periods[i].label.clone(),
                format!(
                    "{} / {} / {}",
                    arts(ev.before),
                    arts(Some(i)),
                    arts(ev.after)
                ),
            ),
            None => ("outside the data".to_string(), "–".to_string()),
        };
        let risers: Vec<String> = ev
            .risers
            .iter()
            .map(|(e, b, a)| {
                format!(
                    "{} {} → {}",
                    md_escape(&p.entities[*e as usize].label),
                    pct(*b),
                    pct(*a)
                )
            })
            .collect();
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} |",
            ev.date,
            md_escape(&ev.label),
            period,
            around,
            risers.join("; ")
        );
    }
    let _ = writeln!(s);
}

pub fn cooc_over_time(s: &mut String, p: &Pipeline, view: &View, an: &Analytics) {
    let per = view.period.as_str();
    let _ = writeln!(s, "## Actors with each topic over time\n");
    if an.cooc.is_empty() {
        let _ = writeln!(
            s,
            "No dated article mentions an actor and a topic together.\n"
        );
        return;
    }
    let _ = writeln!(s, "For each topic, the actors most often named in the same documents, per {per} (documents; {per}s without any omitted). Every pair and {per} is in `trends.json`.\n");
    for t in view
        .ranked_of(p, EntityKind::Topic)
        .into_iter()
        .filter(|t| an.cooc.keys().any(|(_, tt)| tt == t))
        .take(COOC_TOPICS)
    {
        let _ = writeln!(s, "### {}\n", label(p, t));
        let _ = writeln!(s, "| {per} | actors (documents) |\n|---|---|");
        let actors = an.actors_with(p, view, t);
        for i in 0..view.periods.len() {
            let mut cell: Vec<(u32, u64)> = actors
                .iter()
                .filter_map(|(a, _)| {
                    let n = an.cooc.get(&(*a, t))?[i];
                    (n > 0).then_some((*a, n))
                })
                .collect();
            if cell.is_empty() {
                continue;
            }
            cell.sort_by_key(|x| std::cmp::Reverse(x.1));
            let items: Vec<String> = cell
                .iter()
                .take(COOC_ACTORS)
                .map(|(a, n)| format!("{} {n}", md_escape(&p.entities[*a as usize].label)))
                .collect();
            let _ = writeln!(s, "| {} | {} |", view.periods[i].label, items.join(", "));
        }
        let _ = writeln!(s);
    }
}

/// Share per period of a name's documents (`None` in gaps), for sparklines.
pub fn name_shares(view: &View, series: &[u64]) -> Vec<Option<f64>> {
    series
        .iter()
        .zip(&view.periods)
        .map(|(n, p)| (p.articles > 0).then(|| *n as f64 / p.articles as f64))
        .collect()
}

pub fn names(s: &mut String, view: &View, an: &Analytics) {
    let _ = writeln!(s, "## Unlisted names\n\nCapitalised names (people, organisations, places) that no pipeline entry matches, ranked by documents: candidates to add as actors. Sentence-initial capitals, headlines in capitals, titles and common words are left out, and so are names that extend a listed one.\n");
    if an.names.is_empty() {
        let _ = writeln!(s, "None found.\n");
        return;
    }
    let _ = writeln!(
        s,
        "| # | name | documents | first seen | last seen | share 1st half → 2nd half | trend | example |\n|---:|---|---:|---|---|---|---|---|"
    );
    for (i, n) in an.names.iter().take(NAMES_SHOWN).enumerate() {
        let growth = n.growth.map_or("–".to_string(), |(b, a)| {
            format!("{} → {}", pct(b), pct(a))
        });
        let date =
            |d: Option<chrono::NaiveDate>| d.map_or("undated".to_string(), |d| d.to_string());
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | `{}` | `{}` |",
            i + 1,
            md_escape(&n.name),
            n.documents,
            date(n.first),
            date(n.last),
            growth,
            sparkline(&name_shares(view, &n.series)),
            n.example.path
        );
    }
    let _ = writeln!(s);
    if !an.rising_names.is_empty() {
        let _ = writeln!(s, "Rising names (largest gain in share from the first half of the range to the second, at least 3 documents): {}.\n",
            an.rising_names
                .iter()
                .map(|&i| {
                    let n = &an.names[i];
                    let (b, a) = n.growth.unwrap_or((0.0, 0.0));
                    format!("{} ({} → {})", md_escape(&n.name), pct(b), pct(a))
                })
                .collect::<Vec<_>>()
                .join(", "));
    }
}

#[cfg(test)]
mod tests {
    use super::periods;
    use crate::report::analytics::tests::view;

    /// The range line of "Articles per week": one week is named, not counted as "1 weeks".
    #[test]
    fn the_range_line_names_a_single_period() {
        let cases: &[(&[u64], &str)] = &[
            (&[3], "1 week, 2025-W02, 1 with articles."),
            (
                &[3, 0, 1],
                "3 weeks from 2025-W02 to 2025-W04, 2 with articles.",
            ),
            (
                &[2, 5],
                "2 weeks from 2025-W02 to 2025-W03, 2 with articles.",
            ),
        ];
        for &(articles, want) in cases {
            let mut s = String::new();
            periods(&mut s, &view(articles, &[]));
            assert!(s.contains(want), "{articles:?}: {s}");
        }
    }
}
