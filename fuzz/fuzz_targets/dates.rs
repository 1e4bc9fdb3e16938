//! Any string as a date field, a dateline region or a file name: never panics, and every
//! date found is plausible.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use newstrack::ingest::date;

fuzz_target!(|s: &str| {
    let _ = date::parse_date(s);
    if let Some(d) = date::date_from_text(s) {
        assert!(date::plausible(d), "{d}");
    }
    if !s.contains('/') && !s.contains('\0') {
        let _ = date::date_from_filename(Path::new(s));
    }
    let mut warnings = Vec::new();
    let (d, _) = date::resolve(Some(s), None, s, &mut warnings);
    if let Some(d) = d {
        assert!(date::plausible(d), "{d}");
    }
});
