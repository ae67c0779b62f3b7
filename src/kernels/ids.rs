//! Message ids `"{ms}_{row}"` as UTF-8 bytes and end offsets: a length pass, a scan and a write pass on
//! a GPU, formatting on the CPU; the same bytes either way.

use arrow_schema::TimeUnit;

use crate::cpu;
use crate::engine::Engine;
use crate::error::Result;
use crate::gpu;
use crate::kernels::time::per_second;

/// The ids of rows with `delta` (timestamp units since the first message, in `unit`) and sorted
/// position `row`: the ids' UTF-8 bytes and the end offset of each (`delta.len()` offsets, from the
/// first id's end).
///
/// # Errors
/// [`crate::Error::Gpu`] when the device fails.
pub(crate) fn message_id_bytes(
    engine: &Engine,
    delta: &[u64],
    row: &[u64],
    unit: TimeUnit,
) -> Result<(Vec<u8>, Vec<u64>)> {
    let code = match unit {
        TimeUnit::Second => 0,
        TimeUnit::Millisecond => 1,
        TimeUnit::Microsecond => 2,
        TimeUnit::Nanosecond => 3,
    };
    match engine.gpu() {
        Some(ctx) if !delta.is_empty() => gpu::ids::message_ids(ctx, delta, row, code),
        _ => Ok(cpu::ids::message_ids(delta, row, per_second(unit))),
    }
}
