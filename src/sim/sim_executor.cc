// The simulator as an executor (`--executor sim`, `sbe simulate`): the planner's plan for the
// board and each input's steps, simulated, with the fixed-point executors' calibration and
// quantisation around it. Details() carries the plan and, under "simulation", the cycles,
// stalls and traffic of the last run.
#include "sbe/error.h"
#include "sbe/executor.h"
#include "sbe/fixed_executor.h"
#include "sbe/simulator.h"

namespace sbe {
namespace {

nlohmann::json StallJson(const StallCycles& s) {
  return {{"weights", s.weights},         {"input", s.input},
          {"recurrence", s.recurrence},   {"barrier", s.barrier},
          {"accumulator", s.accumulator}, {"fill_drain", s.fill_drain},
          {"total", s.total()}};
}

// Every PE-cycle of the run, N_pe x cycles, split into what it did: a useful multiply-add, a
// lane a lockstep group left empty, a row PE an item left without a row, or a cycle the whole
// array waited (the stalls). The shares add up to 1; "useful" is the PE utilisation.
nlohmann::json PeCyclesJson(const SimResult& r, int64_t n_pe) {
  const double total = static_cast<double>(n_pe) * static_cast<double>(r.cycles);
  auto share = [&](int64_t v) { return total > 0 ? static_cast<double>(v) / total : 0.0; };
  const int64_t stalled = n_pe * r.stalls.total();
  return {{"total", n_pe * r.cycles},
          {"useful", r.macs},
          {"idle_lanes", r.idle_lane_pe_cycles},
          {"idle_rows", r.idle_row_pe_cycles},
          {"stalled", stalled},
          {"shares",
           {{"useful", share(r.macs)},
            {"idle_lanes", share(r.idle_lane_pe_cycles)},
            {"idle_rows", share(r.idle_row_pe_cycles)},
            {"stalled", share(stalled)}}}};
}

class SimExecutor final : public FixedPointExecutor {
 public:
  SimExecutor(const LstmModel& model, const ExecutorOptions& options)
      : FixedPointExecutor(model, options), board_(*options.board), request_(options.plan),
        sim_(options.sim), trace_path_(options.trace_path) {
    if (board_.kind != BoardKind::kFpga) Fail("board {}: the simulator models an FPGA accelerator", board_.name);
    sim_.trace = sim_.trace || !trace_path_.empty();
  }
  std::string name() const override { return "sim"; }

  nlohmann::json Details() const override {
    nlohmann::json j = FixedPointExecutor::Details();
    if (!result_) return j;
    const SimResult& r = *result_;
    nlohmann::json sim = {{"board", board_.name},
                          {"arch", ArchitectureName(r.arch)},
                          {"samples", r.samples},
                          {"batches", r.batches},
                          {"steps", r.steps},
                          {"cycles", r.cycles},
                          {"seconds", r.seconds},
                          {"gops", r.gops},
                          {"ms_per_sample", r.ms_per_sample},
                          {"ms_per_batch", r.ms_per_batch},
                          {"mj_per_sample", r.mj_per_sample},
                          {"pe_utilization", r.pe_utilization},
                          {"dram_utilization", r.dram_utilization},
                          {"busy_cycles", r.busy_cycles},
                          {"stall_cycles", StallJson(r.stalls)},
                          {"pe_cycles", PeCyclesJson(r, board_.macs_per_cycle)},
                          {"dram_read_bytes", r.dram_read_bytes},
                          {"dram_write_bytes", r.dram_write_bytes},
                          {"buffers",
                           {{"weight_slot_bytes", r.buffers.weight_slot_bytes},
                            {"state_bytes", r.buffers.state_bytes},
                            {"capacity_bytes", r.buffers.capacity_bytes},
                            {"accumulator_bytes", r.buffers.accumulator_bytes},
                            {"accumulator_capacity_bytes", r.buffers.accumulator_capacity_bytes}}},
                          {"sim_over_plan_gops", r.gops / r.plan.predicted_gops},
                          {"values_computed", sim_.compute_values}};
    if (!trace_path_.empty()) {
      sim["trace"] = {{"path", trace_path_}, {"events", r.trace.size()}, {"truncated", r.trace_truncated}};
    }
    j["plan"] = PlanJson(r.plan);
    j["simulation"] = sim;
    return j;
  }

 private:
  FixedOutput RunFixed(const FixedInput& x, SaturationCounts* counts) override {
    PlanRequest request = request_;
    request.steps = static_cast<int>(std::min<int64_t>(x.x.shape[0], INT32_MAX));
    // The row-wise baseline is the paper's comparison point: its input part runs per step.
    if (sim_.arch == Architecture::kBaseline) {
      if (request.input == InputMode::kHoisted) {
        Fail("the baseline array computes the input part per step: it cannot run it hoisted");
      }
      request.input = InputMode::kPerStep;
    }
    const Plan plan = ChoosePlan(quantized().shape, board_, request).best;
    result_ = Simulate(quantized(), board_, plan, x, sim_);
    if (!trace_path_.empty()) WriteChromeTrace(*result_, board_, trace_path_);
    *counts += result_->saturation;
    FixedOutput out = std::move(result_->output);
    if (!sim_.compute_values) {  // timing only: the outputs' shapes, zeros
      const LstmShape& s = quantized().shape;
      const int64_t T = x.x.shape[0], B = x.x.shape[1], H = s.hidden_size;
      out = {Tensor<int16_t>({T, B, s.directions() * H}), Tensor<int16_t>({s.num_cells(), B, H}),
             Tensor<int32_t>({s.num_cells(), B, H})};
    }
    return out;
  }

  Board board_;
  PlanRequest request_;
  SimOptions sim_;
  std::string trace_path_;
  std::optional<SimResult> result_;
};

}  // namespace

std::unique_ptr<Executor> MakeSimExecutor(const LstmModel& model, const ExecutorOptions& options) {
  return std::make_unique<SimExecutor>(model, options);
}

}  // namespace sbe
