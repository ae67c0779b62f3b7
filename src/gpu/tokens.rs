//! Host wrapper of `shaders/tokens.wgsl`: token counts per row, chunk by chunk (see `text.rs`).
//!
//! Per chunk: the split passes count each row's pieces, the host turns the counts into each row's first
//! piece, the split passes run again and write the pieces, then one `bpe` dispatch merges every piece
//! and lists the long ones, which `bpe_long` merges in rounds of passes until every one is done. The
//! class table and the encoding's vocabulary stay on the device, uploaded once per engine.
//!
//! Left to the CPU twin: rows too large for a chunk, and long pieces whose scratch (40 bytes a byte)
//! does not fit one storage binding.

use std::sync::{Arc, Mutex};

use super::memory::{PooledBuffer, STORAGE};
use super::pipelines::table::{self, BpeParams, LongParams, SplitParams, consts};
use super::text::{DeviceText, TextChunk};
use super::{Batch, GpuContext, item_groups};
use crate::cpu::vocab::{Classes, Encoding, NONE, Vocab};
use crate::error::{Error, Result};

/// The cost of one pass of a kernel's loops (`COST_*` of the shader: each loop iteration is charged 2,
/// each loop 2 more), half of lavapipe's limit. `split` and `bpe_long` count against it; `bpe` stays
/// below it by construction (pieces of at most SHORT_PIECE bytes, lookups of at most 64 slots).
const LOOP_BUDGET: u32 = 32768;
/// Steps of one `split` pass of a row: each step (a code point read, or a piece begun or ended) costs 2.
const SPLIT_STEPS: u64 = LOOP_BUDGET as u64 / 2;
/// The most `split` steps a row of `b` bytes takes is `SPLIT_STEPS_PER_BYTE * b + 1`: each byte is read
/// by at most three runs (a run's tail is read again when the piece ends before it), and each piece
/// (at least a byte) takes at most three steps that read none (its start, and ends of runs).
const SPLIT_STEPS_PER_BYTE: u64 = 6;
/// `split` passes of the first round of a count; later rounds double, until every row is done.
const SPLIT_FIRST_ROUND: u64 = 4;
/// `bpe_long` passes recorded before the first look at whether every piece is done; later rounds double,
/// up to `LONG_MAX_ROUND`.
const LONG_FIRST_ROUND: u64 = 16;
const LONG_MAX_ROUND: u64 = 256;
/// Scratch words of a long piece per byte: four arrays, then three heap entries of two words.
const SCRATCH_WORDS_PER_BYTE: u64 = 10;
/// `LONG_DONE` of the shader.
const LONG_DONE: u32 = 3;
/// Bytes of a row's `SplitState` and of a piece.
const STATE_BYTES: u64 = 24;
const PIECE_BYTES: u64 = 12;

/// Tables kept on a device: the class table, and each encoding's vocabulary (see `shaders/tokens.wgsl`),
/// uploaded on first use. Plain buffers (not pooled): they live as long as the context.
#[derive(Default)]
pub(crate) struct Resident {
    classes: Mutex<Option<Arc<wgpu::Buffer>>>,
    vocabs: Mutex<[Option<Arc<wgpu::Buffer>>; 2]>,
}

/// A buffer holding `words`, bound whole: the table must fit the device's own binding limit (the
/// engine's `max_binding_bytes` caps the arrays it cuts into segments, not these tables).
fn resident_buffer(ctx: &GpuContext, words: &[u32], what: &str) -> Result<Arc<wgpu::Buffer>> {
    let bytes = (words.len() as u64 * 4).div_ceil(16) * 16;
    let limit = ctx.device.limits().max_storage_buffer_binding_size.min(ctx.max_buffer_size);
    if bytes > limit {
        return Err(Error::LimitExceeded { what: format!("the {what} in bytes"), value: bytes, limit });
    }
    let oom = ctx.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
    let buf = ctx.device.create_buffer(&wgpu::BufferDescriptor {
        label: Some(what),
        size: bytes,
        usage: STORAGE,
        mapped_at_creation: false,
    });
    if let Some(e) = pollster::block_on(oom.pop()) {
        return Err(Error::gpu(format!("allocating the {what}"), e));
    }
    ctx.queue.write_buffer(&buf, 0, bytemuck::cast_slice(words));
    Ok(Arc::new(buf))
}

/// The device's class table and vocabulary of `vocab.encoding`.
fn tables(ctx: &GpuContext, vocab: &Vocab, classes: &Classes) -> Result<(Arc<wgpu::Buffer>, Arc<wgpu::Buffer>)> {
    let class_buf = {
        let mut slot = ctx.tokens.classes.lock().unwrap_or_else(|p| p.into_inner());
        match slot.as_ref() {
            Some(b) => b.clone(),
            None => slot.insert(resident_buffer(ctx, &classes.words(), "token class table")?).clone(),
        }
    };
    let vocab_buf = {
        let mut slots = ctx.tokens.vocabs.lock().unwrap_or_else(|p| p.into_inner());
        let slot = &mut slots[vocab.encoding.index()];
        match slot.as_ref() {
            Some(b) => b.clone(),
            None => {
                let mut words = Vec::with_capacity(260 + vocab.pairs.len());
                words.extend([vocab.pair_mask, vocab.pair_probes, 0, 0]);
                words.extend(vocab.byte_rank);
                words.extend_from_slice(&vocab.pairs);
                slot.insert(resident_buffer(ctx, &words, "token vocabulary")?).clone()
            }
        }
    };
    Ok((class_buf, vocab_buf))
}

fn whole(buf: &wgpu::Buffer) -> wgpu::BufferBinding<'_> {
    wgpu::BufferBinding { buffer: buf, offset: 0, size: None }
}

/// What the device counted: each row's tokens, the rows it left to the CPU, and the pieces it left to
/// the CPU as (row, start, end), byte positions in the column's values (their tokens are not in
/// `counts`).
pub(crate) struct GpuCounts {
    pub counts: Vec<u64>,
    pub oversized: Vec<usize>,
    pub pieces: Vec<(usize, u64, u64)>,
}

/// The tokens of each row of a string column given as `offsets` (`n + 1`, from 0, at least one row) into
/// `values`.
pub(crate) fn counts(
    ctx: &Arc<GpuContext>,
    offsets: &[u64],
    values: &[u8],
    vocab: &Vocab,
    classes: &Classes,
) -> Result<GpuCounts> {
    let n = offsets.len() - 1;
    let (class_buf, vocab_buf) = tables(ctx, vocab, classes)?;
    // One binding holds a segment of 8-byte elements; a chunk's pieces (at most one a byte) and its rows'
    // states must fit one.
    let binding = ctx.segment_elems * 8;
    let DeviceText { chunks, oversized, .. } =
        DeviceText::within(ctx, offsets, values, binding / STATE_BYTES, binding / PIECE_BYTES)?;
    let mut out = GpuCounts { counts: vec![0; n], oversized, pieces: Vec::new() };
    let tables = Tables {
        classes: &class_buf,
        vocab: &vocab_buf,
        o200k: vocab.encoding == Encoding::O200kBase,
        probes: vocab.pair_probes,
    };
    for c in &chunks {
        let bytes = offsets[c.rows.end] - c.first_byte;
        count_chunk(ctx, c, bytes, &tables, &mut out)?;
    }
    Ok(out)
}

struct Tables<'a> {
    classes: &'a wgpu::Buffer,
    vocab: &'a wgpu::Buffer,
    o200k: bool,
    /// The longest probe of the pair table.
    probes: u32,
}

/// Records passes `from..to` of the split over chunk `c`, writing the pieces into `pieces` when given.
#[allow(clippy::too_many_arguments)]
fn split_passes(
    ctx: &Arc<GpuContext>,
    c: &TextChunk,
    t: &Tables<'_>,
    state: &PooledBuffer,
    index: &PooledBuffer,
    pieces: Option<&PooledBuffer>,
    passes: std::ops::Range<u64>,
) -> Result<()> {
    let kernel = ctx.kernel(&table::TOKENS, "split", &[])?;
    let dummy;
    let (pieces, write) = match pieces {
        Some(p) => (p, 1),
        None => {
            dummy = ctx.buffer(STORAGE, 16)?;
            (&dummy, 0)
        }
    };
    let mut batch = Batch::new(ctx);
    for pass in passes {
        let params = SplitParams {
            n: c.len() as u32,
            budget: LOOP_BUDGET,
            first: u32::from(pass == 0),
            write,
            o200k: u32::from(t.o200k),
            ..Default::default()
        };
        let bindings = [
            ("text_words", c.words.whole()),
            ("text_offsets", c.offsets.whole()),
            ("classes", whole(t.classes)),
            ("split_state", state.whole()),
            ("piece_index", index.whole()),
            ("pieces", pieces.whole()),
        ];
        batch.run(&kernel, &params, &bindings, item_groups(c.len()))?;
    }
    batch.submit();
    Ok(())
}

/// Counts the pieces of each row of chunk `c` into `per_row`, in rounds of split passes until every row
/// is done; returns the passes taken.
fn count_pieces(
    ctx: &Arc<GpuContext>,
    c: &TextChunk,
    t: &Tables<'_>,
    state: &PooledBuffer,
    index: &PooledBuffer,
    per_row: &mut [u32],
) -> Result<u64> {
    let bound = (SPLIT_STEPS_PER_BYTE * c.max_row_bytes + 1).div_ceil(SPLIT_STEPS);
    let (mut done, mut round) = (0u64, SPLIT_FIRST_ROUND);
    loop {
        let to = (done + round).min(bound);
        split_passes(ctx, c, t, state, index, None, done..to)?;
        done = to;
        round *= 2;
        ctx.read_buffer(index, per_row)?;
        match per_row.iter().position(|&k| k == NONE) {
            None => return Ok(done),
            Some(i) if done >= bound => {
                let row = c.rows.start + i;
                return Err(Error::gpu("token split", format!("row {row} did not finish in {bound} passes")));
            }
            Some(_) => {}
        }
    }
}

/// Counts the tokens of chunk `c` (`bytes` bytes) into `out`.
fn count_chunk(ctx: &Arc<GpuContext>, c: &TextChunk, bytes: u64, t: &Tables<'_>, out: &mut GpuCounts) -> Result<()> {
    let rows = c.len();
    let state = ctx.buffer(STORAGE, rows * STATE_BYTES)?;
    let index = ctx.buffer(STORAGE, rows * 4)?;
    let mut per_row = vec![0u32; rows as usize];
    let passes = count_pieces(ctx, c, t, &state, &index, &mut per_row)?;
    let mut total = 0u64;
    for k in per_row.iter_mut() {
        let first = total as u32;
        total += u64::from(*k);
        *k = first;
    }
    if total == 0 {
        return Ok(());
    }
    // The commands that read `index` are done (its counts were read back), so the queue may write it.
    ctx.queue.write_buffer(index.buffer(), 0, bytemuck::cast_slice(&per_row));
    let pieces = ctx.buffer(STORAGE, total * PIECE_BYTES)?;
    // The same passes again: the scan takes the same steps.
    split_passes(ctx, c, t, &state, &index, Some(&pieces), 0..passes)?;

    // Pieces of more than SHORT_PIECE bytes are disjoint, so at most this many.
    let long_cap = bytes / (u64::from(consts::SHORT_PIECE) + 1) + 1;
    let row_counts = ctx.buffer(STORAGE, rows * 4)?;
    let long = ctx.buffer(STORAGE, 4 + long_cap * PIECE_BYTES)?;
    let kernel = ctx.kernel(&table::TOKENS, "bpe", &[])?;
    let mut batch = Batch::new(ctx);
    batch.enc.clear_buffer(row_counts.buffer(), 0, None);
    batch.enc.clear_buffer(long.buffer(), 0, Some(4));
    let params = BpeParams { n: total as u32, long_cap: long_cap as u32, ..Default::default() };
    let bindings = [
        ("text_words", c.words.whole()),
        ("vocab", whole(t.vocab)),
        ("pieces", pieces.whole()),
        ("row_counts", row_counts.whole()),
        ("long_list", long.whole()),
    ];
    batch.run(&kernel, &params, &bindings, item_groups(total))?;
    batch.submit();
    let mut listed = [0u32; 1];
    ctx.read_buffer(&long, &mut listed)?;
    let listed = u64::from(listed[0]);
    if listed > long_cap {
        return Err(Error::gpu(
            "token merges",
            format!("{listed} long pieces listed, more than the {long_cap} possible"),
        ));
    }
    if listed > 0 {
        let mut raw = vec![0u32; 1 + 3 * listed as usize];
        ctx.read_buffer(&long, &mut raw)?;
        let items: Vec<[u32; 3]> = raw[1..].chunks_exact(3).map(|w| [w[0], w[1], w[2]]).collect();
        merge_long(ctx, c, &items, t, &row_counts, out)?;
    }
    let mut counts = vec![0u32; rows as usize];
    ctx.read_buffer(&row_counts, &mut counts)?;
    for (o, k) in out.counts[c.rows.clone()].iter_mut().zip(counts) {
        *o += u64::from(k);
    }
    Ok(())
}

/// Merges the long pieces `items` ((start, end, row) in chunk `c`) with `bpe_long`, in batches whose
/// scratch fits one binding; a piece whose scratch alone does not fit goes to `out.pieces`.
fn merge_long(
    ctx: &Arc<GpuContext>,
    c: &TextChunk,
    items: &[[u32; 3]],
    t: &Tables<'_>,
    row_counts: &PooledBuffer,
    out: &mut GpuCounts,
) -> Result<()> {
    let limit = ctx.segment_elems * 2;
    let mut batch: Vec<[u32; 4]> = Vec::new();
    let mut used = 0u64;
    for &[s, e, row] in items {
        let need = SCRATCH_WORDS_PER_BYTE * u64::from(e - s);
        if need > limit {
            out.pieces.push((c.rows.start + row as usize, c.first_byte + u64::from(s), c.first_byte + u64::from(e)));
            continue;
        }
        if used + need > limit {
            run_long(ctx, c, &batch, used, t, row_counts)?;
            batch.clear();
            used = 0;
        }
        batch.push([s, e, row, used as u32]);
        used += need;
    }
    if !batch.is_empty() {
        run_long(ctx, c, &batch, used, t, row_counts)?;
    }
    Ok(())
}

/// Runs `bpe_long` over `items` ((start, end, row, scratch base)) with `words` words of scratch, in
/// rounds of passes until every piece is done.
fn run_long(
    ctx: &Arc<GpuContext>,
    c: &TextChunk,
    items: &[[u32; 4]],
    words: u64,
    t: &Tables<'_>,
    row_counts: &PooledBuffer,
) -> Result<()> {
    let n = items.len() as u64;
    let list = ctx.storage_from(items)?;
    let state = ctx.buffer(STORAGE, n * 16)?;
    let scratch = ctx.buffer(STORAGE, words * 4)?;
    let kernel = ctx.kernel(&table::TOKENS, "bpe_long", &[])?;
    // An operation costs at most its iteration, two lookups of at most `probes + 1` iterations, and three
    // sifts of at most `depth + 1` through a heap of at most 3n entries. A piece takes at most n + 1
    // operations to fill the heap, n / 2 + 1 to heapify it, one a candidate merge (at most 3n) and one to
    // finish; every pass but the last runs operations costing more than LOOP_BUDGET - op.
    let longest = items.iter().map(|i| u64::from(i[1] - i[0])).max().unwrap_or(0);
    let depth = u64::from(64 - (3 * longest + 1).leading_zeros());
    let cost = |iterations: u64| 2 * iterations + 2;
    let op = 2 + 2 * cost(u64::from(t.probes) + 1) + 3 * cost(depth + 1);
    let budget = u64::from(LOOP_BUDGET);
    let max_passes = ((5 * longest + 4) * op).div_ceil(budget - op) + 1;
    let (mut passes, mut round) = (0u64, LONG_FIRST_ROUND);
    loop {
        let mut batch = Batch::new(ctx);
        for _ in 0..round {
            let params = LongParams { n: n as u32, budget: LOOP_BUDGET, op: op as u32, first: u32::from(passes == 0) };
            let bindings = [
                ("text_words", c.words.whole()),
                ("vocab", whole(t.vocab)),
                ("long_pieces", list.whole()),
                ("long_state", state.whole()),
                ("scratch", scratch.whole()),
                ("row_counts", row_counts.whole()),
            ];
            // One invocation a workgroup.
            batch.run(&kernel, &params, &bindings, n)?;
            passes += 1;
        }
        batch.submit();
        round = (round * 2).min(LONG_MAX_ROUND);
        let mut st = vec![[0u32; 4]; n as usize];
        ctx.read_buffer(&state, &mut st)?;
        if st.iter().all(|s| s[0] == LONG_DONE) {
            return Ok(());
        }
        if passes >= max_passes {
            return Err(Error::gpu("token merges", format!("long pieces did not finish in {passes} passes")));
        }
    }
}
