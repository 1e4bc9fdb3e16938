//! Spilled document rows: with a tiny in-memory budget (`NEWSTRACK_SPILL_BYTES`) every
//! document row goes through sorted runs on disk and a k-way merge. Reports must be
//! byte-identical to a run that keeps them in memory, for any thread count, chunk size and
//! with the incremental state; the temporary folder must be gone afterwards, on success and
//! on failure, and a failure to write it must say what to do.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::*;

/// (out folder, NEWSTRACK_SPILL_BYTES, NEWSTRACK_CHUNK_BYTES, threads, keep state)
type Case = (
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
    &'static str,
    bool,
);

fn run(env: &TestEnv, case: &Case) -> Output {
    let (out, spill, chunk, threads, state) = *case;
    let (p, out, input) = (env.path("p.toml"), env.path(out), env.path("in"));
    let mut args = vec![
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
    if !state {
        args.push("--no-state");
    }
    let mut vars = Vec::new();
    if let Some(s) = spill {
        vars.push(("NEWSTRACK_SPILL_BYTES", s));
    }
    if let Some(c) = chunk {
        vars.push(("NEWSTRACK_CHUNK_BYTES", c));
    }
    env.command(&args, &vars).output().expect("run newstrack")
}

/// A corpus where row order is easy to get wrong: ids shared by different texts in one file
/// and across files, exact duplicates far apart, undated records, rows without mentions,
/// titles with commas and quotes, and several files of several formats.
fn corpus(env: &TestEnv) {
    let mut big = String::new();
    for i in 0..3000u32 {
        let day = 1 + i % 28;
        let line = match i % 7 {
            0 => format!(r#"{{"date":"2025-06-{day:02}","text":"China raised tariffs again."}}"#),
            1 => format!(
                r#"{{"id":"shared-{}","date":"2025-06-{day:02}","title":"T \"{i}\", x","text":"Beijing and the US on rare earths, item {i}."}}"#,
                i % 5
            ),
            2 => format!(r#"{{"text":"Undated note {i} on tariffs in China."}}"#),
            3 => format!(r#"{{"id":"z{i}","date":"2025-06-{day:02}","text":"Plain story {i}."}}"#),
            4 => format!(
                r#"{{"id":"shared-{}","date":"2025-05-{day:02}","text":"Scott Bessent spoke, note {i}."}}"#,
                i % 3
            ),
            _ => format!(r#"{{"date":"2025-06-{day:02}","text":"United States story {i}."}}"#),
        };
        big.push_str(&line);
        big.push('\n');
    }
    env.write("in/a-big.jsonl", &big);
    env.write(
        "in/b.jsonl",
        "{\"id\":\"shared-1\",\"text\":\"China again, rare earth.\"}\n",
    );
    for i in 0..40 {
        env.write(
            &format!("in/notes/2025-06-{:02}-n{i}.txt", 1 + i % 28),
            format!("Note {i}: Bessent and Beijing talk tariffs.\n"),
        );
    }
}

fn leftovers(out: &Path) -> Vec<String> {
    std::fs::read_dir(out)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".newstrack-spill"))
        .collect()
}

#[test]
fn spilled_rows_give_the_same_reports_as_rows_in_memory() {
    let env = TestEnv::new();
    env.write("p.toml", PIPE);
    corpus(&env);
    let cases: [Case; 6] = [
        ("memory", None, None, "1", false),
        ("spill-1", Some("1"), None, "1", false),
        ("spill-2", Some("700"), None, "2", false),
        ("spill-chunks", Some("1"), Some("4096"), "2", false),
        ("state-memory", None, None, "2", true),
        ("state-spill", Some("1"), Some("8192"), "2", true),
    ];
    for case in &cases {
        assert_code(&run(&env, case), 0);
        let out = env.path(case.0);
        assert_eq!(leftovers(&out), Vec::<String>::new(), "{}", case.0);
    }
    let docs = env.read("memory/documents.csv");
    // Every counted document has a row: the spill path has something to get wrong.
    assert!(docs.lines().count() > 2000, "{} rows", docs.lines().count());
    assert!(docs.contains("shared-1"));
    let no_state = [
        "report.md",
        "report.html",
        "trends.csv",
        "documents.csv",
        "summary.json",
    ];
    for (out, ..) in &cases[1..4] {
        for f in no_state {
            let want = env.read(&format!("memory/{f}"));
            assert_same_text(
                &format!("{out}/{f}"),
                &want,
                &env.read(&format!("{out}/{f}")),
            );
        }
    }
    // With the state, the reports also say what was reused; documents.csv is the same.
    for f in ["report.md", "trends.csv", "documents.csv", "summary.json"] {
        let want = env.read(&format!("state-memory/{f}"));
        let got = env.read(&format!("state-spill/{f}"));
        assert_same_text(&format!("state-spill/{f}"), &want, &got);
    }
    assert_same_text("state-spill", &docs, &env.read("state-spill/documents.csv"));
    // A second run reuses every stored result, folds them through the spill path again.
    let again: Case = ("state-spill", Some("1"), None, "1", true);
    assert_code(&run(&env, &again), 0);
    assert_same_text("rerun", &docs, &env.read("state-spill/documents.csv"));
    assert_eq!(leftovers(&env.path("state-spill")), Vec::<String>::new());
}

#[test]
fn a_folder_left_by_a_killed_run_is_removed_by_the_next_run() {
    let env = TestEnv::new();
    env.write("p.toml", PIPE);
    corpus(&env);
    // What kill -9 leaves: a spill folder whose lock nobody holds.
    env.write("out/.newstrack-spill-4000000-3/lock", "");
    env.write("out/.newstrack-spill-4000000-3/rows-0.bin", "old rows");
    assert_code(&run(&env, &("out", Some("1"), None, "2", false)), 0);
    assert_eq!(leftovers(&env.path("out")), Vec::<String>::new());
}

#[test]
fn an_out_folder_that_cannot_hold_temporary_files_is_refused_with_a_fix() {
    let env = TestEnv::new();
    env.write("p.toml", PIPE);
    corpus(&env);
    env.write("file", "not a folder");
    let o = run(&env, &("file/out", None, None, "1", false));
    assert_code(&o, 1);
    let err = stderr(&o);
    assert!(
        err.contains("cannot create a folder for temporary files in")
            && err.contains("file/out")
            && err.contains("choose another --out"),
        "{err}"
    );
}

#[test]
fn a_temporary_file_that_cannot_be_written_stops_the_run_and_says_why() {
    if !Path::new("/bin/sh").exists() {
        eprintln!("skipping: no /bin/sh to limit the file size with");
        return;
    }
    let env = TestEnv::new();
    env.write("p.toml", PIPE);
    corpus(&env);
    // A file size limit of 16 KB, with SIGXFSZ ignored so writes fail with EFBIG instead
    // of killing the process: the first sorted run larger than that cannot be written.
    let script = format!(
        "trap '' XFSZ; ulimit -f 32; exec '{}' run -q --no-state --threads 2 -p '{}' -o '{}' '{}'",
        env!("CARGO_BIN_EXE_newstrack"),
        env.path("p.toml").display(),
        env.path("out").display(),
        env.path("in").display()
    );
    let o = Command::new("/bin/sh")
        .args(["-c", &script])
        .env("NEWSTRACK_SPILL_BYTES", "200000")
        .output()
        .expect("run sh");
    assert_code(&o, 1);
    let err = stderr(&o);
    assert!(
        err.contains("cannot write temporary file")
            && err.contains(".newstrack-spill-")
            && err.contains("free space on that disk, or choose an --out on a disk with room"),
        "{err}"
    );
    assert_eq!(leftovers(&env.path("out")), Vec::<String>::new());
    assert!(
        !env.path("out/documents.csv").exists(),
        "no report from a failed run"
    );
}
