// Workgroup scan of per-lane Sums in subgroup operations (one workgroup barrier), and the chained
// scans' entry point `scan`, which calls the including shader's `chained_scan`. Needs Features::SUBGROUP.
// The subgroup size is read from @builtin(subgroup_size) (8 on lavapipe, 32 or 64 on GPUs), never
// assumed; the lane's index in the tile is subgroup_id * subgroup_size + subgroup_invocation_id, which
// assumes full subgroups (WG is a multiple of every subgroup size, a power of two <= 128).
// #include "shared/scan_sums.wgsl"

// Per subgroup: the inclusive total of its lanes.
var<workgroup> partial: array<Sums, WG>;
var<private> sg_id: u32;
var<private> sg_lane: u32;
var<private> sg_size: u32;

// Call in uniform control flow; the caller puts a barrier between two calls.
fn tile_scan(li: u32, x: Sums) -> TileScan {
    let e = Sums(subgroupExclusiveAdd(x.lo), subgroupExclusiveAdd(x.hi));
    if (sg_lane == sg_size - 1u) {
        partial[sg_id] = sums_add(e, x);
    }
    workgroupBarrier();
    // Every subgroup sums the subgroups before it and all of them, sg_size totals at a time.
    let groups = (WG + sg_size - 1u) / sg_size;
    var before = Sums(vec4<u32>(0u), vec4<u32>(0u));
    var all = before;
    for (var b = 0u; b < groups; b = b + sg_size) {
        let i = b + sg_lane;
        var v = Sums(vec4<u32>(0u), vec4<u32>(0u));
        if (i < groups) {
            v = partial[i];
        }
        all = sums_add(all, Sums(subgroupAdd(v.lo), subgroupAdd(v.hi)));
        let earlier = i < sg_id;
        before = sums_add(
            before,
            Sums(subgroupAdd(select(vec4<u32>(0u), v.lo, earlier)), subgroupAdd(select(vec4<u32>(0u), v.hi, earlier))),
        );
    }
    return TileScan(sums_add(before, e), all);
}

@compute @workgroup_size(WG)
fn scan(
    @builtin(subgroup_id) sid: u32,
    @builtin(subgroup_invocation_id) lane: u32,
    @builtin(subgroup_size) size: u32,
) {
    sg_id = sid;
    sg_lane = lane;
    sg_size = size;
    chained_scan(sid * size + lane);
}
