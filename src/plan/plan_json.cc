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
          {"input", p.input_hoisted ? "hoisted" : "per-step"},
          {"hoist_group", p.hoist_group},
          {"input_block_rows", p.input_block_rows},
          {"alpha", p.alpha},
          {"paper_gops", p.paper_gops ? nlohmann::json(*p.paper_gops) : nlohmann::json(nullptr)},
          {"pe", {{"lanes", p.pe.lanes}, {"row_lanes", p.pe.row_lanes}, {"cycles_per_item", p.pe.cycles_per_item},
                  {"efficiency", p.pe.efficiency}, {"hazard_factor", p.pe.hazard_factor},
                  {"accumulator_bytes", p.pe.accumulator_bytes}}},
          {"weight_memory_blocks", p.weight_memory_blocks},
          {"state_memory_blocks", p.state_memory_blocks},
          {"block_batch", p.block_batch},
          {"bound", p.bound},
          {"onchip_weight_bytes", p.onchip_weight_bytes},
          {"onchip_state_bytes", p.onchip_state_bytes},
          {"reused_words_per_step", p.reused_words_per_step},
          {"sample_words_per_step", p.sample_words_per_step},
          {"pe_utilization", p.pe_utilization},
          {"load_cycles", p.load_cycles},
          {"compute_cycles_per_step", p.compute_cycles_per_step},
          {"memory_cycles_per_step", p.memory_cycles_per_step},
          {"predicted_gops", p.predicted_gops},
          {"predicted_ms_per_batch", p.predicted_ms_per_batch},
          {"predicted_ms_per_sample", p.predicted_ms_per_sample},
          {"predicted_mj_per_sample", p.predicted_mj_per_sample}};
}

namespace {

nlohmann::json DecompositionJson(const Decomposition& d) {
  return {{"kind", d.Kind()},
          {"spec", d.Spec()},
          {"direction_teams", d.direction_teams},
          {"batch_teams", d.batch_teams},
          {"layer_stages", d.layer_stages},
          {"teams", d.teams()},
          {"hidden_threads", d.hidden_threads},
          {"threads", d.threads()}};
}

}  // namespace

nlohmann::json CpuPlanJson(const CpuPlan& p) {
  const CpuTiling& t = p.tiling;
  nlohmann::json j = PlanJson(p.plan);
  nlohmann::json candidates = nlohmann::json::array();
  for (const DecompositionCandidate& c : p.candidates) {
    nlohmann::json cj = DecompositionJson(c.decomposition);
    if (c.seconds > 0) {
      cj["predicted_ms"] = c.seconds * 1e3;
      cj["input_ms"] = c.input_seconds * 1e3;
      cj["compute_ms"] = c.compute_seconds * 1e3;
      cj["memory_ms"] = c.memory_seconds * 1e3;
      cj["cell_ms"] = c.cell_seconds * 1e3;
      cj["meeting_ms"] = c.meeting_seconds * 1e3;
    }
    cj["bound"] = c.bound;
    if (c.wavefront_steps > 0) cj["wavefront_steps"] = c.wavefront_steps;
    candidates.push_back(cj);
  }
  j["cpu"] = {{"kernels", t.kernels},
              {"lanes", t.lanes},
              {"samples_per_tile", t.samples_per_tile},
              {"rows_per_tile", t.rows_per_tile},
              {"threads", t.threads},
              {"sync", StepSyncName(t.sync)},
              {"decomposition", DecompositionJson(t.decomposition)},
              {"candidates", candidates},
              {"tiles", t.tiles},
              {"block_columns", t.block_columns()},
              {"blocks_per_thread", t.blocks_per_thread},
              {"input_block_columns", t.input_block_columns},
              {"wavefront_steps", t.wavefront_steps}};
  return j;
}

}  // namespace sbe
