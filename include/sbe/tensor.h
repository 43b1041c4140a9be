// A dense, row-major (C order) tensor: the only container that crosses module boundaries.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sbe {

// Upper bound on the elements of any one tensor sbe will allocate (8 GiB of float). Every size
// read from a file or the command line is checked against it before memory is touched, so an
// absurd dimension is an error, never an attempt to allocate terabytes.
inline constexpr int64_t kMaxTensorElements = int64_t{1} << 31;

// Product of the dimensions; throws Error (naming `what`) on a negative dimension or when the
// product exceeds kMaxTensorElements. Overflow-safe for any input.
int64_t CheckedNumElements(std::span<const int64_t> shape, std::string_view what);

std::string ShapeToString(std::span<const int64_t> shape);  // "(32, 1, 1792)"

template <typename T>
struct Tensor {
  std::vector<int64_t> shape;
  std::vector<T> data;

  Tensor() = default;
  explicit Tensor(std::vector<int64_t> dims, T fill = T{})
      : shape(std::move(dims)), data(CheckedNumElements(shape, "tensor"), fill) {}

  int64_t numel() const { return static_cast<int64_t>(data.size()); }
  int rank() const { return static_cast<int>(shape.size()); }
  bool empty() const { return data.empty() && shape.empty(); }
  T* ptr() { return data.data(); }
  const T* ptr() const { return data.data(); }
};

using TensorF = Tensor<float>;
using TensorD = Tensor<double>;

}  // namespace sbe
