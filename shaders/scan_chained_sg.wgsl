// Single-pass chained scan of wrapping u32 sums (see shaders/shared/chained_scan.wgsl) with the tile
// scan in subgroup operations. Needs Features::SUBGROUP.
// #include "shared/chained_scan.wgsl"
// #include "shared/tile_scan_sg.wgsl"
