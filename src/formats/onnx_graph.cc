// Constant folding and symbolic tracking of the shape glue in ONNX LSTM graphs.
#include "formats/onnx_graph.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "sbe/error.h"
#include "sbe/tensor.h"

namespace sbe::onnx_import {
namespace {

using onnx::TensorProto;

std::vector<int64_t> Strides(const std::vector<int64_t>& shape) {
  std::vector<int64_t> s(shape.size(), 1);
  for (int k = static_cast<int>(shape.size()) - 2; k >= 0; --k) s[k] = s[k + 1] * shape[k + 1];
  return s;
}

// Builds a Const of `shape` whose element at multi-index `idx` is source element `from(idx)`.
template <typename F>
Const Gathered(const Const& src, std::vector<int64_t> shape, F from, const std::string& where) {
  Const out;
  out.is_float = src.is_float;
  out.shape = std::move(shape);
  const int64_t n = CheckedNumElements(out.shape, where);
  if (out.is_float) out.f.resize(n); else out.i.resize(n);
  std::vector<int64_t> idx(out.shape.size(), 0);
  for (int64_t k = 0; k < n; ++k) {
    const int64_t s = from(idx);
    if (out.is_float) out.f[k] = src.f[s]; else out.i[k] = src.i[s];
    for (int d = static_cast<int>(idx.size()) - 1; d >= 0; --d) {
      if (++idx[d] < out.shape[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

int64_t Axis(int64_t axis, size_t rank, const std::string& where) {
  const int64_t r = static_cast<int64_t>(rank);
  if (axis < -r || axis >= r) Fail("{}: axis {} out of range for rank {}", where, axis, r);
  return axis < 0 ? axis + r : axis;
}

const onnx::AttributeProto* Attr(const onnx::NodeProto& n, const char* name) {
  for (const auto& a : n.attribute()) {
    if (a.name() == name) return &a;
  }
  return nullptr;
}

std::vector<int64_t> Ints(const Value* v, const std::string& where, const char* what) {
  if (!v || !v->is_const() || v->constant->is_float) {
    Fail("{}: {} must be a constant integer tensor", where, what);
  }
  return v->constant->i;
}

// Attribute (older opsets) or input (newer opsets) list of integers.
std::optional<std::vector<int64_t>> IntsArg(const onnx::NodeProto& n,
                                            const std::vector<const Value*>& in, size_t index,
                                            const char* attr, const std::string& where) {
  if (const auto* a = Attr(n, attr)) return std::vector<int64_t>(a->ints().begin(), a->ints().end());
  if (in.size() > index && in[index]) return Ints(in[index], where, attr);
  return std::nullopt;
}

Const Transpose(const Const& c, std::vector<int64_t> perm, const std::string& where) {
  if (perm.empty()) {
    for (int64_t k = static_cast<int64_t>(c.shape.size()) - 1; k >= 0; --k) perm.push_back(k);
  }
  if (perm.size() != c.shape.size()) Fail("{}: perm has the wrong length", where);
  std::vector<int64_t> shape(perm.size());
  for (size_t d = 0; d < perm.size(); ++d) shape[d] = c.shape[Axis(perm[d], perm.size(), where)];
  const std::vector<int64_t> strides = Strides(c.shape);
  return Gathered(c, shape, [&](const std::vector<int64_t>& idx) {
    int64_t s = 0;
    for (size_t d = 0; d < idx.size(); ++d) s += idx[d] * strides[perm[d]];
    return s;
  }, where);
}

Const Slice(const Const& c, const std::vector<int64_t>& starts, const std::vector<int64_t>& ends,
            std::vector<int64_t> axes, std::vector<int64_t> steps, const std::string& where) {
  if (axes.empty()) for (size_t k = 0; k < starts.size(); ++k) axes.push_back(static_cast<int64_t>(k));
  if (steps.empty()) steps.assign(starts.size(), 1);
  if (ends.size() != starts.size() || axes.size() != starts.size() || steps.size() != starts.size()) {
    Fail("{}: Slice starts, ends, axes and steps differ in length", where);
  }
  std::vector<int64_t> first(c.shape.size(), 0), step(c.shape.size(), 1), shape = c.shape;
  for (size_t k = 0; k < starts.size(); ++k) {
    const int64_t a = Axis(axes[k], c.shape.size(), where), dim = c.shape[a];
    if (steps[k] == 0) Fail("{}: Slice step 0", where);
    auto clamp = [&](int64_t v, int64_t lo, int64_t hi) {
      if (v < 0) v += dim;
      return std::clamp(v, lo, hi);
    };
    int64_t s, e;
    if (steps[k] > 0) {
      s = clamp(starts[k], 0, dim);
      e = clamp(ends[k], 0, dim);
      shape[a] = std::max<int64_t>(0, (e - s + steps[k] - 1) / steps[k]);
    } else {
      s = clamp(starts[k], -1, dim - 1);
      e = clamp(ends[k], -1, dim - 1);
      shape[a] = std::max<int64_t>(0, (s - e - steps[k] - 1) / -steps[k]);
    }
    first[a] = s;
    step[a] = steps[k];
  }
  const std::vector<int64_t> strides = Strides(c.shape);
  return Gathered(c, shape, [&](const std::vector<int64_t>& idx) {
    int64_t s = 0;
    for (size_t d = 0; d < idx.size(); ++d) s += (first[d] + idx[d] * step[d]) * strides[d];
    return s;
  }, where);
}

Const Concat(const std::vector<const Const*>& parts, int64_t axis, const std::string& where) {
  const Const& head = *parts[0];
  const int64_t a = Axis(axis, head.shape.size(), where);
  std::vector<int64_t> shape = head.shape;
  shape[a] = 0;
  for (const Const* p : parts) {
    if (p->shape.size() != head.shape.size() || p->is_float != head.is_float) {
      Fail("{}: Concat of tensors with different ranks or types", where);
    }
    shape[a] += p->shape[a];
  }
  Const out;
  out.is_float = head.is_float;
  out.shape = shape;
  int64_t outer = 1;
  for (int64_t d = 0; d < a; ++d) outer *= shape[d];
  for (int64_t o = 0; o < outer; ++o) {
    for (const Const* p : parts) {
      const int64_t chunk = outer == 0 ? 0 : p->numel() / outer;
      if (out.is_float) {
        out.f.insert(out.f.end(), p->f.begin() + o * chunk, p->f.begin() + (o + 1) * chunk);
      } else {
        out.i.insert(out.i.end(), p->i.begin() + o * chunk, p->i.begin() + (o + 1) * chunk);
      }
    }
  }
  return out;
}

Const Gather(const Const& c, const Const& indices, int64_t axis, const std::string& where) {
  if (indices.is_float) Fail("{}: Gather indices must be integers", where);
  const int64_t a = Axis(axis, c.shape.size(), where);
  std::vector<int64_t> shape(c.shape.begin(), c.shape.begin() + a);
  shape.insert(shape.end(), indices.shape.begin(), indices.shape.end());
  shape.insert(shape.end(), c.shape.begin() + a + 1, c.shape.end());
  const std::vector<int64_t> strides = Strides(c.shape);
  const size_t ir = indices.shape.size();
  const std::vector<int64_t> istrides = Strides(indices.shape);
  return Gathered(c, shape, [&](const std::vector<int64_t>& idx) {
    int64_t flat = 0;
    for (size_t k = 0; k < ir; ++k) flat += idx[a + k] * istrides[k];
    int64_t j = indices.i[flat];
    if (j < 0) j += c.shape[a];
    if (j < 0 || j >= c.shape[a]) Fail("{}: Gather index out of range", where);
    int64_t s = j * strides[a];
    for (int64_t d = 0; d < a; ++d) s += idx[d] * strides[d];
    for (size_t d = a + 1; d < c.shape.size(); ++d) s += idx[d + ir - 1] * strides[d];
    return s;
  }, where);
}

Const Reshaped(Const c, const std::vector<int64_t>& target, const std::string& where) {
  std::vector<int64_t> shape = target;
  int64_t known = 1, infer = -1;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 0 && d < c.shape.size()) shape[d] = c.shape[d];
    if (shape[d] == -1) {
      if (infer >= 0) Fail("{}: Reshape with two -1", where);
      infer = static_cast<int64_t>(d);
    } else if (shape[d] < 0) {
      Fail("{}: Reshape to a negative dimension", where);
    } else {
      known *= std::max<int64_t>(shape[d], 1);
    }
  }
  if (infer >= 0) shape[infer] = known == 0 ? 0 : c.numel() / known;
  if (CheckedNumElements(shape, where) != c.numel()) Fail("{}: Reshape changes the element count", where);
  c.shape = shape;
  return c;
}

bool AllZero(const Const& c) {
  return c.is_float ? std::all_of(c.f.begin(), c.f.end(), [](double v) { return v == 0; })
                    : std::all_of(c.i.begin(), c.i.end(), [](int64_t v) { return v == 0; });
}

Value Constant(Const c) {
  Value v;
  v.constant = std::move(c);
  return v;
}

Value Symbolic(Sym s, const Value* like = nullptr) {
  Value v;
  if (like) v = *like;
  v.constant.reset();
  v.sym = s;
  return v;
}

}  // namespace

int64_t Const::numel() const { return static_cast<int64_t>(is_float ? f.size() : i.size()); }

Const ReadTensor(const TensorProto& t, const std::string& where) {
  if (t.data_location() == TensorProto::EXTERNAL) {
    Fail("{}: tensor '{}' stores its data in an external file, which is not supported", where, t.name());
  }
  Const c;
  c.shape.assign(t.dims().begin(), t.dims().end());
  const int64_t n = CheckedNumElements(c.shape, where + ": tensor '" + t.name() + "'");
  const std::string& raw = t.raw_data();
  auto check = [&](int64_t values) {
    if (values != n) {
      Fail("{}: tensor '{}' holds {} values for shape {}", where, t.name(), values,
           ShapeToString(c.shape));
    }
  };
  auto from_raw = [&](size_t item, auto decode) {
    if (raw.size() != static_cast<size_t>(n) * item) {
      Fail("{}: tensor '{}' has {} bytes of data for shape {} of {}-byte values", where, t.name(),
           raw.size(), ShapeToString(c.shape), item);
    }
    for (int64_t k = 0; k < n; ++k) decode(raw.data() + k * item);
  };
  switch (t.data_type()) {
    case TensorProto::FLOAT:
      if (!raw.empty()) {
        from_raw(4, [&](const char* p) { float v; std::memcpy(&v, p, 4); c.f.push_back(v); });
      } else {
        check(t.float_data_size());
        c.f.assign(t.float_data().begin(), t.float_data().end());
      }
      break;
    case TensorProto::DOUBLE:
      if (!raw.empty()) {
        from_raw(8, [&](const char* p) { double v; std::memcpy(&v, p, 8); c.f.push_back(v); });
      } else {
        check(t.double_data_size());
        c.f.assign(t.double_data().begin(), t.double_data().end());
      }
      break;
    case TensorProto::FLOAT16: {
      auto half = [](uint16_t h) {
        const int e = (h >> 10) & 0x1f, m = h & 0x3ff;
        const double mag = e == 0 ? std::ldexp(m, -24) : e == 31 ? (m ? NAN : INFINITY)
                                                                 : std::ldexp(m | 0x400, e - 25);
        return (h >> 15) ? -mag : mag;
      };
      if (!raw.empty()) {
        from_raw(2, [&](const char* p) { uint16_t v; std::memcpy(&v, p, 2); c.f.push_back(half(v)); });
      } else {
        check(t.int32_data_size());
        for (int32_t v : t.int32_data()) c.f.push_back(half(static_cast<uint16_t>(v)));
      }
      break;
    }
    case TensorProto::INT64:
      c.is_float = false;
      if (!raw.empty()) {
        from_raw(8, [&](const char* p) { int64_t v; std::memcpy(&v, p, 8); c.i.push_back(v); });
      } else {
        check(t.int64_data_size());
        c.i.assign(t.int64_data().begin(), t.int64_data().end());
      }
      break;
    case TensorProto::INT32:
      c.is_float = false;
      if (!raw.empty()) {
        from_raw(4, [&](const char* p) { int32_t v; std::memcpy(&v, p, 4); c.i.push_back(v); });
      } else {
        check(t.int32_data_size());
        c.i.assign(t.int32_data().begin(), t.int32_data().end());
      }
      break;
    default:
      Fail("{}: tensor '{}' has ONNX data type {}; float, float16, double, int32 and int64 are "
           "supported", where, t.name(), t.data_type());
  }
  return c;
}

bool EvalGlue(const onnx::NodeProto& node, const std::vector<const Value*>& in, int opset,
              std::vector<Value>* out, int64_t* budget, const std::string& where) {
  const std::string& op = node.op_type();
  auto input = [&](size_t k) -> const Value& {
    if (k >= in.size() || !in[k]) Fail("{}: {} lacks input {}", where, op, k);
    return *in[k];
  };
  auto all_const = [&] {
    for (const Value* v : in) {
      if (v && !v->is_const()) return false;
    }
    return true;
  };
  auto any_shape = [&] {
    for (const Value* v : in) {
      if (v && !v->is_const() && v->sym == Sym::kShape) return true;
    }
    return false;
  };
  auto emit = [&](Value v) {
    // Folding can grow constants (Concat of a tensor with itself, again and again); the
    // budget bounds what one file can make the importer allocate.
    if (v.is_const()) {
      *budget -= v.constant->numel();
      if (*budget < 0) Fail("{}: folding the graph's constants needs more than {} values", where, kFoldBudget);
    }
    out->push_back(std::move(v));
  };

  if (op == "Constant") {
    if (const auto* a = Attr(node, "value")) { emit(Constant(ReadTensor(a->t(), where))); return true; }
    Const c;
    if (const auto* a = Attr(node, "value_float")) { c.f = {a->f()}; }
    else if (const auto* a = Attr(node, "value_floats")) { c.f.assign(a->floats().begin(), a->floats().end()); c.shape = {static_cast<int64_t>(c.f.size())}; }
    else if (const auto* a = Attr(node, "value_int")) { c.is_float = false; c.i = {a->i()}; }
    else if (const auto* a = Attr(node, "value_ints")) { c.is_float = false; c.i.assign(a->ints().begin(), a->ints().end()); c.shape = {static_cast<int64_t>(c.i.size())}; }
    else Fail("{}: Constant without a supported value attribute", where);
    emit(Constant(std::move(c)));
    return true;
  }
  if (op == "Identity") { emit(input(0)); return true; }
  if (op == "Shape") {
    const Value& v = input(0);
    if (v.is_const()) {
      Const c;
      c.is_float = false;
      c.i = v.constant->shape;
      c.shape = {static_cast<int64_t>(c.i.size())};
      emit(Constant(std::move(c)));
    } else {
      emit(Symbolic(Sym::kShape));
    }
    return true;
  }
  if (op == "ConstantOfShape") {
    const auto* a = Attr(node, "value");
    if (a && !AllZero(ReadTensor(a->t(), where))) {
      Fail("{}: ConstantOfShape with a non-zero value is not supported", where);
    }
    emit(Symbolic(Sym::kZeros));
    return true;
  }
  if (op == "Expand") {
    const Value& v = input(0);
    if (v.is_const() && AllZero(*v.constant)) { emit(Symbolic(Sym::kZeros)); return true; }
    if (!v.is_const() && v.sym == Sym::kZeros) { emit(v); return true; }
    Fail("{}: Expand of anything but zeros is not supported", where);
  }
  if (any_shape()) {
    // Integer bookkeeping on runtime shapes: its value never reaches the LSTM except as the
    // shape of zero initial states, so tracking that it is a shape is enough.
    static const char* kShapeOps[] = {"Gather", "Unsqueeze", "Squeeze", "Concat", "Cast", "Slice",
                                      "Reshape"};
    if (std::find(std::begin(kShapeOps), std::end(kShapeOps), op) != std::end(kShapeOps)) {
      if (op == "Reshape" && !input(0).is_const() && input(0).sym != Sym::kShape) {
        // A data tensor reshaped to a runtime shape: handled with the data cases below.
      } else {
        emit(Symbolic(Sym::kShape));
        return true;
      }
    }
  }
  if (all_const()) {
    const Const& c = input(0).constant.value();
    if (op == "Cast") {
      const auto* to = Attr(node, "to");
      Const r = c;
      const bool to_float = to && (to->i() == TensorProto::FLOAT || to->i() == TensorProto::DOUBLE ||
                                   to->i() == TensorProto::FLOAT16);
      if (to_float && !c.is_float) { r.is_float = true; r.f.assign(c.i.begin(), c.i.end()); r.i.clear(); }
      if (!to_float && c.is_float) { r.is_float = false; for (double v : c.f) r.i.push_back(static_cast<int64_t>(v)); r.f.clear(); }
      emit(Constant(std::move(r)));
      return true;
    }
    if (op == "Unsqueeze") {
      const auto axes = IntsArg(node, in, 1, "axes", where);
      if (!axes) Fail("{}: Unsqueeze without axes", where);
      std::vector<int64_t> shape = c.shape;
      const size_t rank = shape.size() + axes->size();
      std::vector<int64_t> sorted;
      for (int64_t a : *axes) sorted.push_back(Axis(a, rank, where));
      std::sort(sorted.begin(), sorted.end());
      for (int64_t a : sorted) shape.insert(shape.begin() + std::min<int64_t>(a, shape.size()), 1);
      emit(Constant(Reshaped(c, shape, where)));
      return true;
    }
    if (op == "Squeeze") {
      const auto axes = IntsArg(node, in, 1, "axes", where);
      std::vector<int64_t> shape;
      for (size_t d = 0; d < c.shape.size(); ++d) {
        const bool listed = axes ? std::any_of(axes->begin(), axes->end(), [&](int64_t a) {
          return Axis(a, c.shape.size(), where) == static_cast<int64_t>(d);
        }) : c.shape[d] == 1;
        if (!listed) shape.push_back(c.shape[d]);
      }
      emit(Constant(Reshaped(c, shape, where)));
      return true;
    }
    if (op == "Reshape") {
      emit(Constant(Reshaped(c, Ints(in.size() > 1 ? in[1] : nullptr, where, "shape"), where)));
      return true;
    }
    if (op == "Transpose") {
      const auto* perm = Attr(node, "perm");
      emit(Constant(Transpose(c, perm ? std::vector<int64_t>(perm->ints().begin(), perm->ints().end())
                                      : std::vector<int64_t>{}, where)));
      return true;
    }
    if (op == "Concat") {
      std::vector<const Const*> parts;
      for (const Value* v : in) parts.push_back(&v->constant.value());
      const auto* axis = Attr(node, "axis");
      emit(Constant(Concat(parts, axis ? axis->i() : 0, where)));
      return true;
    }
    if (op == "Gather") {
      const auto* axis = Attr(node, "axis");
      emit(Constant(Gather(c, input(1).constant.value(), axis ? axis->i() : 0, where)));
      return true;
    }
    if (op == "Slice") {
      std::vector<int64_t> starts, ends, axes, steps;
      if (opset < 10) {
        starts = IntsArg(node, in, 99, "starts", where).value_or(std::vector<int64_t>{});
        ends = IntsArg(node, in, 99, "ends", where).value_or(std::vector<int64_t>{});
        axes = IntsArg(node, in, 99, "axes", where).value_or(std::vector<int64_t>{});
      } else {
        starts = Ints(in.size() > 1 ? in[1] : nullptr, where, "starts");
        ends = Ints(in.size() > 2 ? in[2] : nullptr, where, "ends");
        if (in.size() > 3 && in[3]) axes = Ints(in[3], where, "axes");
        if (in.size() > 4 && in[4]) steps = Ints(in[4], where, "steps");
      }
      emit(Constant(Slice(c, starts, ends, axes, steps, where)));
      return true;
    }
    return false;
  }

  // Data glue on runtime tensors: only the forms torch.onnx.export writes around nn.LSTM.
  const Value& v = input(0);
  if (v.is_const()) return false;
  if (op == "Transpose") {
    const auto* a = Attr(node, "perm");
    const std::vector<int64_t> perm = a ? std::vector<int64_t>(a->ints().begin(), a->ints().end())
                                        : std::vector<int64_t>{};
    if (v.sym == Sym::kX && perm == std::vector<int64_t>{1, 0, 2}) { emit(Symbolic(Sym::kXSwapped, &v)); return true; }
    if (v.sym == Sym::kY && perm == std::vector<int64_t>{0, 2, 1, 3}) { emit(Symbolic(Sym::kYTransposed, &v)); return true; }
    if (v.sym == Sym::kOut && perm == std::vector<int64_t>{1, 0, 2}) { emit(Symbolic(Sym::kOutSwapped, &v)); return true; }
    Fail("{}: Transpose with perm {} of this tensor is not supported", where, ShapeToString(perm));
  }
  if (op == "Reshape" && v.sym == Sym::kYTransposed) {
    if (in.size() > 1 && in[1] && in[1]->is_const() && in[1]->constant->numel() != 3) {
      Fail("{}: Reshape of an LSTM output to rank {} is not supported", where, in[1]->constant->numel());
    }
    emit(Symbolic(Sym::kOut, &v));
    return true;
  }
  if (op == "Squeeze" && v.sym == Sym::kY) {
    const auto axes = IntsArg(node, in, 1, "axes", where);
    if (!axes || *axes != std::vector<int64_t>{1}) Fail("{}: Squeeze of an LSTM's Y must use axis 1", where);
    Value r = Symbolic(Sym::kOut, &v);
    r.end = -2;  // marks "squeezed": only valid for a unidirectional node (checked on use)
    emit(r);
    return true;
  }
  if (op == "Slice" && (v.sym == Sym::kH0 || v.sym == Sym::kC0 || v.sym == Sym::kZeros)) {
    if (v.sym == Sym::kZeros) { emit(v); return true; }
    std::vector<int64_t> starts, ends, axes;
    if (opset < 10) {
      starts = IntsArg(node, in, 99, "starts", where).value_or(std::vector<int64_t>{});
      ends = IntsArg(node, in, 99, "ends", where).value_or(std::vector<int64_t>{});
      axes = IntsArg(node, in, 99, "axes", where).value_or(std::vector<int64_t>{0});
    } else {
      starts = Ints(in.size() > 1 ? in[1] : nullptr, where, "starts");
      ends = Ints(in.size() > 2 ? in[2] : nullptr, where, "ends");
      axes = in.size() > 3 && in[3] ? Ints(in[3], where, "axes") : std::vector<int64_t>{0};
      if (in.size() > 4 && in[4] && Ints(in[4], where, "steps") != std::vector<int64_t>{1}) {
        Fail("{}: Slice of an initial state with a step is not supported", where);
      }
    }
    if (starts.size() != 1 || ends.size() != 1 || axes != std::vector<int64_t>{0} || starts[0] < 0 ||
        ends[0] < starts[0]) {
      Fail("{}: only slices of initial states along axis 0 are supported", where);
    }
    Value r = v;
    r.begin = v.begin + starts[0];
    r.end = v.end < 0 ? v.begin + ends[0] : std::min(v.end, v.begin + ends[0]);
    emit(r);
    return true;
  }
  if (op == "Concat" && (v.sym == Sym::kYh || v.sym == Sym::kYc)) {
    const auto* axis = Attr(node, "axis");
    if (!axis || axis->i() != 0) Fail("{}: Concat of LSTM states must be along axis 0", where);
    for (size_t k = 0; k < in.size(); ++k) {
      if (!in[k] || in[k]->is_const() || in[k]->sym != v.sym || in[k]->layer != v.layer + static_cast<int>(k)) {
        Fail("{}: Concat of LSTM states must list consecutive layers in order", where);
      }
    }
    Value r = Symbolic(v.sym == Sym::kYh ? Sym::kHn : Sym::kCn);
    r.begin = v.layer;
    r.end = v.layer + static_cast<int64_t>(in.size());
    emit(r);
    return true;
  }
  return false;
}

}  // namespace sbe::onnx_import
