//! Plain text (`.txt`) and Markdown (`.md`) files: one article per file.
//!
//! Owns: front matter (`---` / `key: value` lines / `---` at the top of the file; keys
//! `title`, `date`, `source`, `url` are used, every other key goes to `meta` under its
//! lowercased name; quoted values, `[a, b]` lists and `- item` lists are understood), the
//! first-line title rule, and the Markdown noise blanked in the clean text (link targets,
//! images, autolinks, reference definitions, HTML comments).
//!
//! Must not touch: the article text, which is the whole decoded file so that every offset is
//! a file offset (front matter included — it is blanked only in `clean_text`).

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::{clean, date, Article, FileOutcome, Rejected};

/// Parses one `.txt` or `.md` file into at most one article.
pub fn parse(
    bytes: &[u8],
    display: &str,
    file_date: Option<NaiveDate>,
    boilerplate: &[String],
    outcome: &mut FileOutcome,
) {
    if let Some(reason) = clean::looks_binary(bytes) {
        outcome.failed = Some(reason.to_string());
        return;
    }
    let decoded = clean::decode(bytes);
    outcome.warnings.extend(decoded.warnings());
    let text = decoded.text;
    if is_blank(&text) {
        outcome.rejected.push(Rejected {
            path: display.to_string(),
            record: None,
            reason: "empty file".into(),
        });
        return;
    }
    let markdown = display.to_ascii_lowercase().ends_with(".md")
        || display.to_ascii_lowercase().ends_with(".markdown");

    let mut warnings = Vec::new();
    let fm = front_matter(&text, &mut warnings);
    let mut clean_text = clean::clean_for_analysis(&text, boilerplate);
    let mut fields = BTreeMap::new();
    if let Some(fm) = &fm {
        clean::blank_keep_newlines(&mut clean_text, &[(0, fm.end)]);
        fields = fm.fields.clone();
    }
    if markdown {
        let noise = markdown_noise(&clean_text);
        clean::blank_keep_newlines(&mut clean_text, &noise);
    }
    if is_blank(&clean_text) {
        outcome.rejected.push(Rejected {
            path: display.to_string(),
            record: None,
            reason: if fm.is_some() {
                "no text after front matter".into()
            } else {
                "no text (only boilerplate lines)".into()
            },
        });
        return;
    }

    let mut take = |key: &str| {
        fields
            .remove(key)
            .and_then(|v: Vec<String>| v.into_iter().next())
    };
    let fm_title = take("title").filter(|t| !t.trim().is_empty());
    let fm_date = take("date");
    let source = take("source").filter(|s| !s.is_empty());
    let url = take("url").filter(|s| !s.is_empty());
    let title = fm_title
        .map(|t| clean::collapse(&t))
        .unwrap_or_else(|| first_line_title(&clean_text, markdown));
    let (date, date_source) =
        date::resolve(fm_date.as_deref(), file_date, &clean_text, &mut warnings);

    outcome.articles.push(Article {
        id: display.to_string(),
        path: display.to_string(),
        record: None,
        title,
        date,
        date_source,
        source,
        url,
        cleaned: clean::if_changed(&text, clean_text),
        text,
        meta: fields,
        warnings,
    });
}

fn is_blank(s: &str) -> bool {
    s.chars()
        .all(|c| c.is_whitespace() || c.is_control() || c == '\u{FEFF}')
}

struct FrontMatter {
    /// Byte offset just past the closing `---` line.
    end: usize,
    fields: BTreeMap<String, Vec<String>>,
}

/// Lines of `text` with their start offsets, without the line terminator (`\n`, `\r\n`).
fn lines_with_offsets(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut start = 0;
    text.split_inclusive('\n').map(move |raw| {
        let at = start;
        start += raw.len();
        (at, raw.trim_end_matches(['\n', '\r']))
    })
}

fn front_matter(text: &str, warnings: &mut Vec<String>) -> Option<FrontMatter> {
    let body = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let skip = text.len() - body.len();
    let mut lines = lines_with_offsets(body);
    let (_, first) = lines.next()?;
    if first.trim_end() != "---" {
        return None;
    }
    let mut fields: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut list_key: Option<String> = None;
    for (at, line) in lines {
        let t = line.trim();
        if t == "---" {
            return Some(FrontMatter {
                end: skip + at + line.len(),
                fields,
            });
        }
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        if let (Some(key), Some(item)) = (&list_key, t.strip_prefix("- ")) {
            fields.entry(key.clone()).or_default().push(unquote(item));
            continue;
        }
        let Some((key, value)) = t.split_once(':') else {
            continue;
        };
        let key = key.trim().to_lowercase();
        let value = value.trim();
        if value.is_empty() {
            // `tags:` followed by `- item` lines.
            list_key = Some(key);
            continue;
        }
        list_key = None;
        let values = match value.strip_prefix('[').and_then(|v| v.strip_suffix(']')) {
            Some(inner) => inner
                .split(',')
                .map(unquote)
                .filter(|v| !v.is_empty())
                .collect(),
            None => vec![unquote(value)],
        };
        fields.entry(key).or_default().extend(values);
    }
    warnings.push("front matter opened with '---' is never closed; read as text".into());
    None
}

fn unquote(v: &str) -> String {
    let v = v.trim();
    for q in ['"', '\''] {
        if let Some(inner) = v.strip_prefix(q).and_then(|s| s.strip_suffix(q)) {
            return inner.to_string();
        }
    }
    v.to_string()
}

/// The first non-empty line of the clean text (front matter and boilerplate already blank);
/// for Markdown without heading marks and inline emphasis or link brackets.
fn first_line_title(clean_text: &str, markdown: bool) -> String {
    let Some(line) = clean_text.lines().map(str::trim).find(|l| !l.is_empty()) else {
        return String::new();
    };
    if !markdown {
        return clean::collapse(line);
    }
    let line = line.trim_start_matches('#').trim_end_matches('#');
    let plain: String = line
        .chars()
        .filter(|c| !matches!(c, '*' | '`' | '[' | ']'))
        .collect();
    clean::collapse(&plain)
}

/// Ranges of Markdown markup that carry no article words: `<!-- comments -->`, images
/// `![alt](src)`, link targets `](url)` with their opening `[`, autolinks `<http…>` and
/// reference definitions `[1]: http…`.
fn markdown_noise(s: &str) -> Vec<(usize, usize)> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let line_end = |from: usize| s[from..].find('\n').map_or(s.len(), |n| from + n);
    while i < b.len() {
        if s[i..].starts_with("<!--") {
            let end = s[i + 4..].find("-->").map_or(s.len(), |n| i + 4 + n + 3);
            out.push((i, end));
            i = end;
            continue;
        }
        if s[i..].starts_with("![") {
            if let Some(end) = link_end(s, i + 2, line_end(i)) {
                out.push((i, end));
                i = end;
                continue;
            }
        }
        if b[i] == b'[' {
            let le = line_end(i);
            if let Some(close) = s[i..le].find("](").map(|n| i + n) {
                if let Some(end) = paren_end(s, close + 1, le) {
                    out.push((i, i + 1));
                    out.push((close, end));
                    i = end;
                    continue;
                }
            }
            // `[1]: http://…` reference definitions at the start of a line.
            let at_line_start = s[..i].rfind('\n').map_or(0, |n| n + 1);
            if s[at_line_start..i].trim().is_empty() {
                if let Some(n) = s[i..le].find("]:") {
                    if s[i + n + 2..le].trim_start().contains("://") {
                        out.push((at_line_start, le));
                        i = le;
                        continue;
                    }
                }
            }
        }
        if s[i..].starts_with("<http") {
            let le = line_end(i);
            if let Some(n) = s[i..le].find('>') {
                out.push((i, i + n + 1));
                i += n + 1;
                continue;
            }
        }
        i += s[i..].chars().next().map_or(1, char::len_utf8);
    }
    out
}

/// End (exclusive) of `…](target)` starting at `from`, on the same line.
fn link_end(s: &str, from: usize, line_end: usize) -> Option<usize> {
    let close = s[from..line_end].find("](")? + from;
    paren_end(s, close + 1, line_end)
}

/// End (exclusive) of the parenthesised target opening at `open`; URLs may nest parentheses.
fn paren_end(s: &str, open: usize, line_end: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (k, c) in s[open..line_end].char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return Some(open + k + 1);
                }
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::DateSource;

    fn run(name: &str, bytes: &[u8]) -> FileOutcome {
        let mut outcome = FileOutcome {
            path: name.into(),
            ..Default::default()
        };
        let file_date = date::date_from_filename(std::path::Path::new(name));
        parse(bytes, name, file_date, &[], &mut outcome);
        outcome
    }

    fn one(name: &str, bytes: &[u8]) -> Article {
        let o = run(name, bytes);
        assert!(o.failed.is_none() && o.rejected.is_empty(), "{o:?}");
        assert_eq!(o.articles.len(), 1);
        o.articles.into_iter().next().unwrap()
    }

    #[test]
    fn titles_and_dates() {
        // (file name, content, title, date, date source)
        let cases: &[(&str, &str, &str, Option<&str>, DateSource)] = &[
            ("a.txt", "\n\n  First line here  \nBody text.", "First line here", None, DateSource::None),
            ("a.md", "## Big  *news* today\n\nBody.", "Big news today", None, DateSource::None),
            ("a.md", "# [Linked](http://x.example/a) title\n", "Linked title", None, DateSource::None),
            (
                "a.md",
                "---\ntitle: \"Quoted: title\"\ndate: 2025-06-10\nsource: Wire\nurl: 'http://x.example'\n---\n# Heading\nText.",
                "Quoted: title",
                Some("2025-06-10"),
                DateSource::Metadata,
            ),
            ("2024-03-01-story.txt", "Headline\nNo date inside.", "Headline", Some("2024-03-01"), DateSource::Filename),
            ("story.txt", "Headline\nPARIS, March 5, 1987 - text", "Headline", Some("1987-03-05"), DateSource::Text),
            ("story.txt", "Advertisement\nReal title\n", "Real title", None, DateSource::None),
            ("\u{e9}.txt", "\u{FEFF}Title after BOM\nx", "Title after BOM", None, DateSource::None),
        ];
        for (name, content, title, want_date, source) in cases {
            let a = one(name, content.as_bytes());
            assert_eq!(a.title, *title, "{content:?}");
            assert_eq!(
                a.date.map(|d| d.to_string()).as_deref(),
                *want_date,
                "{content:?}"
            );
            assert_eq!(a.date_source, *source, "{content:?}");
            assert_eq!(a.text, *content);
            assert_eq!(a.clean_text().len(), a.text.len());
            assert_eq!(a.id, *name);
            assert_eq!(a.record, None);
        }
    }

    #[test]
    fn front_matter_fields_meta_and_blanking() {
        let src = "---\r\ntitle: T\r\nTags: [a, \"b\"]\r\nauthors:\r\n  - Ann\r\n  - Bob\r\ndate: 2099-01-01\r\n---\r\nBody words.\r\n";
        let a = one("x.md", src.as_bytes());
        assert_eq!(a.title, "T");
        assert_eq!(
            a.meta.get("tags"),
            Some(&vec!["a".to_string(), "b".to_string()])
        );
        assert_eq!(
            a.meta.get("authors"),
            Some(&vec!["Ann".to_string(), "Bob".to_string()])
        );
        assert!(!a.meta.contains_key("title"));
        assert_eq!(a.date, None);
        assert_eq!(
            a.warnings,
            vec!["date \"2099-01-01\" lies in the future; ignored"]
        );
        let body = a.text.find("Body").unwrap();
        assert!(a.clean_text()[..body].trim().is_empty());
        assert_eq!(&a.clean_text()[body..body + 11], "Body words.");
        assert_eq!(a.clean_text().len(), a.text.len());
    }

    #[test]
    fn unclosed_front_matter_is_text() {
        let a = one("x.txt", b"---\ntitle: T\nstill going");
        assert_eq!(a.title, "---");
        assert_eq!(a.warnings.len(), 1);
        assert!(a.meta.is_empty());
    }

    #[test]
    fn markdown_noise_blanked_in_clean_only() {
        let src = "Intro [site](http://a.example/x_(y)) end ![pic](i.png) <!-- note\nmore --> tail <http://b.example>\n[1]: http://c.example\nlast";
        let a = one("n.md", src.as_bytes());
        assert_eq!(a.text, src);
        let words: Vec<&str> = a.clean_text().split_whitespace().collect();
        assert_eq!(words, ["Intro", "site", "end", "tail", "last"]);
        assert_eq!(
            a.clean_text().matches('\n').count(),
            src.matches('\n').count()
        );
        // A .txt file keeps the same markup visible to the analyzer.
        let t = one("n.txt", src.as_bytes());
        assert!(t.clean_text().contains("http://a.example"));
    }

    #[test]
    fn invalid_utf8_keeps_file_offsets() {
        let bytes = b"Title\nCaf\xe9 owner said \xff\xfe twice.\n";
        let o = run("bad.txt", bytes);
        let a = &o.articles[0];
        assert_eq!(a.text.len(), bytes.len());
        assert_eq!(a.text.find("owner"), Some(11));
        assert_eq!(
            o.warnings,
            vec!["3 invalid UTF-8 byte(s) replaced with '?' at byte offset 9 (first)"]
        );
    }

    #[test]
    fn empty_binary_and_frontmatter_only() {
        let cases: &[(&[u8], Option<&str>, Option<&str>)] = &[
            (b"", None, Some("empty file")),
            (b"  \n\t\r\n", None, Some("empty file")),
            (b"\xef\xbb\xbf\n", None, Some("empty file")),
            (
                b"---\ntitle: T\n---\n\n",
                None,
                Some("no text after front matter"),
            ),
            (
                b"Advertisement\n",
                None,
                Some("no text (only boilerplate lines)"),
            ),
            (
                b"\x89PNG\r\n\x1a\n....",
                Some("binary data (PNG image)"),
                None,
            ),
        ];
        for (bytes, failed, rejected) in cases {
            let o = run("e.md", bytes);
            assert_eq!(o.failed.as_deref(), *failed);
            assert_eq!(o.rejected.first().map(|r| r.reason.as_str()), *rejected);
            assert!(o.articles.is_empty());
        }
    }

    #[test]
    fn utf16_file_decodes_with_warning() {
        let mut bytes = vec![0xFF, 0xFE];
        for u in "Hello\nworld".encode_utf16() {
            bytes.extend(u.to_le_bytes());
        }
        let o = run("u.txt", &bytes);
        assert_eq!(o.articles[0].text, "Hello\nworld");
        assert_eq!(o.articles[0].title, "Hello");
        assert_eq!(o.warnings.len(), 1);
    }
}
