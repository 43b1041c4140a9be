// sbe.plan, sbe.simulate, sbe.boards: the planner and the accelerator's model, returning the
// documents the commands print with --json.
#include <pybind11/stl.h>

#include <set>

#include "python/binding.h"
#include "sbe/board.h"
#include "sbe/cpu_board.h"
#include "sbe/documents.h"
#include "sbe/error.h"
#include "sbe/presets.h"

namespace sbe::python {
namespace {

// Keyword arguments read one by one; what is left at the end was not understood.
class Kwargs {
 public:
  Kwargs(const py::kwargs& kw, std::string function) : function_(std::move(function)) {
    for (const auto& [k, v] : kw) values_[k.cast<std::string>()] = py::reinterpret_borrow<py::object>(v);
  }
  template <typename T>
  std::optional<T> Get(const std::string& key) {
    known_.insert(key);
    auto it = values_.find(key);
    if (it == values_.end() || it->second.is_none()) return std::nullopt;
    try {
      T v = it->second.cast<T>();
      values_.erase(it);
      return v;
    } catch (const py::cast_error&) {
      Fail("{}: {}={} has the wrong type", function_, key, std::string(py::repr(it->second)));
    }
  }
  // An integer, or None / "auto": chosen.
  std::optional<int> IntOrAuto(const std::string& key) {
    known_.insert(key);
    auto it = values_.find(key);
    if (it != values_.end() && py::isinstance<py::str>(it->second) && it->second.cast<std::string>() == "auto") {
      values_.erase(it);
      return std::nullopt;
    }
    const std::optional<int> v = Get<int>(key);
    if (v && *v < 1) Fail("{}: {}={}: must be at least 1 (or 'auto')", function_, key, *v);
    return v;
  }
  template <typename E>
  std::optional<E> Choice(const std::string& key, const std::vector<std::pair<std::string, E>>& choices) {
    const std::optional<std::string> name = Get<std::string>(key);
    if (!name) return std::nullopt;
    std::string names;
    for (const auto& [n, v] : choices) {
      if (n == *name) return v;
      names += (names.empty() ? "" : ", ") + n;
    }
    Fail("{}: {}='{}': expected one of {}", function_, key, *name, names);
  }
  void Finish() const {
    if (values_.empty()) return;
    std::string known;
    for (const std::string& k : known_) known += (known.empty() ? "" : ", ") + k;
    Fail("{}: unknown argument '{}' (it takes {})", function_, values_.begin()->first, known);
  }

 private:
  std::string function_;
  std::map<std::string, py::object> values_;
  std::set<std::string> known_;
};

PlanRequest FpgaRequest(Kwargs& kw, const LstmModel& model, int steps) {
  PlanRequest r;
  r.steps = steps;
  r.batch = kw.IntOrAuto("batch");
  r.blocks = kw.IntOrAuto("blocks");
  if (r.blocks && *r.blocks > model.shape.hidden_size) {
    Fail("blocks={}: must be in [1, hidden size {}]", *r.blocks, model.shape.hidden_size);
  }
  const std::optional<std::optional<InputMode>> input = kw.Choice<std::optional<InputMode>>(
      "input_part", {{"auto", std::nullopt}, {"per-step", InputMode::kPerStep}, {"hoisted", InputMode::kHoisted}});
  if (input) r.input = *input;
  r.objective = kw.Choice<Objective>("objective", {{"throughput", Objective::kThroughput},
                                                   {"latency", Objective::kLatency}})
                    .value_or(Objective::kThroughput);
  r.max_batch = kw.Get<int>("max_batch").value_or(256);
  if (r.max_batch < 1) Fail("max_batch={}: must be at least 1", r.max_batch);
  r.max_latency_ms = kw.Get<double>("max_latency_ms");
  if (r.max_latency_ms && !(*r.max_latency_ms > 0)) Fail("max_latency_ms={}: must be positive", *r.max_latency_ms);
  r.block_batch = kw.Get<bool>("block_batch").value_or(true);
  if (r.input == InputMode::kHoisted && !r.block_batch) {
    Fail("input_part='hoisted' serves the whole batch from one pass over W_x: it has no block_batch=False form");
  }
  return r;
}

int StepsFor(Kwargs& kw, const LstmModel& model) {
  const int steps = kw.Get<int>("steps").value_or(model.default_steps);
  if (steps < 1) Fail("steps: {} does not say its sequence length; give steps=", model.name);
  return steps;
}

py::object Plan(const py::handle& model_arg, const std::string& board, const py::kwargs& kwargs) {
  Kwargs kw(kwargs, "sbe.plan");
  const ModelHandle model = ModelArgument(model_arg, kw.Get<uint64_t>("seed").value_or(0));
  const int steps = StepsFor(kw, *model);
  if (board == "cpu") {
    CpuPlanRequest r;
    r.steps = steps;
    r.batch = kw.IntOrAuto("batch").value_or(model->default_batch);
    if (const std::optional<int> blocks = kw.IntOrAuto("blocks")) r.blocks = *blocks;
    if (const auto p = kw.Get<std::string>("precision")) r.precision = ParsePrecision(*p);
    r.threads = kw.Get<int>("threads").value_or(0);
    if (r.threads < 0) Fail("threads={}: must be at least 1 (0: all cores)", r.threads);
    r.sync = kw.Choice<StepSync>("sync", {{"stall-free", StepSync::kStallFree}, {"barrier", StepSync::kBarrier}})
                 .value_or(StepSync::kStallFree);
    r.decomposition = kw.Get<std::string>("decomposition").value_or("");
    if (!r.decomposition.empty() && r.decomposition != "auto") CheckDecompositionSpec(r.decomposition);
    kw.Finish();
    nlohmann::json j;
    {
      py::gil_scoped_release release;  // the first call measures this CPU
      j = CpuPlanDocument(*model, ThisCpuBoard(), r);
    }
    FlushWarnings();
    return ToPython(j);
  }
  const Board b = LoadBoard(board);
  const PlanRequest r = FpgaRequest(kw, *model, steps);
  const bool curves = kw.Get<bool>("curves").value_or(false);
  kw.Finish();
  nlohmann::json j;
  {
    py::gil_scoped_release release;
    j = PlanDocument(*model, b, r, curves);
  }
  FlushWarnings();
  return ToPython(j);
}

py::object Simulate(const py::handle& model_arg, const std::string& board, const py::handle& x,
                    const py::kwargs& kwargs) {
  Kwargs kw(kwargs, "sbe.simulate");
  const uint64_t seed = kw.Get<uint64_t>("seed").value_or(0);
  const ModelHandle model = ModelArgument(model_arg, seed);
  if (board == "cpu") Fail("board 'cpu': the simulator models FPGA boards; sbe.plan(model, 'cpu') plans this CPU");
  const Board b = LoadBoard(board);
  const bool batch_first = kw.Get<bool>("batch_first").value_or(model->io.batch_first);
  std::optional<LstmInput> in;
  if (!x.is_none()) {
    in.emplace();
    in->x = ToTensor(x, "x");
    if (in->x.rank() != 3) Fail("x: shape {}, expected 3 dimensions", ShapeToString(in->x.shape));
    if (batch_first) in->x = SwapFirstTwoAxes(in->x);
  }
  const int steps = in ? static_cast<int>(in->steps()) : StepsFor(kw, *model);
  SimulationRequest request;
  request.plan = FpgaRequest(kw, *model, steps);
  request.arch = kw.Choice<Architecture>("arch", {{"stall-free", Architecture::kStallFree},
                                                  {"baseline", Architecture::kBaseline}})
                     .value_or(Architecture::kStallFree);
  request.timing_only = kw.Get<bool>("timing_only").value_or(false);
  request.check = kw.Get<bool>("check").value_or(false);
  request.trace_path = kw.Get<std::string>("trace").value_or("");
  if (const auto range = kw.Get<std::pair<double, double>>("input_range")) {
    request.input_range = InputRange{range->first, range->second};
  }
  const std::optional<int> samples = kw.Get<int>("samples");
  const py::object lengths = kw.Get<py::object>("lengths").value_or(py::none());
  kw.Finish();
  if (in && samples && *samples != in->batch()) Fail("samples={} disagrees with x (batch {})", *samples, in->batch());
  if (!in) {
    if (samples && *samples < 1) Fail("samples={}: must be at least 1", *samples);
    const int64_t count = samples ? *samples : ChoosePlan(model->shape, b, request.plan).best.batch;
    in = RandomLstmInput(model->shape, steps, count, seed);
  }
  if (!lengths.is_none()) in->seq_lens = ToLengths(lengths, "lengths");
  InputNames names;
  names.x = "x";
  names.seq_lens = "lengths";
  ValidateInput(*model, *in, names);
  nlohmann::json j;
  {
    py::gil_scoped_release release;
    j = SimulateDocument(*model, b, *in, request).document;
  }
  FlushWarnings();
  return ToPython(j);
}

}  // namespace

void BindPlanner(py::module_& m) {
  m.def("plan", &Plan, py::arg("model"), py::arg("board") = "vx690t",
        "The planner's choice for `model` on `board` (a preset, a .json file, or 'cpu'): the document "
        "`sbe plan --json` prints. Keywords: batch, blocks, steps, input_part, objective, max_batch, "
        "max_latency_ms, block_batch, curves, seed; on 'cpu': batch, blocks, steps, precision, threads, sync.");
  m.def("simulate", &Simulate, py::arg("model"), py::arg("board") = "vx690t", py::arg("x") = py::none(),
        "The accelerator's discrete-event model on `board`: the document `sbe simulate --json` prints. "
        "x (steps, batch, input) or random inputs (samples, steps, seed). Keywords: the plan's (as sbe.plan), "
        "arch, timing_only, check, trace, input_range, lengths, batch_first.");
  m.def(
      "boards",
      [] {
        py::list boards;
        for (const std::string& name : BoardPresetNames()) boards.append(ToPython(BoardJson(LoadBoard(name))));
        return boards;
      },
      "The FPGA board presets, as the documents carry them ('cpu', this machine, is planned by sbe.plan)");
}

}  // namespace sbe::python
