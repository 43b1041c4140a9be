// The model layer: an LSTM stack with PyTorch nn.LSTM semantics, shared by every executor.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sbe {

// Gates are stored in PyTorch's order (i, f, g, o): rows [k*H, (k+1)*H) of every weight matrix
// belong to gate k. Importers of other orders (ONNX's i, o, f, c) permute on load.
enum Gate : int { kGateInput = 0, kGateForget = 1, kGateCell = 2, kGateOutput = 3 };
inline constexpr int kNumGates = 4;

// The dimensions of an LSTM stack, as nn.LSTM(input_size, hidden_size, num_layers, bias,
// bidirectional) describes it.
struct LstmShape {
  int64_t input_size = 0;
  int64_t hidden_size = 0;
  int num_layers = 1;
  bool bidirectional = false;
  bool has_bias = true;
  // A unidirectional stack that runs from the last step to the first (ONNX direction
  // "reverse"); nn.LSTM has no such mode. Ignored when bidirectional.
  bool reverse = false;

  int directions() const { return bidirectional ? 2 : 1; }
  // Whether direction `dir` walks the sequence from its last valid step to its first: the
  // second direction of a bidirectional layer, or every cell of a reverse stack.
  bool RunsBackward(int dir) const { return bidirectional ? dir == 1 : reverse; }
  int num_cells() const { return num_layers * directions(); }
  // Layer 0 reads x; deeper layers read the previous layer's output (directions * hidden).
  int64_t LayerInputSize(int layer) const {
    return layer == 0 ? input_size : directions() * hidden_size;
  }
  int64_t GateRows() const { return kNumGates * hidden_size; }
  // Weights of all gate matrices (input and hidden parts, every layer and direction).
  int64_t WeightCount() const;
  // Multiply-adds of the matrix-vector products per sample and time step. The paper counts
  // 2 operations per multiply-add and no element-wise work (PAPER.md, "The workload").
  int64_t MacsPerStep() const { return WeightCount(); }
  std::string ToString() const;  // "input 1792, hidden 256, 1 layer, unidirectional, bias"
};

// The weights of one layer in one direction, row-major, gate order i, f, g, o.
struct CellWeights {
  std::vector<float> w_ih;  // (4H, layer input size)
  std::vector<float> w_hh;  // (4H, H)
  std::vector<float> b_ih;  // (4H), empty when the model has no bias
  std::vector<float> b_hh;  // (4H), empty when the model has no bias
};

// How a model's inputs and outputs are laid out for the user. Executors always work
// sequence-first: x (T, B, I), y (T, B, D*H), states (L*D, B, H); the front-end converts.
struct IoLayout {
  bool batch_first = false;  // x (B, T, I) and y (B, T, ...), as nn.LSTM(batch_first=True)
  // ONNX LSTM outputs: Y as (T, D, B, H) ((B, T, D, H) when batch_first) and Y_h/Y_c of the
  // last layer as (D, B, H) ((B, D, H) when batch_first), instead of PyTorch's layouts.
  bool onnx_outputs = false;
};

struct LstmModel {
  std::string name;    // preset name or file name, for reports
  std::string source;  // where it came from: "preset" or the path
  LstmShape shape;
  std::vector<CellWeights> cells;  // index: layer * directions + direction (1 = reverse)
  IoLayout io;
  int default_steps = 0;  // sequence length the preset or file suggests; 0 if none
  int default_batch = 1;

  const CellWeights& cell(int layer, int direction) const {
    return cells[layer * shape.directions() + direction];
  }
  CellWeights& cell(int layer, int direction) {
    return cells[layer * shape.directions() + direction];
  }
  // Checks every weight's size against the shape and that every weight is finite. Throws
  // Error naming the model's source and the tensor.
  void Validate() const;
};

// Upper bound on any one model dimension read from a file: far beyond any LSTM in use, small
// enough that (4H) x (I+H) cannot overflow and a bad header cannot ask for terabytes.
inline constexpr int64_t kMaxModelDim = int64_t{1} << 20;
inline constexpr int kMaxLayers = 1024;

}  // namespace sbe
