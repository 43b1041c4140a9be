// The values an ONNX LSTM graph computes, as the importer sees them: constants it can fold,
// and symbolic tensors (graph inputs, LSTM outputs and the shape glue around them).
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace sbe::onnx_import {

// A constant tensor, as double (floats) or int64 (shapes, indices), folded at load time.
struct Const {
  bool is_float = true;
  std::vector<int64_t> shape;
  std::vector<double> f;
  std::vector<int64_t> i;
  int64_t numel() const;
};

// What a runtime tensor is. Layouts follow the names: the importer only accepts the glue
// that torch.onnx.export and hand-built graphs put between these forms.
enum class Sym {
  kX,          // graph input x as given
  kXSwapped,   // Transpose(x, [1, 0, 2])
  kShape,      // integer vector derived from runtime shapes (Shape, Gather, Concat, ...)
  kZeros,      // zeros of a runtime shape (Expand / ConstantOfShape of 0)
  kH0,         // graph input initial_h (all layers), or Slice of it: rows [begin, end)
  kC0,
  kSeqLens,    // graph input sequence_lens
  kY,          // LSTM node `layer`'s Y: (T, D, B, H), or (B, T, D, H) with layout=1
  kYTransposed,  // Transpose(Y, [0, 2, 1, 3]): (T, B, D, H)
  kOut,        // (T, B, D*H): Reshape of kYTransposed, or Squeeze(Y, 1) when D = 1
  kOutSwapped, // Transpose(kOut, [1, 0, 2]): batch-first y
  kYh,         // LSTM node `layer`'s Y_h: (D, B, H)
  kYc,
  kHn,         // Concat of Y_h of layers [begin, end) along axis 0
  kCn,
};

struct Value {
  std::optional<Const> constant;  // set for constants
  Sym sym = Sym::kX;
  int layer = 0;          // for kY.., kYh, kYc
  int64_t begin = 0;      // row range for kH0/kC0 slices and layer range for kHn/kCn
  int64_t end = -1;       // -1: all
  bool is_const() const { return constant.has_value(); }
};

// Reads a TensorProto (initializer or Constant value) into a Const; `where` names it in errors.
Const ReadTensor(const onnx::TensorProto& t, const std::string& where);

// Values all folded constants of one graph may hold together: 4x the largest LSTM weight
// tensor sbe is meant for, far below what would exhaust memory.
inline constexpr int64_t kFoldBudget = int64_t{1} << 27;

// Folds or tracks one glue node. Returns false when the op is not one the importer knows.
// Throws Error for known ops used in ways it cannot honour. Folded constants are charged to
// *budget (start it at kFoldBudget).
bool EvalGlue(const onnx::NodeProto& node, const std::vector<const Value*>& inputs, int opset,
              std::vector<Value>* outputs, int64_t* budget, const std::string& where);

}  // namespace sbe::onnx_import
