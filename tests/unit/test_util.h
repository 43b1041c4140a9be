// Helpers shared by the unit tests: temporary files and comparisons.
#pragma once

#include <string>

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

}  // namespace sbe::testing
