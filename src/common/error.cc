// Warning and note sinks, and the checked size arithmetic every allocation from outside data goes through.
#include <cstdio>
#include <limits>
#include <mutex>

#include <fmt/ranges.h>

#include "sbe/error.h"
#include "sbe/tensor.h"

namespace sbe {
namespace {

std::mutex& SinkMutex() {
  static std::mutex m;
  return m;
}

void PrintWarning(std::string_view message) {
  std::fprintf(stderr, "sbe: warning: %.*s\n", static_cast<int>(message.size()), message.data());
}

WarningSink& Sink() {
  static WarningSink sink = PrintWarning;
  return sink;
}

void PrintNote(std::string_view message) {
  std::fprintf(stderr, "sbe: note: %.*s\n", static_cast<int>(message.size()), message.data());
}

WarningSink& NoteSink() {
  static WarningSink sink = PrintNote;
  return sink;
}

}  // namespace

WarningSink SetWarningSink(WarningSink sink) {
  std::lock_guard lock(SinkMutex());
  WarningSink previous = std::move(Sink());
  Sink() = sink ? std::move(sink) : WarningSink(PrintWarning);
  return previous;
}

void Warn(std::string_view message) {
  std::lock_guard lock(SinkMutex());
  if (Sink()) Sink()(message);
}

void SetNoteSink(WarningSink sink) {
  std::lock_guard lock(SinkMutex());
  NoteSink() = sink ? std::move(sink) : WarningSink(PrintNote);
}

void Note(std::string_view message) {
  std::lock_guard lock(SinkMutex());
  if (NoteSink()) NoteSink()(message);
}

int64_t CheckedNumElements(std::span<const int64_t> shape, std::string_view what) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) Fail("{}: negative dimension in shape {}", what, ShapeToString(shape));
    if (d != 0 && n > kMaxTensorElements / d) {
      Fail("{}: shape {} has more than {} elements", what, ShapeToString(shape),
           kMaxTensorElements);
    }
    n *= d;
  }
  // A zero dimension after a huge one must not hide the huge one from the check above: the
  // loop stops multiplying at zero, which is fine, since zero elements allocate nothing.
  return n;
}

std::string ShapeToString(std::span<const int64_t> shape) {
  // Python's tuple notation, so messages read like NumPy's: (3,) and (2, 5).
  return fmt::format("({}{})", fmt::join(shape, ", "), shape.size() == 1 ? "," : "");
}

}  // namespace sbe
