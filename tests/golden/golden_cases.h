// The golden fixture cases: small models and inputs chosen to cover every path of the datapath.
#pragma once

#include <string>
#include <vector>

#include "sbe/lstm_io.h"
#include "sbe/model.h"
#include "sbe/quantized_model.h"

namespace sbe::testing {

struct GoldenCase {
  std::string name;
  LstmModel model;
  LstmInput input;
  InputRange range;
};

// Built deterministically from fixed seeds: the generator writes them to disk once.
std::vector<GoldenCase> MakeGoldenCases();

}  // namespace sbe::testing
