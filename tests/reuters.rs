//! Reuters-21578 end to end (skipped with a message when ../shared is absent): every record
//! ingested despite the stray non-UTF-8 byte, every record dated from its DATE, and a report
//! spanning February to October 1987.

mod common;

use common::*;
use serde_json::Value;

#[test]
fn reuters_corpus_end_to_end() {
    let Some(data) = reuters() else { return };
    let env = TestEnv::new();
    let out = env.path("out");
    let o = env.run(&[
        "run",
        "-q",
        "--pipeline",
        "pipelines/trade-1987.toml",
        "--out",
        out.to_str().unwrap(),
        data.to_str().unwrap(),
    ]);
    assert_code(&o, 0);
    let s: Value = serde_json::from_str(&env.read("out/summary.json")).unwrap();
    assert_eq!(s["files"]["read"], 22, "{:#}", s["files"]);
    assert_eq!(
        s["files"]["skipped"], 1,
        "the data set's README.md is documentation"
    );
    assert_eq!(s["files"]["failed"], 0);
    assert_eq!(s["records"]["read"], 21_578);
    assert_eq!(s["records"]["rejected"], 0);
    let counted = s["articles"]["counted"].as_u64().unwrap();
    let dups = s["articles"]["duplicates"].as_u64().unwrap();
    assert_eq!(
        counted + dups,
        21_578,
        "every record is an article, counted or a listed duplicate"
    );
    assert_eq!(s["articles"]["undated"], 0, "every record has a DATE");
    assert_eq!(s["accounting_balanced"], true);
    assert_eq!(s["date_range"][0], "1987-02-26");
    assert_eq!(s["date_range"][1], "1987-10-20");
    let warnings = s["warnings"].as_array().unwrap();
    assert!(
        warnings
            .iter()
            .any(|w| w["path"].as_str().unwrap().ends_with("reut2-017.sgm")
                && w["message"].as_str().unwrap().contains("invalid UTF-8")),
        "the stray byte is reported: {warnings:?}"
    );
    let report = env.read("out/report.md");
    assert!(
        report.contains("| 1987-W09 |") && report.contains("| 1987-W43 |"),
        "weekly rows from late February to late October"
    );
    let trends = env.read("out/trends.csv");
    for id in ["japan", "united-states", "semiconductors", "tariffs"] {
        assert!(trends.contains(&format!(",{id},")), "{id} in trends.csv");
    }
}
