// The documents front-ends return (include/sbe/documents.h).
#include "sbe/documents.h"

#include <algorithm>

#include "sbe/error.h"
#include "sbe/executor.h"

namespace sbe {

nlohmann::json ModelJson(const LstmModel& model) {
  const LstmShape& s = model.shape;
  return {{"name", model.name},
          {"source", model.source},
          {"input_size", s.input_size},
          {"hidden_size", s.hidden_size},
          {"num_layers", s.num_layers},
          {"bidirectional", s.bidirectional},
          {"reverse", s.RunsBackward(0)},
          {"bias", s.has_bias},
          {"weights", s.WeightCount()},
          {"default_steps", model.default_steps},
          {"batch_first", model.io.batch_first},
          {"onnx_outputs", model.io.onnx_outputs}};
}

nlohmann::json ModelInfoJson(const LstmModel& model) {
  nlohmann::json j = ModelJson(model);
  // Bytes of all weights at 16 and at 32 bits: what must stream from memory per step.
  const int64_t w = model.shape.WeightCount();
  j["weight_mib_int16"] = static_cast<double>(w) * 2 / (1 << 20);
  j["weight_mib_fp32"] = static_cast<double>(w) * 4 / (1 << 20);
  j["ops_per_sample_step"] = 2 * model.shape.MacsPerStep();
  return j;
}

nlohmann::json PlanDocument(const LstmModel& model, const Board& board, const PlanRequest& request, bool curves) {
  return PlanDocument(model, board, request, ChoosePlan(model.shape, board, request), curves);
}

nlohmann::json PlanDocument(const LstmModel& model, const Board& board, const PlanRequest& request,
                            const PlanResult& result, bool curves) {
  const Plan& p = result.best;
  // One row per blocking number and input part: its best batch (the alternatives come best first).
  std::vector<Plan> table;
  for (const Plan& alt : result.alternatives) {
    if (std::none_of(table.begin(), table.end(), [&](const Plan& t) {
          return t.blocks == alt.blocks && t.input_hoisted == alt.input_hoisted;
        })) {
      table.push_back(alt);
    }
  }
  std::sort(table.begin(), table.end(), [](const Plan& x, const Plan& y) {
    return std::pair(x.blocks, x.input_hoisted) < std::pair(y.blocks, y.input_hoisted);
  });
  const Schedule schedule = BuildSchedule(model.shape, p);
  CheckSchedule(schedule);
  nlohmann::json alternatives = nlohmann::json::array();
  for (const Plan& t : table) alternatives.push_back(PlanJson(t));
  nlohmann::json j = PlanJson(p);
  j["board"] = board.name;
  j["board_info"] = BoardJson(board);
  j["model"] = model.name;
  j["model_info"] = ModelJson(model);
  j["steps"] = request.steps;
  j["n_pe"] = board.macs_per_cycle;
  j["n_t"] = board.words_per_cycle();
  j["peak_gops"] = board.peak_gops();
  j["schedule_ops"] = schedule.ops.size();
  j["alternatives"] = alternatives;
  if (curves) j["curves"] = PlanCurves(model.shape, board, request.steps, request.max_batch);
  return j;
}

nlohmann::json CpuPlanDocument(const LstmModel& model, const CpuBoard& board, const CpuPlanRequest& request) {
  nlohmann::json j = CpuPlanJson(PlanCpu(model.shape, board, request));
  j["board"] = "cpu";
  j["board_info"] = board.ToJson();
  j["model"] = model.name;
  j["model_info"] = ModelJson(model);
  j["precision"] = PrecisionName(request.precision);
  j["peak_gops"] = request.precision == Precision::kInt16 ? board.measured.int16_gops : board.measured.fp32_gflops;
  return j;
}

namespace {

// The golden model on the same input and calibration; equal outputs mean equal integers (both
// dequantise the same formats).
int64_t MismatchesWithGolden(const LstmModel& model, const ExecutorOptions& options, const LstmInput& in,
                             const LstmOutput& got) {
  ExecutorOptions golden_options = options;
  golden_options.board.reset();
  WarningSink previous = SetWarningSink([](std::string_view) {});  // the simulation has said it already
  LstmOutput want;
  try {
    want = MakeExecutor("golden", model, golden_options)->Run(in);
  } catch (...) {
    SetWarningSink(std::move(previous));
    throw;
  }
  SetWarningSink(std::move(previous));
  int64_t mismatches = 0;
  for (const auto& [a, b] : {std::pair{&want.y, &got.y}, {&want.h_n, &got.h_n}, {&want.c_n, &got.c_n}}) {
    for (size_t i = 0; i < a->data.size(); ++i) mismatches += a->data[i] != b->data[i];
  }
  return mismatches;
}

}  // namespace

SimulationRun SimulateDocument(const LstmModel& model, const Board& board, const LstmInput& input,
                               const SimulationRequest& request) {
  if (request.arch == Architecture::kBaseline && request.plan.input == InputMode::kHoisted) {
    Fail("input part hoisted: the row-wise baseline computes the input part per step");
  }
  if (request.timing_only && request.check) Fail("timing only computes no outputs to check");
  ExecutorOptions options;
  options.precision = Precision::kInt16;
  options.board = board;
  options.plan = request.plan;
  options.calibration_sample = &input.x;
  if (request.input_range) {
    request.input_range->Check();
    options.input_range = request.input_range;
  }
  options.sim.arch = request.arch;
  options.sim.compute_values = !request.timing_only;
  options.sim.max_trace_events = request.max_trace_events;
  options.trace_path = request.trace_path;
  const auto executor = MakeExecutor("sim", model, options);
  SimulationRun run;
  run.output = executor->Run(input);
  const nlohmann::json details = executor->Details();
  const nlohmann::json& sim = details.at("simulation");
  const nlohmann::json& plan = details.at("plan");
  nlohmann::json& j = run.document;
  j = sim;
  j.erase("trace");
  j.update({{"model", model.name},
            {"model_info", ModelJson(model)},
            {"batch", plan.at("batch")},
            {"blocks", plan.at("blocks")},
            {"plan", plan},
            {"formats", details.at("formats")},
            {"saturation", details.at("saturation")},
            {"board_info", BoardJson(board)}});
  if (request.check) {
    const int64_t mismatches = MismatchesWithGolden(model, options, input, run.output);
    run.bit_exact = mismatches == 0;
    j["check_vs_golden"] = {{"bit_exact", run.bit_exact}, {"mismatches", mismatches}};
  }
  if (!request.trace_path.empty()) j["trace"] = sim.at("trace");
  return run;
}

}  // namespace sbe
