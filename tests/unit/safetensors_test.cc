// The safetensors reader and writer: round trips, half-precision conversion, the nn.LSTM
// state_dict mapping, and every kind of bad file.
#include <gtest/gtest.h>

#include <bit>
#include <chrono>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "expect_error.h"
#include "sbe/error.h"
#include "sbe/formats.h"
#include "sbe/presets.h"
#include "test_util.h"

namespace sbe {
namespace {

using testing::TempPath;
using testing::ThrowsError;
using testing::WriteBytes;

template <typename T>
std::string Bytes(const std::vector<T>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}

// A safetensors image built tensor by tensor, laid out back to back as the reference writer
// lays them out; tests then break what they test.
class StateDict {
 public:
  StateDict& Add(const std::string& key, const std::string& dtype, std::vector<int64_t> shape,
                 const std::string& data) {
    header_[key] = {{"dtype", dtype},
                    {"shape", shape},
                    {"data_offsets", {data_.size(), data_.size() + data.size()}}};
    data_ += data;
    return *this;
  }
  // float32 values; by default small distinct ones, as many as the shape holds.
  StateDict& AddF32(const std::string& key, std::vector<int64_t> shape,
                    std::vector<float> values = {}) {
    if (values.empty()) {
      int64_t n = 1;
      for (int64_t d : shape) n *= d;
      for (int64_t i = 0; i < n; ++i) values.push_back(0.01f * static_cast<float>(i % 50) - 0.2f);
    }
    return Add(key, "F32", std::move(shape), Bytes(values));
  }
  StateDict& AddF16(const std::string& key, std::vector<int64_t> shape,
                    const std::vector<uint16_t>& halves, const std::string& dtype = "F16") {
    return Add(key, dtype, std::move(shape), Bytes(halves));
  }
  // A complete nn.LSTM state_dict with every tensor under `prefix`.
  StateDict& AddLstm(const LstmModel& m, const std::string& prefix = "") {
    const LstmShape& s = m.shape;
    for (int layer = 0; layer < s.num_layers; ++layer) {
      for (int dir = 0; dir < s.directions(); ++dir) {
        const CellWeights& c = m.cell(layer, dir);
        const std::string suffix = "_l" + std::to_string(layer) + (dir ? "_reverse" : "");
        AddF32(prefix + "weight_ih" + suffix, {s.GateRows(), s.LayerInputSize(layer)}, c.w_ih);
        AddF32(prefix + "weight_hh" + suffix, {s.GateRows(), s.hidden_size}, c.w_hh);
        if (!s.has_bias) continue;
        AddF32(prefix + "bias_ih" + suffix, {s.GateRows()}, c.b_ih);
        AddF32(prefix + "bias_hh" + suffix, {s.GateRows()}, c.b_hh);
      }
    }
    return *this;
  }
  nlohmann::json& header() { return header_; }
  std::string& data() { return data_; }

  std::string Image() const { return WithLength(header_.dump()) + data_; }
  LstmModel Parse(const std::string& name) const { return ParseSafetensors(Image(), name); }

  // The 8-byte little-endian length and the header text.
  static std::string WithLength(const std::string& text) {
    std::string out(8, '\0');
    for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((text.size() >> (8 * i)) & 0xff);
    return out + text;
  }

 private:
  nlohmann::json header_ = nlohmann::json::object();
  std::string data_;
};

// weight_ih_l0 (4, 3) and weight_hh_l0 (4, 1): the smallest valid LSTM (I = 3, H = 1).
StateDict Minimal() {
  StateDict sd;
  sd.AddF32("weight_ih_l0", {4, 3}).AddF32("weight_hh_l0", {4, 1});
  return sd;
}

void ExpectSameModel(const LstmModel& got, const LstmModel& want) {
  EXPECT_EQ(got.shape.ToString(), want.shape.ToString());
  ASSERT_EQ(got.cells.size(), want.cells.size());
  for (size_t c = 0; c < want.cells.size(); ++c) {
    EXPECT_EQ(got.cells[c].w_ih, want.cells[c].w_ih) << c;
    EXPECT_EQ(got.cells[c].w_hh, want.cells[c].w_hh) << c;
    EXPECT_EQ(got.cells[c].b_ih, want.cells[c].b_ih) << c;
    EXPECT_EQ(got.cells[c].b_hh, want.cells[c].b_hh) << c;
  }
}

// Half-precision value of every bit pattern, computed from the definition in double precision
// (a different route from the reader's bit manipulation).
double HalfByDefinition(uint16_t h) {
  const int exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff;
  const double magnitude =
      exponent == 0 ? std::ldexp(mantissa, -24) : std::ldexp(1024 + mantissa, exponent - 25);
  return (h & 0x8000) ? -magnitude : magnitude;
}

// --- round trips and the mapping ------------------------------------------------------------

TEST(SafetensorsModel, RoundTripsKeepEveryWeight) {
  const std::vector<LstmShape> shapes = {{5, 3, 2, true, true},
                                         {4, 2, 1, false, false},
                                         {3, 4, 3, false, true},
                                         {1, 1, 1, true, false}};
  for (const LstmShape& shape : shapes) {
    const LstmModel m = MakeRandomModel(shape, 9, "m");
    const std::string path = TempPath("stack.safetensors");
    SaveSafetensors(path, m);
    const LstmModel r = LoadSafetensors(path);
    ExpectSameModel(r, m);
    EXPECT_EQ(r.name, "stack");
    EXPECT_EQ(r.source, path);
    EXPECT_EQ(r.default_steps, 0);
  }
}

TEST(SafetensorsModel, SaveWritesTheReferenceLayout) {
  const LstmModel m = MakeRandomModel({5, 3, 2, true, true}, 4, "m");
  const std::string path = TempPath("layout.safetensors");
  SaveSafetensors(path, m);
  const std::string bytes = ReadFileBytes(path);
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(bytes[i]);
  EXPECT_EQ(n % 8, 0u) << "header padded to 8 bytes, as the reference writer pads it";
  const nlohmann::json header = nlohmann::json::parse(bytes.substr(8, n));
  // Tensors tile the buffer exactly, in float32, with nn.LSTM's names.
  uint64_t total = 0;
  for (const auto& [key, entry] : header.items()) {
    EXPECT_EQ(entry["dtype"], "F32") << key;
    total += entry["data_offsets"][1].get<uint64_t>() - entry["data_offsets"][0].get<uint64_t>();
  }
  EXPECT_EQ(header.size(), 16u);
  EXPECT_TRUE(header.contains("bias_hh_l1_reverse"));
  EXPECT_EQ(8 + n + total, bytes.size());
}

TEST(SafetensorsModel, FindsTheLstmInsideABiggerStateDict) {
  const LstmModel m = MakeRandomModel({3, 2, 2, false, true}, 1, "m");
  for (const std::string prefix : {"lstm.", "encoder.rnn."}) {
    StateDict sd;
    sd.AddLstm(m, prefix)
        .AddF32("fc.weight", {2, 3})
        .Add("bn.num_batches_tracked", "I64", {}, std::string(8, '\0'))
        .Add("head.table", "F64", {2}, std::string(16, '\0'))
        .AddF32("my_weight_ih_l0", {1});  // not an nn.LSTM name: no '.' before it
    sd.header()["__metadata__"] = {{"format", "pt"}};
    ExpectSameModel(sd.Parse("big.safetensors"), m);
  }
}

TEST(SafetensorsModel, RefusesSeveralLstmsListingTheirPrefixes) {
  const LstmModel m = MakeRandomModel({3, 2, 1, false, true}, 1, "m");
  StateDict sd;
  sd.AddLstm(m, "enc.").AddLstm(m, "dec.");
  EXPECT_TRUE(ThrowsError([&] { sd.Parse("two.safetensors"); }, "two.safetensors",
                          "several LSTMs (prefixes 'dec.', 'enc.')"));
}

// --- half precision -------------------------------------------------------------------------

TEST(SafetensorsHalf, EveryFiniteFloat16ConvertsExactly) {
  // All 63488 finite halves, in order, as weight_ih (4, 15872) of an LSTM with I = 15872, H = 1.
  std::vector<uint16_t> halves;
  for (uint32_t h = 0; h < 65536; ++h) {
    if (((h >> 10) & 0x1f) != 0x1f) halves.push_back(static_cast<uint16_t>(h));
  }
  ASSERT_EQ(halves.size(), 4u * 15872);
  StateDict sd;
  sd.AddF16("weight_ih_l0", {4, 15872}, halves).AddF32("weight_hh_l0", {4, 1});
  const LstmModel m = sd.Parse("all_f16.safetensors");
  for (size_t i = 0; i < halves.size(); ++i) {
    const double want = HalfByDefinition(halves[i]);
    ASSERT_EQ(static_cast<double>(m.cells[0].w_ih[i]), want) << std::hex << halves[i];
    ASSERT_EQ(std::signbit(m.cells[0].w_ih[i]), std::signbit(want)) << std::hex << halves[i];
  }
}

TEST(SafetensorsHalf, EveryFiniteBFloat16ConvertsExactly) {
  std::vector<uint16_t> values;
  for (uint32_t b = 0; b < 65536; ++b) {
    if (((b >> 7) & 0xff) != 0xff) values.push_back(static_cast<uint16_t>(b));
  }
  ASSERT_EQ(values.size(), 4u * 16320);
  StateDict sd;
  sd.AddF16("weight_ih_l0", {4, 16320}, values, "BF16").AddF32("weight_hh_l0", {4, 1});
  const LstmModel m = sd.Parse("all_bf16.safetensors");
  for (size_t i = 0; i < values.size(); ++i) {
    // bfloat16 by definition: sign, 8 exponent bits with float32's bias, 7 mantissa bits.
    const int exponent = (values[i] >> 7) & 0xff, mantissa = values[i] & 0x7f;
    double want =
        exponent == 0 ? std::ldexp(mantissa, -133) : std::ldexp(128 + mantissa, exponent - 134);
    if (values[i] & 0x8000) want = -want;
    ASSERT_EQ(static_cast<double>(m.cells[0].w_ih[i]), want) << std::hex << values[i];
  }
}

TEST(SafetensorsHalf, HandWrittenFloat16StateDict) {
  // nn.LSTM(2, 1) saved in half precision: weight_ih (4, 2), weight_hh (4, 1), both biases.
  StateDict sd;
  sd.AddF16("weight_ih_l0", {4, 2},
            {0x3c00, 0xc100, 0x0001, 0x8000, 0x7bff, 0x3555, 0x0400, 0x83ff})
      .AddF16("weight_hh_l0", {4, 1}, {0x3800, 0xb800, 0x4248, 0x0000})
      .AddF16("bias_ih_l0", {4}, {0x2e66, 0x3c01, 0xfbff, 0x0200})
      .AddF16("bias_hh_l0", {4}, {0x3c00, 0x3c00, 0x3c00, 0x3c00});
  const LstmModel m = sd.Parse("half.safetensors");
  EXPECT_EQ(m.shape.ToString(), (LstmShape{2, 1, 1, false, true}).ToString());
  const CellWeights& c = m.cells[0];
  EXPECT_EQ(c.w_ih, (std::vector<float>{1.0f, -2.5f, std::ldexp(1.0f, -24), -0.0f, 65504.0f,
                                        0.333251953125f, std::ldexp(1.0f, -14),
                                        -1023 * std::ldexp(1.0f, -24)}));
  EXPECT_TRUE(std::signbit(c.w_ih[3])) << "negative zero keeps its sign";
  EXPECT_EQ(c.w_hh, (std::vector<float>{0.5f, -0.5f, 3.140625f, 0.0f}));
  EXPECT_EQ(c.b_ih, (std::vector<float>{std::ldexp(1638.0f, -14), 1.0009765625f, -65504.0f,
                                        std::ldexp(1.0f, -15)}));
  EXPECT_EQ(c.b_hh, std::vector<float>(4, 1.0f));
}

TEST(SafetensorsHalf, HandWrittenBFloat16Values) {
  StateDict sd;
  sd.AddF16("weight_ih_l0", {4, 1}, {0x3f80, 0xbe20, 0x0001, 0x7f7f}, "BF16")
      .AddF16("weight_hh_l0", {4, 1}, {0x4049, 0x8000, 0x3f80, 0x3f80}, "BF16");
  const LstmModel m = sd.Parse("bf16.safetensors");
  EXPECT_EQ(m.cells[0].w_ih, (std::vector<float>{1.0f, -0.15625f, std::ldexp(1.0f, -133),
                                                 std::bit_cast<float>(0x7f7f0000u)}));
  EXPECT_EQ(m.cells[0].w_hh, (std::vector<float>{3.140625f, -0.0f, 1.0f, 1.0f}));
  EXPECT_FALSE(m.shape.has_bias);
}

// --- refusals: the container ----------------------------------------------------------------

TEST(SafetensorsFile, RefusesMissingEmptyAndTruncatedFiles) {
  const std::string missing = TempPath("missing.safetensors");
  EXPECT_TRUE(ThrowsError([&] { LoadSafetensors(missing); }, missing, "no such file"));
  const std::string empty = TempPath("empty.safetensors");
  WriteBytes(empty, "");
  EXPECT_TRUE(ThrowsError([&] { LoadSafetensors(empty); }, empty, "empty"));
  EXPECT_TRUE(
      ThrowsError([&] { ParseSafetensors("", "e.safetensors"); }, "e.safetensors", "empty"));
  EXPECT_TRUE(ThrowsError([&] { ParseSafetensors("\x10\0\0", "t.safetensors"); }, "t.safetensors",
                          "truncated"));
  // Cut inside the header, then inside the data buffer.
  const std::string whole = Minimal().Image();
  const std::string cut = TempPath("cut.safetensors");
  WriteBytes(cut, whole.substr(0, 30));
  EXPECT_TRUE(ThrowsError([&] { LoadSafetensors(cut); }, cut, "runs past the end"));
  WriteBytes(cut, whole.substr(0, whole.size() - 1));
  EXPECT_TRUE(ThrowsError([&] { LoadSafetensors(cut); }, cut, "outside the"));
}

TEST(SafetensorsFile, RefusesHeaderLengthPastTheEnd) {
  EXPECT_TRUE(ThrowsError(
      [&] { ParseSafetensors(std::string("\xff\xff\xff\xff\0\0\0\0{}", 10), "len.st"); }, "len.st",
      "runs past the end"));
  EXPECT_TRUE(ThrowsError([&] { ParseSafetensors(std::string(8, '\xff') + "{}", "max.st"); },
                          "max.st", "runs past the end"));
}

TEST(SafetensorsFile, RefusesHeadersThatAreNotAJsonObject) {
  for (const std::string text : {"{no}", "{\"a\": 1,}", "{\"weight_ih_l0\": ", "\xff\xfe{}"}) {
    EXPECT_TRUE(ThrowsError([&] { ParseSafetensors(StateDict::WithLength(text), "json.st"); },
                            "json.st", "not valid JSON"))
        << text;
  }
  for (const std::string text : {"[]", "42", "\"x\"", "null"}) {
    EXPECT_TRUE(ThrowsError([&] { ParseSafetensors(StateDict::WithLength(text), "arr.st"); },
                            "arr.st", "not an object"))
        << text;
  }
  StateDict sd = Minimal();
  sd.header()["__metadata__"] = "pt";
  EXPECT_TRUE(ThrowsError([&] { sd.Parse("meta.st"); }, "meta.st", "__metadata__"));
}

TEST(SafetensorsFile, RefusesMalformedEntries) {
  const std::vector<std::pair<nlohmann::json, std::string>> cases = {
      {42, "not a JSON object"},
      {{{"shape", {4, 3}}, {"data_offsets", {0, 48}}}, "no string 'dtype'"},
      {{{"dtype", 32}, {"shape", {4, 3}}, {"data_offsets", {0, 48}}}, "no string 'dtype'"},
      {{{"dtype", "F32"}, {"shape", "4x3"}, {"data_offsets", {0, 48}}}, "no array 'shape'"},
      {{{"dtype", "F32"}, {"shape", {4, 3}}}, "data_offsets"},
      {{{"dtype", "F32"}, {"shape", {4, 3}}, {"data_offsets", {0, 24, 48}}}, "data_offsets"},
      {{{"dtype", "F32"}, {"shape", {4, -3}}, {"data_offsets", {0, 48}}}, "dimension"},
      {{{"dtype", "F32"}, {"shape", {4, 3.0}}, {"data_offsets", {0, 48}}}, "dimension"},
      {{{"dtype", "F32"}, {"shape", {4, 3}}, {"data_offsets", {-1, 48}}}, "data offset"},
      {{{"dtype", "F32"}, {"shape", {4, 3}}, {"data_offsets", {"0", 48}}}, "data offset"},
      {{{"dtype", "F128"}, {"shape", {4, 3}}, {"data_offsets", {0, 48}}}, "unknown dtype 'F128'"},
  };
  for (const auto& [entry, problem] : cases) {
    StateDict sd = Minimal();
    sd.header()["weight_ih_l0"] = entry;
    EXPECT_TRUE(ThrowsError([&] { sd.Parse("entry.st"); }, "entry.st", problem)) << entry.dump();
  }
}

TEST(SafetensorsFile, MessagesStayOneLineWhateverTheNamesHold) {
  StateDict sd = Minimal();
  sd.Add("evil\nname", "F128", {1}, "");
  EXPECT_TRUE(ThrowsError([&] { sd.Parse("evil.st"); }, "evil.st", "'evil\\x0aname'"));
  StateDict long_name = Minimal();
  long_name.Add(std::string(5000, 'a'), "F128", {1}, "");
  EXPECT_TRUE(ThrowsError([&] { long_name.Parse("long.st"); }, "long.st", "aaa..."));
}

TEST(SafetensorsFile, RefusesDataOffsetsOutOfRange) {
  // The buffer holds 64 bytes: weight_ih_l0 at [0, 48), weight_hh_l0 at [48, 64).
  for (const std::vector<uint64_t>& offsets : {std::vector<uint64_t>{48, 96},
                                               {100, 148},
                                               {48, 0},
                                               {uint64_t{1} << 63, (uint64_t{1} << 63) + 48}}) {
    StateDict sd = Minimal();
    sd.header()["weight_ih_l0"]["data_offsets"] = offsets;
    EXPECT_TRUE(ThrowsError([&] { sd.Parse("range.st"); }, "range.st", "outside the"));
  }
}

TEST(SafetensorsFile, RefusesByteCountsThatDoNotMatchTheShape) {
  StateDict sd = Minimal();
  sd.header()["weight_ih_l0"]["data_offsets"] = {0, 44};
  EXPECT_TRUE(ThrowsError([&] { sd.Parse("count.st"); }, "count.st", "needs 48"));
  StateDict f16 = Minimal();
  f16.header()["weight_ih_l0"]["dtype"] = "F16";  // 48 bytes would be 24 halves, not 12
  EXPECT_TRUE(ThrowsError([&] { f16.Parse("count16.st"); }, "count16.st", "needs 24"));
}

TEST(SafetensorsFile, RefusesOverlappingTensors) {
  StateDict sd = Minimal();
  sd.AddF32("bias_ih_l0", {4}).AddF32("bias_hh_l0", {4});
  sd.header()["bias_hh_l0"]["data_offsets"] = {40, 56};  // inside weight_ih_l0 and weight_hh_l0
  EXPECT_TRUE(ThrowsError([&] { sd.Parse("overlap.st"); }, "overlap.st", "overlap"));
  StateDict same = Minimal();
  same.AddF32("bias_ih_l0", {4}).AddF32("bias_hh_l0", {4});
  same.header()["bias_hh_l0"]["data_offsets"] = same.header()["bias_ih_l0"]["data_offsets"];
  EXPECT_TRUE(ThrowsError([&] { same.Parse("alias.st"); }, "alias.st", "overlap"));
}

TEST(SafetensorsFile, RefusesUnsupportedDtypesOfLstmTensors) {
  for (const std::string dtype : {"F64", "I64"}) {
    StateDict sd;
    sd.Add("weight_ih_l0", dtype, {4, 3}, std::string(96, '\0')).AddF32("weight_hh_l0", {4, 1});
    EXPECT_TRUE(ThrowsError([&] { sd.Parse("dtype.st"); }, "dtype.st",
                            "tensor 'weight_ih_l0' has dtype " + dtype));
  }
}

TEST(SafetensorsFile, RefusesAbsurdDimensionsQuickly) {
  const auto start = std::chrono::steady_clock::now();
  const int64_t big = int64_t{1} << 40;
  for (const std::vector<int64_t>& shape :
       {std::vector<int64_t>{big, big}, {0, big}, {int64_t{1} << 20, int64_t{1} << 20}}) {
    StateDict sd = Minimal();
    sd.header()["weight_ih_l0"]["shape"] = shape;
    const std::string problem = shape[1] == big ? "absurd dimension" : "elements";
    EXPECT_TRUE(ThrowsError([&] { sd.Parse("huge.st"); }, "huge.st", problem));
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
}

// --- refusals: the LSTM mapping -------------------------------------------------------------

TEST(SafetensorsModel, RefusesMissingTensorsNamingThem) {
  const LstmModel bi = MakeRandomModel({3, 2, 2, true, true}, 2, "m");
  for (const std::string key : {"weight_hh_l0", "weight_ih_l0", "bias_hh_l0",
                                "weight_ih_l1_reverse", "bias_ih_l1", "lstm.weight_hh_l1"}) {
    StateDict sd;
    sd.AddLstm(bi, key.starts_with("lstm.") ? "lstm." : "");
    sd.header().erase(key);
    EXPECT_TRUE(
        ThrowsError([&] { sd.Parse("missing.st"); }, "missing.st", "missing tensor '" + key + "'"));
  }
  // A gap in the layers, and biases in a deeper layer only.
  StateDict gap = Minimal();
  gap.AddF32("weight_ih_l2", {4, 1}).AddF32("weight_hh_l2", {4, 1});
  EXPECT_TRUE(ThrowsError([&] { gap.Parse("gap.st"); }, "gap.st", "missing tensor 'weight_ih_l1'"));
  StateDict late_bias = Minimal();
  late_bias.AddF32("weight_ih_l1", {4, 1}).AddF32("weight_hh_l1", {4, 1}).AddF32("bias_ih_l1", {4});
  EXPECT_TRUE(
      ThrowsError([&] { late_bias.Parse("bias.st"); }, "bias.st", "missing tensor 'bias_ih_l0'"));
  StateDict none;
  none.AddF32("fc.weight", {2, 2});
  EXPECT_TRUE(ThrowsError([&] { none.Parse("none.st"); }, "none.st", "no nn.LSTM tensors"));
}

TEST(SafetensorsModel, RefusesShapesInconsistentWithEachOther) {
  struct Case {
    StateDict dict;
    std::string problem;
  };
  std::vector<Case> cases;
  auto add = [&](std::vector<std::pair<std::string, std::vector<int64_t>>> tensors,
                 const std::string& problem) {
    StateDict sd;
    for (const auto& [key, shape] : tensors) sd.AddF32(key, shape);
    cases.push_back({sd, problem});
  };
  add({{"weight_ih_l0", {8, 3}}, {"weight_hh_l0", {6, 2}}},
      "'weight_hh_l0' has shape (6, 2), expected (4*hidden, hidden)");
  add({{"weight_ih_l0", {4, 3}}, {"weight_hh_l0", {4}}}, "'weight_hh_l0' has shape (4,)");
  add({{"weight_ih_l0", {0, 3}}, {"weight_hh_l0", {0, 0}}}, "hidden >= 1");
  add({{"weight_ih_l0", {8, 3}}, {"weight_hh_l0", {4, 1}}},
      "'weight_ih_l0' has shape (8, 3), expected (4, 3)");
  add({{"weight_ih_l0", {4, 3, 1}}, {"weight_hh_l0", {4, 1}}},
      "'weight_ih_l0' has shape (4, 3, 1)");
  add({{"weight_ih_l0", {4, 3}},
       {"weight_hh_l0", {4, 1}},
       {"bias_ih_l0", {8}},
       {"bias_hh_l0", {4}}},
      "'bias_ih_l0' has shape (8,), expected (4,)");
  add({{"weight_ih_l0", {4, 3}},
       {"weight_hh_l0", {4, 1}},
       {"weight_ih_l0_reverse", {4, 3}},
       {"weight_hh_l0_reverse", {4, 1}},
       {"weight_ih_l1", {4, 1}},
       {"weight_hh_l1", {4, 1}},
       {"weight_ih_l1_reverse", {4, 2}},
       {"weight_hh_l1_reverse", {4, 1}}},
      "'weight_ih_l1' has shape (4, 1), expected (4, 2)");
  add({{"weight_ih_l0", {8, 3}},
       {"weight_hh_l0", {8, 2}},
       {"weight_ih_l1", {8, 3}},
       {"weight_hh_l1", {8, 2}}},
      "'weight_ih_l1' has shape (8, 3), expected (8, 2)");
  for (const Case& c : cases) {
    EXPECT_TRUE(ThrowsError([&] { c.dict.Parse("shape.st"); }, "shape.st", c.problem));
  }
}

TEST(SafetensorsModel, RefusesProjectionsAndOddLayerNumbers) {
  StateDict proj = Minimal();
  proj.AddF32("weight_hr_l0", {1, 1});
  EXPECT_TRUE(ThrowsError([&] { proj.Parse("proj.st"); }, "proj.st", "proj_size is not supported"));
  StateDict zero = Minimal();
  zero.AddF32("weight_ih_l00", {4, 3});
  EXPECT_TRUE(ThrowsError([&] { zero.Parse("zero.st"); }, "zero.st", "layer number '00'"));
  StateDict long_number = Minimal();
  long_number.AddF32("lstm.bias_ih_l123456", {4});
  EXPECT_TRUE(ThrowsError([&] { long_number.Parse("long.st"); }, "long.st", "layer number"));
  StateDict deep = Minimal();
  deep.AddF32("weight_ih_l2000", {4, 1});
  EXPECT_TRUE(ThrowsError([&] { deep.Parse("deep.st"); }, "deep.st", "beyond the limit"));
}

TEST(SafetensorsModel, RefusesNonFiniteWeights) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  StateDict f32;
  f32.AddF32("weight_ih_l0", {4, 1}).AddF32("weight_hh_l0", {4, 1}, {0.1f, nan, 0.2f, 0.3f});
  EXPECT_TRUE(ThrowsError([&] { f32.Parse("nan.safetensors"); }, "nan.safetensors", "finite"));
  StateDict f32_inf;
  f32_inf.AddF32("weight_ih_l0", {4, 1}, {0, 0, -inf, 0}).AddF32("weight_hh_l0", {4, 1});
  EXPECT_TRUE(ThrowsError([&] { f32_inf.Parse("inf.safetensors"); }, "inf.safetensors", "finite"));
  StateDict f16 = Minimal();
  f16.AddF32("bias_ih_l0", {4}).AddF16("bias_hh_l0", {4}, {0, 0x7c00, 0, 0});
  EXPECT_TRUE(ThrowsError([&] { f16.Parse("inf16.safetensors"); }, "inf16.safetensors", "finite"));
  StateDict bf16 = Minimal();
  bf16.AddF32("bias_ih_l0", {4}).AddF16("bias_hh_l0", {4}, {0x7fc0, 0, 0, 0}, "BF16");
  EXPECT_TRUE(ThrowsError([&] { bf16.Parse("nanbf.safetensors"); }, "nanbf.safetensors", "finite"));
}

TEST(SafetensorsModel, SaveRefusesInconsistentModels) {
  LstmModel m = MakeRandomModel({3, 2, 1, false, true}, 3, "m");
  m.cells[0].w_hh.pop_back();
  const std::string path = TempPath("bad_model.safetensors");
  EXPECT_TRUE(ThrowsError([&] { SaveSafetensors(path, m); }, path, "weight_hh_l0"));
}

}  // namespace
}  // namespace sbe
