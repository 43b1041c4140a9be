// Readers and writers of the files sbe exchanges with other tools: .npy, safetensors, ONNX.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sbe/model.h"
#include "sbe/tensor.h"

namespace sbe {

// --- .npy (NumPy format 1.0-3.0) ------------------------------------------------------------
// Reads a little-endian float32, C-order array. Throws Error naming the path and the problem
// (missing, truncated, wrong dtype, Fortran order, bad header, absurd shape).
TensorF ReadNpyFloat(const std::string& path);
// Reads an integer array (int32 or int64) as int64, e.g. ONNX sequence lengths.
std::vector<int64_t> ReadNpyInt(const std::string& path, std::vector<int64_t>* shape = nullptr);
// Parses an in-memory .npy image; `name` is used in error messages (fuzzing enters here).
TensorF ParseNpyFloat(const std::string& bytes, const std::string& name);
void WriteNpy(const std::string& path, const TensorF& t);

// --- safetensors holding an nn.LSTM state_dict ----------------------------------------------
// Tensors weight_ih_l{k}[_reverse], weight_hh_l{k}[_reverse], bias_ih_l{k}[_reverse],
// bias_hh_l{k}[_reverse]; F32, F16 or BF16 (converted to float on load). The shape (layers,
// directions, bias, sizes) is inferred from the names and shapes and checked for consistency.
LstmModel LoadSafetensors(const std::string& path);
LstmModel ParseSafetensors(const std::string& bytes, const std::string& name);
// Writes a state_dict in float32 (used by tests and tools).
void SaveSafetensors(const std::string& path, const LstmModel& model);

// --- ONNX: one LSTM node or a chain of them, with the shape glue torch.onnx.export adds ------
LstmModel LoadOnnx(const std::string& path);
LstmModel ParseOnnx(const std::string& bytes, const std::string& name);

// Reads a whole file; throws Error naming the path when it is missing, unreadable or larger
// than max_bytes.
std::string ReadFileBytes(const std::string& path, int64_t max_bytes = int64_t{1} << 34);

}  // namespace sbe
