//! Any text tagged with both analyzers: mentions lie inside the text on char boundaries,
//! inside their sentence, in order of their start (leftmost-longest).
#![no_main]

use libfuzzer_sys::fuzz_target;
use newstrack::ingest::{Article, DateSource};

fuzz_target!(|input: (bool, &str)| {
    let (fast, text) = input;
    let p = newstrack_fuzz::pipeline(if fast { "fast" } else { "tokenizers" });
    let article = Article {
        id: "f".into(),
        path: "f".into(),
        record: None,
        title: String::new(),
        date: None,
        date_source: DateSource::None,
        source: None,
        url: None,
        text: text.to_string(),
        clean_text: text.to_string(),
        meta: Default::default(),
        warnings: vec![],
    };
    let mut w = newstrack::pipeline::Worker::default();
    w.tag(p, &article);
    newstrack_fuzz::check_tagging(text, &w);
    for pair in w.mentions.windows(2) {
        assert!(pair[0].start <= pair[1].start, "mentions out of order {pair:?}");
    }
});
