//! Incremental runs over large JSONL files, which the run reads in chunks and the state
//! stores part by part: reusing them, re-reading them when they grow, and surviving a
//! `kill -9` while a file's parts are being written, always with the reports of a clean full
//! run and with every document once in the analyst tables.

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::*;
use serde_json::Value;

/// Chunk size for these tests: a few lines per chunk, so a file has hundreds of parts.
const CHUNK: &str = "2048";

/// JSONL lines `from..to`: unique ids, dates over two months, mentions of every entity,
/// exact copies of earlier texts (duplicates), undated lines, a malformed line now and then.
fn lines(from: usize, to: usize) -> String {
    let mut s = String::new();
    for i in from..to {
        let day = 1 + i % 28;
        let month = 5 + i % 2;
        let line = match i % 11 {
            0 => format!(
                r#"{{"id":"r{i}","date":"2025-{month:02}-{day:02}","title":"Tariffs {i}","text":"China raised tariffs on item {i}. Beijing said more would follow."}}"#
            ),
            1 => format!(
                r#"{{"id":"r{i}","date":"2025-{month:02}-{day:02}","text":"Scott Bessent said the United States would talk about rare earth supplies, case {i}.\nChina did not answer."}}"#
            ),
            // The same text under another id: a duplicate of the first such line.
            2 => format!(
                r#"{{"id":"r{i}","date":"2025-{month:02}-{day:02}","text":"A copy: US tariffs and rare earth quotas."}}"#
            ),
            3 => format!(r#"{{"id":"r{i}","text":"Undated note {i} on Beijing and tariffs."}}"#),
            4 if i % 97 == 4 => "{not json".to_string(),
            _ => format!(
                r#"{{"id":"r{i}","date":"2025-{month:02}-{day:02}","title":"Plain {i}","text":"Markets moved on day {i} without news of note."}}"#
            ),
        };
        s.push_str(&line);
        s.push('\n');
    }
    s
}

fn newstrack(env: &TestEnv, args: &[&str]) -> Command {
    let mut cmd = env.command(args, &[(newstrack::pipeline::CHUNK_ENV, CHUNK)]);
    cmd.current_dir(env.dir.path());
    cmd
}

fn run(env: &TestEnv, args: &[&str]) -> Output {
    let o = newstrack(env, args).output().expect("run newstrack");
    assert_code(&o, 0);
    o
}

/// Every report file of `out` (the state and hidden entries aside), with the two parts that say how the run was done (the
/// incremental line of report.md, the `incremental` object of summary.json) left out.
fn reports(env: &TestEnv, out: &str) -> Vec<(String, String)> {
    let mut names: Vec<String> = std::fs::read_dir(env.path(out))
        .expect("out folder")
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        // Hidden entries are the run's temporary files, not reports.
        .filter(|n| !n.starts_with("newstrack.db") && !n.starts_with('.'))
        .collect();
    names.sort();
    assert!(names.len() >= 5, "{names:?}");
    names
        .into_iter()
        .map(|n| {
            let text = env.read(&format!("{out}/{n}"));
            let text = match n.as_str() {
                "report.md" => text
                    .split_inclusive('\n')
                    .filter(|l| !l.starts_with("Incremental run:"))
                    .collect::<String>()
                    .replace("\n\n\n", "\n\n"),
                "summary.json" => {
                    let mut v: Value = serde_json::from_str(&text).expect("summary.json");
                    v.as_object_mut().unwrap().remove("incremental");
                    v.to_string()
                }
                _ => text,
            };
            (n, text)
        })
        .collect()
}

/// A clean full run without state into `<out>-full`; asserts `out` holds the same reports.
fn assert_as_full_run(env: &TestEnv, out: &str) {
    let full = format!("{out}-full");
    let _ = std::fs::remove_dir_all(env.path(&full));
    run(
        env,
        &["run", "-q", "--no-state", "-p", "p.toml", "-o", &full, "in"],
    );
    let (want, got) = (reports(env, &full), reports(env, out));
    assert_eq!(
        want.iter().map(|x| &x.0).collect::<Vec<_>>(),
        got.iter().map(|x| &x.0).collect::<Vec<_>>()
    );
    for ((name, want), (_, got)) in want.iter().zip(&got) {
        assert_same_text(name, want, got);
    }
}

fn incremental(env: &TestEnv, out: &str, what: &str) -> [u64; 4] {
    let s: Value = serde_json::from_str(&env.read(&format!("{out}/summary.json"))).unwrap();
    let c = &s["incremental"][what];
    ["reused", "added", "changed", "removed"].map(|k| c[k].as_u64().unwrap_or(u64::MAX))
}

fn db(env: &TestEnv, out: &str) -> rusqlite::Connection {
    rusqlite::Connection::open(env.path(&format!("{out}/newstrack.db"))).expect("state")
}

fn count(c: &rusqlite::Connection, sql: &str) -> i64 {
    c.query_row(sql, [], |r| r.get(0))
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// The analyst tables hold every document of the inputs exactly once, and nothing of a file
/// that is not complete; `records` is the number of documents the inputs hold.
fn assert_each_document_once(c: &rusqlite::Connection, records: i64) {
    let checks: [(&str, i64); 8] = [
        ("SELECT count(*) FROM documents", records),
        (
            "SELECT count(*) FROM (SELECT 1 FROM documents GROUP BY path, doc HAVING count(*) > 1)",
            0,
        ),
        ("SELECT count(*) FROM files WHERE complete = 0", 0),
        (
            "SELECT count(*) FROM documents WHERE path NOT IN (SELECT path FROM files)",
            0,
        ),
        (
            "SELECT count(*) FROM parts WHERE path NOT IN (SELECT path FROM files)",
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
    for (sql, want) in checks {
        assert_eq!(count(c, sql), want, "{sql}");
    }
    // The stored parts of each file add up to its documents.
    assert_eq!(
        count(
            c,
            "SELECT count(*) FROM files f WHERE f.documents != \
             (SELECT coalesce(sum(p.documents), 0) FROM parts p WHERE p.path = f.path) \
             OR f.parts != (SELECT count(*) FROM parts p WHERE p.path = f.path)"
        ),
        0
    );
}

/// Lines `0..n` of `lines` that become documents (the malformed ones do not).
fn documents_in(n: usize) -> i64 {
    (0..n).filter(|i| !(i % 11 == 4 && i % 97 == 4)).count() as i64
}

#[test]
fn chunked_file_reused_then_grown_gives_the_full_report() {
    let env = TestEnv::new();
    env.write("p.toml", PIPE);
    env.write("in/feed.jsonl", lines(0, 3000));
    env.write("in/2025-06-02-a.txt", "China and tariffs, once more.\n");
    let feed = Path::new("in/feed.jsonl");
    assert!(std::fs::metadata(env.path("in/feed.jsonl")).unwrap().len() > 100 * 2048);

    run(&env, &["run", "-q", "-p", "p.toml", "-o", "out", "in"]);
    assert_eq!(incremental(&env, "out", "files"), [0, 2, 0, 0]);
    let first = reports(&env, "out");
    assert_as_full_run(&env, "out");
    let c = db(&env, "out");
    assert!(
        count(&c, "SELECT parts FROM files WHERE path LIKE '%feed.jsonl'") > 50,
        "the feed is stored in many parts"
    );
    assert_each_document_once(&c, documents_in(3000) + 1);
    drop(c);

    // Nothing changed: both files reused, reports byte-identical to the first run's.
    run(&env, &["run", "-q", "-p", "p.toml", "-o", "out", "in"]);
    assert_eq!(incremental(&env, "out", "files"), [2, 0, 0, 0]);
    assert_eq!(
        incremental(&env, "out", "documents"),
        [documents_in(3000) as u64 + 1, 0, 0, 0]
    );
    for ((name, want), (_, got)) in first.iter().zip(&reports(&env, "out")) {
        assert_same_text(name, want, got);
    }

    // Lines appended: the feed is read again, and the report is that of a full run.
    let mut grown = env.read("in/feed.jsonl");
    grown.push_str(&lines(3000, 3400));
    env.write(feed.to_str().unwrap(), grown);
    run(&env, &["run", "-q", "-p", "p.toml", "-o", "out", "in"]);
    assert_eq!(incremental(&env, "out", "files"), [1, 0, 1, 0]);
    assert_as_full_run(&env, "out");
    assert_each_document_once(&db(&env, "out"), documents_in(3400) + 1);
}

#[cfg(unix)]
#[test]
fn kill_9_while_a_chunked_file_is_stored_then_rerun_gives_the_full_report() {
    let env = TestEnv::new();
    env.write("p.toml", PIPE);
    // A small file before the big one, so a committed, complete file sits beside the
    // incomplete one when the run is killed. Its ids follow the big file's, its lines the
    // same pattern of kinds as 90,000.. had (the kinds repeat every 11 x 97 lines).
    env.write("in/a-small.jsonl", lines(100_670, 100_680));
    // Large enough that a release build is still writing it when the loop below looks
    // (40,000 lines stopped being enough once JSON records were read without serde).
    let n = 100_000;
    env.write("in/b-big.jsonl", lines(0, n));
    let db_path = env.path("out/newstrack.db");
    let journal = env.path("out/newstrack.db-journal");
    let mut child = newstrack(
        &env,
        &["run", "-q", "-j", "1", "-p", "p.toml", "-o", "out", "in"],
    )
    // Small transactions, so some are committed long before the big file is done.
    .env(newstrack::state::COMMIT_PARTS_ENV, "64")
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
    // Wait until some parts of the big file are committed while the file is incomplete.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(300);
    let mut parts = 0;
    while std::time::Instant::now() < deadline {
        parts = common::count_now(
            &db_path,
            "SELECT count(*) FROM parts p JOIN files f ON f.path = p.path WHERE f.complete = 0",
        );
        // A first run writes with a rollback journal, which is there while a transaction is
        // open: killed then, the run leaves a hot journal the next run must roll back.
        if (parts >= 128 && journal.exists()) || child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    let killed = child.try_wait().unwrap().is_none();
    // SIGKILL: no destructor, no flush, no chance to tidy up.
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        killed,
        "the run finished before it could be killed; make the file larger"
    );
    let c = db(&env, "out");
    assert!(parts >= 128, "{parts} parts committed");
    let stale = count(
        &c,
        "SELECT count(*) FROM documents d JOIN files f ON f.path = d.path WHERE f.complete = 0",
    );
    assert!(
        stale > 0,
        "the killed run left documents of an incomplete file"
    );
    assert_eq!(
        count(&c, "SELECT count(*) FROM files WHERE complete = 1"),
        1,
        "the small file is complete"
    );
    drop(c);

    // The re-run reuses the small file, reads the big one again, and reports as a full run.
    run(&env, &["run", "-q", "-p", "p.toml", "-o", "out", "in"]);
    assert_eq!(incremental(&env, "out", "files"), [1, 1, 0, 0]);
    assert_as_full_run(&env, "out");
    // The stale parts of the killed attempt are gone: each document is there once.
    let c = db(&env, "out");
    assert_each_document_once(&c, documents_in(n) + 10);
    // The killed first run built no indexes (they come at the end of a run from an empty
    // state); the re-run made them.
    assert_eq!(
        count(
            &c,
            "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name IN \
             ('documents_path', 'documents_date', 'documents_doc', 'mentions_doc', \
              'mentions_entity')"
        ),
        5
    );
    drop(c);

    // And the next run reuses everything.
    run(&env, &["run", "-q", "-p", "p.toml", "-o", "out", "in"]);
    assert_eq!(incremental(&env, "out", "files"), [2, 0, 0, 0]);
    assert_as_full_run(&env, "out");
}

#[test]
fn damaged_stored_part_mid_file_redoes_the_run_without_the_state() {
    let env = TestEnv::new();
    env.write("p.toml", PIPE);
    env.write("in/feed.jsonl", lines(0, 1500));
    run(&env, &["run", "-q", "-p", "p.toml", "-o", "out", "in"]);
    let c = db(&env, "out");
    assert!(count(&c, "SELECT parts FROM files") > 20);
    // Damage a part in the middle: the parts before it are folded by the time it fails.
    c.execute(
        "UPDATE parts SET result = x'0102030405' WHERE part = 10",
        [],
    )
    .unwrap();
    drop(c);
    let o = run(&env, &["run", "-p", "p.toml", "-o", "out", "in"]);
    let err = stderr(&o);
    assert!(
        err.contains("the stored result of")
            && err.contains("feed.jsonl")
            && err.contains("dropped"),
        "{err}"
    );
    assert_as_full_run(&env, "out");
    // The damaged result was dropped: the next run reads the file again and stores it whole.
    let o = run(&env, &["run", "-p", "p.toml", "-o", "out", "in"]);
    assert!(!stderr(&o).contains("could not be read"), "{}", stderr(&o));
    assert_eq!(incremental(&env, "out", "files"), [0, 1, 0, 0]);
    assert_as_full_run(&env, "out");
    run(&env, &["run", "-q", "-p", "p.toml", "-o", "out", "in"]);
    assert_eq!(incremental(&env, "out", "files"), [1, 0, 0, 0]);
    assert_each_document_once(&db(&env, "out"), documents_in(1500));
}
