//! `trends.csv` (`period,entity,kind,mentions,documents`), `documents.csv`
//! (`doc,path,date,date_source,title,entity,mentions`) and `periods.csv` (`period,articles`),
//! through the `csv` crate so quoting is right for titles with commas and quotes.

use crate::aggregate::Aggregate;

use super::trends::View;
use super::ReportContext;

fn finish(w: csv::Writer<Vec<u8>>) -> Vec<u8> {
    // Writing into a Vec cannot fail except on a bug; an empty file beats a panic.
    w.into_inner().unwrap_or_default()
}

/// One row per period and entity with at least one mention, in period then entity-id order.
pub fn trends(cx: &ReportContext, view: &View) -> Vec<u8> {
    let p = cx.pipeline;
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(["period", "entity", "kind", "mentions", "documents"]);
    let mut ids: Vec<u32> = (0..p.entities.len() as u32).collect();
    ids.sort_by(|a, b| p.entities[*a as usize].id.cmp(&p.entities[*b as usize].id));
    for (i, row) in view.periods.iter().enumerate() {
        for e in &ids {
            let Some(series) = view.series.get(e) else {
                continue;
            };
            let c = series[i];
            if c.mentions == 0 {
                continue;
            }
            let ent = &p.entities[*e as usize];
            let _ = w.write_record([
                row.label.as_str(),
                &ent.id,
                ent.kind.as_str(),
                &c.mentions.to_string(),
                &c.documents.to_string(),
            ]);
        }
    }
    finish(w)
}

/// Every period of the range with its article count, zero included: a zero is a gap in
/// coverage, which is why trends show it as a gap and not as zero attention.
pub fn periods(view: &View) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(["period", "articles"]);
    for p in &view.periods {
        let _ = w.write_record([p.label.as_str(), &p.articles.to_string()]);
    }
    finish(w)
}

/// One row per document and entity it mentions; a document without mentions gets one row
/// with an empty entity and 0, so every counted article is listed.
pub fn documents(cx: &ReportContext, agg: &Aggregate) -> Vec<u8> {
    let mut out = Vec::new();
    // Writing into a Vec cannot fail.
    let _ = write_documents(cx, agg, &mut out);
    out
}

/// `documents` written straight to `dest`: the file has one row per document, so for a
/// large corpus it is not built in memory first.
pub fn write_documents<W: std::io::Write>(
    cx: &ReportContext,
    agg: &Aggregate,
    dest: W,
) -> std::io::Result<()> {
    let p = cx.pipeline;
    let mut w = csv::Writer::from_writer(dest);
    w.write_record([
        "doc",
        "path",
        "date",
        "date_source",
        "title",
        "entity",
        "mentions",
    ])?;
    // Rows come back sorted, merged from the run's temporary files: one at a time.
    let rows = agg.docs.iter().map_err(std::io::Error::other)?;
    let mut date = String::new();
    for d in rows {
        let d = d.map_err(std::io::Error::other)?;
        date.clear();
        if let Some(x) = d.date {
            crate::ingest::date::push_iso(x, &mut date);
        }
        let mut counts: Vec<(&str, u32)> = d
            .counts
            .iter()
            .map(|(e, n)| (p.entities[*e as usize].id.as_str(), *n))
            .collect();
        counts.sort();
        if counts.is_empty() {
            counts.push(("", 0));
        }
        for (id, n) in counts {
            w.write_record([
                d.doc.as_str(),
                &d.path,
                &date,
                d.date_source.as_str(),
                &d.title,
                id,
                &n.to_string(),
            ])?;
        }
    }
    w.flush()
}
