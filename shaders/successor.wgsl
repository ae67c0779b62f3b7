// Pointer jumping over a successor array (u64 row numbers, every value a row): marking the rows a walk
// from row 0 reaches. Round k, with jump = next^(2^k), marks jump[i] for every marked row i, so after it
// every row next^m(0) with m < 2^(k+1) is marked (a row marked during the round only adds rows of the
// same walk). The host doubles `jump` between rounds with the elementwise gather.
// Segmented: one dispatch per (source segment, destination segment); a row writes only when its target
// falls in the bound destination segment [dst_start, dst_start + dst_len). `mark_out` starts as a copy
// of `mark_in` (double buffering: no row reads a word that another writes in the same dispatch).
// #include "shared/constants.wgsl"
// #include "shared/u64.wgsl"
// #include "shared/tile.wgsl"

struct MarkParams {
    n: u32,
    dst_len: u32,
    dst_start: vec2<u32>,
}

@group(0) @binding(0) var<uniform> params: MarkParams;
@group(0) @binding(1) var<storage, read> mark_in: array<vec2<u32>>;
@group(0) @binding(2) var<storage, read> jump: array<vec2<u32>>;
// u64 marks seen as words: a mark is 1 in its low word (the high word stays 0).
@group(0) @binding(3) var<storage, read_write> mark_out: array<atomic<u32>>;

@compute @workgroup_size(ITEM_WG)
fn mark(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
    let i = linear_group(wid) * ITEM_WG + lid;
    if (i >= params.n) {
        return;
    }
    let m = mark_in[i];
    if (m.x == 0u && m.y == 0u) {
        return;
    }
    let local = index_in_segment(jump[i], params.dst_start, params.dst_len);
    if (local != 0xffffffffu) {
        // Several rows may mark the same row: all store the same value, atomically.
        atomicStore(&mark_out[2u * local], 1u);
    }
}

// Early stop of pointer jumping without a readback. The host records every round up front; the mark
// and doubling passes read their workgroups from `args` (x, y, z per segment). Once the doubled jump
// of row 0 equals the previous one (the walk repeats: later rounds mark nothing new), `stop` zeroes
// `args`, so every later pass dispatches no workgroup.
@group(0) @binding(8) var<storage, read> prev: array<vec2<u32>>;
@group(0) @binding(9) var<storage, read> now: array<vec2<u32>>;
@group(0) @binding(10) var<storage, read_write> args: array<u32>;

@compute @workgroup_size(1)
fn stop() {
    if (all(prev[0] == now[0])) {
        // A few words: three per segment (the binding may hold a little more, zeroed alike).
        for (var i = 0u; i < arrayLength(&args); i++) {
            args[i] = 0u;
        }
    }
}

// The clamps that turn batched search results into a successor array of row ranges, fused (one pass
// instead of four or five elementwise ones). Row `row` = base + i of rows 0..=n (a segment at a time):
// range_ends: end[row] = min(max(min(j[row] - 1 (saturating), cut[row]), row + 1), n), where `j` is an
//        upper bound found by a search and `cut` a second limit (the host binds `j` again when there is
//        none).
// successors, OP SUCCESSORS_CONTINUE: min(max(min(max(raw, row), end), row + 1), n): `raw` within
//        [row, end], or row + 1 when that is row itself.
// successors, OP SUCCESSORS_STOP_AT_LAST: n where end = n (a walk stops there), else
//        min(max(raw, row + 1), end).
override OP: u32 = 0u;

struct ClampParams {
    len: u32,
    base: vec2<u32>,
    last: vec2<u32>,
}

@group(0) @binding(4) var<uniform> clamp_params: ClampParams;
@group(0) @binding(5) var<storage, read> x: array<vec2<u32>>;
@group(0) @binding(6) var<storage, read> y: array<vec2<u32>>;
@group(0) @binding(7) var<storage, read_write> out: array<vec2<u32>>;

@compute @workgroup_size(ITEM_WG)
fn range_ends(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
    let i = linear_group(wid) * ITEM_WG + lid;
    if (i >= clamp_params.len) {
        return;
    }
    let row = u64_add(clamp_params.base, u64_from(i));
    let j = x[i];
    let j1 = select(u64_sub(j, u64_from(1u)), vec2<u32>(0u, 0u), j.x == 0u && j.y == 0u);
    let e = u64_min(u64_max(u64_min(j1, y[i]), u64_add(row, u64_from(1u))), clamp_params.last);
    out[i] = e;
}

@compute @workgroup_size(ITEM_WG)
fn successors(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
    let i = linear_group(wid) * ITEM_WG + lid;
    if (i >= clamp_params.len) {
        return;
    }
    let row = u64_add(clamp_params.base, u64_from(i));
    let row1 = u64_add(row, u64_from(1u));
    let end = x[i];
    let raw = y[i];
    let n = clamp_params.last;
    var r: vec2<u32>;
    if (OP == SUCCESSORS_CONTINUE) {
        r = u64_min(u64_max(u64_min(u64_max(raw, row), end), row1), n);
    } else if (end.x == n.x && end.y == n.y) {
        r = n;
    } else {
        r = u64_min(u64_max(raw, row1), end);
    }
    out[i] = r;
}
