//! Trend analytics over the period view, shared by every output: normalised attention
//! (share of the period's articles), spikes against a trailing baseline, movers between the
//! halves of the range and over the last periods, actor × topic co-occurrence per period,
//! unlisted names ranked by documents and growth, and the periods around pipeline events.
//!
//! Pure computation over the finished aggregate and `View`; no formatting and no I/O, so
//! Markdown, HTML and JSON say the same thing. Periods without articles are gaps: they
//! never count as zero attention, never enter a baseline and never end a line.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use crate::aggregate::{Aggregate, Evidence, NameExample, NameStats};
use crate::config::{EntityKind, Period, Pipeline};

use super::trends::View;

/// When a period counts as a spike for an entity.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpikeRule {
    /// Trailing periods with articles that make the baseline.
    pub window: usize,
    /// Fewest baseline periods before a spike can be called.
    pub min_baseline: usize,
    /// Share must be at least this multiple of the baseline share.
    pub ratio: f64,
    /// Documents must exceed the baseline expectation by this many Poisson standard
    /// deviations, so a small period's noise is not a surge.
    pub z: f64,
    /// Fewest documents in the period.
    pub min_documents: u64,
}

impl SpikeRule {
    pub const DEFAULT: SpikeRule = SpikeRule {
        window: 8,
        min_baseline: 3,
        ratio: 2.0,
        z: 3.0,
        min_documents: 5,
    };

    /// The rule in words, for the reports.
    pub fn describe(&self, period: Period) -> String {
        let p = period.as_str();
        format!(
            "A {p} is a spike for an entity when its share of the {p}'s articles is at least {}× its baseline share (documents ÷ articles over the previous {} {p}s that have articles, at least {} of them; {p}s without articles are skipped), at least {} documents mention it, and that count exceeds the baseline expectation (baseline share × the {p}'s articles) by {} standard deviations of a Poisson count (documents ≥ expected + {}·√expected), so a quiet {p}'s noise is not a surge.",
            self.ratio, self.window, self.min_baseline, self.min_documents, self.z, self.z
        )
    }

    /// Whether `documents` of `articles` is a spike over the baseline share `base`.
    pub fn is_spike(&self, documents: u64, articles: u64, base: f64) -> bool {
        if articles == 0 || documents < self.min_documents {
            return false;
        }
        let share = documents as f64 / articles as f64;
        let expected = base * articles as f64;
        share >= self.ratio * base && documents as f64 >= expected + self.z * expected.sqrt()
    }
}

/// Evidence sentences listed with each spike.
pub const SPIKE_EVIDENCE: usize = 3;
/// Movers listed in each direction.
pub const MOVERS: usize = 10;
/// Periods compared at the end of the range ("the last N periods").
pub const RECENT: usize = 4;
/// Fewest documents on one side for an entity to count as a mover.
const MOVER_MIN_DOCS: u64 = 3;
/// Names kept in the ranked list (the reports show fewer).
pub const NAMES_MAX: usize = 500;
/// Fewest documents for a name to be listed among the rising ones.
const RISING_MIN_DOCS: u64 = 3;

#[derive(Debug, Clone)]
pub struct Spike {
    pub entity: u32,
    /// Index into `View::periods`.
    pub period: usize,
    pub documents: u64,
    pub articles: u64,
    pub share: f64,
    /// Baseline share and the number of periods it was taken over.
    pub baseline: f64,
    pub baseline_periods: usize,
    /// Baseline share × the period's articles.
    pub expected: f64,
    pub evidence: Vec<Evidence>,
}

impl Spike {
    /// Share ÷ baseline; infinite when the entity was never mentioned before.
    pub fn ratio(&self) -> f64 {
        if self.baseline > 0.0 {
            self.share / self.baseline
        } else {
            f64::INFINITY
        }
    }
}

/// One entity's attention before and after a split of the range.
#[derive(Debug, Clone)]
pub struct Mover {
    pub entity: u32,
    pub before_documents: u64,
    pub after_documents: u64,
    pub before: f64,
    pub after: f64,
}

impl Mover {
    /// Change in share, in fractions (0.01 = one percentage point).
    pub fn change(&self) -> f64 {
        self.after - self.before
    }
}

#[derive(Debug, Clone)]
pub struct Movers {
    /// Period indices `[start, end)` of each side.
    pub before: (usize, usize),
    pub after: (usize, usize),
    pub before_articles: u64,
    pub after_articles: u64,
    pub rising: Vec<Mover>,
    pub falling: Vec<Mover>,
}

#[derive(Debug, Clone)]
pub struct NameRow {
    pub name: String,
    pub documents: u64,
    pub first: Option<NaiveDate>,
    pub last: Option<NaiveDate>,
    /// Documents per period, aligned with `View::periods`.
    pub series: Vec<u64>,
    /// Share of articles in the first and second half of the range, when both have some.
    pub growth: Option<(f64, f64)>,
    pub example: NameExample,
}

#[derive(Debug, Clone)]
pub struct EventRow {
    pub date: NaiveDate,
    pub label: String,
    /// The period holding the event, when it lies in the range.
    pub period: Option<usize>,
    /// The nearest periods with articles before and after it.
    pub before: Option<usize>,
    pub after: Option<usize>,
    /// Entities whose share rose most beyond chance from the period before to the event's
    /// period or the one after: (entity, share before, share after).
    pub risers: Vec<(u32, f64, f64)>,
}

/// Entities rising at each event.
const EVENT_RISERS: usize = 5;

pub struct Analytics {
    pub rule: SpikeRule,
    /// entity → share per period (`None` in gaps).
    pub shares: BTreeMap<u32, Vec<Option<f64>>>,
    /// In period order, then by entity rank.
    pub spikes: Vec<Spike>,
    /// First half of the range against the second.
    pub halves: Option<Movers>,
    /// The last `RECENT` periods with articles against the `RECENT` before them.
    pub recent: Option<Movers>,
    /// (actor, topic) → documents mentioning both, per period.
    pub cooc: BTreeMap<(u32, u32), Vec<u64>>,
    /// Ranked by documents, then name; at most `NAMES_MAX`.
    pub names: Vec<NameRow>,
    /// Names with the largest growth in share (at least `RISING_MIN_DOCS` documents).
    pub rising_names: Vec<usize>,
    pub events: Vec<EventRow>,
}

impl Analytics {
    pub fn new(p: &Pipeline, agg: &Aggregate, view: &View) -> Analytics {
        Analytics::with_rule(p, agg, view, SpikeRule::DEFAULT)
    }

    pub fn with_rule(p: &Pipeline, agg: &Aggregate, view: &View, rule: SpikeRule) -> Analytics {
        let shares: BTreeMap<u32, Vec<Option<f64>>> = (0..p.entities.len() as u32)
            .map(|e| (e, view.shares(e)))
            .collect();
        let rank: BTreeMap<u32, usize> = view
            .ranked
            .iter()
            .enumerate()
            .map(|(i, e)| (*e, i))
            .collect();
        let mut spikes = Vec::new();
        for (&e, series) in &view.series {
            spikes.extend(
                find_spikes(&rule, e, series, view)
                    .into_iter()
                    .map(|mut s| {
                        s.evidence = spike_evidence(agg, view, s.period, e);
                        s
                    }),
            );
        }
        spikes.sort_by(|a, b| {
            a.period
                .cmp(&b.period)
                .then(rank[&a.entity].cmp(&rank[&b.entity]))
        });
        let n = view.periods.len();
        let halves = movers(view, (0, n / 2), (n / 2, n));
        let with_articles: Vec<usize> = (0..n).filter(|&i| view.periods[i].articles > 0).collect();
        let recent = if with_articles.len() >= 2 * RECENT {
            let k = with_articles.len();
            let a = with_articles[k - 2 * RECENT];
            let b = with_articles[k - RECENT];
            movers(view, (a, b), (b, n))
        } else {
            None
        };
        let mut cooc: BTreeMap<(u32, u32), Vec<u64>> = BTreeMap::new();
        let index = period_index(view);
        for ((day, a, t), n_docs) in &agg.cooc_days {
            if let Some(&i) = index.get(&view.period.start(*day)) {
                cooc.entry((*a, *t)).or_insert_with(|| vec![0; n])[i] += n_docs;
            }
        }
        let (names, rising_names) = names(agg, view);
        let events = events(p, view, &shares);
        Analytics {
            rule,
            shares,
            spikes,
            halves,
            recent,
            cooc,
            names,
            rising_names,
            events,
        }
    }

    /// Spikes of one entity.
    pub fn spikes_of(&self, entity: u32) -> impl Iterator<Item = &Spike> {
        self.spikes.iter().filter(move |s| s.entity == entity)
    }

    /// Actors ranked by documents shared with `topic`, those with any.
    pub fn actors_with(&self, p: &Pipeline, view: &View, topic: u32) -> Vec<(u32, u64)> {
        let mut v: Vec<(u32, u64)> = view
            .ranked_of(p, EntityKind::Actor)
            .into_iter()
            .filter_map(|a| {
                let total: u64 = self.cooc.get(&(a, topic))?.iter().sum();
                (total > 0).then_some((a, total))
            })
            .collect();
        // Stable sort keeps the entity rank among equal counts.
        v.sort_by_key(|x| std::cmp::Reverse(x.1));
        v
    }
}

fn period_index(view: &View) -> BTreeMap<NaiveDate, usize> {
    view.periods
        .iter()
        .enumerate()
        .map(|(i, p)| (p.start, i))
        .collect()
}

/// The spikes of one series (evidence not yet attached).
fn find_spikes(
    rule: &SpikeRule,
    entity: u32,
    series: &[crate::aggregate::Counts],
    view: &View,
) -> Vec<Spike> {
    let mut out = Vec::new();
    // (documents, articles) of the trailing periods with articles, newest last.
    let mut trail: Vec<(u64, u64)> = Vec::new();
    for (i, (c, p)) in series.iter().zip(&view.periods).enumerate() {
        if p.articles == 0 {
            continue;
        }
        if trail.len() >= rule.min_baseline {
            let from = trail.len().saturating_sub(rule.window);
            let (d, a) = trail[from..]
                .iter()
                .fold((0u64, 0u64), |(d, a), x| (d + x.0, a + x.1));
            // Pooled share: documents ÷ articles over the window, so one small period
            // does not weigh as much as a busy one.
            let base = d as f64 / a as f64;
            if rule.is_spike(c.documents, p.articles, base) {
                out.push(Spike {
                    entity,
                    period: i,
                    documents: c.documents,
                    articles: p.articles,
                    share: c.documents as f64 / p.articles as f64,
                    baseline: base,
                    baseline_periods: trail.len() - from,
                    expected: base * p.articles as f64,
                    evidence: Vec::new(),
                });
            }
        }
        trail.push((c.documents, p.articles));
    }
    out
}

fn evidence_order(a: &Evidence, b: &Evidence) -> std::cmp::Ordering {
    b.score
        .cmp(&a.score)
        .then_with(|| a.doc.cmp(&b.doc))
        .then_with(|| a.start.cmp(&b.start))
}

/// The best evidence of `entity` in period `i`, from the per-day samples.
fn spike_evidence(agg: &Aggregate, view: &View, i: usize, entity: u32) -> Vec<Evidence> {
    let start = view.periods[i].start;
    let end = view.period.next(start);
    let mut v: Vec<Evidence> = agg
        .day_evidence
        .range((start, 0)..(end, 0))
        .filter(|((_, e), _)| *e == entity)
        .flat_map(|(_, list)| list.iter().cloned())
        .collect();
    v.sort_by(evidence_order);
    v.truncate(SPIKE_EVIDENCE);
    v
}

fn movers(view: &View, before: (usize, usize), after: (usize, usize)) -> Option<Movers> {
    let arts =
        |r: (usize, usize)| -> u64 { view.periods[r.0..r.1].iter().map(|p| p.articles).sum() };
    let (ba, aa) = (arts(before), arts(after));
    if ba == 0 || aa == 0 {
        return None;
    }
    let mut all: Vec<Mover> = view
        .ranked
        .iter()
        .map(|&e| {
            let c = view.counts(e);
            let docs = |r: (usize, usize)| -> u64 { c[r.0..r.1].iter().map(|x| x.documents).sum() };
            let (bd, ad) = (docs(before), docs(after));
            Mover {
                entity: e,
                before_documents: bd,
                after_documents: ad,
                before: bd as f64 / ba as f64,
                after: ad as f64 / aa as f64,
            }
        })
        .filter(|m| m.before_documents.max(m.after_documents) >= MOVER_MIN_DOCS)
        .collect();
    // Ties keep the entity rank (stable sort over the ranked list).
    all.sort_by(|a, b| b.change().total_cmp(&a.change()));
    let rising: Vec<Mover> = all
        .iter()
        .filter(|m| m.change() > 0.0)
        .take(MOVERS)
        .cloned()
        .collect();
    let falling: Vec<Mover> = all
        .iter()
        .rev()
        .filter(|m| m.change() < 0.0)
        .take(MOVERS)
        .cloned()
        .collect();
    Some(Movers {
        before,
        after,
        before_articles: ba,
        after_articles: aa,
        rising,
        falling,
    })
}

fn names(agg: &Aggregate, view: &View) -> (Vec<NameRow>, Vec<usize>) {
    let n = view.periods.len();
    let index = period_index(view);
    let half = n / 2;
    let arts =
        |r: std::ops::Range<usize>| -> u64 { view.periods[r].iter().map(|p| p.articles).sum() };
    let (ba, aa) = (arts(0..half), arts(half..n));
    // Rank first, then build rows for the names shown only (a corpus has tens of thousands).
    let mut ranked: Vec<(&String, &NameStats)> = agg.names.iter().collect();
    let order = |a: &(&String, &NameStats), b: &(&String, &NameStats)| {
        b.1.documents.cmp(&a.1.documents).then_with(|| a.0.cmp(b.0))
    };
    if ranked.len() > NAMES_MAX {
        ranked.select_nth_unstable_by(NAMES_MAX, order);
        ranked.truncate(NAMES_MAX);
    }
    ranked.sort_unstable_by(order);
    let rows: Vec<NameRow> = ranked
        .into_iter()
        .map(|(name, st)| {
            let mut series = vec![0u64; n];
            for &(day, c) in st.days.iter() {
                if let Some(&i) = index.get(&view.period.start(day)) {
                    series[i] += c as u64;
                }
            }
            let growth = (ba > 0 && aa > 0).then(|| {
                let b: u64 = series[..half].iter().sum();
                let a: u64 = series[half..].iter().sum();
                (b as f64 / ba as f64, a as f64 / aa as f64)
            });
            NameRow {
                name: name.clone(),
                documents: st.documents,
                first: st.days.first().map(|&(d, _)| d),
                last: st.days.last().map(|&(d, _)| d),
                series,
                growth,
                example: st.example.clone(),
            }
        })
        .collect();
    let mut rising: Vec<usize> = (0..rows.len())
        .filter(|&i| {
            rows[i].documents >= RISING_MIN_DOCS && rows[i].growth.is_some_and(|(b, a)| a > b)
        })
        .collect();
    let g = |i: usize| rows[i].growth.map_or(0.0, |(b, a)| a - b);
    rising.sort_by(|&x, &y| g(y).total_cmp(&g(x)).then(x.cmp(&y)));
    rising.truncate(MOVERS);
    (rows, rising)
}

fn events(p: &Pipeline, view: &View, shares: &BTreeMap<u32, Vec<Option<f64>>>) -> Vec<EventRow> {
    let index = period_index(view);
    let mut out: Vec<EventRow> = p
        .events
        .iter()
        .map(|ev| {
            let period = index.get(&view.period.start(ev.date)).copied();
            let (before, after) = match period {
                Some(i) => (
                    (0..i).rev().find(|&k| view.periods[k].articles > 0),
                    (i + 1..view.periods.len()).find(|&k| view.periods[k].articles > 0),
                ),
                None => (None, None),
            };
            let mut risers = Vec::new();
            if let (Some(i), Some(b)) = (period, before) {
                // Ranked like spikes: how far the documents of the event's period (or the
                // next) exceed what the share before would give, in Poisson standard
                // deviations, so a rare topic that doubles outranks a common one up 10%.
                let mut scored: Vec<(f64, (u32, f64, f64))> = Vec::new();
                for (&e, s) in shares {
                    let Some(sb) = s[b] else { continue };
                    let counts = view.counts(e);
                    let best = [Some(i), after]
                        .into_iter()
                        .flatten()
                        .filter(|&k| view.periods[k].articles > 0)
                        .map(|k| {
                            let a = view.periods[k].articles as f64;
                            let d = counts[k].documents;
                            let expected = sb * a;
                            ((d as f64 - expected) / expected.max(1.0).sqrt(), k, d)
                        })
                        .max_by(|x, y| x.0.total_cmp(&y.0));
                    if let Some((z, k, d)) = best {
                        let sa = s[k].unwrap_or(0.0);
                        if sa > sb && d >= MOVER_MIN_DOCS {
                            scored.push((z, (e, sb, sa)));
                        }
                    }
                }
                scored.sort_by(|x, y| y.0.total_cmp(&x.0).then(x.1 .0.cmp(&y.1 .0)));
                risers = scored
                    .into_iter()
                    .take(EVENT_RISERS)
                    .map(|(_, r)| r)
                    .collect();
            }
            EventRow {
                date: ev.date,
                label: ev.label.clone(),
                period,
                before,
                after,
                risers,
            }
        })
        .collect();
    out.sort_by(|a, b| a.date.cmp(&b.date).then_with(|| a.label.cmp(&b.label)));
    out
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::aggregate::Counts;
    use crate::report::trends::PeriodRow;

    #[test]
    fn spike_rule_table() {
        let r = SpikeRule::DEFAULT;
        // (documents, articles, baseline share, spike?)
        let cases: &[(u64, u64, f64, bool)] = &[
            (34, 2503, 0.00625, true), // doubles on a busy period, far beyond noise
            (5, 202, 0.012, false),    // doubles on a quiet period: within Poisson noise
            (4, 10, 0.0, false),       // below the minimum documents
            (5, 100, 0.0, true),       // a newcomer with enough documents
            (20, 1000, 0.015, false),  // +33%: not double
            (40, 1000, 0.02, true),    // double, and 40 ≥ 20 + 3·√20
            (39, 2000, 0.01, false),   // 1.95×: not double
            (0, 0, 0.1, false),        // a gap
        ];
        for &(d, a, b, want) in cases {
            assert_eq!(r.is_spike(d, a, b), want, "{d}/{a} over {b}");
        }
    }

    /// Weekly periods from 2025-W02 with these articles, and entity 0 with these documents
    /// (and as many mentions) per week.
    pub(in crate::report) fn view(articles: &[u64], docs: &[u64]) -> View {
        let start = NaiveDate::from_ymd_opt(2025, 1, 6).unwrap();
        let periods = articles
            .iter()
            .enumerate()
            .map(|(i, &a)| {
                let s = start + chrono::Duration::days(7 * i as i64);
                PeriodRow {
                    start: s,
                    label: Period::Week.label(s),
                    articles: a,
                }
            })
            .collect();
        let series = docs
            .iter()
            .map(|&d| Counts {
                mentions: d,
                documents: d,
            })
            .collect();
        View {
            period: Period::Week,
            periods,
            series: BTreeMap::from([(0, series)]),
            ranked: vec![0],
        }
    }

    #[test]
    fn spikes_skip_gaps_and_need_a_baseline() {
        // (articles, documents, periods flagged)
        let cases: &[(&[u64], &[u64], &[usize])] = &[
            // Steady 1%, then 5% in period 4.
            (&[100; 6], &[1, 1, 1, 1, 5, 1], &[4]),
            // The same jump too early: only two baseline periods.
            (&[100; 6], &[1, 1, 5, 1, 1, 1], &[]),
            // Gaps are skipped, not zeros: the baseline stays 1%.
            (&[100, 0, 100, 0, 100, 100], &[1, 0, 1, 0, 1, 6], &[5]),
            // A surge that stays: the second week is measured against a raised baseline.
            (&[1000; 6], &[10, 10, 10, 40, 40, 40], &[3, 4]),
        ];
        for (arts, docs, want) in cases {
            let v = view(arts, docs);
            let got: Vec<usize> = find_spikes(&SpikeRule::DEFAULT, 0, &v.series[&0], &v)
                .iter()
                .map(|s| s.period)
                .collect();
            assert_eq!(&got, want, "{arts:?} {docs:?}");
        }
    }

    #[test]
    fn movers_compare_shares_not_counts() {
        // Twice the documents in a period with four times the articles: falling.
        let v = view(&[100, 100, 400, 400], &[10, 10, 20, 20]);
        let m = movers(&v, (0, 2), (2, 4)).unwrap();
        assert!(m.rising.is_empty());
        assert_eq!(m.falling.len(), 1);
        assert!((m.falling[0].change() - (0.05 - 0.10)).abs() < 1e-12);
        // Either side without articles: no comparison.
        let v = view(&[0, 0, 400, 400], &[0, 0, 20, 20]);
        assert!(movers(&v, (0, 2), (2, 4)).is_none());
    }
}
