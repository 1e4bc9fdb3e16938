//! Streaming ingest: a large JSONL file is split into chunks of lines that threads process in
//! parallel. Reports must be byte-identical whatever the chunk size and the thread count, and
//! line numbers, rejections and the empty-file rule must be those of whole-file reading.

mod common;

use std::process::Output;

use common::*;
use serde_json::Value;

fn run(env: &TestEnv, chunk: Option<&str>, threads: &str, out: &str, input: &str) -> Output {
    let (p, out, input) = (env.path("p.toml"), env.path(out), env.path(input));
    let args = [
        "run",
        "-q",
        "-p",
        p.to_str().unwrap(),
        "--threads",
        threads,
        "-o",
        out.to_str().unwrap(),
        input.to_str().unwrap(),
    ];
    let vars: Vec<(&str, &str)> = chunk
        .map(|c| ("NEWSTRACK_CHUNK_BYTES", c))
        .into_iter()
        .collect();
    env.command(&args, &vars).output().expect("run newstrack")
}

/// A JSONL file of about 700 KB with everything a line can be: BOM, CRLF, blank lines, bad
/// JSON, invalid UTF-8, a line longer than a chunk, duplicates far apart, undated records.
fn big_jsonl() -> Vec<u8> {
    let mut f = b"\xEF\xBB\xBF".to_vec();
    for i in 0..4000u32 {
        let day = 1 + i % 28;
        let line = match i % 9 {
            0 => format!(r#"{{"date":"2025-06-{day:02}","text":"China raised tariffs again."}}"#),
            1 => format!(
                r#"{{"id":"a{i}","date":"2025-06-{day:02}","text":"Beijing and the US on rare earths, item {i}.\nUS tariffs."}}"#
            ),
            2 => format!(r#"{{"text":"Undated note {i} on neodymium in China."}}"#),
            3 => String::new(),
            4 if i % 500 == 4 => "{not json".to_string(),
            5 if i % 700 == 5 => format!(
                r#"{{"date":"2025-06-{day:02}","text":"{} tariffs"}}"#,
                "long words ".repeat(1200)
            ),
            6 => format!(r#"{{"date":"2025-06-{day:02}","text":"United States story {i}."}}"#),
            _ => format!(
                r#"{{"date":"2025-06-{day:02}","title":"T{i}","text":"Plain story {i}, no match."}}"#
            ),
        };
        f.extend_from_slice(line.as_bytes());
        if i % 1000 == 7 {
            f.extend_from_slice(b"\xFF");
        }
        f.extend_from_slice(if i % 3 == 0 { b"\r\n" } else { b"\n" });
    }
    f
}

#[test]
fn chunked_jsonl_gives_the_same_reports_as_whole_files() {
    let env = TestEnv::new();
    env.write("p.toml", PIPE);
    env.write("in/big.jsonl", big_jsonl());
    env.write("in/small.jsonl", "{\"text\":\"China again.\"}\n");
    // Big, but nothing in it: rejected as an empty file whether chunked or not.
    env.write("in/blank.jsonl", " \n".repeat(20_000));
    let runs = [
        ("whole", Some("1000000000"), "1"),
        ("chunks-1", Some("4096"), "1"),
        ("chunks-2", Some("4096"), "2"),
        ("odd-2", Some("777"), "2"),
        ("default-2", None, "2"),
    ];
    for (out, chunk, threads) in runs {
        let o = run(&env, chunk, threads, out, "in");
        assert_code(&o, 0);
    }
    for (out, _, _) in &runs[1..] {
        for f in ["report.md", "trends.csv", "documents.csv", "summary.json"] {
            let want = env.read(&format!("whole/{f}"));
            let got = env.read(&format!("{out}/{f}"));
            assert_same_text(&format!("{out}/{f}"), &want, &got);
        }
    }
    let s: Value = serde_json::from_str(&env.read("chunks-2/summary.json")).unwrap();
    assert_eq!(s["accounting_balanced"], true);
    assert_eq!(s["files"]["read"], 3, "{:#}", s["files"]);
    // 4000 lines less the blank ones (i % 9 == 3), plus small.jsonl's line, plus blank.jsonl.
    let blank = (0..4000).filter(|i| i % 9 == 3).count() as u64;
    assert_eq!(s["records"]["read"], 4000 - blank + 1 + 1);
    let rejected = s["rejected"].as_array().unwrap();
    let reasons: Vec<String> = rejected
        .iter()
        .map(|r| format!("{} {}", r["record"], r["reason"]))
        .collect();
    // Bad JSON at i = 4, 1504, 2504, 3004 (i % 9 == 4 and i % 500 == 4) is line i + 1.
    for i in (0..4000).filter(|i| i % 9 == 4 && i % 500 == 4) {
        let n = i + 1;
        assert!(
            reasons
                .iter()
                .any(|r| r.starts_with(&format!("{n} \"line {n}: invalid JSON"))),
            "line {n} rejected with its number: {reasons:?}"
        );
    }
    assert!(
        rejected
            .iter()
            .any(|r| r["path"].as_str().unwrap().ends_with("blank.jsonl")
                && r["reason"] == "empty file"),
        "{reasons:?}"
    );
    assert!(s["articles"]["duplicates"].as_u64().unwrap() > 400);
}
