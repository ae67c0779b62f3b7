// What the chained scans (shared/chained_scan.wgsl, u32 sums, and shared/chained_scan_wide.wgsl, u64
// sums) share: their overrides, bindings and tile counter, and the decoupled lookback, written once
// over u64 values (a u32 scan keeps the low word, which is its sum modulo 2^32). The including file
// defines
// - `fn read_status(p: u32) -> vec3<u32>`: tile p's published (flag, value low, value high), flag 0 while
//   not ready or while its words disagree (torn);
// - `fn reduce_tile64(li: u32, t: u32, n: u32) -> vec2<u32>`: the sum of tile t from the input, in
//   uniform control flow.
// #include "shared/u64.wgsl"

override INCLUSIVE: bool = false;
// vec4<u32> per lane per tile (1..=8): a tile is WG * VEC vec4s.
override VEC: u32 = 8u;

struct ScanChainedParams {
    n: u32,
}

@group(0) @binding(0) var<uniform> params: ScanChainedParams;
@group(0) @binding(1) var<storage, read> input: array<vec4<u32>>;
// carry_in[0]: the sum before the first tile.
@group(0) @binding(2) var<storage, read> carry_in: array<vec2<u32>>;
@group(0) @binding(3) var<storage, read_write> output: array<vec4<u32>>;
@group(0) @binding(4) var<storage, read_write> total: array<vec2<u32>>;
// status[0]: the tile counter; then each tile's published value, in the including file's layout.
@group(0) @binding(5) var<storage, read_write> status: array<atomic<u32>>;

var<workgroup> wg_tile: u32;

// The tile this workgroup scans: the next id of the counter in status[0], so every predecessor of a tile
// was started before it. Uniform.
fn take_tile(li: u32) -> u32 {
    if (li == 0u) {
        wg_tile = atomicAdd(&status[0], 1u);
    }
    return workgroupUniformLoad(&wg_tile);
}

// Lookback rounds that find the same predecessor not ready before computing its reduction ourselves.
override SPIN_LIMIT: u32 = 8u;
// Lanes that read a predecessor's status per lookback round (1..=WG; tests use 1 and 2 so that
// lookbacks take many rounds).
override LOOK_LANES: u32 = 256u;

const FLAG_AGGREGATE: u32 = 1u;
const FLAG_INCLUSIVE: u32 = 2u;

// The lookback's workgroup state: the first lane that met a stop (an inclusive prefix or a tile not
// ready), the 16-bit limbs of the values before it, and the stop's flag; `wg_look` hands the result to
// every lane as uniform values: (sum low, sum high, first stop, its flag).
var<workgroup> wg_first: atomic<u32>;
var<workgroup> wg_limbs: array<atomic<u32>, 4>;
var<workgroup> wg_stop_flag: u32;
var<workgroup> wg_look: vec4<u32>;

// The sum of every element before tile `tile` (>= 1), carry included. The whole workgroup looks back
// at once: lane j reads the status of tile top - j (one load each, no barrier per poll), the nearest
// stop is found with a workgroup atomic, and the values of the aggregates before it (and of the stop
// itself when it is an inclusive prefix) are summed with workgroup atomics on 16-bit limbs (256 values
// of 2^16 stay below 2^24). A lookback over k predecessors thus takes k / LOOK_LANES rounds instead of
// k loads one after another. A tile still not ready after SPIN_LIMIT rounds is reduced from the input by the
// whole workgroup (the decoupled fallback), and the lookback goes on below it. Called in uniform
// control flow; `li` is the lane's index in the tile.
fn predecessors(li: u32, tile: u32, n: u32) -> vec2<u32> {
    var excl = vec2<u32>(0u);
    // The nearest tile not yet accounted for, and the polls spent on it.
    var top = tile - 1u;
    var spins = 0u;
    if (li == 0u) {
        atomicStore(&wg_first, WG);
        for (var k = 0u; k < 4u; k++) {
            atomicStore(&wg_limbs[k], 0u);
        }
    }
    // Also orders the previous tile_scan's workgroup-memory reads before its next writes.
    workgroupBarrier();
    loop {
        // Lanes past the round's window add nothing and stop nothing. Below tile 0 there is nothing:
        // such lanes come after tile 0, which always stops the walk.
        var s = vec3<u32>(FLAG_AGGREGATE, 0u, 0u);
        if (li < LOOK_LANES) {
            s = vec3<u32>(FLAG_INCLUSIVE, 0u, 0u);
            if (li <= top) {
                s = read_status(top - li);
            }
        }
        if (s.x != FLAG_AGGREGATE) {
            atomicMin(&wg_first, li);
        }
        workgroupBarrier();
        let first = atomicLoad(&wg_first);
        if (li < first || (li == first && s.x == FLAG_INCLUSIVE)) {
            atomicAdd(&wg_limbs[0], s.y & 0xffffu);
            atomicAdd(&wg_limbs[1], s.y >> 16u);
            atomicAdd(&wg_limbs[2], s.z & 0xffffu);
            atomicAdd(&wg_limbs[3], s.z >> 16u);
        }
        if (li == first) {
            wg_stop_flag = s.x;
        }
        workgroupBarrier();
        if (li == 0u) {
            let l = vec4<u32>(
                atomicLoad(&wg_limbs[0]),
                atomicLoad(&wg_limbs[1]),
                atomicLoad(&wg_limbs[2]),
                atomicLoad(&wg_limbs[3]),
            );
            // l0 + l1 * 2^16 + (l2 + l3 * 2^16) * 2^32, modulo 2^64.
            let sum = u64_add(
                u64_add(vec2<u32>(l.x, 0u), vec2<u32>(l.y << 16u, l.y >> 16u)),
                vec2<u32>(0u, l.z + (l.w << 16u)),
            );
            wg_look = vec4<u32>(sum, first, select(0u, wg_stop_flag, first < WG));
            atomicStore(&wg_first, WG);
            for (var k = 0u; k < 4u; k++) {
                atomicStore(&wg_limbs[k], 0u);
            }
        }
        // Every lane has the round's result; lane 0's resets are done before the next round's atomics.
        let look = workgroupUniformLoad(&wg_look);
        excl = u64_add(excl, look.xy);
        if (look.z == WG) {
            // LOOK_LANES aggregates: go on below them (top >= LOOK_LANES here, as tile 0 would have
            // stopped the walk).
            top = top - LOOK_LANES;
            spins = 0u;
            continue;
        }
        if (look.w == FLAG_INCLUSIVE) {
            break;
        }
        // Tile top - look.z is not ready; the aggregates before it are counted.
        top = top - look.z;
        spins = select(1u, spins + 1u, look.z == 0u);
        if (spins <= SPIN_LIMIT) {
            continue;
        }
        // Fallback: reduce tile `top` ourselves.
        excl = u64_add(excl, reduce_tile64(li, top, n));
        if (top == 0u) {
            excl = u64_add(excl, carry_in[0]);
            break;
        }
        top = top - 1u;
        spins = 0u;
        // The tile scan's workgroup memory is read by everyone before the next round writes it.
        workgroupBarrier();
    }
    return excl;
}
