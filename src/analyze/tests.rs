//! Analyzer tests: word rules, flags, sentence splitting and offsets, table-driven.

use super::*;

fn analyze(text: &str) -> (Analysis, Vec<(String, String, u8)>) {
    let an = Analyzer::new(AnalyzerKind::Tokenizers, Algorithm::English);
    let mut a = Analysis::default();
    an.analyze(text, &mut a);
    let words = a
        .words
        .iter()
        .map(|w| {
            (
                text[Analysis::span(w)].to_string(),
                a.stem(w).to_string(),
                w.flags,
            )
        })
        .collect();
    (a, words)
}

#[test]
fn word_rules() {
    // (text, expected original spans of words, expected stems)
    let cases: &[(&str, &[&str], &[&str])] = &[
        ("U.S. officials", &["U.S.", "officials"], &["us", "offici"]),
        (
            "the U.S said",
            &["the", "U.S", "said"],
            &["the", "us", "said"],
        ),
        (
            "China's exports",
            &["China", "exports"],
            &["china", "export"],
        ),
        (
            "China\u{2019}s exports",
            &["China", "exports"],
            &["china", "export"],
        ),
        (
            "rare-earth magnets",
            &["rare", "earth", "magnets"],
            &["rare", "earth", "magnet"],
        ),
        (
            "US-China talks",
            &["US", "China", "talks"],
            &["us", "china", "talk"],
        ),
        ("ﬁnance", &["ﬁnance"], &["financ"]),
        (
            "E.U. and U.K.",
            &["E.U.", "and", "U.K."],
            &["eu", "and", "uk"],
        ),
    ];
    for (text, spans, stems) in cases {
        let (_, words) = analyze(text);
        let got_spans: Vec<&str> = words.iter().map(|w| w.0.as_str()).collect();
        let got_stems: Vec<&str> = words.iter().map(|w| w.1.as_str()).collect();
        assert_eq!(&got_spans, spans, "spans of {text:?}");
        assert_eq!(&got_stems, stems, "stems of {text:?}");
    }
}

#[test]
fn flags() {
    let (_, words) = analyze("US and us, U.S. Export");
    let f: Vec<u8> = words.iter().map(|w| w.2).collect();
    assert_ne!(f[0] & CAPS, 0, "US is capitals");
    assert_eq!(f[2] & CAPS, 0, "us is not");
    assert_ne!(f[3] & CAPS, 0, "U.S. is capitals");
    assert_ne!(f[3] & DOTTED, 0);
    assert_ne!(f[3] & BARRIER_BEFORE, 0, "a comma is a barrier");
    assert_eq!(f[4] & BARRIER_BEFORE, 0, "U.S. Export stays one sentence");
    assert_ne!(f[0] & SENTENCE_START, 0);
}

#[test]
fn sentences() {
    // (text, expected sentence texts)
    let cases: &[(&str, &[&str])] = &[
        ("One. Two.", &["One.", "Two."]),
        ("Dr. Smith came. He left.", &["Dr. Smith came.", "He left."]),
        (
            "The U.S. Trade Representative spoke.",
            &["The U.S. Trade Representative spoke."],
        ),
        (
            "Sales rose in the U.S. The dollar fell.",
            &["Sales rose in the U.S.", "The dollar fell."],
        ),
        (
            "On Jan. 5 it rose 3.5 pct. Then it fell.",
            &["On Jan. 5 it rose 3.5 pct.", "Then it fell."],
        ),
        (
            "Acme Inc. said so. Beta Corp. The end.",
            &["Acme Inc. said so.", "Beta Corp.", "The end."],
        ),
        (
            "Title line\n\nBody starts here.",
            &["Title line", "Body starts here."],
        ),
        (
            "He said \"no.\" Then left.",
            &["He said \"no.\"", "Then left."],
        ),
        (
            "Wrapped line\ncontinues here.",
            &["Wrapped line\ncontinues here."],
        ),
        (
            "J. Smith won! Did he? Yes.",
            &["J. Smith won!", "Did he?", "Yes."],
        ),
        ("...", &[]),
    ];
    for (text, want) in cases {
        let (a, _) = analyze(text);
        let got: Vec<&str> = a
            .sentences
            .iter()
            .map(|s| &text[s.start as usize..s.end as usize])
            .collect();
        assert_eq!(&got, want, "sentences of {text:?}");
        for w in &a.words {
            let s = a.sentences[w.sentence as usize];
            assert!(
                w.start >= s.start && w.end <= s.end,
                "word inside its sentence in {text:?}"
            );
        }
    }
}

#[test]
fn offsets_slice_original_text() {
    let text = "Ｔｏｋｙｏ’s café — naïve “quotes” İstanbul 😀 e\u{301}t\u{e9}";
    let (a, _) = analyze(text);
    assert!(!a.words.is_empty());
    for w in &a.words {
        assert!(text.is_char_boundary(w.start as usize) && text.is_char_boundary(w.end as usize));
    }
    let (_, words) = analyze("Ｔｏｋｙｏ’s");
    assert_eq!(words[0].0, "Ｔｏｋｙｏ");
    assert_eq!(words[0].1, "tokyo");
}
