// The first Inf or NaN among n floats, found a SIMD vector at a time: the input check every
// call of an engine makes (ValidateInput's warning), a few microseconds for a large input.
#pragma once

#include <cstdint>

namespace sbe {

// The index of the first non-finite value of p[0, n), or -1 when every value is finite.
int64_t FirstNonFinite(const float* p, int64_t n);

}  // namespace sbe
