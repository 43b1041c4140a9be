// The compiled engine: one executor bound to a model, called from Python.
#include <pybind11/stl.h>

#include "python/binding.h"
#include "sbe/error.h"

namespace sbe::python {

Precision ParsePrecision(const std::string& name) {
  if (name == "fp32") return Precision::kFp32;
  if (name == "int16") return Precision::kInt16;
  Fail("precision '{}': expected 'fp32' or 'int16'", name);
}

namespace {

ExecutorOptions OptionsFor(const EngineConfig& c, const TensorF* calibration_sample) {
  ExecutorOptions o;
  o.precision = c.precision;
  o.threads = c.threads;
  o.input_range = c.input_range;
  o.calibration_sample = calibration_sample;
  return o;
}

}  // namespace

Engine::Engine(ModelHandle model, EngineConfig config) : model_(std::move(model)), config_(std::move(config)) {
  if (config_.executor != "cpu" && config_.executor != "reference" && config_.executor != "golden") {
    Fail("executor '{}': expected 'cpu', 'reference' or 'golden'{}", config_.executor,
         config_.executor == "sim" ? " (the accelerator's model runs through sbe.simulate)" : "");
  }
  if (config_.threads < 0) Fail("threads {}: must be at least 1 (None or 0: all cores)", config_.threads);
  if (config_.max_batch && *config_.max_batch < 1) Fail("max_batch {}: must be at least 1", *config_.max_batch);
  if (config_.input_range) config_.input_range->Check();
  // int16 without a range calibrates on the first input it sees (as `sbe run` does), so that
  // executor waits for it; everything else packs now.
  if (config_.precision == Precision::kFp32 || config_.input_range) {
    executor_ = MakeExecutor(config_.executor, *model_, OptionsFor(config_, nullptr));
  } else if (config_.executor == "reference") {
    MakeExecutor(config_.executor, *model_, OptionsFor(config_, nullptr));  // refuses int16 by name
  }
}

py::tuple Engine::Call(const py::handle& x, const py::handle& state, const py::handle& lengths) {
  const bool batch_first = config_.batch_first;
  const FloatArray xa = ToFloatArray(x, "x");
  if (xa.ndim() != 3) {
    Fail("x: shape {}, expected 3 dimensions ({})", ShapeToString(std::vector<int64_t>(xa.shape(), xa.shape() + xa.ndim())),
         batch_first ? "batch, steps, features" : "steps, batch, features");
  }
  LstmInput in;
  if (!state.is_none()) {
    if (!py::isinstance<py::sequence>(state) || py::len(state) != 2) {
      Fail("state: expected a pair (h, c) of arrays (layers*directions, batch, hidden), or None");
    }
    const py::sequence pair = py::reinterpret_borrow<py::sequence>(state);
    if (!pair[0].is_none()) in.h0 = ToTensor(pair[0], "h0");
    if (!pair[1].is_none()) in.c0 = ToTensor(pair[1], "c0");
  }
  if (!lengths.is_none()) in.seq_lens = ToLengths(lengths, "lengths");
  InputNames names;
  names.x = "x";
  names.seq_lens = "lengths";

  LstmOutput out;
  {
    py::gil_scoped_release release;
    // x is read where numpy keeps it (xa holds it for the call); only batch-first input is
    // copied, into the executors' sequence-first order.
    in.x = TensorF::View({xa.shape(0), xa.shape(1), xa.shape(2)}, xa.data());
    if (batch_first) in.x = SwapFirstTwoAxes(in.x);
    ValidateInput(*model_, in, names);
    if (config_.max_batch && in.batch() > *config_.max_batch) {
      Fail("x: batch {} is larger than the engine's max_batch {}", in.batch(), *config_.max_batch);
    }
    WarnIfNotFinite(in, names);
    std::lock_guard<std::mutex> lock(mutex_);
    if (!executor_) executor_ = MakeExecutor(config_.executor, *model_, OptionsFor(config_, &in.x));
    out = executor_->Run(in);
  }
  FlushWarnings();
  TensorF y = batch_first ? SwapFirstTwoAxes(out.y) : std::move(out.y);
  return py::make_tuple(ToArray(std::move(y)), py::make_tuple(ToArray(std::move(out.h_n)), ToArray(std::move(out.c_n))));
}

py::tuple Engine::InitialState(int64_t batch) const {
  if (batch < 1) Fail("batch {}: must be at least 1", batch);
  const LstmShape& s = model_->shape;
  const std::vector<int64_t> shape{s.num_cells(), batch, s.hidden_size};
  return py::make_tuple(ToArray(TensorF(shape)), ToArray(TensorF(shape)));
}

py::object Engine::Details() {
  std::lock_guard<std::mutex> lock(mutex_);
  nlohmann::json j = executor_ ? executor_->Details() : nlohmann::json::object();
  j["executor"] = config_.executor;
  j["precision"] = executor_ ? executor_->arithmetic() : PrecisionName(config_.precision);
  return ToPython(j);
}

}  // namespace sbe::python
