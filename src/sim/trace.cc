// Chrome trace-event JSON of a simulation: one track each for the DRAM channel, the PE array
// and the tail, complete events ("ph": "X") in microseconds of simulated time.
#include <fstream>
#include <nlohmann/json.hpp>

#include "sbe/error.h"
#include "sbe/simulator.h"

namespace sbe {

void WriteChromeTrace(const SimResult& r, const Board& board, const std::string& path) {
  using nlohmann::json;
  const double us_per_cycle = 1.0 / board.clock_mhz;
  json events = json::array();
  const char* tracks[] = {"DRAM channel", "PE array", "tail"};
  events.push_back({{"ph", "M"}, {"pid", 0}, {"name", "process_name"},
                    {"args", {{"name", fmt::format("sbe simulate on {} ({})", board.name,
                                                   ArchitectureName(r.arch))}}}});
  for (int t = 0; t < 3; ++t) {
    events.push_back({{"ph", "M"}, {"pid", 0}, {"tid", t}, {"name", "thread_name"},
                      {"args", {{"name", tracks[t]}}}});
  }
  for (const TraceEvent& e : r.trace) {
    events.push_back({{"name", e.name},
                      {"ph", "X"},
                      {"pid", 0},
                      {"tid", e.track},
                      {"ts", static_cast<double>(e.begin) * us_per_cycle},
                      {"dur", static_cast<double>(std::max<int64_t>(e.end - e.begin, 1)) * us_per_cycle},
                      {"args", {{"begin_cycle", e.begin}, {"end_cycle", e.end}}}});
  }
  std::ofstream out(path);
  if (!out) Fail("{}: cannot open for writing", path);
  out << json{{"traceEvents", events}, {"displayTimeUnit", "ns"},
              {"otherData", {{"cycles", r.cycles}, {"truncated", r.trace_truncated}}}}
             .dump();
  if (!out) Fail("{}: write error", path);
}

}  // namespace sbe
