//! State tests: opening, trusting or rebuilding the file, reuse decisions, parts written and
//! streamed back in order, and incomplete or damaged results dropped.

use super::prepare;
use super::schema::{self, Verdict};
use super::*;
use crate::tag::Mention;

fn pipeline() -> Pipeline {
    let src = r#"
[pipeline]
name = "t"

[[topic]]
id = "tariffs"
terms = ["tariff*"]

[[actor]]
id = "china"
kind = "country"
terms = ["China"]
"#;
    crate::config::compile(src, Path::new("t.toml")).expect("valid pipeline")
}

#[test]
fn verdicts_on_existing_files() {
    let dir = tempfile::tempdir().unwrap();
    type Setup = fn(&Path);
    let cases: [(&str, Setup, &str); 5] = [
        ("empty", |p| std::fs::write(p, b"").unwrap(), "empty"),
        (
            "garbage",
            |p| std::fs::write(p, vec![0x5Au8; 4096]).unwrap(),
            "not a readable SQLite database",
        ),
        (
            "foreign",
            |p| {
                let c = Connection::open(p).unwrap();
                c.execute_batch("CREATE TABLE notes(id INTEGER, body TEXT);")
                    .unwrap();
            },
            "another application",
        ),
        (
            "old",
            |p| {
                let mut c = Connection::open(p).unwrap();
                schema::create(&mut c).unwrap();
                c.execute_batch("PRAGMA user_version = 0;").unwrap();
            },
            "schema version 0",
        ),
        (
            "ours",
            |p| {
                let mut c = Connection::open(p).unwrap();
                schema::create(&mut c).unwrap();
            },
            "ours",
        ),
    ];
    for (name, setup, want) in cases {
        let p = dir.path().join(format!("{name}.db"));
        setup(&p);
        let c = Connection::open(&p).unwrap();
        let got = schema::examine(&c, false);
        let ok = match (&got, want) {
            (Verdict::Ours, "ours") | (Verdict::Empty, "empty") => true,
            (Verdict::Untrusted(why), w) => why.contains(w),
            _ => false,
        };
        assert!(ok, "{name}: {got:?}, wanted {want}");
    }
}

#[test]
fn untrusted_file_is_moved_aside_and_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("s.db");
    std::fs::write(
        &p,
        b"this is not a database, just some text that is long enough",
    )
    .unwrap();
    let st = State::open(&p, &pipeline(), false).expect("rebuilt");
    let why = st.changes().reset.clone().unwrap();
    assert!(
        why.contains("not trusted") && why.contains("s.db.bad"),
        "{why}"
    );
    assert!(dir.path().join("s.db.bad").exists());
    drop(st);
    // Now it is ours: reopening trusts it.
    let st = State::open(&p, &pipeline(), false).unwrap();
    assert_eq!(st.changes().reset, None);
}

#[test]
fn a_file_moved_aside_takes_its_sidecars_with_it() {
    // A WAL or a rollback journal left beside the path would be applied to the new state.
    let cases: [&[&str]; 4] = [&[], &["-wal", "-shm"], &["-journal"], &["-shm"]];
    for sidecars in cases {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.db");
        std::fs::write(&p, b"db").unwrap();
        for s in sidecars {
            std::fs::write(dir.path().join(format!("s.db{s}")), s).unwrap();
        }
        let bad = move_aside(&p).unwrap();
        assert_eq!(bad, dir.path().join("s.db.bad"));
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        let mut want = vec!["s.db.bad".to_string()];
        want.extend(sidecars.iter().map(|s| format!("s.db.bad{s}")));
        want.sort();
        assert_eq!(left, want, "{sidecars:?}");
        for s in sidecars {
            let moved = std::fs::read(dir.path().join(format!("s.db.bad{s}"))).unwrap();
            assert_eq!(moved, s.as_bytes(), "{s}");
        }
    }
}

#[test]
fn settings_change_drops_results() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("s.db");
    let pl = pipeline();
    drop(State::open(&p, &pl, false).unwrap());
    let c = Connection::open(&p).unwrap();
    c.execute(
        "INSERT INTO files(path, complete, size, mtime_ns, content_hash, documents, rejected, \
         parts, run) VALUES ('a.txt', 1, 1, 1, 'x', 0, 0, 0, 1)",
        [],
    )
    .unwrap();
    drop(c);
    let mut other = pipeline();
    other.max_doc_bytes = 10;
    let st = State::open(&p, &other, false).unwrap();
    assert!(st
        .changes()
        .reset
        .as_deref()
        .unwrap()
        .contains("document limit changed"));
    let n: i64 = st
        .conn
        .query_row("SELECT count(*) FROM files", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 0);
    let full = State::open(&p, &other, true).unwrap();
    assert!(full.changes().reset.as_deref().unwrap().contains("--full"));
}

#[test]
fn volatile_results_are_recognised() {
    let r = |warnings: Vec<String>, failed: Option<String>| FileResult {
        path: "a".into(),
        failed,
        rejected: vec![],
        warnings,
        docs: vec![],
        content: None,
        prepared: None,
    };
    let cases = [
        (r(vec![], None), false),
        (
            r(
                vec!["date \"2999-01-01\" lies in the future; ignored".into()],
                None,
            ),
            true,
        ),
        (
            r(
                vec!["the file changed while it was being read; ...".into()],
                None,
            ),
            true,
        ),
        (
            r(vec![], Some("internal error while parsing (x)".into())),
            true,
        ),
        (r(vec![], Some("binary data (PNG image)".into())), false),
    ];
    for (res, want) in cases {
        assert_eq!(is_volatile(&res), want, "{res:?}");
    }
}

/// Real results of a JSONL file, cut into `n` parts as chunked reading cuts them (the
/// last part carries the file's content, as the chunk reader hashes it).
fn parts_of(pl: &Pipeline, file: &InputFile, n: usize) -> Vec<FileResult> {
    let opts = crate::ingest::ReadOptions {
        boilerplate: &pl.boilerplate,
        max_doc_bytes: pl.max_doc_bytes,
        content_hash: true,
    };
    let outcome = crate::ingest::read_file_with(&file.path, &file.display, &opts);
    assert!(outcome.articles.len() >= n, "{outcome:?}");
    let mut w = crate::pipeline::Worker::default();
    let mut parts: Vec<FileResult> = (0..n)
        .map(|_| FileResult {
            path: file.display.clone(),
            ..Default::default()
        })
        .collect();
    parts[0].rejected = outcome.rejected.clone();
    parts[n - 1].warnings = vec!["a warning of the last part".into()];
    parts[n - 1].content = Some(crate::ingest::Content {
        len: std::fs::metadata(&file.path).unwrap().len(),
        hash: hash_file(&file.path).unwrap(),
        stamp: stat(&file.path),
    });
    let per = outcome.articles.len().div_ceil(n);
    for (i, a) in outcome.articles.iter().enumerate() {
        w.tag(pl, a);
        let p = &mut parts[i / per];
        let d = crate::aggregate::summarize(a, &w.analysis, &w.mentions, pl);
        p.prepared
            .get_or_insert_with(Default::default)
            .add(a, &w.analysis, &w.mentions, &d);
        p.docs.push(d);
    }
    for p in &mut parts {
        p.prepared
            .get_or_insert_with(Default::default)
            .seal(&p.docs);
    }
    parts
}

fn jsonl(dir: &Path, name: &str, lines: usize) -> InputFile {
    let mut s = String::new();
    for i in 0..lines {
        s.push_str(&format!(
            "{{\"id\":\"{name}{i}\",\"date\":\"2025-06-{:02}\",\"text\":\"China weighed tariffs, item {i}. Nothing else.\"}}\n",
            1 + i % 28
        ));
    }
    s.push_str("{broken\n");
    let path = dir.join(name);
    std::fs::write(&path, s).unwrap();
    InputFile {
        path,
        display: format!("in/{name}"),
    }
}

fn count(st: &State, sql: &str) -> i64 {
    st.conn.query_row(sql, [], |r| r.get(0)).unwrap()
}

#[test]
fn parts_are_stored_and_streamed_back_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.db");
    let pl = pipeline();
    let file = jsonl(dir.path(), "feed.jsonl", 30);
    let mut parts = parts_of(&pl, &file, 3);
    let mentions: usize = parts
        .iter()
        .map(|p| p.prepared.as_ref().unwrap())
        .flat_map(|p| prepare::read_rows(&p.rows.as_ref().unwrap().0, p.count).unwrap())
        .map(|d| d.mentions.len())
        .sum();
    let mut st = State::open(&db, &pl, false).unwrap();
    let mut cache = Cache::new(&mut st);
    assert_eq!(cache.plan(std::slice::from_ref(&file)), vec![false]);
    let n = parts.len();
    for (i, p) in parts.iter_mut().enumerate() {
        cache.store(&file, p, i + 1 == n);
    }
    cache.flush();
    st.finish(&Aggregate::new(3));
    assert_eq!(st.changes().problems, Vec::<String>::new());
    let cases = [
        ("SELECT count(*) FROM documents", 30),
        ("SELECT count(*) FROM mentions", mentions as i64),
        ("SELECT parts FROM files WHERE complete = 1", 3),
        ("SELECT documents FROM files", 30),
        ("SELECT rejected FROM files", 1),
        ("SELECT count(*) FROM parts", 3),
    ];
    for (sql, want) in cases {
        assert_eq!(count(&st, sql), want, "{sql}");
    }
    drop(st);

    let mut st = State::open(&db, &pl, false).unwrap();
    let mut cache = Cache::new(&mut st);
    assert_eq!(cache.plan(std::slice::from_ref(&file)), vec![true]);
    let mut got = Vec::new();
    let loaded = cache.load(&file, &mut |r, last| got.push((r, last)));
    assert_eq!(loaded, Loaded::All);
    // What comes back is what was stored, less what only the analyst tables keep.
    let want: Vec<(FileResult, bool)> = parts
        .into_iter()
        .enumerate()
        .map(|(i, p)| {
            let p = FileResult {
                prepared: None,
                content: None,
                ..p
            };
            (p, i == 2)
        })
        .collect();
    assert_eq!(got, want);
}

#[test]
fn small_files_gathered_into_one_message_are_stored_row_for_row() {
    // More one-part files than a multi-row INSERT takes, sent to the writer together, with a
    // file of three parts among them whose row is completed after its first part's row was
    // gathered: every `files` and `parts` row is written, in walk order, and reusable.
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.db");
    let pl = pipeline();
    let lines = |i: usize| 3 + i % 3;
    let chunked = 70;
    let files: Vec<InputFile> = (0..150)
        .map(|i| jsonl(dir.path(), &format!("f{i:03}.jsonl"), lines(i)))
        .collect();
    let mut st = State::open(&db, &pl, false).unwrap();
    let mut cache = Cache::new(&mut st);
    assert_eq!(cache.plan(&files), vec![false; files.len()]);
    let mut want_files = Vec::new();
    let mut want_parts = Vec::new();
    for (i, f) in files.iter().enumerate() {
        let n = if i == chunked { 3 } else { 1 };
        let mut parts = parts_of(&pl, f, n);
        for (k, p) in parts.iter_mut().enumerate() {
            want_parts.push((f.display.clone(), k as i64, p.docs.len() as i64));
            cache.store(f, p, k + 1 == n);
        }
        want_files.push((f.display.clone(), 1, n as i64, lines(i) as i64, 1, true));
    }
    cache.flush();
    st.finish(&Aggregate::new(3));
    assert_eq!(st.changes().problems, Vec::<String>::new());
    let got_files: Vec<(String, i64, i64, i64, i64, bool)> = st
        .conn
        .prepare(
            "SELECT path, complete, parts, documents, rejected, length(content_hash) = 64 \
             FROM files ORDER BY rowid",
        )
        .unwrap()
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(got_files, want_files);
    let got_parts: Vec<(String, i64, i64)> = st
        .conn
        .prepare("SELECT path, part, documents FROM parts ORDER BY rowid")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(got_parts, want_parts);
    let docs: i64 = want_files.iter().map(|f| f.3).sum();
    assert_eq!(count(&st, "SELECT count(*) FROM documents"), docs);
    drop(st);

    let mut st = State::open(&db, &pl, false).unwrap();
    let mut cache = Cache::new(&mut st);
    assert_eq!(cache.plan(&files), vec![true; files.len()]);
}

#[test]
fn a_first_run_writes_through_a_rollback_journal_and_a_re_run_through_the_wal() {
    // A run from an empty state writes nearly only new pages: once into the file with a
    // rollback journal, instead of into the WAL and again at the checkpoint. A re-run's
    // reader needs WAL mode to read beside the writer.
    let dir = tempfile::tempdir().unwrap();
    let (files, _, st, db) = stored(dir.path());
    let mode = |c: &Connection| -> String {
        c.query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap()
    };
    assert_eq!(mode(&st.conn), "delete");
    assert!(st.close().is_empty());
    // One self-contained file, back in WAL mode (header bytes 18-19: 1 rollback, 2 WAL).
    let sidecars = ["-wal", "-shm", "-journal"].map(|s| format!("{}{s}", db.display()));
    for side in &sidecars {
        assert!(!Path::new(side).exists(), "{side}");
    }
    assert_eq!(&std::fs::read(&db).unwrap()[18..20], &[2, 2]);

    // Someone reading the state between runs, a transaction left open, does not hold up the
    // next run (a switch to WAL at its opening would wait for them).
    let reader = Connection::open(&db).unwrap();
    reader.execute_batch("BEGIN").unwrap();
    let n: i64 = reader
        .query_row("SELECT count(*) FROM files", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 3);
    let mut st = State::open(&db, &pipeline(), false).unwrap();
    assert_eq!(mode(&st.conn), "wal");
    let mut cache = Cache::new(&mut st);
    assert_eq!(cache.plan(&files), vec![true; 3]);
    // Nor does its end wait for them to fold the WAL back (busy timeout: 30 s).
    let t = std::time::Instant::now();
    st.finish(&Aggregate::new(3));
    assert!(st.close().is_empty());
    assert!(
        t.elapsed() < std::time::Duration::from_secs(10),
        "the run's end waited for a reader"
    );
    drop(reader);
    assert_eq!(&std::fs::read(&db).unwrap()[18..20], &[2, 2]);
}

/// Three files stored whole in parts; then part 1 of the first is damaged and part 0 of the
/// third deleted. Returns the files, the parts as stored, and the state's path.
fn stored_then_damaged(dir: &Path) -> (Vec<InputFile>, Vec<Vec<FileResult>>, PathBuf) {
    let (files, stored, st, db) = stored(dir);
    st.conn
        .execute(
            "UPDATE parts SET result = x'0102030405' WHERE path = 'in/a.jsonl' AND part = 1",
            [],
        )
        .unwrap();
    st.conn
        .execute(
            "DELETE FROM parts WHERE path = 'in/c.jsonl' AND part = 0",
            [],
        )
        .unwrap();
    (files, stored, db)
}

/// A state holding three files' results in parts (the run finished), still open.
#[allow(clippy::type_complexity)]
fn stored(dir: &Path) -> (Vec<InputFile>, Vec<Vec<FileResult>>, State, PathBuf) {
    let db = dir.join("s.db");
    let pl = pipeline();
    let files: Vec<InputFile> = ["a.jsonl", "b.jsonl", "c.jsonl"]
        .iter()
        .map(|n| jsonl(dir, n, 12))
        .collect();
    let mut stored = Vec::new();
    let mut st = State::open(&db, &pl, false).unwrap();
    let mut cache = Cache::new(&mut st);
    assert_eq!(cache.plan(&files), vec![false; 3]);
    for (f, n) in files.iter().zip([3, 2, 2]) {
        let mut parts = parts_of(&pl, f, n);
        for (i, p) in parts.iter_mut().enumerate() {
            cache.store(f, p, i + 1 == n);
        }
        stored.push(
            parts
                .into_iter()
                .map(|p| FileResult {
                    prepared: None,
                    content: None,
                    ..p
                })
                .collect(),
        );
    }
    cache.flush();
    st.finish(&Aggregate::new(3));
    assert_eq!(st.changes().problems, Vec::<String>::new());
    (files, stored, st, db)
}

#[test]
fn the_integrity_check_covers_the_analyst_tables_after_an_unclean_end_only() {
    // (damaged table, last run finished, `--full`, trusted?)
    let cases = [
        ("mention_rows", true, false, true),
        ("mention_rows", true, true, false),
        ("mention_rows", false, false, false),
        ("sentences", true, false, true),
        ("sentences", false, false, false),
        ("parts", true, false, false),
        ("files", true, false, false),
        ("", true, false, true),
        ("", false, false, true),
    ];
    for (table, finished, whole, trusted) in cases {
        let dir = tempfile::tempdir().unwrap();
        let (_, _, st, db) = stored(dir.path());
        let n = st.close();
        assert_eq!(n, Vec::<String>::new());
        let c = Connection::open(&db).unwrap();
        if !finished {
            c.execute("UPDATE runs SET finished_at = NULL", []).unwrap();
        }
        let root: i64 = if table.is_empty() {
            0
        } else {
            c.query_row(
                "SELECT rootpage FROM sqlite_master WHERE type = 'table' AND name = ?1",
                [table],
                |r| r.get(0),
            )
            .unwrap()
        };
        let page: i64 = c.query_row("PRAGMA page_size", [], |r| r.get(0)).unwrap();
        c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .unwrap();
        drop(c);
        if root > 1 {
            // The root page's header: a page type SQLite does not know.
            use std::io::{Seek, SeekFrom, Write};
            let mut f = std::fs::OpenOptions::new().write(true).open(&db).unwrap();
            f.seek(SeekFrom::Start(((root - 1) * page) as u64)).unwrap();
            f.write_all(&[0xEE; 8]).unwrap();
        }
        let c = Connection::open(&db).unwrap();
        let got = schema::examine(&c, whole);
        let ok = match (&got, trusted) {
            (Verdict::Ours, true) => true,
            (Verdict::Untrusted(why), false) => why.contains("damaged"),
            _ => false,
        };
        assert!(ok, "{table} finished {finished} whole {whole}: {got:?}");
    }
}

#[test]
fn the_reader_hands_over_each_file_in_order_errors_included() {
    let dir = tempfile::tempdir().unwrap();
    let (files, stored, db) = stored_then_damaged(dir.path());
    let list: Vec<(String, u32)> = files
        .iter()
        .zip([3, 2, 2])
        .map(|(f, n)| (f.display.clone(), n))
        .collect();
    let mut p = prefetch::Prefetch::spawn(open_conn(&db).unwrap(), list).unwrap();
    // A file the reader was not given is not its to hand over.
    assert!(!p.is_next("in/b.jsonl"));
    let mut got = Vec::new();
    let mut outcomes = Vec::new();
    for f in &files {
        assert!(p.is_next(&f.display));
        let (n, res) = p.take(&mut |r, last| got.push((r, last)));
        outcomes.push((n, res));
    }
    assert_eq!(
        outcomes,
        [
            (1, Err("stored result is cut short (5 bytes)".to_string())),
            (2, Ok(())),
            (0, Err("part 0 is missing".to_string())),
        ]
    );
    // Part 0 of the damaged file, then the good file whole, as stored.
    let want: Vec<(FileResult, bool)> = [
        (stored[0][0].clone(), false),
        (stored[1][0].clone(), false),
        (stored[1][1].clone(), true),
    ]
    .into();
    assert_eq!(got, want);
    assert!(!p.is_next("in/a.jsonl"));
}

#[test]
fn parts_read_ahead_in_batches_come_out_in_order_errors_included() {
    // Enough files that the reader's batches split files' parts between them, with a
    // damaged file in the middle of a batch: every later file still comes whole.
    let dir = tempfile::tempdir().unwrap();
    let (files, stored, db) = stored_then_damaged(dir.path());
    let (a, b) = (&files[0].display, &files[1].display);
    let mut list: Vec<(String, u32)> = Vec::new();
    for i in 0..150 {
        list.push((b.clone(), 2));
        if i == 70 {
            list.push((a.clone(), 3));
        }
    }
    let mut p = prefetch::Prefetch::spawn(open_conn(&db).unwrap(), list.clone()).unwrap();
    for (k, (path, _)) in list.iter().enumerate() {
        assert!(p.is_next(path), "file {k}");
        let mut got = Vec::new();
        let (n, res) = p.take(&mut |r, last| got.push((r, last)));
        if path == a {
            assert_eq!((n, res.is_err()), (1, true), "file {k}");
            assert_eq!(got, [(stored[0][0].clone(), false)], "file {k}");
        } else {
            assert_eq!((n, res), (2, Ok(())), "file {k}");
            let want = [(stored[1][0].clone(), false), (stored[1][1].clone(), true)];
            assert_eq!(got, want, "file {k}");
        }
    }
    assert!(!p.is_next(b));
}

/// A reader given far more parts than its queue holds (in batches), none of them taken: it
/// fills the queue and waits on it. The stored files, the state's path and the reader.
fn waiting_reader(dir: &Path) -> (Vec<InputFile>, PathBuf, prefetch::Prefetch) {
    let (files, _, db) = stored_then_damaged(dir);
    let list: Vec<(String, u32)> = (0..600)
        .flat_map(|_| files.iter().skip(1))
        .map(|f| (f.display.clone(), 2))
        .collect();
    // A re-run's reader starts after the state was opened, which puts it in WAL mode (the
    // first run left it with a rollback journal).
    let conn = open_conn(&db).unwrap();
    assert_eq!(configure(&conn, Journal::Wal).unwrap(), Journal::Wal);
    let p = prefetch::Prefetch::spawn(conn, list).unwrap();
    (files, db, p)
}

#[test]
fn a_reader_stopped_with_its_queue_full_returns() {
    let dir = tempfile::tempdir().unwrap();
    let (_, _, mut p) = waiting_reader(dir.path());
    std::thread::sleep(std::time::Duration::from_millis(50));
    p.stop();
    assert!(!p.is_next("in/a.jsonl"));
    let (n, res) = p.take(&mut |_, _| panic!("nothing to hand over"));
    assert_eq!((n, res.is_err()), (0, true));
}

#[test]
fn a_reader_waiting_on_a_full_queue_holds_no_read_transaction() {
    // Parts are read a batch to a transaction; one held while the reader waits would keep
    // the writer's checkpoints from emptying the WAL for as long as the fold lags.
    let dir = tempfile::tempdir().unwrap();
    let (files, db, mut p) = waiting_reader(dir.path());
    let c = Connection::open(&db).unwrap();
    c.busy_timeout(std::time::Duration::ZERO).unwrap();
    c.execute("INSERT INTO meta(key, value) VALUES ('probe', 'x')", [])
        .unwrap();
    // Busy while the reader is in a batch; once it waits on the queue, never again.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut got = (1, 1);
    while got != (0, 0) && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
        got = c
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
    }
    assert_eq!(
        got,
        (0, 0),
        "the reader holds a snapshot (busy, WAL frames)"
    );
    // It was waiting, not done: the first file is still to be handed over.
    assert!(p.is_next(&files[1].display));
    p.stop();
}

#[test]
fn reused_files_are_read_ahead_and_a_damaged_one_stops_the_reader() {
    let dir = tempfile::tempdir().unwrap();
    let (files, stored, db) = stored_then_damaged(dir.path());
    let pl = pipeline();
    let mut st = State::open(&db, &pl, false).unwrap();
    let mut cache = Cache::new(&mut st);
    assert_eq!(cache.plan(&files), vec![true; 3]);
    assert!(cache.state.prefetch.as_ref().unwrap().is_next("in/a.jsonl"));
    let mut got = Vec::new();
    let loaded: Vec<Loaded> = files
        .iter()
        .map(|f| cache.load(f, &mut |r, last| got.push((r.path, last))))
        .collect();
    // The first file fails half-way: the run is redone without the state and the reader
    // stops; what is still asked for is read in place.
    assert_eq!(loaded, [Loaded::Partly, Loaded::All, Loaded::Nothing]);
    assert!(cache.state.prefetch.is_none());
    let paths = |i: usize, n: usize| (stored[i][n].path.clone(), false);
    assert_eq!(
        got,
        [paths(0, 0), paths(1, 0), ("in/b.jsonl".to_string(), true)]
    );
    let c = st.changes();
    assert_eq!((c.files.reused, c.files.changed), (1, 2));
    assert_eq!(c.problems.len(), 1, "{:?}", c.problems);
}

#[test]
fn a_file_left_incomplete_is_dropped_when_the_state_is_opened() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.db");
    let pl = pipeline();
    let done = jsonl(dir.path(), "a.jsonl", 5);
    let cut = jsonl(dir.path(), "b.jsonl", 12);
    let files = [done.clone(), cut.clone()];
    let mut st = State::open(&db, &pl, false).unwrap();
    let mut cache = Cache::new(&mut st);
    cache.plan(&files);
    cache.store(&done, &mut parts_of(&pl, &done, 1)[0], true);
    let mut parts = parts_of(&pl, &cut, 4);
    cache.store(&cut, &mut parts[0], false);
    cache.store(&cut, &mut parts[1], false);
    st.commit();
    // Committed: the complete file, and two parts of the other one, marked incomplete.
    let cases = [
        ("SELECT count(*) FROM files WHERE complete = 1", 1),
        ("SELECT count(*) FROM files WHERE complete = 0", 1),
        ("SELECT count(*) FROM parts WHERE path = 'in/b.jsonl'", 2),
    ];
    for (sql, want) in cases {
        assert_eq!(count(&st, sql), want, "{sql}");
    }
    assert!(count(&st, "SELECT count(*) FROM documents") > 5);
    // The third part is written but never committed; then the process dies.
    Cache::new(&mut st).store(&cut, &mut parts[2], false);
    drop(st);

    let st = State::open(&db, &pl, false).unwrap();
    let cases = [
        ("SELECT count(*) FROM files", 1),
        ("SELECT count(*) FROM files WHERE path = 'in/a.jsonl'", 1),
        ("SELECT count(*) FROM parts", 1),
        ("SELECT count(*) FROM documents", 5),
        (
            "SELECT count(*) FROM documents WHERE path = 'in/b.jsonl'",
            0,
        ),
        (
            "SELECT count(*) FROM mentions WHERE doc NOT IN (SELECT id FROM documents)",
            0,
        ),
        (
            "SELECT count(*) FROM counts WHERE doc NOT IN (SELECT id FROM documents)",
            0,
        ),
        (
            "SELECT count(*) FROM sentences WHERE doc NOT IN (SELECT id FROM documents)",
            0,
        ),
    ];
    for (sql, want) in cases {
        assert_eq!(count(&st, sql), want, "{sql}");
    }
}

#[test]
fn a_write_failure_stops_the_writer_and_is_reported() {
    type Break = fn(&Path, &mut FileResult);
    let cases: [(&str, Break, &str); 3] = [
        (
            "something else numbers documents",
            |db, _| {
                // SQLite numbers the writer's documents after this one; their mention and
                // sentence rows would name other documents.
                let c = Connection::open(db).unwrap();
                c.execute_batch(
                    "CREATE TRIGGER skew AFTER INSERT ON parts BEGIN \
                     INSERT INTO documents(id, path, doc, title, date_source, text_hash) \
                     VALUES ((SELECT coalesce(max(id), 0) + 1000 FROM documents), 'x', 'x', 'x', 'none', 'x'); \
                     END;",
                )
                .unwrap();
            },
            "the table was changed during the run",
        ),
        (
            "SQLite refuses a row",
            |db, _| {
                let c = Connection::open(db).unwrap();
                c.execute_batch(
                    "CREATE TRIGGER no_docs BEFORE INSERT ON documents \
                     BEGIN SELECT RAISE(FAIL, 'no room for documents'); END;",
                )
                .unwrap();
            },
            "no room for documents",
        ),
        (
            "a part cannot be encoded",
            |_, part| {
                part.prepared.as_mut().unwrap().docs = Err("cannot encode this part".into());
            },
            "cannot encode this part",
        ),
    ];
    // (the writer has met the failure before the run ends, or may not have yet)
    let cases = cases.iter().flat_map(|c| [(c, true), (c, false)]);
    for (&(name, break_it, why), settled) in cases {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("s.db");
        let pl = pipeline();
        let a = jsonl(dir.path(), "a.jsonl", 5);
        let b = jsonl(dir.path(), "b.jsonl", 7);
        let mut pa = parts_of(&pl, &a, 1).remove(0);
        let mut pb = parts_of(&pl, &b, 1).remove(0);
        let mut st = State::open(&db, &pl, false).unwrap();
        break_it(&db, &mut pa);
        let mut cache = Cache::new(&mut st);
        cache.plan(&[a.clone(), b.clone()]);
        cache.store(&a, &mut pa, true);
        cache.store(&b, &mut pb, true);
        cache.flush();
        if settled {
            st.commit();
        }
        let changes = st.finish(&Aggregate::new(3));
        // Counted all the same: the report is complete.
        assert_eq!(changes.documents.added, 12, "{name}");
        assert_eq!(changes.problems.len(), 1, "{name}: {:?}", changes.problems);
        let p = &changes.problems[0];
        assert!(
            p.starts_with("writing the state failed (") && p.contains(why),
            "{name}: {p}"
        );
        // The transaction that failed is rolled back, and nothing is written after it.
        let cases = [
            ("SELECT count(*) FROM files", 0),
            ("SELECT count(*) FROM parts", 0),
            ("SELECT count(*) FROM documents", 0),
            ("SELECT count(*) FROM runs WHERE finished_at IS NULL", 1),
        ];
        for (sql, want) in cases {
            assert_eq!(count(&st, sql), want, "{name}: {sql}");
        }
    }
}

#[test]
fn document_rows_read_back_as_written() {
    let dir = tempfile::tempdir().unwrap();
    let pl = pipeline();
    let file = jsonl(dir.path(), "a.jsonl", 2);
    let opts = crate::ingest::ReadOptions {
        boilerplate: &pl.boilerplate,
        max_doc_bytes: pl.max_doc_bytes,
        content_hash: true,
    };
    let outcome = crate::ingest::read_file_with(&file.path, &file.display, &opts);
    let mut w = crate::pipeline::Worker::default();
    let a = &outcome.articles[1];
    w.tag(&pl, a);
    let d = crate::aggregate::summarize(a, &w.analysis, &w.mentions, &pl);
    // (mentions as tagged, plus one naming a sentence that does not exist) →
    // (mentions stored, sentences stored)
    let mut odd = w.mentions.clone();
    odd.push(Mention {
        start: 0,
        end: 5,
        entity: 1,
        sentence: 99,
    });
    let cases = [(w.mentions.clone(), 2, 1), (odd, 3, 1)];
    for (mentions, n_mentions, n_sentences) in cases {
        let mut p = Prepared::new(true);
        p.add(a, &w.analysis, &mentions, &d);
        p.add(a, &w.analysis, &[], &d);
        let rows = prepare::read_rows(&p.rows.as_ref().unwrap().0, 2).unwrap();
        let r = &rows[0];
        assert_eq!(
            (r.doc.0, r.title.0, r.record),
            (d.id.as_bytes(), d.title.as_bytes(), Some(2))
        );
        assert_eq!(r.date_text().as_deref(), Some("2025-06-02"));
        assert_eq!(r.date_source.as_str(), "metadata");
        assert_eq!(r.hash, d.hash);
        assert_eq!(r.mentions.len(), n_mentions);
        for (m, &(e, start, end, sentence)) in mentions.iter().zip(&r.mentions) {
            assert_eq!(
                (m.entity, m.start, m.end, m.sentence),
                (e, start, end, sentence)
            );
        }
        assert_eq!(r.sentences.len(), n_sentences, "{:?}", r.sentences);
        let (i, start, end, text) = r.sentences[0];
        let text = std::str::from_utf8(text.0).unwrap();
        assert_eq!((i, text), (0, &a.text[start as usize..end as usize]));
        assert!(text.contains("China") && text.contains("tariffs"), "{text}");
        assert!(rows[1].mentions.is_empty() && rows[1].sentences.is_empty());
        // Rows of another number of documents are an error, not a misreading.
        let bytes = &p.rows.as_ref().unwrap().0;
        assert!(prepare::read_rows(bytes, 3).is_err());
        assert!(prepare::read_rows(&bytes[..bytes.len() - 1], 2).is_err());
    }
    // Without the analyst tables: documents counted, the same summaries sealed, no rows.
    let [mut with, mut without] = [true, false].map(Prepared::new);
    for p in [&mut with, &mut without] {
        p.add(a, &w.analysis, &w.mentions, &d);
        p.add(a, &w.analysis, &[], &d);
        p.seal(&[d.clone(), d.clone()]);
    }
    assert_eq!((without.count, without.rows.is_none()), (2, true));
    assert!(with.rows.is_some_and(|r| !r.0.is_empty()));
    assert!(without.docs.as_ref().is_ok_and(|b| !b.0.is_empty()));
    assert_eq!(without.docs, with.docs);
}

#[test]
fn indexes_are_completed_after_the_run_is_recorded() {
    // (an object in the way of one index) → problems after the run is recorded
    let cases: [(Option<&str>, usize); 2] =
        [(None, 0), (Some("CREATE TABLE mentions_entity(x);"), 1)];
    for (in_the_way, late) in cases {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("s.db");
        let pl = pipeline();
        let a = jsonl(dir.path(), "a.jsonl", 5);
        let mut pa = parts_of(&pl, &a, 2);
        let mut st = State::open(&db, &pl, false).unwrap();
        if let Some(sql) = in_the_way {
            Connection::open(&db).unwrap().execute_batch(sql).unwrap();
        }
        let mut cache = Cache::new(&mut st);
        cache.plan(std::slice::from_ref(&a));
        cache.store(&a, &mut pa[0], false);
        cache.store(&a, &mut pa[1], true);
        cache.flush();
        let changes = st.finish(&Aggregate::new(3));
        assert_eq!(changes.problems, Vec::<String>::new(), "{in_the_way:?}");
        let problems = st.close();
        assert_eq!(problems.len(), late, "{in_the_way:?}: {problems:?}");
        if late > 0 {
            assert!(problems[0].starts_with("completing the state failed ("));
        }
        // The run and its results are in either way; the indexes only without a failure
        // (they are built in one transaction; the next run builds what is missing).
        let c = Connection::open(&db).unwrap();
        let n = |sql: &str| -> i64 { c.query_row(sql, [], |r| r.get(0)).unwrap() };
        assert_eq!(n("SELECT count(*) FROM files WHERE complete = 1"), 1);
        assert_eq!(n("SELECT count(*) FROM documents"), 5);
        assert_eq!(n("SELECT count(*) FROM runs WHERE finished_at IS NULL"), 0);
        let built = n("SELECT count(*) FROM sqlite_master WHERE type = 'index' \
                       AND name IN ('documents_date', 'documents_doc', 'mentions_entity')");
        assert_eq!(built, if late == 0 { 3 } else { 0 }, "{in_the_way:?}");
        // The WAL is folded back into the database.
        let wal = PathBuf::from(format!("{}-wal", db.display()));
        if late == 0 {
            assert!(!wal.exists() || std::fs::metadata(&wal).unwrap().len() == 0);
        }
    }
}

#[test]
fn gathered_parts_keep_their_place_among_other_messages() {
    // Small parts are gathered and sent together; a message between them (here a file's
    // rows dropped, as when its stored result is found damaged) must still come after the
    // parts sent before it and before those sent after it.
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.db");
    let pl = pipeline();
    let files: Vec<InputFile> = ["a", "b", "c"]
        .iter()
        .map(|n| jsonl(dir.path(), &format!("{n}.jsonl"), 3))
        .collect();
    let mut parts: Vec<FileResult> = files
        .iter()
        .map(|f| parts_of(&pl, f, 1).remove(0))
        .collect();
    let mut st = State::open(&db, &pl, false).unwrap();
    let mut cache = Cache::new(&mut st);
    cache.plan(&files);
    cache.store(&files[0], &mut parts[0], true);
    cache.store(&files[1], &mut parts[1], true);
    st.writer()
        .unwrap()
        .send(write::Msg::Drop("in/a.jsonl".into()));
    Cache::new(&mut st).store(&files[2], &mut parts[2], true);
    st.commit();
    let cases = [
        (
            "SELECT group_concat(path) FROM (SELECT path FROM files ORDER BY path)",
            "in/b.jsonl,in/c.jsonl",
        ),
        (
            "SELECT group_concat(DISTINCT path) FROM (SELECT path FROM documents ORDER BY path)",
            "in/b.jsonl,in/c.jsonl",
        ),
    ];
    for (sql, want) in cases {
        let got: String = st.conn.query_row(sql, [], |r| r.get(0)).unwrap();
        assert_eq!(got, want, "{sql}");
    }
}

#[test]
fn rows_gathered_across_parts_are_in_before_a_file_is_dropped() {
    // The analyst rows of gathered parts are inserted together, after the parts. A file
    // whose last part turns out not reusable (here: not read to its end) is deleted with
    // every row written of it, including rows still waiting in the same message; the
    // files before and after it keep theirs.
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.db");
    let pl = pipeline();
    let a = jsonl(dir.path(), "a.jsonl", 3);
    let b = jsonl(dir.path(), "b.jsonl", 6);
    let c = jsonl(dir.path(), "c.jsonl", 3);
    let mut pa = parts_of(&pl, &a, 1);
    let mut pb = parts_of(&pl, &b, 2);
    pb[1].content = None;
    let mut pc = parts_of(&pl, &c, 1);
    let files = [a.clone(), b.clone(), c.clone()];
    let mut st = State::open(&db, &pl, false).unwrap();
    let mut cache = Cache::new(&mut st);
    cache.plan(&files);
    cache.store(&a, &mut pa[0], true);
    cache.store(&b, &mut pb[0], false);
    cache.store(&b, &mut pb[1], true);
    cache.store(&c, &mut pc[0], true);
    st.commit();
    let cases = [
        ("SELECT count(*) FROM files", 2),
        ("SELECT count(*) FROM parts", 2),
        ("SELECT count(*) FROM documents", 6),
        (
            "SELECT count(*) FROM documents WHERE path = 'in/b.jsonl'",
            0,
        ),
        (
            "SELECT count(*) FROM mentions WHERE doc NOT IN (SELECT id FROM documents)",
            0,
        ),
        (
            "SELECT count(*) FROM sentences WHERE doc NOT IN (SELECT id FROM documents)",
            0,
        ),
        // China and tariffs in each of the six documents of a and c.
        ("SELECT count(*) FROM mentions", 12),
    ];
    for (sql, want) in cases {
        assert_eq!(count(&st, sql), want, "{sql}");
    }
}

#[test]
fn a_parts_document_count_only_sizes_its_list() {
    let dir = tempfile::tempdir().unwrap();
    let (_, stored, st, db) = stored(dir.path());
    drop(st);
    let c = Connection::open(&db).unwrap();
    // What the `documents` column of the first file's parts is set to: right, short, long,
    // absurd, not a number.
    for value in [
        "documents",
        "0",
        "documents + 1",
        "-5",
        "9223372036854775807",
        "'x'",
    ] {
        c.execute(
            &format!("UPDATE parts SET documents = {value} WHERE path = 'in/a.jsonl'"),
            [],
        )
        .unwrap();
        for (part, want) in stored[0].iter().enumerate() {
            let got = prefetch::read_part(&c, "in/a.jsonl", part as u32);
            assert_eq!(got.as_ref(), Ok(want), "documents = {value}, part {part}");
        }
    }
}

#[test]
fn only_damage_makes_a_failed_emptying_untrust_the_file() {
    use rusqlite::ffi;
    let sqlite = |code| rusqlite::Error::SqliteFailure(ffi::Error::new(code), None);
    // (error met emptying the analyst tables) → the file is damaged
    let cases = [
        (sqlite(ffi::SQLITE_CORRUPT), true),
        (sqlite(ffi::SQLITE_NOTADB), true),
        (sqlite(ffi::SQLITE_BUSY), false),
        (sqlite(ffi::SQLITE_FULL), false),
        (sqlite(ffi::SQLITE_IOERR), false),
        (sqlite(ffi::SQLITE_READONLY), false),
        (rusqlite::Error::QueryReturnedNoRows, false),
    ];
    for (e, want) in cases {
        assert_eq!(is_damage(&e), want, "{e}");
    }
}

/// The bundled SQLite is built as `.cargo/config.toml` asks: without the modules the state
/// never uses and with the options that spare it work per allocation. Cargo reads that file
/// only when building from this folder; a build that lost it would still work, only slower
/// and longer to compile, so this says so instead.
#[test]
fn sqlite_is_built_with_the_configured_options() {
    let c = Connection::open_in_memory().unwrap();
    let mut st = c.prepare("PRAGMA compile_options").unwrap();
    let opts: Vec<String> = st
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for want in ["DEFAULT_MEMSTATUS=0", "USE_ALLOCA", "OMIT_SHARED_CACHE"] {
        assert!(
            opts.iter().any(|o| o == want),
            "SQLite built without {want} (see .cargo/config.toml): {opts:?}"
        );
    }
    for unwanted in ["ENABLE_FTS3", "ENABLE_FTS5", "ENABLE_RTREE"] {
        assert!(
            !opts.iter().any(|o| o == unwanted),
            "SQLite built with {unwanted} (see .cargo/config.toml): {opts:?}"
        );
    }
}
