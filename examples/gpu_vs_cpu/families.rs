//! The rows of each kernel family: inputs made from the seeded generator, each kernel timed on every
//! engine against a copy of its bytes.

use arrow_array::Array;

use crate::common;
use crate::{AnyResult, Bench, Row, column_row};

/// Scans: u32 (wrapping), u32 -> u64 and u64, exclusive.
pub(crate) fn scan_rows(b: &Bench, rng: &mut common::Rng, n: usize) -> AnyResult<Vec<Row>> {
    use streamliner::scan::{ScanKind, prefix_sum};
    let values: Vec<u32> = (0..n).map(|_| (rng.next() >> 40) as u32).collect();
    let col = b.upload(&values)?;
    let ex = ScanKind::Exclusive;
    let mut rows = Vec::new();
    let (mut row, c) = b.row("scan u32", n, n * 4, |e| prefix_sum::<u32, _>(e, &values, ex), Ok)?;
    if let Some(col) = &col {
        b.resident(&mut row, |e| prefix_sum::<u32, _>(e, col, ex), |r| Ok(Some(r.to_vec()?) == c))?;
    }
    rows.push(row);
    let (mut row, c) = b.row("scan u32->u64", n, n * 8, |e| prefix_sum::<u64, _>(e, &values, ex), Ok)?;
    if let Some(col) = &col {
        b.resident(&mut row, |e| prefix_sum::<u64, _>(e, col, ex), |r| Ok(Some(r.to_vec()?) == c))?;
    }
    rows.push(row);
    drop(col);
    let wide: Vec<u64> = values.iter().map(|&v| u64::from(v) << 8 | (v & 0xff) as u64).collect();
    drop(values);
    let col = b.upload(&wide)?;
    let (mut row, c) = b.row("scan u64", n, n * 8, |e| prefix_sum::<u64, _>(e, &wide, ex), Ok)?;
    if let Some(col) = &col {
        b.resident(&mut row, |e| prefix_sum::<u64, _>(e, col, ex), |r| Ok(Some(r.to_vec()?) == c))?;
    }
    rows.push(row);
    Ok(rows)
}

/// Searches of `n` queries in a sorted `n`-element u64 haystack: unsorted queries (resident: both on the
/// device), sorted queries (as the windows issue them; resident: the haystack prepared once with
/// [`Haystack`](streamliner::search::Haystack), the queries uploaded and read back per call), and sorted
/// i64 (timestamps). The copies move both arrays.
pub(crate) fn search_rows(b: &Bench, rng: &mut common::Rng, n: usize) -> AnyResult<Vec<Row>> {
    use streamliner::search::{Bound, Check, Haystack, search_sorted};
    let mut haystack: Vec<u64> = (0..n).map(|_| rng.next() >> 20).collect();
    haystack.sort_unstable();
    let mut queries: Vec<u64> = (0..n).map(|_| rng.next() >> 20).collect();
    let bytes = n * 16;
    let mut rows = Vec::new();
    let lower = Bound::Lower;
    {
        let (mut row, c) = b.row(
            "lower_bound, unsorted queries",
            n,
            bytes,
            |e| search_sorted(e, &haystack, &queries, lower, Check::Trust),
            Ok,
        )?;
        if let (Some(h), Some(q)) = (b.upload(&haystack)?, b.upload(&queries)?) {
            b.resident(&mut row, |e| search_sorted(e, &h, &q, lower, Check::Trust), |r| Ok(Some(r.to_vec()?) == c))?;
        }
        rows.push(row);
    }
    queries.sort_unstable();
    {
        let (mut row, c) = b.row(
            "lower_bound, sorted queries",
            n,
            bytes,
            |e| search_sorted(e, &haystack, &queries, lower, Check::Trust),
            Ok,
        )?;
        if let Some(gpu) = &b.gpu {
            let prepared = Haystack::new(gpu, haystack.clone(), Check::Trust)?;
            b.resident(&mut row, |_| prepared.search(&queries, lower), |r| Ok(Some(r) == c))?;
        }
        rows.push(row);
    }
    // The same values as i64 timestamps around zero, searched signed.
    let shift = |v: &u64| (*v as i64).wrapping_sub(1 << 43);
    let hay_i: Vec<i64> = haystack.iter().map(shift).collect();
    drop(haystack);
    let q_i: Vec<i64> = queries.iter().map(shift).collect();
    drop(queries);
    let (mut row, c) = b.row(
        "lower_bound i64, sorted queries",
        n,
        bytes,
        |e| search_sorted(e, &hay_i, &q_i, lower, Check::Trust),
        Ok,
    )?;
    if let Some(gpu) = &b.gpu {
        let prepared = Haystack::new(gpu, hay_i.clone(), Check::Trust)?;
        b.resident(&mut row, |_| prepared.search(&q_i, lower), |r| Ok(Some(r) == c))?;
    }
    rows.push(row);
    Ok(rows)
}

/// Reductions of u32 values: sum (to u64), min, max.
pub(crate) fn reduce_rows(b: &Bench, rng: &mut common::Rng, n: usize) -> AnyResult<Vec<Row>> {
    use streamliner::reduce::{max, min, sum};
    let values: Vec<u32> = (0..n).map(|_| rng.next() as u32).collect();
    let col = b.upload(&values)?;
    let mut rows = Vec::new();
    let (mut row, c) = b.row("reduce sum u32", n, n * 4, |e| sum(e, &values), Ok)?;
    if let Some(col) = &col {
        b.resident(&mut row, |e| sum(e, col), |r| Ok(Some(r) == c))?;
    }
    rows.push(row);
    let (mut row, c) = b.row("reduce min u32", n, n * 4, |e| min(e, &values), Ok)?;
    if let Some(col) = &col {
        b.resident(&mut row, |e| min(e, col), |r| Ok(Some(r) == c))?;
    }
    rows.push(row);
    let (mut row, c) = b.row("reduce max u32", n, n * 4, |e| max(e, &values), Ok)?;
    if let Some(col) = &col {
        b.resident(&mut row, |e| max(e, col), |r| Ok(Some(r) == c))?;
    }
    rows.push(row);
    Ok(rows)
}

/// Compaction: the indices of the set rows of a mask (a third set). Host form: an Arrow bitmap in, u64
/// indices out; resident form: a u64 0/1 column in, indices left on the device.
pub(crate) fn compact_rows(b: &Bench, rng: &mut common::Rng, n: usize) -> AnyResult<Vec<Row>> {
    use streamliner::compact::indices;
    let mask: Vec<u64> = (0..n).map(|_| u64::from(rng.next().is_multiple_of(3))).collect();
    let bools = arrow_array::BooleanArray::from(mask.iter().map(|&m| m == 1).collect::<Vec<_>>());
    let kept = mask.iter().filter(|&&m| m == 1).count();
    let bytes = (n.div_ceil(8)).max(kept * 8);
    let (mut row, c) =
        b.row("compaction indices (1/3 kept)", n, bytes, |e| indices(e, &bools), |a| Ok(a.values().to_vec()))?;
    if let Some(col) = b.upload(&mask)? {
        b.resident(&mut row, |e| indices(e, &col), |r| Ok(Some(r.to_vec()?) == c))?;
    }
    Ok(vec![row])
}

/// Elementwise kernels over u64 columns: a scalar op, a binary op, a gather and iota.
pub(crate) fn elementwise_rows(b: &Bench, rng: &mut common::Rng, n: usize) -> AnyResult<Vec<Row>> {
    use streamliner::elementwise::{add_scalar, gather, iota, min};
    let a: Vec<u64> = (0..n).map(|_| rng.next() >> 1).collect();
    let bv: Vec<u64> = (0..n).map(|_| rng.next() >> 1).collect();
    let idx: Vec<u64> = (0..n).map(|_| rng.below(n.max(1) as u64)).collect();
    let rows = vec![
        column_row(b, "elementwise add_scalar u64", n, &[&a], &|e, c| add_scalar(e, c[0], 7))?,
        column_row(b, "elementwise min u64 (binary)", n, &[&a, &bv], &|e, c| min(e, c[0], c[1]))?,
        column_row(b, "gather u64 (random indices)", n, &[&a, &idx], &|e, c| gather(e, c[0], c[1]))?,
        column_row(b, "iota u64", n, &[], &|e, _| iota(e, n, 5))?,
    ];
    Ok(rows)
}

const NAMES: [&str; 8] = ["Alice", " Bob", "José\t", "Zoë", "李雷", "Ana María", "Ингрид ", "Noor"];
const WORDS: [&str; 10] =
    ["the", "café", "😀", "https://example.org/p?id=7", "plan", "日本", "review", "<http://a.b/c>", "ok", "€20"];
/// uuid.NAMESPACE_OID.
const NAMESPACE_OID: [u8; 16] =
    [0x6b, 0xa7, 0xb8, 0x12, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0, 0xc0, 0x4f, 0xd4, 0x30, 0xc8];

/// `n` messages of 1 to 12 words.
fn texts(rng: &mut common::Rng, n: usize) -> arrow_array::StringArray {
    (0..n)
        .map(|_| {
            let k = 1 + rng.next() % 12;
            Some((0..k).map(|_| WORDS[(rng.next() % WORDS.len() as u64) as usize]).collect::<Vec<_>>().join(" "))
        })
        .collect()
}

/// `n` local timestamps (microseconds), a few minutes apart.
fn timestamps(rng: &mut common::Rng, n: usize) -> arrow_array::TimestampMicrosecondArray {
    let mut t = 1_700_000_000_000_000i64;
    (0..n)
        .map(|_| {
            t += (rng.next() % 600_000_000) as i64;
            Some(t)
        })
        .collect()
}

/// Strings, at `n` messages: code-point lengths and UUIDv5 of author names (SHA-1).
pub(crate) fn string_rows(b: &Bench, rng: &mut common::Rng, n: usize) -> AnyResult<Vec<Row>> {
    use streamliner::strings::{LengthUnit, lengths};
    use streamliner::uuid5::uuid5;
    let text = texts(rng, n);
    let authors: arrow_array::StringArray =
        (0..n).map(|_| Some(NAMES[(rng.next() % NAMES.len() as u64) as usize])).collect();
    let text_bytes = text.value_data().len().max(n * 8);
    let (mut lens, _) =
        b.row("code-point lengths", n, text_bytes, |e| lengths(e, &text, LengthUnit::CodePoints), Ok)?;
    b.host_timer(&mut lens, |e| lengths(e, &text, LengthUnit::CodePoints))?;
    let uuid_bytes = authors.value_data().len().max(n * 36);
    let (mut ids, _) = b.row(
        "uuid5 (SHA-1) of authors",
        n,
        uuid_bytes,
        |e| uuid5(e, &authors, NAMESPACE_OID, "whatsapp:"),
        |a| Ok(a.to_data()),
    )?;
    b.host_timer(&mut ids, |e| uuid5(e, &authors, NAMESPACE_OID, "whatsapp:"))?;
    Ok(vec![lens, ids])
}

/// Text matching, at `n` messages: URL extraction, a case-insensitive prefix, UUID set membership.
pub(crate) fn text_match_rows(b: &Bench, rng: &mut common::Rng, n: usize) -> AnyResult<Vec<Row>> {
    use streamliner::text_match::{extract_urls, starts_with_ignore_ascii_case, uuid_in_set};
    let text = texts(rng, n);
    let tb = text.value_data().len();
    let (mut urls, _) = b.row("urls (extract)", n, tb, |e| extract_urls(e, &text), |a| Ok(a.to_data()))?;
    b.host_timer(&mut urls, |e| extract_urls(e, &text))?;
    let (mut sw, _) =
        b.row("starts_with_ignore_ascii_case", n, tb, |e| starts_with_ignore_ascii_case(e, &text, "THE "), Ok)?;
    b.host_timer(&mut sw, |e| starts_with_ignore_ascii_case(e, &text, "THE "))?;
    let set: Vec<[u8; 16]> = (0..64)
        .map(|_| {
            let (h, l) = (rng.next(), rng.next());
            let mut u = [0u8; 16];
            u[..8].copy_from_slice(&h.to_be_bytes());
            u[8..].copy_from_slice(&l.to_be_bytes());
            u
        })
        .collect();
    let hex = |u: &[u8; 16]| {
        let s: String = u.iter().map(|x| format!("{x:02x}")).collect();
        format!("{}-{}-{}-{}-{}", &s[..8], &s[8..12], &s[12..16], &s[16..20], &s[20..])
    };
    let uuids: arrow_array::StringArray = (0..n)
        .map(|_| {
            let r = rng.next();
            if r.is_multiple_of(4) {
                Some(hex(&set[(r >> 8) as usize % set.len()]).to_uppercase())
            } else {
                let mut u = [0u8; 16];
                u[..8].copy_from_slice(&rng.next().to_le_bytes());
                u[8..].copy_from_slice(&r.to_le_bytes());
                Some(hex(&u))
            }
        })
        .collect();
    let ub = uuids.value_data().len();
    let (mut inset, _) = b.row("uuid_in_set (64 uuids)", n, ub, |e| uuid_in_set(e, &uuids, &set), Ok)?;
    b.host_timer(&mut inset, |e| uuid_in_set(e, &uuids, &set))?;
    Ok(vec![urls, sw, inset])
}

/// Message ids (per-minute sequence numbers from timestamps), at `n` timestamps.
pub(crate) fn id_rows(b: &Bench, rng: &mut common::Rng, n: usize) -> AnyResult<Vec<Row>> {
    use streamliner::etl::message_ids;
    let ts = timestamps(rng, n);
    let (mut row, _) = b.row("message ids", n, n * 8, |e| message_ids(e, &ts), |a| Ok(a.to_data()))?;
    b.host_timer(&mut row, |e| message_ids(e, &ts))?;
    Ok(vec![row])
}

/// Time zones and dates, at `n` timestamps.
pub(crate) fn time_rows(b: &Bench, rng: &mut common::Rng, n: usize) -> AnyResult<Vec<Row>> {
    use streamliner::time::{local_to_utc, utc_dates};
    let ts = timestamps(rng, n);
    let (mut utc, _) =
        b.row("local_to_utc (Europe/Paris)", n, n * 8, |e| local_to_utc(e, &ts, "Europe/Paris"), |a| Ok(a.to_data()))?;
    b.host_timer(&mut utc, |e| local_to_utc(e, &ts, "Europe/Paris"))?;
    let (mut dates, _) = b.row("utc_dates", n, n * 8, |e| utc_dates(e, &ts), Ok)?;
    b.host_timer(&mut dates, |e| utc_dates(e, &ts))?;
    Ok(vec![utc, dates])
}

/// The successor kernels at `n` rows (walk, fused clamps), and whole budget windows at `n / 16` messages
/// (found on the device on the GPU engine for code points, by the row buffer's searches otherwise).
pub(crate) fn successor_rows(b: &Bench, rng: &mut common::Rng, n: usize) -> AnyResult<Vec<Row>> {
    use std::sync::Arc;
    use streamliner::kernels::successor::{range_ends, successors, walk_marks};
    use streamliner::window::{Semantics, WindowSpec};
    let last = n.saturating_sub(1) as u64;
    // A byte-window-shaped successor array: forward steps of 1..=20 rows, ending in a self-loop.
    let next: Vec<u64> = (0..n as u64).map(|s| (s + 1 + rng.next() % 20).min(last)).collect();
    let j: Vec<u64> = next.iter().map(|&x| (x + 1).min(last + 1)).collect();
    let cut: Vec<u64> = (0..n as u64).map(|s| s + rng.next() % 30).collect();
    let end: Vec<u64> = (0..n as u64).map(|s| (s + 1 + rng.next() % 20).min(last)).collect();
    let raw: Vec<u64> = end.iter().enumerate().map(|(s, &e)| (s as u64 + rng.next() % 25).min(e + 3)).collect();
    let mut rows = vec![
        column_row(b, "walk_marks (pointer jumping)", n, &[&next], &|e, c| walk_marks(e, c[0]))?,
        column_row(b, "range_ends (fused clamps)", n, &[&j, &cut], &|e, c| range_ends(e, c[0], Some(c[1]), last))?,
        column_row(b, "successors (fused clamps)", n, &[&end, &raw], &|e, c| successors(e, c[0], c[1], last, false))?,
    ];
    drop((next, j, cut, end, raw));
    let m = (n / 16).max(1);
    let text = texts(rng, m);
    let tb = text.value_data().len();
    let history = arrow_array::RecordBatch::try_from_iter([
        ("ts", Arc::new(timestamps(rng, m).with_timezone("UTC")) as arrow_array::ArrayRef),
        ("text", Arc::new(text) as arrow_array::ArrayRef),
    ])?;
    for (kernel, spec) in [
        ("byte windows strict (utf-8, M=2000, r=0.2)", WindowSpec::bytes(2000).overlap(0.2)),
        (
            "byte windows egregora (code points, M=2000, r=0.2)",
            WindowSpec::bytes(2000).overlap(0.2).semantics(Semantics::Egregora),
        ),
    ] {
        let (mut row, _) = b.row(kernel, m, tb, |e| e.window(&history, &spec).map(|w| w.windows().to_vec()), Ok)?;
        b.host_timer(&mut row, |e| e.window(&history, &spec))?;
        rows.push(row);
    }
    Ok(rows)
}
