// A catalog's scores and their top k, on the GPU. Per call:
//   score         each item: Σ_p weight_p · (probe_p · vector) + order_weight · order   (one
//                 dispatch per chunk of the catalog's vectors)
//   add_sparse    the few per-item additions the ranker has (evidence, penalties)
//   histogram +   seven passes of an exact radix select of the k-th best 56-bit key: the
//   select_digit  score in f32::total_cmp order, then (2^24 − 1 − index), so that among equal
//                 scores the lower index is better, as on the CPU; every key is distinct
//   compact       the k items whose key is at least the k-th: exactly k (index, score) pairs,
//                 in no particular order (the host sorts them)

struct Params {
  n_total: u32,
  n_probes: u32,
  dim4: u32, // vec4s per vector
  n_sparse: u32,
  weights: vec4<f32>,
  order_weight: f32,
  has_order: u32,
  _pad0: u32,
  _pad1: u32,
}

// The select's state, written by the host before each call: the key's digits fixed so far
// (hi: the score's 32 bits; lo: the 24 bits of the index field), the digit being fixed, the
// rank still wanted within the items matching them, and the compaction's count.
struct Select {
  hi: u32,
  lo: u32,
  digit: u32,
  remaining: u32,
  count: atomic<u32>,
}

struct Chunk {
  base: u32,
  n: u32,
}

const LO_MASK: u32 = 0xFFFFFFu;
const MAX_PROBE_VEC4S: u32 = 128u; // 4 probes of 128 dimensions

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<uniform> probes: array<vec4<f32>, MAX_PROBE_VEC4S>;
@group(0) @binding(2) var<storage, read> order: array<f32>;
@group(0) @binding(3) var<storage, read> sparse: array<vec2<u32>>; // (index, f32 bits)
@group(0) @binding(4) var<storage, read_write> scores: array<f32>;
@group(0) @binding(5) var<storage, read_write> hist: array<atomic<u32>, 256>;
@group(0) @binding(6) var<storage, read_write> sel: Select;
@group(0) @binding(7) var<storage, read_write> picked: array<vec2<u32>>; // (index, f32 bits)
@group(1) @binding(0) var<storage, read> items: array<vec4<f32>>;
@group(1) @binding(1) var<uniform> chunk: Chunk;

/// The index of this invocation in a grid of 256-wide workgroups laid out in two dimensions
/// (one dimension holds at most 65,535 workgroups).
fn flat(wid: vec3<u32>, nwg: vec3<u32>, t: u32) -> u32 {
  return (wid.x + wid.y * nwg.x) * 256u + t;
}

/// The score's bits in f32::total_cmp order, as an unsigned integer.
fn ordered(score: f32) -> u32 {
  let b = bitcast<u32>(score);
  return select(b | 0x80000000u, ~b, (b & 0x80000000u) != 0u);
}

@compute @workgroup_size(256)
fn score(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
         @builtin(local_invocation_index) t: u32) {
  let i = flat(wid, nwg, t);
  if (i >= chunk.n) {
    return;
  }
  let row = i * params.dim4;
  var s = 0.0;
  for (var p = 0u; p < params.n_probes; p++) {
    var acc = vec4<f32>(0.0);
    for (var j = 0u; j < params.dim4; j++) {
      acc += items[row + j] * probes[p * params.dim4 + j];
    }
    s += params.weights[p] * ((acc.x + acc.y) + (acc.z + acc.w));
  }
  let g = chunk.base + i;
  if (params.has_order != 0u) {
    s += params.order_weight * order[g];
  }
  scores[g] = s;
}

@compute @workgroup_size(256)
fn add_sparse(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
              @builtin(local_invocation_index) t: u32) {
  let j = flat(wid, nwg, t);
  if (j >= params.n_sparse) {
    return;
  }
  let add = sparse[j];
  scores[add.x] += bitcast<f32>(add.y);
}

/// Whether the key (h, l) carries the digits fixed before digit `d`.
fn matches(h: u32, l: u32, d: u32) -> bool {
  if (d < 4u) {
    let m = ~(0xFFFFFFFFu >> (8u * d)); // the top 8·d bits (none for d = 0)
    return (h & m) == (sel.hi & m);
  }
  let m = ~(LO_MASK >> (8u * (d - 4u))) & LO_MASK;
  return h == sel.hi && (l & m) == (sel.lo & m);
}

fn digit_of(h: u32, l: u32, d: u32) -> u32 {
  if (d < 4u) {
    return (h >> (24u - 8u * d)) & 0xFFu;
  }
  return (l >> (16u - 8u * (d - 4u))) & 0xFFu;
}

var<workgroup> local_hist: array<atomic<u32>, 256>;

@compute @workgroup_size(256)
fn histogram(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
             @builtin(local_invocation_index) t: u32) {
  atomicStore(&local_hist[t], 0u);
  workgroupBarrier();
  let d = sel.digit;
  for (var i = wid.x * 256u + t; i < params.n_total; i += nwg.x * 256u) {
    let h = ordered(scores[i]);
    let l = LO_MASK - i;
    if (matches(h, l, d)) {
      atomicAdd(&local_hist[digit_of(h, l, d)], 1u);
    }
  }
  workgroupBarrier();
  let c = atomicLoad(&local_hist[t]);
  if (c != 0u) {
    atomicAdd(&hist[t], c);
  }
}

@compute @workgroup_size(1)
fn select_digit() {
  let d = sel.digit;
  var rem = sel.remaining;
  var b = 255u;
  loop {
    let c = atomicLoad(&hist[b]);
    if (c >= rem || b == 0u) {
      break;
    }
    rem -= c;
    b -= 1u;
  }
  if (d < 4u) {
    sel.hi |= b << (24u - 8u * d);
  } else {
    sel.lo |= b << (16u - 8u * (d - 4u));
  }
  sel.remaining = rem;
  sel.digit = d + 1u;
  for (var j = 0u; j < 256u; j++) {
    atomicStore(&hist[j], 0u);
  }
}

@compute @workgroup_size(256)
fn compact(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
           @builtin(local_invocation_index) t: u32) {
  let i = flat(wid, nwg, t);
  if (i >= params.n_total) {
    return;
  }
  let s = scores[i];
  let h = ordered(s);
  let l = LO_MASK - i;
  if (h > sel.hi || (h == sel.hi && l >= sel.lo)) {
    let slot = atomicAdd(&sel.count, 1u);
    picked[slot] = vec2<u32>(i, bitcast<u32>(s));
  }
}
