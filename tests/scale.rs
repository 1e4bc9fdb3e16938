//! `map` and `merge` end to end on the real binary: for any split of a JSON Lines corpus into
//! partitions (contiguous or scattered, any merge order, one partial per partition or per
//! document, merged in one step or in stages), map → merge writes the very bytes `run`
//! writes over the same file. Plus the refusals: partials of another pipeline or format
//! version, a line mapped twice, a damaged partial.

mod common;

use std::process::{Command, Output, Stdio};

use common::*;
use proptest::prelude::*;

const PIPELINE: &str = "pipelines/rare-earths.toml";

/// Texts chosen so that evidence lists overflow (many China and tariff sentences), and
/// pairs that are exact duplicates once normalised (case and spacing) but tag differently.
const TEXTS: &[&str] = &[
    "China and the United States met in London. Scott Bessent spoke about tariffs and rare earths.",
    "Beijing imposed export controls on rare earth magnets. Tariffs stay.",
    "BEIJING imposed   export controls on rare earth magnets. tariffs stay.",
    "Tariffs on Chinese goods rose again, the US said.",
    "Tariffs on Chinese goods rose again, the us said.",
    "A quiet day with nothing to report.",
    "China said rare earth exports would resume. The US welcomed it.",
    "Bessent and He Lifeng discussed tariffs. China wants relief on chips.",
    "Neodymium prices jumped as China tightened licences for rare earth magnets.",
    "The US Commerce Department added Chinese firms to the Entity List over rare earths.",
    "Tariff talks in Geneva: China and the US agreed a truce on tariffs.",
    "Rare earth magnets, rare earth oxides and tariffs dominated the week in Beijing.",
];

const DATES: &[&str] = &["2025-06-02", "2025-06-10", "2025-06-11", "2025-07-01"];

#[derive(Debug, Clone)]
enum Line {
    Article {
        text: usize,
        date: Option<usize>,
        /// A small id space so that two documents sometimes share an id.
        id: Option<u8>,
        title: bool,
    },
    Blank,
    BadJson,
    NotObject,
    NoText,
    BadUtf8,
}

fn line_strategy() -> impl Strategy<Value = Line> {
    prop_oneof![
        12 => (0..TEXTS.len(), proptest::option::of(0..DATES.len()), proptest::option::of(0u8..4), any::<bool>())
            .prop_map(|(text, date, id, title)| Line::Article { text, date, id, title }),
        1 => Just(Line::Blank),
        1 => Just(Line::BadJson),
        1 => Just(Line::NotObject),
        1 => Just(Line::NoText),
        1 => Just(Line::BadUtf8),
    ]
}

fn render(line: &Line, n: usize) -> Vec<u8> {
    match line {
        Line::Article {
            text,
            date,
            id,
            title,
        } => {
            let mut o = serde_json::Map::new();
            o.insert("text".into(), TEXTS[*text].into());
            if let Some(d) = date {
                o.insert("date".into(), DATES[*d].into());
            }
            if let Some(i) = id {
                o.insert("id".into(), format!("id-{i}").into());
            }
            if *title {
                o.insert("title".into(), format!("Title {n}").into());
            }
            serde_json::to_vec(&o).unwrap()
        }
        Line::Blank => b"   ".to_vec(),
        Line::BadJson => b"{\"text\": \"China\",".to_vec(),
        Line::NotObject => b"[\"China\", \"tariffs\"]".to_vec(),
        Line::NoText => b"{\"title\": \"China and tariffs\"}".to_vec(),
        Line::BadUtf8 => b"{\"text\": \"Caf\xe9 owners in Beijing fear tariffs.\"}".to_vec(),
    }
}

/// A JSON Lines corpus: the lines, with a BOM and CRLF endings now and then, as files hold.
fn corpus(lines: &[Line], bom: bool, crlf: bool) -> Vec<Vec<u8>> {
    lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let mut raw = Vec::new();
            if i == 0 && bom {
                raw.extend_from_slice(b"\xEF\xBB\xBF");
            }
            raw.extend(render(l, i + 1));
            if crlf {
                raw.push(b'\r');
            }
            raw
        })
        .collect()
}

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_newstrack"));
    c.current_dir(root()).env_remove("RUST_BACKTRACE");
    c
}

/// Runs the binary with `stdin` and returns its output.
fn piped(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = bin()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn newstrack");
    let mut input = child.stdin.take().unwrap();
    let data = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        use std::io::Write;
        let _ = input.write_all(&data);
    });
    let out = child.wait_with_output().expect("wait");
    writer.join().unwrap();
    out
}

/// `run` in the corpus's folder, so that it names the file as `--source` does; the
/// pipeline is copied there under the same relative path `merge` is given.
fn run_report(env: &TestEnv, file: &str, out: &str) -> Vec<(String, String)> {
    let o = bin()
        .args(["run", "-q", "-p", PIPELINE, "-o"])
        .arg(env.path(out))
        .arg(file)
        .current_dir(env.dir.path())
        .output()
        .unwrap();
    assert_code(&o, 0);
    report_files(env, out)
}

fn report_files(env: &TestEnv, out: &str) -> Vec<(String, String)> {
    [
        "report.md",
        "report.html",
        "trends.csv",
        "trends.json",
        "periods.csv",
        "documents.csv",
        "summary.json",
    ]
    .iter()
    .map(|f| (f.to_string(), env.read(&format!("{out}/{f}"))))
    .collect()
}

fn assert_same_reports(want: &[(String, String)], got: &[(String, String)], what: &str) {
    for ((name, w), (_, g)) in want.iter().zip(got) {
        assert_same_text(&format!("{what}: {name}"), w, g);
    }
}

/// Maps each partition (a list of line numbers) to a partial file, in the env's folder.
fn map_partitions(
    env: &TestEnv,
    lines: &[Vec<u8>],
    parts: &[Vec<usize>],
    file: &str,
    per_document: bool,
    numbered: bool,
) -> Vec<String> {
    let mut files = Vec::new();
    for (k, part) in parts.iter().enumerate() {
        let mut input = Vec::new();
        for &i in part {
            if numbered {
                input.extend(format!("{}\t", i + 1).as_bytes());
            }
            input.extend(&lines[i]);
            input.push(b'\n');
        }
        let mut args = vec!["map", "-q", "-p", PIPELINE, "--source", file, "-j", "2"];
        if numbered {
            args.push("--numbered");
        }
        if per_document {
            args.push("--per-document");
        }
        let o = piped(&args, &input);
        assert_code(&o, 0);
        let name = format!("part-{k:05}");
        env.write(&name, &o.stdout);
        files.push(env.path(&name).display().to_string());
    }
    files
}

fn merge(env: &TestEnv, files: &[String], out: &str) {
    let out = env.path(out).display().to_string();
    let mut args = vec!["merge", "-q", "-p", PIPELINE, "-o", &out];
    args.extend(files.iter().map(String::as_str));
    let o = bin().args(&args).output().unwrap();
    assert_code(&o, 0);
}

/// Merges `files` two by two with `merge --partial` until one partial is left.
fn merge_in_stages(env: &TestEnv, mut files: Vec<String>) -> Vec<String> {
    let mut round = 0;
    while files.len() > 1 {
        let mut next = Vec::new();
        for (i, pair) in files.chunks(2).enumerate() {
            let mut args = vec!["merge", "--partial", "-p", PIPELINE];
            args.extend(pair.iter().map(String::as_str));
            let o = bin().args(&args).output().unwrap();
            assert_code(&o, 0);
            let name = format!("stage-{round}-{i}");
            env.write(&name, &o.stdout);
            next.push(env.path(&name).display().to_string());
        }
        files = next;
        round += 1;
    }
    files
}

#[derive(Debug, Clone)]
struct Split {
    /// Partition of each line.
    assign: Vec<usize>,
    parts: usize,
    per_document: bool,
    staged: bool,
    /// Order the partial files are given to merge.
    order_seed: u64,
}

fn split_strategy(n: usize) -> impl Strategy<Value = Split> {
    (
        1usize..5,
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        any::<u64>(),
    )
        .prop_flat_map(
            move |(parts, contiguous, per_document, staged, order_seed)| {
                let assign = if contiguous {
                    // Cut points: partitions of consecutive lines, as Spark's textFile makes.
                    proptest::collection::vec(0..parts, n)
                        .prop_map(|mut v| {
                            v.sort();
                            v
                        })
                        .boxed()
                } else {
                    proptest::collection::vec(0..parts, n).boxed()
                };
                assign.prop_map(move |assign| Split {
                    assign,
                    parts,
                    per_document,
                    staged,
                    order_seed,
                })
            },
        )
}

fn case_strategy() -> impl Strategy<Value = (Vec<Line>, bool, bool, bool, Split)> {
    (
        proptest::collection::vec(line_strategy(), 0..36),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_flat_map(|(lines, bom, crlf, dated_name)| {
            let n = lines.len();
            (
                Just(lines),
                Just(bom),
                Just(crlf),
                Just(dated_name),
                split_strategy(n),
            )
        })
}

fn shuffle(files: &mut [String], seed: u64) {
    let mut s = seed | 1;
    for i in (1..files.len()).rev() {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        files.swap(i, (s % (i as u64 + 1)) as usize);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn map_merge_equals_run_for_any_split((lines, bom, crlf, dated_name, split) in case_strategy()) {
        let env = TestEnv::new();
        // A dated file name gives undated records the file's date, in run and in map alike.
        let file = if dated_name { "2025-06-09-wire.jsonl" } else { "corpus.jsonl" };
        let raw = corpus(&lines, bom, crlf);
        let mut bytes = Vec::new();
        for l in &raw {
            bytes.extend(l);
            bytes.push(b'\n');
        }
        env.write(file, &bytes);
        env.write(PIPELINE, std::fs::read(root().join(PIPELINE)).unwrap());
        let want = run_report(&env, file, "run");

        let mut parts: Vec<Vec<usize>> = vec![Vec::new(); split.parts];
        for (i, &p) in split.assign.iter().enumerate() {
            parts[p].push(i);
        }
        // One unsplit partition may go in without line numbers, as `cat file | map` does.
        let numbered = split.parts > 1 || split.staged;
        let mut files = map_partitions(&env, &raw, &parts, file, split.per_document, numbered);
        shuffle(&mut files, split.order_seed);
        if split.staged {
            files = merge_in_stages(&env, files);
        }
        merge(&env, &files, "merged");
        let got = report_files(&env, "merged");
        assert_same_reports(&want, &got, &format!("{split:?}"));
    }
}

fn map_stdin(args: &[&str], input: &str) -> Output {
    let mut all = vec!["map", "-p", PIPELINE];
    all.extend(args);
    piped(&all, input.as_bytes())
}

#[test]
fn bad_lines_are_reported_with_their_number_and_counted() {
    let input = "{\"text\": \"China and tariffs\"}\n{oops\n\n[1]\n";
    let o = map_stdin(&["--source", "feed.jsonl"], input);
    assert_code(&o, 0);
    let err = stderr(&o);
    assert!(
        err.contains("newstrack: rejected: feed.jsonl (record 2): line 2: invalid JSON")
            && err.contains("newstrack: rejected: feed.jsonl (record 4): line 4: expected a JSON object, found an array")
            && err.contains("newstrack: map: feed.jsonl: 3 records: 1 documents, 0 duplicates, 2 rejected"),
        "{err}"
    );
    let p: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(p["sources"][0]["records"], 3);
    assert_eq!(p["rejected"].as_array().unwrap().len(), 2);
    assert_eq!(p["docs"][0]["id"], "feed.jsonl#1");
    assert_eq!(stdout(&o).lines().count(), 1, "one partial per input");

    let o = map_stdin(&["--source", "feed.jsonl", "--per-document"], input);
    assert_code(&o, 0);
    assert_eq!(
        stdout(&o).lines().count(),
        4,
        "a partial per record and a closing one"
    );

    let o = map_stdin(
        &["--numbered"],
        "7\t{\"text\": \"China\"}\nno number here\n",
    );
    assert_code(&o, 0);
    assert!(
        stderr(&o).contains("rejected: stdin: input line 2: expected a line number, a tab and the record (map --numbered)"),
        "{}",
        stderr(&o)
    );
    let p: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(p["docs"][0]["line"], 7);
    assert_eq!(p["docs"][0]["id"], "stdin#7");
}

#[test]
fn merge_refuses_partials_it_cannot_merge() {
    let env = TestEnv::new();
    let o = map_stdin(&[], "{\"text\": \"China and tariffs\"}\n");
    assert_code(&o, 0);
    let good = stdout(&o);
    env.write("good", &good);
    let other = env.write(
        "other.toml",
        "[pipeline]\nname = \"other\"\n\n[[topic]]\nid = \"tariffs\"\nterms = [\"tariff*\"]\n",
    );
    let out = env.path("out").display().to_string();
    let good_path = env.path("good").display().to_string();
    let other_path = other.display().to_string();
    let cases: Vec<(&str, String, Vec<&str>, &str)> = vec![
        (
            "another pipeline",
            good.clone(),
            vec!["-p", &other_path],
            "made with pipeline \"rare-earths\"",
        ),
        (
            "another format version",
            good.replacen("\"version\":1", "\"version\":9", 1),
            vec!["-p", PIPELINE],
            "partial format version 9",
        ),
        (
            "not a partial",
            "{\"text\": \"an article, not a partial\"}\n".into(),
            vec!["-p", PIPELINE],
            "not a newstrack partial",
        ),
        (
            "a line mapped twice",
            format!("{good}{good}"),
            vec!["-p", PIPELINE],
            "line 1 of stdin is in more than one partial",
        ),
        (
            "nothing",
            String::new(),
            vec!["-p", PIPELINE],
            "no partials to merge",
        ),
    ];
    for (what, input, args, fragment) in cases {
        let mut all = vec!["merge", "-o", &out];
        all.extend(args);
        let o = piped(&all, input.as_bytes());
        assert_code(&o, 2);
        assert!(stderr(&o).contains(fragment), "{what}: {}", stderr(&o));
        assert!(!env.path("out").exists(), "{what}: nothing written");
    }
    // Files name themselves in errors.
    let o = bin()
        .args(["merge", "-p", &other_path, "-o", &out, &good_path])
        .output()
        .unwrap();
    assert_code(&o, 2);
    assert!(
        stderr(&o).contains(&format!("{good_path} line 1: made with pipeline")),
        "{}",
        stderr(&o)
    );
}

#[test]
fn map_with_a_bad_pipeline_fails_before_reading() {
    let o = piped(
        &["map", "-p", "no/such/pipeline.toml"],
        b"{\"text\": \"China\"}\n",
    );
    assert_code(&o, 2);
    assert!(stdout(&o).is_empty());
}

#[test]
fn merge_reads_a_folder_of_part_files_as_spark_saves_them() {
    let env = TestEnv::new();
    let lines: Vec<Vec<u8>> = TEXTS
        .iter()
        .map(|t| serde_json::to_vec(&serde_json::json!({"text": t, "date": "2025-06-10"})).unwrap())
        .collect();
    let mut bytes = Vec::new();
    for l in &lines {
        bytes.extend(l);
        bytes.push(b'\n');
    }
    env.write("c.jsonl", &bytes);
    env.write(PIPELINE, std::fs::read(root().join(PIPELINE)).unwrap());
    let want = run_report(&env, "c.jsonl", "run");
    let half = lines.len() / 2;
    let parts = [(0..half).collect(), (half..lines.len()).collect()];
    let files = map_partitions(&env, &lines, &parts, "c.jsonl", false, true);
    for (i, f) in files.iter().enumerate() {
        std::fs::create_dir_all(env.path("saved")).unwrap();
        std::fs::rename(f, env.path(&format!("saved/part-{i:05}"))).unwrap();
        env.write(&format!("saved/.part-{i:05}.crc"), "not a partial");
    }
    env.write("saved/_SUCCESS", "");
    merge(&env, &[env.path("saved").display().to_string()], "merged");
    assert_same_reports(&want, &report_files(&env, "merged"), "folder");
}
