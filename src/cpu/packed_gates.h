// Gate matrices packed once, at load time, into the layout the tile kernels stream
// (kernels.h): unit tiles of N hidden units, each holding per column (fp32) or column pair
// (int16) the four gate vectors i, f, g, o. Units past H and the odd column are zero, so the
// kernels never branch on edges.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "sbe/model.h"

namespace sbe::cpu {

template <typename T>
struct PackedGates {
  static constexpr int kColumnsPerStep = sizeof(T) == 2 ? 2 : 1;  // int16: column pairs
  int64_t tiles = 0;
  int64_t col_steps = 0;         // columns / kColumnsPerStep, rounded up
  int64_t step_elements = 0;     // 4 gates x N lanes x kColumnsPerStep
  std::vector<T> data;

  const T* At(int64_t tile, int64_t col) const {
    return data.data() + (tile * col_steps + col / kColumnsPerStep) * step_elements;
  }
};

// w: (4H, K) row-major, gate order i, f, g, o; n: lanes per tile.
template <typename T>
PackedGates<T> PackGates(const T* w, int64_t hidden, int64_t cols, int n) {
  constexpr int kPer = PackedGates<T>::kColumnsPerStep;
  PackedGates<T> p;
  p.tiles = (hidden + n - 1) / n;
  p.col_steps = (cols + kPer - 1) / kPer;
  p.step_elements = int64_t{kNumGates} * n * kPer;
  p.data.assign(p.tiles * p.col_steps * p.step_elements, T{0});
  for (int64_t tile = 0; tile < p.tiles; ++tile) {
    for (int64_t k = 0; k < cols; ++k) {
      T* step = p.data.data() + (tile * p.col_steps + k / kPer) * p.step_elements;
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
