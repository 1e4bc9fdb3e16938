//! Any text as a pipeline file: compiling never panics, and every error has a position
//! inside the file.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|src: &str| {
    if let Err(errs) = newstrack::config::compile(src, Path::new("f.toml")) {
        assert!(!errs.0.is_empty());
        let lines = src.split('\n').count();
        for e in &errs.0 {
            assert!(e.line <= lines.max(1), "line {} of {lines}: {e:?}", e.line);
        }
    }
});
