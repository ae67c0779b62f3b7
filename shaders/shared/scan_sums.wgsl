// Per-lane sums of the chained scans' tiles and the result of their workgroup scan (`tile_scan`,
// defined by shared/tile_scan_wg.wgsl or shared/tile_scan_sg.wgsl).

// Eight per-lane sums (one per round; rounds 0..4 in `lo`, 4..8 in `hi`).
struct Sums {
    lo: vec4<u32>,
    hi: vec4<u32>,
}

// Exclusive scan of per-lane Sums over the workgroup, and the workgroup's total.
struct TileScan {
    excl: Sums,
    agg: Sums,
}

fn sums_add(a: Sums, b: Sums) -> Sums {
    return Sums(a.lo + b.lo, a.hi + b.hi);
}

fn sums_sub(a: Sums, b: Sums) -> Sums {
    return Sums(a.lo - b.lo, a.hi - b.hi);
}

fn sums_get(s: Sums, r: u32) -> u32 {
    if (r < 4u) {
        return s.lo[r];
    }
    return s.hi[r - 4u];
}
