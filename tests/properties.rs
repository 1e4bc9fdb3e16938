//! Property tests over the library: the aggregate's merge is associative and commutative on
//! generated documents, a run's result does not depend on thread count or on the order
//! inputs are named in, and every mention and sentence offset slices the original text on
//! char boundaries, whatever Unicode the text holds.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use newstrack::aggregate::{Aggregate, DocEvidence, DocNames, DocSummary};
use newstrack::config::{compile, Pipeline};
use newstrack::ingest::{self, DateSource, FileOutcome, Format};
use newstrack::pipeline::{self, RunOptions, Worker};
use proptest::prelude::*;

const PIPE: &str = r#"
[pipeline]
name = "t"

[[topic]]
id = "tariffs"
terms = ["tariff*", "duties"]

[[topic]]
id = "rare-earths"
terms = ["rare earth", "neodymium"]

[[actor]]
id = "china"
kind = "country"
terms = ["China", "Beijing", "PRC"]

[[actor]]
id = "united-states"
kind = "country"
terms = ["US", "U.S.", "United States", "Washington"]

[[actor]]
id = "bessent"
kind = "person"
group = "united-states"
terms = ["Scott Bessent", "Bessent"]
"#;

fn pipeline() -> Pipeline {
    compile(PIPE, Path::new("p.toml")).expect("valid pipeline")
}

// ---------------------------------------------------------------------------------------
// Aggregate merge
// ---------------------------------------------------------------------------------------

fn doc_strategy(i: usize) -> impl Strategy<Value = DocSummary> {
    (
        proptest::option::of(1u32..29),
        proptest::collection::btree_map(0u32..5, 1u32..6, 0..5),
        0u32..3,
        any::<bool>(),
    )
        .prop_map(move |(day, counts, score, warn)| {
            let counts: Vec<(u32, u32)> = counts.into_iter().collect();
            let actors: Vec<u32> = counts.iter().map(|c| c.0).filter(|&e| e >= 2).collect();
            let topics: Vec<u32> = counts.iter().map(|c| c.0).filter(|&e| e < 2).collect();
            let pairs: Vec<(u32, u32)> = actors
                .iter()
                .flat_map(|&a| topics.iter().map(move |&t| (a, t)))
                .collect();
            let date = day.map(|d| NaiveDate::from_ymd_opt(2025, 6, d).unwrap());
            DocSummary {
                id: format!("doc-{i:03}"),
                path: format!("p/{i}.txt"),
                date,
                date_source: if day.is_some() {
                    DateSource::Metadata
                } else {
                    DateSource::None
                },
                title: format!("T{i}"),
                hash: [i as u8; 16],
                cooc_sentences: pairs.iter().map(|&(a, t)| (a, t, 1)).collect(),
                pairs,
                groups: counts
                    .iter()
                    .filter(|c| c.0 == 4)
                    .map(|c| (2, c.1))
                    .collect(),
                evidence: counts
                    .iter()
                    .map(|&(e, _)| DocEvidence {
                        entity: e,
                        // Few distinct scores: ties must break the same way in any order.
                        score,
                        start: (i as u32 % 3) * 10,
                        end: (i as u32 % 3) * 10 + 4,
                        text: format!("sentence {i}"),
                        highlight: (0, 4),
                    })
                    .collect(),
                // Unlisted names shared across documents, with examples competing to be kept.
                names: {
                    let mut names = DocNames::default();
                    for &(e, _) in &counts {
                        let start = (i as u32 % 3) * 10;
                        names.push(
                            &format!("Name {e}"),
                            start,
                            start + 4,
                            &format!("sentence {i}"),
                            (0, 4),
                        );
                    }
                    names
                },
                counts,
                warnings: if warn { vec![format!("w{i}")] } else { vec![] },
            }
        })
}

fn docs_strategy() -> impl Strategy<Value = Vec<DocSummary>> {
    (1usize..24).prop_flat_map(|n| (0..n).map(doc_strategy).collect::<Vec<_>>())
}

fn fold(ds: &[DocSummary]) -> Aggregate {
    let mut a = Aggregate::new(2);
    for d in ds {
        a.add_doc(d.clone());
    }
    a.finish();
    a
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]
    #[test]
    fn merge_is_associative_and_commutative_on_generated_docs(
        ds in docs_strategy(),
        cut1 in 0usize..24,
        cut2 in 0usize..24,
        seed in any::<u64>(),
    ) {
        let n = ds.len();
        let (lo, hi) = (cut1.min(cut2).min(n), cut1.max(cut2).min(n));
        // Parts are folded from a shuffled copy: the order inside a part must not matter either.
        let mut shuffled = ds.clone();
        let mut s = seed;
        for i in (1..shuffled.len()).rev() {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            shuffled.swap(i, (s >> 33) as usize % (i + 1));
        }
        let (x, y, z) = (fold(&shuffled[..lo]), fold(&shuffled[lo..hi]), fold(&shuffled[hi..]));
        let whole = fold(&ds);
        let mut left = x.clone();
        left.merge(y.clone());
        left.merge(z.clone());
        let mut yz = y.clone();
        yz.merge(z.clone());
        let mut right = x.clone();
        right.merge(yz);
        let mut swapped = z;
        swapped.merge(y);
        swapped.merge(x);
        prop_assert_eq!(&left, &whole);
        prop_assert_eq!(&right, &whole);
        prop_assert_eq!(&swapped, &whole);
    }
}

// ---------------------------------------------------------------------------------------
// Thread count and input order
// ---------------------------------------------------------------------------------------

const SENTENCES: &[&str] = &[
    "China raised tariffs on US goods.",
    "Scott Bessent met officials in Beijing.",
    "Rare earth exports resumed.",
    "Nothing of note happened.",
    "Washington weighed new duties on neodymium.",
    "The PRC answered.",
];

fn corpus_strategy() -> impl Strategy<Value = Vec<(u8, Vec<usize>)>> {
    proptest::collection::vec(
        (0u8..28, proptest::collection::vec(0..SENTENCES.len(), 1..5)),
        1..40,
    )
}

fn write_corpus(dir: &Path, docs: &[(u8, Vec<usize>)]) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for (i, (day, sents)) in docs.iter().enumerate() {
        let text: Vec<&str> = sents.iter().map(|&s| SENTENCES[s]).collect();
        // Short texts repeat: exact duplicates across files are part of the property.
        let p = dir.join(format!("2025-06-{:02}-n{i:03}.txt", day + 1));
        std::fs::write(&p, format!("{}\n", text.join(" "))).unwrap();
        files.push(p);
    }
    files
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]
    #[test]
    fn result_is_independent_of_threads_and_input_order(
        docs in corpus_strategy(),
        seed in any::<u64>(),
    ) {
        let p = pipeline();
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("in");
        std::fs::create_dir(&root).unwrap();
        let mut files = write_corpus(&root, &docs);
        let opts = |threads| RunOptions { threads: Some(threads), progress: false, spill_dir: None };
        let base = pipeline::run(&p, std::slice::from_ref(&root), &opts(1)).unwrap();
        let threaded = pipeline::run(&p, std::slice::from_ref(&root), &opts(3)).unwrap();
        prop_assert_eq!(&threaded, &base);
        // The same files named one by one, in a shuffled order.
        let mut s = seed;
        for i in (1..files.len()).rev() {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            files.swap(i, (s >> 33) as usize % (i + 1));
        }
        let named = pipeline::run(&p, &files, &opts(2)).unwrap();
        prop_assert_eq!(&named, &base);
    }
}

// ---------------------------------------------------------------------------------------
// Tag offsets
// ---------------------------------------------------------------------------------------

fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => Just("China".to_string()),
        2 => Just("tariffs".to_string()),
        2 => Just("rare earth".to_string()),
        1 => Just("U.S.".to_string()),
        1 => Just("Beijing's".to_string()),
        1 => Just("Scott Bessent".to_string()),
        2 => Just(" ".to_string()),
        1 => Just(". ".to_string()),
        1 => Just("\n\n".to_string()),
        1 => Just("\r".to_string()),
        1 => Just("\r\n".to_string()),
        1 => Just("\u{0130}stanbul".to_string()),
        1 => Just("e\u{301}".to_string()),
        1 => Just("\u{FB01}".to_string()),
        1 => Just("\u{00DF}".to_string()),
        1 => Just("\u{200B}".to_string()),
        1 => Just("\u{FEFF}".to_string()),
        1 => Just("\u{0000}".to_string()),
        1 => Just("\u{0085}".to_string()),
        1 => Just("\u{2028}".to_string()),
        1 => Just("\u{1F600}".to_string()),
        1 => Just("\u{4E2D}\u{56FD}".to_string()),
        1 => Just("&amp;".to_string()),
        4 => "\\PC{0,8}",
        2 => any::<String>().prop_map(|s| s.chars().take(6).collect()),
    ]
}

fn text_strategy() -> impl Strategy<Value = String> {
    proptest::collection::vec(piece(), 0..60).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]
    #[test]
    fn tag_offsets_slice_the_original_text_on_char_boundaries(body in text_strategy()) {
        let p = pipeline();
        let mut worker = Worker::default();
        for (name, bytes) in [
            ("a.txt", body.clone().into_bytes()),
            ("a.md", body.clone().into_bytes()),
            ("a.jsonl", serde_json::to_string(&serde_json::json!({"text": body})).unwrap().into_bytes()),
        ] {
            let mut out = FileOutcome::default();
            let format = Format::from_path(Path::new(name)).unwrap();
            ingest::parse_bytes(format, &bytes, Path::new(name), name, &p.boilerplate, &mut out);
            for a in &out.articles {
                prop_assert_eq!(a.text.len(), a.clean_text().len());
                worker.tag(&p, a);
                let sents = &worker.analysis.sentences;
                for s in sents {
                    prop_assert!(s.start <= s.end && s.end as usize <= a.text.len());
                    prop_assert!(a.text.is_char_boundary(s.start as usize), "{name}: sentence start {} in {:?}", s.start, a.text);
                    prop_assert!(a.text.is_char_boundary(s.end as usize), "{name}: sentence end {} in {:?}", s.end, a.text);
                }
                for m in &worker.mentions {
                    let (st, en) = (m.start as usize, m.end as usize);
                    prop_assert!(st < en && en <= a.text.len(), "{name}: {m:?}");
                    prop_assert!(a.text.is_char_boundary(st) && a.text.is_char_boundary(en), "{name}: {m:?} in {:?}", a.text);
                    let s = sents.get(m.sentence as usize);
                    prop_assert!(s.is_some_and(|s| s.start <= m.start && m.end <= s.end), "{name}: {m:?} outside its sentence");
                    prop_assert!(!a.text[st..en].trim().is_empty());
                }
            }
        }
    }
}

/// Found by the `analyze` fuzz target: NFKC expands one character into several words
/// (U+FDFB, an Arabic ligature, becomes two words), whose spans both start at that character,
/// so they overlap ([0,3) and [0,8) in the first case). What holds, and is checked: every
/// span lies in the text on char boundaries and words come in order of their start.
#[test]
fn nfkc_expansion_of_one_char_into_several_words_shares_its_span() {
    let p = pipeline();
    for text in [
        "\u{FDFB}\u{FEFF}\u{013F}",
        "a \u{FDFB} b",
        "\u{FDFB}China tariffs",
    ] {
        let mut w = Worker::default();
        let article = ingest::Article {
            id: "x".into(),
            path: "x".into(),
            record: None,
            title: String::new(),
            date: None,
            date_source: DateSource::None,
            source: None,
            url: None,
            text: text.into(),
            cleaned: None,
            meta: Default::default(),
            warnings: vec![],
        };
        w.tag(&p, &article);
        for m in &w.mentions {
            assert!(
                text.is_char_boundary(m.start as usize) && text.is_char_boundary(m.end as usize)
            );
        }
        let mut a = newstrack::analyze::Analysis::default();
        p.analyzer.analyze(text, &mut a);
        let spans: Vec<(u32, u32)> = a.words.iter().map(|w| (w.start, w.end)).collect();
        for (i, &(s, e)) in spans.iter().enumerate() {
            assert!(s < e && e as usize <= text.len(), "{text:?}: {spans:?}");
            assert!(text.is_char_boundary(s as usize) && text.is_char_boundary(e as usize));
            if i > 0 {
                assert!(s >= spans[i - 1].0, "{text:?}: out of order {spans:?}");
            }
        }
    }
}
