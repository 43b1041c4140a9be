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
  std::vector<T> data;  // the values, unless the tensor is a view (then empty)

  Tensor() = default;
  explicit Tensor(std::vector<int64_t> dims, T fill = T{})
      : shape(std::move(dims)), data(CheckedNumElements(shape, "tensor"), fill) {}

  // A read-only tensor over values someone else owns and keeps alive for as long as the view
  // is used: how the Python module hands a numpy array to an executor without copying it.
  // Read a tensor that may be a view through ptr() const or values(), never through `data`.
  static Tensor View(std::vector<int64_t> dims, const T* values) {
    Tensor t;
    t.view_numel_ = CheckedNumElements(dims, "tensor");
    t.shape = std::move(dims);
    t.view_ = values;
    return t;
  }
  bool is_view() const { return view_ != nullptr; }

  int64_t numel() const { return view_ ? view_numel_ : static_cast<int64_t>(data.size()); }
  int rank() const { return static_cast<int>(shape.size()); }
  bool empty() const { return numel() == 0 && shape.empty(); }
  T* ptr() { return view_ ? nullptr : data.data(); }  // a view is never written
  const T* ptr() const { return view_ ? view_ : data.data(); }
  std::span<const T> values() const { return {ptr(), static_cast<size_t>(numel())}; }

 private:
  const T* view_ = nullptr;
  int64_t view_numel_ = 0;
};

using TensorF = Tensor<float>;
using TensorD = Tensor<double>;

}  // namespace sbe
