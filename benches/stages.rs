//! Per-stage benchmarks: ingest, analyze, tag, the duplicate hash, summaries and aggregate,
//! on the Reuters corpus when `../shared/data/reuters21578` is present and on a generated
//! corpus otherwise.

use std::path::{Path, PathBuf};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use newstrack::aggregate::{summarize, Aggregate};
use newstrack::analyze::{Analysis, Analyzer, AnalyzerKind};
use newstrack::config;
use newstrack::ingest::{self, clean, Article};
use newstrack::tag::{self, TagScratch};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Articles to measure on: Reuters when present, else generated text of the same flavour.
fn articles() -> Vec<Article> {
    let reuters = root().join("../shared/data/reuters21578/reut2-000.sgm");
    if reuters.exists() {
        let o = ingest::read_file(&reuters, "reut2-000.sgm", &[]);
        return o.articles;
    }
    eprintln!("../shared/data/reuters21578 not found: benchmarking a generated corpus");
    let dir = std::env::temp_dir().join("newstrack-bench");
    let _ = std::fs::create_dir_all(&dir);
    let words = [
        "China",
        "tariffs",
        "rare",
        "earth",
        "exports",
        "the",
        "United",
        "States",
        "said",
        "on",
        "Monday",
        "trade",
        "talks",
        "in",
        "London",
        "magnets",
        "controls",
        "officials",
    ];
    let mut lines = String::new();
    for i in 0..2000u32 {
        let text: Vec<&str> = (0..120u32)
            .map(|j| words[((i * 7 + j * 13) % words.len() as u32) as usize])
            .collect();
        lines.push_str(&format!(
            "{{\"id\":\"g{i}\",\"date\":\"2025-06-{:02}\",\"text\":\"{}.\"}}\n",
            1 + i % 28,
            text.join(" ")
        ));
    }
    let p = dir.join("gen.jsonl");
    let _ = std::fs::write(&p, lines);
    ingest::read_file(Path::new(&p), "gen.jsonl", &[]).articles
}

fn stages(c: &mut Criterion) {
    let pipeline = config::load(&root().join("pipelines/trade-1987.toml")).expect("pipeline");
    let arts = articles();
    let bytes: u64 = arts.iter().map(|a| a.text.len() as u64).sum();
    let mut g = c.benchmark_group("stages");
    g.throughput(Throughput::Bytes(bytes));
    g.sample_size(10);

    let reuters = root().join("../shared/data/reuters21578/reut2-000.sgm");
    if reuters.exists() {
        g.bench_function("ingest_sgml", |b| {
            b.iter(|| {
                ingest::read_file(&reuters, "reut2-000.sgm", &[])
                    .articles
                    .len()
            })
        });
    }
    // The two pre-tokeniser paths on their own (identical output, see tests).
    for (name, kind) in [
        ("analyze_fast", AnalyzerKind::Fast),
        ("analyze_tokenizers", AnalyzerKind::Tokenizers),
    ] {
        let an = Analyzer::new(kind, rust_stemmers::Algorithm::English);
        g.bench_function(name, |b| {
            let mut a = Analysis::default();
            b.iter(|| {
                let mut n = 0;
                for art in &arts {
                    an.analyze(art.clean_text(), &mut a);
                    n += a.words.len();
                }
                n
            })
        });
    }
    g.bench_function("analyze", |b| {
        let mut a = Analysis::default();
        b.iter(|| {
            let mut n = 0;
            for art in &arts {
                pipeline.analyzer.analyze(art.clean_text(), &mut a);
                n += a.words.len();
            }
            n
        })
    });
    let analysed: Vec<Analysis> = arts
        .iter()
        .map(|art| {
            let mut a = Analysis::default();
            pipeline.analyzer.analyze(art.clean_text(), &mut a);
            a
        })
        .collect();
    let mentions: Vec<Vec<_>> = analysed
        .iter()
        .map(|a| {
            let mut m = Vec::new();
            tag::tag(&pipeline.lexicon, a, &mut TagScratch::default(), &mut m);
            m
        })
        .collect();
    g.bench_function("tag", |b| {
        let mut scratch = TagScratch::default();
        let mut out = Vec::new();
        b.iter(|| {
            out.clear();
            for a in &analysed {
                tag::tag(&pipeline.lexicon, a, &mut scratch, &mut out);
            }
            out.len()
        })
    });
    let summaries: Vec<_> = arts
        .iter()
        .zip(&analysed)
        .zip(&mentions)
        .map(|((art, a), m)| summarize(art, a, m, &pipeline))
        .collect();
    // The duplicate hash alone: it reads every byte of every text, like the analyzer.
    g.bench_function("content_hash", |b| {
        b.iter(|| {
            arts.iter()
                .map(|art| clean::content_hash(art.clean_text())[0] as u64)
                .sum::<u64>()
        })
    });
    // One document's summary: counts, evidence, unlisted names and the duplicate hash.
    g.bench_function("summarize", |b| {
        b.iter(|| {
            arts.iter()
                .zip(&analysed)
                .zip(&mentions)
                .map(|((art, a), m)| summarize(art, a, m, &pipeline).names.len())
                .sum::<usize>()
        })
    });
    g.bench_function("aggregate", |b| {
        b.iter(|| {
            let mut agg = Aggregate::new(5);
            for s in &summaries {
                agg.add_doc(s.clone());
            }
            agg.finish();
            agg.articles()
        })
    });
    g.finish();
}

criterion_group!(benches, stages);
criterion_main!(benches);
