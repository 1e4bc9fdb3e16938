//! Dirty input end to end: every kind of broken file scrapers, exports and archives produce,
//! each run through the real binary beside a good article. For each: a message naming the
//! file (and line or record where it has one) in summary.json and on stderr, the good article
//! still counted, and the accounting identity intact (files seen = read + skipped + failed;
//! records read = counted + duplicates + rejected).

mod common;

use common::*;
use serde_json::Value;

const GOOD: &str = "Good story\n\nChina raised tariffs on Monday.\n";

struct Run {
    summary: Value,
    stderr: String,
    documents: String,
}

fn run_dir(env: &TestEnv, extra: &[&str]) -> Run {
    env.write("p.toml", PIPE);
    env.write("in/2025-06-02-good.txt", GOOD);
    let mut args = vec!["run", "--no-state", "-p", "p.toml", "-o", "out"];
    args.extend_from_slice(extra);
    args.push("in");
    let o = env.run_in(env.dir.path(), &args);
    assert_code(&o, 0);
    let summary: Value = serde_json::from_str(&env.read("out/summary.json")).unwrap();
    assert_eq!(summary["accounting_balanced"], true, "{summary:#}");
    let f = &summary["files"];
    assert_eq!(
        f["seen"].as_u64(),
        Some(
            f["read"].as_u64().unwrap()
                + f["skipped"].as_u64().unwrap()
                + f["failed"].as_u64().unwrap()
        )
    );
    let documents = env.read("out/documents.csv");
    assert!(
        documents.contains("in/2025-06-02-good.txt,2025-06-02,filename,Good story,tariffs,1"),
        "the good article must still count:\n{documents}"
    );
    let stderr = stderr(&o);
    assert!(
        stderr.contains("files seen") && stderr.contains("records"),
        "the accounting line is printed: {stderr}"
    );
    Run {
        summary,
        stderr,
        documents,
    }
}

/// Where a message is expected: a summary.json list, and the text it must contain.
#[derive(Clone, Copy, Debug)]
enum Expect {
    Failed(&'static str),
    Rejected(Option<u64>, &'static str),
    Warning(&'static str),
    /// Read cleanly: no message, and the article counted with these mentions of `tariffs`.
    Clean(u32),
}

fn entry<'a>(list: &'a Value, path: &str, text_key: &str, want: &str) -> Option<&'a Value> {
    list.as_array()?
        .iter()
        .find(|e| e["path"] == path && e[text_key].as_str().unwrap_or("").contains(want))
}

fn check(name: &str, content: &[u8], expect: Expect, extra: &[&str]) -> Result<(), String> {
    let env = TestEnv::new();
    env.write(&format!("in/{name}"), content);
    let r = run_dir(&env, extra);
    let path = format!("in/{name}");
    let s = &r.summary;
    let found = match expect {
        Expect::Failed(w) => entry(&s["failed"], &path, "reason", w).map(|_| ()),
        Expect::Rejected(rec, w) => entry(&s["rejected"], &path, "reason", w)
            .filter(|e| e["record"].as_u64() == rec)
            .map(|_| ()),
        Expect::Warning(w) => entry(&s["warnings"], &path, "message", w).map(|_| ()),
        Expect::Clean(n) => {
            let row = format!(",{path},");
            let ok = r
                .documents
                .lines()
                .any(|l| l.contains(&row) && l.ends_with(&format!(",tariffs,{n}")));
            let quiet = !r.stderr.contains(&path);
            (ok && quiet).then_some(())
        }
    };
    if found.is_none() {
        return Err(format!(
            "{name}: expected {expect:?}\n--- summary\n{s:#}\n--- stderr\n{}\n--- documents.csv\n{}",
            r.stderr, r.documents
        ));
    }
    if !matches!(expect, Expect::Clean(_)) && !r.stderr.contains(&path) {
        return Err(format!(
            "{name}: stderr does not name {path}:\n{}",
            r.stderr
        ));
    }
    Ok(())
}

fn png() -> Vec<u8> {
    let mut v = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    v.extend((0..600u32).map(|i| (i * 7 % 251) as u8));
    v
}

fn zip() -> Vec<u8> {
    let mut v = b"PK\x03\x04\x14\0\0\0\x08\0".to_vec();
    v.extend((0..600u32).map(|i| (i * 13 % 251) as u8));
    v
}

fn utf16le(s: &str) -> Vec<u8> {
    let mut v = vec![0xFF, 0xFE];
    for u in s.encode_utf16() {
        v.extend(u.to_le_bytes());
    }
    v
}

#[test]
fn each_kind_of_dirty_file_is_reported_and_loses_nothing_else() {
    let sgml_unterminated = b"<REUTERS NEWID=\"1\"><DATE>26-FEB-1987 15:01:01.79</DATE><TEXT><TITLE>T</TITLE><BODY>China raised tariffs.</BODY></TEXT></REUTERS>\n<REUTERS NEWID=\"2\"><DATE>26-FEB-1987</DATE><TEXT><BODY>Beijing cut".to_vec();
    let cases: Vec<(&str, Vec<u8>, Expect)> = vec![
        ("empty.txt", vec![], Expect::Rejected(None, "empty file")),
        ("blank.md", b" \n\r\n\t\n".to_vec(), Expect::Rejected(None, "empty file")),
        ("empty.jsonl", vec![], Expect::Rejected(None, "empty file")),
        ("picture.txt", png(), Expect::Failed("binary data (PNG image)")),
        ("archive.txt", zip(), Expect::Failed("binary data (ZIP archive)")),
        ("archive.json", zip(), Expect::Failed("binary data (ZIP archive)")),
        ("archive.jsonl", zip(), Expect::Failed("binary data (ZIP archive)")),
        ("picture.html", png(), Expect::Failed("binary data (PNG image)")),
        (
            "latin1.txt",
            b"Caf\xe9 story\n\nChina raised tariffs in Bogot\xe1.\n".to_vec(),
            Expect::Warning("2 invalid UTF-8 byte(s) replaced"),
        ),
        (
            "utf16.txt",
            utf16le("UTF-16 story\n\nChina raised tariffs.\n"),
            Expect::Warning("file is UTF-16LE"),
        ),
        (
            "utf16.jsonl",
            utf16le("{\"id\":\"u\",\"text\":\"China raised tariffs.\"}\n"),
            Expect::Warning("UTF-16LE"),
        ),
        (
            "bom.txt",
            b"\xEF\xBB\xBFBOM story\n\nChina raised tariffs, tariffs.\n".to_vec(),
            Expect::Clean(2),
        ),
        (
            "bom.jsonl",
            b"\xEF\xBB\xBF{\"id\":\"b\",\"text\":\"China raised tariffs.\"}\n".to_vec(),
            Expect::Clean(1),
        ),
        (
            "bad-line.jsonl",
            b"{\"text\":\"China raised tariffs.\"}\n{broken\n".to_vec(),
            Expect::Rejected(Some(2), "line 2: invalid JSON"),
        ),
        (
            "not-object.jsonl",
            b"[1, 2]\n{\"text\":\"China raised tariffs.\"}\n".to_vec(),
            Expect::Rejected(Some(1), "line 1: expected a JSON object, found an array"),
        ),
        (
            "no-text.jsonl",
            b"{\"text\":\"China raised tariffs.\"}\n\n{\"title\":\"only a title\"}\n".to_vec(),
            Expect::Rejected(Some(3), "line 3: no text field"),
        ),
        (
            "truncated.json",
            b"[{\"id\":\"a\",\"text\":\"China raised tariffs.\"},{\"id\":\"b\",\"text\":\"Chi".to_vec(),
            Expect::Failed("invalid JSON at line 1 column"),
        ),
        (
            "no-body.html",
            b"<html><head><title>Nothing</title></head></html>".to_vec(),
            Expect::Rejected(None, "no article text"),
        ),
        (
            "only-scripts.html",
            b"<html><body><script>var s = 'China tariffs';</script><style>p{}</style></body></html>"
                .to_vec(),
            Expect::Rejected(None, "no article text"),
        ),
        (
            "unterminated.sgm",
            sgml_unterminated,
            Expect::Rejected(Some(2), "has no closing </REUTERS>"),
        ),
        (
            "bad-date.md",
            b"---\ntitle: Bad date\ndate: the day after tomorrow\n---\nChina raised tariffs.\n"
                .to_vec(),
            Expect::Warning("is not a date form newstrack reads"),
        ),
        (
            "future.md",
            b"---\ntitle: Future\ndate: 2999-01-01\n---\nBeijing raised tariffs again.\n".to_vec(),
            Expect::Warning("lies in the future"),
        ),
        (
            "future.jsonl",
            b"{\"id\":\"f\",\"date\":\"2999-01-01\",\"text\":\"Beijing raised tariffs again.\"}\n"
                .to_vec(),
            Expect::Warning("lies in the future"),
        ),
        (
            "crlf.txt",
            b"CRLF story\r\n\r\nChina raised tariffs.\r\nThe US answered with tariffs.\r\n".to_vec(),
            Expect::Clean(2),
        ),
        (
            "cr.txt",
            b"CR story\r\rChina raised tariffs.\rThe US answered with tariffs.\r".to_vec(),
            Expect::Clean(2),
        ),
        (
            "crlf.jsonl",
            b"{\"text\":\"China raised tariffs.\"}\r\n{\"text\":\"The US cut tariffs.\"}\r\n".to_vec(),
            Expect::Clean(1),
        ),
        (
            "nul.txt",
            b"NUL story\n\nChina\0 raised tariffs.\0\n".to_vec(),
            Expect::Clean(1),
        ),
        (
            "all-nul.txt",
            vec![0u8; 4096],
            Expect::Failed("binary data"),
        ),
    ];
    let mut errors = Vec::new();
    for (name, content, expect) in &cases {
        if let Err(e) = check(name, content, *expect, &[]) {
            errors.push(e);
        }
    }
    assert!(errors.is_empty(), "{}", errors.join("\n\n"));
}

#[test]
fn clean_line_endings_keep_offsets_and_sentences() {
    // CRLF and CR-only files: the title has no stray \r, mentions slice the file's bytes and
    // sentences end at the line breaks.
    let env = TestEnv::new();
    env.write("p.toml", PIPE);
    for (name, text) in [
        (
            "crlf.txt",
            "CRLF story\r\n\r\nChina raised tariffs.\r\nThe US answered.\r\n",
        ),
        (
            "cr.txt",
            "CR story\r\rChina raised tariffs.\rThe US answered.\r",
        ),
    ] {
        env.write(&format!("in/{name}"), text);
        let o = env.run_in(
            env.dir.path(),
            &["tag", "-p", "p.toml", "-f", "jsonl", &format!("in/{name}")],
        );
        assert_code(&o, 0);
        let lines: Vec<Value> = stdout(&o)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 3, "{name}: {}", stdout(&o));
        for m in &lines {
            let (s, e) = (
                m["start"].as_u64().unwrap() as usize,
                m["end"].as_u64().unwrap() as usize,
            );
            assert_eq!(&text[s..e], m["text"].as_str().unwrap(), "{name}");
        }
        // "China … tariffs" share a sentence; "US" is in the next one.
        assert_eq!(lines[0]["sentence"], lines[1]["sentence"], "{name}");
        assert_ne!(lines[1]["sentence"], lines[2]["sentence"], "{name}");
    }
}

#[test]
fn extremely_long_words_and_lines() {
    let env = TestEnv::new();
    let word = "x".repeat(2_000_000);
    env.write(
        "in/long-word.txt",
        format!("Long word\n\n{word} China raised tariffs.\n"),
    );
    env.write(
        "in/long-line.txt",
        format!(
            "Long line\n\n{}\n",
            "China raised tariffs. ".repeat(100_000)
        ),
    );
    let r = run_dir(&env, &[]);
    assert!(
        r.documents
            .contains("in/long-word.txt,in/long-word.txt,,none,Long word,tariffs,1"),
        "{}",
        r.documents
    );
    assert!(
        r.documents
            .contains("in/long-line.txt,in/long-line.txt,,none,Long line,tariffs,100000"),
        "{}",
        r.documents
    );
}

#[test]
fn documents_over_the_limit_are_reported_not_read() {
    let env = TestEnv::new();
    // A 50 MB single JSONL line between two good ones, and a text file over a lowered limit.
    let mut feed = String::from(
        "{\"id\":\"a\",\"text\":\"China raised tariffs.\"}\n{\"id\":\"huge\",\"text\":\"",
    );
    feed.push_str(&"China tariffs. ".repeat(50_000_000 / 15));
    feed.push_str("\"}\n{\"id\":\"c\",\"text\":\"The US answered with tariffs.\"}\n");
    env.write("in/feed.jsonl", &feed);
    drop(feed);
    let r = run_dir(&env, &[]);
    let rej = entry(
        &r.summary["rejected"],
        "in/feed.jsonl",
        "reason",
        "over the 20 MB document limit",
    )
    .unwrap_or_else(|| panic!("{:#}", r.summary));
    assert_eq!(rej["record"], 2);
    assert!(
        r.stderr
            .contains("in/feed.jsonl (record 2): line 2: record is 50.0 MB"),
        "{}",
        r.stderr
    );
    assert_eq!(
        r.summary["articles"]["counted"], 3,
        "a, c and the good article"
    );

    std::fs::remove_file(env.path("in/feed.jsonl")).unwrap();
    env.write(
        "in/long.txt",
        format!("Long\n\n{}", "China tariffs. ".repeat(1000)),
    );
    let r = run_dir(&env, &["--max-doc-bytes", "10000"]);
    assert!(
        entry(
            &r.summary["failed"],
            "in/long.txt",
            "reason",
            "file is 15.0 kB, over the 10 kB document limit"
        )
        .is_some(),
        "{:#}",
        r.summary
    );
    assert!(r.stderr.contains("in/long.txt"), "{}", r.stderr);
}

#[cfg(unix)]
#[test]
fn symlink_loops_and_dangling_links() {
    let env = TestEnv::new();
    std::fs::create_dir_all(env.path("in/sub")).unwrap();
    std::os::unix::fs::symlink(env.path("in"), env.path("in/sub/loop")).unwrap();
    std::os::unix::fs::symlink(env.path("in/gone.txt"), env.path("in/dangling.txt")).unwrap();
    let r = run_dir(&env, &[]);
    assert!(
        entry(
            &r.summary["failed"],
            "in/sub/loop",
            "reason",
            "symlink loop"
        )
        .is_some(),
        "{:#}",
        r.summary
    );
    assert!(
        entry(
            &r.summary["failed"],
            "in/dangling.txt",
            "reason",
            "No such file"
        )
        .is_some(),
        "{:#}",
        r.summary
    );
    assert!(r.stderr.contains("in/sub/loop") && r.stderr.contains("in/dangling.txt"));
}

#[cfg(unix)]
#[test]
fn unreadable_files_are_failed_with_the_reason() {
    use std::os::unix::fs::PermissionsExt;
    let env = TestEnv::new();
    let p = env.write("in/secret.txt", "Secret\n\nChina raised tariffs.\n");
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::read(&p).is_ok() {
        // Root (as in CI) reads a mode-000 file anyway; permissions cannot be tested here.
        eprintln!("skipping the permission case: this user reads mode-000 files (root)");
        return;
    }
    let r = run_dir(&env, &[]);
    assert!(
        entry(
            &r.summary["failed"],
            "in/secret.txt",
            "reason",
            "check its permissions"
        )
        .is_some(),
        "{:#}",
        r.summary
    );
    assert!(r.stderr.contains("in/secret.txt"));
}

#[test]
fn a_folder_of_100_000_tiny_files() {
    let env = TestEnv::new();
    env.write("p.toml", PIPE);
    let n = 100_000;
    for d in 0..100 {
        std::fs::create_dir_all(env.path(&format!("in/{d:02}"))).unwrap();
    }
    for i in 0..n {
        let body = if i % 10 == 0 {
            "China raised tariffs."
        } else {
            "Nothing here."
        };
        std::fs::write(
            env.path(&format!("in/{:02}/{i:06}.txt", i % 100)),
            format!("Note {i}\n\n{body} {i}\n"),
        )
        .unwrap();
    }
    let o = env.run_in(
        env.dir.path(),
        &["run", "-q", "--no-state", "-p", "p.toml", "-o", "out", "in"],
    );
    assert_code(&o, 0);
    let s: Value = serde_json::from_str(&env.read("out/summary.json")).unwrap();
    assert_eq!(s["files"]["seen"], n);
    assert_eq!(s["files"]["read"], n);
    assert_eq!(s["articles"]["counted"], n);
    assert_eq!(s["articles"]["with_mentions"], n / 10);
    assert_eq!(s["accounting_balanced"], true);
}

#[test]
fn files_vanishing_or_changing_during_the_run_are_accounted_for() {
    // A second thread deletes and rewrites files while the run reads them. Timing decides
    // which files it catches, so the checks are the invariants: the run completes, every file
    // is counted, failed as vanished, or absent (deleted before the walk), and a file read
    // while it changed carries a warning.
    let env = TestEnv::new();
    env.write("p.toml", PIPE);
    let n = 3000;
    for i in 0..n {
        env.write(
            &format!("in/f{i:05}.txt"),
            format!("Note {i}\n\nChina raised tariffs {i}.\n"),
        );
    }
    let dir = env.path("in");
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stop2 = stop.clone();
    let churn = std::thread::spawn(move || {
        let mut i = n - 1;
        while !stop2.load(std::sync::atomic::Ordering::Relaxed) && i > 0 {
            let p = dir.join(format!("f{i:05}.txt"));
            if i % 2 == 0 {
                let _ = std::fs::remove_file(&p);
            } else {
                let _ = std::fs::write(
                    &p,
                    format!("Rewritten {i}\n\n{}\n", "US tariffs. ".repeat(i % 50)),
                );
            }
            i -= 1;
            std::thread::sleep(std::time::Duration::from_micros(200));
        }
    });
    let o = env.run_in(
        env.dir.path(),
        &[
            "run",
            "-q",
            "-j",
            "1",
            "--no-state",
            "-p",
            "p.toml",
            "-o",
            "out",
            "in",
        ],
    );
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    churn.join().unwrap();
    assert_code(&o, 0);
    let s: Value = serde_json::from_str(&env.read("out/summary.json")).unwrap();
    assert_eq!(s["accounting_balanced"], true, "{s:#}");
    let seen = s["files"]["seen"].as_u64().unwrap();
    let read = s["files"]["read"].as_u64().unwrap();
    let failed = s["failed"].as_array().unwrap();
    assert_eq!(seen, read + failed.len() as u64);
    for f in failed {
        let reason = f["reason"].as_str().unwrap();
        assert!(
            reason.contains("vanished") || reason.contains("No such file"),
            "{f}"
        );
    }
    for w in s["warnings"].as_array().unwrap() {
        assert!(
            w["message"]
                .as_str()
                .unwrap()
                .contains("changed while it was being read"),
            "{w}"
        );
    }
}

#[test]
fn include_and_exclude_globs_skip_with_the_reason() {
    let env = TestEnv::new();
    env.write(
        "p.toml",
        PIPE.replacen(
            "name = \"t\"\n",
            "name = \"t\"\nexclude = [\"*.tmp.txt\", \"drafts/**\"]\n",
            1,
        ),
    );
    env.write("in/2025-06-02-good.txt", GOOD);
    env.write("in/x.tmp.txt", "Temp\n\nChina tariffs.\n");
    env.write("in/drafts/d.txt", "Draft\n\nChina tariffs.\n");
    let o = env.run_in(
        env.dir.path(),
        &["run", "--no-state", "-p", "p.toml", "-o", "out", "in"],
    );
    assert_code(&o, 0);
    let s: Value = serde_json::from_str(&env.read("out/summary.json")).unwrap();
    assert_eq!(s["files"]["read"], 1, "{s:#}");
    assert_eq!(s["files"]["skipped"], 2, "{s:#}");
    assert!(
        entry(
            &s["skipped"],
            "in/x.tmp.txt",
            "reason",
            "exclude glob \"*.tmp.txt\""
        )
        .is_some(),
        "{s:#}"
    );
    assert!(
        entry(
            &s["skipped"],
            "in/drafts/d.txt",
            "reason",
            "exclude glob \"drafts/**\""
        )
        .is_some(),
        "{s:#}"
    );
    assert_eq!(s["accounting_balanced"], true);
}
