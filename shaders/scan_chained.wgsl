// Single-pass chained scan (see shaders/shared/chained_scan.wgsl) with the tile scan in workgroup
// memory (Hillis-Steele over vec4), for devices without subgroup operations.
// #include "shared/chained_scan.wgsl"

var<workgroup> red: array<Sums, WG>;

// Call in uniform control flow; the caller puts a barrier between two calls.
fn tile_scan(li: u32, x: Sums) -> TileScan {
    red[li] = x;
    workgroupBarrier();
    for (var off = 1u; off < WG; off = off << 1u) {
        var y = red[li];
        if (li >= off) {
            y = sums_add(y, red[li - off]);
        }
        workgroupBarrier();
        red[li] = y;
        workgroupBarrier();
    }
    return TileScan(sums_sub(red[li], x), red[WG - 1u]);
}

@compute @workgroup_size(WG)
fn scan(@builtin(local_invocation_index) lid: u32) {
    chained_scan(lid);
}
