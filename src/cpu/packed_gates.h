// Gate matrices packed once, at load time, into the layout the tile kernels stream
// (kernels.h): unit tiles of N hidden units, each holding per column (fp32) or column pair
// (int16) the four gate vectors i, f, g, o. Units past H and the odd column are zero, so the
// kernels never branch on edges.
//
// Columns are grouped in blocks (the schedule's column blocks) and tiles in groups (one
// thread's tiles); a group holds all its blocks, and within a block its tiles follow each
// other. What a thread reads for one column block is then one contiguous stream, and the
// threads' streams are far apart. Both matter when W_h streams from DRAM every step: the
// hardware prefetchers follow one stream per thread, not tiles at a stride, and two threads
// reading neighbouring lines compete for the same ones (docs/PERFORMANCE.md, "Measurements
// behind the code"). An engine re-blocks its weights when its plan changes (Reblock), never
// during a run.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "cpu/huge_pages.h"
#include "sbe/model.h"

namespace sbe::cpu {

template <typename T>
struct PackedGates {
  static constexpr int kColumnsPerStep = sizeof(T) == 2 ? 2 : 1;  // int16: column pairs
  int64_t tiles = 0;
  int64_t col_steps = 0;         // columns / kColumnsPerStep, rounded up
  int64_t step_elements = 0;     // 4 gates x N lanes x kColumnsPerStep
  int64_t block_steps = 0;       // steps per column block (the last one may be shorter)
  int64_t group_tiles = 1;       // tiles per group: each group holds all its column blocks
  std::vector<T, HugePageAllocator<T>> data;

  // The tile's weights at column `col`; a kernel may read on to the end of col's block.
  const T* At(int64_t tile, int64_t col) const { return data.data() + Offset(tile, col / kColumnsPerStep); }

  int64_t Offset(int64_t tile, int64_t step) const {
    const int64_t group = tile / group_tiles * group_tiles;
    const int64_t in_group = std::min(group_tiles, tiles - group);
    const int64_t first = step / block_steps * block_steps;
    const int64_t width = std::min(block_steps, col_steps - first);
    return (group * col_steps + first * in_group + (tile - group) * width + step - first) * step_elements;
  }

  // The same weights with column blocks of `steps` steps and groups of `group` tiles (0: one).
  void Reblock(int64_t steps, int64_t group = 0) {
    steps = std::clamp<int64_t>(steps, 1, std::max<int64_t>(col_steps, 1));
    group = std::clamp<int64_t>(group == 0 ? tiles : group, 1, std::max<int64_t>(tiles, 1));
    if (steps == block_steps && group == group_tiles) return;
    PackedGates<T> out = *this;
    out.block_steps = steps;
    out.group_tiles = group;
    for (int64_t tile = 0; tile < tiles; ++tile) {
      for (int64_t s = 0; s < col_steps; ++s) {
        std::copy_n(data.data() + Offset(tile, s), step_elements, out.data.data() + out.Offset(tile, s));
      }
    }
    *this = std::move(out);
  }
};

// w: (4H, K) row-major, gate order i, f, g, o; n: lanes per tile. One column block.
template <typename T>
PackedGates<T> PackGates(const T* w, int64_t hidden, int64_t cols, int n) {
  constexpr int kPer = PackedGates<T>::kColumnsPerStep;
  PackedGates<T> p;
  p.tiles = (hidden + n - 1) / n;
  p.col_steps = (cols + kPer - 1) / kPer;
  p.block_steps = std::max<int64_t>(p.col_steps, 1);
  p.group_tiles = std::max<int64_t>(p.tiles, 1);
  p.step_elements = int64_t{kNumGates} * n * kPer;
  p.data.assign(p.tiles * p.col_steps * p.step_elements, T{0});
  for (int64_t tile = 0; tile < p.tiles; ++tile) {
    for (int64_t k = 0; k < cols; ++k) {
      T* step = p.data.data() + p.Offset(tile, k / kPer);
      for (int g = 0; g < kNumGates; ++g) {
        for (int u = 0; u < n && tile * n + u < hidden; ++u) {
          step[(g * n + u) * kPer + k % kPer] = w[(g * hidden + tile * n + u) * cols + k];
        }
      }
    }
  }
  return p;
}

// A per-row vector (4H, e.g. the bias) in the tiles' order: tile, gate, lane.
template <typename T, typename Src>
std::vector<T> PackRows(const Src* v, int64_t hidden, int n) {
  const int64_t tiles = (hidden + n - 1) / n;
  std::vector<T> out(tiles * kNumGates * n, T{0});
  if (!v) return out;
  for (int64_t tile = 0; tile < tiles; ++tile) {
    for (int g = 0; g < kNumGates; ++g) {
      for (int u = 0; u < n && tile * n + u < hidden; ++u) {
        out[(tile * kNumGates + g) * n + u] = static_cast<T>(v[g * hidden + tile * n + u]);
      }
    }
  }
  return out;
}

}  // namespace sbe::cpu
