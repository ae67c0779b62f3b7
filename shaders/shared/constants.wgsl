// Tile geometry shared by the shaders and (through build.rs) the host.
// A workgroup has WG invocations; each loads one vec4<u32> (16 bytes) per round, lane-striped, for ROUNDS
// rounds, so a tile is WG * ROUNDS * 4 words: 4096 u32 elements or 2048 u64 elements.

const WG: u32 = 256u;
const ROUNDS: u32 = 4u;
const TILE_WORDS: u32 = 4096u;
// Invocations per workgroup of the one-thread-per-item kernels (search, checks).
const ITEM_WG: u32 = 256u;
// Workgroups per row of a 2D dispatch (the per-dimension limit is 65535).
const MAX_GROUPS_X: u32 = 32768u;
