// The .npy reader and writer: NumPy's own bytes, round trips, and every kind of bad file.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "expect_error.h"
#include "sbe/error.h"
#include "sbe/formats.h"
#include "test_util.h"

namespace sbe {
namespace {

using testing::TempPath;
using testing::ThrowsError;
using testing::WriteBytes;

const std::string kFloatDict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }";

// A .npy image of format `major`.0 around a header dict, padded with spaces to 64 bytes as
// NumPy pads it, followed by `data`.
std::string Npy(const std::string& dict, const std::string& data, int major = 1) {
  const size_t prefix = major == 1 ? 10 : 12;
  std::string header = dict;
  header.append((64 - (prefix + header.size() + 1) % 64) % 64, ' ');
  header += '\n';
  std::string out = std::string("\x93NUMPY", 6) + static_cast<char>(major) + '\0';
  for (size_t i = 0; i < prefix - 8; ++i)
    out += static_cast<char>((header.size() >> (8 * i)) & 0xff);
  return out + header + data;
}

template <typename T>
std::string Bytes(const std::vector<T>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}

const std::string kTwoFloats = Bytes(std::vector<float>{1.5f, -2.0f});

// Writes `bytes` to a fresh file and reads it as float32.
TensorF ReadBytes(const std::string& file, const std::string& bytes) {
  const std::string path = TempPath(file);
  WriteBytes(path, bytes);
  return ReadNpyFloat(path);
}

TEST(NpyFormat, WriteNpyWritesTheBytesNumpySaveWrites) {
  // np.save(f, (np.arange(6, dtype='<f4') / 4).reshape(2, 3)) with NumPy 1.24: a 118-byte
  // header dict padded to 64-byte alignment, ending in '\n'.
  const std::string numpy_header = std::string("\x93NUMPY\x01\x00v\x00", 10) +
                                   "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }" +
                                   std::string(58, ' ') + "\n";
  TensorF t({2, 3});
  for (int i = 0; i < 6; ++i) t.data[i] = static_cast<float>(i) / 4;
  const std::string path = TempPath("numpy_bytes.npy");
  WriteNpy(path, t);
  EXPECT_EQ(ReadFileBytes(path), numpy_header + Bytes(t.data));
}

TEST(NpyFormat, RoundTripsKeepShapesAndValues) {
  const std::vector<std::vector<int64_t>> shapes = {{3, 1, 5}, {7}, {}, {0, 4}, {2, 1, 1, 3}};
  for (const auto& shape : shapes) {
    TensorF t(shape);
    for (size_t i = 0; i < t.data.size(); ++i) t.data[i] = static_cast<float>(i) * 0.25f - 1.0f;
    const std::string path = TempPath("round.npy");
    WriteNpy(path, t);
    const TensorF r = ReadNpyFloat(path);
    EXPECT_EQ(r.shape, t.shape) << ShapeToString(shape);
    EXPECT_EQ(r.data, t.data) << ShapeToString(shape);
  }
}

TEST(NpyFormat, ZeroDimensionalArrayHoldsOneValue) {
  const TensorF t = ParseNpyFloat(
      Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (), }", Bytes(std::vector{3.25f})),
      "scalar.npy");
  EXPECT_TRUE(t.shape.empty());
  EXPECT_EQ(t.data, std::vector<float>{3.25f});
}

TEST(NpyFormat, ReadsVersions2And3AndNumpysSpellings) {
  for (int major : {1, 2, 3}) {
    const TensorF t = ParseNpyFloat(Npy(kFloatDict, kTwoFloats, major), "v.npy");
    EXPECT_EQ(t.shape, std::vector<int64_t>{2});
    EXPECT_EQ(t.data, (std::vector<float>{1.5f, -2.0f}));
  }
  // Keys in another order, double quotes, no trailing comma, Python 2 longs (old NumPy).
  for (const std::string dict : {"{'shape': (2,), 'fortran_order': False, 'descr': '<f4'}",
                                 "{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (2L,)}",
                                 "{'descr':'<f4','fortran_order':False,'shape':(1,2,),}"}) {
    const TensorF t = ParseNpyFloat(Npy(dict, kTwoFloats), "spelling.npy");
    EXPECT_EQ(t.numel(), 2) << dict;
  }
}

TEST(NpyFormat, ReadNpyIntReadsInt32AndInt64) {
  const std::string i8 = TempPath("lens_i8.npy");
  WriteBytes(i8, Npy("{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }",
                     Bytes(std::vector<int64_t>{5, -1, int64_t{1} << 40})));
  std::vector<int64_t> shape;
  EXPECT_EQ(ReadNpyInt(i8, &shape), (std::vector<int64_t>{5, -1, int64_t{1} << 40}));
  EXPECT_EQ(shape, std::vector<int64_t>{3});

  const std::string i4 = TempPath("lens_i4.npy");
  WriteBytes(i4, Npy("{'descr': '<i4', 'fortran_order': False, 'shape': (2, 1), }",
                     Bytes(std::vector<int32_t>{7, -3})));
  EXPECT_EQ(ReadNpyInt(i4, &shape), (std::vector<int64_t>{7, -3}));
  EXPECT_EQ(shape, (std::vector<int64_t>{2, 1}));
}

TEST(NpyFormat, ReadNpyIntRefusesFloatsAndOtherIntegers) {
  const std::string f4 = TempPath("lens_f4.npy");
  WriteBytes(f4, Npy(kFloatDict, kTwoFloats));
  EXPECT_TRUE(ThrowsError([&] { ReadNpyInt(f4); }, f4, "dtype '<f4' is not int32"));
  const std::string u8 = TempPath("lens_u8.npy");
  WriteBytes(
      u8, Npy("{'descr': '<u8', 'fortran_order': False, 'shape': (1,), }", std::string(8, '\0')));
  EXPECT_TRUE(ThrowsError([&] { ReadNpyInt(u8); }, u8, "dtype '<u8'"));
  const std::string big = TempPath("lens_big.npy");
  WriteBytes(
      big, Npy("{'descr': '>i8', 'fortran_order': False, 'shape': (1,), }", std::string(8, '\0')));
  EXPECT_TRUE(ThrowsError([&] { ReadNpyInt(big); }, big, "big-endian"));
}

TEST(NpyFile, RefusesMissingEmptyAndDirectoryPaths) {
  const std::string missing = TempPath("does_not_exist.npy");
  EXPECT_TRUE(ThrowsError([&] { ReadNpyFloat(missing); }, missing, "no such file"));
  EXPECT_TRUE(ThrowsError([&] { ReadNpyInt(missing); }, missing, "no such file"));
  const std::string empty = TempPath("empty.npy");
  WriteBytes(empty, "");
  EXPECT_TRUE(ThrowsError([&] { ReadNpyFloat(empty); }, empty, "empty"));
  EXPECT_TRUE(
      ThrowsError([&] { ParseNpyFloat("", "empty_image.npy"); }, "empty_image.npy", "empty"));
  const std::string dir = TempPath("a_directory.npy");
  std::filesystem::create_directories(dir);
  EXPECT_TRUE(ThrowsError([&] { ReadNpyFloat(dir); }, dir, "directory"));
}

TEST(NpyFile, ReadFileBytesHonoursItsLimit) {
  const std::string path = TempPath("limit.bin");
  WriteBytes(path, std::string(100, 'x'));
  EXPECT_EQ(ReadFileBytes(path, 100).size(), 100u);
  EXPECT_TRUE(ThrowsError([&] { ReadFileBytes(path, 99); }, path, "larger than the limit"));
}

// Paths that exist but cannot be read, each refused in one line before any read, as any user,
// root included (permissions do not stop root, so they are not what this tests): a symbolic
// link to itself, and a FIFO, which a plain read would wait on for ever.
TEST(NpyFile, RefusesUnreadablePaths) {
  const std::string loop = TempPath("loop.npy");
  std::filesystem::remove(loop);
  std::filesystem::create_symlink(loop, loop);
  EXPECT_TRUE(ThrowsError([&] { ReadNpyFloat(loop); }, loop, "cannot read: Too many levels of symbolic links"));
  const std::string fifo = TempPath("fifo.npy");
  std::filesystem::remove(fifo);
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_TRUE(ThrowsError([&] { ReadNpyFloat(fifo); }, fifo, "not a regular file"));
}

TEST(NpyFile, RefusesTruncatedFiles) {
  const std::string whole = Npy(kFloatDict, kTwoFloats);
  // Cut inside the magic, the version, the length field, the header dict and the data.
  for (size_t size : {size_t{3}, size_t{7}, size_t{9}, size_t{40}, whole.size() - 1}) {
    const std::string file = "truncated_" + std::to_string(size) + ".npy";
    const std::string problem = size < 6 ? "not a .npy file" : "truncated";
    EXPECT_TRUE(ThrowsError([&] { ReadBytes(file, whole.substr(0, size)); }, file, problem))
        << size;
  }
  EXPECT_TRUE(ThrowsError([&] { ReadBytes("short.npy", Npy(kFloatDict, kTwoFloats.substr(0, 4))); },
                          "short.npy", "truncated data"));
}

TEST(NpyFile, RefusesTrailingGarbage) {
  EXPECT_TRUE(ThrowsError([&] { ReadBytes("trailing.npy", Npy(kFloatDict, kTwoFloats + "!")); },
                          "trailing.npy", "trailing garbage"));
}

TEST(NpyFile, RefusesWrongDtypesNamingThem) {
  EXPECT_TRUE(ThrowsError(
      [&] {
        ReadBytes("f8.npy", Npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }",
                                std::string(16, '\0')));
      },
      "f8.npy", "dtype '<f8' is not float32 ('<f4')"));
  EXPECT_TRUE(ThrowsError(
      [&] {
        ParseNpyFloat(Npy("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", kTwoFloats),
                      "big.npy");
      },
      "big.npy", "big-endian"));
  EXPECT_TRUE(ThrowsError(
      [&] {
        ParseNpyFloat(Npy("{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }", kTwoFloats),
                      "int.npy");
      },
      "int.npy", "dtype '<i4'"));
}

TEST(NpyFile, MessagesStayOneLineWhateverTheHeaderHolds) {
  EXPECT_TRUE(ThrowsError(
      [&] {
        ParseNpyFloat(
            Npy("{'descr': '<f\r8', 'fortran_order': False, 'shape': (2,), }", kTwoFloats),
            "cr.npy");
      },
      "cr.npy", "dtype '<f\\x0d8'"));
}

TEST(NpyFile, RefusesFortranOrder) {
  EXPECT_TRUE(ThrowsError(
      [&] {
        ReadBytes("fortran.npy",
                  Npy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 1), }", kTwoFloats));
      },
      "fortran.npy", "Fortran"));
}

TEST(NpyFile, RefusesOtherMagicAndVersions) {
  EXPECT_TRUE(ThrowsError([&] { ParseNpyFloat("PK\x03\x04 a zip file", "zip.npy"); }, "zip.npy",
                          "not a .npy file"));
  std::string v4 = Npy(kFloatDict, kTwoFloats, 2);
  v4[6] = 4;
  EXPECT_TRUE(ThrowsError([&] { ParseNpyFloat(v4, "v4.npy"); }, "v4.npy", "version 4.0"));
  std::string v11 = Npy(kFloatDict, kTwoFloats);
  v11[7] = 1;
  EXPECT_TRUE(ThrowsError([&] { ParseNpyFloat(v11, "v11.npy"); }, "v11.npy", "version 1.1"));
}

TEST(NpyFile, RefusesHeaderLengthPastTheEnd) {
  std::string bytes = Npy(kFloatDict, kTwoFloats, 2);
  bytes[10] = '\x7f';  // a 2 GB header in a 136-byte file
  EXPECT_TRUE(
      ThrowsError([&] { ParseNpyFloat(bytes, "long_header.npy"); }, "long_header.npy", "header"));
}

TEST(NpyFile, RefusesMalformedHeaderDicts) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"{'descr': '<f4', 'shape': (2,), }", "lacks the key 'fortran_order'"},
      {"{'fortran_order': False, 'shape': (2,), }", "lacks the key 'descr'"},
      {"{'descr': '<f4', 'fortran_order': False, }", "lacks the key 'shape'"},
      {"{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", "twice"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}", "unexpected key 'x'"},
      {"{'descr': '<f4', 'fortran_order': Maybe, 'shape': (2,), }", "True or False"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,-1), }", "non-negative integer"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }", "non-negative integer"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2), }", "',' after the only"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (02,), }", "leading zeros"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2.0,), }", "malformed"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': [2], }", "malformed"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,,), }", "malformed"},
      {"{'descr': '<\\x66\\x34', 'fortran_order': False, 'shape': (2,), }", "escapes"},
      {"{'descr': '<f4, 'fortran_order': False, 'shape': (2,), }", "malformed"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,), } garbage", "end of the header"},
      {"{'descr': '<f4' 'fortran_order': False, 'shape': (2,), }", "malformed"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2,)", "malformed"},
      {"['descr', '<f4']", "malformed"},
      {"", "malformed"},
  };
  for (const auto& [dict, problem] : cases) {
    EXPECT_TRUE(
        ThrowsError([&] { ParseNpyFloat(Npy(dict, kTwoFloats), "dict.npy"); }, "dict.npy", problem))
        << dict;
  }
}

TEST(NpyFile, RefusesAbsurdShapesQuicklyWithoutAllocating) {
  const auto start = std::chrono::steady_clock::now();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"(1099511627776, 1099511627776)", "larger than"},  // 2^40 x 2^40: each dimension
      {"(0, 1099511627776)", "larger than"},              // hidden behind a zero
      {"(1048576, 1048576)", "elements"},                 // 2^40 elements in all
      {"(99999999999999999999999999999,)", "larger than"},
  };
  for (const auto& [shape, problem] : cases) {
    const std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }";
    EXPECT_TRUE(
        ThrowsError([&] { ReadBytes("huge.npy", Npy(dict, kTwoFloats)); }, "huge.npy", problem))
        << shape;
  }
  std::string rank = "(";
  for (int i = 0; i < 65; ++i) rank += "1, ";
  EXPECT_TRUE(ThrowsError(
      [&] {
        ParseNpyFloat(
            Npy("{'descr': '<f4', 'fortran_order': False, 'shape': " + rank + "), }", kTwoFloats),
            "rank.npy");
      },
      "rank.npy", "dimensions"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
}

TEST(NpyFile, ShapeMustMatchTheDataExactly) {
  const std::string two_by_two = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }";
  EXPECT_TRUE(ThrowsError([&] { ParseNpyFloat(Npy(two_by_two, kTwoFloats), "shape.npy"); },
                          "shape.npy", "needs 16 bytes"));
  const std::string empty_shape = "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 3), }";
  EXPECT_TRUE(ThrowsError([&] { ParseNpyFloat(Npy(empty_shape, kTwoFloats), "zero.npy"); },
                          "zero.npy", "trailing garbage"));
  EXPECT_EQ(ParseNpyFloat(Npy(empty_shape, ""), "zero.npy").shape, (std::vector<int64_t>{0, 3}));
}

TEST(NpyFile, WriteNpyRefusesInconsistentTensorsAndBadPaths) {
  TensorF t({2, 2});
  t.data.pop_back();
  const std::string path = TempPath("inconsistent.npy");
  EXPECT_TRUE(ThrowsError([&] { WriteNpy(path, t); }, path, "cannot write 3 values"));
  const std::string nowhere = TempPath("no_such_dir") + "/x.npy";
  EXPECT_TRUE(ThrowsError([&] { WriteNpy(nowhere, TensorF({1})); }, nowhere, "cannot open"));
}

}  // namespace
}  // namespace sbe
