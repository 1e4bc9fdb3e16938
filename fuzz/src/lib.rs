//! Shared checks for the fuzz targets: what every parser's outcome and every analysis must
//! satisfy on any input (offsets inside the text, on char boundaries; clean text as long as
//! the text; every record accounted for).

use std::path::Path;
use std::sync::OnceLock;

use newstrack::config::{compile, Pipeline};
use newstrack::ingest::{self, FileOutcome, Format};

pub const PIPE: &str = r#"
[pipeline]
name = "fuzz"
analyzer = "ANALYZER"

[[topic]]
id = "tariffs"
terms = ["tariff*", "duties", "export control*"]

[[topic]]
id = "rare-earths"
terms = ["rare earth", "neodymium", "magnet*"]

[[actor]]
id = "china"
kind = "country"
terms = ["China", "Beijing", "PRC", "People's Republic of China"]

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

/// The pipeline for an analyzer kind ("tokenizers", or "fast" where this build has it, else
/// "auto"), compiled once.
pub fn pipeline(kind: &str) -> &'static Pipeline {
    static TOK: OnceLock<Pipeline> = OnceLock::new();
    static OTHER: OnceLock<Pipeline> = OnceLock::new();
    let cell = if kind == "tokenizers" { &TOK } else { &OTHER };
    cell.get_or_init(|| {
        let build = |k: &str| compile(&PIPE.replace("ANALYZER", k), Path::new("fuzz.toml"));
        build(kind)
            .or_else(|_| build("auto"))
            .expect("fuzz pipeline")
    })
}

/// Checks the invariants of one parse outcome.
pub fn check_outcome(o: &FileOutcome) {
    if o.failed.is_some() {
        assert!(o.articles.is_empty(), "a failed file yields no article");
    }
    for a in &o.articles {
        assert_eq!(a.text.len(), a.clean_text.len(), "clean text keeps offsets");
    }
}

/// Parses `data` as `name` and checks the outcome, then tags every article.
pub fn parse_and_tag(name: &str, data: &[u8]) {
    let mut o = FileOutcome::default();
    let format = Format::from_path(Path::new(name)).expect("known extension");
    ingest::parse_bytes(format, data, Path::new(name), name, &[], &mut o);
    check_outcome(&o);
    let p = pipeline("tokenizers");
    let mut w = newstrack::pipeline::Worker::default();
    for a in &o.articles {
        w.tag(p, a);
        check_tagging(&a.text, &w);
    }
}

/// Mentions and sentences lie inside the text, on char boundaries, mentions inside their
/// sentence.
pub fn check_tagging(text: &str, w: &newstrack::pipeline::Worker) {
    let sents = &w.analysis.sentences;
    for s in sents {
        assert!(s.start <= s.end && s.end as usize <= text.len());
        assert!(text.is_char_boundary(s.start as usize) && text.is_char_boundary(s.end as usize));
    }
    for m in &w.mentions {
        let (st, en) = (m.start as usize, m.end as usize);
        assert!(st < en && en <= text.len(), "{m:?}");
        assert!(text.is_char_boundary(st) && text.is_char_boundary(en), "{m:?}");
        let s = &sents[m.sentence as usize];
        assert!(s.start <= m.start && m.end <= s.end, "{m:?} outside {s:?}");
    }
}
