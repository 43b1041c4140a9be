// $SBE_KERNELS caps the SIMD target the kernels dispatch to ("AVX2" on an AVX-512 machine runs
// the AVX2 kernels, and the planner tiles for AVX2's lanes): to compare targets on one machine,
// and to run the test suite as a machine of another kind would.
#include <hwy/targets.h>

#include <cstdlib>
#include <mutex>
#include <string>
#include <vector>

#include "cpu/kernels.h"
#include "sbe/error.h"

namespace sbe::cpu {
namespace {

void CapTargets(const std::string& name) {
  const int64_t supported = hwy::SupportedTargets();
  std::vector<std::string> runnable;
  // Highway's target bits: a lower bit is a better target.
  for (int64_t bit = 1; bit != 0 && bit <= HWY_SCALAR; bit <<= 1) {
    if (!(supported & bit)) continue;
    runnable.emplace_back(hwy::TargetName(bit));
    if (runnable.back() == name) {
      hwy::DisableTargets(supported & (bit - 1));
      return;
    }
  }
  Fail("SBE_KERNELS={}: not a target this CPU runs (it runs {})", name, fmt::join(runnable, ", "));
}

}  // namespace

void ApplyTargetCap() {
  static std::once_flag once;
  // A call that throws leaves the flag unset: every later call refuses the same way.
  std::call_once(once, [] {
    if (const char* name = std::getenv("SBE_KERNELS"); name && *name) CapTargets(name);
  });
}

namespace {

// Capped when the library loads, so that everything in the process (Highway's own list of the
// targets to test included) sees one set of targets; a bad name is refused at the first use.
[[maybe_unused]] const bool kCappedAtLoad = [] {
  try {
    ApplyTargetCap();
    return true;
  } catch (const Error&) {
    return false;
  }
}();

}  // namespace

}  // namespace sbe::cpu
