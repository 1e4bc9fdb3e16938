//! `export` end to end: the documents and mentions tables as JSON Lines and as Parquet (read
//! back with the parquet crate and compared value for value with the JSON Lines rows), the
//! duplicate flag, and documents.jsonl with `--text` as a corpus `run` reads.

mod common;

use common::*;
use serde_json::Value;

const PIPELINE: &str = "pipelines/rare-earths.toml";

fn corpus(env: &TestEnv) {
    env.write(
        "in/2025-06-10-talks.txt",
        "US-China talks\n\nChina and the United States met in London. Scott Bessent spoke about tariffs and rare earths.\n",
    );
    env.write(
        "in/feed.jsonl",
        concat!(
            "{\"id\":\"f1\",\"title\":\"Magnets\",\"date\":\"2025-06-11\",\"text\":\"Beijing imposed export controls on rare earth magnets.\",\"tags\":[\"trade\",\"minerals\"]}\n",
            "{bad\n",
            "{\"id\":\"f3\",\"text\":\"Beijing imposed export controls on rare earth magnets.\",\"source\":\"Wire\",\"url\":\"https://example.org/f3\"}\n",
            "{\"id\":\"f4\",\"text\":\"Nothing to see here.\"}\n",
        ),
    );
}

fn rows(env: &TestEnv, rel: &str) -> Vec<Value> {
    env.read(rel)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{rel}: {l:?}: {e}")))
        .collect()
}

fn export(env: &TestEnv, format: &str, out: &str, text: bool) -> std::process::Output {
    let out = env.path(out).display().to_string();
    let input = env.path("in").display().to_string();
    let mut args = vec!["export", "-p", PIPELINE, "--format", format, "-o", &out];
    if text {
        args.push("--text");
    }
    args.push(&input);
    env.run(&args)
}

#[test]
fn jsonl_tables() {
    let env = TestEnv::new();
    corpus(&env);
    let o = export(&env, "jsonl", "t", true);
    assert_code(&o, 0);
    assert!(
        stderr(&o).contains("invalid JSON")
            && stderr(&o).contains("2 files read, 0 skipped: 4 documents (1 duplicates)"),
        "{}",
        stderr(&o)
    );
    let docs = rows(&env, "t/documents.jsonl");
    let ids: Vec<&str> = docs.iter().map(|d| d["doc"].as_str().unwrap()).collect();
    assert_eq!(ids[1..], ["f1", "f3", "f4"], "walk order");
    assert!(ids[0].ends_with("in/2025-06-10-talks.txt"));
    let dup: Vec<&Value> = docs.iter().map(|d| &d["duplicate_of"]).collect();
    assert_eq!(
        dup,
        [&Value::Null, &Value::Null, &Value::from("f1"), &Value::Null]
    );
    assert_eq!(docs[0]["date"], "2025-06-10");
    assert_eq!(docs[0]["date_source"], "filename");
    assert_eq!(
        docs[1]["meta"]["tags"],
        serde_json::json!(["trade", "minerals"])
    );
    assert_eq!(docs[2]["source"], "Wire");
    assert_eq!(docs[2]["record"], 3);
    assert_eq!(docs[3]["mentions"], 0);
    assert_eq!(docs[1]["hash"], docs[2]["hash"]);

    let mentions = rows(&env, "t/mentions.jsonl");
    let total: u64 = docs.iter().map(|d| d["mentions"].as_u64().unwrap()).sum();
    assert_eq!(mentions.len() as u64, total);
    for m in &mentions {
        let doc = docs
            .iter()
            .find(|d| d["doc"] == m["doc"] && d["path"] == m["path"])
            .expect("mention of a listed document");
        let text = doc["text"].as_str().unwrap();
        let (s, e) = (
            m["start"].as_u64().unwrap() as usize,
            m["end"].as_u64().unwrap() as usize,
        );
        assert_eq!(m["text"], text[s..e], "{m}");
        let (ss, se) = (
            m["sentence_start"].as_u64().unwrap() as usize,
            m["sentence_end"].as_u64().unwrap() as usize,
        );
        assert!(ss <= s && e <= se, "mention inside its sentence: {m}");
    }
    let bessent = mentions
        .iter()
        .find(|m| m["entity"] == "scott-bessent")
        .expect("Bessent");
    assert_eq!(bessent["kind"], "actor");
    assert_eq!(bessent["actor_kind"], "person");
    assert_eq!(bessent["group"], "united-states");

    // documents.jsonl with --text is itself a corpus.
    let o = env.run(&[
        "run",
        "-q",
        "-p",
        PIPELINE,
        "-o",
        env.path("r").to_str().unwrap(),
        env.path("t/documents.jsonl").to_str().unwrap(),
    ]);
    assert_code(&o, 0);
    let s: Value = serde_json::from_str(&env.read("r/summary.json")).unwrap();
    assert_eq!(s["records"]["read"], 4);
    assert_eq!(s["records"]["rejected"], 0);
    assert_eq!(s["articles"]["duplicates"], 1);

    // Without --text the documents table has no text column.
    let o = export(&env, "jsonl", "t2", false);
    assert_code(&o, 0);
    assert!(rows(&env, "t2/documents.jsonl")
        .iter()
        .all(|d| d.get("text").is_none()));
}

#[cfg(feature = "parquet")]
mod parquet_tables {
    use super::*;
    use parquet::file::reader::{FileReader, SerializedFileReader};
    use parquet::record::Field;

    fn to_json(f: &Field) -> Value {
        match f {
            Field::Null => Value::Null,
            Field::Str(s) => Value::from(s.as_str()),
            Field::Long(n) => Value::from(*n),
            Field::Int(n) => Value::from(*n),
            Field::Date(days) => {
                let d = chrono::DateTime::UNIX_EPOCH.date_naive()
                    + chrono::Duration::days(*days as i64);
                Value::from(d.to_string())
            }
            other => panic!("unexpected Parquet value {other:?}"),
        }
    }

    fn parquet_rows(path: &std::path::Path) -> Vec<serde_json::Map<String, Value>> {
        let file = std::fs::File::open(path).unwrap();
        let reader = SerializedFileReader::new(file).unwrap();
        reader
            .get_row_iter(None)
            .unwrap()
            .map(|row| {
                row.unwrap()
                    .get_column_iter()
                    .map(|(k, v)| (k.clone(), to_json(v)))
                    .collect()
            })
            .collect()
    }

    #[test]
    fn parquet_rows_equal_jsonl_rows() {
        let env = TestEnv::new();
        corpus(&env);
        assert_code(&export(&env, "jsonl", "j", true), 0);
        let o = export(&env, "parquet", "p", true);
        assert_code(&o, 0);
        assert!(
            stderr(&o).contains("(documents.parquet, mentions.parquet)"),
            "{}",
            stderr(&o)
        );
        for table in ["documents", "mentions"] {
            let want = rows(&env, &format!("j/{table}.jsonl"));
            let got = parquet_rows(&env.path(&format!("p/{table}.parquet")));
            assert_eq!(got.len(), want.len(), "{table}");
            for (g, w) in got.iter().zip(&want) {
                let w = w.as_object().unwrap();
                let keys: std::collections::BTreeSet<&String> = g.keys().collect();
                assert_eq!(keys, w.keys().collect(), "{table}: same columns");
                for (k, v) in g {
                    let expected = if k == "meta" {
                        // A JSON-typed string column in Parquet.
                        Value::from(serde_json::to_string(&w[k]).unwrap())
                    } else {
                        w[k].clone()
                    };
                    assert_eq!(v, &expected, "{table}.{k}");
                }
            }
        }
    }
}
