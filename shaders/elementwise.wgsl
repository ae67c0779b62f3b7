// Elementwise operations on u64 columns (vec2<u32> words), one invocation per element, and a gather.
// Columns are processed a segment at a time; every operand segment has the same length.
// #include "shared/constants.wgsl"
// #include "shared/u64.wgsl"
// #include "shared/tile.wgsl"

// The op: one of the SCALAR_* codes for map_scalar, PAIR_* for map_pair (shared/constants.wgsl). Saturating
// ops stop at 0 and 2^64 - 1; comparisons give 1 or 0; FLOOR_DIV_SIGNED divides a two's-complement i64 a
// by k, rounding down.
override OP: u32 = 0u;

struct MapParams {
    n: u32,
    k: vec2<u32>,
    base: vec2<u32>,
}

@group(0) @binding(0) var<uniform> map_params: MapParams;
@group(0) @binding(1) var<storage, read> a: array<vec2<u32>>;
@group(0) @binding(2) var<storage, read> b: array<vec2<u32>>;
@group(0) @binding(3) var<storage, read_write> out: array<vec2<u32>>;

const U64_MAX: vec2<u32> = vec2<u32>(0xffffffffu, 0xffffffffu);

fn add_sat(x: vec2<u32>, y: vec2<u32>) -> vec2<u32> {
    let s = u64_add(x, y);
    return select(s, U64_MAX, u64_lt(s, x));
}

fn sub_sat(x: vec2<u32>, y: vec2<u32>) -> vec2<u32> {
    return select(u64_sub(x, y), vec2<u32>(0u, 0u), u64_lt(x, y));
}

fn u64_shl1(x: vec2<u32>) -> vec2<u32> {
    return vec2<u32>(x.x << 1u, (x.y << 1u) | (x.x >> 31u));
}

// n / d, unsigned, by binary long division (64 steps; d = 0 gives all ones). The remainder stays below
// d, so shifting it left never loses a bit while d < 2^63.
fn u64_div(n: vec2<u32>, d: vec2<u32>) -> vec2<u32> {
    var q = vec2<u32>(0u, 0u);
    var r = vec2<u32>(0u, 0u);
    for (var i = 0u; i < 64u; i++) {
        let bit = 63u - i;
        var nb: u32;
        if (bit >= 32u) {
            nb = (n.y >> (bit - 32u)) & 1u;
        } else {
            nb = (n.x >> bit) & 1u;
        }
        r = u64_shl1(r);
        r.x = r.x | nb;
        q = u64_shl1(q);
        if (!u64_lt(r, d)) {
            r = u64_sub(r, d);
            q.x = q.x | 1u;
        }
    }
    return q;
}

// floor(x / k) of a two's-complement i64 x: for x < 0 it is !((!x) / k), which cannot overflow.
fn floor_div_signed(x: vec2<u32>, k: vec2<u32>) -> vec2<u32> {
    if ((x.y & 0x80000000u) != 0u) {
        return ~u64_div(~x, k);
    }
    return u64_div(x, k);
}

fn item(wid: vec3<u32>, lid: u32) -> u32 {
    return linear_group(wid) * ITEM_WG + lid;
}

@compute @workgroup_size(ITEM_WG)
fn map_scalar(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
    let i = item(wid, lid);
    if (i >= map_params.n) {
        return;
    }
    let x = a[i];
    let k = map_params.k;
    var r: vec2<u32>;
    switch OP {
        case SCALAR_ADD_SAT: { r = add_sat(x, k); }
        case SCALAR_SUB_SAT: { r = sub_sat(x, k); }
        case SCALAR_MIN: { r = u64_min(x, k); }
        case SCALAR_MAX: { r = u64_max(x, k); }
        case SCALAR_GE: { r = u64_from(select(0u, 1u, !u64_lt(x, k))); }
        case SCALAR_LT: { r = u64_from(select(0u, 1u, u64_lt(x, k))); }
        default: { r = floor_div_signed(x, k); } // SCALAR_FLOOR_DIV_SIGNED
    }
    out[i] = r;
}

@compute @workgroup_size(ITEM_WG)
fn map_pair(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
    let i = item(wid, lid);
    if (i >= map_params.n) {
        return;
    }
    let x = a[i];
    let y = b[i];
    var r: vec2<u32>;
    switch OP {
        case PAIR_MAX: { r = u64_max(x, y); }
        case PAIR_MIN: { r = u64_min(x, y); }
        case PAIR_SUB_SAT: { r = sub_sat(x, y); }
        case PAIR_WRAPPING_ADD: { r = u64_add(x, y); }
        case PAIR_WRAPPING_SUB: { r = u64_sub(x, y); }
        default: { r = u64_from(select(0u, 1u, !u64_lt(y, x))); } // PAIR_LE
    }
    out[i] = r;
}

// out[i] = k + base + i: the row numbers of a segment that starts at row `base`, offset by k.
@compute @workgroup_size(ITEM_WG)
fn iota(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
    let i = item(wid, lid);
    if (i >= map_params.n) {
        return;
    }
    out[i] = u64_add(u64_add(map_params.k, map_params.base), u64_from(i));
}

// gather: dst[i] = src[idx[i] - src_start] for the indices that fall in this source segment
// [src_start, src_start + src_len); one dispatch per source segment. With `first` set, indices that
// fall in no segment so far read as 0 (the first pass initialises every element).
struct GatherParams {
    n: u32,
    src_len: u32,
    first: u32,
    src_start: vec2<u32>,
}

@group(0) @binding(4) var<uniform> gather_params: GatherParams;
@group(0) @binding(5) var<storage, read> src: array<vec2<u32>>;
@group(0) @binding(6) var<storage, read> idx: array<vec2<u32>>;
@group(0) @binding(7) var<storage, read_write> dst: array<vec2<u32>>;

@compute @workgroup_size(ITEM_WG)
fn gather(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
    let i = item(wid, lid);
    if (i >= gather_params.n) {
        return;
    }
    let local = index_in_segment(idx[i], gather_params.src_start, gather_params.src_len);
    if (local != 0xffffffffu) {
        dst[i] = src[local];
    } else if (gather_params.first != 0u) {
        dst[i] = vec2<u32>(0u, 0u);
    }
}
