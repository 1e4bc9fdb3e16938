//! Any bytes as a `a.html` file: the parser never panics, keeps offsets, and its articles tag
//! cleanly.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    newstrack_fuzz::parse_and_tag("a.html", data);
});
