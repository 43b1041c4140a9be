// The fixed-point executors' shared front: calibrate, quantise, run, dequantise, report.
#include "sbe/fixed_executor.h"

#include "sbe/error.h"

namespace sbe {

FixedPointExecutor::FixedPointExecutor(const LstmModel& model, const ExecutorOptions& options)
    : quantized_(Calibrate(model, options.input_range ? *options.input_range
                                  : options.calibration_sample
                                      ? RangeFromSample(*options.calibration_sample)
                                      : InputRange{})) {
  for (const std::string& w : quantized_.warnings) Warn(w);
}

LstmOutput FixedPointExecutor::Run(const LstmInput& input) {
  counts_ = {};
  const FixedInput q = QuantizeInput(quantized_, input, &counts_);
  if (counts_.inputs > 0 && !warned_) {
    warned_ = true;  // once per executor, not once per --repeat run
    Warn("{} input values outside the calibrated range [{}, {}] saturated", counts_.inputs,
         quantized_.input_range.lo, quantized_.input_range.hi);
  }
  return DequantizeOutput(quantized_, RunFixed(q, &counts_));
}

nlohmann::json FixedPointExecutor::Details() const {
  nlohmann::json layers = nlohmann::json::array();
  for (int l = 0; l < quantized_.shape.num_layers; ++l) {
    const QuantizedLayer& ql = quantized_.layers[l];
    nlohmann::json cells = nlohmann::json::array();
    for (int d = 0; d < quantized_.shape.directions(); ++d) {
      const QuantizedCell& c = quantized_.cell(l, d);
      cells.push_back({{"weight_ih", c.w_ih_format.ToString()},
                       {"weight_hh", c.w_hh_format.ToString()}});
    }
    layers.push_back({{"input", ql.input_format.ToString()},
                      {"input_limit", ql.input_limit},
                      {"h", ql.h_format.ToString()},
                      {"directions", cells}});
  }
  return {{"formats",
           {{"layers", layers},
            {"preactivation", fx::kPreact.ToString()},
            {"gates", fx::kGate.ToString()},
            {"cell", fx::kCell.ToString()},
            {"bias", fx::kBias.ToString()},
            {"accumulator_bits", fx::kAccumulatorBits}}},
          {"input_range", {quantized_.input_range.lo, quantized_.input_range.hi}},
          {"saturation",
           {{"inputs", counts_.inputs}, {"preactivations", counts_.preacts},
            {"cells", counts_.cells}}},
          {"calibration_warnings", quantized_.warnings}};
}

}  // namespace sbe
