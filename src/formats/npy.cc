// NumPy .npy files (format 1.0-3.0): a strict reader that checks the header against the file
// before allocating, and a float32 writer.
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>

#include "sbe/error.h"
#include "sbe/formats.h"

namespace sbe {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicSize = 6;
// NumPy never writes a header dict over a few hundred bytes; a bound keeps parsing cheap.
constexpr size_t kMaxHeaderSize = 1 << 16;

struct NpyHeader {
  std::string descr;
  bool fortran_order = false;
  std::vector<int64_t> shape;
  size_t data_offset = 0;
};

// A parser for the one dict literal NumPy writes:
// {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
class DictParser {
 public:
  DictParser(std::string_view text, const std::string& name) : s_(text), name_(name) {}

  NpyHeader Parse() {
    NpyHeader h;
    bool have_descr = false, have_order = false, have_shape = false;
    Expect('{');
    while (true) {
      SkipSpace();
      if (Peek() == '}') break;
      const std::string key = String();
      Expect(':');
      if (key == "descr") {
        h.descr = String();
        have_descr = true;
      } else if (key == "fortran_order") {
        h.fortran_order = Bool();
        have_order = true;
      } else if (key == "shape") {
        h.shape = Tuple();
        have_shape = true;
      } else {
        Fail("{}: unexpected key '{}' in the .npy header", name_, key);
      }
      SkipSpace();
      if (Peek() == ',') {
        ++pos_;
        continue;
      }
      SkipSpace();
      if (Peek() != '}') Bad("',' or '}'");
    }
    ++pos_;
    SkipSpace();
    if (pos_ != s_.size()) Bad("end of header");
    if (!have_descr || !have_order || !have_shape) {
      Fail("{}: .npy header lacks 'descr', 'fortran_order' or 'shape'", name_);
    }
    return h;
  }

 private:
  [[noreturn]] void Bad(const char* what) {
    Fail("{}: malformed .npy header (expected {} at byte {})", name_, what, pos_);
  }
  char Peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
  void SkipSpace() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\n')) ++pos_;
  }
  void Expect(char c) {
    SkipSpace();
    if (Peek() != c) Bad(std::string(1, c).c_str());
    ++pos_;
  }
  std::string String() {
    SkipSpace();
    const char quote = Peek();
    if (quote != '\'' && quote != '"') Bad("a quoted string");
    const size_t end = s_.find(quote, pos_ + 1);
    if (end == std::string_view::npos) Bad("a closing quote");
    std::string out(s_.substr(pos_ + 1, end - pos_ - 1));
    pos_ = end + 1;
    return out;
  }
  bool Bool() {
    SkipSpace();
    for (const auto& [word, value] : {std::pair{"True", true}, std::pair{"False", false}}) {
      const size_t n = std::strlen(word);
      if (s_.substr(pos_, n) == word) {
        pos_ += n;
        return value;
      }
    }
    Bad("True or False");
  }
  std::vector<int64_t> Tuple() {
    Expect('(');
    std::vector<int64_t> dims;
    while (true) {
      SkipSpace();
      if (Peek() == ')') break;
      if (dims.size() >= 32) Fail("{}: .npy shape has more than 32 dimensions", name_);
      dims.push_back(Integer());
      SkipSpace();
      if (Peek() == ',') {
        ++pos_;
        continue;
      }
      if (Peek() != ')') Bad("',' or ')'");
    }
    ++pos_;
    return dims;
  }
  int64_t Integer() {
    SkipSpace();
    if (Peek() < '0' || Peek() > '9') Bad("a non-negative integer");
    int64_t v = 0;
    while (Peek() >= '0' && Peek() <= '9') {
      if (v > (kMaxTensorElements * 16)) Fail("{}: .npy dimension too large", name_);
      v = v * 10 + (Peek() - '0');
      ++pos_;
    }
    if (Peek() == 'L') ++pos_;  // Python 2 longs
    return v;
  }

  std::string_view s_;
  const std::string& name_;
  size_t pos_ = 0;
};

NpyHeader ParseHeader(const std::string& bytes, const std::string& name) {
  if (bytes.size() < kMagicSize + 4 || std::memcmp(bytes.data(), kMagic, kMagicSize) != 0) {
    Fail("{}: not a .npy file (no \\x93NUMPY magic)", name);
  }
  const int major = static_cast<unsigned char>(bytes[6]);
  size_t len = 0, start = 0;
  if (major == 1) {
    len = static_cast<unsigned char>(bytes[8]) | (static_cast<unsigned char>(bytes[9]) << 8);
    start = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) Fail("{}: truncated .npy header", name);
    for (int i = 3; i >= 0; --i) len = (len << 8) | static_cast<unsigned char>(bytes[8 + i]);
    start = 12;
  } else {
    Fail("{}: unsupported .npy format version {}", name, major);
  }
  if (len > kMaxHeaderSize || start + len > bytes.size()) {
    Fail("{}: .npy header of {} bytes runs past the end of the file", name, len);
  }
  NpyHeader h = DictParser(std::string_view(bytes).substr(start, len), name).Parse();
  h.data_offset = start + len;
  if (h.fortran_order) {
    Fail("{}: Fortran-order arrays are not supported; save with np.ascontiguousarray", name);
  }
  return h;
}

// Checks the payload size against the header; returns the element count.
int64_t CheckPayload(const std::string& bytes, const NpyHeader& h, size_t item,
                     const std::string& name) {
  const int64_t n = CheckedNumElements(h.shape, name);
  const size_t expected = static_cast<size_t>(n) * item;
  const size_t have = bytes.size() - h.data_offset;
  if (have < expected) {
    Fail("{}: truncated data: shape {} needs {} bytes, the file has {}", name,
         ShapeToString(h.shape), expected, have);
  }
  if (have > expected) {
    Fail("{}: {} bytes of trailing data after the array", name, have - expected);
  }
  return n;
}

}  // namespace

std::string ReadFileBytes(const std::string& path, int64_t max_bytes) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status)) Fail("{}: no such file", path);
  if (std::filesystem::is_directory(status)) Fail("{}: is a directory, not a file", path);
  std::ifstream in(path, std::ios::binary);
  if (!in) Fail("{}: cannot open for reading", path);
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  if (size < 0) Fail("{}: cannot determine its size", path);
  if (size > max_bytes) Fail("{}: {} bytes is larger than the limit of {}", path, size, max_bytes);
  if (size == 0) Fail("{}: empty file", path);
  std::string bytes(static_cast<size_t>(size), '\0');
  in.seekg(0);
  in.read(bytes.data(), size);
  if (in.gcount() != size) Fail("{}: read error", path);
  return bytes;
}

TensorF ParseNpyFloat(const std::string& bytes, const std::string& name) {
  const NpyHeader h = ParseHeader(bytes, name);
  if (h.descr != "<f4") {
    Fail("{}: dtype '{}' is not float32 ('<f4'); convert with x.astype(np.float32)", name, h.descr);
  }
  const int64_t n = CheckPayload(bytes, h, 4, name);
  TensorF t;
  t.shape = h.shape;
  t.data.resize(static_cast<size_t>(n));
  std::memcpy(t.data.data(), bytes.data() + h.data_offset, static_cast<size_t>(n) * 4);
  return t;
}

TensorF ReadNpyFloat(const std::string& path) { return ParseNpyFloat(ReadFileBytes(path), path); }

std::vector<int64_t> ReadNpyInt(const std::string& path, std::vector<int64_t>* shape) {
  const std::string bytes = ReadFileBytes(path);
  const NpyHeader h = ParseHeader(bytes, path);
  size_t item = 0;
  if (h.descr == "<i4") {
    item = 4;
  } else if (h.descr == "<i8") {
    item = 8;
  } else {
    Fail("{}: dtype '{}' is not int32 ('<i4') or int64 ('<i8')", path, h.descr);
  }
  const int64_t n = CheckPayload(bytes, h, item, path);
  std::vector<int64_t> out(static_cast<size_t>(n));
  const char* p = bytes.data() + h.data_offset;
  for (int64_t i = 0; i < n; ++i) {
    if (item == 4) {
      int32_t v;
      std::memcpy(&v, p + i * 4, 4);
      out[i] = v;
    } else {
      std::memcpy(&out[i], p + i * 8, 8);
    }
  }
  if (shape) *shape = h.shape;
  return out;
}

void WriteNpy(const std::string& path, const TensorF& t) {
  std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': " +
                     ShapeToString(t.shape) + ", }";
  // Version 1.0: magic, version, 2-byte header length; data aligned to 64 bytes, header
  // ending in '\n' as NumPy writes it.
  const size_t unpadded = kMagicSize + 4 + dict.size() + 1;
  dict.append((64 - unpadded % 64) % 64, ' ');
  dict += '\n';
  std::string out(kMagic, kMagicSize);
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(dict.size() & 0xff);
  out += static_cast<char>((dict.size() >> 8) & 0xff);
  out += dict;
  out.append(reinterpret_cast<const char*>(t.data.data()), t.data.size() * sizeof(float));
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) Fail("{}: cannot open for writing", path);
  f.write(out.data(), static_cast<std::streamsize>(out.size()));
  if (!f) Fail("{}: write error", path);
}

}  // namespace sbe
