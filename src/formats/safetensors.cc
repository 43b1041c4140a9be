// safetensors files holding an nn.LSTM state_dict: a checked reader and a float32 writer.
#include <fmt/ranges.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>
#include <tuple>

#include "formats/format_util.h"
#include "sbe/error.h"
#include "sbe/formats.h"

namespace sbe {
namespace {

static_assert(std::endian::native == std::endian::little, "sbe reads little-endian data as is");

// The reference implementation refuses headers over 100 MB (MAX_HEADER_SIZE); an LSTM
// state_dict needs about 100 bytes per tensor.
constexpr uint64_t kMaxHeaderBytes = 100'000'000;

// Every dtype of the format, so that the byte count of any tensor can be checked, also of
// tensors sbe does not load (other modules of a bigger state_dict).
struct DType {
  std::string_view name;
  int bytes;
  bool loadable;  // converted to float on load
};
constexpr DType kDTypes[] = {{"F32", 4, true},      {"F16", 2, true},      {"BF16", 2, true},
                             {"F64", 8, false},     {"I64", 8, false},     {"U64", 8, false},
                             {"I32", 4, false},     {"U32", 4, false},     {"I16", 2, false},
                             {"U16", 2, false},     {"I8", 1, false},      {"U8", 1, false},
                             {"BOOL", 1, false},    {"F8_E5M2", 1, false}, {"F8_E4M3", 1, false},
                             {"F8_E8M0", 1, false}, {"C64", 8, false}};

const DType* FindDType(std::string_view name) {
  for (const DType& d : kDTypes) {
    if (d.name == name) return &d;
  }
  return nullptr;
}

struct RawTensor {
  std::string name;
  const DType* dtype = nullptr;
  std::vector<int64_t> shape;
  uint64_t begin = 0, end = 0;  // relative to the start of the data buffer
};

// IEEE binary16 -> binary32, exactly: every half value (subnormals, infinities, NaN payloads
// and signs included) is representable as a float.
float HalfToFloat(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  const uint32_t exponent = (h >> 10) & 0x1f;
  uint32_t mantissa = h & 0x3ff;
  uint32_t bits;
  if (exponent == 0x1f) {
    bits = sign | 0x7f800000 | (mantissa << 13);  // infinity or NaN
  } else if (exponent != 0) {
    bits = sign | ((exponent + 127 - 15) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {
    bits = sign;  // signed zero
  } else {
    // A half subnormal is mantissa * 2^-24, a normal number as a float: shift the mantissa
    // until its leading one reaches the implicit bit, lowering the exponent as it goes.
    int shift = 0;
    while ((mantissa & 0x400) == 0) {
      mantissa <<= 1;
      ++shift;
    }
    bits = sign | (static_cast<uint32_t>(127 - 14 - shift) << 23) | ((mantissa & 0x3ff) << 13);
  }
  return std::bit_cast<float>(bits);
}

// bfloat16 is the top half of a float32.
float BFloat16ToFloat(uint16_t b) { return std::bit_cast<float>(static_cast<uint32_t>(b) << 16); }

std::vector<float> Decode(std::string_view buffer, const RawTensor& t) {
  const char* p = buffer.data() + t.begin;
  const size_t n = (t.end - t.begin) / t.dtype->bytes;
  std::vector<float> out(n);
  if (t.dtype->name == "F32") {
    if (n > 0) std::memcpy(out.data(), p, n * sizeof(float));  // memcpy(null, ..., 0) is UB
    return out;
  }
  const bool half = t.dtype->name == "F16";
  for (size_t i = 0; i < n; ++i) {
    uint16_t v;
    std::memcpy(&v, p + 2 * i, 2);
    out[i] = half ? HalfToFloat(v) : BFloat16ToFloat(v);
  }
  return out;
}

// Reads one header entry, checking every field's type and its byte range in the buffer.
RawTensor ParseEntry(const std::string& key, const nlohmann::json& entry, uint64_t buffer_bytes,
                     const std::string& name) {
  RawTensor t;
  t.name = Printable(key);
  auto bad = [&](std::string_view problem) {
    Fail(
        "{}: tensor '{}': {} (expected {{\"dtype\": ..., \"shape\": [...], "
        "\"data_offsets\": [begin, end]}})",
        name, t.name, problem);
  };
  if (!entry.is_object()) bad("entry is not a JSON object");
  const auto dtype = entry.find("dtype");
  const auto shape = entry.find("shape");
  const auto offsets = entry.find("data_offsets");
  if (dtype == entry.end() || !dtype->is_string()) bad("no string 'dtype'");
  if (shape == entry.end() || !shape->is_array()) bad("no array 'shape'");
  if (offsets == entry.end() || !offsets->is_array() || offsets->size() != 2) {
    bad("no two-element array 'data_offsets'");
  }
  const std::string& dtype_name = dtype->get_ref<const std::string&>();
  t.dtype = FindDType(dtype_name);
  if (!t.dtype) {
    Fail("{}: tensor '{}' has unknown dtype '{}'", name, t.name, Printable(dtype_name));
  }
  for (const nlohmann::json& d : *shape) {
    if (!d.is_number_unsigned()) {
      Fail("{}: tensor '{}' has a dimension that is a {}, not a non-negative integer", name, t.name,
           d.type_name());
    }
    // Bounded one by one, not only in the product: a zero dimension would hide a huge one from
    // the element count, and the LSTM mapping multiplies dimensions.
    const uint64_t v = d.get<uint64_t>();
    if (v > static_cast<uint64_t>(kMaxTensorElements)) {
      Fail("{}: tensor '{}' has an absurd dimension {}", name, t.name, v);
    }
    t.shape.push_back(static_cast<int64_t>(v));
  }
  for (const nlohmann::json& o : *offsets) {
    if (!o.is_number_unsigned()) {
      Fail("{}: tensor '{}' has a data offset that is a {}, not a non-negative integer", name,
           t.name, o.type_name());
    }
  }
  t.begin = (*offsets)[0].get<uint64_t>();
  t.end = (*offsets)[1].get<uint64_t>();
  if (t.begin > t.end || t.end > buffer_bytes) {
    Fail("{}: tensor '{}' has data offsets [{}, {}] outside the {}-byte data buffer", name, t.name,
         t.begin, t.end, buffer_bytes);
  }
  const int64_t n = CheckedNumElements(t.shape, fmt::format("{}: tensor '{}'", name, t.name));
  if (t.end - t.begin != static_cast<uint64_t>(n) * t.dtype->bytes) {
    Fail("{}: tensor '{}' has {} bytes, but shape {} of {} needs {}", name, t.name, t.end - t.begin,
         ShapeToString(t.shape), dtype_name, static_cast<uint64_t>(n) * t.dtype->bytes);
  }
  return t;
}

// Tensors sharing bytes would alias each other: a corrupt or hostile file.
void CheckNoOverlap(std::vector<const RawTensor*> tensors, const std::string& name) {
  std::erase_if(tensors, [](const RawTensor* t) { return t->begin == t->end; });
  std::sort(tensors.begin(), tensors.end(),
            [](const RawTensor* a, const RawTensor* b) { return a->begin < b->begin; });
  for (size_t i = 1; i < tensors.size(); ++i) {
    if (tensors[i - 1]->end > tensors[i]->begin) {
      Fail("{}: tensors '{}' and '{}' overlap in the data buffer", name, tensors[i - 1]->name,
           tensors[i]->name);
    }
  }
}

// Splits the file into its header's tensors and the data buffer they point into.
std::map<std::string, RawTensor> ParseHeader(const std::string& bytes, const std::string& name,
                                             std::string_view* buffer) {
  if (bytes.empty()) Fail("{}: empty file", name);
  if (bytes.size() < 8) Fail("{}: truncated safetensors file ({} bytes)", name, bytes.size());
  uint64_t len = 0;
  for (int i = 7; i >= 0; --i) len = (len << 8) | static_cast<unsigned char>(bytes[i]);
  if (len > bytes.size() - 8) {
    Fail("{}: header length {} runs past the end of the file ({} bytes)", name, len, bytes.size());
  }
  if (len > kMaxHeaderBytes) Fail("{}: header length {} is absurd", name, len);
  const std::string_view text = std::string_view(bytes).substr(8, len);
  *buffer = std::string_view(bytes).substr(8 + len);
  const nlohmann::json header =
      nlohmann::json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (header.is_discarded()) Fail("{}: header is not valid JSON", name);
  if (!header.is_object()) Fail("{}: header is a JSON {}, not an object", name, header.type_name());
  std::map<std::string, RawTensor> tensors;
  for (const auto& [key, entry] : header.items()) {
    if (key == "__metadata__") {
      if (!entry.is_object())
        Fail("{}: __metadata__ is a {}, not an object", name, entry.type_name());
      continue;
    }
    tensors.emplace(key, ParseEntry(key, entry, buffer->size(), name));
  }
  std::vector<const RawTensor*> all;
  for (const auto& entry : tensors) all.push_back(&entry.second);
  CheckNoOverlap(std::move(all), name);
  return tensors;
}

// --- the nn.LSTM state_dict --------------------------------------------------------------------

constexpr std::string_view kKinds[] = {"weight_ih", "weight_hh", "bias_ih", "bias_hh"};
// nn.LSTM(proj_size > 0) adds this projection of h, which the datapath does not have.
constexpr std::string_view kProjection = "weight_hr";

struct LstmKey {
  std::string prefix;  // "" or a module path ending in '.' ("lstm.", "encoder.rnn.")
  std::string kind;
  int layer = 0;
  int dir = 0;  // 1: "_reverse"
};

// Recognises "{prefix}{kind}_l{layer}[_reverse]" as nn.Module.state_dict names them. Other
// names are not LSTM tensors (nullopt); an LSTM name with a malformed layer number is an error.
std::optional<LstmKey> ParseKey(std::string_view key, const std::string& name) {
  LstmKey k;
  std::string_view rest = key;
  constexpr std::string_view kReverse = "_reverse";
  if (rest.ends_with(kReverse)) {
    k.dir = 1;
    rest.remove_suffix(kReverse.size());
  }
  size_t marker = rest.size();  // where the layer number starts
  while (marker > 0 && rest[marker - 1] >= '0' && rest[marker - 1] <= '9') --marker;
  if (marker == rest.size() || !rest.substr(0, marker).ends_with("_l")) return std::nullopt;
  const std::string_view number = rest.substr(marker);
  rest = rest.substr(0, marker - 2);
  std::string_view kind;
  for (std::string_view candidate : {kKinds[0], kKinds[1], kKinds[2], kKinds[3], kProjection}) {
    if (rest.ends_with(candidate)) kind = candidate;
  }
  if (kind.empty()) return std::nullopt;
  rest.remove_suffix(kind.size());
  if (!rest.empty() && !rest.ends_with('.')) return std::nullopt;  // "my_weight_ih_l0"
  if (kind == kProjection) {
    Fail("{}: tensor '{}' belongs to an LSTM with proj_size; proj_size is not supported", name,
         Printable(key));
  }
  if (number.size() > 4 || (number.size() > 1 && number[0] == '0')) {
    Fail("{}: tensor '{}' has a malformed or absurd layer number '{}'", name, Printable(key),
         number);
  }
  k.prefix = std::string(rest);
  k.kind = std::string(kind);
  for (char c : number) k.layer = k.layer * 10 + (c - '0');
  return k;
}

// The LSTM tensors of the file, by (kind, layer, direction), all under one prefix.
class LstmTensors {
 public:
  LstmTensors(const std::map<std::string, RawTensor>& tensors, const std::string& name)
      : name_(name) {
    std::map<std::string, std::map<Slot, const RawTensor*>> by_prefix;
    for (const auto& [key, t] : tensors) {
      if (auto k = ParseKey(key, name)) by_prefix[k->prefix][{k->kind, k->layer, k->dir}] = &t;
    }
    if (by_prefix.empty()) {
      Fail("{}: no nn.LSTM tensors (weight_ih_l0, weight_hh_l0, ...) in the file", name);
    }
    if (by_prefix.size() > 1) {
      // The first few are enough to tell the user which modules hold LSTMs.
      constexpr size_t kMaxListed = 8;
      std::vector<std::string> prefixes;
      for (const auto& entry : by_prefix) {
        if (prefixes.size() == kMaxListed) {
          prefixes.push_back("...");
          break;
        }
        prefixes.push_back(fmt::format("'{}'", Printable(entry.first)));
      }
      Fail("{}: tensors of several LSTMs (prefixes {}); keep one per file", name,
           fmt::join(prefixes, ", "));
    }
    prefix_ = by_prefix.begin()->first;
    slots_ = std::move(by_prefix.begin()->second);
  }

  // Layers, directions and bias as the names imply (the highest layer number, any _reverse,
  // any bias). Every tensor of that shape is then required, so a missing one is reported by
  // name and none can be left over.
  LstmShape NamedShape() const {
    LstmShape s;
    int max_layer = 0;
    s.bidirectional = s.has_bias = false;
    for (const auto& [slot, t] : slots_) {
      const auto& [kind, layer, dir] = slot;
      max_layer = std::max(max_layer, layer);
      s.bidirectional |= dir == 1;
      s.has_bias |= kind.starts_with("bias");
    }
    if (max_layer >= kMaxLayers) {
      Fail("{}: layer number {} is beyond the limit of {} layers", name_, max_layer, kMaxLayers);
    }
    s.num_layers = max_layer + 1;
    return s;
  }

  std::string FullName(std::string_view kind, int layer, int dir) const {
    return fmt::format("{}{}_l{}{}", Printable(prefix_), kind, layer, dir ? "_reverse" : "");
  }

  // The tensor, present and loadable; shape checks are the caller's.
  const RawTensor& Get(std::string_view kind, int layer, int dir) const {
    const auto it = slots_.find({std::string(kind), layer, dir});
    if (it == slots_.end()) Fail("{}: missing tensor '{}'", name_, FullName(kind, layer, dir));
    const RawTensor& t = *it->second;
    if (!t.dtype->loadable) {
      Fail("{}: tensor '{}' has dtype {}; only F32, F16 and BF16 are supported", name_, t.name,
           t.dtype->name);
    }
    return t;
  }

  void ExpectShape(const RawTensor& t, const std::vector<int64_t>& shape,
                   std::string_view meaning) const {
    if (t.shape != shape) {
      Fail("{}: tensor '{}' has shape {}, expected {} {}", name_, t.name, ShapeToString(t.shape),
           ShapeToString(shape), meaning);
    }
  }

 private:
  using Slot = std::tuple<std::string, int, int>;
  const std::string& name_;
  std::string prefix_;
  std::map<Slot, const RawTensor*> slots_;
};

// Sizes come from layer 0: hidden from weight_hh_l0 (4H, H), input from weight_ih_l0 (4H, I).
void InferSizes(const LstmTensors& lstm, LstmShape* s, const std::string& name) {
  const RawTensor& hh = lstm.Get("weight_hh", 0, 0);
  if (hh.shape.size() != 2 || hh.shape[1] < 1 || hh.shape[0] != 4 * hh.shape[1]) {
    Fail("{}: tensor '{}' has shape {}, expected (4*hidden, hidden) with hidden >= 1", name,
         hh.name, ShapeToString(hh.shape));
  }
  s->hidden_size = hh.shape[1];
  const RawTensor& ih = lstm.Get("weight_ih", 0, 0);
  if (ih.shape.size() != 2 || ih.shape[1] < 1) {
    Fail("{}: tensor '{}' has shape {}, expected (4*hidden, input) with input >= 1", name, ih.name,
         ShapeToString(ih.shape));
  }
  s->input_size = ih.shape[1];
  if (s->hidden_size > kMaxModelDim || s->input_size > kMaxModelDim) {
    Fail("{}: input size {} or hidden size {} is beyond the limit of {}", name, s->input_size,
         s->hidden_size, kMaxModelDim);
  }
}

}  // namespace

LstmModel ParseSafetensors(const std::string& bytes, const std::string& name) {
  std::string_view buffer;
  const std::map<std::string, RawTensor> tensors = ParseHeader(bytes, name, &buffer);
  const LstmTensors lstm(tensors, name);

  LstmModel model;
  model.name = std::filesystem::path(name).stem().string();
  model.source = name;
  model.default_steps = 0;
  LstmShape& s = model.shape;
  s = lstm.NamedShape();
  InferSizes(lstm, &s, name);
  // Every tensor of every layer and direction is required, its shape checked against the
  // sizes layer 0 gave, before it is decoded.
  for (int layer = 0; layer < s.num_layers; ++layer) {
    for (int dir = 0; dir < s.directions(); ++dir) {
      const int64_t rows = s.GateRows();
      CellWeights& c = model.cells.emplace_back();
      const RawTensor& ih = lstm.Get("weight_ih", layer, dir);
      lstm.ExpectShape(ih, {rows, s.LayerInputSize(layer)},
                       layer == 0 ? "(4*hidden, input)" : "(4*hidden, directions*hidden)");
      const RawTensor& hh = lstm.Get("weight_hh", layer, dir);
      lstm.ExpectShape(hh, {rows, s.hidden_size}, "(4*hidden, hidden)");
      c.w_ih = Decode(buffer, ih);
      c.w_hh = Decode(buffer, hh);
      if (!s.has_bias) continue;
      const RawTensor& bih = lstm.Get("bias_ih", layer, dir);
      const RawTensor& bhh = lstm.Get("bias_hh", layer, dir);
      lstm.ExpectShape(bih, {rows}, "(4*hidden,)");
      lstm.ExpectShape(bhh, {rows}, "(4*hidden,)");
      c.b_ih = Decode(buffer, bih);
      c.b_hh = Decode(buffer, bhh);
    }
  }
  model.Validate();
  return model;
}

LstmModel LoadSafetensors(const std::string& path) {
  return ParseSafetensors(ReadFileBytes(path), path);
}

void SaveSafetensors(const std::string& path, const LstmModel& model) {
  nlohmann::json header = nlohmann::json::object();
  std::string data;
  const LstmShape& s = model.shape;
  if (static_cast<int>(model.cells.size()) != s.num_cells()) {
    Fail("{}: model has {} weight sets for {} cells", path, model.cells.size(), s.num_cells());
  }
  auto add = [&](const std::string& key, const std::vector<float>& v,
                 const std::vector<int64_t>& shape) {
    if (static_cast<int64_t>(v.size()) != CheckedNumElements(shape, path)) {
      Fail("{}: tensor '{}' has {} values, not shape {}", path, key, v.size(),
           ShapeToString(shape));
    }
    header[key] = {{"dtype", "F32"},
                   {"shape", shape},
                   {"data_offsets", {data.size(), data.size() + v.size() * sizeof(float)}}};
    data.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
  };
  for (int layer = 0; layer < s.num_layers; ++layer) {
    for (int dir = 0; dir < s.directions(); ++dir) {
      const CellWeights& c = model.cell(layer, dir);
      const std::string suffix = fmt::format("_l{}{}", layer, dir ? "_reverse" : "");
      add("weight_ih" + suffix, c.w_ih, {s.GateRows(), s.LayerInputSize(layer)});
      add("weight_hh" + suffix, c.w_hh, {s.GateRows(), s.hidden_size});
      if (s.has_bias) {
        add("bias_ih" + suffix, c.b_ih, {s.GateRows()});
        add("bias_hh" + suffix, c.b_hh, {s.GateRows()});
      }
    }
  }
  std::string text = header.dump();
  // As the reference writer does: spaces up to a multiple of 8, so the data is 8-byte aligned.
  text.append((8 - text.size() % 8) % 8, ' ');
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((text.size() >> (8 * i)) & 0xff);
  WriteFileBytes(path, out + text + data);
}

}  // namespace sbe
