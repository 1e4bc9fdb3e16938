//! Tuning overrides: environment variables that set a size or a count for tests and tuning
//! (`NEWSTRACK_CHUNK_BYTES`, `NEWSTRACK_SPILL_BYTES`, `NEWSTRACK_COMMIT_PARTS`).
//!
//! Owns reading them. Each module that honours one keeps its own variable name and default,
//! and documents what it tunes; nothing here decides anything else.

/// The positive whole number in the environment variable `var`, or `default` when it is
/// unset, not a number, or zero.
pub fn count_or(var: &str, default: usize) -> usize {
    parse_count(std::env::var(var).ok().as_deref(), default)
}

fn parse_count(value: Option<&str>, default: usize) -> usize {
    value
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or(default)
}

#[cfg(test)]
mod tests {
    use super::parse_count;

    #[test]
    fn counts_and_what_falls_back_to_the_default() {
        let cases = [
            (None, 7),
            (Some(""), 7),
            (Some("0"), 7),
            (Some("-3"), 7),
            (Some("12x"), 7),
            (Some(" 12"), 7),
            (Some("1"), 1),
            (Some("4096"), 4096),
        ];
        for (value, want) in cases {
            assert_eq!(parse_count(value, 7), want, "{value:?}");
        }
    }
}
