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
