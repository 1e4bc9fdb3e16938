//! Differential: a `.jsonl` file read from disk line by line (the streaming reader with its
//! per-line limit) gives what the in-memory parser gives, and the limit rejects exactly the
//! lines longer than it.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use newstrack::ingest::{self, FileOutcome, ReadOptions};

fuzz_target!(|input: (u16, &[u8])| {
    let (limit, data) = input;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f.jsonl");
    std::fs::write(&path, data).unwrap();
    let big = ReadOptions { boilerplate: &[], max_doc_bytes: u64::MAX };
    let streamed = ingest::read_file_with(&path, "f.jsonl", &big);
    let mut mem = FileOutcome { path: "f.jsonl".into(), ..Default::default() };
    ingest::json::parse_jsonl(data, "f.jsonl", None, &[], &mut mem);
    newstrack_fuzz::check_outcome(&streamed);
    assert_eq!(streamed.failed, mem.failed);
    assert_eq!(streamed.articles, mem.articles);
    assert_eq!(streamed.rejected, mem.rejected);
    let c = streamed.content.as_ref().expect("content stamp");
    assert_eq!(c.len, data.len() as u64);
    // With a limit, no article comes from a line longer than it.
    let limit = u64::from(limit.max(1));
    let small = ReadOptions { boilerplate: &[], max_doc_bytes: limit };
    let limited = ingest::read_file_with(Path::new(&path), "f.jsonl", &small);
    newstrack_fuzz::check_outcome(&limited);
    let utf16 = data.starts_with(&[0xFF, 0xFE]) || data.starts_with(&[0xFE, 0xFF]);
    if !utf16 && limited.failed.is_none() {
        let long: Vec<u64> = data
            .split(|&b| b == b'\n')
            .enumerate()
            .filter(|(_, l)| l.len() as u64 > limit)
            .map(|(i, _)| i as u64 + 1)
            .collect();
        for a in &limited.articles {
            assert!(!long.contains(&a.record.unwrap()), "line {:?} over the limit was read", a.record);
        }
    }
});
