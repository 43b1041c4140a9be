// libFuzzer target: the safetensors reader (header, offsets, LSTM mapping, validation) must
// refuse any byte string with sbe::Error, nothing else.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "sbe/error.h"
#include "sbe/formats.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const sbe::LstmModel model = sbe::ParseSafetensors(
        std::string(reinterpret_cast<const char*>(data), size), "fuzz.safetensors");
    // What the reader accepts must pass the model's own checks (sizes, finite weights).
    model.Validate();
  } catch (const sbe::Error& e) {
    // A refusal is one line whatever the input holds (names from the file are escaped).
    if (std::strchr(e.what(), '\n') != nullptr) std::abort();
  }
  return 0;
}
