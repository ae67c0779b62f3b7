// Body of the single-pass chained scan with decoupled fallback (Smith, Levien, Owens, SPAA 2025) of
// wrapping u32 sums, shared by shaders/scan_chained.wgsl (workgroup-memory tile scan) and
// shaders/scan_chained_sg.wgsl (subgroup tile scan); each defines `tile_scan` and the entry point.
//
// A workgroup takes the next tile id from an atomic counter (status[0]), so tile t's predecessors
// were all started before it. A tile is VEC rounds of WG lanes x one vec4<u32>: in round r, lane i reads
// vec4 number tile * WG * VEC + r * WG + i (neighbouring lanes read neighbouring 16 bytes). Each lane
// scans its vec4s serially in registers; one workgroup scan of two vec4s (component r = the lane's sum
// in round r) gives every lane its offset in every round. The workgroup publishes its aggregate, then
// looks back over the predecessors' published values, up to 256 of them a round (see
// shared/chained_common.wgsl). A predecessor still not ready after SPIN_LIMIT rounds is reduced from the
// input by the whole workgroup (fallback), so no tile waits on another unboundedly. Finally the tile
// publishes its inclusive prefix and writes.
//
// Status of tile t: two atomic words, status[1 + 2t] (low 16 bits of the value) and status[2 + 2t] (high
// 16 bits), each with the flag in bits 30..31 (0 not ready, 1 aggregate, 2 inclusive prefix). Flag and
// value share one word, so relaxed atomics suffice; a reader uses a value only when both halves carry
// the same non-zero flag.
//
// Loops per invocation: VEC (<= 8) per load/write, log2(WG) or WG / subgroup size in the tile scan, and
// the lookback's rounds (at most SPIN_LIMIT + 1 per predecessor not ready, normally one in all).
// #include "shared/constants.wgsl"
// #include "shared/scan_sums.wgsl"
// #include "shared/chained_common.wgsl"

fn publish(tile: u32, flag: u32, value: u32) {
    atomicStore(&status[1u + 2u * tile], (flag << 30u) | (value & 0xffffu));
    atomicStore(&status[2u + 2u * tile], (flag << 30u) | (value >> 16u));
}

// Tile p's status for shared/chained_common.wgsl: (flag, value, 0).
fn read_status(p: u32) -> vec3<u32> {
    let lo = atomicLoad(&status[1u + 2u * p]);
    let hi = atomicLoad(&status[2u + 2u * p]);
    let flag = select(0u, lo >> 30u, (lo >> 30u) == (hi >> 30u));
    return vec3<u32>(flag, (lo & 0xffffu) | ((hi & 0xffffu) << 16u), 0u);
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

fn hsum(w: vec4<u32>) -> u32 {
    return w.x + w.y + w.z + w.w;
}

// The sum of tile `t` (a full tile: it precedes another), from the input. Uniform control flow.
fn reduce_tile(li: u32, t: u32, n: u32) -> u32 {
    var s = 0u;
    for (var r = 0u; r < VEC; r++) {
        s = s + hsum(load4((t * VEC + r) * WG + li, n));
    }
    let ts = tile_scan(li, Sums(vec4<u32>(s, 0u, 0u, 0u), vec4<u32>(0u)));
    return ts.agg.lo.x;
}

fn reduce_tile64(li: u32, t: u32, n: u32) -> vec2<u32> {
    return vec2<u32>(reduce_tile(li, t, n), 0u);
}

// The scan, with `li` the lane's index in the tile (0..WG, a bijection over the workgroup).
fn chained_scan(li: u32) {
    let n = params.n;
    let tiles = (n + WG * 4u * VEC - 1u) / (WG * 4u * VEC);
    let tile = take_tile(li);
    if (tile >= tiles) {
        return;
    }
    var w: array<vec4<u32>, 8>;
    var lo = vec4<u32>(0u);
    var hi = vec4<u32>(0u);
    for (var r = 0u; r < VEC; r++) {
        w[r] = load4((tile * VEC + r) * WG + li, n);
        if (r < 4u) {
            lo[r] = hsum(w[r]);
        } else {
            hi[r - 4u] = hsum(w[r]);
        }
    }
    let ts = tile_scan(li, Sums(lo, hi));
    let aggregate = hsum(ts.agg.lo) + hsum(ts.agg.hi);

    var excl = 0u;
    if (tile == 0u) {
        excl = carry_in[0].x;
        if (li == 0u) {
            publish(0u, FLAG_INCLUSIVE, excl + aggregate);
        }
    } else {
        if (li == 0u) {
            publish(tile, FLAG_AGGREGATE, aggregate);
        }
        // Modulo 2^32: the low word.
        excl = predecessors(li, tile, n).x;
        if (li == 0u) {
            publish(tile, FLAG_INCLUSIVE, excl + aggregate);
        }
    }

    // Offset of round r within the tile: the sum of the earlier rounds' aggregates.
    var round_off = 0u;
    for (var r = 0u; r < VEC; r++) {
        let v = (tile * VEC + r) * WG + li;
        if (v * 4u < n) {
            let x = w[r];
            let lane_incl = vec4<u32>(x.x, x.x + x.y, x.x + x.y + x.z, x.x + x.y + x.z + x.w);
            var o = vec4<u32>(excl + round_off + sums_get(ts.excl, r)) + lane_incl;
            if (!INCLUSIVE) {
                o = o - x;
            }
            output[v] = o;
        }
        round_off = round_off + sums_get(ts.agg, r);
    }
    if (tile == tiles - 1u && li == 0u) {
        total[0] = vec2<u32>(excl + aggregate, 0u);
    }
}
