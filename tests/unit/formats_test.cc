// File formats at the C++ level: round trips, half-precision conversion, absurd headers.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>

#include "sbe/error.h"
#include "sbe/formats.h"
#include "sbe/presets.h"
#include "test_util.h"

namespace sbe {
namespace {

using testing::TempPath;
using testing::WriteBytes;

std::string Safetensors(const nlohmann::json& header, const std::string& data) {
  const std::string text = header.dump();
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((text.size() >> (8 * i)) & 0xff);
  return out + text + data;
}

template <typename T>
std::string Bytes(const std::vector<T>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}

void ExpectError(const std::function<void()>& f, const std::string& word) {
  try {
    f();
    ADD_FAILURE() << "no error; expected one about " << word;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(word), std::string::npos) << e.what();
  }
}

TEST(Npy, RoundTripKeepsShapeAndValues) {
  TensorF t({3, 1, 5});
  for (int i = 0; i < 15; ++i) t.data[i] = static_cast<float>(i) * 0.25f - 1.0f;
  const std::string path = TempPath("round.npy");
  WriteNpy(path, t);
  const TensorF r = ReadNpyFloat(path);
  EXPECT_EQ(r.shape, t.shape);
  EXPECT_EQ(r.data, t.data);
}

TEST(Npy, RefusesAbsurdShapesWithoutAllocating) {
  const std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (1099511627776, "
                           "1099511627776), }";
  std::string bytes = std::string("\x93NUMPY\x01\x00", 8);
  bytes += static_cast<char>(dict.size() & 0xff);
  bytes += static_cast<char>(dict.size() >> 8);
  bytes += dict;
  ExpectError([&] { ParseNpyFloat(bytes, "huge.npy"); }, "huge.npy");
}

TEST(Npy, RefusesMalformedHeaders) {
  for (const std::string dict : {"{'descr': '<f4', 'shape': (2,), }",
                                 "{'descr': '<f4', 'fortran_order': Maybe, 'shape': (2,), }",
                                 "{'descr': '<f4', 'fortran_order': False, 'shape': (2,-1), }",
                                 "['descr', '<f4']"}) {
    std::string bytes = std::string("\x93NUMPY\x01\x00", 8);
    bytes += static_cast<char>(dict.size());
    bytes += '\0';
    bytes += dict + std::string(8, '\0');
    ExpectError([&] { ParseNpyFloat(bytes, "bad.npy"); }, "bad.npy");
  }
}

TEST(Safetensors, HalfAndBFloat16ConvertExactly) {
  // f16: 1.0, -2.5, the smallest subnormal, 65504 (max); bf16: 1.0, -0.15625.
  const std::vector<uint16_t> f16 = {0x3c00, 0xc100, 0x0001, 0x7bff};
  const std::vector<uint16_t> bf16 = {0x3f80, 0xbe20};
  // A model with I = H = 1 has 4-value tensors: weight_ih (4,1), weight_hh (4,1).
  nlohmann::json h = {
      {"weight_ih_l0", {{"dtype", "F16"}, {"shape", {4, 1}}, {"data_offsets", {0, 8}}}},
      {"weight_hh_l0", {{"dtype", "BF16"}, {"shape", {4, 1}}, {"data_offsets", {8, 16}}}}};
  const std::vector<uint16_t> hh = {bf16[0], bf16[1], bf16[0], bf16[1]};
  const LstmModel m = ParseSafetensors(Safetensors(h, Bytes(f16) + Bytes(hh)), "half.safetensors");
  EXPECT_EQ(m.cells[0].w_ih, (std::vector<float>{1.0f, -2.5f, std::ldexp(1.0f, -24), 65504.0f}));
  EXPECT_EQ(m.cells[0].w_hh, (std::vector<float>{1.0f, -0.15625f, 1.0f, -0.15625f}));
  EXPECT_FALSE(m.shape.has_bias);
}

TEST(Safetensors, RoundTripOfABidirectionalStack) {
  const LstmModel m = MakeRandomModel({5, 3, 2, true, true}, 9, "stack");
  const std::string path = TempPath("stack.safetensors");
  SaveSafetensors(path, m);
  const LstmModel r = LoadSafetensors(path);
  EXPECT_EQ(r.shape.ToString(), m.shape.ToString());
  for (size_t c = 0; c < m.cells.size(); ++c) {
    EXPECT_EQ(r.cells[c].w_ih, m.cells[c].w_ih);
    EXPECT_EQ(r.cells[c].b_hh, m.cells[c].b_hh);
  }
}

TEST(Safetensors, RefusesInconsistentFiles) {
  const std::vector<float> four(4, 0.1f);
  auto entry = [](const char* dtype, std::vector<int64_t> shape, uint64_t b, uint64_t e) {
    return nlohmann::json{{"dtype", dtype}, {"shape", shape}, {"data_offsets", {b, e}}};
  };
  const std::string data = Bytes(four) + Bytes(four);
  ExpectError([&] { ParseSafetensors(Safetensors({{"weight_ih_l0", entry("F32", {4, 1}, 0, 16)},
                                                  {"weight_hh_l0", entry("F32", {4, 1}, 8, 24)}}, data), "o.st"); },
              "overlap");
  ExpectError([&] { ParseSafetensors(Safetensors({{"weight_ih_l0", entry("F32", {4, 1}, 0, 16)},
                                                  {"weight_hh_l0", entry("F32", {4, 1}, 16, 40)}}, data), "r.st"); },
              "outside");
  ExpectError([&] { ParseSafetensors(Safetensors({{"weight_ih_l0", entry("I64", {2, 1}, 0, 16)},
                                                  {"weight_hh_l0", entry("F32", {4, 1}, 16, 32)}}, data), "d.st"); },
              "I64");
  ExpectError([&] { ParseSafetensors(Safetensors({{"weight_ih_l0", entry("F32", {4, 1}, 0, 16)}}, data), "m.st"); },
              "weight_hh_l0");
  ExpectError([&] { ParseSafetensors(Safetensors({{"weight_ih_l0", entry("F32", {4, 1}, 0, 16)},
                                                  {"weight_hh_l0", entry("F32", {2, 2}, 16, 32)}}, data), "s.st"); },
              "weight_hh_l0");
  ExpectError([&] { ParseSafetensors(std::string("\xff\xff\xff\xff\0\0\0\0{}", 10), "len.st"); },
              "past the end");
  ExpectError([&] { ParseSafetensors(std::string("\x04\0\0\0\0\0\0\0{no}", 12), "json.st"); },
              "JSON");
}

}  // namespace
}  // namespace sbe
