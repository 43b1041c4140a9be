// The curves of the paper's two planning figures, predicted: GOPS against batch for several
// blocking numbers (and the non block-batch schedule, and the input part hoisted), the rooflines of eqs. 2, 3, 5 and 6, and
// GOPS against the blocking number. `sbe plan --plot` and `sbe report` draw them.
#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "sbe/plan.h"

namespace sbe {

nlohmann::json PlanCurves(const LstmShape& s, const Board& board, int steps, int max_batch) {
  nlohmann::json curves = nlohmann::json::array();
  const int64_t H = s.hidden_size;
  std::vector<int> blocking = {1, 2, 4, 8, 16, 32};
  auto curve = [&](int nb, bool block_batch) {
    nlohmann::json pts = nlohmann::json::array();
    for (int b = 1; b <= max_batch; b = b < 8 ? b + 1 : b * 5 / 4 + 1) {
      if (auto p = EvaluatePlan(s, board, b, nb, steps, block_batch)) {
        pts.push_back({b, p->predicted_gops});
      }
    }
    return pts;
  };
  // The input part hoisted, at the best blocking number for each batch.
  nlohmann::json hoisted = nlohmann::json::array();
  for (int b = 1; b <= max_batch; b = b < 8 ? b + 1 : b * 5 / 4 + 1) {
    double best = 0;
    for (int nb : blocking) {
      if (nb > H) break;
      if (auto p = EvaluatePlan(s, board, b, nb, steps, true, nullptr, InputMode::kHoisted)) {
        best = std::max(best, p->predicted_gops);
      }
    }
    if (best > 0) hoisted.push_back({b, best});
  }
  for (int nb : blocking) {
    if (nb > H) break;
    curves.push_back({{"label", fmt::format("block-batch, {} block{}", nb, nb == 1 ? "" : "s")},
                      {"points", curve(nb, true)}});
  }
  if (!hoisted.empty()) curves.push_back({{"label", "block-batch, W_x hoisted (best blocks)"}, {"points", hoisted}});
  // The baseline with the fewest blocks that fits, so both schedules share a buffer layout.
  for (int nb : blocking) {
    if (nb > H) break;
    nlohmann::json pts = curve(nb, false);
    if (pts.empty()) continue;
    curves.push_back({{"label", fmt::format("non block-batch, {} block{}", nb, nb == 1 ? "" : "s")},
                      {"points", pts}});
    break;
  }
  const double n_pe = board.macs_per_cycle, n_t = board.words_per_cycle();
  const double to_gops = 2 * board.clock_mhz * 1e-3;
  nlohmann::json roof12 = nlohmann::json::array(), roof3 = nlohmann::json::array();
  // Case 3's α: the share of its weight traffic the block-batch schedule reuses.
  std::optional<Plan> streamed = EvaluatePlan(s, board, 1, std::max<int>(3, std::min<int>(8, H)), steps, true);
  const double alpha3 = streamed ? streamed->alpha : 1.0;
  for (int b = 1; b <= max_batch; b = b < 8 ? b + 1 : b * 5 / 4 + 1) {
    roof12.push_back({b, PaperRoofline(n_pe, n_t, b) * to_gops});
    roof3.push_back({b, PaperCase3(n_pe, n_t, b, alpha3) * to_gops});
  }
  nlohmann::json by_blocks = nlohmann::json::array();
  for (int nb = 1; nb <= std::min<int64_t>(H, 64); nb = nb < 8 ? nb + 1 : nb * 2) {
    for (int b : {1, 8, 32}) {
      if (auto p = EvaluatePlan(s, board, b, nb, steps, true)) by_blocks.push_back({nb, b, p->predicted_gops});
    }
  }
  return {{"title", fmt::format("{} on {}", s.ToString(), board.name)},
          {"curves", curves},
          {"roofline_case12", roof12},
          {"roofline_case3", roof3},
          {"alpha_case3", alpha3},
          {"by_blocks", by_blocks}};
}

}  // namespace sbe
