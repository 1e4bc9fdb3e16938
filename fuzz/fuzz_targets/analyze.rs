//! Any text through both analyzers: words and sentences lie inside the text, on char
//! boundaries, in order of their start. (Words may overlap where NFKC expands one character
//! into several words: see tests/properties.rs, nfkc_expansion_of_one_char_….)
#![no_main]

use libfuzzer_sys::fuzz_target;
use newstrack::analyze::Analysis;

fuzz_target!(|input: (bool, &str)| {
    let (fast, text) = input;
    let p = newstrack_fuzz::pipeline(if fast { "fast" } else { "tokenizers" });
    let mut a = Analysis::default();
    p.analyzer.analyze(text, &mut a);
    let mut prev_start = 0;
    for w in &a.words {
        let (s, e) = (w.start as usize, w.end as usize);
        assert!(s < e && e <= text.len(), "{s}..{e} of {}", text.len());
        assert!(text.is_char_boundary(s) && text.is_char_boundary(e));
        assert!(s >= prev_start, "words go backwards");
        prev_start = s;
        assert!((w.sentence as usize) < a.sentences.len().max(1));
    }
    let mut prev = 0;
    for s in &a.sentences {
        assert!(s.start <= s.end && s.end as usize <= text.len());
        assert!(text.is_char_boundary(s.start as usize) && text.is_char_boundary(s.end as usize));
        assert!(s.start >= prev, "sentences go backwards");
        prev = s.end;
    }
});
