//! The matching limit for the peer benchmark: an aho-corasick DFA scan of a JSONL corpus.
//!
//! End to end like `newstrack run`: reads the file (streamed, one byte range per thread),
//! parses every line with serde_json, lowercases the text and collapses whitespace runs to one
//! space (so phrases wrapped across lines match), then counts leftmost-longest matches of the
//! phrase list that sit on word boundaries, with `AhoCorasickKind::DFA`. No stemming, no
//! sentences, no offsets kept, no report: the least work that still finds the phrases.
//!
//! `cargo run --release --example ac-scan -- --phrases FILE [--threads N] CORPUS.jsonl`

use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::time::Instant;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};

#[derive(serde::Deserialize)]
struct Doc<'a> {
    #[serde(borrow)]
    text: std::borrow::Cow<'a, str>,
}

/// Lowercases `text` into `out`, every whitespace run becoming one space.
fn normalise(text: &str, out: &mut String) {
    out.clear();
    let mut space = false;
    for c in text.chars() {
        if c.is_whitespace() {
            space = true;
            continue;
        }
        if space && !out.is_empty() {
            out.push(' ');
        }
        space = false;
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
        } else {
            out.extend(c.to_lowercase());
        }
    }
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b >= 0x80
}

/// Scans the lines that start in `[from, to)`; returns (documents, text bytes, matches).
fn scan(path: &str, from: u64, to: u64, ac: &AhoCorasick) -> (u64, u64, u64) {
    let mut f = std::fs::File::open(path).expect("open corpus");
    let mut start = from;
    if from > 0 {
        // Skip the line that began before `from`: the previous range owns it.
        f.seek(SeekFrom::Start(from - 1)).expect("seek");
        let mut r = BufReader::new(&mut f);
        let mut skip = Vec::new();
        start = from - 1 + r.read_until(b'\n', &mut skip).expect("read") as u64;
    }
    f.seek(SeekFrom::Start(start)).expect("seek");
    let mut r = BufReader::with_capacity(1 << 20, f.take(u64::MAX));
    let (mut docs, mut bytes, mut matches) = (0, 0, 0);
    let mut line = Vec::new();
    let mut norm = String::new();
    let mut pos = start;
    while pos < to {
        line.clear();
        let n = r.read_until(b'\n', &mut line).expect("read");
        if n == 0 {
            break;
        }
        pos += n as u64;
        let Ok(doc) = serde_json::from_slice::<Doc>(&line) else {
            continue;
        };
        docs += 1;
        bytes += doc.text.len() as u64;
        normalise(&doc.text, &mut norm);
        let h = norm.as_bytes();
        for m in ac.find_iter(h) {
            let before = m.start() == 0 || !is_word(h[m.start() - 1]);
            let after = m.end() == h.len() || !is_word(h[m.end()]);
            if before && after {
                matches += 1;
            }
        }
    }
    (docs, bytes, matches)
}

fn main() {
    let mut phrases_file = String::new();
    let mut threads = 1usize;
    let mut corpus = String::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--phrases" => phrases_file = args.next().unwrap_or_default(),
            "--threads" => threads = args.next().and_then(|v| v.parse().ok()).unwrap_or(1),
            _ => corpus = a,
        }
    }
    if phrases_file.is_empty() || corpus.is_empty() {
        eprintln!("usage: ac-scan --phrases FILE [--threads N] CORPUS.jsonl");
        std::process::exit(2);
    }
    let t0 = Instant::now();
    let phrases: Vec<String> = std::fs::read_to_string(&phrases_file)
        .expect("read phrases")
        .lines()
        .map(|l| l.trim().to_lowercase())
        .filter(|l| !l.is_empty())
        .collect();
    let ac = AhoCorasick::builder()
        .kind(Some(AhoCorasickKind::DFA))
        .match_kind(MatchKind::LeftmostLongest)
        .build(&phrases)
        .expect("build automaton");
    let len = std::fs::metadata(&corpus).expect("corpus").len();
    let per = len.div_ceil(threads as u64).max(1);
    let totals = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads as u64)
            .map(|i| {
                let (ac, corpus) = (&ac, &corpus);
                s.spawn(move || scan(corpus, i * per, ((i + 1) * per).min(len), ac))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("scan thread"))
            .fold((0, 0, 0), |a, b| (a.0 + b.0, a.1 + b.1, a.2 + b.2))
    });
    println!(
        "{{\"tool\":\"aho-corasick DFA\",\"docs\":{},\"text_bytes\":{},\"matches\":{},\"phrases\":{},\"seconds\":{:.3}}}",
        totals.0,
        totals.1,
        totals.2,
        phrases.len(),
        t0.elapsed().as_secs_f64()
    );
}
