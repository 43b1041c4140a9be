// The JSON documents every front-end returns: `sbe ... --json`, the Python module's dicts, the
// server's metadata. Built once here, so that `sbe plan --json` and `sbe.plan(...)` are the
// same object by construction, not by two pieces of code kept in step.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "sbe/board.h"
#include "sbe/cpu_board.h"
#include "sbe/cpu_plan.h"
#include "sbe/lstm_io.h"
#include "sbe/model.h"
#include "sbe/plan.h"
#include "sbe/quantized_model.h"
#include "sbe/simulator.h"

namespace sbe {

// The model description every document carries (name, source, shape, layout).
nlohmann::json ModelJson(const LstmModel& model);
// `sbe info --model M --json`'s "model": the description plus weight sizes and operations.
nlohmann::json ModelInfoJson(const LstmModel& model);

// `sbe plan --board FPGA --json`: the chosen plan, the board, the model, the table of
// alternatives (the best batch of each blocking number and input part), and with `curves` the
// data of the batch-size and blocking-number figures.
nlohmann::json PlanDocument(const LstmModel& model, const Board& board, const PlanRequest& request,
                            bool curves = false);
// The same of a choice already made (ChoosePlan's result for this request), for a front-end
// that also reads the plan itself.
nlohmann::json PlanDocument(const LstmModel& model, const Board& board, const PlanRequest& request,
                            const PlanResult& result, bool curves = false);
// `sbe plan --board cpu --json`: the plan the CPU engine executes for this request.
nlohmann::json CpuPlanDocument(const LstmModel& model, const CpuBoard& board, const CpuPlanRequest& request);

// What `sbe simulate` runs: the plan's choices, the array, the calibration, the trace.
struct SimulationRequest {
  PlanRequest plan;
  Architecture arch = Architecture::kStallFree;
  bool timing_only = false;               // skip the arithmetic (outputs empty)
  std::optional<InputRange> input_range;  // int16 calibration; default: the input's range
  std::string trace_path;                 // Chrome trace of the run ("": none)
  int64_t max_trace_events = 200000;
  bool check = false;                     // also run the golden model and compare the integers
};
struct SimulationRun {
  LstmOutput output;         // dequantised (empty with timing_only)
  nlohmann::json document;   // `sbe simulate --json`
  bool bit_exact = true;     // with check: equal to the golden model's integers
};
// One simulation of `input` on `board` (the `sim` executor): outputs and the document.
SimulationRun SimulateDocument(const LstmModel& model, const Board& board, const LstmInput& input,
                               const SimulationRequest& request);

}  // namespace sbe
