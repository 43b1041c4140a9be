// NumPy .npy files (format 1.0-3.0): a strict reader that checks the header against the file
// before allocating, and a float32 writer.
#include <bit>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string_view>

#include "formats/format_util.h"
#include "sbe/error.h"
#include "sbe/formats.h"

namespace sbe {
namespace {

// Array data is copied byte for byte; a big-endian host would need swaps nobody has tested.
static_assert(std::endian::native == std::endian::little, "sbe reads little-endian data as is");

constexpr std::string_view kMagic("\x93NUMPY", 6);
// NumPy itself refuses headers over 10000 bytes unless asked; a dict with 64 dimensions is
// under 2 KB, so this bound only keeps a hostile length from mattering.
constexpr size_t kMaxHeaderSize = 1 << 16;
// NumPy 2 allows 64 dimensions (NPY_MAXDIMS); nothing sbe reads has more than 3.
constexpr size_t kMaxRank = 64;

struct NpyHeader {
  std::string descr;
  bool fortran_order = false;
  std::vector<int64_t> shape;
  size_t data_offset = 0;
};

// A parser for exactly the dict literal NumPy writes, with Python's syntax for its values:
//   {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
// It accepts the three keys once each in any order, string literals without escapes, the two
// booleans, and a tuple of non-negative integers ("(3,)" for one element, "()" for none).
class DictParser {
 public:
  DictParser(std::string_view text, const std::string& name) : s_(text), name_(name) {}

  NpyHeader Parse() {
    NpyHeader h;
    bool have_descr = false, have_order = false, have_shape = false;
    Expect('{');
    while (!Accept('}')) {
      const std::string key = String();
      Expect(':');
      if (key == "descr") {
        Once(&have_descr, key);
        h.descr = String();
      } else if (key == "fortran_order") {
        Once(&have_order, key);
        h.fortran_order = Bool();
      } else if (key == "shape") {
        Once(&have_shape, key);
        h.shape = Shape();
      } else {
        Fail("{}: unexpected key '{}' in the .npy header", name_, Printable(key));
      }
      if (!Accept(',')) {
        Expect('}');
        break;
      }
    }
    SkipSpace();
    if (pos_ != s_.size()) Bad("the end of the header");
    if (!have_descr) Missing("descr");
    if (!have_order) Missing("fortran_order");
    if (!have_shape) Missing("shape");
    return h;
  }

 private:
  [[noreturn]] void Bad(std::string_view what) {
    Fail("{}: malformed .npy header (expected {} at byte {})", name_, what, pos_);
  }
  [[noreturn]] void Missing(std::string_view key) {
    Fail("{}: .npy header lacks the key '{}'", name_, key);
  }
  void Once(bool* seen, const std::string& key) {
    if (*seen) Fail("{}: .npy header has the key '{}' twice", name_, key);
    *seen = true;
  }

  static bool IsDigit(char c) { return c >= '0' && c <= '9'; }
  char Peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
  void SkipSpace() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n')) ++pos_;
  }
  // Skips spaces, then consumes `c` if it comes next.
  bool Accept(char c) {
    SkipSpace();
    if (Peek() != c) return false;
    ++pos_;
    return true;
  }
  void Expect(char c) {
    if (!Accept(c)) Bad(fmt::format("'{}'", c));
  }

  std::string String() {
    SkipSpace();
    const char quote = Peek();
    if (quote != '\'' && quote != '"') Bad("a quoted string");
    const size_t begin = pos_ + 1;
    const size_t end = s_.find(quote, begin);
    if (end == std::string_view::npos) Bad("a closing quote");
    const std::string_view body = s_.substr(begin, end - begin);
    // An escape would change the string's meaning; no dtype string needs one.
    if (body.find('\\') != std::string_view::npos || body.find('\n') != std::string_view::npos) {
      Bad("a string without escapes");
    }
    pos_ = end + 1;
    return std::string(body);
  }

  bool Bool() {
    SkipSpace();
    for (const auto& [word, value] : {std::pair{"True", true}, std::pair{"False", false}}) {
      const std::string_view w(word);
      if (s_.substr(pos_, w.size()) == w) {
        pos_ += w.size();
        return value;
      }
    }
    Bad("True or False");
  }

  // Python's tuple syntax: "(3)" is an integer, not a tuple, so NumPy would refuse it too.
  std::vector<int64_t> Shape() {
    Expect('(');
    std::vector<int64_t> dims;
    bool trailing_comma = false;
    while (!Accept(')')) {
      if (dims.size() == kMaxRank)
        Fail("{}: .npy shape has more than {} dimensions", name_, kMaxRank);
      dims.push_back(Dimension());
      trailing_comma = Accept(',');
      if (!trailing_comma) {
        Expect(')');
        break;
      }
    }
    if (dims.size() == 1 && !trailing_comma) Bad("',' after the only dimension");
    return dims;
  }

  int64_t Dimension() {
    SkipSpace();
    const size_t begin = pos_;
    if (!IsDigit(Peek())) Bad("a non-negative integer");
    // Python 3 refuses leading zeros ("007"); a strict reader does too.
    if (Peek() == '0' && IsDigit(pos_ + 1 < s_.size() ? s_[pos_ + 1] : '\0')) {
      Bad("an integer without leading zeros");
    }
    int64_t v = 0;
    while (IsDigit(Peek())) {
      v = v * 10 + (Peek() - '0');
      ++pos_;
      // Bounded per dimension, not only in the product: a zero elsewhere in the shape would
      // hide a huge dimension from the element count, and callers multiply dimensions.
      if (v > kMaxTensorElements) {
        Fail("{}: .npy dimension {}... is larger than {}", name_, s_.substr(begin, pos_ - begin),
             kMaxTensorElements);
      }
    }
    if (Peek() == 'L') ++pos_;  // Python 2 longs, as NumPy on Python 2 wrote them
    return v;
  }

  std::string_view s_;
  const std::string& name_;
  size_t pos_ = 0;
};

uint32_t LittleEndian(const std::string& bytes, size_t pos, int width) {
  uint32_t v = 0;
  for (int i = width - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(bytes[pos + i]);
  return v;
}

NpyHeader ParseHeader(const std::string& bytes, const std::string& name) {
  if (bytes.empty()) Fail("{}: empty file", name);
  if (std::string_view(bytes).substr(0, kMagic.size()) != kMagic) {
    Fail("{}: not a .npy file (no \\x93NUMPY magic)", name);
  }
  if (bytes.size() < kMagic.size() + 2) Fail("{}: truncated .npy header", name);
  const int major = static_cast<unsigned char>(bytes[6]);
  const int minor = static_cast<unsigned char>(bytes[7]);
  if (major < 1 || major > 3 || minor != 0) {
    Fail("{}: unsupported .npy format version {}.{} (1.0, 2.0 and 3.0 are)", name, major, minor);
  }
  // Version 1.0 stores the header length in 2 bytes, 2.0 and 3.0 (UTF-8 header) in 4.
  const int width = major == 1 ? 2 : 4;
  const size_t start = 8 + width;
  if (bytes.size() < start) Fail("{}: truncated .npy header", name);
  const size_t len = LittleEndian(bytes, 8, width);
  if (len > kMaxHeaderSize) Fail("{}: .npy header length {} is absurd", name, len);
  if (len > bytes.size() - start) {
    Fail("{}: truncated .npy header ({} bytes announced, {} in the file)", name, len,
         bytes.size() - start);
  }
  NpyHeader h = DictParser(std::string_view(bytes).substr(start, len), name).Parse();
  h.data_offset = start + len;
  if (h.fortran_order) {
    Fail("{}: Fortran-order arrays are not supported; save np.ascontiguousarray(x)", name);
  }
  return h;
}

// Refuses a dtype outside `accepted` with a message saying what was expected.
void CheckDescr(const NpyHeader& h, std::initializer_list<std::string_view> accepted,
                std::string_view wanted, const std::string& name) {
  for (std::string_view a : accepted) {
    if (h.descr == a) return;
  }
  if (!h.descr.empty() && h.descr[0] == '>') {
    Fail("{}: dtype '{}' is big-endian; convert with x.astype('<{}')", name, Printable(h.descr),
         Printable(h.descr.substr(1)));
  }
  Fail("{}: dtype '{}' is not {}", name, Printable(h.descr), wanted);
}

// Checks the data size against the header (before anything is allocated); returns the
// element count.
int64_t CheckPayload(const std::string& bytes, const NpyHeader& h, size_t item_bytes,
                     const std::string& name) {
  const int64_t n = CheckedNumElements(h.shape, name);
  const size_t expected = static_cast<size_t>(n) * item_bytes;
  const size_t have = bytes.size() - h.data_offset;
  if (have < expected) {
    Fail("{}: truncated data: shape {} needs {} bytes, the file has {}", name,
         ShapeToString(h.shape), expected, have);
  }
  if (have > expected) {
    Fail("{}: {} bytes of trailing garbage after the {}-byte array", name, have - expected,
         expected);
  }
  return n;
}

}  // namespace

std::string ReadFileBytes(const std::string& path, int64_t max_bytes) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (status.type() == std::filesystem::file_type::not_found) Fail("{}: no such file", path);
  if (ec) Fail("{}: cannot read: {}", path, ec.message());  // a symlink loop, a search permission
  if (std::filesystem::is_directory(status)) Fail("{}: is a directory, not a file", path);
  // A FIFO or a device would block or never end: only regular files are read.
  if (!std::filesystem::is_regular_file(status)) Fail("{}: not a regular file", path);
  std::ifstream in(path, std::ios::binary);
  if (!in) Fail("{}: cannot open for reading: {}", path, std::strerror(errno));
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  if (size < 0) Fail("{}: cannot determine its size (not a regular file?)", path);
  if (size > max_bytes) {
    Fail("{}: {} bytes is larger than the limit of {} bytes", path, size, max_bytes);
  }
  if (size == 0) Fail("{}: empty file", path);
  std::string bytes(static_cast<size_t>(size), '\0');
  in.seekg(0);
  in.read(bytes.data(), size);
  if (in.gcount() != size) Fail("{}: read error", path);
  return bytes;
}

TensorF ParseNpyFloat(const std::string& bytes, const std::string& name) {
  const NpyHeader h = ParseHeader(bytes, name);
  CheckDescr(h, {"<f4"}, "float32 ('<f4'); convert with x.astype(np.float32)", name);
  TensorF t;
  t.shape = h.shape;
  t.data.resize(static_cast<size_t>(CheckPayload(bytes, h, sizeof(float), name)));
  // Empty arrays have no buffer, and memcpy from or to null is undefined even for 0 bytes.
  if (!t.data.empty()) {
    std::memcpy(t.data.data(), bytes.data() + h.data_offset, t.data.size() * sizeof(float));
  }
  return t;
}

TensorF ReadNpyFloat(const std::string& path) { return ParseNpyFloat(ReadFileBytes(path), path); }

std::vector<int64_t> ReadNpyInt(const std::string& path, std::vector<int64_t>* shape) {
  const std::string bytes = ReadFileBytes(path);
  const NpyHeader h = ParseHeader(bytes, path);
  CheckDescr(h, {"<i4", "<i8"}, "int32 ('<i4') or int64 ('<i8')", path);
  const bool wide = h.descr == "<i8";
  const int64_t n = CheckPayload(bytes, h, wide ? 8 : 4, path);
  std::vector<int64_t> out(static_cast<size_t>(n));
  const char* p = bytes.data() + h.data_offset;
  for (int64_t i = 0; i < n; ++i) {
    if (wide) {
      std::memcpy(&out[i], p + i * 8, 8);
    } else {
      int32_t v;
      std::memcpy(&v, p + i * 4, 4);
      out[i] = v;
    }
  }
  if (shape) *shape = h.shape;
  return out;
}

void WriteNpy(const std::string& path, const TensorF& t) {
  const int64_t n = CheckedNumElements(t.shape, path);
  if (static_cast<size_t>(n) != t.data.size()) {
    Fail("{}: cannot write {} values as shape {}", path, t.data.size(), ShapeToString(t.shape));
  }
  std::string dict =
      "{'descr': '<f4', 'fortran_order': False, 'shape': " + ShapeToString(t.shape) + ", }";
  // Version 1.0 as NumPy writes it: the header ends in '\n' and is padded with spaces so that
  // the data starts on a 64-byte boundary (NumPy's ARRAY_ALIGN), ready for memory mapping.
  const size_t unpadded = kMagic.size() + 4 + dict.size() + 1;
  dict.append((64 - unpadded % 64) % 64, ' ');
  dict += '\n';
  std::string out(kMagic);
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(dict.size() & 0xff);
  out += static_cast<char>((dict.size() >> 8) & 0xff);
  out += dict;
  out.append(reinterpret_cast<const char*>(t.data.data()), t.data.size() * sizeof(float));
  WriteFileBytes(path, out);
}

}  // namespace sbe
