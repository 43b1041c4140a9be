// What the pieces of the Python module (`import sbe`, src/python) share: the model handle the
// Python objects hold, the conversions between numpy arrays and tensors, and the engine every
// call runs through. docs/PYTHON.md is the user's side of it.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "sbe/executor.h"
#include "sbe/lstm_io.h"
#include "sbe/model.h"

namespace sbe::python {

namespace py = pybind11;

// A model shared by the Python object and every engine compiled from it: executors keep a
// reference to the weights, so the model must outlive them.
using ModelHandle = std::shared_ptr<const LstmModel>;

// --- arrays (arrays.cc) ------------------------------------------------------------------------
using FloatArray = py::array_t<float, py::array::c_style | py::array::forcecast>;
// Any array-like of real numbers (numpy, torch on the CPU, lists) as a C-contiguous float32
// array: the caller's own when it already is one (no copy), else a converted copy. `what` names it in
// errors ("x", "h0").
FloatArray ToFloatArray(const py::handle& value, const char* what);
// The same, copied into a tensor.
TensorF ToTensor(const py::handle& value, const char* what);
// A (batch,) array-like of integers: per-sample lengths.
std::vector<int64_t> ToLengths(const py::handle& value, const char* what);
// The tensor's storage handed to numpy without a copy.
py::array ToArray(TensorF&& t);
// A JSON document as Python dicts and lists.
py::object ToPython(const nlohmann::json& j);

// --- the engine (engine.cc) --------------------------------------------------------------------
Precision ParsePrecision(const std::string& name);

struct EngineConfig {
  Precision precision = Precision::kFp32;
  std::string executor = "cpu";               // cpu, reference, golden
  int threads = 0;                            // 0: every core
  std::optional<InputRange> input_range;      // int16: fixed calibration; else the first input's
  std::optional<int64_t> max_batch;           // larger batches are refused
  bool batch_first = false;                   // x and y (batch, steps, ...), as nn.LSTM's flag
};

// An executor bound to a model once (weights packed, formats chosen), called many times. Calls
// serialize on the engine's lock; the GIL is released while the executor runs, so other Python
// threads (and other engines) go on.
class Engine {
 public:
  Engine(ModelHandle model, EngineConfig config);
  // x (T, B, I) or (B, T, I) with batch_first; state (h, c) of (L*D, B, H) each, or None;
  // lengths (B,) or None. Returns (y, (h_n, c_n)) as numpy arrays, y in x's layout.
  py::tuple Call(const py::handle& x, const py::handle& state, const py::handle& lengths);
  py::tuple InitialState(int64_t batch) const;
  const LstmModel& model() const { return *model_; }
  const ModelHandle& shared_model() const { return model_; }
  const EngineConfig& config() const { return config_; }
  // The executor's last run: its plan, formats and counts (sbe run --json's fields).
  py::object Details();

 private:
  ModelHandle model_;
  EngineConfig config_;
  std::unique_ptr<Executor> executor_;  // made at once, or (int16, no range) at the first call
  std::mutex mutex_;
};

// --- the pieces of the module ------------------------------------------------------------------
void BindModel(py::module_& m);  // sbe.Model, sbe.Engine, sbe.load
void BindPlanner(py::module_& m);  // sbe.plan, sbe.simulate, sbe.boards

// Warnings the library gave during a call (kept while the GIL was released), raised now as
// Python warnings of category sbe.Warning. Every binding that runs library code calls it last.
void FlushWarnings();

// The model a function argument names: an sbe.Model, or a preset name / file path to load.
ModelHandle ModelArgument(const py::handle& value, uint64_t seed = 0);

}  // namespace sbe::python
