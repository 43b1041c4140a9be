// sbe.Model and sbe.Engine: loading, describing, running and compiling a model.
#include <pybind11/stl.h>

#include "python/binding.h"
#include "sbe/documents.h"
#include "sbe/error.h"
#include "sbe/presets.h"

namespace sbe::python {
namespace {

struct PyModel {
  ModelHandle model;
};

// The Python engine object: the engine, shared so that a call in flight keeps it alive.
struct PyEngine {
  std::shared_ptr<Engine> engine;
};

EngineConfig ConfigFrom(const LstmModel& model, const std::string& precision, const std::string& executor,
                        const std::optional<int>& threads, const std::optional<int64_t>& max_batch,
                        const std::optional<std::pair<double, double>>& input_range,
                        const std::optional<bool>& batch_first) {
  EngineConfig c;
  c.precision = ParsePrecision(precision);
  c.executor = executor;
  c.threads = threads.value_or(0);
  c.max_batch = max_batch;
  if (input_range) c.input_range = InputRange{input_range->first, input_range->second};
  c.batch_first = batch_first.value_or(model.io.batch_first);
  return c;
}

// Weights of one cell from Python: (w_ih, w_hh, b_ih, b_hh), biases None without bias.
CellWeights CellFrom(const py::handle& cell, const LstmShape& shape, int layer, int dir) {
  if (!py::isinstance<py::sequence>(cell) || py::len(cell) != 4) {
    Fail("cell {} of layer {}: expected (w_ih, w_hh, b_ih, b_hh)", dir, layer);
  }
  const py::sequence t = py::reinterpret_borrow<py::sequence>(cell);
  CellWeights w;
  const std::string where = fmt::format("layer {}{}", layer, dir == 1 ? " reverse" : "");
  auto matrix = [&](const py::handle& v, const char* name, int64_t rows, int64_t cols) {
    const std::string what = fmt::format("{} {}", where, name);
    TensorF a = ToTensor(v, what.c_str());
    if (a.shape != std::vector<int64_t>{rows, cols} && !(cols == 0 && a.shape == std::vector<int64_t>{rows})) {
      Fail("{}: shape {}, expected {}", what, ShapeToString(a.shape),
           cols ? ShapeToString(std::vector<int64_t>{rows, cols}) : ShapeToString(std::vector<int64_t>{rows}));
    }
    return std::move(a.data);
  };
  w.w_ih = matrix(t[0], "weight_ih", shape.GateRows(), shape.LayerInputSize(layer));
  w.w_hh = matrix(t[1], "weight_hh", shape.GateRows(), shape.hidden_size);
  if (shape.has_bias) {
    w.b_ih = matrix(t[2], "bias_ih", shape.GateRows(), 0);
    w.b_hh = matrix(t[3], "bias_hh", shape.GateRows(), 0);
  }
  return w;
}

ModelHandle FromWeights(int64_t input_size, int64_t hidden_size, int num_layers, bool bidirectional, bool bias,
                        const py::sequence& cells, const std::string& name, bool batch_first) {
  LstmModel m;
  m.name = name;
  m.source = name;
  m.shape.input_size = input_size;
  m.shape.hidden_size = hidden_size;
  m.shape.num_layers = num_layers;
  m.shape.bidirectional = bidirectional;
  m.shape.has_bias = bias;
  m.io.batch_first = batch_first;
  if (input_size < 1 || hidden_size < 1 || num_layers < 1 || input_size > kMaxModelDim ||
      hidden_size > kMaxModelDim || num_layers > kMaxLayers) {
    Fail("{}: input {}, hidden {}, layers {}: sizes must be in [1, {}], layers in [1, {}]", name, input_size,
         hidden_size, num_layers, kMaxModelDim, kMaxLayers);
  }
  if (static_cast<int>(py::len(cells)) != m.shape.num_cells()) {
    Fail("{}: {} cells given, the shape has {}", name, py::len(cells), m.shape.num_cells());
  }
  for (int l = 0; l < num_layers; ++l) {
    for (int d = 0; d < m.shape.directions(); ++d) {
      m.cells.push_back(CellFrom(cells[l * m.shape.directions() + d], m.shape, l, d));
    }
  }
  m.Validate();
  return std::make_shared<const LstmModel>(std::move(m));
}

}  // namespace

ModelHandle ModelArgument(const py::handle& value, uint64_t seed) {
  if (py::isinstance<PyModel>(value)) return value.cast<const PyModel&>().model;
  if (py::isinstance<py::str>(value)) return std::make_shared<const LstmModel>(LoadModel(value.cast<std::string>(), seed));
  Fail("model: expected an sbe.Model, a preset name or a file path, got {}",
       std::string(py::str(py::type::of(value).attr("__name__"))));
}

void BindModel(py::module_& m) {
  py::class_<PyModel>(m, "Model", "An LSTM stack with nn.LSTM's semantics (sbe.load, Model.from_torch)")
      .def_static(
          "_from_weights",
          [](int64_t input_size, int64_t hidden_size, int num_layers, bool bidirectional, bool bias,
             const py::sequence& cells, const std::string& name, bool batch_first) {
            return PyModel{FromWeights(input_size, hidden_size, num_layers, bidirectional, bias, cells, name,
                                       batch_first)};
          },
          py::arg("input_size"), py::arg("hidden_size"), py::arg("num_layers"), py::arg("bidirectional"),
          py::arg("bias"), py::arg("cells"), py::arg("name"), py::arg("batch_first") = false)
      .def_property_readonly("name", [](const PyModel& p) { return p.model->name; })
      .def_property_readonly("source", [](const PyModel& p) { return p.model->source; })
      .def_property_readonly("input_size", [](const PyModel& p) { return p.model->shape.input_size; })
      .def_property_readonly("hidden_size", [](const PyModel& p) { return p.model->shape.hidden_size; })
      .def_property_readonly("num_layers", [](const PyModel& p) { return p.model->shape.num_layers; })
      .def_property_readonly("bidirectional", [](const PyModel& p) { return p.model->shape.bidirectional; })
      .def_property_readonly("bias", [](const PyModel& p) { return p.model->shape.has_bias; })
      .def_property_readonly("batch_first", [](const PyModel& p) { return p.model->io.batch_first; })
      .def_property_readonly("default_steps", [](const PyModel& p) { return p.model->default_steps; })
      .def("info", [](const PyModel& p) { return ToPython(ModelInfoJson(*p.model)); },
           "The model as `sbe info --model M --json` describes it")
      .def("__repr__",
           [](const PyModel& p) {
             return fmt::format("sbe.Model('{}': {})", p.model->name, p.model->shape.ToString());
           })
      .def(
          "run",
          [](const PyModel& p, const py::handle& x, const py::handle& h0, const py::handle& c0,
             const std::string& precision, const std::string& executor, std::optional<int> threads,
             std::optional<bool> batch_first, const py::handle& lengths,
             std::optional<std::pair<double, double>> input_range) {
            Engine engine(p.model, ConfigFrom(*p.model, precision, executor, threads, std::nullopt, input_range,
                                               batch_first));
            const py::object state = h0.is_none() && c0.is_none() ? py::object(py::none()) : py::make_tuple(h0, c0);
            return engine.Call(x, state, lengths);
          },
          py::arg("x"), py::arg("h0") = py::none(), py::arg("c0") = py::none(), py::kw_only(),
          py::arg("precision") = "fp32", py::arg("executor") = "cpu", py::arg("threads") = py::none(),
          py::arg("batch_first") = py::none(), py::arg("lengths") = py::none(), py::arg("input_range") = py::none(),
          "Runs x once: (y, (h_n, c_n)). Packs the weights on every call; compile() packs them once.")
      .def(
          "compile",
          [](const PyModel& p, const std::string& precision, const std::string& executor, std::optional<int> threads,
             std::optional<int64_t> max_batch, std::optional<std::pair<double, double>> input_range,
             std::optional<bool> batch_first) {
            return PyEngine{std::make_shared<Engine>(
                p.model, ConfigFrom(*p.model, precision, executor, threads, max_batch, input_range, batch_first))};
          },
          py::kw_only(), py::arg("precision") = "fp32", py::arg("executor") = "cpu", py::arg("threads") = py::none(),
          py::arg("max_batch") = py::none(), py::arg("input_range") = py::none(), py::arg("batch_first") = py::none(),
          "An engine with the weights packed once: engine(x, state) -> (y, state)");

  py::class_<PyEngine>(m, "Engine", "A model compiled for one executor and precision (Model.compile)")
      .def(
          "__call__",
          [](const PyEngine& e, const py::handle& x, const py::handle& state, const py::handle& lengths) {
            std::shared_ptr<Engine> keep = e.engine;
            return keep->Call(x, state, lengths);
          },
          py::arg("x"), py::arg("state") = py::none(), py::kw_only(), py::arg("lengths") = py::none(),
          "Runs x from `state` (h, c), or from zeros: (y, (h_n, c_n)). Feeding a sequence in chunks, "
          "each from the state the last returned, gives the outputs of feeding it whole.")
      .def("initial_state", [](const PyEngine& e, int64_t batch) { return e.engine->InitialState(batch); },
           py::arg("batch"), "Zeros (h, c), each (layers*directions, batch, hidden)")
      .def("details", [](const PyEngine& e) { return e.engine->Details(); },
           "What the last call executed: the plan, the formats, the saturations (as sbe run --json)")
      .def_property_readonly("model", [](const PyEngine& e) { return PyModel{e.engine->shared_model()}; })
      .def_property_readonly("precision",
                             [](const PyEngine& e) { return std::string(PrecisionName(e.engine->config().precision)); })
      .def_property_readonly("executor", [](const PyEngine& e) { return e.engine->config().executor; })
      .def_property_readonly("batch_first", [](const PyEngine& e) { return e.engine->config().batch_first; })
      .def("__repr__", [](const PyEngine& e) {
        const EngineConfig& c = e.engine->config();
        return fmt::format("sbe.Engine('{}', executor='{}', precision='{}', threads={})", e.engine->model().name,
                           c.executor, PrecisionName(c.precision), c.threads);
      });

  m.def(
      "load",
      [](const std::string& spec, std::optional<uint64_t> seed) {
        return PyModel{std::make_shared<const LstmModel>(LoadModel(spec, seed.value_or(0)))};
      },
      py::arg("path_or_preset"), py::kw_only(), py::arg("seed") = py::none(),
      "A preset (lrcn, deepbench-256, ...; weights from `seed`) or a .safetensors / .onnx file");
}

}  // namespace sbe::python
