// Tile reduction: partials[t] = OP over the elements of tile t (u32 or u64 elements, result as u64).
// Used for min / max / sum reductions and as the first pass of reduce-then-scan.
// #include "shared/constants.wgsl"
// #include "shared/u64.wgsl"
// #include "shared/tile.wgsl"

// REDUCE_SUM (u64, wrapping at 2^64), REDUCE_MIN or REDUCE_MAX (shared/constants.wgsl).
override OP: u32 = 0u;
// Elements are u64 (two words) rather than u32.
override INPUT_WIDE: bool = false;

struct ReduceParams {
    n: u32,
}

@group(0) @binding(0) var<uniform> params: ReduceParams;
@group(0) @binding(1) var<storage, read> input: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read_write> partials: array<vec2<u32>>;

var<workgroup> scratch: array<vec2<u32>, WG>;

fn identity() -> vec2<u32> {
    if (OP == REDUCE_MIN) {
        return vec2<u32>(0xffffffffu, 0xffffffffu);
    }
    return vec2<u32>(0u, 0u);
}

fn combine(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
    if (OP == REDUCE_MIN) {
        return u64_min(a, b);
    }
    if (OP == REDUCE_MAX) {
        return u64_max(a, b);
    }
    return u64_add(a, b);
}

@compute @workgroup_size(WG)
fn reduce(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
    let tile = linear_group(wid);
    let n = params.n;
    let epv = select(4u, 2u, INPUT_WIDE);
    let tile_elems = WG * ROUNDS * epv;
    let tiles = (n + tile_elems - 1u) / tile_elems;
    if (tile >= tiles) {
        return;
    }
    var acc = identity();
    for (var r = 0u; r < ROUNDS; r++) {
        let v = tile_vec4_index(tile, r, lid);
        let first = v * epv;
        var words = vec4<u32>(0u);
        if (first < n) {
            words = input[v];
        }
        let l = unpack_lanes(words, first, n, INPUT_WIDE, identity());
        for (var k = 0u; k < 4u; k++) {
            acc = combine(acc, l.v[k]);
        }
    }
    scratch[lid] = acc;
    workgroupBarrier();
    for (var s = WG / 2u; s > 0u; s = s >> 1u) {
        if (lid < s) {
            scratch[lid] = combine(scratch[lid], scratch[lid + s]);
        }
        workgroupBarrier();
    }
    if (lid == 0u) {
        partials[tile] = scratch[0];
    }
}
