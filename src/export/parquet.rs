//! The tables as Parquet (`documents.parquet`, `mentions.parquet`) through the `parquet`
//! crate's column writers, without its Arrow layer: rows are buffered per column and written
//! as Snappy-compressed row groups of `ROW_GROUP` rows.
//!
//! Owns the Parquet schema of each table (same columns as the JSON Lines tables; `meta` is a
//! JSON-typed string, dates are `DATE`, offsets and counts `INT64`). Must not decide what a
//! row holds: that is `DocumentRow` and `MentionRow`.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::NaiveDate;
use parquet::basic::Compression;
use parquet::data_type::{ByteArray, ByteArrayType, Int32Type, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;

use super::{create_dir, temp_path, DocumentRow, ExportError, MentionRow, TableWriter};

/// Rows per row group: large enough for good compression, small enough to bound memory.
const ROW_GROUP: usize = 65_536;

enum Values {
    Bytes(Vec<ByteArray>),
    I64(Vec<i64>),
    I32(Vec<i32>),
}

/// One column's buffered values; `defs` holds definition levels for optional columns.
struct Column {
    values: Values,
    defs: Option<Vec<i16>>,
}

impl Column {
    fn new(physical: &str, optional: bool) -> Column {
        let values = match physical {
            "int64" => Values::I64(Vec::new()),
            "int32" => Values::I32(Vec::new()),
            _ => Values::Bytes(Vec::new()),
        };
        Column {
            values,
            defs: optional.then(Vec::new),
        }
    }

    fn present(&mut self, yes: bool) {
        if let Some(d) = &mut self.defs {
            d.push(i16::from(yes));
        }
    }

    fn str(&mut self, v: Option<&str>) {
        self.present(v.is_some());
        if let (Values::Bytes(vals), Some(s)) = (&mut self.values, v) {
            vals.push(ByteArray::from(s));
        }
    }

    fn i64(&mut self, v: Option<i64>) {
        self.present(v.is_some());
        if let (Values::I64(vals), Some(n)) = (&mut self.values, v) {
            vals.push(n);
        }
    }

    fn date(&mut self, v: Option<NaiveDate>) {
        self.present(v.is_some());
        if let (Values::I32(vals), Some(d)) = (&mut self.values, v) {
            vals.push((d - chrono::DateTime::UNIX_EPOCH.date_naive()).num_days() as i32);
        }
    }

    fn clear(&mut self) {
        match &mut self.values {
            Values::Bytes(v) => v.clear(),
            Values::I64(v) => v.clear(),
            Values::I32(v) => v.clear(),
        }
        if let Some(d) = &mut self.defs {
            d.clear();
        }
    }
}

struct Table {
    path: PathBuf,
    tmp: PathBuf,
    writer: SerializedFileWriter<File>,
    columns: Vec<Column>,
    rows: usize,
}

impl Table {
    /// `fields` are `(repetition, physical type, name, logical annotation)`.
    fn create(
        dir: &Path,
        name: &str,
        fields: &[(&str, &str, &str, &str)],
    ) -> Result<Table, ExportError> {
        let path = dir.join(format!("{name}.parquet"));
        let tmp = temp_path(&path);
        let err = |e: &dyn std::fmt::Display| ExportError::write(&path, e);
        let mut message = format!("message {name} {{\n");
        for (rep, physical, field, logical) in fields {
            let logical = if logical.is_empty() {
                String::new()
            } else {
                format!(" ({logical})")
            };
            message.push_str(&format!("  {rep} {physical} {field}{logical};\n"));
        }
        message.push('}');
        let schema = parse_message_type(&message).map_err(|e| err(&e))?;
        let props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_created_by(format!("newstrack {}", env!("CARGO_PKG_VERSION")))
            .build();
        let file = File::create(&tmp).map_err(|e| err(&e))?;
        let writer = SerializedFileWriter::new(file, Arc::new(schema), Arc::new(props))
            .map_err(|e| err(&e))?;
        Ok(Table {
            columns: fields
                .iter()
                .map(|(rep, physical, _, _)| Column::new(physical, *rep == "optional"))
                .collect(),
            path,
            tmp,
            writer,
            rows: 0,
        })
    }

    fn row_done(&mut self) -> Result<(), ExportError> {
        self.rows += 1;
        if self.rows >= ROW_GROUP {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), ExportError> {
        if self.rows == 0 {
            return Ok(());
        }
        let path = self.path.clone();
        let err = |e: parquet::errors::ParquetError| ExportError::write(&path, e);
        let mut group = self.writer.next_row_group().map_err(err)?;
        for col in &mut self.columns {
            let Some(mut w) = group.next_column().map_err(err)? else {
                break;
            };
            let defs = col.defs.as_deref();
            match &col.values {
                Values::Bytes(v) => w.typed::<ByteArrayType>().write_batch(v, defs, None),
                Values::I64(v) => w.typed::<Int64Type>().write_batch(v, defs, None),
                Values::I32(v) => w.typed::<Int32Type>().write_batch(v, defs, None),
            }
            .map_err(err)?;
            w.close().map_err(err)?;
            col.clear();
        }
        group.close().map_err(err)?;
        self.rows = 0;
        Ok(())
    }

    fn finish(mut self) -> Result<PathBuf, ExportError> {
        self.flush()?;
        let path = self.path.clone();
        self.writer
            .close()
            .map_err(|e| ExportError::write(&path, e))?;
        std::fs::rename(&self.tmp, &path).map_err(|e| ExportError::write(&path, e))?;
        Ok(path)
    }
}

const DOCUMENTS: &[(&str, &str, &str, &str)] = &[
    ("required", "binary", "doc", "STRING"),
    ("required", "binary", "path", "STRING"),
    ("optional", "int64", "record", ""),
    ("required", "binary", "title", "STRING"),
    ("optional", "int32", "date", "DATE"),
    ("required", "binary", "date_source", "STRING"),
    ("optional", "binary", "source", "STRING"),
    ("optional", "binary", "url", "STRING"),
    ("required", "binary", "hash", "STRING"),
    ("optional", "binary", "duplicate_of", "STRING"),
    ("required", "int64", "mentions", ""),
    ("required", "int64", "entities", ""),
    ("required", "int64", "bytes", ""),
    ("required", "binary", "meta", "JSON"),
];

const TEXT: (&str, &str, &str, &str) = ("required", "binary", "text", "STRING");

const MENTIONS: &[(&str, &str, &str, &str)] = &[
    ("required", "binary", "doc", "STRING"),
    ("required", "binary", "path", "STRING"),
    ("optional", "int64", "record", ""),
    ("optional", "int32", "date", "DATE"),
    ("required", "binary", "entity", "STRING"),
    ("required", "binary", "kind", "STRING"),
    ("optional", "binary", "actor_kind", "STRING"),
    ("required", "binary", "label", "STRING"),
    ("optional", "binary", "group", "STRING"),
    ("required", "int64", "start", ""),
    ("required", "int64", "end", ""),
    ("required", "binary", "text", "STRING"),
    ("required", "int64", "sentence", ""),
    ("required", "int64", "sentence_start", ""),
    ("required", "int64", "sentence_end", ""),
];

/// Writes `documents.parquet` and `mentions.parquet` into a folder.
pub struct ParquetWriter {
    documents: Table,
    mentions: Table,
    with_text: bool,
}

impl ParquetWriter {
    /// `with_text` adds the `text` column to the documents table.
    pub fn create(dir: &Path, with_text: bool) -> Result<ParquetWriter, ExportError> {
        create_dir(dir)?;
        let mut docs = DOCUMENTS.to_vec();
        if with_text {
            docs.push(TEXT);
        }
        Ok(ParquetWriter {
            documents: Table::create(dir, "documents", &docs)?,
            mentions: Table::create(dir, "mentions", MENTIONS)?,
            with_text,
        })
    }
}

impl TableWriter for ParquetWriter {
    fn document(&mut self, r: &DocumentRow) -> Result<(), ExportError> {
        let meta = serde_json::to_string(&r.meta).unwrap_or_else(|_| "{}".into());
        let t = &mut self.documents;
        let c = &mut t.columns;
        c[0].str(Some(&r.doc));
        c[1].str(Some(&r.path));
        c[2].i64(r.record.map(|n| n as i64));
        c[3].str(Some(&r.title));
        c[4].date(r.date);
        c[5].str(Some(r.date_source.as_str()));
        c[6].str(r.source.as_deref());
        c[7].str(r.url.as_deref());
        c[8].str(Some(&r.hash));
        c[9].str(r.duplicate_of.as_deref());
        c[10].i64(Some(r.mentions as i64));
        c[11].i64(Some(r.entities as i64));
        c[12].i64(Some(r.bytes as i64));
        c[13].str(Some(&meta));
        if self.with_text {
            c[14].str(Some(r.text.as_deref().unwrap_or("")));
        }
        t.row_done()
    }

    fn mention(&mut self, r: &MentionRow) -> Result<(), ExportError> {
        let t = &mut self.mentions;
        let c = &mut t.columns;
        c[0].str(Some(&r.doc));
        c[1].str(Some(&r.path));
        c[2].i64(r.record.map(|n| n as i64));
        c[3].date(r.date);
        c[4].str(Some(&r.entity));
        c[5].str(Some(r.kind));
        c[6].str(r.actor_kind.as_deref());
        c[7].str(Some(&r.label));
        c[8].str(r.group.as_deref());
        c[9].i64(Some(r.start as i64));
        c[10].i64(Some(r.end as i64));
        c[11].str(Some(&r.text));
        c[12].i64(Some(r.sentence as i64));
        c[13].i64(Some(r.sentence_start as i64));
        c[14].i64(Some(r.sentence_end as i64));
        t.row_done()
    }

    fn finish(self: Box<Self>) -> Result<Vec<PathBuf>, ExportError> {
        let me = *self;
        Ok(vec![me.documents.finish()?, me.mentions.finish()?])
    }
}
