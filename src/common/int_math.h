// Integer helpers for sizes and tilings, in one place.
#pragma once

#include <cstdint>

namespace sbe {

// ceil(v / m) for v >= 0, m > 0.
constexpr int64_t CeilDiv(int64_t v, int64_t m) { return (v + m - 1) / m; }
// The multiple of m at or above v.
constexpr int64_t RoundUp(int64_t v, int64_t m) { return CeilDiv(v, m) * m; }

}  // namespace sbe
