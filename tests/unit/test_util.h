// Helpers shared by the unit tests: temporary files and comparisons.
#pragma once

#include <string>

#include "sbe/golden.h"
#include "sbe/tensor.h"

namespace sbe::testing {

// A fresh file path under a per-process temporary directory, removed at exit.
std::string TempPath(const std::string& name);
void WriteBytes(const std::string& path, const std::string& bytes);

template <typename A, typename B>
double MaxAbsDiff(const Tensor<A>& a, const Tensor<B>& b) {
  if (a.shape != b.shape) return 1e300;
  double m = 0;
  for (size_t i = 0; i < a.data.size(); ++i) {
    const double d = static_cast<double>(a.data[i]) - static_cast<double>(b.data[i]);
    m = d < 0 ? (-d > m ? -d : m) : (d > m ? d : m);
  }
  return m;
}

// A random quantised input for q: x in [-1, 1], random h0 and c0, and random lengths in
// [1, T] when with_lengths.
FixedInput RandomFixedInput(const QuantizedModel& q, int64_t T, int64_t B, uint64_t seed,
                            bool with_lengths);
// y, h_n and c_n equal, integer for integer.
void ExpectSameIntegers(const FixedOutput& got, const FixedOutput& want);

}  // namespace sbe::testing
