//! Analyzer tests: word rules, flags, sentence splitting and offsets, table-driven.

use super::*;
use rust_stemmers::Algorithm;

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
        // Single letters of two or three bytes join too; two-letter words never do.
        ("É.Ü. rules", &["É.Ü.", "rules"], &["éü", "rule"]),
        ("Ω.Σ. now", &["Ω.Σ.", "now"], &["ως", "now"]),
        ("of.it and", &["of", "it", "and"], &["of", "it", "and"]),
        ("a.bc d", &["a", "bc", "d"], &["a", "bc", "d"]),
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
        // "gov't" is tokenised gov ' t: the abbreviation is the words joined again.
        (
            "Talks with the gov't. Officials met. Done.",
            &["Talks with the gov't. Officials met.", "Done."],
        ),
        (
            "Talks with the Gov\u{2019}t. Officials met.",
            &["Talks with the Gov\u{2019}t. Officials met."],
        ),
        ("It isn't. Then it is.", &["It isn't.", "Then it is."]),
        ("A gov 't. Then.", &["A gov 't.", "Then."]),
        (
            "Mr. Baker spoke. He left.",
            &["Mr. Baker spoke.", "He left."],
        ),
        (
            "Rates rose on Sept. Monday.",
            &["Rates rose on Sept. Monday."],
        ),
        (
            "He works at Acme Inc. Shares rose. The end.",
            &["He works at Acme Inc. Shares rose.", "The end."],
        ),
        (
            "It rose 3 pct. Shares fell.",
            &["It rose 3 pct.", "Shares fell."],
        ),
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

/// Everything the two analyzers must agree on, with buffer ranges resolved to text.
type TokenView = Vec<(u32, u32, String, bool)>;
type WordView = Vec<(u32, u32, String, String, String, u8, u32)>;

fn split_with(p: &dyn PreTokenizer, text: &str) -> TokenView {
    let mut tokens = Vec::new();
    let mut buf = String::new();
    p.split(text, &mut tokens, &mut buf, &mut SplitScratch::default());
    tokens
        .iter()
        .map(|t| {
            (
                t.start,
                t.end,
                buf[t.norm.0 as usize..t.norm.1 as usize].to_string(),
                t.punct,
            )
        })
        .collect()
}

fn words_with(an: &Analyzer, a: &mut Analysis, text: &str) -> (WordView, Vec<Sentence>) {
    an.analyze(text, a);
    let words = a
        .words
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
        .collect();
    (words, a.sentences.clone())
}

/// Asserts the fast path gives exactly the reference's tokens, words and sentences.
fn assert_identical(text: &str) {
    let reference = split_with(&TokenizersSplitter::new(), text);
    let fast = split_with(&FastSplitter::new(), text);
    assert_eq!(fast, reference, "tokens of {text:?}");
    thread_local! {
        static ANALYZERS: (Analyzer, Analyzer) = (
            Analyzer::new(AnalyzerKind::Tokenizers, Algorithm::English),
            Analyzer::new(AnalyzerKind::Fast, Algorithm::English),
        );
    }
    ANALYZERS.with(|(r, f)| {
        // Fresh analyses and reused ones (whose form tables already hold other words).
        let mut ar = Analysis::default();
        let mut af = Analysis::default();
        let want = words_with(r, &mut ar, text);
        assert_eq!(words_with(f, &mut af, text), want, "words of {text:?}");
        assert_eq!(
            words_with(f, &mut af, text),
            want,
            "words of {text:?}, reused"
        );
    });
}

#[test]
fn fast_path_matches_reference_on_tricky_text() {
    let cases = [
        "",
        "   \n\t ",
        "U.S. officials said: \"no.\" (Reuters) - It's 3.5 pct.",
        "naïve café — “quotes” ‘single’ – dash ‑ nb-hyphen − minus",
        "Ｔｏｋｙｏ’s ﬁnance … İstanbul ½ x² K Å",
        "e\u{301}t\u{e9} a\u{308}\u{301} \u{301}lone \u{327}",
        "中国 日本の輸出。 ！？ 한국 \u{1100}\u{1161} 😀 👍🏽 👨‍👩‍👧",
        "no\u{a0}break thin\u{2009}space ideo\u{3000}graphic line\u{2028}sep nel\u{85}x",
        "=\u{338} <\u{338} >\u{338} a=\u{338}b",
        "\u{fffd}\u{fffd}bad bytes\u{fffd} \u{0}\u{1}\u{b}\u{c}ctl",
        "word\u{200b}joiner soft\u{ad}hyphen bidi\u{202e}x",
        "ﷺ ﷻ ㍿ ℡ ™ ㎏ ①",
    ];
    for text in cases {
        assert_identical(text);
    }
}

mod prop {
    use super::assert_identical;
    use proptest::prelude::*;

    /// Pieces of text from every class the splitter treats differently.
    fn piece() -> impl Strategy<Value = String> {
        let fixed: Vec<&'static str> = vec![
            " ",
            "  ",
            "\n",
            "\n\n",
            "\t",
            "\r\n",
            "\u{b}",
            "\u{c}",
            "\u{a0}",
            "\u{2009}",
            "\u{3000}",
            "\u{2028}",
            "\u{85}",
            ".",
            ",",
            "!",
            "?",
            "'",
            "\"",
            "-",
            "(",
            ")",
            "/",
            "&",
            "’",
            "‘",
            "“",
            "”",
            "–",
            "—",
            "‑",
            "−",
            "…",
            "«",
            "»",
            "¿",
            "é",
            "ñ",
            "ß",
            "İ",
            "ı",
            "Ø",
            "e\u{301}",
            "\u{301}",
            "\u{308}",
            "\u{327}",
            "\u{338}",
            "=",
            "<",
            "ﬁ",
            "Ｔ",
            "！",
            "中",
            "国",
            "の",
            "。",
            "한",
            "\u{1100}",
            "\u{1161}",
            "😀",
            "👍🏽",
            "\u{200d}",
            "\u{200b}",
            "\u{ad}",
            "\u{fffd}",
            "\u{0}",
            "\u{1}",
            "½",
            "²",
            "K",
            "Å",
            "ℌ",
            "ﷺ",
            "U.S.",
            "E.U",
            "Inc.",
            "Dr.",
            "J.",
            "China's",
            "rare-earth",
            "3.5",
            "the",
            "The",
            "US",
            "us",
            "Tariffs",
            "NEODYMIUM",
        ];
        prop_oneof![
            4 => "[a-zA-Z]{1,8}",
            2 => proptest::sample::select(fixed).prop_map(str::to_string),
            1 => any::<char>().prop_map(|c| c.to_string()),
            1 => "[ -~]{1,6}",
        ]
    }

    /// All-ASCII text, which the fast path splits from bit sets alone: words longer than a
    /// 64-byte block, whitespace of every kind, punctuation, control bytes.
    fn ascii_text() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            4 => "[a-zA-Z0-9]{1,12}",
            1 => "[a-zA-Z0-9]{60,140}",
            3 => "[ \t\n\r\x0B\x0C]{1,3}",
            2 => "[!-/:-@\\[-`{-~]{1,3}",
            1 => "[\x00-\x08\x0E-\x1F\x7F]",
        ];
        prop_oneof![
            3 => proptest::collection::vec(piece, 0..80).prop_map(|v| v.concat()),
            1 => "[\x00-\x7F]{0,300}",
        ]
    }

    fn text() -> impl Strategy<Value = String> {
        prop_oneof![
            4 => proptest::collection::vec(piece(), 0..40).prop_map(|v| v.concat()),
            3 => ascii_text(),
            1 => proptest::collection::vec(any::<u8>(), 0..120)
                .prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
            1 => any::<String>(),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]
        #[test]
        fn fast_path_matches_reference(t in text()) {
            assert_identical(&t);
        }
    }
}
