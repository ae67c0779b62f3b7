// Batched binary search and the checked mode's sortedness test.
//
// search: one invocation per query, a branchless loop whose trip count depends only on
// the haystack's length (ceil(log2 n) iterations), or, for a workgroup of sorted queries whose answers
// lie close together, the same loop over that stretch of the haystack cached in workgroup memory.
// positions[i] = number of haystack elements < q
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

// Number of elements of haystack[0..len) that go before q (a sorted haystack): ceil(log2 len) steps.
fn global_count(q: vec2<u32>, n: u32) -> u32 {
    var len = n;
    if (len == 0u || !before(haystack[0], q)) {
        // Nothing in this segment goes before q.
        return 0u;
    }
    if (before(haystack[len - 1u], q)) {
        // Everything does: only the segment that holds the answer is searched.
        return len;
    }
    var base = 0u;
    while (len > 1u) {
        let half = len / 2u;
        base = select(base, base + half, before(haystack[base + half], q));
        len = len - half;
    }
    return base + select(0u, 1u, before(haystack[base], q));
}

// Block-local search of sorted queries: when a workgroup's queries are sorted, their answers lie in
// [count(first), count(last)]; when that span holds at most LOCAL_MAX elements, the workgroup loads it
// into workgroup memory once and each invocation searches there (log2 LOCAL_MAX steps). Any other
// workgroup (unsorted queries, or sorted ones spread wider) searches the haystack directly.
const LOCAL_MAX: u32 = 1024u;
var<workgroup> wg_hay: array<vec2<u32>, LOCAL_MAX>;
var<workgroup> wg_unsorted: atomic<u32>;
// lo, hi, and 1 when the workgroup searches wg_hay.
var<workgroup> wg_plan: vec3<u32>;

// positions[i] as the search found it (added to what it holds with `accumulate`).
fn store(i: u32, count: u32) {
    var out = u64_from(count);
    if (params.accumulate != 0u) {
        out = u64_add(positions[i], out);
    }
    positions[i] = out;
}

@compute @workgroup_size(ITEM_WG)
fn search(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
    let i = linear_group(wid) * ITEM_WG + lid;
    if (i >= params.n_queries) {
        return;
    }
    store(i, global_count(queries[i], params.n_haystack));
}

// For queries the host found sorted: the block-local search (an unsorted workgroup still gives the
// right answer, by the global search, but pays the workgroup's order test and barriers).
@compute @workgroup_size(ITEM_WG)
fn search_local(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
    let g0 = linear_group(wid) * ITEM_WG;
    let n_q = params.n_queries;
    if (g0 >= n_q) {
        return; // a whole workgroup past the end (the 2D dispatch's last row)
    }
    let i = g0 + lid;
    let live = i < n_q;
    let last = min(g0 + ITEM_WG, n_q) - 1u;
    if (lid == 0u) {
        atomicStore(&wg_unsorted, 0u);
    }
    workgroupBarrier();
    // Queries out of order within the workgroup (compared as the elements are: signed with SIGNED).
    let flip = vec2<u32>(0u, select(0u, 0x80000000u, SIGNED));
    if (live && i > g0 && u64_lt(queries[i] ^ flip, queries[i - 1u] ^ flip)) {
        atomicStore(&wg_unsorted, 1u);
    }
    if (lid == 0u) {
        wg_plan.x = global_count(queries[g0], params.n_haystack);
    }
    if (lid == 1u) {
        wg_plan.y = global_count(queries[last], params.n_haystack);
    }
    workgroupBarrier();
    if (lid == 0u) {
        let lo = wg_plan.x;
        let hi = wg_plan.y;
        wg_plan.z = select(0u, 1u, atomicLoad(&wg_unsorted) == 0u && lo <= hi && hi - lo <= LOCAL_MAX);
    }
    let plan = workgroupUniformLoad(&wg_plan);
    var count = 0u;
    if (plan.z == 1u) {
        let span = plan.y - plan.x;
        // At most LOCAL_MAX / ITEM_WG steps.
        for (var k = lid; k < span; k = k + ITEM_WG) {
            wg_hay[k] = haystack[plan.x + k];
        }
        workgroupBarrier();
        if (live) {
            // Over a sorted haystack, everything before plan.x goes before q and nothing from plan.y on.
            let q = queries[i];
            var len = span;
            var base = 0u;
            if (len > 0u) {
                while (len > 1u) {
                    let half = len / 2u;
                    base = select(base, base + half, before(wg_hay[base + half], q));
                    len = len - half;
                }
                base = base + select(0u, 1u, before(wg_hay[base], q));
            }
            count = plan.x + base;
        }
    } else if (live) {
        count = global_count(queries[i], params.n_haystack);
    }
    if (live) {
        store(i, count);
    }
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
