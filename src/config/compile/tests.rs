//! Pipeline validation tests: every error class reported at once with its position.

use super::*;

fn errors(src: &str) -> Vec<ConfigError> {
    match compile(src, Path::new("p.toml")) {
        Ok(_) => Vec::new(),
        Err(e) => e.0,
    }
}

const VALID: &str = r#"
[pipeline]
name = "demo"
period = "month"

[[topic]]
id = "tariffs"
terms = ["tariff*", "duties"]

[[actor]]
id = "united-states"
label = "United States"
kind = "country"
terms = ["US", "United States"]

[[actor]]
id = "scott-bessent"
kind = "person"
group = "united-states"
terms = ["Bessent"]

[[event]]
date = "2025-06-10"
label = "Talks"
"#;

#[test]
fn valid_pipeline_compiles() {
    let p = compile(VALID, Path::new("p.toml")).expect("valid");
    assert_eq!(p.name, "demo");
    assert_eq!(p.period, Period::Month);
    assert_eq!(p.entities.len(), 3);
    assert_eq!(p.entities[2].group, Some(1));
    // Topics roll up nowhere; the country is its own group; the official rolls up to it.
    assert_eq!(p.rollup, vec![None, Some(1), Some(1)]);
    assert_eq!(p.entities[0].label, "tariffs", "label defaults to id");
    assert_eq!(p.events.len(), 1);
    assert_eq!(p.hash.len(), 16);
}

#[test]
fn every_error_class_reported_at_once_with_position() {
    // (snippet appended to a valid [pipeline], expected line, key, fragment of message)
    let src = r#"[pipeline]
name = "bad"
period = "fortnight"
colour = "blue"

[[topic]]
id = "Tariffs"
terms = []

[[topic]]
id = "dup"
terms = ["---"]

[[actor]]
id = "dup"
kind = "planet"
group = "nobody"
terms = ["ex*port", "rare, earth"]

[[actor]]
id = "a"
kind = "person"
terms = ["Ford"]

[[actor]]
id = "b"
kind = "company"
terms = ["ford"]

[[event]]
date = "2025-13-40"
label = "x"

[[stuff]]
"#;
    let errs = errors(src);
    let got: Vec<(usize, Option<&str>)> = errs.iter().map(|e| (e.line, e.key.as_deref())).collect();
    let want: &[(usize, Option<&str>, &str)] = &[
        (3, Some("period"), "expected one of day, week, month"),
        (4, Some("colour"), "unknown field"),
        (7, Some("id"), "lowercase letters"),
        (8, Some("terms"), "at least one term"),
        (12, Some("terms"), "normalises to nothing"),
        (15, Some("id"), "duplicate id"),
        (16, Some("kind"), "expected one of country"),
        (17, Some("group"), "another [[actor]]"),
        (18, Some("terms"), "`*` is only allowed"),
        (18, Some("terms"), "punctuation"),
        (28, Some("terms"), "also a term of \"a\""),
        (31, Some("date"), "YYYY-MM-DD"),
        (34, Some("[[stuff]]"), "unknown table"),
    ];
    for (line, key, frag) in want {
        assert!(
            errs.iter()
                .any(|e| e.line == *line && e.key.as_deref() == *key && e.message.contains(frag)),
            "missing error at line {line} key {key:?} ({frag}); got {got:?}\n{}",
            ConfigErrors(errs.clone())
        );
    }
    assert!(errs.iter().all(|e| e.file == "p.toml" && e.column >= 1));
    let shown = ConfigErrors(errs).to_string();
    assert!(
        shown.contains("p.toml:3:10: [pipeline]: key `period` = \"fortnight\""),
        "{shown}"
    );
}

#[test]
fn syntax_error_has_line_and_column() {
    let errs = errors("[pipeline]\nname = \"x\nperiod = 1\n");
    assert_eq!(errs.len(), 1);
    assert_eq!(errs[0].line, 2);
    assert!(
        errs[0].message.starts_with("invalid TOML"),
        "{}",
        errs[0].message
    );
}

#[test]
fn group_chains_and_missing_pieces() {
    let cases: &[(&str, &str)] = &[
        ("[[topic]]\nid = \"t\"\nterms = [\"x\"]\n", "missing [pipeline]"),
        ("[pipeline]\nname = \"n\"\n", "no [[topic]] or [[actor]]"),
        ("[pipeline]\nname = \"n\"\n[[topic]]\nid = \"t\"\nkind = \"country\"\nterms = [\"x\"]\n", "topics have no kind"),
        ("[pipeline]\nname = \"n\"\n[[actor]]\nid = \"a\"\nterms = [\"x\"]\n", "missing: expected one of"),
        ("[pipeline]\nname = \"n\"\n[[actor]]\nid = \"a\"\nkind = \"person\"\ngroup = \"b\"\nterms = [\"x\"]\n[[actor]]\nid = \"b\"\nkind = \"person\"\ngroup = \"c\"\nterms = [\"y\"]\n[[actor]]\nid = \"c\"\nkind = \"country\"\nterms = [\"z\"]\n", "one level deep"),
        ("name = \"n\"\n[pipeline]\nname = \"n\"\n[[topic]]\nid = \"t\"\nterms = [\"x\"]\n", "outside any table"),
        ("[pipeline]\nname = \"a b\"\n[[topic]]\nid = \"t\"\nterms = [\"x\"]\n", "non-empty name"),
    ];
    for (src, frag) in cases {
        let errs = errors(src);
        assert!(
            errs.iter().any(|e| e.message.contains(frag)),
            "{frag}: {}",
            ConfigErrors(errs.clone())
        );
    }
}

#[test]
fn periods() {
    let d = NaiveDate::from_ymd_opt(2025, 6, 12).unwrap();
    let cases = [
        (Period::Day, "2025-06-12", "2025-06-13", "2025-06-12"),
        (Period::Week, "2025-06-09", "2025-06-16", "2025-W24"),
        (Period::Month, "2025-06-01", "2025-07-01", "2025-06"),
    ];
    for (p, start, next, label) in cases {
        let s = p.start(d);
        assert_eq!(s.to_string(), start);
        assert_eq!(p.next(s).to_string(), next);
        assert_eq!(p.label(s), label);
    }
    let dec = NaiveDate::from_ymd_opt(1987, 12, 5).unwrap();
    assert_eq!(
        Period::Month.next(Period::Month.start(dec)).to_string(),
        "1988-01-01"
    );
}

/// One file with every class of invalid pipeline: each is reported, at once, with file, line,
/// column, key and what was expected.
#[test]
fn each_invalid_class_reported_with_file_line_column_all_at_once() {
    let src = r#"[pipeline]
name = "bad"
period = "fortnight"
analyzer = "quantum"
language = "klingon"
evidence_per_entity = 0
max_doc_bytes = -5
boilerplate = ["  "]
colour = "blue"
include = ["**/*.json", "news/[a-"]
exclude = ["{drafts"]

[[topic]]
id = "tariffs"
synonyms = ["duty"]
terms = ["tariff*"]

[[topic]]
id = "empty"
terms = []

[[topic]]
id = "punct"
terms = ["!!!", "  "]
exclude = ["..."]

[[topic]]
id = "wrongtype"
terms = "tariff"

[[actor]]
id = "tariffs"
kind = "country"
terms = ["Tariffland"]

[[actor]]
id = "self"
kind = "person"
group = "self"
terms = ["Selfie"]

[[actor]]
id = "to-topic"
kind = "person"
group = "empty"
terms = ["Topicer"]

[[event]]
date = "2025-02-30"
label = "Bad day"

[[event]]
date = "2025-06-01"
label = ""

[[event]]
date = "2025-06-01"
"#;
    // (class, line, column, key, fragment of the message)
    let want: &[(&str, usize, usize, &str, &str)] = &[
        (
            "unknown period",
            3,
            10,
            "period",
            "expected one of day, week, month",
        ),
        (
            "unknown analyzer",
            4,
            12,
            "analyzer",
            "expected one of auto",
        ),
        (
            "unknown language",
            5,
            12,
            "language",
            "expected a stemmer language",
        ),
        (
            "out of range",
            6,
            23,
            "evidence_per_entity",
            "from 1 to 100",
        ),
        (
            "non-positive limit",
            7,
            17,
            "max_doc_bytes",
            "positive number of bytes",
        ),
        ("blank boilerplate", 8, 16, "boilerplate", "non-empty line"),
        (
            "unknown key in [pipeline]",
            9,
            1,
            "colour",
            "unknown field `colour`",
        ),
        ("bad include glob", 10, 25, "include", "bad glob"),
        ("bad exclude glob", 11, 12, "exclude", "bad glob"),
        (
            "unknown key in an entry",
            15,
            1,
            "synonyms",
            "unknown field `synonyms`",
        ),
        ("empty terms", 20, 9, "terms", "at least one term"),
        (
            "term normalising to nothing",
            24,
            10,
            "terms",
            "normalises to nothing",
        ),
        ("blank term", 24, 17, "terms", "normalises to nothing"),
        (
            "exclusion normalising to nothing",
            25,
            12,
            "exclude",
            "normalises to nothing",
        ),
        ("duplicate id across kinds", 32, 6, "id", "duplicate id"),
        ("self group", 39, 9, "group", "its own group"),
        ("group naming a topic", 45, 9, "group", "another [[actor]]"),
        ("bad event date", 49, 8, "date", "YYYY-MM-DD"),
        ("empty event label", 54, 9, "label", "non-empty label"),
        ("missing key", 57, 1, "label", "missing field `label`"),
    ];
    let errs = errors(src);
    let shown = ConfigErrors(errs.clone()).to_string();
    for (class, line, col, key, frag) in want {
        assert!(
            errs.iter().any(|e| e.file == "p.toml"
                && e.line == *line
                && e.column == *col
                && e.key.as_deref() == Some(*key)
                && e.message.contains(frag)),
            "{class}: no error at {line}:{col} key {key} ({frag}) in\n{shown}"
        );
    }
    // A wrong type is reported at its value, even without a key name.
    assert!(
        errs.iter()
            .any(|e| e.line == 29 && e.column == 9 && e.message.contains("expected a sequence")),
        "wrong type: {shown}"
    );
    assert_eq!(
        errs.len(),
        want.len() + 1,
        "exactly one error per problem:\n{shown}"
    );
}
