// Workgroup scan of per-lane Sums in workgroup memory (Hillis-Steele, 2 log2(WG) barriers), and the
// chained scans' entry point `scan`, which calls the including shader's `chained_scan`.
// #include "shared/scan_sums.wgsl"

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
