// Single-pass chained scan with decoupled fallback, u64 sums: u32 elements (INPUT_WIDE false) or u64
// elements (INPUT_WIDE true, as vec2<u32>(low, high)), u64 outputs, sums wrapping at 2^64. The scheme
// is shared/chained_scan.wgsl's (tile ids from a counter, VEC striped vec4 rounds per lane, one
// workgroup scan per limb, the shared lookback, fallback reduction of a late predecessor); the values
// differ:
// - The workgroup scans run on 16-bit limbs of the elements (2 limbs of a u32, 4 of a u64), summed as
//   u32: a tile holds at most 8192 elements, so a limb sum stays below 2^29 and never wraps. A lane's
//   u64 offsets are put together from its limb sums (`limbs_u64`), modulo 2^64.
// - Status of tile t: four atomic words status[1 + 4t + j], j = 0..3, each with 16 bits of the u64
//   value (lowest first) and the flag in bits 30..31; a reader uses a value only when all four carry
//   the same non-zero flag.
// #include "shared/constants.wgsl"
// #include "shared/u64.wgsl"
// #include "shared/tile.wgsl"
// #include "shared/scan_sums.wgsl"
// #include "shared/chained_common.wgsl"

// Elements are u64 (two words) rather than u32.
override INPUT_WIDE: bool = false;

fn elems_per_vec4() -> u32 {
    return select(4u, 2u, INPUT_WIDE);
}

fn limb_count() -> u32 {
    return select(2u, 4u, INPUT_WIDE);
}

fn publish(tile: u32, flag: u32, value: vec2<u32>) {
    let f = flag << 30u;
    atomicStore(&status[1u + 4u * tile], f | (value.x & 0xffffu));
    atomicStore(&status[2u + 4u * tile], f | (value.x >> 16u));
    atomicStore(&status[3u + 4u * tile], f | (value.y & 0xffffu));
    atomicStore(&status[4u + 4u * tile], f | (value.y >> 16u));
}

// Tile p's status for shared/chained_common.wgsl: (flag, value low, value high).
fn read_status(p: u32) -> vec3<u32> {
    let a = atomicLoad(&status[1u + 4u * p]);
    let b = atomicLoad(&status[2u + 4u * p]);
    let c = atomicLoad(&status[3u + 4u * p]);
    let d = atomicLoad(&status[4u + 4u * p]);
    let f = a >> 30u;
    let flag = select(0u, f, f == (b >> 30u) && f == (c >> 30u) && f == (d >> 30u));
    return vec3<u32>(flag, (a & 0xffffu) | ((b & 0xffffu) << 16u), (c & 0xffffu) | ((d & 0xffffu) << 16u));
}

// l0 + l1 * 2^16 + l2 * 2^32 + l3 * 2^48, modulo 2^64.
fn limbs_u64(l: vec4<u32>) -> vec2<u32> {
    return u64_add(vec2<u32>(l.x, l.z + (l.w << 16u)), vec2<u32>(l.y << 16u, l.y >> 16u));
}

// The elements of vec4 number v (zero past n), widened to u64.
fn load_lanes(v: u32, n: u32) -> Lanes {
    let first = v * elems_per_vec4();
    var words = vec4<u32>(0u);
    if (first < n) {
        words = input[v];
    }
    return unpack_lanes(words, first, n, INPUT_WIDE, vec2<u32>(0u, 0u));
}

// Sums of the 16-bit limbs of the elements of `l`.
fn limb_sums(l: Lanes) -> vec4<u32> {
    var s = vec4<u32>(0u);
    for (var k = 0u; k < 4u; k++) {
        let e = l.v[k];
        s = s + vec4<u32>(e.x & 0xffffu, e.x >> 16u, e.y & 0xffffu, e.y >> 16u);
    }
    return s;
}

// The sum of tile `t` (a full tile: it precedes another), from the input. Uniform control flow.
fn reduce_tile64(li: u32, t: u32, n: u32) -> vec2<u32> {
    var s = vec4<u32>(0u);
    for (var r = 0u; r < VEC; r++) {
        s = s + limb_sums(load_lanes((t * VEC + r) * WG + li, n));
    }
    let ts = tile_scan(li, Sums(s, vec4<u32>(0u)));
    return limbs_u64(ts.agg.lo);
}

// The scan, with `li` the lane's index in the tile (0..WG, a bijection over the workgroup).
fn chained_scan(li: u32) {
    let n = params.n;
    let tile_elems = WG * VEC * elems_per_vec4();
    let tiles = (n + tile_elems - 1u) / tile_elems;
    let tile = take_tile(li);
    if (tile >= tiles) {
        return;
    }
    // Per round r: this lane's limb sums, then one workgroup scan per limb (component r = round r).
    var w: array<vec4<u32>, 8>;
    var ls: array<vec4<u32>, 8>;
    for (var r = 0u; r < VEC; r++) {
        let v = (tile * VEC + r) * WG + li;
        if (v * elems_per_vec4() < n) {
            w[r] = input[v];
        }
        ls[r] = limb_sums(load_lanes(v, n));
    }
    var ex: array<Sums, 4>;
    var ag: array<Sums, 4>;
    for (var k = 0u; k < limb_count(); k++) {
        var lo = vec4<u32>(0u);
        var hi = vec4<u32>(0u);
        for (var r = 0u; r < VEC; r++) {
            if (r < 4u) {
                lo[r] = ls[r][k];
            } else {
                hi[r - 4u] = ls[r][k];
            }
        }
        if (k > 0u) {
            // The previous tile_scan's workgroup-memory reads are done before this one writes.
            workgroupBarrier();
        }
        let ts = tile_scan(li, Sums(lo, hi));
        ex[k] = ts.excl;
        ag[k] = ts.agg;
    }
    var agg_limbs = vec4<u32>(0u);
    for (var k = 0u; k < limb_count(); k++) {
        agg_limbs[k] = hsum4(ag[k].lo) + hsum4(ag[k].hi);
    }
    let aggregate = limbs_u64(agg_limbs);

    var excl = vec2<u32>(0u);
    if (tile == 0u) {
        excl = carry_in[0];
        if (li == 0u) {
            publish(0u, FLAG_INCLUSIVE, u64_add(excl, aggregate));
        }
    } else {
        if (li == 0u) {
            publish(tile, FLAG_AGGREGATE, aggregate);
        }
        excl = predecessors(li, tile, n);
        if (li == 0u) {
            publish(tile, FLAG_INCLUSIVE, u64_add(excl, aggregate));
        }
    }

    // Limb offset of round r within the tile: the earlier rounds' limb aggregates.
    var round_off = vec4<u32>(0u);
    for (var r = 0u; r < VEC; r++) {
        let v = (tile * VEC + r) * WG + li;
        let first = v * elems_per_vec4();
        var lane_off = round_off;
        for (var k = 0u; k < limb_count(); k++) {
            lane_off[k] = lane_off[k] + sums_get(ex[k], r);
            round_off[k] = round_off[k] + sums_get(ag[k], r);
        }
        if (first < n) {
            let l = unpack_lanes(w[r], first, n, INPUT_WIDE, vec2<u32>(0u, 0u));
            var s = u64_add(excl, limbs_u64(lane_off));
            var o: array<vec2<u32>, 4>;
            for (var j = 0u; j < 4u; j++) {
                let next = u64_add(s, l.v[j]);
                o[j] = select(s, next, INCLUSIVE);
                s = next;
            }
            if (INPUT_WIDE) {
                output[v] = vec4<u32>(o[0], o[1]);
            } else {
                output[2u * v] = vec4<u32>(o[0], o[1]);
                if (first + 2u < n) {
                    output[2u * v + 1u] = vec4<u32>(o[2], o[3]);
                }
            }
        }
    }
    if (tile == tiles - 1u && li == 0u) {
        total[0] = u64_add(excl, aggregate);
    }
}

fn hsum4(w: vec4<u32>) -> u32 {
    return w.x + w.y + w.z + w.w;
}
