// Single-pass chained scan with u64 sums (see shaders/shared/chained_scan_wide.wgsl) with the tile
// scan in workgroup memory, for devices without subgroup operations.
// #include "shared/chained_scan_wide.wgsl"
// #include "shared/tile_scan_wg.wgsl"
