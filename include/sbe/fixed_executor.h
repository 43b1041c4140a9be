// What every fixed-point executor does around its datapath, written once: calibration (formats
// and warnings), quantising the input (saturations counted, warned about once), dequantising
// the output, and the formats and counts for --json. Executors supply RunFixed.
#pragma once

#include "sbe/executor.h"
#include "sbe/golden.h"

namespace sbe {

class FixedPointExecutor : public Executor {
 public:
  FixedPointExecutor(const LstmModel& model, const ExecutorOptions& options);
  std::string arithmetic() const override { return "int16"; }
  LstmOutput Run(const LstmInput& input) final;
  nlohmann::json Details() const override;
  const QuantizedModel& quantized() const { return quantized_; }

 protected:
  // The datapath on quantised inputs; adds its saturations to `counts`.
  virtual FixedOutput RunFixed(const FixedInput& input, SaturationCounts* counts) = 0;

 private:
  QuantizedModel quantized_;
  SaturationCounts counts_;
  bool warned_ = false;
};

}  // namespace sbe
