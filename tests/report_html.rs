//! The trend report end to end: `--format`, `periods.csv` and `trends.json` on small
//! corpora, unlisted names on the seed article, the HTML report in a real headless browser
//! (skipped with a message when no Chromium is installed; `.ci/run` installs it), and the
//! spring 1987 semiconductor dispute found from the Reuters data alone (skipped with a
//! message without ../shared).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use common::*;
use serde_json::Value;

/// A Chromium binary: `$NEWSTRACK_CHROMIUM`, else the first of the usual names on PATH.
fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("NEWSTRACK_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    for name in [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ] {
        for dir in std::env::split_paths(&path) {
            let p = dir.join(name);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    eprintln!(
        "skipping the browser check: no chromium found (bash .ci/run installs Debian's chromium; or set NEWSTRACK_CHROMIUM)"
    );
    None
}

/// Where browser artefacts go: under target/.
fn artefacts() -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("browser");
    std::fs::create_dir_all(&d).expect("mkdir target/tmp/browser");
    d
}

/// Runs headless Chromium with a fresh profile; returns (stdout, stderr).
fn browse(chrome: &Path, profile: &Path, args: &[String]) -> (String, String) {
    let mut cmd = Command::new(chrome);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--hide-scrollbars",
        "--enable-logging=stderr",
        "--v=0",
        "--virtual-time-budget=5000",
    ])
    .arg(format!("--user-data-dir={}", profile.display()))
    .args(args);
    let o = cmd.output().expect("run chromium");
    let (out, err) = (stdout(&o), stderr(&o));
    assert!(o.status.success(), "chromium failed: {:?}\n{err}", o.status);
    (out, err)
}

/// Loads `html` headless: the page's own script ran without error and charts were drawn.
/// Saves a screenshot to `png` and returns the rendered DOM.
fn check_in_browser(html: &Path, png: &Path, height: u32) -> Option<String> {
    let chrome = chromium()?;
    let profile = tempfile::tempdir().expect("profile dir");
    let url = format!(
        "file://{}",
        html.canonicalize().expect("report path").display()
    );
    let (dom, err) = browse(&chrome, profile.path(), &["--dump-dom".into(), url.clone()]);
    // The page script records its state on the root element (the script's own text also
    // names these attributes, so look at the <html> tag only).
    let root_tag = dom
        .split("<html")
        .nth(1)
        .and_then(|s| s.split('>').next())
        .expect("an <html> element");
    assert!(
        root_tag.contains(r#"data-ready="1""#),
        "the page script did not finish: <html{root_tag}>; stderr:\n{err}"
    );
    assert!(
        !root_tag.contains("data-js-error"),
        "script error in the page: <html{root_tag}>"
    );
    assert!(!err.contains("Uncaught"), "console error:\n{err}");
    let lines: usize = root_tag
        .split(r#"data-lines=""#)
        .nth(1)
        .and_then(|s| s.split('"').next())
        .and_then(|s| s.parse().ok())
        .expect("data-lines set by the page script");
    assert!(lines > 0, "no chart line was drawn");
    assert_eq!(
        dom.matches(r#"<path class="series""#).count(),
        lines,
        "the DOM holds every line the script counted"
    );
    let _ = std::fs::remove_file(png);
    let profile = tempfile::tempdir().expect("profile dir");
    browse(
        &chrome,
        profile.path(),
        &[
            format!("--screenshot={}", png.display()),
            format!("--window-size=1280,{height}"),
            url,
        ],
    );
    let bytes = std::fs::read(png).expect("screenshot written");
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG");
    assert!(bytes.len() > 20_000, "the screenshot shows something");
    eprintln!("screenshot: {}", png.display());
    Some(dom)
}

#[test]
fn format_chooses_outputs_and_periods_csv_lists_gaps() {
    let env = TestEnv::new();
    let pipe = env.write(
        "p.toml",
        "[pipeline]\nname = \"t\"\nperiod = \"day\"\n[[topic]]\nid = \"tariffs\"\nterms = [\"tariff\"]\n[[actor]]\nid = \"china\"\nkind = \"country\"\nterms = [\"China\"]\n[[event]]\ndate = \"2025-07-02\"\nlabel = \"Talks <open> & close\"\n",
    );
    env.write("in/2025-07-01-a.txt", "A\n\nChina raised a tariff.\n");
    env.write("in/2025-07-04-b.txt", "B\n\nChina & the tariff, again.\n");
    let out = env.path("out");
    let o = env.run(&[
        "run",
        "-q",
        "-p",
        pipe.to_str().unwrap(),
        "--format",
        "md,json",
        "-o",
        out.to_str().unwrap(),
        env.path("in").to_str().unwrap(),
    ]);
    assert_code(&o, 0);
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["report.md", "summary.json", "trends.json"]);

    let o = env.run(&[
        "run",
        "-q",
        "-p",
        pipe.to_str().unwrap(),
        "-f",
        "csv,html",
        "-o",
        env.path("out2").to_str().unwrap(),
        env.path("in").to_str().unwrap(),
    ]);
    assert_code(&o, 0);
    assert_same_text(
        "periods.csv",
        "period,articles\n2025-07-01,1\n2025-07-02,0\n2025-07-03,0\n2025-07-04,1\n",
        &env.read("out2/periods.csv"),
    );
    let html = env.read("out2/report.html");
    assert!(
        html.contains("Talks &lt;open&gt; &amp; close"),
        "event label escaped"
    );
    assert!(!html.contains("<open>"));
    for banned in ["http://", "https://", "<link", "src="] {
        let hits: Vec<&str> = html
            .match_indices(banned)
            .map(|(i, _)| &html[i.saturating_sub(40)..(i + 60).min(html.len())])
            .filter(|ctx| !ctx.contains("xmlns=\"http://www.w3.org/2000/svg\""))
            .collect();
        assert!(hits.is_empty(), "the page must be self-contained: {hits:?}");
    }

    let t: Value = serde_json::from_str(&env.read("out/trends.json")).unwrap();
    let arts: Vec<u64> = t["periods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["articles"].as_u64().unwrap())
        .collect();
    assert_eq!(arts, [1, 0, 0, 1]);
    let china = t["entities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == "china")
        .unwrap();
    assert_eq!(
        china["series"]["documents"],
        serde_json::json!([1, 0, 0, 1])
    );
    assert_eq!(
        china["series"]["share"],
        serde_json::json!([1.0, null, null, 1.0]),
        "gaps are null, never zero"
    );
    assert_eq!(t["events"][0]["period"], "2025-07-02");
    assert_eq!(t["events"][0]["before"], "2025-07-01");
    assert_eq!(t["events"][0]["after"], "2025-07-04");
    assert!(t["spike_rule"]["text"]
        .as_str()
        .unwrap()
        .contains("baseline"));
    let md = env.read("out/report.md");
    assert!(
        md.contains("No articles at all in 2025-07-02–2025-07-03"),
        "{md}"
    );
    assert!(md.contains("`█··█`"), "gaps shown as · in sparklines");
}

#[test]
fn seed_article_lists_unlisted_names() {
    let env = TestEnv::new();
    let out = env.path("out");
    let o = env.run(&["run", "-q", "-f", "json,md", "-o", out.to_str().unwrap()]);
    assert_code(&o, 0);
    let t: Value = serde_json::from_str(&env.read("out/trends.json")).unwrap();
    let names: Vec<&str> = t["names"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["name"].as_str().unwrap())
        .collect();
    for want in [
        "Michael Thompson",
        "Sarah Johnson",
        "Thomas Lin",
        "Brookings Institution",
        "University of Illinois",
    ] {
        assert!(names.contains(&want), "{want} missing from {names:?}");
    }
    for listed in [
        "Kevin Hassett",
        "China",
        "General Motors",
        "Stellantis",
        "Department of Energy",
    ] {
        assert!(
            !names.iter().any(|n| n.contains(listed)),
            "{listed} is in the lexicon: {names:?}"
        );
    }
    for not_a_name in ["However", "The", "Dr", "Furthermore", "In", "As"] {
        assert!(
            !names.contains(&not_a_name),
            "{not_a_name} listed: {names:?}"
        );
    }
    let md = env.read("out/report.md");
    assert!(
        md.contains("| Michael Thompson | 1 |"),
        "names in report.md"
    );
}

#[test]
fn seed_report_loads_in_a_browser() {
    let env = TestEnv::new();
    let out = env.path("out");
    let o = env.run(&["run", "-q", "-f", "html", "-o", out.to_str().unwrap()]);
    assert_code(&o, 0);
    let Some(dom) = check_in_browser(
        &out.join("report.html"),
        &artefacts().join("seed-report.png"),
        1600,
    ) else {
        return;
    };
    assert!(dom.contains("Michael Thompson"));
    assert!(
        dom.contains(r#"id="ev-rare-earths""#),
        "evidence one click away"
    );
}

/// The Reuters trade-1987 report, made once for the tests that read it.
fn reuters_report() -> Option<&'static PathBuf> {
    static OUT: OnceLock<Option<PathBuf>> = OnceLock::new();
    OUT.get_or_init(|| {
        reuters()?;
        // Relative, as a user would type it (the report shows its inputs).
        let data = PathBuf::from("../shared/data/reuters21578");
        let out = artefacts().join("trade-1987");
        let o = TestEnv::new().run(&[
            "run",
            "-q",
            "--pipeline",
            "pipelines/trade-1987.toml",
            "-f",
            "md,html,json",
            "--out",
            out.to_str().unwrap(),
            data.to_str().unwrap(),
        ]);
        assert_code(&o, 0);
        Some(out)
    })
    .as_ref()
}

#[test]
fn semiconductor_dispute_is_a_spike_in_spring_1987() {
    let Some(out) = reuters_report() else { return };
    let t: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("trends.json")).unwrap()).unwrap();
    let start: std::collections::HashMap<&str, &str> = t["periods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["period"].as_str().unwrap(), p["start"].as_str().unwrap()))
        .collect();
    // US sanctions on Japanese electronics: announced 27 March 1987, imposed 17 April.
    // Any week starting from mid-March to the end of April counts.
    let hits: Vec<(&str, &str)> = t["spikes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["period"].as_str().unwrap(), s["entity"].as_str().unwrap()))
        .filter(|(p, e)| {
            matches!(*e, "semiconductors" | "trade-sanctions")
                && ("1987-03-16".."1987-05-01").contains(&start[p])
        })
        .collect();
    assert!(
        !hits.is_empty(),
        "no semiconductor or sanctions spike in spring 1987: {:#}",
        t["spikes"]
    );
    let semis: Vec<&str> = hits
        .iter()
        .filter(|h| h.1 == "semiconductors")
        .map(|h| h.0)
        .collect();
    assert!(!semis.is_empty(), "semiconductors itself spikes: {hits:?}");
    let spike = t["spikes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["entity"] == "semiconductors" && s["period"] == semis[0])
        .unwrap();
    assert!(
        !spike["evidence"].as_array().unwrap().is_empty(),
        "evidence listed with the spike"
    );
    assert!(
        spike["share"].as_f64().unwrap() >= 2.0 * spike["baseline"].as_f64().unwrap(),
        "the stated rule holds"
    );

    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    let section = md
        .split("## Spikes")
        .nth(1)
        .unwrap()
        .split("\n## ")
        .next()
        .unwrap();
    assert!(
        section.contains(&format!(
            "| {} | Semiconductors and chips (`semiconductors`) |",
            semis[0]
        )),
        "report.md lists the spike"
    );
    assert!(
        section.contains(&format!("### {} — Semiconductors and chips", semis[0])),
        "with its evidence"
    );
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        html.contains(&format!("spike: Semiconductors and chips in {}", semis[0])),
        "the topic chart marks the spike"
    );
    // May 1987 has no articles at all: a gap, never zero attention.
    let may: Vec<&Value> = t["periods"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["start"].as_str().unwrap().starts_with("1987-05-1"))
        .collect();
    assert!(may.iter().all(|p| p["articles"] == 0), "{may:?}");
    let semis_series = t["entities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == "semiconductors")
        .unwrap();
    let i = t["periods"]
        .as_array()
        .unwrap()
        .iter()
        .position(|p| p["start"] == may[0]["start"])
        .unwrap();
    assert!(semis_series["series"]["share"][i].is_null());
}

#[test]
fn trade_1987_report_in_a_browser() {
    let Some(out) = reuters_report() else { return };
    let png = artefacts().join("report-trade-1987.png");
    let Some(dom) = check_in_browser(&out.join("report.html"), &png, 1900) else {
        return;
    };
    assert!(dom.contains("Semiconductors and chips"));
    let size = std::fs::metadata(&png).unwrap().len();
    assert!(
        size < 500_000,
        "screenshot {size} bytes: keep the README image small"
    );
    // `NEWSTRACK_UPDATE_SCREENSHOT=1 cargo test --test report_html` refreshes the README's
    // picture from this run.
    if std::env::var_os("NEWSTRACK_UPDATE_SCREENSHOT").is_some() {
        std::fs::copy(&png, root().join("docs/report-screenshot.png")).expect("copy screenshot");
    }
}
