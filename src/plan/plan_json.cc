// Plans as JSON: the one shape every --json output (plan, run, simulate, report) gives them.
#include "sbe/cpu_plan.h"
#include "sbe/plan.h"

namespace sbe {

nlohmann::json PlanJson(const Plan& p) {
  return {{"batch", p.batch},
          {"blocks", p.blocks},
          {"input_blocks", p.input_blocks},
          {"steps", p.steps},
          {"case", p.hidden_case},
          {"input_case", p.input_case},
          {"input_hoisted", p.input_hoisted},
          {"alpha", p.alpha},
          {"block_batch", p.block_batch},
          {"bound", p.bound},
          {"onchip_weight_bytes", p.onchip_weight_bytes},
          {"onchip_state_bytes", p.onchip_state_bytes},
          {"reused_words_per_step", p.reused_words_per_step},
          {"sample_words_per_step", p.sample_words_per_step},
          {"pe_utilization", p.pe_utilization},
          {"predicted_gops", p.predicted_gops},
          {"predicted_ms_per_batch", p.predicted_ms_per_batch},
          {"predicted_ms_per_sample", p.predicted_ms_per_sample},
          {"predicted_mj_per_sample", p.predicted_mj_per_sample}};
}

nlohmann::json CpuPlanJson(const CpuPlan& p) {
  const CpuTiling& t = p.tiling;
  nlohmann::json j = PlanJson(p.plan);
  j["cpu"] = {{"kernels", t.kernels},
              {"lanes", t.lanes},
              {"samples_per_tile", t.samples_per_tile},
              {"rows_per_tile", t.rows_per_tile},
              {"threads", t.threads},
              {"sync", StepSyncName(t.sync)},
              {"tiles", t.tiles},
              {"block_columns", t.block_columns()},
              {"blocks_per_thread", t.blocks_per_thread},
              {"input_block_columns", t.input_block_columns}};
  return j;
}

}  // namespace sbe
