// The median of a set of timings: what every measured number of sbe reports.
#pragma once

#include <algorithm>
#include <vector>

namespace sbe {

inline double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

}  // namespace sbe
