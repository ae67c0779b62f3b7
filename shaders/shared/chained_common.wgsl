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

// Polls of a not-ready predecessor before computing its reduction ourselves.
override SPIN_LIMIT: u32 = 8u;

const FLAG_AGGREGATE: u32 = 1u;
const FLAG_INCLUSIVE: u32 = 2u;

// Lane 0's lookback result: (sum low, sum high, 1 = reached an inclusive prefix / 2 = tile w needs the
// fallback, w).
var<workgroup> wg_look: vec4<u32>;

// Lane 0 alone (no barrier per poll): from tile `prev` down, adds the predecessors' published values
// until an inclusive prefix (state 1) or a tile still not ready after SPIN_LIMIT polls (state 2, that
// tile). Returns (sum low, sum high, state, tile).
fn lookback(prev: u32) -> vec4<u32> {
    var acc = vec2<u32>(0u);
    var p = prev;
    var spins = 0u;
    var state = 0u;
    loop {
        let s = read_status(p);
        if (s.x == FLAG_INCLUSIVE) {
            acc = u64_add(acc, s.yz);
            state = 1u;
            break;
        }
        if (s.x == FLAG_AGGREGATE) {
            // p >= 1 here: tile 0 publishes only an inclusive prefix.
            acc = u64_add(acc, s.yz);
            p = p - 1u;
            spins = 0u;
            continue;
        }
        spins = spins + 1u;
        if (spins > SPIN_LIMIT) {
            state = 2u;
            break;
        }
    }
    return vec4<u32>(acc, state, p);
}

// The sum of every element before tile `tile` (>= 1), carry included: lane 0 looks back; a predecessor
// it gave up on is reduced from the input by the whole workgroup, and the lookback goes on below it.
// Called in uniform control flow; `li` is the lane's index in the tile.
fn predecessors(li: u32, tile: u32, n: u32) -> vec2<u32> {
    var excl = vec2<u32>(0u);
    var prev = tile - 1u;
    loop {
        if (li == 0u) {
            wg_look = lookback(prev);
        }
        // Also orders the previous tile_scan's workgroup-memory reads before its next writes.
        let look = workgroupUniformLoad(&wg_look);
        excl = u64_add(excl, look.xy);
        if (look.z == 1u) {
            break;
        }
        // Fallback: reduce tile look.w ourselves.
        excl = u64_add(excl, reduce_tile64(li, look.w, n));
        if (look.w == 0u) {
            excl = u64_add(excl, carry_in[0]);
            break;
        }
        prev = look.w - 1u;
        // Everyone has read wg_look and the tile scan's memory before lane 0 writes again.
        workgroupBarrier();
    }
    return excl;
}
