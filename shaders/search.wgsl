// Batched binary search and the checked mode's sortedness test.
//
// search: one invocation per query, a branchless loop whose trip count depends only on
// the haystack's length (ceil(log2 n) iterations). positions[i] = number of haystack elements < q
// (lower bound) or <= q (upper bound, UPPER = true). With `accumulate`, the count is added to what
// positions[i] holds: over a sorted haystack split into segments, the sum of per-segment counts is
// the position in the whole.
// #include "shared/constants.wgsl"
// #include "shared/u64.wgsl"
// #include "shared/tile.wgsl"

override UPPER: bool = false;
// i64 elements (two's complement in two words): compared signed, by flipping the high word's sign bit.
override SIGNED: bool = false;

struct SearchParams {
    n_queries: u32,
    n_haystack: u32,
    accumulate: u32,
}

@group(0) @binding(0) var<uniform> params: SearchParams;
@group(0) @binding(1) var<storage, read> haystack: array<vec2<u32>>;
@group(0) @binding(2) var<storage, read> queries: array<vec2<u32>>;
@group(0) @binding(3) var<storage, read_write> positions: array<vec2<u32>>;

// h goes before q in the answer: h < q for a lower bound, h <= q for an upper bound.
fn before(h_raw: vec2<u32>, q_raw: vec2<u32>) -> bool {
    let flip = vec2<u32>(0u, select(0u, 0x80000000u, SIGNED));
    let h = h_raw ^ flip;
    let q = q_raw ^ flip;
    if (UPPER) {
        return !u64_lt(q, h);
    }
    return u64_lt(h, q);
}

@compute @workgroup_size(ITEM_WG)
fn search(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
    let i = linear_group(wid) * ITEM_WG + lid;
    if (i >= params.n_queries) {
        return;
    }
    let q = queries[i];
    var count = 0u;
    var len = params.n_haystack;
    if (len > 0u && !before(haystack[0], q)) {
        // Nothing in this segment goes before q (sorted haystack).
        count = 0u;
    } else if (len > 0u && before(haystack[len - 1u], q)) {
        // Everything does: only the segment that holds the answer is searched.
        count = len;
    } else if (len > 0u) {
        var base = 0u;
        while (len > 1u) {
            let half = len / 2u;
            base = select(base, base + half, before(haystack[base + half], q));
            len = len - half;
        }
        count = base + select(0u, 1u, before(haystack[base], q));
    }
    var out = u64_from(count);
    if (params.accumulate != 0u) {
        out = u64_add(positions[i], out);
    }
    positions[i] = out;
}

// Checked mode: first_bad[0] = min over rows i with values[i] < values[i - 1] (row 0 compares against
// prev[0], the previous segment's last value, when has_prev != 0; signed when SIGNED). The host
// initialises first_bad[0] to 0xffffffff.
struct SortedCheckParams {
    n: u32,
    has_prev: u32,
}

@group(0) @binding(4) var<uniform> check_params: SortedCheckParams;
@group(0) @binding(5) var<storage, read> values: array<vec2<u32>>;
@group(0) @binding(6) var<storage, read> prev: array<vec2<u32>>;
@group(0) @binding(7) var<storage, read_write> first_bad: array<atomic<u32>>;

@compute @workgroup_size(ITEM_WG)
fn check_sorted(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
    let i = linear_group(wid) * ITEM_WG + lid;
    if (i >= check_params.n) {
        return;
    }
    var has_before = true;
    var before = prev[0];
    if (i == 0u) {
        has_before = check_params.has_prev != 0u;
    } else {
        before = values[i - 1u];
    }
    let flip = vec2<u32>(0u, select(0u, 0x80000000u, SIGNED));
    if (has_before && u64_lt(values[i] ^ flip, before ^ flip)) {
        atomicMin(&first_bad[0], i);
    }
}
