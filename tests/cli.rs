//! The CLI end to end on temporary folders: every ingest format, exit codes, report files,
//! thread-count determinism and the accounting of every input.

mod common;

use common::*;
use serde_json::Value;

fn jsonl(o: &std::process::Output) -> Vec<Value> {
    stdout(o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line {l:?}: {e}")))
        .collect()
}

fn summary(env: &TestEnv, out: &str) -> Value {
    serde_json::from_str(&env.read(&format!("{out}/summary.json"))).expect("summary.json")
}

/// One article per format, each with one tariff and one China mention.
fn write_formats(env: &TestEnv) {
    env.write(
        "in/a/2025-06-02-plain.txt",
        "Tariffs rise\n\nChina answered the tariffs.\n",
    );
    env.write("in/a/note.md", "---\ntitle: \"Front matter\"\ndate: 2025-06-03\nsource: Wire\n---\n# Heading\n\nBeijing weighs a tariff on US goods.\n");
    env.write("in/b/one.json", r#"{"id": "j1", "headline": "JSON", "published": "2025-06-04T10:00:00Z", "body": "China and the United States discuss tariffs."}"#);
    env.write(
        "in/b/many.jsonl",
        "{\"id\":\"l1\",\"title\":\"L1\",\"date\":\"2025-06-05\",\"text\":\"Bessent said tariffs stay.\"}\n{not json}\n{\"id\":\"l3\",\"date\":\"2025-06-06\",\"content\":\"China buys rare earths.\"}\n",
    );
    env.write(
        "in/c/page.html",
        r#"<html><head><title>Page</title><meta property="article:published_time" content="2025-06-09T08:00:00Z"></head>
<body><nav>Menu China</nav><article><h1>Page</h1><p>US tariffs on China.</p><script>var china = 1;</script></article></body></html>"#,
    );
    env.write(
        "in/c/wire.sgm",
        "<!DOCTYPE lewis SYSTEM \"lewis.dtd\">\n<REUTERS TOPICS=\"YES\" NEWID=\"7\">\n<DATE>10-JUN-2025 09:12:44.02</DATE>\n<TOPICS><D>trade</D></TOPICS>\n<PLACES><D>china</D></PLACES>\n<PEOPLE></PEOPLE>\n<ORGS></ORGS>\n<EXCHANGES></EXCHANGES>\n<COMPANIES></COMPANIES>\n<TEXT>&#2;\n<TITLE>CHINA &lt;TARIFF&gt; NEWS</TITLE>\n<DATELINE>    BEIJING, June 10 - </DATELINE><BODY>China &amp; partners cut tariffs.\n Reuter\n&#3;</BODY></TEXT>\n</REUTERS>\n",
    );
    env.write("in/c/image.png", [0x89u8, b'P', b'N', b'G', 0, 1, 2]);
}

#[test]
fn every_format_is_read_and_every_input_accounted_for() {
    let env = TestEnv::new();
    let pipe = env.write("p.toml", PIPE);
    write_formats(&env);
    let out = env.path("out");
    let o = env.run(&[
        "run",
        "-q",
        "-p",
        pipe.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        env.path("in").to_str().unwrap(),
    ]);
    assert_code(&o, 0);
    let s = summary(&env, "out");
    assert_eq!(s["files"]["seen"], 7, "{s:#}");
    assert_eq!(s["files"]["read"], 6);
    assert_eq!(s["files"]["skipped"], 1, "the PNG is skipped with a reason");
    assert_eq!(s["records"]["read"], 8);
    assert_eq!(s["records"]["rejected"], 1, "the bad JSONL line");
    assert_eq!(s["articles"]["counted"], 7);
    assert_eq!(s["accounting_balanced"], true);
    let rejected = &s["rejected"][0];
    assert_eq!(
        rejected["record"], 2,
        "line number of the bad JSONL line: {s:#}"
    );
    assert!(rejected["path"].as_str().unwrap().ends_with("many.jsonl"));
    let docs = env.read("out/documents.csv");
    for (doc, date, source) in [
        ("2025-06-02-plain.txt", "2025-06-02", "filename"),
        ("note.md", "2025-06-03", "metadata"),
        ("j1", "2025-06-04", "metadata"),
        ("l3", "2025-06-06", "metadata"),
        ("page.html", "2025-06-09", "metadata"),
        ("wire.sgm#7", "2025-06-10", "metadata"),
    ] {
        assert!(
            docs.lines()
                .any(|l| l.contains(doc) && l.contains(&format!(",{date},{source},"))),
            "{doc} dated {date} from {source} in documents.csv:\n{docs}"
        );
    }
    let report = env.read("out/report.md");
    assert!(
        report.contains("## Run summary") && report.contains("## Evidence"),
        "{report}"
    );
    // The inputs that need a look are listed with file, record and reason.
    assert!(report.contains("### Rejected records (1)"), "{report}");
    assert!(
        report.contains("many.jsonl (record 2)`: line 2: invalid JSON"),
        "{report}"
    );
    assert!(report.contains("### Skipped files (1)"), "{report}");
    let html = env.read("out/report.html");
    assert!(
        html.contains("many.jsonl (record 2): line 2: invalid JSON"),
        "problems in the HTML report"
    );
    let trends = env.read("out/trends.csv");
    assert!(trends.starts_with("period,entity,kind,mentions,documents\n"));
    assert!(trends.contains("2025-W24,china,actor,"), "{trends}");
}

#[test]
fn tag_jsonl_offsets_point_at_the_matched_text() {
    let env = TestEnv::new();
    let pipe = env.write("p.toml", PIPE);
    write_formats(&env);
    let o = env.run(&[
        "tag",
        "-p",
        pipe.to_str().unwrap(),
        "-f",
        "jsonl",
        env.path("in").to_str().unwrap(),
    ]);
    assert_code(&o, 0);
    let lines = jsonl(&o);
    assert!(lines.len() >= 12, "{}", stdout(&o));
    for l in &lines {
        for key in [
            "doc", "path", "entity", "kind", "start", "end", "text", "sentence",
        ] {
            assert!(l.get(key).is_some(), "missing {key} in {l}");
        }
    }
    // For .txt files offsets are file offsets.
    let txt = env.read("in/a/2025-06-02-plain.txt");
    for l in lines
        .iter()
        .filter(|l| l["path"].as_str().unwrap().ends_with(".txt"))
    {
        let (s, e) = (
            l["start"].as_u64().unwrap() as usize,
            l["end"].as_u64().unwrap() as usize,
        );
        assert_eq!(&txt[s..e], l["text"].as_str().unwrap());
    }
    // HTML: scripts and navigation are not article text.
    let html: Vec<&Value> = lines
        .iter()
        .filter(|l| l["path"].as_str().unwrap().ends_with(".html"))
        .collect();
    assert_eq!(
        html.iter().filter(|l| l["entity"] == "china").count(),
        1,
        "{html:?}"
    );
    // SGML: entity-encoded text still matches, offsets into the original record text.
    assert!(lines
        .iter()
        .any(|l| l["doc"].as_str().unwrap().ends_with("wire.sgm#7")
            && l["entity"] == "tariffs"
            && l["text"] == "TARIFF"));
    // Text format: a readable listing with sentences.
    let o = env.run(&[
        "tag",
        "-p",
        pipe.to_str().unwrap(),
        env.path("in/a").to_str().unwrap(),
    ]);
    let text = stdout(&o);
    assert!(text.contains("> China answered the [tariffs]."), "{text}");
}

#[test]
fn output_is_identical_for_one_and_two_threads() {
    let env = TestEnv::new();
    let pipe = env.write("p.toml", PIPE);
    // Enough files for several batches, with duplicates across batches.
    for i in 0..150 {
        let day = 1 + i % 28;
        let body = match i % 5 {
            0 => "China raised tariffs again.".to_string(),
            1 => format!("Bessent met China's envoy on day {i}; rare earths and tariffs."),
            2 => format!("The United States and US allies, story {i}."),
            3 => format!("Nothing relevant here, number {i}."),
            _ => format!("Beijing said rare-earth exports {i} resume."),
        };
        // Every fifth story is the same wire copy filed again: exact duplicates.
        let text = if i % 5 == 0 {
            format!("{body}\n")
        } else {
            format!("Story {i}\n\n{body}\n")
        };
        env.write(&format!("in/{:02}/2025-07-{day:02}-{i}.txt", i % 7), text);
    }
    let input = env.path("in");
    let mut outs = Vec::new();
    for t in ["1", "2"] {
        let out = env.path(&format!("out{t}"));
        let o = env.run(&[
            "run",
            "-q",
            "-p",
            pipe.to_str().unwrap(),
            "--threads",
            t,
            "-o",
            out.to_str().unwrap(),
            input.to_str().unwrap(),
        ]);
        assert_code(&o, 0);
        outs.push(out);
    }
    for f in [
        "report.md",
        "report.html",
        "trends.csv",
        "documents.csv",
        "periods.csv",
        "summary.json",
        "trends.json",
    ] {
        let a = std::fs::read_to_string(outs[0].join(f)).unwrap();
        let b = std::fs::read_to_string(outs[1].join(f)).unwrap();
        assert_same_text(f, &a, &b);
    }
    let s = summary(&env, "out1");
    assert!(
        s["articles"]["duplicates"].as_u64().unwrap() > 0,
        "the repeated text is a duplicate"
    );
    assert_eq!(s["accounting_balanced"], true);
}

#[test]
fn check_reports_every_error_and_exits_2() {
    let env = TestEnv::new();
    let bad = env.write(
        "bad.toml",
        "[pipeline]\nname = \"x\"\nperiod = \"year\"\n\n[[topic]]\nid = \"t\"\nterms = []\n\n[[actor]]\nid = \"a\"\nkind = \"person\"\ngroup = \"nobody\"\nterms = [\"x\"]\ncolour = 1\n",
    );
    let o = env.run(&["check", "-p", bad.to_str().unwrap()]);
    assert_code(&o, 2);
    let err = stderr(&o);
    for want in [
        ":3:10: [pipeline]: key `period` = \"year\"",
        ":7:9:",
        "key `terms`",
        ":12:9:",
        "key `group` = \"nobody\"",
        ":14:1:",
        "key `colour`",
        "4 errors",
    ] {
        assert!(err.contains(want), "missing {want:?} in:\n{err}");
    }
    // run and tag validate first and do no work.
    let out = env.path("never");
    let o = env.run(&[
        "run",
        "-p",
        bad.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "corpus",
    ]);
    assert_code(&o, 2);
    assert!(!out.exists());
    let o = env.run(&["tag", "-p", bad.to_str().unwrap(), "corpus"]);
    assert_code(&o, 2);
    // A good pipeline passes.
    let o = env.run(&["check"]);
    assert_code(&o, 0);
    assert!(stdout(&o).contains("ok"));
}

#[test]
fn exit_codes_for_arguments_and_strict() {
    let env = TestEnv::new();
    let pipe = env.write("p.toml", PIPE);
    let o = env.run(&[
        "run",
        "-p",
        pipe.to_str().unwrap(),
        env.path("missing").to_str().unwrap(),
    ]);
    assert_code(&o, 2);
    assert!(stderr(&o).contains("does not exist"));
    let o = env.run(&["run", "--period", "year"]);
    assert_code(&o, 2);
    env.write("in/ok.txt", "China tariffs.\n");
    env.write("in/bad.jsonl", "{oops\n");
    let out = env.path("out");
    let input = env.path("in");
    let args = [
        "run",
        "-p",
        pipe.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        input.to_str().unwrap(),
    ];
    let o = env.run(&args);
    assert_code(&o, 0);
    assert!(
        stderr(&o).contains("bad.jsonl (record 1)"),
        "problems named on stderr: {}",
        stderr(&o)
    );
    let mut strict = args.to_vec();
    strict.push("--strict");
    let o = env.run(&strict);
    assert_code(&o, 1);
    assert!(
        out.join("report.md").exists(),
        "the report is still written under --strict"
    );
}

#[test]
fn default_run_writes_reports_for_the_bundled_corpus() {
    let env = TestEnv::new();
    // Default pipeline and corpus, resolved from the project root, written to a temp out.
    let out = env.path("out");
    let o = env.run(&["run", "-q", "-o", out.to_str().unwrap()]);
    assert_code(&o, 0);
    let s = summary(&env, "out");
    assert_eq!(s["articles"]["counted"], 1);
    assert_eq!(s["pipeline"]["name"], "rare-earths");
    // One article, one week: the week is named, never counted as "1 weeks".
    let md = env.read("out/report.md");
    assert!(md.contains("1 week, 2025-W24, 1 with articles."), "{md}");
    let html = env.read("out/report.html");
    assert!(html.contains("(hash ") && html.contains(", 1 week, articles dated"));
    assert!(!md.contains("1 weeks") && !html.contains("1 weeks"));
    let o = env.run(&[
        "run",
        "--period",
        "month",
        "-q",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_code(&o, 0);
    assert!(env
        .read("out/trends.csv")
        .contains("2025-06,rare-earths,topic,"));
}

/// An I/O failure is told once: the message names the path, the OS reason and the way out,
/// and the reason is not repeated after it (errors carry their cause in the message).
#[test]
fn io_errors_name_their_cause_once() {
    let env = TestEnv::new();
    let pipe = env.write("p.toml", PIPE);
    env.write("in/ok.txt", "China tariffs.\n");
    let blocker = env.write("blocker", "a file, not a folder");
    let input = env.path("in");
    // (what is in the way, extra arguments, words the message must hold)
    let cases: [(&str, Vec<String>, &str); 2] = [
        (
            "state",
            vec![
                "--state".into(),
                blocker.join("x.db").display().to_string(),
                "-o".into(),
                env.path("out1").display().to_string(),
            ],
            "--state",
        ),
        (
            "out",
            vec![
                "--no-state".into(),
                "-o".into(),
                blocker.join("sub").display().to_string(),
            ],
            "--out",
        ),
    ];
    for (what, extra, hint) in cases {
        let mut args = vec!["run", "-q", "-p", pipe.to_str().unwrap()];
        args.extend(extra.iter().map(String::as_str));
        args.push(input.to_str().unwrap());
        let o = env.run(&args);
        assert_code(&o, 1);
        let err = stderr(&o);
        assert!(err.contains("blocker"), "{what}: names the path: {err}");
        assert!(err.contains(hint), "{what}: says how to fix it: {err}");
        assert_eq!(
            err.matches("os error").count(),
            1,
            "{what}: cause once: {err}"
        );
    }
}
