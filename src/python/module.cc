// The extension module `sbe._sbe`, imported by the package `sbe` (python/sbe/__init__.py).
#include <pybind11/pybind11.h>

#include <deque>

#include "python/binding.h"
#include "sbe/error.h"
#include "sbe/presets.h"

namespace sbe::python {
namespace {

// Warnings may come from a thread that released the GIL (an executor's run): they wait here
// until the call returns to Python. The sink must not take the GIL itself: it runs under the
// library's warning lock, which a thread holding the GIL may be waiting for.
std::mutex& PendingMutex() {
  static std::mutex m;
  return m;
}
std::deque<std::string>& Pending() {
  static std::deque<std::string> pending;
  return pending;
}
PyObject* g_warning_category = nullptr;

}  // namespace

void FlushWarnings() {
  std::deque<std::string> messages;
  {
    std::lock_guard lock(PendingMutex());
    messages.swap(Pending());
  }
  for (const std::string& message : messages) {
    if (PyErr_WarnEx(g_warning_category, message.c_str(), 1) < 0) throw py::error_already_set();
  }
}

}  // namespace sbe::python

PYBIND11_MODULE(_sbe, m) {
  namespace py = pybind11;
  using namespace sbe::python;
  m.doc() = "sbe: fast inference of large LSTMs (the engine, the planner, the accelerator's model)";
  m.attr("__version__") = SBE_VERSION;
  // sbe.Error: a ValueError carrying the library's one-line message.
  py::register_exception<sbe::Error>(m, "Error", PyExc_ValueError);
  g_warning_category = PyErr_NewException("sbe.Warning", PyExc_UserWarning, nullptr);
  m.attr("Warning") = py::handle(g_warning_category);
  sbe::SetWarningSink([](std::string_view message) {
    std::lock_guard lock(PendingMutex());
    Pending().emplace_back(message);
  });
  BindModel(m);
  BindPlanner(m);
  m.def("presets", [] {
    py::list names;
    for (const sbe::PresetInfo& p : sbe::Presets()) names.append(p.name);
    return names;
  }, "The built-in models' names (sbe.load takes them)");
}
