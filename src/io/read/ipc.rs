//! Arrow IPC files and streams, batch by batch, projected by arrow's own readers (a batch longer than
//! `batch_size` is sliced by [`HistoryReader`], without copying).

use std::fs::File;
use std::io::BufReader;
use std::path::Path;
use std::sync::Arc;

use arrow_ipc::reader::{FileReader, StreamReader};

use super::{HistoryReader, ReadOptions, projection};
use crate::error::{Error, Result};

pub(super) fn open(path: &Path, opts: &ReadOptions) -> Result<HistoryReader> {
    let name = path.display().to_string();
    let open = || File::open(path).map_err(|e| Error::io(&name, e));
    // An IPC file starts with the magic `ARROW1`; anything else is read as a stream.
    match FileReader::try_new_buffered(open()?, None) {
        Ok(full) => {
            let indices = projection(&name, &full.schema(), opts.columns.as_deref())?;
            let schema = Arc::new(full.schema().project(&indices).map_err(|e| Error::io(&name, e))?);
            drop(full);
            let reader = FileReader::try_new_buffered(open()?, Some(indices)).map_err(|e| Error::io(&name, e))?;
            let batches = reader.map(move |b| b.map_err(|e| Error::io(&name, e)));
            Ok(HistoryReader::new(schema, opts.batch_size, Box::new(batches)))
        }
        Err(file_error) => {
            let full = StreamReader::try_new_buffered(open()?, None).map_err(|e| {
                Error::io(&name, format!("neither an Arrow IPC file ({file_error}) nor a stream ({e})"))
            })?;
            let indices = projection(&name, &full.schema(), opts.columns.as_deref())?;
            let schema = Arc::new(full.schema().project(&indices).map_err(|e| Error::io(&name, e))?);
            drop(full);
            let reader =
                StreamReader::try_new(BufReader::new(open()?), Some(indices)).map_err(|e| Error::io(&name, e))?;
            let batches = reader.map(move |b| b.map_err(|e| Error::io(&name, e)));
            Ok(HistoryReader::new(schema, opts.batch_size, Box::new(batches)))
        }
    }
}
