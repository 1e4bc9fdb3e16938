//! Inline SVG charts for `report.html`: line charts with gaps, spike marks and event lines,
//! and bar charts of articles per period. Hand-written because the charts are small and
//! their rules (a gap breaks a line, never drops it to zero) matter more than features.
//!
//! Owns geometry and SVG markup only: values come in ready, every text is escaped here,
//! and output is deterministic (fixed decimals) so reports stay byte-identical.

use std::fmt::Write as _;

/// Escapes text for HTML and SVG content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

/// How the y axis is labelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum YFormat {
    /// Values are fractions, shown as percentages.
    Percent,
    /// Values are counts.
    Count,
}

impl YFormat {
    fn tick(self, v: f64) -> String {
        match self {
            YFormat::Percent => {
                let p = v * 100.0;
                if p == 0.0 || (p - p.round()).abs() < 1e-9 {
                    format!("{p:.0}%")
                } else {
                    // 12.5%, 1.25%, 0.05%: enough decimals, no trailing zeros.
                    let t = format!("{p:.2}");
                    format!("{}%", t.trim_end_matches('0').trim_end_matches('.'))
                }
            }
            YFormat::Count => format!("{}", v.round() as i64),
        }
    }
}

/// One line of a chart.
#[derive(Debug, Clone)]
pub struct Series<'a> {
    pub name: &'a str,
    pub color: &'a str,
    /// One value per period; `None` where the period has no articles (a gap).
    pub values: &'a [Option<f64>],
    /// Period indices to mark (spikes), with their tooltip.
    pub marks: Vec<(usize, String)>,
}

/// A vertical line at a moment of the range.
#[derive(Debug, Clone)]
pub struct Marker {
    /// Position in periods: 2.5 is the middle of the third period.
    pub x: f64,
    /// Short tag drawn at the top (an event number).
    pub tag: String,
    pub label: String,
}

#[derive(Debug, Clone)]
pub struct LineChart<'a> {
    pub width: f64,
    pub height: f64,
    pub title: &'a str,
    pub x_labels: &'a [String],
    /// Periods without articles, shaded.
    pub gaps: &'a [bool],
    pub series: Vec<Series<'a>>,
    pub markers: &'a [Marker],
    pub y: YFormat,
    /// Most x labels drawn (they are thinned evenly).
    pub max_x_labels: usize,
}

const LEFT: f64 = 46.0;
const RIGHT: f64 = 10.0;
const TOP: f64 = 14.0;
const BOTTOM: f64 = 22.0;

/// The smallest "nice" number (1, 2, 2.5, 5 × 10ⁿ) at or above `m`; 1 for nothing.
pub fn nice_ceil(m: f64) -> f64 {
    if m <= 0.0 || !m.is_finite() {
        return 1.0;
    }
    let p = 10f64.powf(m.log10().floor());
    for k in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if k * p >= m * (1.0 - 1e-12) {
            return k * p;
        }
    }
    10.0 * p
}

/// Like `nice_ceil`, at least 2, so the middle tick of a count axis is a whole number.
fn count_ceil(m: f64) -> f64 {
    nice_ceil(m.max(2.0))
}

/// Maps period positions and values to SVG coordinates.
#[derive(Debug, Clone, Copy)]
pub struct Frame {
    pub width: f64,
    pub height: f64,
    pub n: usize,
    pub ymax: f64,
}

impl Frame {
    fn plot_w(&self) -> f64 {
        self.width - LEFT - RIGHT
    }
    fn plot_h(&self) -> f64 {
        self.height - TOP - BOTTOM
    }
    /// x of position `pos` in periods (period i spans `[i, i+1)`; its centre is i + 0.5).
    pub fn x(&self, pos: f64) -> f64 {
        LEFT + pos * self.plot_w() / self.n.max(1) as f64
    }
    pub fn y(&self, v: f64) -> f64 {
        TOP + self.plot_h() * (1.0 - (v / self.ymax).clamp(0.0, 1.0))
    }
    fn band(&self) -> f64 {
        self.plot_w() / self.n.max(1) as f64
    }
}

/// The `d` attribute of a line through `values`: a gap lifts the pen, so a line is never
/// drawn through a period without articles.
pub fn line_path(f: &Frame, values: &[Option<f64>]) -> String {
    let mut d = String::new();
    let mut pen = false;
    for (i, v) in values.iter().enumerate() {
        match v {
            Some(v) => {
                let _ = write!(
                    d,
                    "{}{:.1},{:.1}",
                    if pen {
                        " L"
                    } else if d.is_empty() {
                        "M"
                    } else {
                        " M"
                    },
                    f.x(i as f64 + 0.5),
                    f.y(*v)
                );
                pen = true;
            }
            None => pen = false,
        }
    }
    d
}

fn open_svg(s: &mut String, w: f64, h: f64, title: &str, class: &str) {
    let _ = write!(
        s,
        r#"<svg class="{}" viewBox="0 0 {w:.0} {h:.0}" role="img" aria-label="{t}" xmlns="http://www.w3.org/2000/svg"><title>{t}</title>"#,
        esc(class),
        t = esc(title)
    );
}

fn axes(s: &mut String, f: &Frame, labels: &[String], gaps: &[bool], y: YFormat, max_x: usize) {
    for (i, gap) in gaps.iter().enumerate() {
        if *gap {
            let _ = write!(
                s,
                r#"<rect class="gap" x="{:.1}" y="{TOP:.1}" width="{:.1}" height="{:.1}"><title>{}: no articles</title></rect>"#,
                f.x(i as f64),
                f.band(),
                f.plot_h(),
                esc(labels.get(i).map_or("", |l| l.as_str()))
            );
        }
    }
    for k in 0..=2 {
        let v = f.ymax * k as f64 / 2.0;
        let yy = f.y(v);
        let _ = write!(
            s,
            r#"<line class="grid" x1="{LEFT:.1}" x2="{:.1}" y1="{yy:.1}" y2="{yy:.1}"/><text class="ytick" x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            f.width - RIGHT,
            LEFT - 4.0,
            yy + 3.5,
            esc(&y.tick(v))
        );
    }
    let step = labels.len().div_ceil(max_x.max(1)).max(1);
    for (i, l) in labels.iter().enumerate().step_by(step) {
        let _ = write!(
            s,
            r#"<text class="xtick" x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            f.x(i as f64 + 0.5),
            f.height - 6.0,
            esc(l)
        );
    }
}

impl LineChart<'_> {
    pub fn frame(&self) -> Frame {
        let max = self
            .series
            .iter()
            .flat_map(|s| s.values.iter().flatten())
            .copied()
            .fold(0.0_f64, f64::max);
        Frame {
            width: self.width,
            height: self.height,
            n: self.x_labels.len(),
            ymax: match self.y {
                YFormat::Percent => nice_ceil(max),
                YFormat::Count => count_ceil(max),
            },
        }
    }

    pub fn render(&self) -> String {
        let f = self.frame();
        let mut s = String::new();
        open_svg(
            &mut s,
            self.width,
            self.height,
            self.title,
            "chart line-chart",
        );
        axes(
            &mut s,
            &f,
            self.x_labels,
            self.gaps,
            self.y,
            self.max_x_labels,
        );
        for m in self.markers {
            let x = f.x(m.x);
            let _ = write!(
                s,
                r#"<g class="event"><line x1="{x:.1}" x2="{x:.1}" y1="{TOP:.1}" y2="{:.1}"/><text x="{x:.1}" y="{:.1}" text-anchor="middle">{}</text><title>{}</title></g>"#,
                self.height - BOTTOM,
                TOP - 3.0,
                esc(&m.tag),
                esc(&m.label)
            );
        }
        for sr in &self.series {
            let d = line_path(&f, sr.values);
            let _ = write!(
                s,
                r#"<g class="line"><path class="series" d="{d}" stroke="{c}" fill="none"><title>{n}</title></path>"#,
                c = esc(sr.color),
                n = esc(sr.name)
            );
            // A point between two gaps has no segment: draw it as a dot.
            for (i, v) in sr.values.iter().enumerate() {
                let alone = (i == 0 || sr.values[i - 1].is_none())
                    && sr.values.get(i + 1).is_none_or(|n| n.is_none());
                if let (Some(v), true) = (v, alone) {
                    let _ = write!(
                        s,
                        r#"<circle class="dot" cx="{:.1}" cy="{:.1}" r="2.5" fill="{}"/>"#,
                        f.x(i as f64 + 0.5),
                        f.y(*v),
                        esc(sr.color)
                    );
                }
            }
            for (i, tip) in &sr.marks {
                if let Some(Some(v)) = sr.values.get(*i) {
                    let _ = write!(
                        s,
                        r#"<circle class="spike" cx="{:.1}" cy="{:.1}" r="5" stroke="{}"><title>{}</title></circle>"#,
                        f.x(*i as f64 + 0.5),
                        f.y(*v),
                        esc(sr.color),
                        esc(tip)
                    );
                }
            }
            s.push_str("</g>");
        }
        s.push_str("</svg>");
        s
    }
}

/// Bars of article counts per period; periods without articles are shaded gaps.
pub fn bar_chart(
    width: f64,
    height: f64,
    title: &str,
    labels: &[String],
    counts: &[u64],
    max_x_labels: usize,
) -> String {
    let max = counts.iter().copied().max().unwrap_or(0) as f64;
    let f = Frame {
        width,
        height,
        n: labels.len(),
        ymax: count_ceil(max),
    };
    let gaps: Vec<bool> = counts.iter().map(|c| *c == 0).collect();
    let mut s = String::new();
    open_svg(&mut s, width, height, title, "chart bar-chart");
    axes(&mut s, &f, labels, &gaps, YFormat::Count, max_x_labels);
    for (i, c) in counts.iter().enumerate() {
        if *c == 0 {
            continue;
        }
        let y = f.y(*c as f64);
        let _ = write!(
            s,
            r#"<rect class="bar" x="{:.1}" y="{y:.1}" width="{:.1}" height="{:.1}"><title>{}: {c} articles</title></rect>"#,
            f.x(i as f64) + f.band() * 0.1,
            f.band() * 0.8,
            (TOP + f.plot_h() - y).max(0.0),
            esc(labels.get(i).map_or("", |l| l.as_str()))
        );
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame() -> Frame {
        Frame {
            width: 200.0 + LEFT + RIGHT,
            height: 100.0 + TOP + BOTTOM,
            n: 4,
            ymax: 1.0,
        }
    }

    #[test]
    fn coordinates_map_period_centres_and_values() {
        let f = frame();
        // (position, value, x, y)
        let cases: &[(f64, f64, f64, f64)] = &[
            (0.5, 0.0, LEFT + 25.0, TOP + 100.0),
            (3.5, 1.0, LEFT + 175.0, TOP),
            (2.0, 0.25, LEFT + 100.0, TOP + 75.0),
            (1.5, 2.0, LEFT + 75.0, TOP), // clamped to the top
        ];
        for &(pos, v, x, y) in cases {
            assert!((f.x(pos) - x).abs() < 1e-9, "x({pos})");
            assert!((f.y(v) - y).abs() < 1e-9, "y({v})");
        }
    }

    #[test]
    fn gaps_break_lines() {
        let f = frame();
        let cases: &[(&[Option<f64>], &str)] = &[
            (
                &[Some(0.0), Some(1.0), None, Some(0.5)],
                "M71.0,114.0 L121.0,14.0 M221.0,64.0",
            ),
            (&[None, None], ""),
            (&[None, Some(0.0)], "M121.0,114.0"),
        ];
        for (v, want) in cases {
            assert_eq!(line_path(&f, v), *want, "{v:?}");
        }
    }

    #[test]
    fn tick_labels() {
        let cases = [
            (YFormat::Percent, 0.0, "0%"),
            (YFormat::Percent, 0.125, "12.5%"),
            (YFormat::Percent, 0.0125, "1.25%"),
            (YFormat::Percent, 0.0005, "0.05%"),
            (YFormat::Percent, 0.25, "25%"),
            (YFormat::Count, 1250.0, "1250"),
        ];
        for (f, v, want) in cases {
            assert_eq!(f.tick(v), want);
        }
    }

    #[test]
    fn nice_ceilings() {
        let cases = [
            (0.0, 1.0),
            (0.013, 0.02),
            (0.021, 0.025),
            (0.3, 0.5),
            (7.0, 10.0),
            (2500.0, 2500.0),
            (2503.0, 5000.0),
        ];
        for (m, want) in cases {
            assert!(
                (nice_ceil(m) - want).abs() < 1e-12,
                "{m} → {}",
                nice_ceil(m)
            );
        }
    }

    #[test]
    fn text_is_escaped_everywhere() {
        let labels = vec!["<W1>".to_string(), "W&2".to_string()];
        let vals = [Some(0.1), None];
        let chart = LineChart {
            width: 300.0,
            height: 120.0,
            title: "a \"title\" <script>",
            x_labels: &labels,
            gaps: &[false, true],
            series: vec![Series {
                name: "<b>Chips & co</b>",
                color: "#123456",
                values: &vals,
                marks: vec![(0, "spike <1>".into())],
            }],
            markers: &[Marker {
                x: 0.5,
                tag: "1".into(),
                label: "talks 'open' <now>".into(),
            }],
            y: YFormat::Percent,
            max_x_labels: 8,
        };
        let svg = chart.render();
        for raw in ["<W1>", "<b>", "<script>", "<1>", "<now>", "W&2", "'open'"] {
            assert!(!svg.contains(raw), "{raw} unescaped in {svg}");
        }
        for escaped in [
            "&lt;W1&gt;",
            "&lt;b&gt;Chips &amp; co&lt;/b&gt;",
            "W&amp;2",
            "&#39;open&#39;",
        ] {
            assert!(svg.contains(escaped), "{escaped} missing in {svg}");
        }
        assert!(svg.contains(r#"class="gap""#), "the gap period is shaded");
        assert!(svg.contains(r#"class="dot""#), "a lone point is a dot");
        assert!(svg.contains(r#"class="spike""#));
        let bars = bar_chart(300.0, 100.0, "articles", &labels, &[3, 0], 8);
        assert_eq!(
            bars.matches(r#"class="bar""#).count(),
            1,
            "no bar for a gap"
        );
        assert!(bars.contains(r#"class="gap""#));
    }
}
