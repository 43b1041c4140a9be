// libFuzzer target: the .npy reader must refuse any byte string with sbe::Error, nothing else.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "sbe/error.h"
#include "sbe/formats.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const sbe::TensorF t =
        sbe::ParseNpyFloat(std::string(reinterpret_cast<const char*>(data), size), "fuzz.npy");
    // What the reader accepts must be a consistent tensor: as many values as the shape says.
    if (sbe::CheckedNumElements(t.shape, "fuzz.npy") != t.numel()) std::abort();
  } catch (const sbe::Error& e) {
    // A refusal is one line whatever the input holds (names from the file are escaped).
    if (std::strchr(e.what(), '\n') != nullptr) std::abort();
  }
  return 0;
}
