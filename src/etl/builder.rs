//! The message table of an export streamed in chat batches, built once every message has come: the table is
//! in (timestamp, input order) order and message ids count positions from the earliest message, so no row
//! is final before the last message is read. The batches wait in memory up to a limit, then in a temporary
//! file; the table comes out in batches, several built at once on every core.

use std::collections::VecDeque;

use arrow_array::{ArrayRef, RecordBatch};
use rayon::prelude::*;

use super::chat;
use super::store::Store;
use super::table::{ChatColumns, Constants, MessageTableOptions, MessageTableSummary, Tally, UTF8_LIMIT, table_rows};
use crate::engine::Engine;
use crate::error::{Error, Result};

/// Rows per batch of the table by default.
const DEFAULT_TABLE_BATCH_ROWS: usize = 65_536;

/// Builds the message table of an export pushed in chat batches (the message schema of
/// [`chat`](super::chat), as [`crate::io::whatsapp::WhatsAppStream`] gives them): the rows and values of
/// [`super::message_table`], in the same order, in batches. The export is read once: each batch is kept
/// (its needed columns, in memory up to [`MessageTableOptions::memory_limit`] bytes, then in a temporary
/// file), with every message's time (8 bytes a message); [`finish`](Self::finish) sorts the times and hands
/// out the table.
///
/// # Example
/// ```
/// use streamliner::Engine;
/// use streamliner::etl::{MessageTableBuilder, MessageTableOptions, message_table};
/// use streamliner::io::whatsapp::{WhatsAppOptions, parse_whatsapp};
/// let engine = Engine::from_env()?;
/// let text = "01/03/2024, 08:00 - Ann: hi\n01/03/2024, 08:05 - Bo: /egregora opt-out\n01/03/2024, 08:07 - Bo: yo\n";
/// let chat = parse_whatsapp(text, "chat.txt", &WhatsAppOptions::default())?.to_record_batch()?;
/// let opts = MessageTableOptions::default();
/// let mut builder = MessageTableBuilder::new(&engine, &opts).with_batch_size(2);
/// builder.push(&chat.slice(0, 2))?;
/// builder.push(&chat.slice(2, 1))?;
/// let mut table = builder.finish()?;
/// let batches = table.by_ref().collect::<Result<Vec<_>, _>>()?;
/// let all = arrow_select::concat::concat_batches(&batches[0].schema(), &batches)?;
/// assert_eq!(all, message_table(&engine, &chat, &opts)?.0);
/// assert_eq!((table.summary().messages, table.summary().dropped_commands), (2, 1));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct MessageTableBuilder<'e> {
    engine: &'e Engine,
    opts: MessageTableOptions,
    batch_rows: usize,
    limit: u64,
    store: Store,
    /// Every message's UTC time, in input order.
    times: Vec<i64>,
    sorted: bool,
}

impl std::fmt::Debug for MessageTableBuilder<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MessageTableBuilder")
            .field("messages", &self.times.len())
            .field("spilled", &self.store.spilled())
            .finish_non_exhaustive()
    }
}

impl<'e> MessageTableBuilder<'e> {
    /// A builder for the table `opts` describes.
    pub fn new(engine: &'e Engine, opts: &MessageTableOptions) -> Self {
        MessageTableBuilder {
            engine,
            opts: opts.clone(),
            batch_rows: DEFAULT_TABLE_BATCH_ROWS,
            limit: UTF8_LIMIT,
            store: Store::new(opts.memory_limit),
            times: Vec::new(),
            sorted: true,
        }
    }

    /// Rows (before the filters) per batch of the table (default 65,536; at least 1).
    pub fn with_batch_size(mut self, rows: usize) -> Self {
        self.batch_rows = rows.max(1);
        self
    }

    /// `LargeUtf8` string columns past `limit` bytes.
    #[cfg(test)]
    pub(crate) fn with_utf8_limit(mut self, limit: u64) -> Self {
        self.limit = limit;
        self
    }

    /// Takes the next messages of the export, in file order.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for a batch without `ts` (microseconds), `author` or `text`;
    /// [`Error::NullValue`] for a null `ts`; [`Error::Io`] when the temporary file cannot be written.
    pub fn push(&mut self, chat_batch: &RecordBatch) -> Result<()> {
        let c = ChatColumns::of(chat_batch)?;
        let times = c.ts.values();
        if self.sorted {
            let after_last = self.times.last().is_none_or(|&l| times.first().is_none_or(|&f| l <= f));
            self.sorted = after_last && times.windows(2).all(|w| w[0] <= w[1]);
        }
        self.times.extend_from_slice(times);
        let keep: Vec<usize> = [chat::TS, chat::AUTHOR, chat::TEXT, chat::LOCAL_TIME, chat::ORIGINAL_LINE]
            .iter()
            .filter_map(|name| chat_batch.schema().index_of(name).ok())
            .collect();
        let kept = chat_batch
            .project(&keep)
            .map_err(|e| Error::invalid("chat batch", chat_batch.num_rows(), e.to_string()))?;
        if kept.num_rows() > 0 {
            self.store.push(kept)?;
        }
        Ok(())
    }

    /// The table, in batches of the builder's size (fewer rows where the filters dropped some).
    ///
    /// # Errors
    /// [`Error::LimitExceeded`] past 2^32 messages in an export not in time order; [`Error::Io`] when the
    /// temporary file cannot be read.
    pub fn finish(mut self) -> Result<MessageTable<'e>> {
        self.store.seal()?;
        let n = self.times.len() as u64;
        let order = if self.sorted {
            None
        } else {
            if n > u64::from(u32::MAX) {
                return Err(Error::LimitExceeded {
                    what: "messages of an export not in time order".into(),
                    value: n,
                    limit: u64::from(u32::MAX),
                });
            }
            let mut order: Vec<u32> = (0..n as u32).collect();
            let times = &self.times;
            order.par_sort_unstable_by_key(|&i| (times[i as usize], i));
            Some(order)
        };
        let first_ts = self.times.iter().copied().min().unwrap_or(0);
        drop(std::mem::take(&mut self.times));
        Ok(MessageTable {
            engine: self.engine,
            constants: Constants::new(&self.opts, self.batch_rows, self.limit),
            opts: self.opts,
            batch_rows: self.batch_rows,
            limit: self.limit,
            store: self.store,
            order,
            rows: n,
            first_ts,
            next: 0,
            ready: VecDeque::new(),
            tally: Tally::default(),
            emitted: false,
            failed: false,
        })
    }
}

/// The message table of a [`MessageTableBuilder`], batch by batch; [`summary`](Self::summary) once it is
/// exhausted.
pub struct MessageTable<'e> {
    engine: &'e Engine,
    opts: MessageTableOptions,
    constants: Constants,
    batch_rows: usize,
    limit: u64,
    store: Store,
    /// Input rows in table order; None when the input was in time order.
    order: Option<Vec<u32>>,
    rows: u64,
    first_ts: i64,
    /// The next table position to build.
    next: u64,
    ready: VecDeque<RecordBatch>,
    tally: Tally,
    emitted: bool,
    failed: bool,
}

impl std::fmt::Debug for MessageTable<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MessageTable").field("rows", &self.rows).field("next", &self.next).finish_non_exhaustive()
    }
}

impl MessageTable<'_> {
    /// What building the table did, as of the batches handed out.
    pub fn summary(&self) -> MessageTableSummary {
        self.tally.summary()
    }

    /// The whole table as one batch (its batches joined), and what building it did.
    ///
    /// # Errors
    /// As the batches: [`Error::Io`] when the temporary file cannot be read, [`Error::Gpu`] when the
    /// device fails.
    pub fn into_batch(mut self) -> Result<(RecordBatch, MessageTableSummary)> {
        let batches = self.by_ref().collect::<Result<Vec<_>>>()?;
        let schema = match batches.first() {
            Some(b) => b.schema(),
            None => return Err(Error::invalid("message table", 0, "no batch, not even the schema's")),
        };
        let table = arrow_select::concat::concat_batches(&schema, &batches)
            .map_err(|e| Error::invalid("message table", batches.len(), e.to_string()))?;
        Ok((table, self.summary()))
    }

    /// What the chat rows at table positions `from..to` are made of: the stored batches they lie in, read
    /// here (from the temporary file when spilled), joined later by [`Rows::join`] on any thread.
    fn gather(&mut self, from: u64, to: u64) -> Result<Rows> {
        match &self.order {
            None => {
                let mut parts = Vec::new();
                let mut row = from;
                while row < to {
                    let (k, at) = self.store.locate(row);
                    let batch = self.store.batch(k)?;
                    let take = (batch.num_rows() - at).min((to - row) as usize);
                    parts.push(batch.slice(at, take));
                    row += take as u64;
                    if at + take == batch.num_rows() {
                        self.store.release(k);
                    }
                }
                Ok(Rows::Slices(parts))
            }
            Some(order) => {
                let rows: Vec<(usize, usize)> =
                    order[from as usize..to as usize].iter().map(|&i| self.store.locate(u64::from(i))).collect();
                let mut needed: Vec<usize> = rows.iter().map(|r| r.0).collect();
                needed.sort_unstable();
                needed.dedup();
                let mut batches = Vec::with_capacity(needed.len());
                for &k in &needed {
                    batches.push(self.store.batch(k)?);
                }
                let indices = rows.iter().map(|&(k, at)| (needed.partition_point(|&x| x < k), at)).collect();
                Ok(Rows::Picked { batches, indices })
            }
        }
    }

    /// Builds the next few batches, as many at once as rayon has threads.
    fn build(&mut self) -> Result<()> {
        let group = rayon::current_num_threads().max(1);
        let mut work = Vec::with_capacity(group);
        while work.len() < group && self.next < self.rows {
            let to = (self.next + self.batch_rows as u64).min(self.rows);
            work.push((self.next, self.gather(self.next, to)?));
            self.next = to;
        }
        let (engine, opts, constants, first_ts, limit) =
            (self.engine, &self.opts, &self.constants, self.first_ts, self.limit);
        let built: Vec<Result<(RecordBatch, Tally)>> = work
            .par_iter()
            .map(|(from, rows)| table_rows(engine, opts, constants, &rows.join(*from)?, *from, first_ts, limit))
            .collect();
        for b in built {
            let (batch, tally) = b?;
            self.tally.add(tally);
            if batch.num_rows() > 0 {
                self.ready.push_back(batch);
            }
        }
        Ok(())
    }

    /// The table's schema from an empty batch (when no row is left for a batch to carry it).
    fn empty(&self) -> Result<RecordBatch> {
        let chat = RecordBatch::new_empty(chat::schema());
        let (batch, _) = table_rows(self.engine, &self.opts, &self.constants, &chat, 0, 0, self.limit)?;
        Ok(batch)
    }
}

/// The chat rows of a table batch, before they are joined into one batch.
enum Rows {
    /// Consecutive slices of stored batches (an input in time order).
    Slices(Vec<RecordBatch>),
    /// Rows picked from stored batches: (batch, row) in table order.
    Picked { batches: Vec<RecordBatch>, indices: Vec<(usize, usize)> },
}

impl Rows {
    fn join(&self, from: u64) -> Result<RecordBatch> {
        let err = |e: arrow_schema::ArrowError| Error::invalid("message table rows", from, e.to_string());
        match self {
            Rows::Slices(parts) if parts.len() == 1 => Ok(parts[0].clone()),
            Rows::Slices(parts) => arrow_select::concat::concat_batches(&parts[0].schema(), parts).map_err(err),
            Rows::Picked { batches, indices } => {
                let schema = batches[0].schema();
                let mut columns: Vec<ArrayRef> = Vec::with_capacity(schema.fields().len());
                for c in 0..schema.fields().len() {
                    let arrays: Vec<&dyn arrow_array::Array> = batches.iter().map(|b| b.column(c).as_ref()).collect();
                    columns.push(arrow_select::interleave::interleave(&arrays, indices).map_err(err)?);
                }
                RecordBatch::try_new(schema, columns).map_err(err)
            }
        }
    }
}

/// Batches of the table in order; when every row is filtered out (or there is none), one empty batch that
/// carries the table's schema.
impl Iterator for MessageTable<'_> {
    type Item = Result<RecordBatch>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        while self.ready.is_empty() && self.next < self.rows {
            if let Err(e) = self.build() {
                self.failed = true;
                return Some(Err(e));
            }
        }
        if let Some(b) = self.ready.pop_front() {
            self.emitted = true;
            return Some(Ok(b));
        }
        if !self.emitted {
            self.emitted = true;
            return Some(self.empty());
        }
        None
    }
}
