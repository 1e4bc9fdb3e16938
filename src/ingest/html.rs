//! HTML pages (`.html`, `.htm`): one article per page, extracted with `scraper`.
//!
//! Owns: choosing the title (`og:title`, else `<title>`, else the first `<h1>`), the date
//! metadata (in order: `article:published_time` as property or name, `og:published_time`,
//! `name=date|pubdate|publish-date|dc.date`, `itemprop=datePublished`, then a `<time
//! datetime>` inside the article), `og:site_name` as source, `link rel=canonical` or `og:url`
//! as url, and the text extraction: the `p`, `h2`, `h3` and `li` blocks of the `<article>`
//! with the most text, else `<main>`, else `<body>`, skipping anything inside script, style,
//! nav, footer, aside, form, noscript, header, template, svg or button. Also keeps
//! `author`, `keywords` (split on commas), `article:section` (as `section`) and
//! `article:tag` (as `tags`) in `meta`. All attribute names and values are matched ASCII
//! case-insensitively.
//!
//! Must not touch: the page bytes as offsets — an HTML article's text is the extracted text
//! (title, blank line, blocks separated by blank lines) and every offset refers to that.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use scraper::{ElementRef, Html, Node, Selector};

use super::{clean, date, Article, FileOutcome, Rejected};

const NO_TEXT: &str = "no article text (no paragraphs found in <article>, <main> or <body>)";

/// Elements whose content is never article text.
const SKIP: &[&str] = &[
    "script", "style", "nav", "footer", "aside", "form", "noscript", "header", "template", "svg",
    "button",
];

/// Elements that make one text block each.
const BLOCKS: &[&str] = &["p", "h2", "h3", "li"];

/// Elements that run on inside a block without a word break.
const INLINE: &[&str] = &[
    "a", "abbr", "b", "bdi", "bdo", "cite", "code", "data", "del", "dfn", "em", "font", "i", "ins",
    "kbd", "mark", "q", "s", "samp", "small", "span", "strong", "sub", "sup", "time", "u", "var",
    "wbr",
];

/// Date metadata, most trusted first: (attribute, value).
const DATE_META: &[(&str, &str)] = &[
    ("property", "article:published_time"),
    ("name", "article:published_time"),
    ("property", "og:published_time"),
    ("name", "date"),
    ("name", "pubdate"),
    ("name", "publish-date"),
    ("name", "dc.date"),
    ("itemprop", "datepublished"),
];

/// Parses one HTML page into at most one article.
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
    let doc = Html::parse_document(&decoded.text);
    let root = doc.root_element();
    let found = Found::scan(root);
    let metas = meta_pairs(&found.metas);

    let Some((container, blocks)) = article_blocks(&found) else {
        outcome.rejected.push(Rejected {
            path: display.to_string(),
            record: None,
            reason: NO_TEXT.into(),
        });
        return;
    };

    let title = meta_value(&metas, &[("property", "og:title")])
        .or_else(|| first_text(&found.titles))
        .or_else(|| first_text(&found.h1s))
        .unwrap_or_default();
    let text = if title.is_empty() {
        blocks.join("\n\n")
    } else {
        format!("{title}\n\n{}", blocks.join("\n\n"))
    };
    // Without any title element the first block serves, as the first line does for text.
    let title = if title.is_empty() {
        blocks.first().cloned().unwrap_or_default()
    } else {
        title
    };

    let date_meta = meta_value(&metas, DATE_META).or_else(|| {
        select(container, "time[datetime]")
            .into_iter()
            .filter_map(|t| t.value().attr("datetime"))
            .map(str::trim)
            .find(|s| !s.is_empty())
            .map(str::to_string)
    });
    let clean_text = clean::clean_for_analysis(&text, boilerplate);
    let mut warnings = Vec::new();
    let (date, date_source) =
        date::resolve(date_meta.as_deref(), file_date, &clean_text, &mut warnings);

    let url = found
        .links
        .iter()
        .find(|l| {
            l.value().attr("rel").is_some_and(|r| {
                r.split_whitespace()
                    .any(|t| t.eq_ignore_ascii_case("canonical"))
            })
        })
        .and_then(|l| l.value().attr("href"))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .or_else(|| meta_value(&metas, &[("property", "og:url")]));

    outcome.articles.push(Article {
        id: display.to_string(),
        path: display.to_string(),
        record: None,
        title,
        date,
        date_source,
        source: meta_value(&metas, &[("property", "og:site_name")]),
        url,
        cleaned: clean::if_changed(&text, clean_text),
        text,
        meta: extra_meta(&metas),
        warnings,
    });
}

fn select<'a>(scope: ElementRef<'a>, css: &str) -> Vec<ElementRef<'a>> {
    match Selector::parse(css) {
        Ok(sel) => scope.select(&sel).collect(),
        Err(_) => Vec::new(),
    }
}

fn first_text(elements: &[ElementRef]) -> Option<String> {
    elements
        .iter()
        .map(|e| clean::collapse(&e.text().collect::<String>()))
        .find(|t| !t.is_empty())
}

/// Every `(attribute, lowercased value, content)` of `<meta>` and `[itemprop]` elements, in
/// document order; `itemprop` elements may carry their value in `datetime` instead.
fn meta_pairs(elements: &[ElementRef]) -> Vec<(&'static str, String, String)> {
    let mut out = Vec::new();
    for el in elements {
        let v = el.value();
        let Some(content) = v
            .attr("content")
            .or_else(|| v.attr("datetime"))
            .map(clean::collapse)
            .filter(|c| !c.is_empty())
        else {
            continue;
        };
        for attr in ["property", "name", "itemprop"] {
            if let Some(key) = v.attr(attr) {
                out.push((attr, key.trim().to_ascii_lowercase(), content.clone()));
            }
        }
    }
    out
}

fn meta_value(metas: &[(&str, String, String)], wanted: &[(&str, &str)]) -> Option<String> {
    wanted.iter().find_map(|(attr, key)| {
        metas
            .iter()
            .find(|(a, k, _)| a == attr && k == key)
            .map(|(_, _, c)| c.clone())
    })
}

fn extra_meta(metas: &[(&str, String, String)]) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (attr, key, content) in metas {
        let (name, split) = match (*attr, key.as_str()) {
            ("name", "author") => ("author", false),
            ("name", "keywords") => ("keywords", true),
            ("property", "article:section") => ("section", false),
            ("property", "article:tag") => ("tags", false),
            _ => continue,
        };
        let entry = out.entry(name.to_string()).or_default();
        if split {
            entry.extend(
                content
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string),
            );
        } else {
            entry.push(content.clone());
        }
    }
    out.retain(|_, v| !v.is_empty());
    out
}

/// The container and its text blocks: the `<article>` with the most text, else `<main>`,
/// else `<body>`; `None` when none of them has a block with text.
fn article_blocks<'a>(found: &Found<'a>) -> Option<(ElementRef<'a>, Vec<String>)> {
    let best_article = found
        .articles
        .iter()
        .map(|&a| (a, blocks_of(a)))
        .filter(|(_, b)| !b.is_empty())
        .max_by_key(|(_, b)| b.iter().map(String::len).sum::<usize>());
    if best_article.is_some() {
        return best_article;
    }
    [&found.mains, &found.bodies].into_iter().find_map(|list| {
        list.iter()
            .map(|&c| (c, blocks_of(c)))
            .find(|(_, b)| !b.is_empty())
    })
}

/// The elements the page is read from, each list in document order, found in one walk of
/// the tree: a CSS selector per list walked the whole tree once each (six walks, about a
/// tenth of a run over a folder of news pages).
#[derive(Default)]
struct Found<'a> {
    /// `meta, [itemprop]`.
    metas: Vec<ElementRef<'a>>,
    articles: Vec<ElementRef<'a>>,
    titles: Vec<ElementRef<'a>>,
    h1s: Vec<ElementRef<'a>>,
    /// `link[rel][href]`.
    links: Vec<ElementRef<'a>>,
    mains: Vec<ElementRef<'a>>,
    bodies: Vec<ElementRef<'a>>,
}

impl<'a> Found<'a> {
    fn scan(root: ElementRef<'a>) -> Found<'a> {
        let mut f = Found::default();
        for node in root.descendants() {
            let Some(el) = ElementRef::wrap(node) else {
                continue;
            };
            let v = el.value();
            let name = v.name();
            if name == "meta" || v.attr("itemprop").is_some() {
                f.metas.push(el);
            }
            let list = match name {
                "article" => &mut f.articles,
                "title" => &mut f.titles,
                "h1" => &mut f.h1s,
                "link" if v.attr("rel").is_some() && v.attr("href").is_some() => &mut f.links,
                "main" => &mut f.mains,
                "body" => &mut f.bodies,
                _ => continue,
            };
            list.push(el);
        }
        f
    }
}

/// The text blocks below `container`, in document order. Walks the tree with an explicit
/// stack so that deeply nested markup cannot overflow the call stack; an outer block keeps
/// the text of blocks nested in it (a `li` holding a `p` is one block).
fn blocks_of(container: ElementRef) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut stack = vec![(*container, false)];
    let mut current = None;
    let mut buf = String::new();
    while let Some((node, closing)) = stack.pop() {
        match node.value() {
            Node::Text(t) if !closing && current.is_some() => buf.push_str(t),
            Node::Element(el) => {
                let name = el.name();
                if closing {
                    if current == Some(node.id()) {
                        let block = clean::collapse(&buf);
                        if !block.is_empty() {
                            blocks.push(block);
                        }
                        current = None;
                        buf.clear();
                    } else if current.is_some() && !INLINE.contains(&name) {
                        buf.push(' ');
                    }
                    continue;
                }
                if node.id() != container.id() && SKIP.contains(&name) {
                    continue;
                }
                if current.is_none() && BLOCKS.contains(&name) {
                    current = Some(node.id());
                    buf.clear();
                } else if current.is_some() && !INLINE.contains(&name) {
                    // `<br>`, nested lists and the like separate words.
                    buf.push(' ');
                }
                stack.push((node, true));
                for child in node.children().rev() {
                    stack.push((child, false));
                }
            }
            _ => {}
        }
    }
    blocks
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::DateSource;

    fn run(html: &str) -> FileOutcome {
        let mut o = FileOutcome::default();
        parse(html.as_bytes(), "p.html", None, &[], &mut o);
        o
    }

    fn page(head: &str, body: &str) -> String {
        format!("<!DOCTYPE html><html><head>{head}</head><body>{body}</body></html>")
    }

    #[test]
    fn one_walk_finds_what_the_selectors_found() {
        let pages = [
            page(
                r#"<META NAME="date" CONTENT="2025-01-02"><title>T</title><link rel="canonical">
                <LINK REL="alternate" HREF="/a"><link href="/b"><span itemprop="author">A</span>"#,
                r##"<main><ARTICLE><h1>H</h1><h2>sub</h2><article><p>in</p></article></ARTICLE></main>
                <svg><title>svg title</title><a itemprop="x" href="#">s</a></svg>
                <div itemprop="datePublished" datetime="2025-01-03"><meta itemprop="y"></div>
                <main><p>second main</p></main><h1></h1><h1>Second</h1>"##,
            ),
            page("", "<p>only a body</p>"),
            "<title>no html element</title><p>text</p>".to_string(),
            String::new(),
        ];
        for html in &pages {
            let doc = Html::parse_document(html);
            let root = doc.root_element();
            let found = Found::scan(root);
            let ids = |els: &[ElementRef]| els.iter().map(|e| e.id()).collect::<Vec<_>>();
            for (css, got) in [
                ("meta, [itemprop]", &found.metas),
                ("article", &found.articles),
                ("title", &found.titles),
                ("h1", &found.h1s),
                ("link[rel][href]", &found.links),
                ("main", &found.mains),
                ("body", &found.bodies),
            ] {
                assert_eq!(ids(got), ids(&select(root, css)), "{css} in {html:?}");
            }
        }
    }

    #[test]
    fn date_meta_variants() {
        let body = "<article><p>Words here.</p></article>";
        let cases: &[(&str, &str, &str)] = &[
            (
                r#"<meta property="article:published_time" content="2025-06-10T08:00:00Z">"#,
                body,
                "2025-06-10",
            ),
            (
                r#"<meta name="article:published_time" content="2025-06-11">"#,
                body,
                "2025-06-11",
            ),
            (
                r#"<meta property="og:published_time" content="2025-06-12">"#,
                body,
                "2025-06-12",
            ),
            (
                r#"<meta name="date" content="June 13, 2025">"#,
                body,
                "2025-06-13",
            ),
            (
                r#"<meta name="pubdate" content="2025/06/14">"#,
                body,
                "2025-06-14",
            ),
            (
                r#"<meta name="publish-date" content="15 June 2025">"#,
                body,
                "2025-06-15",
            ),
            (
                r#"<meta name="DC.date" content="2025-06-16">"#,
                body,
                "2025-06-16",
            ),
            (
                r#"<meta name="dc.date" content="2025-06-17">"#,
                body,
                "2025-06-17",
            ),
            (
                r#"<meta itemprop="datePublished" content="2025-06-18">"#,
                body,
                "2025-06-18",
            ),
            (
                "",
                r#"<article><time datetime="2025-06-19T10:00">x</time><p>Words.</p></article>"#,
                "2025-06-19",
            ),
            (
                r#"<meta name="date" content="2025-06-20"><meta property="article:published_time" content="2025-06-21">"#,
                body,
                "2025-06-21",
            ),
        ];
        for (head, body, want) in cases {
            let o = run(&page(head, body));
            let a = &o.articles[0];
            assert_eq!(
                a.date.map(|d| d.to_string()).as_deref(),
                Some(*want),
                "{head}"
            );
            assert_eq!(a.date_source, DateSource::Metadata, "{head}");
        }
        let o = run(&page(r#"<meta name="date" content="2099-01-01">"#, body));
        assert_eq!(o.articles[0].date, None);
        assert_eq!(
            o.articles[0].warnings,
            vec!["date \"2099-01-01\" lies in the future; ignored"]
        );
    }

    #[test]
    fn article_paragraphs_title_source_url() {
        let html = page(
            r#"<title>Page  title | Site</title><meta property="og:title" content="OG &amp; title">
               <meta property="og:site_name" content="The Site"><link rel="Canonical" href="https://s.example/a">
               <meta name="keywords" content="trade, tariffs"><meta property="article:tag" content="chips">"#,
            r#"<header><h1>Masthead</h1></header><nav><p>Menu</p></nav>
               <article><header><p>Byline</p></header>
                 <h2>Sub  head</h2><p>First <b>bold</b>  para
                 with &lt;entity&gt;.</p><script>var x = "<p>no</p>";</script>
                 <ul><li>Item <p>nested</p></li></ul><aside><p>Side</p></aside>
                 <p>Advertisement</p><p>Line<br>break</p><p>  </p>
               </article><footer><p>Footer</p></footer>"#,
        );
        let o = run(&html);
        let a = &o.articles[0];
        assert_eq!(a.title, "OG & title");
        assert_eq!(
            a.text,
            "OG & title\n\nSub head\n\nFirst bold para with <entity>.\n\nItem nested\n\nAdvertisement\n\nLine break"
        );
        assert_eq!(a.clean_text().len(), a.text.len());
        assert!(!a.clean_text().contains("Advertisement"));
        assert_eq!(a.source.as_deref(), Some("The Site"));
        assert_eq!(a.url.as_deref(), Some("https://s.example/a"));
        assert_eq!(
            a.meta.get("keywords"),
            Some(&vec!["trade".to_string(), "tariffs".to_string()])
        );
        assert_eq!(a.meta.get("tags"), Some(&vec!["chips".to_string()]));
        assert_eq!(a.id, "p.html");
    }

    #[test]
    fn container_fallbacks_and_titles() {
        // (body, head, title, text)
        let cases: &[(&str, &str, &str, &str)] = &[
            ("<main><p>In main.</p></main><p>Outside.</p>", "<title>T</title>", "T", "T\n\nIn main."),
            ("<div><p>Body only.</p></div>", "", "Body only.", "Body only."),
            ("<h1> Heading  one </h1><p>Text.</p>", "", "Heading one", "Heading one\n\nText."),
            (
                "<article><p>Short teaser.</p></article><article><p>The long main story text.</p></article>",
                r#"<meta property="og:url" content="u">"#,
                "The long main story text.",
                "The long main story text.",
            ),
        ];
        for (body, head, title, text) in cases {
            let o = run(&page(head, body));
            assert!(o.rejected.is_empty(), "{body}");
            assert_eq!(o.articles[0].title, *title, "{body}");
            assert_eq!(o.articles[0].text, *text, "{body}");
        }
    }

    #[test]
    fn picks_longest_article() {
        let o = run(&page(
            "<title>T</title>",
            "<article><p>Teaser.</p></article><article><p>The much longer main story.</p></article>",
        ));
        assert_eq!(o.articles[0].text, "T\n\nThe much longer main story.");
    }

    #[test]
    fn no_text_pages_rejected() {
        let cases = [
            "<html><head><script>var a = 1;</script></head><body><script>b()</script></body></html>",
            "",
            "<html><body><nav><p>Only menu</p></nav><div>loose text</div></body></html>",
        ];
        for html in cases {
            let o = run(html);
            assert!(o.articles.is_empty(), "{html}");
            assert_eq!(o.rejected[0].reason, NO_TEXT);
        }
        let o = run("\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}");
        assert_eq!(
            o.failed.as_deref(),
            Some("binary data (too many control bytes)")
        );
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        let html = format!("{}<p>deep</p>", "<div>".repeat(3_000));
        let o = run(&html);
        assert_eq!(o.articles[0].text, "deep");
    }
}
