// Checks that a u64 segment is sorted ascending: first_bad[0] = min over rows i with
// values[i] < values[i - 1] (row 0 compares against prev[0], the previous segment's last value, when
// has_prev != 0). The host initialises first_bad[0] to 0xffffffff.
// #include "shared/constants.wgsl"
// #include "shared/u64.wgsl"
// #include "shared/tile.wgsl"

struct SortedCheckParams {
    n: u32,
    has_prev: u32,
}

@group(0) @binding(0) var<uniform> params: SortedCheckParams;
@group(0) @binding(1) var<storage, read> values: array<vec2<u32>>;
@group(0) @binding(2) var<storage, read> prev: array<vec2<u32>>;
@group(0) @binding(3) var<storage, read_write> first_bad: array<atomic<u32>>;

@compute @workgroup_size(ITEM_WG)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
    let i = linear_group(wid) * ITEM_WG + lid;
    if (i >= params.n) {
        return;
    }
    var has_before = true;
    var before = prev[0];
    if (i == 0u) {
        has_before = params.has_prev != 0u;
    } else {
        before = values[i - 1u];
    }
    if (has_before && u64_lt(values[i], before)) {
        atomicMin(&first_bad[0], i);
    }
}
