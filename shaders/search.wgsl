// Batched search (lower / upper bound of many queries in a sorted haystack) and the checked mode's
// sortedness test.
//
// positions[i] = number of haystack elements < q (lower bound) or <= q (upper bound, UPPER = true).
// With `accumulate`, the count is added to what positions[i] holds: over a sorted haystack split into
// segments, the sum of per-segment counts is the position in the whole.
//
// Elements are searched in their own width: u32 (WIDE = false, one word each) or u64 / i64 (WIDE = true,
// two words each, low word first; SIGNED: i64, compared signed by flipping the high word's sign bit).
// Three entries:
// - search: any queries. The workgroup first loads SAMPLES evenly spaced haystack elements (every
//   stride-th, at most 8 KiB) into workgroup memory; each invocation searches those samples (log2 SAMPLES steps
//   in workgroup memory), then finishes in the stride-long stretch between two samples in global memory
//   (log2 stride steps). Both loops are branchless with trip counts set by the lengths only.
// - search_local: sorted queries whose answers lie close together: the workgroup loads that stretch of
//   the haystack once and searches it there; a workgroup whose queries are out of order or spread wide
//   searches the haystack directly.
// - search_merge: sorted queries (a merge path): workgroup k takes the diagonal [k * LOCAL_MAX,
//   (k + 1) * LOCAL_MAX) of the merge of queries and haystack, finds where that diagonal enters and
//   leaves the queries by one binary search each, loads its piece of the haystack (at most LOCAL_MAX
//   elements) into workgroup memory, and each of its queries is counted within that piece.
// #include "shared/constants.wgsl"
// #include "shared/u64.wgsl"
// #include "shared/tile.wgsl"

override UPPER: bool = false;
override SIGNED: bool = false;
override WIDE: bool = true;

struct SearchParams {
    n_queries: u32,
    n_haystack: u32,
    accumulate: u32,
}

@group(0) @binding(0) var<uniform> params: SearchParams;
@group(0) @binding(1) var<storage, read> haystack: array<u32>;
@group(0) @binding(2) var<storage, read> queries: array<u32>;
@group(0) @binding(3) var<storage, read_write> positions: array<vec2<u32>>;

// Element i of the haystack / the queries, as two words (a u32 with a zero high word).
fn hay_at(i: u32) -> vec2<u32> {
    if (WIDE) {
        return vec2<u32>(haystack[2u * i], haystack[2u * i + 1u]);
    }
    return vec2<u32>(haystack[i], 0u);
}

fn query_at(i: u32) -> vec2<u32> {
    if (WIDE) {
        return vec2<u32>(queries[2u * i], queries[2u * i + 1u]);
    }
    return vec2<u32>(queries[i], 0u);
}

// a < b in the elements' order (signed with SIGNED).
fn elem_lt(a: vec2<u32>, b: vec2<u32>) -> bool {
    let flip = vec2<u32>(0u, select(0u, 0x80000000u, SIGNED));
    return u64_lt(a ^ flip, b ^ flip);
}

// h goes before q in the answer: h < q for a lower bound, h <= q for an upper bound.
fn before(h: vec2<u32>, q: vec2<u32>) -> bool {
    if (UPPER) {
        return !elem_lt(q, h);
    }
    return elem_lt(h, q);
}

// Number of elements of haystack[lo..hi) that go before q, given that haystack[lo] does (lo < hi):
// ceil(log2 (hi - lo)) steps.
fn count_from(q: vec2<u32>, lo: u32, hi: u32) -> u32 {
    var len = hi - lo;
    var base = lo;
    while (len > 1u) {
        let half = len / 2u;
        base = select(base, base + half, before(hay_at(base + half), q));
        len = len - half;
    }
    return base + select(0u, 1u, before(hay_at(base), q));
}

// Number of elements of haystack[0..n) that go before q (a sorted haystack).
fn global_count(q: vec2<u32>, n: u32) -> u32 {
    if (n == 0u || !before(hay_at(0u), q)) {
        // Nothing in this segment goes before q.
        return 0u;
    }
    if (before(hay_at(n - 1u), q)) {
        // Everything does: only the segment that holds the answer is searched.
        return n;
    }
    return count_from(q, 0u, n);
}

// Workgroup memory shared by the entries: haystack samples (search), a stretch of the haystack
// (search_local) or a piece of the merge (search_merge).
const LOCAL_MAX: u32 = 1024u;
var<workgroup> wg_hay: array<vec2<u32>, LOCAL_MAX>;
var<workgroup> wg_unsorted: atomic<u32>;
// search_local: lo, hi, and 1 when the workgroup searches wg_hay; search_merge: the split points.
var<workgroup> wg_plan: vec3<u32>;

// Number of wg_hay[0..len) that go before q: ceil(log2 len) steps in workgroup memory.
fn local_count(q: vec2<u32>, len: u32) -> u32 {
    if (len == 0u) {
        return 0u;
    }
    var n = len;
    var base = 0u;
    while (n > 1u) {
        let half = n / 2u;
        base = select(base, base + half, before(wg_hay[base + half], q));
        n = n - half;
    }
    return base + select(0u, 1u, before(wg_hay[base], q));
}

// positions[i] as the search found it (added to what it holds with `accumulate`).
fn store(i: u32, count: u32) {
    var out = u64_from(count);
    if (params.accumulate != 0u) {
        out = u64_add(positions[i], out);
    }
    positions[i] = out;
}

// Samples of the haystack kept in workgroup memory by `search` (TOP_CACHE = false: none, each query
// searches the haystack directly, for comparison). SAMPLES <= LOCAL_MAX.
override TOP_CACHE: bool = true;
override SAMPLES: u32 = 1024u;

@compute @workgroup_size(ITEM_WG)
fn search(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
    let g0 = linear_group(wid) * ITEM_WG;
    let n_q = params.n_queries;
    if (g0 >= n_q) {
        return; // a whole workgroup past the end (the 2D dispatch's last row)
    }
    let i = g0 + lid;
    let n = params.n_haystack;
    if (!TOP_CACHE || n <= ITEM_WG) {
        if (i < n_q) {
            store(i, global_count(query_at(i), n));
        }
        return;
    }
    // Sample k is haystack[k * stride]; m samples cover the haystack (m <= SAMPLES <= LOCAL_MAX).
    let samples = min(SAMPLES, LOCAL_MAX);
    let stride = n / samples + select(0u, 1u, n % samples != 0u);
    let m = (n - 1u) / stride + 1u;
    // At most LOCAL_MAX / ITEM_WG steps.
    for (var k = lid; k < m; k = k + ITEM_WG) {
        wg_hay[k] = hay_at(k * stride);
    }
    workgroupBarrier();
    if (i >= n_q) {
        return;
    }
    let q = query_at(i);
    // c samples go before q: over a sorted haystack, the answer lies in ((c - 1) * stride, c * stride].
    let c = local_count(q, m);
    var count = 0u;
    if (c > 0u) {
        count = count_from(q, (c - 1u) * stride, min(c * stride, n));
    }
    store(i, count);
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
    if (live && i > g0 && elem_lt(query_at(i), query_at(i - 1u))) {
        atomicStore(&wg_unsorted, 1u);
    }
    if (lid == 0u) {
        wg_plan.x = global_count(query_at(g0), params.n_haystack);
    }
    if (lid == 1u) {
        wg_plan.y = global_count(query_at(last), params.n_haystack);
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
            wg_hay[k] = hay_at(plan.x + k);
        }
        workgroupBarrier();
        if (live) {
            // Over a sorted haystack, everything before plan.x goes before q and nothing from plan.y on.
            count = plan.x + local_count(query_at(i), span);
        }
    } else if (live) {
        count = global_count(query_at(i), params.n_haystack);
    }
    if (live) {
        store(i, count);
    }
}

// Number of queries among the first d elements of the merge of the (sorted) queries and haystack, where
// haystack[j] comes before queries[i] when before(haystack[j], queries[i]): a binary search on the
// diagonal, at most log2(n_queries) + 1 steps.
fn merge_split(d: u32, m: u32, n: u32) -> u32 {
    var lo = select(0u, d - n, d > n);
    var hi = min(d, m);
    while (lo < hi) {
        let mid = lo + (hi - lo) / 2u;
        // queries[mid] is among the first d iff haystack[d - mid - 1] does not go before it.
        if (before(hay_at(d - mid - 1u), query_at(mid))) {
            hi = mid;
        } else {
            lo = mid + 1u;
        }
    }
    return lo;
}

// Merge path for sorted queries (one haystack segment, accumulate = 0). The host clears `positions`
// first: over an unsorted haystack (trusted, not verified) the splits may not tile the queries, and a
// query no workgroup takes keeps 0; every position written is still within 0..=n_haystack.
@compute @workgroup_size(ITEM_WG)
fn search_merge(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
    let m = params.n_queries;
    let n = params.n_haystack;
    let total = m + n; // both < 2^31 (one segment each)
    let d0 = linear_group(wid) * LOCAL_MAX;
    if (d0 >= total) {
        return; // a whole workgroup past the end
    }
    let d1 = min(d0 + LOCAL_MAX, total);
    if (lid == 0u) {
        wg_plan.x = merge_split(d0, m, n);
    }
    if (lid == 1u) {
        wg_plan.y = merge_split(d1, m, n);
    }
    let plan = workgroupUniformLoad(&wg_plan);
    // Queries [i0, i1) and haystack [j0, j0 + span) (i1 - i0 + span = d1 - d0 when sorted; the clamps
    // only bite over an unsorted haystack, and keep every loop and index in range).
    let i0 = plan.x;
    let i1 = min(max(plan.y, i0), i0 + LOCAL_MAX);
    let j0 = d0 - i0;
    let j1 = d1 - plan.y;
    let span = min(select(0u, j1 - j0, j1 > j0), LOCAL_MAX);
    // At most LOCAL_MAX / ITEM_WG steps each.
    for (var k = lid; k < span; k = k + ITEM_WG) {
        wg_hay[k] = hay_at(j0 + k);
    }
    workgroupBarrier();
    for (var i = i0 + lid; i < i1; i = i + ITEM_WG) {
        positions[i] = u64_from(j0 + local_count(query_at(i), span));
    }
}

// Checked mode: first_bad[0] = min over rows i with values[i] < values[i - 1] (row 0 compares against
// prev[0], the previous segment's last value, when has_prev != 0; signed when SIGNED; u32 or two-word
// elements as WIDE says). The host initialises first_bad[0] to 0xffffffff.
struct SortedCheckParams {
    n: u32,
    has_prev: u32,
}

@group(0) @binding(4) var<uniform> check_params: SortedCheckParams;
@group(0) @binding(5) var<storage, read> values: array<u32>;
@group(0) @binding(6) var<storage, read> prev: array<u32>;
@group(0) @binding(7) var<storage, read_write> first_bad: array<atomic<u32>>;

fn value_at(i: u32) -> vec2<u32> {
    if (WIDE) {
        return vec2<u32>(values[2u * i], values[2u * i + 1u]);
    }
    return vec2<u32>(values[i], 0u);
}

@compute @workgroup_size(ITEM_WG)
fn check_sorted(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
    let i = linear_group(wid) * ITEM_WG + lid;
    if (i >= check_params.n) {
        return;
    }
    var has_before = true;
    var earlier = vec2<u32>(prev[0], select(0u, prev[1], WIDE));
    if (i == 0u) {
        has_before = check_params.has_prev != 0u;
    } else {
        earlier = value_at(i - 1u);
    }
    if (has_before && elem_lt(value_at(i), earlier)) {
        atomicMin(&first_bad[0], i);
    }
}
