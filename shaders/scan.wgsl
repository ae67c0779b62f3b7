// Tile scan, the last pass of reduce-then-scan: each tile scans its elements in ROUNDS rounds of
// WG lanes, starting from tile_offset[tile] (the running total before the tile, carried across chunks).
// The last tile writes the running total after the level into total[0].
// Accumulation is always u64; a u32 output keeps the low word, which is the wrapping u32 sum.
// #include "shared/constants.wgsl"
// #include "shared/u64.wgsl"
// #include "shared/tile.wgsl"

override INCLUSIVE: bool = false;
// Elements are u64 (two words) rather than u32.
override INPUT_WIDE: bool = false;
// Write u64 sums (two words) rather than wrapping u32 sums.
override OUTPUT_WIDE: bool = false;

struct ScanParams {
    n: u32,
}

@group(0) @binding(0) var<uniform> params: ScanParams;
@group(0) @binding(1) var<storage, read> input: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read> tile_offset: array<vec2<u32>>;
@group(0) @binding(3) var<storage, read_write> output: array<vec4<u32>>;
@group(0) @binding(4) var<storage, read_write> total: array<vec2<u32>>;

var<workgroup> scratch: array<vec2<u32>, WG>;

@compute @workgroup_size(WG)
fn scan(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
    let tile = linear_group(wid);
    let n = params.n;
    let epv = select(4u, 2u, INPUT_WIDE);
    let tile_elems = WG * ROUNDS * epv;
    let tiles = (n + tile_elems - 1u) / tile_elems;
    if (tile >= tiles) {
        return;
    }
    var carry = tile_offset[tile];
    for (var r = 0u; r < ROUNDS; r++) {
        let v = tile_vec4_index(tile, r, lid);
        let first = v * epv;
        var words = vec4<u32>(0u);
        if (first < n) {
            words = input[v];
        }
        let l = unpack_lanes(words, first, n, INPUT_WIDE, vec2<u32>(0u, 0u));

        // This lane's own inclusive sums.
        var incl: array<vec2<u32>, 4>;
        var acc = vec2<u32>(0u, 0u);
        for (var k = 0u; k < 4u; k++) {
            acc = u64_add(acc, l.v[k]);
            incl[k] = acc;
        }

        // Inclusive scan of the lane totals across the workgroup (Hillis-Steele).
        scratch[lid] = acc;
        workgroupBarrier();
        for (var off = 1u; off < WG; off = off << 1u) {
            var x = scratch[lid];
            if (lid >= off) {
                x = u64_add(x, scratch[lid - off]);
            }
            workgroupBarrier();
            scratch[lid] = x;
            workgroupBarrier();
        }
        let lane_incl = scratch[lid];
        let round_total = scratch[WG - 1u];
        workgroupBarrier();

        let base = u64_add(carry, u64_sub(lane_incl, acc));
        var o: array<vec2<u32>, 4>;
        for (var k = 0u; k < 4u; k++) {
            var s = incl[k];
            if (!INCLUSIVE) {
                s = u64_sub(s, l.v[k]);
            }
            o[k] = u64_add(base, s);
        }
        if (first < n) {
            if (!OUTPUT_WIDE) {
                output[v] = vec4<u32>(o[0].x, o[1].x, o[2].x, o[3].x);
            } else if (INPUT_WIDE) {
                output[v] = vec4<u32>(o[0], o[1]);
            } else {
                output[2u * v] = vec4<u32>(o[0], o[1]);
                if (first + 2u < n) {
                    output[2u * v + 1u] = vec4<u32>(o[2], o[3]);
                }
            }
        }
        carry = u64_add(carry, round_total);
    }
    if (tile == tiles - 1u && lid == 0u) {
        total[0] = carry;
    }
}
