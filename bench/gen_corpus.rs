//! Builds the scaled benchmark corpus: one JSONL file of news articles of a given size.
//!
//! With the Reuters-21578 corpus (`--reuters DIR`, default `../shared/data/reuters21578`):
//! copy 0 is every Reuters body as written; each further copy shuffles the sentences of every
//! body and swaps about 2% of its longer words for invented ones, so later copies are not
//! duplicates and the analyzer's form table keeps meeting new words, as it would on years of
//! real coverage. Without Reuters: generated articles from a small English vocabulary and the
//! trade-1987 terms, hard-wrapped like wire copy. Deterministic for a given size and seed.
//!
//! `cargo run --release --example bench-corpus -- --out FILE --mb 100 [--reuters DIR] [--seed N]`

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

struct Source {
    title: String,
    date: String,
    body: String,
}

fn between<'a>(s: &'a str, open: &str, close: &str) -> Option<&'a str> {
    let a = s.find(open)? + open.len();
    let b = s[a..].find(close)? + a;
    Some(&s[a..b])
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#3;", "")
        .replace("&#5;", "")
        .replace("&#22;", "")
        .replace("&#127;", "")
        .replace("&amp;", "&")
        .replace(" Reuter\n", "\n")
}

/// Reuters bodies with their titles and dates, in file order.
fn reuters(dir: &Path) -> Vec<Source> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "sgm"));
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let raw = String::from_utf8_lossy(&std::fs::read(&f).unwrap_or_default()).into_owned();
        for rec in raw.split("</REUTERS>") {
            let Some(body) = between(rec, "<BODY>", "</BODY>") else {
                continue;
            };
            let title = between(rec, "<TITLE>", "</TITLE>").unwrap_or("");
            // "26-FEB-1987 15:01:01.79" → 1987-02-26
            let date = between(rec, "<DATE>", "</DATE>")
                .and_then(|d| {
                    let d = d.trim();
                    let month = match d.get(3..6)? {
                        "JAN" => 1,
                        "FEB" => 2,
                        "MAR" => 3,
                        "APR" => 4,
                        "MAY" => 5,
                        "JUN" => 6,
                        "JUL" => 7,
                        "AUG" => 8,
                        "SEP" => 9,
                        "OCT" => 10,
                        "NOV" => 11,
                        "DEC" => 12,
                        _ => return None,
                    };
                    Some(format!("{}-{month:02}-{}", d.get(7..11)?, d.get(0..2)?))
                })
                .unwrap_or_else(|| "1987-03-01".into());
            out.push(Source {
                title: unescape(title),
                date,
                body: unescape(body),
            });
        }
    }
    out
}

const VOCAB: &[&str] = &[
    "the",
    "the",
    "the",
    "of",
    "of",
    "to",
    "and",
    "in",
    "in",
    "a",
    "said",
    "said",
    "on",
    "for",
    "that",
    "is",
    "by",
    "with",
    "it",
    "from",
    "at",
    "as",
    "its",
    "was",
    "be",
    "would",
    "which",
    "has",
    "will",
    "market",
    "government",
    "officials",
    "company",
    "prices",
    "year",
    "week",
    "billion",
    "million",
    "pct",
    "shares",
    "exports",
    "imports",
    "talks",
    "agreement",
    "bank",
    "rates",
    "economy",
    "growth",
    "policy",
    "minister",
    "spokesman",
    "industry",
    "analysts",
    "Japan",
    "Japanese",
    "Tokyo",
    "Washington",
    "Reagan",
    "Baker",
    "Nakasone",
    "Congress",
    "U.S.",
    "EC",
    "Brussels",
    "Bonn",
    "London",
    "trade",
    "deficit",
    "surplus",
    "tariffs",
    "semiconductors",
    "chips",
    "dumping",
    "sanctions",
    "protectionism",
    "yen",
    "dollar",
    "currency",
    "Treasury",
    "Commerce",
    "MITI",
    "GATT",
    "negotiations",
    "retaliation",
];

fn generated(rng: &mut Rng) -> Source {
    let mut body = String::new();
    let mut line = 0;
    for _ in 0..(4 + rng.below(12)) {
        let n = 8 + rng.below(20);
        for k in 0..n {
            let mut w = VOCAB[rng.below(VOCAB.len())].to_string();
            if rng.below(40) == 0 {
                w = invented(rng);
            }
            if k == 0 {
                let mut c = w.chars();
                if let Some(f) = c.next() {
                    w = f.to_uppercase().chain(c).collect();
                }
            }
            if line + w.len() > 68 {
                body.push('\n');
                line = 0;
            } else if !body.is_empty() && line > 0 {
                body.push(' ');
                line += 1;
            }
            body.push_str(&w);
            line += w.len();
            if k + 1 == n {
                body.push('.');
            } else if rng.below(12) == 0 {
                body.push(',');
            }
        }
        if rng.below(3) == 0 {
            body.push_str("\n    ");
            line = 4;
        }
    }
    let day = 1 + rng.below(28);
    let month = 1 + rng.below(12);
    Source {
        title: format!(
            "{} SAYS {}",
            VOCAB[rng.below(VOCAB.len())],
            VOCAB[rng.below(VOCAB.len())]
        )
        .to_uppercase(),
        date: format!("1987-{month:02}-{day:02}"),
        body,
    }
}

/// A pronounceable invented word: new to every form table.
fn invented(rng: &mut Rng) -> String {
    const ON: &[&str] = &[
        "b", "c", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "br", "st", "tr",
    ];
    const NU: &[&str] = &["a", "e", "i", "o", "u", "ai", "ou", "ea"];
    let mut w = String::new();
    for _ in 0..(2 + rng.below(3)) {
        w.push_str(ON[rng.below(ON.len())]);
        w.push_str(NU[rng.below(NU.len())]);
    }
    if rng.below(3) == 0 {
        w.push_str(["s", "ed", "ing", "tion"][rng.below(4)]);
    }
    w
}

/// Copy `k` of a body: sentences shuffled, about 2% of longer words invented and at least
/// one, so no copy is an exact duplicate of another.
fn variant(body: &str, rng: &mut Rng) -> String {
    let mut sentences: Vec<&str> = body.split_inclusive(". ").collect();
    for i in (1..sentences.len()).rev() {
        let j = rng.below(i + 1);
        sentences.swap(i, j);
    }
    let long_words = body
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.len() >= 4)
        .count();
    let forced = rng.below(long_words.max(1));
    let mut seen = 0;
    let mut out = String::with_capacity(body.len() + 16);
    for s in sentences {
        let mut rest = s;
        while !rest.is_empty() {
            let end = rest
                .find(|c: char| !c.is_alphanumeric())
                .unwrap_or(rest.len());
            let (word, tail) = rest.split_at(end);
            if word.len() >= 4 {
                let invent = seen == forced || rng.below(50) == 0;
                seen += 1;
                if invent {
                    out.push_str(&invented(rng));
                } else {
                    out.push_str(word);
                }
            } else {
                out.push_str(word);
            }
            let sep = tail.chars().next().map_or(0, char::len_utf8);
            out.push_str(&tail[..sep]);
            rest = &tail[sep..];
        }
    }
    if long_words == 0 {
        out.push(' ');
        out.push_str(&invented(rng));
    }
    out
}

fn shift_date(date: &str, days: u64) -> String {
    let parse = |s: &str| -> Option<(i32, u32, u32)> {
        Some((
            s.get(0..4)?.parse().ok()?,
            s.get(5..7)?.parse().ok()?,
            s.get(8..10)?.parse().ok()?,
        ))
    };
    let Some((y, m, d)) = parse(date) else {
        return date.to_string();
    };
    let Some(base) = chrono::NaiveDate::from_ymd_opt(y, m, d) else {
        return date.to_string();
    };
    (base + chrono::Days::new(days % 240)).to_string()
}

fn main() {
    let mut out = PathBuf::from("bench/corpus.jsonl");
    let mut mb: u64 = 100;
    let mut dir = PathBuf::from("../shared/data/reuters21578");
    let mut seed: u64 = 1987;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let v = args.next().unwrap_or_default();
        match a.as_str() {
            "--out" => out = PathBuf::from(v),
            "--mb" => mb = v.parse().expect("--mb takes a number of megabytes"),
            "--reuters" => dir = PathBuf::from(v),
            "--seed" => seed = v.parse().expect("--seed takes a number"),
            _ => {
                eprintln!("usage: bench-corpus --out FILE --mb N [--reuters DIR] [--seed N]");
                std::process::exit(2);
            }
        }
    }
    let target = mb * 1_000_000;
    let sources = reuters(&dir);
    let from_reuters = !sources.is_empty();
    if !from_reuters {
        eprintln!("{} not found: generating articles instead", dir.display());
    }
    let file = std::fs::File::create(&out).unwrap_or_else(|e| {
        eprintln!("cannot create {}: {e}", out.display());
        std::process::exit(1);
    });
    let mut w = BufWriter::with_capacity(1 << 20, file);
    let mut rng = Rng::new(seed);
    let (mut written, mut docs, mut text_bytes) = (0u64, 0u64, 0u64);
    'copies: for copy in 0u64.. {
        let n = if from_reuters { sources.len() } else { 20_000 };
        for j in 0..n {
            let (title, date, body) = if let Some(s) = sources.get(j) {
                let body = if copy == 0 {
                    s.body.clone()
                } else {
                    variant(&s.body, &mut rng)
                };
                (s.title.clone(), shift_date(&s.date, copy), body)
            } else {
                let s = generated(&mut rng);
                (s.title, s.date, s.body)
            };
            let line = serde_json::json!({
                "id": format!("c{copy}-{j}"),
                "date": date,
                "title": title,
                "text": body,
            });
            let line = line.to_string();
            w.write_all(line.as_bytes()).expect("write corpus");
            w.write_all(b"\n").expect("write corpus");
            written += line.len() as u64 + 1;
            text_bytes += body.len() as u64;
            docs += 1;
            if written >= target {
                break 'copies;
            }
        }
    }
    w.flush().expect("write corpus");
    println!(
        "{}: {written} bytes, {docs} articles, {text_bytes} bytes of article text ({})",
        out.display(),
        if from_reuters {
            "Reuters bodies and shuffled variants"
        } else {
            "generated"
        }
    );
}
