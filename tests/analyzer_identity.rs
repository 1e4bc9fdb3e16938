//! The fast analyzer against the `tokenizers` reference on every Reuters-21578 body (skipped
//! with a message when ../shared is absent): identical raw tokens (offsets, normalised forms,
//! punctuation flags) and identical words, flags, stems and sentences; and every distinct
//! word's stem equal to rust-stemmers' English stemmer (the analyzer's own stemmer has a
//! hand-written English path).

mod common;

use common::*;
use newstrack::analyze::{
    Analysis, Analyzer, AnalyzerKind, FastSplitter, PreTokenizer, SplitScratch, TokenizersSplitter,
};
use rust_stemmers::Algorithm;

type TokenView = Vec<(u32, u32, String, bool)>;

/// `scratch` is kept from article to article, as an `Analysis` keeps it.
fn tokens(p: &dyn PreTokenizer, text: &str, scratch: &mut SplitScratch) -> TokenView {
    let (mut t, mut buf) = (Vec::new(), String::new());
    p.split(text, &mut t, &mut buf, scratch);
    t.iter()
        .map(|t| {
            let norm = buf[t.norm.0 as usize..t.norm.1 as usize].to_string();
            (t.start, t.end, norm, t.punct)
        })
        .collect()
}

fn analysed_tokens(a: &Analysis) -> TokenView {
    a.tokens
        .iter()
        .map(|t| (t.start, t.end, a.token_norm(t).to_string(), t.punct))
        .collect()
}

type WordView = Vec<(u32, u32, String, String, String, u8, u32)>;

fn words(a: &Analysis) -> WordView {
    a.words
        .iter()
        .map(|w| {
            (
                w.start,
                w.end,
                a.surface(w).to_string(),
                a.lower(w).to_string(),
                a.stem(w).to_string(),
                w.flags,
                w.sentence,
            )
        })
        .collect()
}

#[test]
fn fast_analyzer_is_identical_on_every_reuters_body() {
    let Some(data) = reuters() else { return };
    let (fast, reference) = (FastSplitter::new(), TokenizersSplitter::new());
    let fa = Analyzer::new(AnalyzerKind::Fast, Algorithm::English);
    let ra = Analyzer::new(AnalyzerKind::Tokenizers, Algorithm::English);
    // One analysis each for the whole corpus, as a worker thread keeps it: form tables fill up.
    let (mut af, mut ar) = (Analysis::default(), Analysis::default());
    let mut files: Vec<_> = std::fs::read_dir(&data)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "sgm"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 22, "Reuters-21578 has 22 .sgm files");
    let (mut docs, mut bytes, mut n_tokens) = (0usize, 0usize, 0usize);
    let mut scratch = SplitScratch::default();
    let snowball = rust_stemmers::Stemmer::create(Algorithm::English);
    let mut seen = std::collections::HashSet::new();
    for f in &files {
        let o = newstrack::ingest::read_file(f, &f.display().to_string(), &[]);
        for art in &o.articles {
            // Tokens of the raw text (entities, control bytes and all); tokens, words and
            // sentences of the text the analyzer sees.
            let want = tokens(&reference, &art.text, &mut scratch);
            assert_eq!(
                tokens(&fast, &art.text, &mut scratch),
                want,
                "tokens of {} differ",
                art.id
            );
            n_tokens += want.len();
            ra.analyze(art.clean_text(), &mut ar);
            fa.analyze(art.clean_text(), &mut af);
            assert_eq!(
                analysed_tokens(&af),
                analysed_tokens(&ar),
                "tokens of {}",
                art.id
            );
            assert_eq!(words(&af), words(&ar), "words of {} differ", art.id);
            assert_eq!(af.sentences, ar.sentences, "sentences of {} differ", art.id);
            for w in &af.words {
                if seen.insert(af.lower(w).to_string()) {
                    assert_eq!(
                        af.stem(w),
                        snowball.stem(af.lower(w)),
                        "stem of {:?} in {}",
                        af.lower(w),
                        art.id
                    );
                }
            }
            docs += 1;
            bytes += art.text.len();
        }
    }
    assert!(docs > 21_000, "only {docs} articles read");
    assert!(seen.len() > 30_000, "only {} distinct words", seen.len());
    eprintln!(
        "identical on {docs} Reuters articles, {bytes} bytes, {n_tokens} tokens, {} distinct words",
        seen.len()
    );
}
