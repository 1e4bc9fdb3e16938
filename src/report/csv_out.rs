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
    let mut rows = DocumentRows::new(dest, p.entities.iter().map(|e| e.id.as_str()).collect())?;
    // Rows come back sorted, merged from the run's temporary files: one at a time.
    let docs = agg.docs.iter().map_err(std::io::Error::other)?;
    let mut date = String::new();
    for d in docs {
        let d = d.map_err(std::io::Error::other)?;
        date.clear();
        if let Some(x) = d.date {
            crate::ingest::date::push_iso(x, &mut date);
        }
        rows.write(
            [&d.doc, &d.path, &date, d.date_source.as_str(), &d.title],
            &d.counts,
        )?;
    }
    rows.finish()
}

/// `documents.csv`'s writer. A document's rows repeat its five columns before the entity's,
/// so those are quoted once per document, and the entity ids once per run; each row is
/// those bytes joined. The file is written in the run's serial tail, where quoting every
/// field of every row through `csv::Writer` was most of its cost. Fields are quoted by
/// `csv_core`, the `csv` crate's own engine, with that crate's default settings: the rows
/// are byte for byte what `csv::Writer::write_record` writes (tested).
struct DocumentRows<W: std::io::Write> {
    /// Buffered by the caller (`write_streamed` hands a `BufWriter`; tests a `Vec`).
    out: W,
    /// Entity ids, and each as a quoted CSV field, by entity index.
    ids: Vec<(String, Vec<u8>)>,
    quoter: csv_core::Writer,
    /// The shared columns of the document being written, each followed by a comma.
    line: Vec<u8>,
    /// (entity, mentions) of the document being written, in entity-id order.
    counts: Vec<(u32, u32)>,
}

impl<W: std::io::Write> DocumentRows<W> {
    fn new(dest: W, ids: Vec<&str>) -> std::io::Result<Self> {
        let mut rows = DocumentRows {
            out: dest,
            ids: Vec::new(),
            quoter: csv_core::WriterBuilder::new()
                .terminator(csv_core::Terminator::Any(b'\n'))
                .build(),
            line: Vec::new(),
            counts: Vec::new(),
        };
        for id in ["doc", "path", "date", "date_source", "title", "entity"] {
            rows.push_field(id);
        }
        rows.out.write_all(&rows.line)?;
        rows.out.write_all(b"mentions\n")?;
        for id in ids {
            rows.line.clear();
            rows.push_field(id);
            rows.line.pop();
            let field = rows.line.clone();
            rows.ids.push((id.to_owned(), field));
        }
        rows.line.clear();
        Ok(rows)
    }

    /// Appends `field`, quoted where it must be, and a comma to `line`.
    fn push_field(&mut self, field: &str) {
        // Most fields hold none of the bytes that make `csv_core` quote (with these settings
        // the comma, the quote and both line ends): copied as they are, the quoter's state
        // untouched (it is between fields either way). Its byte-wise pass, with a zeroed
        // worst-case buffer per field, was most of writing `documents.csv` on a re-run.
        // The whole field is tested without stopping early, which the compiler vectorises.
        let plain = !field.bytes().fold(false, |special, b| {
            special | matches!(b, b',' | b'"' | b'\n' | b'\r')
        });
        if plain {
            self.line.extend_from_slice(field.as_bytes());
            self.line.push(b',');
            return;
        }
        let mut input = field.as_bytes();
        loop {
            // Room for the worst case, a field of quotes: each doubled, and two more.
            let at = self.line.len();
            self.line.resize(at + 2 * input.len() + 4, 0);
            let (res, nin, nout) = self.quoter.field(input, &mut self.line[at..]);
            self.line.truncate(at + nout);
            input = &input[nin..];
            if res == csv_core::WriteResult::InputEmpty {
                break;
            }
        }
        loop {
            let at = self.line.len();
            self.line.resize(at + 2, 0);
            let (res, nout) = self.quoter.delimiter(&mut self.line[at..]);
            self.line.truncate(at + nout);
            if res == csv_core::WriteResult::InputEmpty {
                break;
            }
        }
    }

    /// The rows of one document: one per entity it mentions, in entity-id order, or one with
    /// an empty entity and 0 mentions, so every counted article is listed.
    fn write(&mut self, shared: [&str; 5], counts: &[(u32, u32)]) -> std::io::Result<()> {
        self.line.clear();
        for field in shared {
            self.push_field(field);
        }
        self.counts.clear();
        self.counts.extend_from_slice(counts);
        let ids = &self.ids;
        self.counts
            .sort_unstable_by(|a, b| ids[a.0 as usize].0.cmp(&ids[b.0 as usize].0));
        if self.counts.is_empty() {
            self.out.write_all(&self.line)?;
            self.out.write_all(b",0\n")?;
        }
        for &(e, n) in &self.counts {
            self.out.write_all(&self.line)?;
            self.out.write_all(&ids[e as usize].1)?;
            writeln!(self.out, ",{n}")?;
        }
        Ok(())
    }

    fn finish(mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::DocumentRows;

    /// A document's five shared columns and its (entity, mentions).
    type Doc<'a> = ([&'a str; 5], Vec<(u32, u32)>);

    /// The rows as `csv::Writer::write_record` writes them, one record per row.
    fn by_record(ids: &[&str], docs: &[Doc]) -> Vec<u8> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record([
            "doc",
            "path",
            "date",
            "date_source",
            "title",
            "entity",
            "mentions",
        ])
        .unwrap();
        for (shared, counts) in docs {
            let mut rows: Vec<(&str, u32)> =
                counts.iter().map(|&(e, n)| (ids[e as usize], n)).collect();
            rows.sort();
            if rows.is_empty() {
                rows.push(("", 0));
            }
            for (id, n) in rows {
                let mut record = shared.to_vec();
                let n = n.to_string();
                record.extend([id, n.as_str()]);
                w.write_record(&record).unwrap();
            }
        }
        w.into_inner().unwrap()
    }

    #[test]
    fn document_rows_are_what_the_csv_writer_writes() {
        let ids = [
            "zeta",
            "alpha",
            "needs,quote",
            "has \"quotes\"",
            "line\nbreak",
            "cr\r",
        ];
        let plain = [
            "a.jsonl#1",
            "in/a.jsonl",
            "1987-02-26",
            "metadata",
            "China weighs tariffs",
        ];
        let cases: Vec<Doc> = vec![
            (plain, vec![(0, 2), (1, 1)]),
            (plain, vec![]),
            (["", "", "", "none", ""], vec![(1, 7)]),
            (
                [
                    "b, c",
                    "in/b\"x\".md",
                    "",
                    "file_mtime",
                    "Tariffs, \"again\"\r\nand more",
                ],
                vec![(2, 1), (3, 12), (4, 3), (5, 1), (0, 1)],
            ),
            (["#1", " lead", "trail ", "path", "\"\"\"\""], vec![(3, 1)]),
            (
                [
                    "é,ü",
                    "日本/記事.txt",
                    "2025-10-09",
                    "text",
                    "Rare-earth — ‘curbs’",
                ],
                vec![(1, 4)],
            ),
        ];
        for end in 0..=cases.len() {
            let docs = &cases[..end];
            let mut out = Vec::new();
            let mut rows = DocumentRows::new(&mut out, ids.to_vec()).unwrap();
            for (shared, counts) in docs {
                rows.write(*shared, counts).unwrap();
            }
            rows.finish().unwrap();
            assert_eq!(
                String::from_utf8_lossy(&out),
                String::from_utf8_lossy(&by_record(&ids, docs)),
                "first {end} documents"
            );
        }
    }
}
