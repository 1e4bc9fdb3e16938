//! The period view shared by every output: per-day aggregate counts bucketed into the
//! chosen period, every period of the range listed (empty ones included), entities ranked.
//! Pure computation over the aggregate; no formatting.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use crate::aggregate::{Aggregate, Counts};
use crate::config::{EntityKind, Period, Pipeline};

/// One period of the range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeriodRow {
    pub start: NaiveDate,
    pub label: String,
    /// Articles dated in the period (0 means a gap in coverage, not zero attention).
    pub articles: u64,
}

pub struct View {
    pub period: Period,
    pub periods: Vec<PeriodRow>,
    /// entity → counts per period, aligned with `periods`.
    pub series: BTreeMap<u32, Vec<Counts>>,
    /// Entities ranked by mentions, then documents, then id.
    pub ranked: Vec<u32>,
}

impl View {
    pub fn new(pipeline: &Pipeline, agg: &Aggregate, period: Period) -> View {
        let mut periods: Vec<PeriodRow> = Vec::new();
        let mut index: BTreeMap<NaiveDate, usize> = BTreeMap::new();
        if let (Some(first), Some(last)) = (agg.first_day(), agg.last_day()) {
            let mut start = period.start(first);
            let end = period.start(last);
            while start <= end {
                index.insert(start, periods.len());
                periods.push(PeriodRow {
                    start,
                    label: period.label(start),
                    articles: 0,
                });
                start = period.next(start);
            }
        }
        for (day, n) in &agg.day_articles {
            if let Some(&i) = index.get(&period.start(*day)) {
                periods[i].articles += n;
            }
        }
        let mut series: BTreeMap<u32, Vec<Counts>> = BTreeMap::new();
        for ((day, e), c) in &agg.cells {
            if let Some(&i) = index.get(&period.start(*day)) {
                let row = series
                    .entry(*e)
                    .or_insert_with(|| vec![Counts::default(); periods.len()]);
                row[i].mentions += c.mentions;
                row[i].documents += c.documents;
            }
        }
        let mut ranked: Vec<u32> = (0..pipeline.entities.len() as u32).collect();
        ranked.sort_by(|a, b| {
            let ca = agg.totals.get(a).copied().unwrap_or_default();
            let cb = agg.totals.get(b).copied().unwrap_or_default();
            cb.mentions
                .cmp(&ca.mentions)
                .then(cb.documents.cmp(&ca.documents))
                .then_with(|| {
                    pipeline.entities[*a as usize]
                        .id
                        .cmp(&pipeline.entities[*b as usize].id)
                })
        });
        View {
            period,
            periods,
            series,
            ranked,
        }
    }

    pub fn ranked_of(&self, pipeline: &Pipeline, kind: EntityKind) -> Vec<u32> {
        self.ranked
            .iter()
            .copied()
            .filter(|&e| pipeline.entities[e as usize].kind == kind)
            .collect()
    }

    /// Counts of `entity` per period (zeros where it has none).
    pub fn counts(&self, entity: u32) -> Vec<Counts> {
        self.series
            .get(&entity)
            .cloned()
            .unwrap_or_else(|| vec![Counts::default(); self.periods.len()])
    }

    /// Share of the period's articles that mention the entity; `None` for periods without
    /// articles (a gap, never zero attention).
    pub fn shares(&self, entity: u32) -> Vec<Option<f64>> {
        self.counts(entity)
            .iter()
            .zip(&self.periods)
            .map(|(c, p)| (p.articles > 0).then(|| c.documents as f64 / p.articles as f64))
            .collect()
    }
}

/// Eight-level sparkline of `values`; `None` (no articles in the period) shows as `·`.
pub fn sparkline(values: &[Option<f64>]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let max = values.iter().flatten().copied().fold(0.0_f64, f64::max);
    values
        .iter()
        .map(|v| match v {
            None => '·',
            Some(_) if max <= 0.0 => BARS[0],
            Some(x) => BARS[((x / max) * 7.0).round().clamp(0.0, 7.0) as usize],
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::sparkline;

    #[test]
    fn sparkline_levels_and_gaps() {
        let cases: &[(&[Option<f64>], &str)] = &[
            (&[Some(0.0), Some(1.0), None, Some(0.5)], "▁█·▅"),
            (&[Some(0.0), Some(0.0)], "▁▁"),
            (&[], ""),
        ];
        for (v, want) in cases {
            assert_eq!(sparkline(v), *want);
        }
    }
}
