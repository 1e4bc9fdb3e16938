//! The tables as JSON Lines: `documents.jsonl` and `mentions.jsonl`, one object per row,
//! written as they come. Owns nothing but the encoding; the columns are `DocumentRow` and
//! `MentionRow`.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{create_dir, temp_path, DocumentRow, ExportError, MentionRow, TableWriter};

struct Table {
    path: PathBuf,
    tmp: PathBuf,
    out: BufWriter<File>,
}

impl Table {
    fn create(dir: &Path, name: &str) -> Result<Table, ExportError> {
        let path = dir.join(name);
        let tmp = temp_path(&path);
        let file = File::create(&tmp).map_err(|e| ExportError::write(&path, e))?;
        Ok(Table {
            path,
            tmp,
            out: BufWriter::new(file),
        })
    }

    fn row<T: Serialize>(&mut self, row: &T) -> Result<(), ExportError> {
        serde_json::to_writer(&mut self.out, row).map_err(|e| ExportError::write(&self.path, e))?;
        self.out
            .write_all(b"\n")
            .map_err(|e| ExportError::write(&self.path, e))
    }

    fn finish(self) -> Result<PathBuf, ExportError> {
        let file = self
            .out
            .into_inner()
            .map_err(|e| ExportError::write(&self.path, e.error()))?;
        drop(file);
        std::fs::rename(&self.tmp, &self.path).map_err(|e| ExportError::write(&self.path, e))?;
        Ok(self.path)
    }
}

/// Writes `documents.jsonl` and `mentions.jsonl` into a folder.
pub struct JsonlWriter {
    documents: Table,
    mentions: Table,
}

impl JsonlWriter {
    pub fn create(dir: &Path) -> Result<JsonlWriter, ExportError> {
        create_dir(dir)?;
        Ok(JsonlWriter {
            documents: Table::create(dir, "documents.jsonl")?,
            mentions: Table::create(dir, "mentions.jsonl")?,
        })
    }
}

impl TableWriter for JsonlWriter {
    fn document(&mut self, row: &DocumentRow) -> Result<(), ExportError> {
        self.documents.row(row)
    }

    fn mention(&mut self, row: &MentionRow) -> Result<(), ExportError> {
        self.mentions.row(row)
    }

    fn finish(self: Box<Self>) -> Result<Vec<PathBuf>, ExportError> {
        let me = *self;
        Ok(vec![me.documents.finish()?, me.mentions.finish()?])
    }
}
