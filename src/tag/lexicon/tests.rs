//! Lexicon tests: each term rule and each term error, table-driven.

use super::*;
use crate::analyze::{Analysis, Analyzer, AnalyzerKind};
use rust_stemmers::Algorithm;

/// (entity terms, exclusions, context words) per entity index.
type Spec<'a> = &'a [(&'a [&'a str], &'a [&'a str], &'a [&'a str])];

fn find(spec: Spec, text: &str) -> Vec<(u32, String)> {
    // Every analyzer and both lookups (by stem string, by memoised form id) must agree.
    let mut results = Vec::new();
    for kind in [AnalyzerKind::Tokenizers, AnalyzerKind::Fast] {
        let an = Analyzer::new(kind, Algorithm::English);
        let mut b = LexiconBuilder::new(&an);
        for (e, (terms, excl, ctx)) in spec.iter().enumerate() {
            for t in *terms {
                b.add_term(e as u32, t, false).unwrap();
            }
            for t in *excl {
                b.add_term(e as u32, t, true).unwrap();
            }
            for t in *ctx {
                b.add_context(e as u32, t).unwrap();
            }
        }
        let lex = b.build();
        let mut a = Analysis::default();
        let mut memo = FormIds::default();
        // Twice through the memo: the second pass reads ids memoised by the first.
        for _ in 0..2 {
            an.analyze(text, &mut a);
            let mut out = Vec::new();
            lex.find_cached(&a, &mut memo, &mut out);
            results.push(out);
        }
        let mut out = Vec::new();
        lex.find(&a, &mut Vec::new(), &mut out);
        results.push(out);
    }
    for r in &results[1..] {
        assert_eq!(r, &results[0], "lookups and analyzers disagree on {text:?}");
    }
    results[0]
        .iter()
        .map(|m| (m.entity, text[m.start as usize..m.end as usize].to_string()))
        .collect()
}

#[test]
fn term_rules() {
    let us: Spec = &[(&["US", "United States"], &[], &[]), (&["China"], &[], &[])];
    type Case<'a> = (&'a str, Spec<'a>, &'a str, &'a [(u32, &'a str)]);
    let cases: &[Case] = &[
        (
            "acronym is case-sensitive",
            us,
            "Let us talk to the US",
            &[(0, "US")],
        ),
        ("dotted = plain", us, "the U.S. said", &[(0, "U.S.")]),
        (
            "hyphen joins",
            us,
            "US-China talks",
            &[(0, "US"), (1, "China")],
        ),
        (
            "possessive straight",
            us,
            "China's exports",
            &[(1, "China")],
        ),
        (
            "possessive curly",
            us,
            "China\u{2019}s exports",
            &[(1, "China")],
        ),
        (
            "case-insensitive words",
            us,
            "the united states and CHINA",
            &[(0, "united states"), (1, "CHINA")],
        ),
        (
            "phrase across line wrap",
            us,
            "the United\nStates",
            &[(0, "United\nStates")],
        ),
        ("no match across comma", us, "United, States", &[]),
        (
            "no match across sentences",
            us,
            "He is United. States rose.",
            &[],
        ),
        (
            "plural through stemming",
            &[(&["rare earth"], &[], &[])],
            "Rare Earths and rare-earth and rare earth",
            &[(0, "Rare Earths"), (0, "rare-earth"), (0, "rare earth")],
        ),
        (
            "prefix wildcard",
            &[(&["export licen*"], &[], &[])],
            "export licences, export licenses, export licensing, export lists",
            &[
                (0, "export licences"),
                (0, "export licenses"),
                (0, "export licensing"),
            ],
        ),
        (
            "leftmost-longest",
            &[(&["US"], &[], &[]), (&["US Geological Survey"], &[], &[])],
            "the US Geological Survey and the US",
            &[(1, "US Geological Survey"), (0, "US")],
        ),
        (
            "exclusion phrase masks",
            &[(&["Ford"], &["Harrison Ford"], &[])],
            "Harrison Ford drove a Ford",
            &[(0, "Ford")],
        ),
        (
            "context veto within sentence",
            &[(&["Ford"], &[], &["actor"])],
            "The actor Ford smiled. Ford cut output.",
            &[(0, "Ford")],
        ),
        (
            "exact wins over prefix of same length",
            &[(&["chip*"], &[], &[]), (&["chips"], &[], &[])],
            "chips and chipmakers",
            &[(1, "chips"), (0, "chipmakers")],
        ),
        (
            "terms analysed like text",
            &[(&["U.S."], &[], &[])],
            "US and us",
            &[(0, "US")],
        ),
    ];
    for (name, spec, text, want) in cases {
        let got = find(spec, text);
        let want: Vec<(u32, String)> = want.iter().map(|(e, s)| (*e, s.to_string())).collect();
        assert_eq!(got, want, "{name}: {text:?}");
    }
}

#[test]
fn term_errors() {
    let an = Analyzer::new(AnalyzerKind::Tokenizers, Algorithm::English);
    let cases: &[(&str, TermError)] = &[
        ("---", TermError::Empty),
        ("", TermError::Empty),
        ("ex*port", TermError::Wildcard),
        ("export -*", TermError::Wildcard),
        ("rare, earth", TermError::Barrier(",".into())),
    ];
    for (term, want) in cases {
        let mut b = LexiconBuilder::new(&an);
        assert_eq!(b.add_term(0, term, false), Err(want.clone()), "{term:?}");
    }
    let mut b = LexiconBuilder::new(&an);
    b.add_term(0, "rare earths", false).unwrap();
    assert_eq!(
        b.add_term(0, "Rare Earth", false),
        Ok(()),
        "same entity twice is harmless"
    );
    assert_eq!(
        b.add_term(1, "rare-earth", false),
        Err(TermError::Duplicate(0))
    );
    assert_eq!(b.add_context(1, "two words"), Err(TermError::NotOneWord(2)));
}
