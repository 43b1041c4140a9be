// The arithmetic an executor is asked for: parsed once at the edge (the CLI, the Python module),
// an enum everywhere else.
#pragma once

namespace sbe {

enum class Precision { kFp32, kInt16 };

inline const char* PrecisionName(Precision p) { return p == Precision::kInt16 ? "int16" : "fp32"; }
// Bytes of one weight or state word in that precision.
inline int WordBytes(Precision p) { return p == Precision::kInt16 ? 2 : 4; }

}  // namespace sbe
