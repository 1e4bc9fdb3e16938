//! Aggregate tests: totals, per-day cells, merge over every split of a fixed set (the
//! property test over random documents is tests/properties.rs), evidence and accounting.

use super::*;

fn doc(i: u32, day: Option<u32>, counts: &[(u32, u32)]) -> DocSummary {
    DocSummary {
        id: format!("doc-{i:03}"),
        path: format!("p/{i}.txt"),
        date: day.map(|d| NaiveDate::from_ymd_opt(2025, 6, d).unwrap()),
        date_source: if day.is_some() {
            DateSource::Metadata
        } else {
            DateSource::None
        },
        title: format!("Title {i}"),
        hash: [i as u8; 16],
        counts: counts.to_vec(),
        cooc_sentences: counts
            .iter()
            .filter(|(e, _)| *e >= 2)
            .flat_map(|(a, n)| {
                counts
                    .iter()
                    .filter(|(t, _)| *t < 2)
                    .map(move |(t, m)| (*a, *t, (*n).min(*m)))
            })
            .collect(),
        pairs: counts
            .iter()
            .filter(|(e, _)| *e >= 2)
            .flat_map(|(a, _)| {
                counts
                    .iter()
                    .filter(|(t, _)| *t < 2)
                    .map(move |(t, _)| (*a, *t))
            })
            .collect(),
        groups: counts
            .iter()
            .filter(|(e, _)| *e == 2)
            .map(|(_, n)| (2, *n))
            .collect(),
        evidence: counts
            .iter()
            .map(|(e, n)| DocEvidence {
                entity: *e,
                score: *n,
                start: i * 10,
                end: i * 10 + 5,
                text: format!("sentence {i}"),
                highlight: (0, 8),
            })
            .collect(),
        names: {
            let mut names = DocNames::default();
            for (e, _) in counts {
                names.push(&format!("Name {e}"), i, i + 1, "", (0, 0));
            }
            names
        },
        warnings: vec![],
    }
}

fn docs() -> Vec<DocSummary> {
    vec![
        doc(1, Some(9), &[(0, 2), (2, 1)]),
        doc(2, Some(9), &[(1, 1)]),
        doc(3, Some(10), &[(0, 1), (1, 3), (2, 2), (3, 1)]),
        doc(4, None, &[(2, 5)]),
        doc(5, Some(17), &[]),
        doc(6, Some(17), &[(0, 4), (3, 2)]),
    ]
}

fn fold(ds: &[DocSummary]) -> Aggregate {
    let mut a = Aggregate::new(2);
    for d in ds {
        a.add_doc(d.clone());
    }
    a.finish();
    a
}

#[test]
fn totals_and_cells() {
    let a = fold(&docs());
    assert_eq!(a.articles(), 6);
    assert_eq!(
        a.totals[&0],
        Counts {
            mentions: 7,
            documents: 3
        }
    );
    assert_eq!(
        a.totals[&2],
        Counts {
            mentions: 8,
            documents: 3
        },
        "undated docs count in totals"
    );
    let d9 = NaiveDate::from_ymd_opt(2025, 6, 9).unwrap();
    assert_eq!(
        a.cells[&(d9, 0)],
        Counts {
            mentions: 2,
            documents: 1
        }
    );
    assert_eq!(a.day_articles[&d9], 2);
    assert_eq!(a.undated.len(), 1);
    assert!(a.evidence.values().all(|v| v.len() <= 2), "evidence capped");
    assert_eq!(a.evidence[&2][0].doc, "doc-004", "highest score first");
}

#[test]
fn any_split_gives_the_same_aggregate() {
    let ds = docs();
    let whole = fold(&ds);
    // (split points) table: every way of cutting the list into contiguous parts, merged in
    // both directions.
    let splits: &[&[usize]] = &[&[1], &[3], &[5], &[1, 2, 3, 4, 5], &[2, 4]];
    for cuts in splits {
        let mut parts = Vec::new();
        let mut prev = 0;
        for &c in cuts.iter().chain(std::iter::once(&ds.len())) {
            parts.push(fold(&ds[prev..c]));
            prev = c;
        }
        let mut fwd = Aggregate::new(2);
        for p in parts.iter().cloned() {
            fwd.merge(p);
        }
        let mut rev = Aggregate::new(2);
        for p in parts.into_iter().rev() {
            rev.merge(p);
        }
        assert_eq!(fwd, whole, "forward merge of {cuts:?}");
        assert_eq!(rev, whole, "reverse merge of {cuts:?}");
    }
}

/// `offer` (used while folding) must leave what `keep_best` leaves for the same evidence.
#[test]
fn offer_keeps_what_keep_best_keeps() {
    // (cap, [(doc, score, start)])
    type Case<'a> = (usize, &'a [(u32, u32, u32)]);
    let cases: &[Case] = &[
        (2, &[(1, 1, 0), (2, 3, 0), (3, 2, 0), (4, 3, 5)]),
        (3, &[(5, 1, 0), (4, 1, 0), (3, 1, 0), (2, 1, 0), (1, 1, 0)]),
        (2, &[(1, 2, 0), (1, 2, 0), (2, 2, 0)]),
        (0, &[(1, 1, 0)]),
        (5, &[(2, 1, 9), (2, 1, 3)]),
    ];
    for &(cap, items) in cases {
        let mut offered = Vec::new();
        let mut all = Vec::new();
        for &(doc, score, start) in items {
            let mut d = doc_summary_for_offer(doc);
            let ev = DocEvidence {
                entity: 0,
                score,
                start,
                end: start + 1,
                text: format!("s{doc}"),
                highlight: (0, 1),
            };
            d.evidence = vec![ev.clone()];
            offer(&mut offered, cap, &ev, &d);
            all.push(ev.into_evidence(&d));
        }
        keep_best(&mut all, cap);
        assert_eq!(offered, all, "cap {cap}, {items:?}");
    }
}

fn doc_summary_for_offer(i: u32) -> DocSummary {
    doc(i, Some(1), &[(0, 1)])
}

/// The accounting identities the reports state, on balanced and unbalanced counts.
#[test]
fn accounting_identities() {
    let rej = || Rejected {
        path: "p".into(),
        record: None,
        reason: "r".into(),
    };
    // (files seen, read, skipped, failed, records read, counted, duplicates, rejected,
    //  files balanced, records balanced)
    type Case = (u64, u64, usize, usize, u64, u64, usize, usize, bool, bool);
    let cases: &[Case] = &[
        (3, 1, 1, 1, 4, 2, 1, 1, true, true),
        (0, 0, 0, 0, 0, 0, 0, 0, true, true),
        (3, 1, 1, 0, 4, 2, 1, 0, false, false),
        (2, 2, 0, 0, 5, 5, 0, 0, true, true),
        (2, 2, 0, 0, 5, 4, 0, 0, true, false),
    ];
    for &(seen, read, skipped, failed, rec, counted, dups, rejected, fb, rb) in cases {
        let acc = Accounting {
            files_seen: seen,
            files_read: read,
            files_skipped: vec![rej(); skipped],
            files_failed: vec![rej(); failed],
            records_read: rec,
            records_rejected: vec![rej(); rejected],
            articles: counted,
            duplicates: vec![
                DocRef {
                    doc: "d".into(),
                    path: "p".into(),
                    same_as: None
                };
                dups
            ],
            warnings: vec![],
        };
        assert_eq!(acc.files_balanced(), fb, "{seen} {read} {skipped} {failed}");
        assert_eq!(
            acc.records_balanced(),
            rb,
            "{rec} {counted} {dups} {rejected}"
        );
    }
}

#[test]
fn a_summary_comes_back_from_postcard_with_its_date() {
    for day in [Some(2), None] {
        let d = doc(1, day, &[(0, 1)]);
        let bytes = postcard::to_allocvec(&d).unwrap();
        assert_eq!(postcard::from_bytes::<DocSummary>(&bytes).unwrap(), d);
    }
}
