// numpy arrays in and out of the module.
#include <pybind11/stl.h>

#include "python/binding.h"
#include "sbe/error.h"

namespace sbe::python {
namespace {

// What numpy should read: a torch tensor through its numpy view (zero-copy on the CPU), any
// other value as it is.
py::object NumpySource(const py::handle& value) {
  py::object source = py::reinterpret_borrow<py::object>(value);
  if (py::hasattr(source, "detach") && py::hasattr(source, "numpy")) {
    source = source.attr("detach")().attr("cpu")().attr("numpy")();
  }
  return source;
}

}  // namespace

FloatArray ToFloatArray(const py::handle& value, const char* what) {
  if (value.is_none()) Fail("{}: expected an array of numbers, got None", what);
  const py::object source = NumpySource(value);
  py::array raw = py::array::ensure(source);
  if (!raw) Fail("{}: expected an array of numbers, got {}", what, std::string(py::str(py::type::of(source).attr("__name__"))));
  const char kind = raw.dtype().kind();
  if (kind != 'f' && kind != 'i' && kind != 'u' && kind != 'b') {
    Fail("{}: expected an array of real numbers, got dtype {}", what, std::string(py::str(raw.dtype())));
  }
  FloatArray a = FloatArray::ensure(raw);
  if (!a) Fail("{}: cannot be read as float32", what);
  return a;
}

TensorF ToTensor(const py::handle& value, const char* what) {
  const FloatArray a = ToFloatArray(value, what);
  TensorF t;
  t.shape.assign(a.shape(), a.shape() + a.ndim());
  CheckedNumElements(t.shape, what);
  t.data.assign(a.data(), a.data() + a.size());
  return t;
}

std::vector<int64_t> ToLengths(const py::handle& value, const char* what) {
  py::array raw = py::array::ensure(NumpySource(value));
  if (!raw) Fail("{}: expected a sequence of integers", what);
  const char kind = raw.dtype().kind();
  if (kind != 'i' && kind != 'u') Fail("{}: expected integers, got dtype {}", what, std::string(py::str(raw.dtype())));
  if (raw.ndim() != 1) Fail("{}: expected shape (batch,), got {} dimensions", what, raw.ndim());
  auto a = py::array_t<int64_t, py::array::c_style | py::array::forcecast>::ensure(raw);
  return std::vector<int64_t>(a.data(), a.data() + a.size());
}

py::array ToArray(TensorF&& t) {
  auto* storage = new std::vector<float>(std::move(t.data));
  py::capsule owner(storage, [](void* p) { delete static_cast<std::vector<float>*>(p); });
  return py::array_t<float>(t.shape, storage->data(), owner);
}

py::object ToPython(const nlohmann::json& j) {
  return py::module_::import("json").attr("loads")(j.dump());
}

}  // namespace sbe::python
