// The executor registry: which executors this build has, what each runs, and how to make one.
// Adding an executor: its file defines Make<Name>Executor; declare it and add its line below.
#include "sbe/executor.h"

#include <fmt/ranges.h>

#include "sbe/error.h"

namespace sbe {

std::unique_ptr<Executor> MakeReferenceExecutor(const LstmModel& model, const ExecutorOptions& options);
std::unique_ptr<Executor> MakeGoldenExecutor(const LstmModel& model, const ExecutorOptions& options);
std::unique_ptr<Executor> MakeCpuExecutor(const LstmModel& model, const ExecutorOptions& options);
std::unique_ptr<Executor> MakeSimExecutor(const LstmModel& model, const ExecutorOptions& options);

namespace {

using Factory = std::unique_ptr<Executor> (*)(const LstmModel&, const ExecutorOptions&);

struct Entry {
  ExecutorInfo info;
  Factory make;
};

const std::vector<Entry>& Registry() {
  using P = Precision;
  static const std::vector<Entry> registry = {
      {{"cpu", "the CPU engine: SIMD kernels, threads, the planner's blocking (fp32, int16)",
        {P::kFp32, P::kInt16}},
       &MakeCpuExecutor},
      {{"reference", "the double-precision reference, the oracle (computes in fp64)", {P::kFp32}},
       &MakeReferenceExecutor},
      {{"golden", "the golden fixed-point model, the bit-exact definition of int16", {P::kInt16}},
       &MakeGoldenExecutor},
      {{"sim", "the SBE accelerator's discrete-event model on an FPGA board (int16)", {P::kInt16}, true},
       &MakeSimExecutor},
  };
  return registry;
}

}  // namespace

const std::vector<ExecutorInfo>& Executors() {
  static const std::vector<ExecutorInfo> infos = [] {
    std::vector<ExecutorInfo> v;
    for (const Entry& e : Registry()) v.push_back(e.info);
    return v;
  }();
  return infos;
}

const ExecutorInfo* FindExecutor(const std::string& name) {
  for (const ExecutorInfo& e : Executors()) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

std::unique_ptr<Executor> MakeExecutor(const std::string& name, const LstmModel& model,
                                       const ExecutorOptions& options) {
  const std::string& chosen = name == "auto" ? Registry().front().info.name : name;
  for (const Entry& e : Registry()) {
    if (e.info.name != chosen) continue;
    const auto& p = e.info.precisions;
    if (std::find(p.begin(), p.end(), options.precision) == p.end()) {
      Fail("executor {} does not run {} (it runs {})", chosen, PrecisionName(options.precision),
           PrecisionName(p.front()));
    }
    if (e.info.needs_board && !options.board) Fail("executor {} needs an FPGA board", chosen);
    return e.make(model, options);
  }
  std::vector<std::string> names = {"auto"};
  for (const Entry& e : Registry()) names.push_back(e.info.name);
  Fail("unknown executor '{}' ({})", name, fmt::join(names, ", "));
}

}  // namespace sbe
