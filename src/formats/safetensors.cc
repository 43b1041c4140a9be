// safetensors files holding an nn.LSTM state_dict: a checked reader and a float32 writer.
#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>

#include <fmt/ranges.h>

#include "sbe/error.h"
#include "sbe/formats.h"

namespace sbe {
namespace {

// A header larger than this is not an LSTM state_dict (each entry is ~100 bytes).
constexpr uint64_t kMaxHeaderBytes = 100 << 20;

struct RawTensor {
  std::string dtype;
  std::vector<int64_t> shape;
  uint64_t begin = 0, end = 0;
};

float HalfToFloat(uint16_t h) {
  const uint32_t sign = (h >> 15) & 1, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  float magnitude;
  if (exp == 0) {
    magnitude = std::ldexp(static_cast<float>(mant), -24);  // zero and subnormals
  } else if (exp == 31) {
    magnitude = mant ? std::numeric_limits<float>::quiet_NaN() : std::numeric_limits<float>::infinity();
  } else {
    magnitude = std::ldexp(static_cast<float>(mant | 0x400), static_cast<int>(exp) - 25);
  }
  return sign ? -magnitude : magnitude;
}

float BFloat16ToFloat(uint16_t b) {
  const uint32_t bits = static_cast<uint32_t>(b) << 16;  // bfloat16 is float32's top half
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

std::vector<float> Decode(const std::string& bytes, size_t base, const RawTensor& t) {
  const size_t n = (t.end - t.begin) / (t.dtype == "F32" ? 4 : 2);
  std::vector<float> out(n);
  const char* p = bytes.data() + base + t.begin;
  if (t.dtype == "F32") {
    std::memcpy(out.data(), p, n * 4);
    return out;
  }
  for (size_t i = 0; i < n; ++i) {
    uint16_t v;
    std::memcpy(&v, p + 2 * i, 2);
    out[i] = t.dtype == "F16" ? HalfToFloat(v) : BFloat16ToFloat(v);
  }
  return out;
}

std::map<std::string, RawTensor> ParseHeader(const std::string& bytes, const std::string& name,
                                             size_t* base) {
  if (bytes.size() < 8) Fail("{}: truncated safetensors file ({} bytes)", name, bytes.size());
  uint64_t len = 0;
  for (int i = 7; i >= 0; --i) len = (len << 8) | static_cast<unsigned char>(bytes[i]);
  if (len > kMaxHeaderBytes || len > bytes.size() - 8) {
    Fail("{}: header length {} runs past the end of the file ({} bytes)", name, len, bytes.size());
  }
  *base = 8 + static_cast<size_t>(len);
  const nlohmann::json header =
      nlohmann::json::parse(bytes.begin() + 8, bytes.begin() + static_cast<std::ptrdiff_t>(*base),
                            nullptr, /*allow_exceptions=*/false);
  if (header.is_discarded()) Fail("{}: header is not valid JSON", name);
  if (!header.is_object()) Fail("{}: header is not a JSON object", name);
  const uint64_t buffer = bytes.size() - *base;
  std::map<std::string, RawTensor> tensors;
  for (const auto& [key, entry] : header.items()) {
    if (key == "__metadata__") {
      if (!entry.is_object()) Fail("{}: __metadata__ is not an object", name);
      continue;
    }
    if (!entry.is_object() || !entry.contains("dtype") || !entry["dtype"].is_string() ||
        !entry.contains("shape") || !entry["shape"].is_array() ||
        !entry.contains("data_offsets") || !entry["data_offsets"].is_array() ||
        entry["data_offsets"].size() != 2) {
      Fail("{}: tensor '{}' needs dtype, shape and data_offsets [begin, end]", name, key);
    }
    RawTensor t;
    t.dtype = entry["dtype"].get<std::string>();
    for (const auto& d : entry["shape"]) {
      if (!d.is_number_unsigned()) Fail("{}: tensor '{}' has a bad dimension {}", name, key, d.dump());
      t.shape.push_back(static_cast<int64_t>(std::min<uint64_t>(d.get<uint64_t>(), uint64_t{1} << 62)));
    }
    for (const auto& o : entry["data_offsets"]) {
      if (!o.is_number_unsigned()) Fail("{}: tensor '{}' has a bad data offset {}", name, key, o.dump());
    }
    t.begin = entry["data_offsets"][0].get<uint64_t>();
    t.end = entry["data_offsets"][1].get<uint64_t>();
    if (t.begin > t.end || t.end > buffer) {
      Fail("{}: tensor '{}' data offsets [{}, {}] fall outside the {}-byte buffer", name, key,
           t.begin, t.end, buffer);
    }
    size_t item = 0;
    if (t.dtype == "F32") {
      item = 4;
    } else if (t.dtype == "F16" || t.dtype == "BF16") {
      item = 2;
    } else {
      Fail("{}: tensor '{}' has dtype {}; only F32, F16 and BF16 are supported", name, key, t.dtype);
    }
    const int64_t n = CheckedNumElements(t.shape, name + ": tensor '" + key + "'");
    if (t.end - t.begin != static_cast<uint64_t>(n) * item) {
      Fail("{}: tensor '{}' has {} bytes for shape {} of {}", name, key, t.end - t.begin,
           ShapeToString(t.shape), t.dtype);
    }
    tensors[key] = t;
  }
  // Overlapping tensors would alias each other's data: a corrupt or hostile file.
  std::vector<std::pair<uint64_t, std::string>> starts;
  for (const auto& [key, t] : tensors) {
    if (t.end > t.begin) starts.emplace_back(t.begin, key);
  }
  std::sort(starts.begin(), starts.end());
  for (size_t i = 1; i < starts.size(); ++i) {
    const RawTensor& prev = tensors[starts[i - 1].second];
    if (prev.end > starts[i].first) {
      Fail("{}: tensors '{}' and '{}' overlap in the data buffer", name, starts[i - 1].second,
           starts[i].second);
    }
  }
  return tensors;
}

struct LstmKey {
  std::string prefix, kind;  // kind: weight_ih, weight_hh, bias_ih, bias_hh, weight_hr
  int layer = 0;
  int dir = 0;
};

std::optional<LstmKey> ParseKey(const std::string& key) {
  static const std::regex pattern(R"(^(.*?)(weight_ih|weight_hh|bias_ih|bias_hh|weight_hr)_l(\d{1,4})(_reverse)?$)");
  std::smatch m;
  if (!std::regex_match(key, m, pattern)) return std::nullopt;
  return LstmKey{m[1], m[2], std::stoi(m[3]), m[4].matched ? 1 : 0};
}

}  // namespace

LstmModel ParseSafetensors(const std::string& bytes, const std::string& name) {
  size_t base = 0;
  const std::map<std::string, RawTensor> tensors = ParseHeader(bytes, name, &base);
  std::map<std::string, std::map<std::tuple<std::string, int, int>, std::string>> by_prefix;
  for (const auto& [key, t] : tensors) {
    if (auto k = ParseKey(key)) {
      if (k->kind == "weight_hr") {
        Fail("{}: tensor '{}' belongs to an LSTM with proj_size, which is not supported", name, key);
      }
      by_prefix[k->prefix][{k->kind, k->layer, k->dir}] = key;
    }
  }
  if (by_prefix.empty()) {
    Fail("{}: no nn.LSTM tensors (weight_ih_l0, weight_hh_l0, ...) in the file", name);
  }
  if (by_prefix.size() > 1) {
    std::vector<std::string> prefixes;
    for (const auto& entry : by_prefix) prefixes.push_back("'" + entry.first + "'");
    Fail("{}: tensors of several LSTMs (prefixes {}); keep one per file", name,
         fmt::join(prefixes, ", "));
  }
  // Plain references, not a structured binding: clang 14 cannot capture those in lambdas.
  const std::string& prefix = by_prefix.begin()->first;
  const auto& keys = by_prefix.begin()->second;
  auto find = [&](const std::string& kind, int layer, int dir) -> const std::string* {
    const auto it = keys.find({kind, layer, dir});
    return it == keys.end() ? nullptr : &it->second;
  };
  auto require = [&](const std::string& kind, int layer, int dir) -> const RawTensor& {
    const std::string* key = find(kind, layer, dir);
    if (!key) {
      Fail("{}: missing tensor '{}{}_l{}{}'", name, prefix, kind, layer, dir ? "_reverse" : "");
    }
    return tensors.at(*key);
  };

  LstmModel model;
  model.name = std::filesystem::path(name).stem().string();
  model.source = name;
  LstmShape& s = model.shape;
  while (find("weight_ih", s.num_layers, 0) || find("weight_hh", s.num_layers, 0)) {
    if (++s.num_layers > kMaxLayers) Fail("{}: more than {} layers", name, kMaxLayers);
  }
  if (s.num_layers == 0) Fail("{}: missing tensor '{}weight_ih_l0'", name, prefix);
  s.bidirectional = find("weight_ih", 0, 1) || find("weight_hh", 0, 1);
  s.has_bias = find("bias_ih", 0, 0) || find("bias_hh", 0, 0);
  const RawTensor& hh0 = require("weight_hh", 0, 0);
  const RawTensor& ih0 = require("weight_ih", 0, 0);
  if (hh0.shape.size() != 2 || hh0.shape[0] % 4 != 0 || hh0.shape[0] != 4 * hh0.shape[1]) {
    Fail("{}: {}weight_hh_l0 has shape {}, expected (4*hidden, hidden)", name, prefix,
         ShapeToString(hh0.shape));
  }
  if (ih0.shape.size() != 2) {
    Fail("{}: {}weight_ih_l0 has shape {}, expected (4*hidden, input)", name, prefix,
         ShapeToString(ih0.shape));
  }
  s.hidden_size = hh0.shape[1];
  s.input_size = ih0.shape[1];
  if (s.hidden_size < 1 || s.hidden_size > kMaxModelDim || s.input_size < 1 ||
      s.input_size > kMaxModelDim) {
    Fail("{}: sizes input {} and hidden {} must lie in [1, {}]", name, s.input_size,
         s.hidden_size, kMaxModelDim);
  }
  size_t used = 0;
  for (int layer = 0; layer < s.num_layers; ++layer) {
    for (int dir = 0; dir < s.directions(); ++dir) {
      const std::vector<std::pair<std::string, std::vector<int64_t>>> expected = {
          {"weight_ih", {s.GateRows(), s.LayerInputSize(layer)}},
          {"weight_hh", {s.GateRows(), s.hidden_size}},
          {"bias_ih", {s.GateRows()}},
          {"bias_hh", {s.GateRows()}}};
      CellWeights c;
      std::vector<float>* slots[] = {&c.w_ih, &c.w_hh, &c.b_ih, &c.b_hh};
      for (size_t k = 0; k < expected.size(); ++k) {
        const auto& [kind, shape] = expected[k];
        if (k >= 2 && !s.has_bias) {
          if (find(kind, layer, dir)) {
            Fail("{}: '{}{}_l{}{}' present but layer 0 has no bias", name, prefix, kind, layer,
                 dir ? "_reverse" : "");
          }
          continue;
        }
        const RawTensor& t = require(kind, layer, dir);
        if (t.shape != shape) {
          Fail("{}: '{}{}_l{}{}' has shape {}, expected {}", name, prefix, kind, layer,
               dir ? "_reverse" : "", ShapeToString(t.shape), ShapeToString(shape));
        }
        *slots[k] = Decode(bytes, base, t);
        ++used;
      }
      model.cells.push_back(std::move(c));
    }
  }
  if (used != keys.size()) {
    for (const auto& [k, key] : keys) {
      const auto& [kind, layer, dir] = k;
      if (layer >= s.num_layers || dir >= s.directions()) {
        Fail("{}: tensor '{}' does not fit a {}-layer {} LSTM", name, key, s.num_layers,
             s.bidirectional ? "bidirectional" : "unidirectional");
      }
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
  for (int layer = 0; layer < s.num_layers; ++layer) {
    for (int dir = 0; dir < s.directions(); ++dir) {
      const CellWeights& c = model.cell(layer, dir);
      const std::string suffix = fmt::format("_l{}{}", layer, dir ? "_reverse" : "");
      auto add = [&](const std::string& kind, const std::vector<float>& v,
                     std::vector<int64_t> shape) {
        header[kind + suffix] = {{"dtype", "F32"},
                                 {"shape", shape},
                                 {"data_offsets", {data.size(), data.size() + v.size() * 4}}};
        data.append(reinterpret_cast<const char*>(v.data()), v.size() * 4);
      };
      add("weight_ih", c.w_ih, {s.GateRows(), s.LayerInputSize(layer)});
      add("weight_hh", c.w_hh, {s.GateRows(), s.hidden_size});
      if (s.has_bias) {
        add("bias_ih", c.b_ih, {s.GateRows()});
        add("bias_hh", c.b_hh, {s.GateRows()});
      }
    }
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // the reference writer aligns data to 8 bytes
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((text.size() >> (8 * i)) & 0xff);
  out += text;
  out += data;
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) Fail("{}: cannot open for writing", path);
  f.write(out.data(), static_cast<std::streamsize>(out.size()));
  if (!f) Fail("{}: write error", path);
}

}  // namespace sbe
