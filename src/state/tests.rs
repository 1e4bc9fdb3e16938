//! State tests: opening, trusting or rebuilding the file, reuse decisions, parts written and
//! streamed back in order, and incomplete or damaged results dropped.

use super::schema::{self, Verdict};
use super::*;

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
        let got = schema::examine(&c);
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
        details: vec![],
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

/// Real results of a JSONL file, cut into `n` parts as chunked reading cuts them (no
/// content: a chunked file is hashed when its last part is stored).
fn parts_of(pl: &Pipeline, file: &InputFile, n: usize) -> Vec<FileResult> {
    let opts = crate::ingest::ReadOptions {
        boilerplate: &pl.boilerplate,
        max_doc_bytes: pl.max_doc_bytes,
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
    let per = outcome.articles.len().div_ceil(n);
    for (i, a) in outcome.articles.iter().enumerate() {
        w.tag(pl, a);
        let p = &mut parts[i / per];
        p.docs
            .push(crate::aggregate::summarize(a, &w.analysis, &w.mentions, pl));
        p.details.push(DocDetail::new(a, &w.analysis, &w.mentions));
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
    let parts = parts_of(&pl, &file, 3);
    let mut st = State::open(&db, &pl, false).unwrap();
    let mut cache = Cache::new(&mut st, &pl);
    assert_eq!(cache.plan(std::slice::from_ref(&file)), vec![false]);
    for (i, p) in parts.iter().enumerate() {
        cache.store(&file, p, i + 1 == parts.len());
    }
    cache.flush();
    st.finish(&Aggregate::new(3));
    assert_eq!(st.changes().problems, Vec::<String>::new());
    let mentions: usize = parts
        .iter()
        .flat_map(|p| &p.details)
        .map(|d| d.mentions.len())
        .sum();
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
    let mut cache = Cache::new(&mut st, &pl);
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
                details: vec![],
                content: None,
                ..p
            };
            (p, i == 2)
        })
        .collect();
    assert_eq!(got, want);
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
    let mut cache = Cache::new(&mut st, &pl);
    cache.plan(&files);
    cache.store(&done, &parts_of(&pl, &done, 1)[0], true);
    let parts = parts_of(&pl, &cut, 4);
    cache.store(&cut, &parts[0], false);
    cache.store(&cut, &parts[1], false);
    st.commit().unwrap();
    // The third part is written but never committed; then the process dies.
    Cache::new(&mut st, &pl).store(&cut, &parts[2], false);
    assert!(count(&st, "SELECT count(*) FROM documents") > 5);
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
