//! Incremental runs end to end: a run with a state must write the reports a clean full run
//! writes, whatever happened to the files since (added, changed, touched, removed, renamed),
//! when the pipeline changed, after a kill -9 mid-run, and over a corrupt or foreign state.

mod common;

use std::path::Path;
use std::process::Output;

use common::*;
use serde_json::Value;
fn article(i: usize, topic: &str) -> String {
    format!(
        "Story {i}\n\nChina and the United States argued over {topic} on day {i}. \
         Beijing said the {topic} would stay.\nA second paragraph about {topic} and more.\n"
    )
}

/// The reports that must not depend on how the run was done: the incremental line of
/// report.md and the `incremental` object of summary.json are dropped, the rest kept whole.
fn reports(env: &TestEnv, out: &str) -> Vec<(String, String)> {
    let md: String = env
        .read(&format!("{out}/report.md"))
        .split_inclusive('\n')
        .filter(|l| !l.starts_with("Incremental run:"))
        .collect::<String>()
        .replace("\n\n\n", "\n\n");
    let mut summary: Value =
        serde_json::from_str(&env.read(&format!("{out}/summary.json"))).expect("summary.json");
    summary.as_object_mut().unwrap().remove("incremental");
    vec![
        ("report.md".into(), md),
        ("summary.json".into(), summary.to_string()),
        ("trends.csv".into(), env.read(&format!("{out}/trends.csv"))),
        (
            "documents.csv".into(),
            env.read(&format!("{out}/documents.csv")),
        ),
    ]
}

fn run(env: &TestEnv, args: &[&str]) -> Output {
    let o = env.run_in(env.dir.path(), args);
    assert_code(&o, 0);
    o
}

/// A clean full run without a state over `in` into `out`.
fn run_without_state(env: &TestEnv, pipe: &str, out: &str) {
    run(
        env,
        &["run", "-q", "--no-state", "-p", pipe, "-o", out, "in"],
    );
}

/// Runs incrementally into `out`, then a clean full run without state into `out-full`, and
/// asserts the reports agree. Returns the incremental run's `incremental` summary.
fn check_against_full(env: &TestEnv, pipe: &str, out: &str) -> Value {
    run(env, &["run", "-q", "-p", pipe, "-o", out, "in"]);
    let full = format!("{out}-full");
    run_without_state(env, pipe, &full);
    for ((name, got), (_, want)) in reports(env, out).iter().zip(reports(env, &full)) {
        assert_same_text(name, &want, got);
    }
    let s: Value = serde_json::from_str(&env.read(&format!("{out}/summary.json"))).unwrap();
    s["incremental"].clone()
}

fn counts(inc: &Value, what: &str) -> [u64; 4] {
    let c = &inc[what];
    ["reused", "added", "changed", "removed"].map(|k| c[k].as_u64().unwrap_or(u64::MAX))
}

/// Sets a file's mtime to a fixed past moment, so a later rewrite always moves it.
fn age(path: &Path) {
    let f = std::fs::File::options().write(true).open(path).unwrap();
    f.set_modified(std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000))
        .unwrap();
}

#[test]
fn fresh_files_are_recorded_with_the_stamp_they_were_read_with() {
    // The run does not stat a file the state does not know before reading it: what is stored
    // is the size and mtime its open handle gave, for a file read whole and one read in
    // chunks alike, and a re-run recognises both by them.
    let env = TestEnv::new();
    env.write("p.toml", PIPE);
    let txt = env.write("in/a.txt", article(1, "tariffs"));
    let mut feed = String::new();
    for i in 0..200 {
        feed.push_str(&format!(
            "{{\"id\":\"f{i}\",\"date\":\"2025-06-01\",\"text\":\"China weighed tariffs, item {i}.\"}}\n"
        ));
    }
    let jsonl = env.write("in/feed.jsonl", feed);
    age(&txt);
    age(&jsonl);
    let run_chunked = || {
        let o = env
            .command(
                &["run", "-q", "-p", "p.toml", "-o", "out", "in"],
                &[("NEWSTRACK_CHUNK_BYTES", "1024")],
            )
            .current_dir(env.dir.path())
            .output()
            .unwrap();
        assert_code(&o, 0);
    };
    run_chunked();
    let c = rusqlite::Connection::open(env.path("out/newstrack.db")).unwrap();
    for (shown, path, whole) in [("in/a.txt", &txt, true), ("in/feed.jsonl", &jsonl, false)] {
        let m = std::fs::metadata(path).unwrap();
        let mtime = m
            .modified()
            .unwrap()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as i64;
        let got: (i64, i64, i64, i64) = c
            .query_row(
                "SELECT size, mtime_ns, parts, complete FROM files WHERE path = ?1",
                [shown],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .unwrap();
        assert_eq!((got.0, got.1, got.3), (m.len() as i64, mtime, 1), "{shown}");
        assert_eq!(got.2 == 1, whole, "{shown}: {} parts", got.2);
    }
    drop(c);
    run_chunked();
    let s: Value = serde_json::from_str(&env.read("out/summary.json")).unwrap();
    assert_eq!(counts(&s["incremental"], "files"), [2, 0, 0, 0], "{s}");
}

#[test]
fn added_changed_touched_removed_renamed_and_pipeline_change() {
    let env = TestEnv::new();
    env.write("p.toml", PIPE);
    for i in 0..4 {
        let p = env.write(
            &format!("in/2025-06-0{}-s{i}.txt", i + 1),
            article(i, "tariffs"),
        );
        age(&p);
    }
    env.write(
        "in/feed.jsonl",
        "{\"id\":\"f1\",\"date\":\"2025-06-03\",\"text\":\"China set rare earth quotas.\"}\n{bad\n",
    );
    age(&env.path("in/feed.jsonl"));
    // A copy of s0: counted once, listed as a duplicate, in both kinds of run.
    env.write("in/z-copy.txt", article(0, "tariffs"));

    let inc = check_against_full(&env, "p.toml", "out");
    assert_eq!(counts(&inc, "files"), [0, 6, 0, 0], "{inc}");
    assert_eq!(counts(&inc, "documents"), [0, 6, 0, 0], "{inc}");
    assert!(env.path("out/newstrack.db").exists());

    // Nothing changed: everything reused.
    let inc = check_against_full(&env, "p.toml", "out");
    assert_eq!(counts(&inc, "files"), [6, 0, 0, 0], "{inc}");

    // Added, changed (same length, new content), touched (same content, new mtime), removed.
    env.write("in/2025-06-09-new.txt", article(9, "rare earth"));
    let s1 = env.path("in/2025-06-02-s1.txt");
    let same_len = article(1, "tariffs").replace("tariffs", "Tariffs");
    env.write("in/2025-06-02-s1.txt", &same_len);
    assert_eq!(
        std::fs::metadata(&s1).unwrap().len() as usize,
        same_len.len()
    );
    let s2 = env.path("in/2025-06-03-s2.txt");
    std::fs::write(&s2, std::fs::read(&s2).unwrap()).unwrap();
    std::fs::remove_file(env.path("in/2025-06-04-s3.txt")).unwrap();
    let inc = check_against_full(&env, "p.toml", "out");
    // reused: s0, s2 (touched), feed, z-copy; added: new; changed: s1; removed: s3.
    assert_eq!(counts(&inc, "files"), [4, 1, 1, 1], "{inc}");
    assert_eq!(counts(&inc, "documents"), [4, 1, 1, 1], "{inc}");

    // The duplicate's original changes: the copy becomes an article of its own.
    env.write("in/2025-06-01-s0.txt", article(0, "rare earth"));
    let inc = check_against_full(&env, "p.toml", "out");
    assert_eq!(counts(&inc, "files"), [5, 0, 1, 0], "{inc}");

    // Renamed: the old name is removed, the new one added (its id and file-name date
    // change with its name).
    std::fs::rename(
        env.path("in/2025-06-09-new.txt"),
        env.path("in/2025-06-10-renamed.txt"),
    )
    .unwrap();
    let inc = check_against_full(&env, "p.toml", "out");
    assert_eq!(counts(&inc, "files"), [5, 1, 0, 1], "{inc}");

    // A changed pipeline invalidates every stored result.
    env.write(
        "p2.toml",
        PIPE.replace("\"tariff*\"", "\"tariff*\", \"quota*\""),
    );
    let inc = check_against_full(&env, "p2.toml", "out");
    assert_eq!(counts(&inc, "files"), [0, 6, 0, 0], "{inc}");
    assert!(inc["reset"].as_str().unwrap().contains("pipeline"), "{inc}");
    // --full reads everything again, and says so.
    let o = run(&env, &["run", "-p", "p2.toml", "-o", "out", "--full", "in"]);
    assert!(
        stderr(&o).contains("--full: every file read again"),
        "{}",
        stderr(&o)
    );
    assert!(
        stderr(&o).contains("documents 0 reused, 6 added, 0 changed, 0 removed"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn state_flag_moves_the_database_and_it_is_queryable() {
    let env = TestEnv::new();
    env.write("p.toml", PIPE);
    env.write("in/2025-06-02-a.txt", article(1, "tariffs"));
    env.write("in/2025-06-03-b.txt", article(2, "rare earth"));
    run(
        &env,
        &[
            "run", "-q", "-p", "p.toml", "-o", "out", "--state", "st/x.db", "in",
        ],
    );
    assert!(!env.path("out/newstrack.db").exists());
    let conn = rusqlite::Connection::open(env.path("st/x.db")).unwrap();
    // Every sentence where China meets tariffs in the ISO week of 2025-06-02.
    let mut stmt = conn
        .prepare(
            "SELECT d.doc, s.text FROM mentions a
             JOIN mentions t ON t.doc = a.doc AND t.sentence = a.sentence
             JOIN documents d ON d.id = a.doc
             JOIN sentences s ON s.doc = a.doc AND s.sentence = a.sentence
             WHERE a.entity = 'china' AND t.entity = 'tariffs'
               AND d.date BETWEEN '2025-06-02' AND '2025-06-08'
             GROUP BY a.doc, a.sentence ORDER BY d.doc, a.sentence",
        )
        .unwrap();
    let rows: Vec<(String, String)> = pairs(&mut stmt);
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[0].0, "in/2025-06-02-a.txt");
    assert!(rows[0]
        .1
        .starts_with("China and the United States argued over tariffs"));
    // Offsets slice the original file.
    let (start, end): (i64, i64) = conn
        .query_row(
            "SELECT start, \"end\" FROM mentions m JOIN documents d ON d.id = m.doc
             WHERE d.doc = 'in/2025-06-03-b.txt' AND m.entity = 'rare-earths' ORDER BY start LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let text = env.read("in/2025-06-03-b.txt");
    assert_eq!(&text[start as usize..end as usize], "rare earth");
    let counts: i64 = conn
        .query_row(
            "SELECT sum(mentions) FROM counts WHERE entity = 'tariffs'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(counts, 3);
    // Stored by the entity's index (schema 4), read by its id through the `mentions` view:
    // every stored row is an integer naming an entity, and the view names each by its id.
    let stored: Vec<(String, i64)> = pairs(
        &mut conn
            .prepare("SELECT typeof(entity), count(*) FROM mention_rows GROUP BY 1")
            .unwrap(),
    );
    let named: Vec<(String, i64)> = pairs(
        &mut conn
            .prepare(
                "SELECT typeof(m.entity), count(*) FROM mentions m \
                 JOIN entities e ON e.id = m.entity GROUP BY 1",
            )
            .unwrap(),
    );
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert_eq!(stored[0].0, "integer");
    assert_eq!(named, vec![("text".to_string(), stored[0].1)]);
}

#[test]
fn corrupt_and_foreign_states_are_reported_and_rebuilt() {
    let env = TestEnv::new();
    env.write("p.toml", PIPE);
    env.write("in/2025-06-02-a.txt", article(1, "tariffs"));
    run_without_state(&env, "p.toml", "full");
    let want = reports(&env, "full");

    env.write(
        "out/newstrack.db",
        b"SQLite format 3\0 but then garbage ".repeat(200),
    );
    let o = run(&env, &["run", "-p", "p.toml", "-o", "out", "in"]);
    let err = stderr(&o);
    assert!(
        err.contains("not trusted") && err.contains("newstrack.db.bad"),
        "{err}"
    );
    assert!(env.path("out/newstrack.db.bad").exists());
    assert_eq!(reports(&env, "out"), want);

    {
        let c = rusqlite::Connection::open(env.path("other.db")).unwrap();
        c.execute_batch("CREATE TABLE invoices(id INTEGER PRIMARY KEY, total REAL); INSERT INTO invoices VALUES (1, 9.5);")
            .unwrap();
    }
    let o = run(
        &env,
        &[
            "run", "-p", "p.toml", "-o", "out2", "--state", "other.db", "in",
        ],
    );
    let err = stderr(&o);
    assert!(err.contains("another application"), "{err}");
    assert_eq!(reports(&env, "out2"), want);
    // The foreign data is kept aside, not destroyed.
    let c = rusqlite::Connection::open(env.path("other.db.bad")).unwrap();
    let total: f64 = c
        .query_row("SELECT total FROM invoices", [], |r| r.get(0))
        .unwrap();
    assert_eq!(total, 9.5);
}

/// The rows of a two-column query.
fn pairs<A: rusqlite::types::FromSql, B: rusqlite::types::FromSql>(
    stmt: &mut rusqlite::Statement<'_>,
) -> Vec<(A, B)> {
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// Overwrites the header of `table`'s root page in the state at `db` (checkpointed first),
/// as damage on disk would.
fn damage_root_page(db: &Path, table: &str) {
    use std::io::{Seek, SeekFrom, Write};
    let c = rusqlite::Connection::open(db).unwrap();
    c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .unwrap();
    let root: i64 = c
        .query_row(
            "SELECT rootpage FROM sqlite_master WHERE type = 'table' AND name = ?1",
            [table],
            |r| r.get(0),
        )
        .unwrap();
    let page: i64 = c.query_row("PRAGMA page_size", [], |r| r.get(0)).unwrap();
    drop(c);
    let mut f = std::fs::OpenOptions::new().write(true).open(db).unwrap();
    f.seek(SeekFrom::Start(((root - 1) * page) as u64)).unwrap();
    f.write_all(&[0xEE; 8]).unwrap();
}

#[test]
fn damage_in_an_analyst_table_is_found_when_written_and_the_state_rebuilt() {
    let env = TestEnv::new();
    env.write("p.toml", PIPE);
    env.write("in/2025-06-02-a.txt", article(1, "tariffs"));
    let b = env.write("in/2025-06-03-b.txt", article(2, "rare earth"));
    age(&b);
    run(&env, &["run", "-q", "-p", "p.toml", "-o", "out", "in"]);
    let db = env.path("out/newstrack.db");
    damage_root_page(&db, "mention_rows");

    // Opening checks the tables results are reused from, not `mentions`: the unchanged file
    // is reused, and writing the changed one meets the damage. The report is whole; the
    // state stops being written and the run is left unfinished.
    env.write("in/2025-06-03-b.txt", article(3, "export controls"));
    let o = run(&env, &["run", "-p", "p.toml", "-o", "out", "in"]);
    let err = stderr(&o);
    assert!(
        err.contains("malformed") || err.contains("damaged"),
        "{err}"
    );
    let inc: Value = serde_json::from_str(&env.read("out/summary.json")).unwrap();
    assert_eq!(counts(&inc["incremental"], "files"), [1, 0, 1, 0], "{inc}");
    let c = rusqlite::Connection::open(&db).unwrap();
    let unfinished: i64 = c
        .query_row(
            "SELECT count(*) FROM runs WHERE finished_at IS NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(unfinished, 1);
    drop(c);

    // The next run checks every table, finds the damage, and builds a new state.
    let inc = check_against_full(&env, "p.toml", "out");
    assert!(
        inc["reset"].as_str().unwrap_or("").contains("damaged"),
        "{inc}"
    );
    assert!(env.path("out/newstrack.db.bad").exists());
    assert_eq!(counts(&inc, "files"), [0, 2, 0, 0], "{inc}");
    let inc = check_against_full(&env, "p.toml", "out");
    assert_eq!(counts(&inc, "files"), [2, 0, 0, 0], "{inc}");
    assert_eq!(inc["problems"], Value::Null, "{inc}");
}

#[cfg(unix)]
#[test]
fn kill_9_mid_run_then_rerun_gives_the_full_report() {
    use std::process::{Command, Stdio};
    let env = TestEnv::new();
    env.write("p.toml", PIPE);
    // Enough text that the run is still going when the first batches are committed (a
    // first run writes 3,000 small files in about a tenth of a second).
    let filler = "Traders waited for the figures and prices held steady all day.\n".repeat(150);
    for i in 0..3000 {
        env.write(
            &format!("in/d{:02}/2025-06-{:02}-f{i:05}.txt", i % 50, 1 + i % 28),
            article(i, if i % 3 == 0 { "rare earth" } else { "tariffs" }) + &filler,
        );
    }
    let db = env.path("out/newstrack.db");
    let mut child = Command::new(env!("CARGO_BIN_EXE_newstrack"))
        .args(["run", "-q", "-j", "1", "-p", "p.toml", "-o", "out", "in"])
        .current_dir(env.dir.path())
        // Small transactions, so some are committed long before the run ends (a release
        // build stores the 3,000 files in a tenth of a second: kill at the second commit,
        // polling often, or a loaded machine's late wake-up misses the whole run).
        .env(newstrack::state::COMMIT_PARTS_ENV, "16")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    let mut stored = 0i64;
    while std::time::Instant::now() < deadline {
        stored = common::count_now(&db, "SELECT count(*) FROM files");
        if stored >= 32 || child.try_wait().unwrap().is_some() {
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
        "the run finished before it could be killed; make the corpus larger"
    );
    assert!(stored > 0 && stored < 3000, "stored {stored}");

    let inc = check_against_full(&env, "p.toml", "out");
    let [reused, added, changed, removed] = counts(&inc, "files");
    assert!(reused >= stored as u64, "{inc}");
    assert_eq!(reused + added, 3000, "{inc}");
    assert_eq!((changed, removed), (0, 0), "{inc}");
}

#[test]
fn chunked_jsonl_files_are_stored_in_parts_and_reused() {
    // A small chunk size makes the run read the feed in chunks of lines, as it does for
    // large JSONL files; the state stores them part by part and must reuse the file's whole
    // result (tests/incremental_chunked.rs has larger files, growth and kill -9).
    use std::process::Command;
    let env = TestEnv::new();
    env.write("p.toml", PIPE);
    let mut feed = String::new();
    for i in 0..40 {
        feed.push_str(&format!(
            "{{\"id\":\"r{i}\",\"date\":\"2025-06-{:02}\",\"text\":\"China weighed tariffs, item {i}.\"}}\n",
            1 + i % 28
        ));
    }
    feed.push_str("{broken\n");
    env.write("in/feed.jsonl", &feed);
    env.write("in/2025-06-02-a.txt", article(1, "tariffs"));
    let run = |extra: &[&str], out: &str| {
        let mut args = vec!["run", "-q", "-p", "p.toml", "-o", out];
        args.extend_from_slice(extra);
        args.push("in");
        let o = Command::new(env!("CARGO_BIN_EXE_newstrack"))
            .args(&args)
            .current_dir(env.dir.path())
            .env(newstrack::pipeline::CHUNK_ENV, "200")
            .output()
            .unwrap();
        assert_code(&o, 0);
    };
    let check = |want_files: [u64; 4]| {
        run(&[], "out");
        run(&["--no-state"], "full");
        for ((name, got), (_, want)) in reports(&env, "out").iter().zip(reports(&env, "full")) {
            assert_same_text(name, &want, got);
        }
        let s: Value = serde_json::from_str(&env.read("out/summary.json")).unwrap();
        assert_eq!(counts(&s["incremental"], "files"), want_files, "{s:#}");
        s
    };
    check([0, 2, 0, 0]);
    let s = check([2, 0, 0, 0]);
    assert_eq!(s["incremental"]["documents"]["reused"], 41, "{s:#}");
    env.write(
        "in/feed.jsonl",
        feed.replace("item 7.", "item 7, rare earth."),
    );
    check([1, 0, 1, 0]);
}

/// Rows of the three analyst tables, in a stable order, as text.
fn analyst_rows(db: &Path) -> [Vec<String>; 3] {
    let conn = rusqlite::Connection::open(db).unwrap();
    let all = |sql: &str| -> Vec<String> {
        let mut st = conn.prepare(sql).unwrap();
        let cols = st.column_count();
        st.query_map([], |r| {
            (0..cols)
                .map(|i| {
                    r.get::<_, rusqlite::types::Value>(i)
                        .map(|v| format!("{v:?}"))
                })
                .collect::<Result<Vec<_>, _>>()
                .map(|v| v.join("|"))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect()
    };
    [
        all(
            "SELECT id, path, record, doc, title, date, date_source, text_hash, duplicate_of \
             FROM documents ORDER BY id",
        ),
        all("SELECT * FROM mentions ORDER BY doc, start, entity"),
        all("SELECT * FROM sentences ORDER BY doc, sentence"),
    ]
}

fn analyst_tables_setting(db: &Path) -> String {
    rusqlite::Connection::open(db)
        .unwrap()
        .query_row(
            "SELECT value FROM meta WHERE key = 'analyst_tables'",
            [],
            |r| r.get(0),
        )
        .unwrap()
}

/// `--analyst-tables off` stores no analyst rows and changes no report; the state remembers
/// the setting; turning the tables on again reads every file and fills them exactly as a
/// state that always had them; turning them off keeps every stored result.
#[test]
fn analyst_tables_off_keeps_reuse_and_on_again_fills_them_as_new() {
    let env = TestEnv::new();
    env.write("p.toml", PIPE);
    env.write("in/2025-06-02-a.txt", article(1, "tariffs"));
    env.write("in/2025-06-03-b.txt", article(2, "rare earth"));
    // An exact duplicate, so `documents.duplicate_of` has something to mark.
    env.write("in/2025-06-04-c.txt", article(1, "tariffs"));
    // A run into `out` (`--analyst-tables` when given): its stderr.
    let run_into = |out: &str, tables: Option<&str>| -> String {
        let mut args = vec!["run", "-p", "p.toml", "-o", out, "in"];
        if let Some(t) = tables {
            args.extend(["--analyst-tables", t]);
        }
        stderr(&run(&env, &args))
    };
    let same_reports = |out: &str, like: &str| {
        for ((name, got), (_, want)) in reports(&env, out).iter().zip(reports(&env, like)) {
            assert_same_text(name, &want, got);
        }
    };
    let none = <[Vec<String>; 3]>::default();
    let lean = env.path("lean/newstrack.db");

    let err = run_into("lean", Some("off"));
    assert!(err.contains("documents 0 reused, 3 added"), "{err}");
    // A state with the tables (its reports are checked against a run without a state
    // by `check_against_full` below and in the other tests).
    run_into("tables", None);
    same_reports("lean", "tables");
    assert_eq!(analyst_rows(&lean), none);
    assert_eq!(analyst_tables_setting(&lean), "off");

    // Without the flag the state keeps its setting, and stored results are reused.
    env.write("in/2025-06-05-d.txt", article(4, "export controls"));
    let inc = check_against_full(&env, "p.toml", "lean");
    assert_eq!(counts(&inc, "documents"), [3, 1, 0, 0]);
    assert_eq!(analyst_rows(&lean), none);
    assert_eq!(analyst_tables_setting(&lean), "off");

    // On again: every file is read, and the rows are those of a state that always had them.
    let err = run_into("lean", Some("on"));
    assert!(err.contains("analyst tables were turned on"), "{err}");
    assert!(err.contains("documents 0 reused, 4 added"), "{err}");
    run_into("always", None);
    let want = analyst_rows(&env.path("always/newstrack.db"));
    assert_eq!(want.each_ref().map(Vec::len), [4, 21, 11], "{want:?}");
    assert!(want[0]
        .iter()
        .any(|r| r.ends_with("Text(\"in/2025-06-02-a.txt\")")));
    assert_eq!(analyst_rows(&lean), want);
    assert_eq!(analyst_tables_setting(&lean), "on");
    same_reports("lean", "always");

    // Off for a state that has them: emptied, every stored result kept.
    let err = run_into("always", Some("off"));
    assert!(err.contains("documents 4 reused, 0 added"), "{err}");
    let db = env.path("always/newstrack.db");
    assert_eq!(analyst_rows(&db), none);
    assert_eq!(analyst_tables_setting(&db), "off");
    // `check_against_full` left a run without a state over all four files there.
    same_reports("always", "lean-full");
    // With --no-state there is no state to keep tables in.
    let o = env.run_in(
        env.dir.path(),
        &[
            "run",
            "-q",
            "--no-state",
            "--analyst-tables",
            "off",
            "-p",
            "p.toml",
            "in",
        ],
    );
    assert_code(&o, 2);
}

/// Turning the analyst tables off empties them when the state is opened: damage met there
/// moves the state aside and builds a new one without them, as damage found by the check at
/// opening does; the run itself goes on and its report is whole.
#[test]
fn damage_met_turning_the_analyst_tables_off_rebuilds_the_state() {
    let env = TestEnv::new();
    env.write("p.toml", PIPE);
    env.write("in/2025-06-02-a.txt", article(1, "tariffs"));
    env.write("in/2025-06-03-b.txt", article(2, "rare earth"));
    run(&env, &["run", "-q", "-p", "p.toml", "-o", "out", "in"]);
    let db = env.path("out/newstrack.db");
    damage_root_page(&db, "mention_rows");
    run_without_state(&env, "p.toml", "full");
    let o = run(
        &env,
        &[
            "run",
            "-p",
            "p.toml",
            "-o",
            "out",
            "--analyst-tables",
            "off",
            "in",
        ],
    );
    let err = stderr(&o);
    assert!(err.contains("damaged") && err.contains("moved to"), "{err}");
    assert!(env.path("out/newstrack.db.bad").exists());
    for ((name, got), (_, want)) in reports(&env, "out").iter().zip(reports(&env, "full")) {
        assert_same_text(name, &want, got);
    }
    assert_eq!(analyst_rows(&db), <[Vec<String>; 3]>::default());
    assert_eq!(analyst_tables_setting(&db), "off");
    // The new state is whole: the next run reuses both files.
    let inc = check_against_full(&env, "p.toml", "out");
    assert_eq!(counts(&inc, "files"), [2, 0, 0, 0], "{inc}");
}

/// A state written before the setting existed (no `meta.analyst_tables`) kept its tables,
/// and keeps them.
#[test]
fn a_state_without_the_setting_keeps_its_analyst_tables() {
    let env = TestEnv::new();
    env.write("p.toml", PIPE);
    env.write("in/2025-06-02-a.txt", article(1, "tariffs"));
    run(&env, &["run", "-q", "-p", "p.toml", "-o", "out", "in"]);
    let db = env.path("out/newstrack.db");
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute("DELETE FROM meta WHERE key = 'analyst_tables'", [])
        .unwrap();
    env.write("in/2025-06-03-b.txt", article(2, "rare earth"));
    let inc = check_against_full(&env, "p.toml", "out");
    assert_eq!(counts(&inc, "files"), [1, 1, 0, 0], "{inc}");
    assert_eq!(analyst_tables_setting(&db), "on");
    assert_eq!(analyst_rows(&db)[0].len(), 2);
}
