// libFuzzer target: the .npy reader must refuse any byte string with sbe::Error, nothing else.
#include <cstddef>
#include <cstdint>
#include <string>

#include "sbe/error.h"
#include "sbe/formats.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    sbe::ParseNpyFloat(std::string(reinterpret_cast<const char*>(data), size), "fuzz.npy");
  } catch (const sbe::Error&) {
  }
  return 0;
}
