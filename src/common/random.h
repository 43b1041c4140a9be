// The deterministic generator behind presets and random inputs: same seed, same numbers, on
// every platform (std:: distributions are implementation-defined, so we do not use them).
#pragma once

#include <cstdint>
#include <random>

namespace sbe {

class Random {
 public:
  explicit Random(uint64_t seed) : engine_(seed) {}
  // Uniform in [lo, hi), from the top 24 bits: exactly representable in float.
  float Uniform(float lo, float hi) {
    const double u = static_cast<double>(engine_() >> 40) * 0x1p-24;
    return static_cast<float>(lo + (hi - lo) * u);
  }

 private:
  std::mt19937_64 engine_;
};

}  // namespace sbe
