// Layout conversions between the user's tensors (PyTorch, ONNX, batch-first) and the executors'.
#include <gtest/gtest.h>

#include "sbe/lstm_io.h"

namespace sbe {
namespace {

TensorF Iota(std::vector<int64_t> shape) {
  TensorF t(std::move(shape));
  for (int64_t i = 0; i < t.numel(); ++i) t.data[i] = static_cast<float>(i);
  return t;
}

TEST(Layout, SwapFirstTwoAxes) {
  const TensorF t = Iota({2, 3, 5});
  const TensorF s = SwapFirstTwoAxes(t);
  ASSERT_EQ(s.shape, (std::vector<int64_t>{3, 2, 5}));
  for (int a = 0; a < 2; ++a)
    for (int b = 0; b < 3; ++b)
      for (int k = 0; k < 5; ++k) EXPECT_EQ(s.data[(b * 2 + a) * 5 + k], t.data[(a * 3 + b) * 5 + k]);
  EXPECT_EQ(SwapFirstTwoAxes(s).data, t.data);
}

TEST(Layout, OnnxYSplitsDirections) {
  const int64_t T = 3, B = 2, H = 7;
  const TensorF y = Iota({T, B, 2 * H});
  const TensorF onnx = PresentY(y, {false, true}, 2);
  ASSERT_EQ(onnx.shape, (std::vector<int64_t>{T, 2, B, H}));
  for (int t = 0; t < T; ++t)
    for (int d = 0; d < 2; ++d)
      for (int b = 0; b < B; ++b)
        for (int k = 0; k < H; ++k)
          EXPECT_EQ(onnx.data[((t * 2 + d) * B + b) * H + k], y.data[(t * B + b) * 2 * H + d * H + k]);
  const TensorF batch_first = PresentY(y, {true, true}, 2);  // ONNX layout=1: (B, T, D, H)
  ASSERT_EQ(batch_first.shape, (std::vector<int64_t>{B, T, 2, H}));
  for (int t = 0; t < T; ++t)
    for (int d = 0; d < 2; ++d)
      for (int b = 0; b < B; ++b)
        for (int k = 0; k < H; ++k)
          EXPECT_EQ(batch_first.data[((b * T + t) * 2 + d) * H + k],
                    onnx.data[((t * 2 + d) * B + b) * H + k]);
}

TEST(Layout, TorchLayoutsAreUntouchedOrBatchFirst) {
  const TensorF y = Iota({4, 3, 5});
  EXPECT_EQ(PresentY(y, {}, 1).data, y.data);
  EXPECT_EQ(PresentY(y, {true, false}, 1).shape, (std::vector<int64_t>{3, 4, 5}));
  const TensorF state = Iota({4, 3, 5});  // (L*D, B, H): torch keeps it even when batch_first
  EXPECT_EQ(PresentState(state, {true, false}, 2).data, state.data);
}

TEST(Layout, OnnxStateIsTheLastLayer) {
  const TensorF state = Iota({6, 3, 5});  // 3 layers x 2 directions
  const TensorF last = PresentState(state, {false, true}, 2);
  ASSERT_EQ(last.shape, (std::vector<int64_t>{2, 3, 5}));
  EXPECT_EQ(last.data.front(), 4 * 15);
  const TensorF bf = PresentState(state, {true, true}, 2);
  ASSERT_EQ(bf.shape, (std::vector<int64_t>{3, 2, 5}));
  EXPECT_EQ(bf.data[5], 5 * 15);  // (b=0, d=1) is the last layer's reverse direction
}

}  // namespace
}  // namespace sbe
