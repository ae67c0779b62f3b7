//! Parquet, row group by row group: a few threads each decode every k-th row group (arrow's own reader,
//! projected to the columns asked for) and hand their batches back through bounded channels, which the
//! stream drains in file order. At most a row group's worth of batches waits per thread, so memory stays
//! bounded by a couple of row groups whatever the file's size.

use std::fs::File;
use std::path::Path;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{ArrowReaderMetadata, ParquetRecordBatchReaderBuilder};

use super::{HistoryReader, ReadOptions, projection};
use crate::error::{Error, Result};

/// Decoding threads at most (the dev machines have two cores; more threads would only add memory).
const MAX_THREADS: usize = 2;

/// Batches a thread may have decoded ahead, at most.
const MAX_AHEAD: usize = 64;

/// What a decoding thread sends: batches of one row group, then its end.
enum Msg {
    Batch(Result<RecordBatch>),
    EndOfGroup,
}

pub(super) fn open(path: &Path, opts: &ReadOptions) -> Result<HistoryReader> {
    let name = path.display().to_string();
    let file = File::open(path).map_err(|e| Error::io(&name, e))?;
    let meta = ArrowReaderMetadata::load(&file, Default::default()).map_err(|e| Error::io(&name, e))?;
    let indices = projection(&name, meta.schema(), opts.columns.as_deref())?;
    let schema: SchemaRef = Arc::new(meta.schema().project(&indices).map_err(|e| Error::io(&name, e))?);
    // The reader gives the projected columns in the file's order; `order` puts them in the order asked for.
    let mut sorted = indices.clone();
    sorted.sort_unstable();
    let order: Vec<usize> = indices.iter().filter_map(|i| sorted.iter().position(|s| s == i)).collect();
    let mask = ProjectionMask::roots(meta.metadata().file_metadata().schema_descr(), sorted);

    let groups = meta.metadata().row_groups();
    let count = groups.len();
    let largest = groups.iter().map(|g| g.num_rows().max(0) as usize).max().unwrap_or(0);
    let ahead = largest.div_ceil(opts.batch_size).clamp(1, MAX_AHEAD);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = cores.min(MAX_THREADS).min(count).max(1);
    let job = Job { meta, mask, order, schema: schema.clone(), batch_size: opts.batch_size, name };

    let mut receivers = Vec::with_capacity(threads);
    for t in 0..threads {
        let (tx, rx) = sync_channel(ahead);
        // Each thread opens the file itself: clones of one `File` share its offset, and arrow's reader seeks.
        let file = File::open(path).map_err(|e| Error::io(&job.name, e))?;
        let worker = job.clone();
        std::thread::Builder::new()
            .name(format!("parquet-decode-{t}"))
            .spawn(move || worker.run(file, (t..count).step_by(threads), &tx))
            .map_err(|e| Error::io(&job.name, format!("cannot start a decoding thread: {e}")))?;
        receivers.push(rx);
    }
    let stream = InOrder { receivers, group: 0, groups: count, name: job.name, failed: false };
    Ok(HistoryReader::new(schema, opts.batch_size, Box::new(stream)))
}

#[derive(Clone)]
struct Job {
    meta: ArrowReaderMetadata,
    mask: ProjectionMask,
    order: Vec<usize>,
    schema: SchemaRef,
    batch_size: usize,
    name: String,
}

impl Job {
    /// Decodes `groups` one after the other; returns when done or when the stream is dropped.
    fn run(&self, file: File, groups: impl Iterator<Item = usize>, tx: &SyncSender<Msg>) {
        for g in groups {
            // A clone shares the offset with `file`, but only this thread reads through either.
            let f = match file.try_clone() {
                Ok(f) => f,
                Err(e) => {
                    let _ = tx.send(Msg::Batch(Err(Error::io(&self.name, e))));
                    return;
                }
            };
            let reader = ParquetRecordBatchReaderBuilder::new_with_metadata(f, self.meta.clone())
                .with_projection(self.mask.clone())
                .with_row_groups(vec![g])
                .with_batch_size(self.batch_size)
                .build();
            let reader = match reader {
                Ok(r) => r,
                Err(e) => {
                    let _ = tx.send(Msg::Batch(Err(Error::io(&self.name, format!("row group {g}: {e}")))));
                    return;
                }
            };
            for batch in reader {
                let batch = batch
                    .map_err(|e| Error::io(&self.name, format!("row group {g}: {e}")))
                    .and_then(|b| self.reorder(&b));
                let failed = batch.is_err();
                if tx.send(Msg::Batch(batch)).is_err() || failed {
                    return;
                }
            }
            if tx.send(Msg::EndOfGroup).is_err() {
                return;
            }
        }
    }

    fn reorder(&self, b: &RecordBatch) -> Result<RecordBatch> {
        let columns = self.order.iter().map(|&i| b.column(i).clone()).collect();
        RecordBatch::try_new(self.schema.clone(), columns).map_err(|e| Error::io(&self.name, e))
    }
}

/// The threads' batches, in file order: all of row group 0 (from thread 0), then row group 1 (thread 1)...
struct InOrder {
    receivers: Vec<Receiver<Msg>>,
    group: usize,
    groups: usize,
    name: String,
    failed: bool,
}

impl Iterator for InOrder {
    type Item = Result<RecordBatch>;

    fn next(&mut self) -> Option<Result<RecordBatch>> {
        while !self.failed && self.group < self.groups {
            let rx = &self.receivers[self.group % self.receivers.len()];
            match rx.recv() {
                Ok(Msg::Batch(Ok(b))) => return Some(Ok(b)),
                Ok(Msg::Batch(Err(e))) => {
                    self.failed = true;
                    return Some(Err(e));
                }
                Ok(Msg::EndOfGroup) => self.group += 1,
                Err(_) => {
                    self.failed = true;
                    let message = format!("the thread decoding row group {} stopped", self.group);
                    return Some(Err(Error::io(&self.name, message)));
                }
            }
        }
        None
    }
}
