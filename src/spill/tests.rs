//! Spill tests: the row store over every split into runs (table), its merge order, failures
//! that name their file, the duplicate index, and the temporary folder's cleanup.

use std::path::Path;

use chrono::NaiveDate;

use super::rows::{row_bytes, row_order};
use super::*;
use crate::aggregate::DocRow;
use crate::ingest::DateSource;

/// Rows of one fixed size, so a budget of `k` rows is `k * row_bytes(row)` exactly. Ids
/// repeat (`i % 7`) and paths repeat, so the order falls back to the other fields.
fn row(i: u32) -> DocRow {
    let sources = [
        DateSource::Metadata,
        DateSource::Filename,
        DateSource::Text,
        DateSource::None,
    ];
    let source = sources[i as usize % 4];
    DocRow {
        doc: format!("d{:03}", i % 7).as_str().to_owned(),
        path: format!("p{}.jsonl", i % 2).as_str().to_owned(),
        date: (source != DateSource::None)
            .then(|| NaiveDate::from_ymd_opt(1987, 3, 1 + i % 28).unwrap()),
        date_source: source,
        title: format!("Titel «{:03}»", (i * 37) % 101).as_str().to_owned(),
        counts: vec![(i % 3, i), (9, i % 5)],
    }
}

fn rows(n: u32) -> Vec<DocRow> {
    // A fixed shuffle: rows arrive out of order.
    (0..n).map(|i| row((i * 13 + 5) % n.max(1))).collect()
}

fn sorted(mut v: Vec<DocRow>) -> Vec<DocRow> {
    v.sort_by(row_order);
    v
}

fn read_all(s: &DocRows) -> Vec<DocRow> {
    s.iter().unwrap().map(|r| r.unwrap()).collect()
}

fn temp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

/// Files left under `parent`, recursively.
fn files_under(parent: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(parent).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.push(format!("{}/", p.display()));
            out.extend(files_under(&p));
        } else {
            out.push(p.display().to_string());
        }
    }
    out
}

#[test]
fn rows_come_back_sorted_over_every_split_into_runs() {
    let size = row_bytes(&row(0));
    for i in 0..40 {
        assert_eq!(row_bytes(&row(i)), size, "row {i} must have the fixed size");
    }
    // (rows, budget in rows, runs written, rows left in memory)
    let cases = [
        (0, 3, 0, 0),   // empty
        (2, 3, 0, 2),   // under the budget: nothing on disk
        (3, 3, 1, 0),   // exactly the budget: one run, nothing buffered
        (4, 3, 1, 1),   // one more
        (10, 3, 3, 1),  // several runs
        (12, 1, 12, 0), // a run per row
        (1, 1, 1, 0),
    ];
    for (n, k, runs, left) in cases {
        let dir = temp();
        let spill = SpillDir::create(dir.path()).unwrap();
        let mut s = DocRows::spilling(spill, k * size);
        let input = rows(n as u32);
        for r in input.clone() {
            s.push(r);
        }
        assert!(s.error().is_none(), "{n} rows by {k}");
        assert_eq!((s.runs(), s.buffered()), (runs, left), "{n} rows by {k}");
        assert_eq!(s.len(), n as u64);
        assert_eq!(read_all(&s), sorted(input.clone()), "{n} rows by {k}");
        // The same rows held in memory only compare equal, and read back the same.
        let mut mem = DocRows::default();
        for r in input {
            mem.push(r);
        }
        assert_eq!(mem.runs(), 0);
        assert_eq!(s, mem, "{n} rows by {k}");
    }
}

#[test]
fn absorb_in_any_order_and_grouping_reads_the_same() {
    let dir = temp();
    let spill = SpillDir::create(dir.path()).unwrap();
    let size = row_bytes(&row(0));
    let all = rows(30);
    let part = |range: std::ops::Range<usize>, k: usize| {
        let mut s = DocRows::spilling(spill.clone(), k * size);
        for r in &all[range] {
            s.push(r.clone());
        }
        s
    };
    // Parts with different budgets: some spilled, some in memory, some mixed.
    let (a, b, c) = (part(0..11, 4), part(11..12, 100), part(12..30, 5));
    let mut ab_c = a.clone();
    ab_c.absorb(b.clone());
    ab_c.absorb(c.clone());
    let mut bc = b.clone();
    bc.absorb(c.clone());
    let mut a_bc = a.clone();
    a_bc.absorb(bc);
    let mut cba = DocRows::default();
    cba.absorb(c);
    cba.absorb(b);
    cba.absorb(a);
    let want = sorted(all.clone());
    for (name, s) in [("(ab)c", &ab_c), ("a(bc)", &a_bc), ("cba", &cba)] {
        assert_eq!(read_all(s), want, "{name}");
    }
    assert_eq!(ab_c, cba);
    // A store without a folder takes over the folder of what it absorbs.
    let mut more = cba.clone();
    for r in rows(40) {
        more.push(r);
    }
    assert!(more.runs() > cba.runs(), "the absorbing store spills too");
}

#[test]
fn many_runs_are_merged_into_one_and_stay_in_order() {
    let dir = temp();
    let spill = SpillDir::create(dir.path()).unwrap();
    let mut s = DocRows::spilling(spill.clone(), 1);
    let input = rows(200);
    for r in input.clone() {
        s.push(r);
    }
    assert!(s.error().is_none());
    assert!(s.runs() <= 65, "{} runs", s.runs());
    assert_eq!(read_all(&s), sorted(input));
    // Only the live runs are on disk (and the lock).
    let files = files_under(spill.path());
    assert_eq!(files.len(), s.runs() + 1, "{files:?}");
}

#[test]
fn rows_round_trip_through_a_run_exactly() {
    let dir = temp();
    let spill = SpillDir::create(dir.path()).unwrap();
    let odd = vec![
        DocRow {
            doc: String::new(),
            path: "ä/ö\"quoted\", comma.txt".into(),
            date: None,
            date_source: DateSource::None,
            title: "Zeile\nzwei \u{1F600} \u{0301}".into(),
            counts: vec![],
        },
        DocRow {
            doc: "x".repeat(70_000),
            path: "p".into(),
            date: NaiveDate::from_ymd_opt(1, 1, 1),
            date_source: DateSource::Text,
            title: String::new(),
            counts: vec![(u32::MAX, u32::MAX), (0, 0)],
        },
        DocRow {
            doc: "y".into(),
            path: "p".into(),
            date: NaiveDate::from_ymd_opt(9999, 12, 31),
            date_source: DateSource::Filename,
            title: "t".into(),
            counts: (0..5000).map(|e| (e, 1)).collect(),
        },
    ];
    let mut s = DocRows::spilling(spill, 1);
    for r in odd.clone() {
        s.push(r);
    }
    assert_eq!(s.buffered(), 0, "every row went to disk");
    assert_eq!(read_all(&s), sorted(odd));
}

#[test]
fn runs_are_removed_with_the_last_store_and_the_folder_with_the_last_user() {
    let dir = temp();
    let spill = SpillDir::create(dir.path()).unwrap();
    let folder = spill.path().to_path_buf();
    let mut s = DocRows::spilling(spill, 1);
    for r in rows(5) {
        s.push(r);
    }
    let copy = s.clone();
    drop(s);
    assert_eq!(read_all(&copy).len(), 5, "a clone shares the runs");
    assert!(folder.is_dir());
    drop(copy);
    assert!(
        !folder.exists(),
        "folder left: {:?}",
        files_under(dir.path())
    );
    assert_eq!(files_under(dir.path()), Vec::<String>::new());
}

#[test]
fn a_run_that_cannot_be_written_keeps_its_rows_and_says_why() {
    let dir = temp();
    let spill = SpillDir::create(dir.path()).unwrap();
    // The folder disappears under the run (as on a full or unmounted disk, writes fail).
    std::fs::remove_dir_all(spill.path()).unwrap();
    let mut s = DocRows::spilling(spill, 1);
    let input = rows(4);
    for r in input.clone() {
        s.push(r);
    }
    let e = s.error().expect("the write failed").to_string();
    assert!(
        e.starts_with("cannot write temporary file") && e.contains("choose an --out"),
        "{e}"
    );
    assert_eq!(read_all(&s), sorted(input), "no row is lost");
}

#[test]
fn a_run_that_vanished_is_an_error_naming_it() {
    let dir = temp();
    let spill = SpillDir::create(dir.path()).unwrap();
    let mut s = DocRows::spilling(spill.clone(), 1);
    for r in rows(3) {
        s.push(r);
    }
    for f in std::fs::read_dir(spill.path()).unwrap().flatten() {
        if f.file_name().to_string_lossy().starts_with("rows-") {
            std::fs::write(f.path(), b"\x05\x00").unwrap();
        }
    }
    let e = s
        .iter()
        .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
        .unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, SpillError::Read { .. }), "{msg}");
    assert!(msg.contains("rows-") && msg.contains("run again"), "{msg}");
    assert_ne!(s, s.clone(), "unreadable rows never compare equal");
}

#[test]
fn dedup_index_names_the_first_copy() {
    let dir = temp();
    let spill = SpillDir::create(dir.path()).unwrap();
    let mut ix = DedupIndex::new(spill).unwrap();
    // Well-spread hashes, and hand-made ones that share most of their bytes.
    let hash = |i: u32| {
        let b = blake3::hash(&i.to_le_bytes());
        let mut h = [0u8; 16];
        h.copy_from_slice(&b.as_bytes()[..16]);
        h
    };
    let plain = |i: u32| {
        let mut h = [0u8; 16];
        h[15] = (i % 251) as u8;
        h[14] = (i / 251) as u8;
        h
    };
    let n = 5000u32;
    for i in 0..n {
        assert_eq!(
            ix.first_or_insert(&hash(i), &format!("doc-{i}")).unwrap(),
            None
        );
        assert_eq!(
            ix.first_or_insert(&plain(i), &format!("plain-{i}"))
                .unwrap(),
            None
        );
    }
    assert_eq!(ix.len(), 2 * n, "the table grew several times on the way");
    // (hash, id asked with) → first id. Later copies never replace the first.
    for i in (0..n).step_by(97) {
        let want = Some(format!("doc-{i}"));
        assert_eq!(ix.first_or_insert(&hash(i), "later").unwrap(), want);
        assert_eq!(ix.first_or_insert(&hash(i), "again").unwrap(), want);
        let want = Some(format!("plain-{i}"));
        assert_eq!(ix.first_or_insert(&plain(i), "later").unwrap(), want);
    }
    // An id written a moment ago (still in the write buffer) is read back too.
    let fresh = hash(n + 1);
    assert_eq!(ix.first_or_insert(&fresh, "fresh ü").unwrap(), None);
    assert_eq!(
        ix.first_or_insert(&fresh, "x").unwrap().as_deref(),
        Some("fresh ü")
    );
    assert_eq!(ix.len(), 2 * n + 1);
}

#[test]
fn stale_folders_are_swept_and_live_ones_kept() {
    let dir = temp();
    let live = SpillDir::create(dir.path()).unwrap();
    // Left by a run that was killed: its lock file is not held by anyone.
    let stale = dir.path().join(".newstrack-spill-4000000-7");
    std::fs::create_dir(&stale).unwrap();
    std::fs::write(stale.join("lock"), b"").unwrap();
    std::fs::write(stale.join("rows-3.bin"), b"old").unwrap();
    // Not ours: never touched.
    let other = dir.path().join("newstrack.db");
    std::fs::write(&other, b"state").unwrap();
    let second = SpillDir::create(dir.path()).unwrap();
    assert!(!stale.exists(), "stale folder kept");
    assert!(live.path().is_dir(), "a live run's folder was swept");
    assert!(other.is_file());
    assert_ne!(live.path(), second.path());
    drop((live, second));
    assert_eq!(files_under(dir.path()), vec![other.display().to_string()]);
}

#[test]
fn a_folder_that_cannot_be_created_says_how_to_fix_it() {
    let dir = temp();
    let file = dir.path().join("not-a-folder");
    std::fs::write(&file, b"x").unwrap();
    let e = SpillDir::create(&file.join("out")).unwrap_err().to_string();
    assert!(
        e.starts_with("cannot create a folder for temporary files in")
            && e.contains("choose another --out"),
        "{e}"
    );
}

proptest::proptest! {
    /// `sort_rows` gives `row_order`'s order for ids that share prefixes of any length, differ
    /// only past their first eight bytes, are prefixes of one another, hold NUL bytes or
    /// non-ASCII, and for rows equal in id that differ in the other fields.
    #[test]
    fn sort_rows_is_row_order(
        picks in proptest::collection::vec(
            (
                proptest::sample::select(vec![
                    "", "c", "c0-", "c0-1", "c0-12", "c0-123456789", "c0-123456780",
                    "c0-12345678", "c0-1\0", "c0-1\0\0", "reut2-000.sgm#1", "reut2-000.sgm#10",
                    "reut2-001.sgm#1", "é", "éa", "a", "b",
                ]),
                proptest::sample::select(vec!["", "x", "c0-1", "\0"]),
                0u32..40,
            ),
            0..60,
        )
    ) {
        let input: Vec<DocRow> = picks
            .iter()
            .map(|(head, tail, i)| {
                let mut r = row(*i);
                r.doc = format!("{head}{tail}");
                r
            })
            .collect();
        let mut got = input.clone();
        super::rows::sort_rows(&mut got);
        proptest::prop_assert_eq!(got, sorted(input));
    }
}
