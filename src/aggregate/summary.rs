//! Reduces one tagged document to a `DocSummary`: counts per entity, co-occurrence, group
//! rollups and its best evidence sentences. Reads the article, its analysis and mentions;
//! keeps nothing else of them.

use crate::analyze::Analysis;
use crate::config::{EntityKind, Pipeline};
use crate::ingest::{clean, Article};
use crate::tag::Mention;

use super::{DocEvidence, DocSummary};

/// Longest evidence text kept, in bytes; longer sentences are cut around the mention.
const EVIDENCE_MAX: usize = 400;

pub fn summarize(
    article: &Article,
    analysis: &Analysis,
    mentions: &[Mention],
    pipeline: &Pipeline,
) -> DocSummary {
    let mut d = summarize_unlabelled(article, analysis, mentions, pipeline);
    d.id = article.id.clone();
    d.path = article.path.clone();
    d.title = article.title.clone();
    d.warnings = article.warnings.clone();
    d
}

/// `summarize` with the article's id, path, title and warnings left empty, for a caller that
/// is done with the article and moves them in (`DocSummary::label_from`) instead of copying
/// them: four allocations and copies per document fewer on the run's hot path.
pub fn summarize_unlabelled(
    article: &Article,
    analysis: &Analysis,
    mentions: &[Mention],
    pipeline: &Pipeline,
) -> DocSummary {
    let ents = &pipeline.entities;
    let is_actor = |e: u32| ents[e as usize].kind == EntityKind::Actor;
    // Sorted vectors, not maps: a document has a handful of mentions.
    let mut ids: Vec<u32> = mentions.iter().map(|m| m.entity).collect();
    ids.sort_unstable();
    let counts = run_lengths(&ids);
    let mut gids: Vec<u32> = mentions
        .iter()
        .filter_map(|m| pipeline.rollup[m.entity as usize])
        .collect();
    gids.sort_unstable();
    let groups = run_lengths(&gids);
    // (sentence, entity), distinct: which entities each sentence holds.
    let mut by_sentence: Vec<(u32, u32)> =
        mentions.iter().map(|m| (m.sentence, m.entity)).collect();
    by_sentence.sort_unstable();
    by_sentence.dedup();
    let mut cooc_pairs: Vec<(u32, u32)> = Vec::new();
    let distinct_in = |sentence: u32| -> u32 {
        let lo = by_sentence.partition_point(|&(s, _)| s < sentence);
        let hi = by_sentence.partition_point(|&(s, _)| s <= sentence);
        (hi - lo) as u32
    };
    for set in by_sentence.chunk_by(|a, b| a.0 == b.0) {
        for &(_, a) in set.iter().filter(|&&(_, e)| is_actor(e)) {
            for &(_, t) in set.iter().filter(|&&(_, e)| !is_actor(e)) {
                cooc_pairs.push((a, t));
            }
        }
    }
    cooc_pairs.sort_unstable();
    let cooc_sentences = run_lengths(&cooc_pairs)
        .into_iter()
        .map(|((a, t), n)| (a, t, n))
        .collect();
    let mut pairs = Vec::new();
    for &(a, _) in counts.iter().filter(|&&(e, _)| is_actor(e)) {
        for &(t, _) in counts.iter().filter(|&&(e, _)| !is_actor(e)) {
            pairs.push((a, t));
        }
    }
    // Best sentence per entity: most distinct entities, then the earliest.
    let mut best: Vec<(u32, u32, &Mention)> = Vec::with_capacity(counts.len());
    for m in mentions {
        let score = distinct_in(m.sentence).max(1);
        match best.iter_mut().find(|(e, _, _)| *e == m.entity) {
            Some(b) if b.1 >= score => {}
            Some(b) => *b = (m.entity, score, m),
            None => best.push((m.entity, score, m)),
        }
    }
    best.sort_unstable_by_key(|&(e, _, _)| e);
    let evidence = best
        .into_iter()
        .filter_map(|(entity, score, m)| {
            let s = analysis.sentences.get(m.sentence as usize)?;
            let (text, highlight, start, end) = excerpt(
                &article.text,
                s.start as usize,
                s.end as usize,
                m.start as usize,
                m.end as usize,
            );
            Some(DocEvidence {
                entity,
                score,
                start: start as u32,
                end: end as u32,
                text,
                highlight,
            })
        })
        .collect();
    DocSummary {
        id: String::new(),
        path: String::new(),
        date: article.date,
        date_source: article.date_source,
        title: String::new(),
        hash: clean::content_hash(article.clean_text()),
        counts,
        cooc_sentences,
        pairs,
        groups,
        evidence,
        names: super::names::extract(article, analysis, mentions),
        warnings: Vec::new(),
    }
}

impl DocSummary {
    /// Moves the article's id, path, title and warnings into a summary from
    /// `summarize_unlabelled`, leaving them empty in `article`.
    pub fn label_from(&mut self, article: &mut Article) {
        self.id = std::mem::take(&mut article.id);
        self.path = std::mem::take(&mut article.path);
        self.title = std::mem::take(&mut article.title);
        self.warnings = std::mem::take(&mut article.warnings);
    }
}

/// (value, how many times it occurs) for a sorted slice.
fn run_lengths<T: Copy + PartialEq>(sorted: &[T]) -> Vec<(T, u32)> {
    sorted
        .chunk_by(|a, b| a == b)
        .map(|run| (run[0], run.len() as u32))
        .collect()
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
    let w = window(text, s, e, ms, me, EVIDENCE_MAX);
    // Room for both ellipses: one allocation, not a second one when the window is copied.
    let mut out = String::with_capacity(w.1 - w.0 + 2 * '…'.len_utf8());
    push_excerpt(&mut out, text, s, e, w);
    (out, highlight(s, w, ms, me), w.0, w.1)
}

/// The part of the sentence `[s, e)` shown for the mention `[ms, me)`: all of it, or when
/// longer than `max` bytes a window around the mention.
pub(super) fn window(
    text: &str,
    s: usize,
    e: usize,
    ms: usize,
    me: usize,
    max: usize,
) -> (usize, usize) {
    let (mut ws, mut we) = (s, e.min(text.len()));
    if we - ws > max {
        let side = max.saturating_sub(me - ms) / 2;
        ws = floor_boundary(text, ms.saturating_sub(side).max(s));
        we = ceil_boundary(text, (me + side).min(e));
    }
    (ws, we)
}

/// Appends the `window` of the sentence `[s, e)` to `out`, with an ellipsis at each end
/// that cuts the sentence.
pub(super) fn push_excerpt(
    out: &mut String,
    text: &str,
    s: usize,
    e: usize,
    window: (usize, usize),
) {
    let (ws, we) = window;
    if ws > s {
        out.push('…');
    }
    out.push_str(&text[ws..we]);
    if we < e {
        out.push('…');
    }
}

/// The range of the mention `[ms, me)` within what `push_excerpt` writes for `window`.
pub(super) fn highlight(s: usize, window: (usize, usize), ms: usize, me: usize) -> (u32, u32) {
    let ws = window.0;
    let hs = if ws > s { '…'.len_utf8() } else { 0 } + (ms - ws);
    (hs as u32, (hs + (me - ms)) as u32)
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
