// #include "shared/u64.wgsl"
// Reading one round of a tile: invocation `lid` of tile `tile` loads vec4 number
// tile * WG * ROUNDS + round * WG + lid (neighbouring lanes read neighbouring 16 bytes) and unpacks it
// into 4 u32 elements, or 2 u64 elements when `wide`. Elements at or past `n` read as `fill`.

struct Lanes {
    first: u32,                  // index of the first element in this vec4
    count: u32,                  // elements per vec4: 4 (u32) or 2 (u64)
    v: array<vec2<u32>, 4>,      // the elements, widened to u64
}

fn tile_vec4_index(tile: u32, round: u32, lid: u32) -> u32 {
    return (tile * ROUNDS + round) * WG + lid;
}

fn unpack_lanes(words: vec4<u32>, first: u32, n: u32, wide: bool, fill: vec2<u32>) -> Lanes {
    var l: Lanes;
    l.first = first;
    if (wide) {
        l.count = 2u;
        l.v[0] = select(fill, words.xy, first < n);
        l.v[1] = select(fill, words.zw, first + 1u < n);
        l.v[2] = fill;
        l.v[3] = fill;
    } else {
        l.count = 4u;
        l.v[0] = select(fill, u64_from(words.x), first < n);
        l.v[1] = select(fill, u64_from(words.y), first + 1u < n);
        l.v[2] = select(fill, u64_from(words.z), first + 2u < n);
        l.v[3] = select(fill, u64_from(words.w), first + 3u < n);
    }
    return l;
}

// Linear workgroup index of a 2D dispatch of MAX_GROUPS_X workgroups per row.
fn linear_group(wid: vec3<u32>) -> u32 {
    return wid.y * MAX_GROUPS_X + wid.x;
}
