//! The seed article with the default pipeline: every rare-earth, export-control, tariff, US
//! and China mention is found, and each offset points at the matched text in the file.

mod common;

use common::*;
use serde_json::Value;

const SEED: &str = "corpus/2025-06-10-us-china-trade-talks-rare-earths.txt";

/// Byte offsets of every whole-word, case-sensitive occurrence of `word` in `text`.
fn occurrences(text: &str, word: &str, case_insensitive: bool) -> Vec<usize> {
    let (hay, needle) = if case_insensitive {
        (text.to_lowercase(), word.to_lowercase())
    } else {
        (text.to_string(), word.to_string())
    };
    let b = hay.as_bytes();
    hay.match_indices(&needle)
        .map(|(i, _)| i)
        .filter(|&i| i == 0 || !b[i - 1].is_ascii_alphanumeric())
        .collect()
}

#[test]
fn seed_article_counts_and_offsets() {
    let env = TestEnv::new();
    let o = env.run(&["tag", "--format", "jsonl", SEED]);
    assert_code(&o, 0);
    let text = std::fs::read_to_string(root().join(SEED)).unwrap();
    let mentions: Vec<Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let spans = |entity: &str| -> Vec<(usize, usize, String)> {
        mentions
            .iter()
            .filter(|m| m["entity"] == entity)
            .map(|m| {
                (
                    m["start"].as_u64().unwrap() as usize,
                    m["end"].as_u64().unwrap() as usize,
                    m["text"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    // Every offset slices the original file to the reported text.
    for m in &mentions {
        let (s, e) = (
            m["start"].as_u64().unwrap() as usize,
            m["end"].as_u64().unwrap() as usize,
        );
        assert_eq!(&text[s..e], m["text"].as_str().unwrap(), "{m}");
        assert_eq!(m["path"], SEED);
    }
    let covered =
        |entity: &str, at: usize| spans(entity).iter().any(|(s, e, _)| *s <= at && at < *e);

    // Rare earths: every "rare earth(s)", the title's "Rare Earths" included.
    let rare = spans("rare-earths");
    let rare_occ = occurrences(&text, "rare earth", true);
    assert_eq!(rare_occ.len(), 13);
    assert_eq!(rare.len(), 13, "{rare:?}");
    for at in &rare_occ {
        assert!(covered("rare-earths", *at), "rare earth at {at}");
    }
    assert!(
        rare.iter().any(|(s, _, t)| *s < 70 && t == "Rare Earths"),
        "the title's mention"
    );

    // Export controls: both "export controls", the "export licenses", the "restricted exports".
    let mut ec: Vec<String> = spans("export-controls").into_iter().map(|x| x.2).collect();
    ec.sort();
    assert_eq!(
        ec,
        [
            "export controls",
            "export controls",
            "export licenses",
            "restricted exports"
        ]
    );

    // Tariffs: all five.
    let tariffs = spans("tariffs");
    assert_eq!(tariffs.len(), 5, "{tariffs:?}");
    for at in occurrences(&text, "tariff", true) {
        assert!(covered("tariffs", at), "tariff at {at}");
    }

    // China: every "China", including "US-China" and "China's"; "Chinese" counts too.
    let china_occ = occurrences(&text, "China", false);
    assert_eq!(china_occ.len(), 12);
    for at in &china_occ {
        assert!(
            covered("china", *at),
            "China at {at}: {:?}",
            &text[at.saturating_sub(10)..*at + 8]
        );
    }
    assert!(text.contains("US-China") && text.contains("China's"));
    assert_eq!(
        spans("china").len(),
        12 + occurrences(&text, "Chinese", false).len()
    );

    // United States: every standalone "US" (the one in "US Geological Survey" belongs to the
    // agency, leftmost-longest) and "United States"; never the pronoun.
    let us_occ = occurrences(&text, "US", false);
    assert_eq!(us_occ.len(), 11);
    let usgs = spans("usgs");
    assert_eq!(usgs.len(), 1);
    assert_eq!(usgs[0].2, "US Geological Survey");
    for at in &us_occ {
        assert!(
            covered("united-states", *at) || covered("usgs", *at),
            "US at {at}"
        );
    }
    assert_eq!(
        spans("united-states").len(),
        10 + 1,
        "{:?}",
        spans("united-states")
    );
    assert!(spans("united-states")
        .iter()
        .any(|x| x.2 == "United States"));
    for name in [
        "kevin-hassett",
        "national-economic-council",
        "general-motors",
        "ford",
        "stellantis",
        "department-of-energy",
    ] {
        assert_eq!(spans(name).len(), 1, "{name}");
    }
}

#[test]
fn boilerplate_lines_are_not_tagged() {
    let env = TestEnv::new();
    let p = env.write("p.toml", "[pipeline]\nname = \"b\"\n[[topic]]\nid = \"ads\"\nterms = [\"advertisement\", \"tags\"]\n");
    let o = env.run(&["tag", "-f", "jsonl", "-p", p.to_str().unwrap(), SEED]);
    assert_code(&o, 0);
    assert_eq!(
        stdout(&o),
        "",
        "the trailing Advertisement/Tags lines are boilerplate"
    );
}
