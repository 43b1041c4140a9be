// The bit-exact contract: every fixed-point executor reproduces the golden fixtures exactly.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "sbe/golden.h"

namespace sbe::testing {

// A fixed-point executor under test: the calibrated model and quantised input in, integers out.
using FixedRunner = std::function<FixedOutput(const QuantizedModel&, const FixedInput&)>;

// Runs `run` on every case under tests/data/golden and expects y, h_n and c_n to equal the
// stored integers exactly (and calibration to choose the stored formats). Adding an executor
// to the contract is one line:
//   TEST(MyExecutor, BitExact) { ExpectBitExactOnGoldenFixtures(MyRunner); }
void ExpectBitExactOnGoldenFixtures(const FixedRunner& run);

// The cases the fixture set is made of (used by the generator and by the contract).
std::vector<std::string> GoldenCaseNames();
std::string GoldenFixtureDir();

}  // namespace sbe::testing
