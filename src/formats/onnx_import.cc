// ONNX import: one LSTM node or a chain of them, among the shape glue torch.onnx.export writes,
// mapped onto the PyTorch-semantics LstmModel (gate order i, o, f, c becomes i, f, g, o).
#include <algorithm>
#include <filesystem>
#include <tuple>
#include <map>
#include <set>

#include "formats/onnx_graph.h"
#include "sbe/error.h"
#include "sbe/formats.h"

namespace sbe {
namespace {

using onnx_import::Const;
using onnx_import::Sym;
using onnx_import::Value;

// ONNX stores gate blocks as i, o, f, c; block kOnnxBlock[g] holds our gate g (i, f, g, o).
constexpr int kOnnxBlock[kNumGates] = {0, 2, 3, 1};

struct Importer {
  std::string name;  // the file, for messages
  int opset = 0;
  std::map<std::string, Value> values;
  LstmModel model;
  int directions = 0;
  bool uses_h0 = false, uses_c0 = false;
  bool zero_h = false, zero_c = false;  // some layer starts from zeros instead
  bool any_bias = false;
  std::vector<bool> layer_has_bias;
  std::map<std::string, Sym> input_roles;  // graph input -> role, found by walking back

  Importer() { model.shape.num_layers = 0; }  // counts LSTM nodes as they are imported

  const Value* Find(const std::string& n) const {
    if (n.empty()) return nullptr;
    const auto it = values.find(n);
    return it == values.end() ? nullptr : &it->second;
  }

  std::string Where(const onnx::NodeProto& node) const {
    return fmt::format("{}: node '{}' ({})", name, node.name(), node.op_type());
  }

  const onnx::AttributeProto* Attr(const onnx::NodeProto& n, const char* a) const {
    for (const auto& x : n.attribute()) {
      if (x.name() == a) return &x;
    }
    return nullptr;
  }

  void ImportLstm(const onnx::NodeProto& node);
  void AddCell(const Const& w, const Const& r, const Const* b, int dir, int64_t hidden,
               const std::string& where);
  void ClassifyOutputs(const onnx::GraphProto& graph);
};

// Which runtime role a graph input plays: found by walking back from the LSTM slots through
// the glue (first inputs only), so h0 sliced per layer still maps to initial_h.
std::map<std::string, Sym> FindInputRoles(const onnx::GraphProto& graph,
                                          const std::set<std::string>& graph_inputs) {
  std::map<std::string, const onnx::NodeProto*> producer;
  for (const auto& n : graph.node()) {
    for (const auto& o : n.output()) producer[o] = &n;
  }
  std::map<std::string, Sym> roles;
  auto trace = [&](std::string v, Sym role) {
    for (int hops = 0; hops < 64 && !v.empty(); ++hops) {
      if (graph_inputs.count(v)) {
        roles.emplace(v, role);
        return;
      }
      const auto it = producer.find(v);
      if (it == producer.end() || it->second->input_size() == 0 || it->second->op_type() == "LSTM") return;
      v = it->second->input(0);
    }
  };
  for (const auto& n : graph.node()) {
    if (n.op_type() != "LSTM") continue;
    const std::pair<int, Sym> slots[] = {{0, Sym::kX}, {4, Sym::kSeqLens}, {5, Sym::kH0}, {6, Sym::kC0}};
    for (const auto& [slot, role] : slots) {
      if (n.input_size() > slot) trace(n.input(slot), role);
    }
  }
  return roles;
}

void Importer::AddCell(const Const& w, const Const& r, const Const* b, int dir, int64_t hidden,
                       const std::string& where) {
  const int64_t in_size = w.shape[2], rows = kNumGates * hidden;
  CellWeights c;
  c.w_ih.resize(rows * in_size);
  c.w_hh.resize(rows * hidden);
  for (int g = 0; g < kNumGates; ++g) {
    for (int64_t k = 0; k < hidden; ++k) {
      const int64_t ours = g * hidden + k, theirs = kOnnxBlock[g] * hidden + k;
      for (int64_t j = 0; j < in_size; ++j) {
        c.w_ih[ours * in_size + j] = static_cast<float>(w.f[(dir * rows + theirs) * in_size + j]);
      }
      for (int64_t j = 0; j < hidden; ++j) {
        c.w_hh[ours * hidden + j] = static_cast<float>(r.f[(dir * rows + theirs) * hidden + j]);
      }
    }
  }
  if (b) {
    c.b_ih.resize(rows);
    c.b_hh.resize(rows);
    for (int g = 0; g < kNumGates; ++g) {
      for (int64_t k = 0; k < hidden; ++k) {
        const int64_t theirs = kOnnxBlock[g] * hidden + k;
        c.b_ih[g * hidden + k] = static_cast<float>(b->f[dir * 2 * rows + theirs]);
        c.b_hh[g * hidden + k] = static_cast<float>(b->f[dir * 2 * rows + rows + theirs]);
      }
    }
  }
  (void)where;
  model.cells.push_back(std::move(c));
}

void Importer::ImportLstm(const onnx::NodeProto& node) {
  const std::string where = Where(node);
  const int layer = model.shape.num_layers;
  // Attributes sbe does not implement are refused by name, never ignored.
  for (const char* refused : {"clip", "activation_alpha", "activation_beta"}) {
    if (Attr(node, refused)) Fail("{}: attribute '{}' is not supported", where, refused);
  }
  if (const auto* a = Attr(node, "input_forget"); a && a->i() != 0) {
    Fail("{}: attribute 'input_forget' = {} (coupled input-forget gate) is not supported", where, a->i());
  }
  std::string direction = "forward";
  if (const auto* a = Attr(node, "direction")) direction = a->s();
  if (direction != "forward" && direction != "reverse" && direction != "bidirectional") {
    Fail("{}: unknown direction '{}'", where, direction);
  }
  const int D = direction == "bidirectional" ? 2 : 1;
  if (const auto* a = Attr(node, "activations")) {
    for (int k = 0; k < a->strings_size(); ++k) {
      const char* expected = k % 3 == 0 ? "Sigmoid" : "Tanh";
      if (a->strings(k) != expected) {
        Fail("{}: activation '{}' in place of {} is not supported (only Sigmoid, Tanh, Tanh)",
             where, a->strings(k), expected);
      }
    }
  }
  const auto* hs = Attr(node, "hidden_size");
  if (!hs || hs->i() < 1 || hs->i() > kMaxModelDim) {
    Fail("{}: attribute 'hidden_size' missing or outside [1, {}]", where, kMaxModelDim);
  }
  const int64_t H = hs->i();
  const bool layout1 = Attr(node, "layout") && Attr(node, "layout")->i() == 1;
  if (Attr(node, "layout") && Attr(node, "layout")->i() > 1) Fail("{}: layout must be 0 or 1", where);
  if (node.input_size() > 7 && !node.input(7).empty()) {
    Fail("{}: peephole weights (input P) are not supported", where);
  }
  if (node.input_size() < 3) Fail("{}: needs inputs X, W and R", where);
  auto weight = [&](int slot, const char* what) -> const Const& {
    const Value* v = Find(node.input(slot));
    if (!v || !v->is_const() || !v->constant->is_float) {
      Fail("{}: input {} must be a float initializer or constant", where, what);
    }
    return *v->constant;
  };
  const Const& w = weight(1, "W");
  const Const& r = weight(2, "R");
  const Const* b = node.input_size() > 3 && !node.input(3).empty() ? &weight(3, "B") : nullptr;
  if (w.shape.size() != 3 || w.shape[0] != D || w.shape[1] != 4 * H || w.shape[2] < 1 ||
      w.shape[2] > kMaxModelDim) {
    Fail("{}: W has shape {}, expected ({}, {}, input_size)", where, ShapeToString(w.shape), D, 4 * H);
  }
  if (r.shape != std::vector<int64_t>{D, 4 * H, H}) {
    Fail("{}: R has shape {}, expected ({}, {}, {})", where, ShapeToString(r.shape), D, 4 * H, H);
  }
  if (b && b->shape != std::vector<int64_t>{D, 8 * H}) {
    Fail("{}: B has shape {}, expected ({}, {})", where, ShapeToString(b->shape), D, 8 * H);
  }

  // The sequence input: the graph's x for the first node, the previous node's y after it.
  const Value* x = Find(node.input(0));
  if (!x || x->is_const()) Fail("{}: input X must come from the graph's input", where);
  LstmShape& s = model.shape;
  if (layer == 0) {
    if (x->sym == Sym::kX) {
      model.io.batch_first = layout1;
    } else if (x->sym == Sym::kXSwapped && !layout1) {
      model.io.batch_first = true;  // torch batch_first: Transpose(x, [1, 0, 2]) feeds the LSTM
    } else {
      Fail("{}: input X is not the graph input (or its batch-first transpose)", where);
    }
    s.input_size = w.shape[2];
    s.hidden_size = H;
    s.bidirectional = D == 2;
    s.reverse = direction == "reverse";
    directions = D;
  } else {
    if (layout1) Fail("{}: layout=1 is supported on a single LSTM node only", where);
    if (x->sym != Sym::kOut || x->layer != layer - 1 || (x->end == -2 && directions != 1)) {
      Fail("{}: input X is not the previous LSTM's output reshaped to (steps, batch, "
           "directions*hidden)", where);
    }
    if (H != s.hidden_size || D != directions || (direction == "reverse") != s.reverse) {
      Fail("{}: every LSTM of the chain must have the same hidden size and direction", where);
    }
    if (w.shape[2] != D * H) Fail("{}: W's input size {} is not {}", where, w.shape[2], D * H);
  }
  if (node.input_size() > 4 && !node.input(4).empty()) {
    const Value* lens = Find(node.input(4));
    if (!lens || lens->is_const() || lens->sym != Sym::kSeqLens) {
      Fail("{}: sequence_lens must be a graph input", where);
    }
  }
  for (const auto& [slot, state, uses, zero] : {std::tuple{5, Sym::kH0, &uses_h0, &zero_h},
                                                 std::tuple{6, Sym::kC0, &uses_c0, &zero_c}}) {
    const Value* v = node.input_size() > slot ? Find(node.input(slot)) : nullptr;
    const bool zeros =
        !v || (!v->is_const() && v->sym == Sym::kZeros) ||
        (v->is_const() && v->constant->is_float &&
         std::all_of(v->constant->f.begin(), v->constant->f.end(), [](double f) { return f == 0; }));
    if (zeros) {
      *zero = true;
      continue;
    }
    if (!v || v->is_const() || v->sym != state) {
      Fail("{}: {} must be a graph input (a slice of it per layer) or zeros", where,
           slot == 5 ? "initial_h" : "initial_c");
    }
    const bool whole = v->begin == 0 && v->end < 0;
    if (!(v->begin == layer * D && (v->end == (layer + 1) * D || (whole && layer == 0)))) {
      Fail("{}: {} must be rows [{}, {}) of the graph's initial state", where,
           slot == 5 ? "initial_h" : "initial_c", layer * D, (layer + 1) * D);
    }
    *uses = true;
  }
  for (int d = 0; d < D; ++d) AddCell(w, r, b, d, H, where);
  layer_has_bias.push_back(b != nullptr);
  any_bias |= b != nullptr;
  ++s.num_layers;
  if (s.num_layers > kMaxLayers) Fail("{}: more than {} LSTM layers", name, kMaxLayers);

  const std::pair<int, Sym> outs[] = {{0, Sym::kY}, {1, Sym::kYh}, {2, Sym::kYc}};
  for (const auto& [slot, sym] : outs) {
    if (node.output_size() > slot && !node.output(slot).empty()) {
      Value v;
      v.sym = sym;
      v.layer = layer;
      values[node.output(slot)] = v;
    }
  }
}

void Importer::ClassifyOutputs(const onnx::GraphProto& graph) {
  const int last = model.shape.num_layers - 1;
  bool torch_layout = false, onnx_layout = false;
  for (const auto& out : graph.output()) {
    const Value* v = Find(out.name());
    if (!v || v->is_const()) Fail("{}: graph output '{}' is not computed by the LSTMs", name, out.name());
    const bool last_layer = v->layer == last;
    switch (v->sym) {
      case Sym::kOut:
      case Sym::kOutSwapped:
        if (!last_layer) Fail("{}: graph output '{}' is an inner layer's output", name, out.name());
        if ((v->sym == Sym::kOutSwapped) != model.io.batch_first) {
          Fail("{}: graph output '{}' is not in the input's (batch-first or not) layout", name, out.name());
        }
        torch_layout = true;
        break;
      case Sym::kY:
        if (!last_layer) Fail("{}: graph output '{}' is an inner layer's Y", name, out.name());
        onnx_layout = true;
        break;
      case Sym::kHn:
      case Sym::kCn:
        if (v->begin != 0 || v->end != last + 1) {
          Fail("{}: graph output '{}' concatenates only some layers' states", name, out.name());
        }
        torch_layout = true;
        break;
      case Sym::kYh:
      case Sym::kYc:
        if (!last_layer) Fail("{}: graph output '{}' is an inner layer's state", name, out.name());
        if (last > 0) onnx_layout = true;
        break;
      default:
        Fail("{}: graph output '{}' is not an LSTM output", name, out.name());
    }
  }
  if (torch_layout && onnx_layout) {
    Fail("{}: graph outputs mix PyTorch and ONNX layouts, which sbe cannot present together", name);
  }
  model.io.onnx_outputs = !torch_layout;
}

}  // namespace

LstmModel ParseOnnx(const std::string& bytes, const std::string& name) {
  onnx::ModelProto proto;
  if (bytes.size() > static_cast<size_t>(INT32_MAX) ||
      !proto.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    Fail("{}: not an ONNX model (the protobuf does not parse)", name);
  }
  Importer im;
  im.name = name;
  for (const auto& o : proto.opset_import()) {
    if (o.domain().empty() || o.domain() == "ai.onnx") im.opset = static_cast<int>(o.version());
  }
  if (im.opset < 7 || im.opset > 21) {
    Fail("{}: default-domain opset {} is outside the supported 7-21", name, im.opset);
  }
  const onnx::GraphProto& graph = proto.graph();
  for (const auto& init : graph.initializer()) {
    Value v;
    v.constant = onnx_import::ReadTensor(init, name);
    im.values[init.name()] = std::move(v);
  }
  std::set<std::string> runtime_inputs;
  for (const auto& in : graph.input()) {
    if (!im.values.count(in.name())) runtime_inputs.insert(in.name());
  }
  im.input_roles = FindInputRoles(graph, runtime_inputs);
  for (const std::string& in : runtime_inputs) {
    const auto role = im.input_roles.find(in);
    Value v;
    v.sym = role == im.input_roles.end() ? Sym::kX : role->second;
    im.values[in] = v;
  }
  int lstm_nodes = 0;
  int64_t fold_budget = onnx_import::kFoldBudget;
  for (const auto& node : graph.node()) {
    const std::string where = im.Where(node);
    if (!node.domain().empty() && node.domain() != "ai.onnx") {
      Fail("{}: operators of domain '{}' are not supported", where, node.domain());
    }
    for (const auto& a : node.attribute()) {
      if (a.type() == onnx::AttributeProto::GRAPH || a.type() == onnx::AttributeProto::GRAPHS) {
        Fail("{}: subgraph attributes are not supported", where);
      }
    }
    if (node.op_type() == "LSTM") {
      im.ImportLstm(node);
      ++lstm_nodes;
      continue;
    }
    std::vector<const Value*> inputs;
    for (const auto& n : node.input()) {
      const Value* v = im.Find(n);
      if (!n.empty() && !v) Fail("{}: input '{}' is not defined before use", where, n);
      inputs.push_back(v);
    }
    std::vector<Value> outputs;
    if (!onnx_import::EvalGlue(node, inputs, im.opset, &outputs, &fold_budget, where)) {
      Fail("{}: operator not supported here (sbe imports LSTM nodes and the shape glue around "
           "them)", where);
    }
    for (int k = 0; k < node.output_size() && k < static_cast<int>(outputs.size()); ++k) {
      im.values[node.output(k)] = outputs[k];
    }
  }
  if (lstm_nodes == 0) Fail("{}: the graph has no LSTM node", name);
  // A given state must reach every layer: executors take one (L*D, B, H) tensor, not a mix of
  // given rows and zeros.
  if ((im.uses_h0 && im.zero_h) || (im.uses_c0 && im.zero_c)) {
    Fail("{}: some LSTM nodes take the graph's initial state and others start from zeros", name);
  }
  LstmModel& m = im.model;
  m.shape.has_bias = im.any_bias;
  if (im.any_bias) {
    // A chain where some nodes lack B: their bias is zero.
    const int D = m.shape.directions();
    for (int l = 0; l < m.shape.num_layers; ++l) {
      for (int d = 0; d < D; ++d) {
        CellWeights& c = m.cell(l, d);
        if (!im.layer_has_bias[l]) c.b_ih.assign(m.shape.GateRows(), 0.0f), c.b_hh.assign(m.shape.GateRows(), 0.0f);
      }
    }
  }
  im.ClassifyOutputs(graph);
  m.name = std::filesystem::path(name).stem().string();
  m.source = name;
  for (const auto& in : graph.input()) {
    const auto role = im.input_roles.find(in.name());
    if (role == im.input_roles.end() || role->second != Sym::kX) continue;
    const auto& dims = in.type().tensor_type().shape().dim();
    if (dims.size() == 3) {
      const int t_axis = m.io.batch_first ? 1 : 0;
      if (dims[t_axis].dim_value() > 0 && dims[t_axis].dim_value() < (1 << 30)) {
        m.default_steps = static_cast<int>(dims[t_axis].dim_value());
      }
      if (dims[1 - t_axis].dim_value() > 0 && dims[1 - t_axis].dim_value() < (1 << 30)) {
        m.default_batch = static_cast<int>(dims[1 - t_axis].dim_value());
      }
    }
  }
  m.Validate();
  return m;
}

LstmModel LoadOnnx(const std::string& path) { return ParseOnnx(ReadFileBytes(path), path); }

}  // namespace sbe
