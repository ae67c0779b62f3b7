// Single-pass chained scan with decoupled fallback (Smith, Levien, Owens, SPAA 2025): wrapping u32 sums.
// A workgroup takes the next tile id from an atomic counter (status[0]), reduces its tile, publishes the
// aggregate, looks back over its predecessors' published values and publishes its inclusive prefix.
// A predecessor still not ready after SPIN_LIMIT polls has its reduction computed from the input
// (fallback), so no tile waits on another unboundedly. A tile is WG lanes x one vec4 (4 u32 elements).
// Status of tile t: two atomic words, status[1 + 2t] (low 16 bits of the value) and status[2 + 2t] (high
// 16 bits), each with the flag in bits 30..31 (0 not ready, 1 aggregate, 2 inclusive prefix). Flag and
// value share one word, so relaxed atomics suffice; a reader uses a value only when both halves carry
// the same non-zero flag.
// #include "shared/constants.wgsl"

override INCLUSIVE: bool = false;
// Polls of a not-ready predecessor before computing its reduction ourselves.
override SPIN_LIMIT: u32 = 8u;

struct ScanChainedParams {
    n: u32,
}

@group(0) @binding(0) var<uniform> params: ScanChainedParams;
@group(0) @binding(1) var<storage, read> input: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read> carry_in: array<vec2<u32>>;
@group(0) @binding(3) var<storage, read_write> output: array<vec4<u32>>;
@group(0) @binding(4) var<storage, read_write> total: array<vec2<u32>>;
@group(0) @binding(5) var<storage, read_write> status: array<atomic<u32>>;

var<workgroup> wg_tile: u32;
var<workgroup> wg_state: u32;
var<workgroup> wg_value: u32;
var<workgroup> red: array<u32, WG>;

const FLAG_AGGREGATE: u32 = 1u;
const FLAG_INCLUSIVE: u32 = 2u;

fn publish(tile: u32, flag: u32, value: u32) {
    atomicStore(&status[1u + 2u * tile], (flag << 30u) | (value & 0xffffu));
    atomicStore(&status[2u + 2u * tile], (flag << 30u) | (value >> 16u));
}

fn load4(v: u32, n: u32) -> vec4<u32> {
    let first = v * 4u;
    var w = vec4<u32>(0u);
    if (first < n) {
        w = input[v];
        if (first + 1u >= n) { w.y = 0u; }
        if (first + 2u >= n) { w.z = 0u; }
        if (first + 3u >= n) { w.w = 0u; }
    }
    return w;
}

// Inclusive scan of `x` over the workgroup (Hillis-Steele); call in uniform control flow.
fn wg_scan(lid: u32, x: u32) -> u32 {
    red[lid] = x;
    workgroupBarrier();
    for (var off = 1u; off < WG; off = off << 1u) {
        var y = red[lid];
        if (lid >= off) {
            y = y + red[lid - off];
        }
        workgroupBarrier();
        red[lid] = y;
        workgroupBarrier();
    }
    let r = red[lid];
    workgroupBarrier();
    return r;
}

@compute @workgroup_size(WG)
fn scan(@builtin(local_invocation_index) lid: u32) {
    let n = params.n;
    let tiles = (n + WG * 4u - 1u) / (WG * 4u);
    if (lid == 0u) {
        wg_tile = atomicAdd(&status[0], 1u);
    }
    let tile = workgroupUniformLoad(&wg_tile);
    if (tile >= tiles) {
        return;
    }
    let v = tile * WG + lid;
    let w = load4(v, n);
    let lane_incl = vec4<u32>(w.x, w.x + w.y, w.x + w.y + w.z, w.x + w.y + w.z + w.w);
    let incl = wg_scan(lid, lane_incl.w);
    let aggregate = workgroupUniformLoad(&red[WG - 1u]);
    // red[WG - 1] is read by all before wg_scan writes red again (workgroupUniformLoad synchronises).

    var excl = 0u;
    if (tile == 0u) {
        excl = carry_in[0].x;
        if (lid == 0u) {
            publish(0u, FLAG_INCLUSIVE, excl + aggregate);
        }
    } else {
        if (lid == 0u) {
            publish(tile, FLAG_AGGREGATE, aggregate);
        }
        var prev = tile - 1u;
        var spins = 0u;
        loop {
            // Everyone has read the previous step's wg_state and wg_value before lid 0 rewrites them.
            workgroupBarrier();
            if (lid == 0u) {
                let lo = atomicLoad(&status[1u + 2u * prev]);
                let hi = atomicLoad(&status[2u + 2u * prev]);
                var st = 0u;
                if ((lo >> 30u) == (hi >> 30u)) {
                    st = lo >> 30u;
                }
                wg_state = st;
                wg_value = (lo & 0xffffu) | ((hi & 0xffffu) << 16u);
            }
            let st = workgroupUniformLoad(&wg_state);
            let value = workgroupUniformLoad(&wg_value);
            if (st == FLAG_INCLUSIVE) {
                excl = excl + value;
                break;
            }
            if (st == FLAG_AGGREGATE) {
                // prev >= 1 here: tile 0 publishes only an inclusive prefix.
                excl = excl + value;
                prev = prev - 1u;
                spins = 0u;
                continue;
            }
            spins = spins + 1u;
            if (spins <= SPIN_LIMIT) {
                continue;
            }
            // Fallback: reduce tile `prev` (a full tile, as it precedes ours) from the input.
            let pw = load4(prev * WG + lid, n);
            _ = wg_scan(lid, pw.x + pw.y + pw.z + pw.w);
            let pagg = workgroupUniformLoad(&red[WG - 1u]);
            excl = excl + pagg;
            if (prev == 0u) {
                excl = excl + carry_in[0].x;
                break;
            }
            prev = prev - 1u;
            spins = 0u;
        }
        if (lid == 0u) {
            publish(tile, FLAG_INCLUSIVE, excl + aggregate);
        }
    }

    let base = excl + incl - lane_incl.w;
    var o = vec4<u32>(base) + lane_incl;
    if (!INCLUSIVE) {
        o = o - w;
    }
    if (v * 4u < n) {
        output[v] = o;
    }
    if (tile == tiles - 1u && lid == 0u) {
        total[0] = vec2<u32>(excl + aggregate, 0u);
    }
}
