// Blocking-batching choice: enumerate the input part's mode x blocking number x batch size
// within the on-chip budget, predict each with the performance model, pick the best for the
// objective.
#include <algorithm>
#include <map>
#include <tuple>

#include "sbe/error.h"
#include "sbe/plan.h"

namespace sbe {
namespace {

// Blocking numbers worth trying: 1, 2, then roughly geometric up to one column per block.
std::vector<int> BlockCandidates(int64_t hidden) {
  std::vector<int> out;
  for (int64_t b = 1; b <= hidden; b = b < 4 ? b + 1 : b * 3 / 2) out.push_back(static_cast<int>(b));
  if (out.back() != hidden) out.push_back(static_cast<int>(hidden));
  return out;
}

// A strict order for std::sort (a tolerance inside the comparison would not be transitive):
// `near_best` marks the throughput plans within 0.1% of the best, which rank among themselves
// by the smaller batch (lower latency), then fewer blocks, then the input part per step.
bool Better(const Plan& a, const Plan& b, const PlanRequest& r, double near_best) {
  auto tie = [](const Plan& p) { return std::tuple(p.batch, p.blocks, p.input_hoisted); };
  if (r.objective == Objective::kLatency) {
    // Equal times (case 1 and case 2 load the same words): the higher throughput, then fewer
    // blocks.
    if (a.predicted_ms_per_batch != b.predicted_ms_per_batch) {
      return a.predicted_ms_per_batch < b.predicted_ms_per_batch;
    }
    if (a.predicted_gops != b.predicted_gops) return a.predicted_gops > b.predicted_gops;
    return std::tuple(a.blocks, a.input_hoisted) < std::tuple(b.blocks, b.input_hoisted);
  }
  const bool a_near = a.predicted_gops >= near_best, b_near = b.predicted_gops >= near_best;
  if (a_near != b_near) return a_near;
  if (a_near) return tie(a) < tie(b);
  if (a.predicted_gops != b.predicted_gops) return a.predicted_gops > b.predicted_gops;
  return tie(a) < tie(b);
}

}  // namespace

PlanResult ChoosePlan(const LstmShape& s, const Board& board, const PlanRequest& r) {
  if (r.steps < 1) Fail("steps {}: must be at least 1", r.steps);
  if (r.batch && *r.batch < 1) Fail("batch {}: must be at least 1", *r.batch);
  if (r.blocks && (*r.blocks < 1 || *r.blocks > s.hidden_size)) {
    Fail("blocks {}: must be in [1, hidden size {}]", *r.blocks, s.hidden_size);
  }
  if (r.max_batch < 1) Fail("largest batch {}: must be at least 1", r.max_batch);
  if (r.max_latency_ms && !(*r.max_latency_ms > 0)) {
    Fail("latency bound {} ms: must be positive", *r.max_latency_ms);
  }
  std::vector<int> batches, blocks;
  if (r.batch) {
    batches = {*r.batch};
  } else {
    for (int b = 1; b <= r.max_batch; ++b) batches.push_back(b);
  }
  blocks = r.blocks ? std::vector<int>{*r.blocks} : BlockCandidates(s.hidden_size);

  // Hoisted first: when nothing fits, the reason given is the per-step plan's at the smallest
  // batch and the largest blocking number (the smallest footprint), the most telling one.
  std::vector<InputMode> inputs;
  if (r.input) {
    inputs = {*r.input};
  } else {
    if (r.block_batch) inputs.push_back(InputMode::kHoisted);
    inputs.push_back(InputMode::kPerStep);
  }

  std::vector<Plan> feasible;
  std::string last_why;
  for (InputMode input : inputs) {
    for (int nb : blocks) {
      for (int b : batches) {
        std::string why;
        std::optional<Plan> p = EvaluatePlan(s, board, b, nb, r.steps, r.block_batch, &why, input);
        if (!p) {
          if (b == batches.front()) last_why = why;
          continue;
        }
        if (r.max_latency_ms && p->predicted_ms_per_batch > *r.max_latency_ms) {
          last_why = fmt::format("batch {} takes {:.3f} ms, above the latency bound of {} ms", b,
                                 p->predicted_ms_per_batch, *r.max_latency_ms);
          continue;
        }
        feasible.push_back(*p);
      }
    }
  }
  if (feasible.empty()) {
    Fail("{}: no plan fits ({}; {})", board.name, s.ToString(), last_why);
  }
  double best_gops = 0;
  for (const Plan& p : feasible) best_gops = std::max(best_gops, p.predicted_gops);
  const double near_best = best_gops * (1 - 1e-3);
  std::sort(feasible.begin(), feasible.end(),
            [&](const Plan& a, const Plan& b) { return Better(a, b, r, near_best); });
  PlanResult result;
  result.best = feasible.front();
  result.alternatives = std::move(feasible);
  return result;
}

}  // namespace sbe
