//! The chat batches a message table waits for: held in memory up to a limit, past it in a temporary
//! Arrow IPC file, read back batch by batch in any order.

use std::fs::File;
use std::io::{BufReader, BufWriter, Seek, SeekFrom};

use arrow_array::RecordBatch;
use arrow_ipc::reader::FileReader;
use arrow_ipc::writer::FileWriter;
use arrow_schema::SchemaRef;

use crate::error::{Error, Result};

/// Where a batch is.
enum Stored {
    Memory(RecordBatch),
    /// The batch's index in the spill file.
    Spilled(usize),
}

/// The spill file, written as batches come, then read.
enum Spill {
    Writing { writer: FileWriter<BufWriter<File>>, file: File, schema: SchemaRef, count: usize },
    Reading(FileReader<BufReader<File>>),
}

/// Batches in input order, in memory up to `limit` bytes, the rest in a temporary file (deleted when the
/// store is dropped, or by the system if the process dies).
pub(super) struct Store {
    batches: Vec<Stored>,
    /// First input row of each batch, and the row count after the last.
    starts: Vec<u64>,
    memory: usize,
    limit: usize,
    spill: Option<Spill>,
    /// Batches read back from the spill file, most recent last.
    cache: Vec<(usize, RecordBatch)>,
}

const CACHE_BATCHES: usize = 8;

fn spill_error(e: impl std::fmt::Display) -> Error {
    Error::io("the message table's temporary file", e.to_string())
}

impl Store {
    pub(super) fn new(limit: usize) -> Self {
        Store { batches: Vec::new(), starts: vec![0], memory: 0, limit, spill: None, cache: Vec::new() }
    }

    /// Rows stored.
    pub(super) fn rows(&self) -> u64 {
        self.starts.last().copied().unwrap_or(0)
    }

    /// Whether any batch went to the temporary file.
    pub(super) fn spilled(&self) -> bool {
        self.spill.is_some()
    }

    pub(super) fn push(&mut self, batch: RecordBatch) -> Result<()> {
        let rows = batch.num_rows() as u64;
        let size = batch.get_array_memory_size();
        let stored = if self.memory.saturating_add(size) <= self.limit || !self.can_spill(&batch) {
            self.memory += size;
            Stored::Memory(batch)
        } else {
            Stored::Spilled(self.spill(&batch)?)
        };
        self.batches.push(stored);
        self.starts.push(self.rows() + rows);
        Ok(())
    }

    /// Whether `batch` can join the spill file (whose batches share the first spilled one's schema).
    fn can_spill(&self, batch: &RecordBatch) -> bool {
        match &self.spill {
            None => true,
            Some(Spill::Writing { schema, .. }) => schema == &batch.schema(),
            Some(Spill::Reading(_)) => false,
        }
    }

    fn spill(&mut self, batch: &RecordBatch) -> Result<usize> {
        if self.spill.is_none() {
            let file = tempfile::tempfile().map_err(spill_error)?;
            let schema = batch.schema();
            let writer =
                FileWriter::try_new(BufWriter::with_capacity(1 << 20, file.try_clone().map_err(spill_error)?), &schema)
                    .map_err(spill_error)?;
            self.spill = Some(Spill::Writing { writer, file, schema, count: 0 });
        }
        match &mut self.spill {
            Some(Spill::Writing { writer, count, .. }) => {
                writer.write(batch).map_err(spill_error)?;
                *count += 1;
                Ok(*count - 1)
            }
            _ => Err(spill_error("written after reading began")),
        }
    }

    /// Ends writing: the file's footer goes out and the file is opened for reading.
    pub(super) fn seal(&mut self) -> Result<()> {
        if let Some(Spill::Writing { .. }) = &self.spill
            && let Some(Spill::Writing { mut writer, mut file, .. }) = self.spill.take()
        {
            writer.finish().map_err(spill_error)?;
            drop(writer.into_inner().map_err(spill_error)?);
            file.seek(SeekFrom::Start(0)).map_err(spill_error)?;
            let reader = FileReader::try_new(BufReader::with_capacity(1 << 20, file), None).map_err(spill_error)?;
            // SAFETY: the file is an unnamed temporary file that this store alone wrote, with the writer of
            // arrow-ipc, from record batches (which are valid Arrow: safe code cannot build others), and it
            // is read back by the same build of arrow-ipc; checking its UTF-8 again was a twelfth of the time
            // of a table past the memory limit.
            let reader = unsafe { reader.with_skip_validation(true) };
            self.spill = Some(Spill::Reading(reader));
        }
        Ok(())
    }

    /// The batch holding input row `row`, and the row's place in it.
    pub(super) fn locate(&self, row: u64) -> (usize, usize) {
        let k = self.starts.partition_point(|&s| s <= row) - 1;
        (k, (row - self.starts[k]) as usize)
    }

    /// Batch `k` (read back from the file when it was spilled; [`Store::seal`] first).
    pub(super) fn batch(&mut self, k: usize) -> Result<RecordBatch> {
        match self.batches.get(k) {
            Some(Stored::Memory(b)) => Ok(b.clone()),
            Some(Stored::Spilled(i)) => {
                let i = *i;
                if let Some(pos) = self.cache.iter().position(|(j, _)| *j == i) {
                    let hit = self.cache.remove(pos);
                    self.cache.push(hit.clone());
                    return Ok(hit.1);
                }
                let Some(Spill::Reading(reader)) = &mut self.spill else {
                    return Err(spill_error("read before it was sealed"));
                };
                reader.set_index(i).map_err(spill_error)?;
                let batch =
                    reader.next().ok_or_else(|| spill_error(format!("batch {i} is missing")))?.map_err(spill_error)?;
                if self.cache.len() == CACHE_BATCHES {
                    self.cache.remove(0);
                }
                self.cache.push((i, batch.clone()));
                Ok(batch)
            }
            None => Err(Error::invalid("stored batch", k, "out of range")),
        }
    }

    /// Drops batch `k` from memory once no later row needs it (rows are read in input order).
    pub(super) fn release(&mut self, k: usize) {
        if let Some(Stored::Memory(b)) = self.batches.get(k) {
            self.memory = self.memory.saturating_sub(b.get_array_memory_size());
            self.batches[k] = Stored::Memory(RecordBatch::new_empty(b.schema()));
        }
    }
}
