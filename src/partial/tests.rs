//! Partial format tests: merge order, duplicate decisions across partials, refusals.

use super::*;

fn id() -> PipelineId {
    PipelineId {
        name: "t".into(),
        hash: "00112233445566ff".into(),
    }
}

fn doc(source: &str, line: u64, text_hash: u8, date: Option<&str>) -> Doc {
    Doc {
        source: source.into(),
        line,
        id: format!("{source}#{line}"),
        title: format!("title {line}"),
        date: date.map(|d| d.parse().unwrap()),
        date_source: if date.is_some() {
            DateSource::Metadata
        } else {
            DateSource::None
        },
        hash: [text_hash; 16],
        counts: vec![(0, 2), (1, 1)],
        cooc: vec![(1, 0, 1)],
        pairs: vec![(1, 0)],
        groups: Vec::new(),
        evidence: vec![DocEvidence {
            entity: 0,
            score: 2,
            start: 0,
            end: 10,
            text: format!("sentence {line}"),
            highlight: (0, 8),
        }],
        names: vec![PartialName {
            name: format!("Name {}", line % 3),
            start: 0,
            end: 6,
            text: format!("Name {} spoke", line % 3),
            highlight: (0, 6),
        }],
        warnings: Vec::new(),
    }
}

fn partial_of(docs: Vec<Doc>, rejected: &[(&str, u64)]) -> Partial {
    let mut m = Merger::new(id());
    let mut sources: BTreeMap<String, u64> = BTreeMap::new();
    for d in &docs {
        *sources.entry(d.source.clone()).or_default() += 1;
    }
    for (s, _) in rejected {
        *sources.entry(s.to_string()).or_default() += 1;
    }
    for (s, n) in sources {
        m.add_records(&s, n);
    }
    for d in docs {
        m.add_doc(d).unwrap();
    }
    for (s, line) in rejected {
        m.add_rejected(Rejected {
            path: s.to_string(),
            record: Some(*line),
            reason: format!("line {line}: bad"),
        })
        .unwrap();
    }
    m.into_partial()
}

fn merged(parts: &[&Partial]) -> Partial {
    let mut m = Merger::new(id());
    for p in parts {
        m.add_partial((*p).clone()).unwrap();
    }
    m.into_partial()
}

#[test]
fn merge_is_associative_and_commutative_and_keeps_the_first_copy() {
    // Text 7 appears at lines 9 (partition a), 2 (partition b) and 5 (partition c): line 2
    // counts wherever the partitions are merged from.
    let a = partial_of(
        vec![
            doc("c.jsonl", 9, 7, Some("2025-06-10")),
            doc("c.jsonl", 1, 1, None),
        ],
        &[("c.jsonl", 4)],
    );
    let b = partial_of(vec![doc("c.jsonl", 2, 7, Some("2025-06-11"))], &[]);
    let c = partial_of(
        vec![
            doc("c.jsonl", 5, 7, None),
            doc("c.jsonl", 3, 3, Some("2025-06-12")),
        ],
        &[],
    );
    let ab_c = merged(&[&merged(&[&a, &b]), &c]);
    let a_bc = merged(&[&a, &merged(&[&b, &c])]);
    let cba = merged(&[&c, &b, &a]);
    assert_eq!(ab_c, a_bc);
    assert_eq!(ab_c, cba);
    let lines: Vec<u64> = ab_c.docs.iter().map(|d| d.line).collect();
    assert_eq!(lines, [1, 2, 3]);
    let dups: Vec<u64> = ab_c.duplicates.iter().map(|d| d.line).collect();
    assert_eq!(dups, [5, 9]);
    assert_eq!(ab_c.sources[0].records, 6);
    check(&ab_c, "merged").unwrap();

    let agg = Merger::from_partial(ab_c).unwrap().into_aggregate(5);
    assert_eq!(agg.accounting.records_read, 6);
    assert_eq!(agg.accounting.articles, 3);
    let same_as: Vec<_> = agg
        .accounting
        .duplicates
        .iter()
        .map(|d| (d.doc.as_str(), d.same_as.as_deref()))
        .collect();
    assert_eq!(
        same_as,
        [
            ("c.jsonl#5", Some("c.jsonl#2")),
            ("c.jsonl#9", Some("c.jsonl#2"))
        ]
    );
    assert_eq!(agg.undated.len(), 1, "only line 1 counts as undated");
}

#[test]
fn aggregate_matches_folding_the_same_documents_directly() {
    let docs = vec![
        doc("a.jsonl", 1, 1, Some("2025-06-10")),
        doc("a.jsonl", 2, 2, Some("2025-06-10")),
        doc("b.jsonl", 1, 3, None),
    ];
    let mut direct = Aggregate::new(5);
    direct.accounting.files_seen = 2;
    direct.accounting.files_read = 2;
    direct.accounting.records_read = 3;
    for d in docs.clone() {
        direct.add_doc(d.into_summary());
    }
    direct.finish();
    let p = partial_of(docs, &[]);
    assert_eq!(Merger::from_partial(p).unwrap().into_aggregate(5), direct);
}

#[test]
fn empty_sources_are_empty_files() {
    let mut m = Merger::new(id());
    m.add_records("e.jsonl", 0);
    m.add_records("e.jsonl", 0);
    let agg = m.into_aggregate(5);
    assert_eq!(agg.accounting.files_seen, 1);
    assert_eq!(agg.accounting.records_read, 1);
    assert_eq!(agg.accounting.records_rejected[0].reason, "empty file");
}

#[test]
fn a_line_mapped_twice_is_refused() {
    let a = partial_of(vec![doc("c.jsonl", 1, 1, None)], &[]);
    let b = partial_of(vec![doc("c.jsonl", 1, 2, None)], &[]);
    let mut m = Merger::new(id());
    m.add_partial(a).unwrap();
    let err = m.add_partial(b).unwrap_err().to_string();
    assert!(
        err.contains("line 1 of c.jsonl is in more than one partial") && err.contains("--numbered"),
        "{err}"
    );
}

#[test]
fn parse_refuses_what_it_cannot_merge() {
    let good = serde_json::to_string(&partial_of(vec![doc("c.jsonl", 1, 1, None)], &[])).unwrap();
    let other = PipelineId {
        name: "other".into(),
        hash: "ffffffffffffffff".into(),
    };
    let want = Expect {
        pipeline: &id(),
        path: "p.toml",
    };
    assert!(parse(&good, "f line 1", &want).is_ok());
    let want_other = Expect {
        pipeline: &other,
        path: "pipelines/other.toml",
    };
    let with = |from: &str, to: &str| good.replacen(from, to, 1);
    // (line, pipeline expected, error fragment)
    let cases: Vec<(String, &Expect, &str)> = vec![
        (
            good.clone(),
            &want_other,
            "made with pipeline \"t\" (hash 00112233445566ff",
        ),
        (
            good.clone(),
            &want_other,
            "merge uses pipeline \"other\" (hash ffffffffffffffff",
        ),
        (
            with("\"version\":1", "\"version\":2"),
            &want,
            "partial format version 2",
        ),
        (
            with("newstrack-partial", "something"),
            &want,
            "format is \"something\"",
        ),
        (
            "{\"a\":1}".into(),
            &want,
            "no \"format\": \"newstrack-partial\" field",
        ),
        (
            "not json".into(),
            &want,
            "f line 1: not a newstrack partial (invalid JSON",
        ),
        (
            with("\"records\":1", "\"records\":2"),
            &want,
            "sources count 2 records but it holds 1",
        ),
        (
            with("\"title\"", "\"titel\""),
            &want,
            "unknown field `titel`",
        ),
        (
            with("0101010101010101", "0101"),
            &want,
            "a hash is 32 hex digits",
        ),
    ];
    for (line, want, fragment) in cases {
        let err = parse(&line, "f line 1", want).unwrap_err().to_string();
        assert!(err.contains(fragment), "{fragment:?} not in {err:?}");
    }
}

#[test]
fn a_duplicate_needs_its_counted_copy() {
    let mut p = partial_of(
        vec![doc("c.jsonl", 1, 1, None), doc("c.jsonl", 2, 1, None)],
        &[],
    );
    assert_eq!(p.duplicates.len(), 1);
    p.docs.clear();
    p.sources[0].records = 1;
    let err = check(&p, "x").unwrap_err().to_string();
    assert!(
        err.contains("duplicate line 2 of c.jsonl has no counted copy"),
        "{err}"
    );
}

#[test]
fn hashes_round_trip_as_hex() {
    let d = doc("c.jsonl", 1, 0xab, None);
    let s = serde_json::to_string(&d).unwrap();
    assert!(
        s.contains(&format!("\"hash\":\"{}\"", "ab".repeat(16))),
        "{s}"
    );
    assert_eq!(serde_json::from_str::<Doc>(&s).unwrap(), d);
}
