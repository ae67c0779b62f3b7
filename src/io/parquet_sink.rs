//! Parquet written with every core: each batch's columns are encoded at once on rayon's pool (one Arrow
//! column writer per leaf column), and the encoded chunks are appended to the row group in order.

use std::fs::File;

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_writer::{ArrowColumnWriter, ArrowRowGroupWriterFactory, compute_leaves};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use rayon::prelude::*;

use crate::error::{Error, Result};

/// A Parquet file being written, row group by row group.
pub(crate) struct ParquetSink {
    writer: SerializedFileWriter<File>,
    factory: ArrowRowGroupWriterFactory,
    schema: SchemaRef,
    /// The open row group's column writers.
    columns: Option<Vec<ArrowColumnWriter>>,
    row_group: usize,
    rows: usize,
    max_rows: usize,
    max_bytes: usize,
    what: String,
}

impl ParquetSink {
    /// A sink to `file` (Snappy pages), flushing a row group at `max_bytes` of encoded data or at the
    /// writer's row limit (1,048,576 rows).
    pub(crate) fn create(file: File, schema: &SchemaRef, max_bytes: usize, what: &str) -> Result<Self> {
        let props = WriterProperties::builder().set_compression(parquet::basic::Compression::SNAPPY).build();
        let max_rows = props.max_row_group_row_count().unwrap_or(1 << 20).max(1);
        // The Arrow writer sets the file up (the Arrow schema in its metadata); its parts then write.
        let w = ArrowWriter::try_new(file, schema.clone(), Some(props)).map_err(|e| Error::io(what, e))?;
        let (writer, factory) = w.into_serialized_writer().map_err(|e| Error::io(what, e))?;
        Ok(ParquetSink {
            writer,
            factory,
            schema: schema.clone(),
            columns: None,
            row_group: 0,
            rows: 0,
            max_rows,
            max_bytes,
            what: what.to_string(),
        })
    }

    /// Encodes `batch` into the open row group (its columns at once), flushing row groups at their limits.
    pub(crate) fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        let mut at = 0;
        while at < batch.num_rows() {
            let take = (batch.num_rows() - at).min(self.max_rows - self.rows);
            self.encode(&batch.slice(at, take))?;
            at += take;
            let bytes: usize = self.columns.iter().flatten().map(ArrowColumnWriter::get_estimated_total_bytes).sum();
            if self.rows >= self.max_rows || bytes >= self.max_bytes {
                self.flush()?;
            }
        }
        Ok(())
    }

    fn encode(&mut self, batch: &RecordBatch) -> Result<()> {
        let what = self.what.as_str();
        if self.columns.is_none() {
            self.columns = Some(self.factory.create_column_writers(self.row_group).map_err(|e| Error::io(what, e))?);
        }
        let mut leaves = Vec::new();
        for (field, column) in self.schema.fields().iter().zip(batch.columns()) {
            leaves.extend(compute_leaves(field, column).map_err(|e| Error::io(what, e))?);
        }
        let Some(columns) = self.columns.as_mut() else { return Ok(()) };
        if leaves.len() != columns.len() {
            return Err(Error::io(what, format!("{} leaf columns for {} writers", leaves.len(), columns.len())));
        }
        columns
            .par_iter_mut()
            .zip(leaves.par_iter())
            .try_for_each(|(w, leaf)| w.write(leaf))
            .map_err(|e| Error::io(what, e))?;
        self.rows += batch.num_rows();
        Ok(())
    }

    /// Closes the open row group: its columns' chunks, closed at once, appended in order.
    fn flush(&mut self) -> Result<()> {
        let what = self.what.as_str();
        let Some(columns) = self.columns.take() else { return Ok(()) };
        let chunks: Vec<_> = columns
            .into_par_iter()
            .map(ArrowColumnWriter::close)
            .collect::<std::result::Result<_, _>>()
            .map_err(|e| Error::io(what, e))?;
        let mut group = self.writer.next_row_group().map_err(|e| Error::io(what, e))?;
        for chunk in chunks {
            chunk.append_to_row_group(&mut group).map_err(|e| Error::io(what, e))?;
        }
        group.close().map_err(|e| Error::io(what, e))?;
        self.row_group += 1;
        self.rows = 0;
        Ok(())
    }

    /// Writes the last row group and the footer.
    pub(crate) fn finish(mut self) -> Result<()> {
        if self.rows > 0 {
            self.flush()?;
        }
        self.writer.close().map_err(|e| Error::io(&self.what, e))?;
        Ok(())
    }
}
