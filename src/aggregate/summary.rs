//! Reduces one tagged document to a `DocSummary`: counts per entity, co-occurrence, group
//! rollups and its best evidence sentences. Reads the article, its analysis and mentions;
//! keeps nothing else of them.

use std::collections::{BTreeMap, BTreeSet};

use crate::analyze::Analysis;
use crate::config::{EntityKind, Pipeline};
use crate::ingest::{clean, Article};
use crate::tag::Mention;

use super::{DocSummary, Evidence};

/// Longest evidence text kept, in bytes; longer sentences are cut around the mention.
const EVIDENCE_MAX: usize = 400;

pub fn summarize(
    article: &Article,
    analysis: &Analysis,
    mentions: &[Mention],
    pipeline: &Pipeline,
) -> DocSummary {
    let ents = &pipeline.entities;
    let mut counts: BTreeMap<u32, u32> = BTreeMap::new();
    let mut groups: BTreeMap<u32, u32> = BTreeMap::new();
    let mut by_sentence: BTreeMap<u32, BTreeSet<u32>> = BTreeMap::new();
    for m in mentions {
        *counts.entry(m.entity).or_default() += 1;
        by_sentence.entry(m.sentence).or_default().insert(m.entity);
        let g = pipeline.rollup[m.entity as usize];
        if let Some(g) = g {
            *groups.entry(g).or_default() += 1;
        }
    }
    let is_actor = |e: u32| ents[e as usize].kind == EntityKind::Actor;
    let mut cooc: BTreeMap<(u32, u32), u32> = BTreeMap::new();
    for set in by_sentence.values() {
        for &a in set.iter().filter(|&&e| is_actor(e)) {
            for &t in set.iter().filter(|&&e| !is_actor(e)) {
                *cooc.entry((a, t)).or_default() += 1;
            }
        }
    }
    let mut pairs = Vec::new();
    for &a in counts.keys().filter(|&&e| is_actor(e)) {
        for &t in counts.keys().filter(|&&e| !is_actor(e)) {
            pairs.push((a, t));
        }
    }
    // Best sentence per entity: most distinct entities, then the earliest.
    let mut best: BTreeMap<u32, (u32, &Mention)> = BTreeMap::new();
    for m in mentions {
        let score = by_sentence.get(&m.sentence).map_or(1, |s| s.len() as u32);
        match best.get(&m.entity) {
            Some((s, _)) if *s >= score => {}
            _ => {
                best.insert(m.entity, (score, m));
            }
        }
    }
    let evidence = best
        .into_iter()
        .filter_map(|(entity, (score, m))| {
            let s = analysis.sentences.get(m.sentence as usize)?;
            let (text, highlight, start, end) = excerpt(
                &article.text,
                s.start as usize,
                s.end as usize,
                m.start as usize,
                m.end as usize,
            );
            Some(Evidence {
                entity,
                score,
                doc: article.id.clone(),
                path: article.path.clone(),
                date: article.date,
                start: start as u32,
                end: end as u32,
                text,
                highlight,
            })
        })
        .collect();
    DocSummary {
        id: article.id.clone(),
        path: article.path.clone(),
        date: article.date,
        date_source: article.date_source,
        title: article.title.clone(),
        hash: clean::content_hash(&article.clean_text),
        counts: counts.into_iter().collect(),
        cooc_sentences: cooc.into_iter().map(|((a, t), n)| (a, t, n)).collect(),
        pairs,
        groups: groups.into_iter().collect(),
        evidence,
        names: super::names::extract(article, analysis, mentions),
        warnings: article.warnings.clone(),
    }
}

fn floor_boundary(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil_boundary(text: &str, mut i: usize) -> usize {
    while i < text.len() && !text.is_char_boundary(i) {
        i += 1;
    }
    i
}

/// The sentence `[s, e)` or, when long, a window of it around the mention `[ms, me)`.
/// Returns the text, the mention's range within it, and the window's range in the original.
fn excerpt(
    text: &str,
    s: usize,
    e: usize,
    ms: usize,
    me: usize,
) -> (String, (u32, u32), usize, usize) {
    excerpt_max(text, s, e, ms, me, EVIDENCE_MAX)
}

/// `excerpt` with a given longest length in bytes.
pub(super) fn excerpt_max(
    text: &str,
    s: usize,
    e: usize,
    ms: usize,
    me: usize,
    max: usize,
) -> (String, (u32, u32), usize, usize) {
    let (mut ws, mut we) = (s, e.min(text.len()));
    if we - ws > max {
        let side = max.saturating_sub(me - ms) / 2;
        ws = floor_boundary(text, ms.saturating_sub(side).max(s));
        we = ceil_boundary(text, (me + side).min(e));
    }
    let mut out = String::new();
    if ws > s {
        out.push('…');
    }
    let hs = out.len() + (ms - ws);
    out.push_str(&text[ws..we]);
    if we < e {
        out.push('…');
    }
    (out, (hs as u32, (hs + (me - ms)) as u32), ws, we)
}

#[cfg(test)]
mod tests {
    use super::excerpt;

    #[test]
    fn excerpt_windows_long_sentences() {
        let long = format!("{} target {}", "a ".repeat(400), "b ".repeat(400));
        let ms = long.find("target").unwrap();
        let (t, (hs, he), ws, we) = excerpt(&long, 0, long.len(), ms, ms + 6);
        assert_eq!(&t[hs as usize..he as usize], "target");
        assert!(t.starts_with('…') && t.ends_with('…'));
        assert!(t.len() <= super::EVIDENCE_MAX + 8);
        assert!(ws > 0 && we < long.len());
        let short = "Short one with target.";
        let (t, (hs, he), _, _) = excerpt(short, 0, short.len(), 15, 21);
        assert_eq!(t, short);
        assert_eq!(&t[hs as usize..he as usize], "target");
    }
}
