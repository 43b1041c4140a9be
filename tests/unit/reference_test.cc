// The double reference against hand-worked values and against its own algebraic identities.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "common/random.h"
#include "model/non_finite.h"
#include "sbe/error.h"
#include "sbe/presets.h"
#include "sbe/reference.h"
#include "test_util.h"

namespace sbe {
namespace {

using testing::MaxAbsDiff;

TensorF RandomTensor(std::vector<int64_t> shape, uint64_t seed) {
  TensorF t(std::move(shape));
  Random rng(seed);
  for (float& v : t.data) v = rng.Uniform(-1, 1);
  return t;
}

double Sigmoid(double x) { return 1 / (1 + std::exp(-x)); }

TEST(Reference, MatchesHandWorkedScalarCell) {
  // I = H = 1: every gate is one scalar; compute two steps by hand.
  LstmModel m = MakeRandomModel({1, 1, 1, false, true}, 0, "scalar");
  CellWeights& w = m.cells[0];
  w.w_ih = {0.5f, -0.25f, 0.75f, 1.0f};  // i, f, g, o
  w.w_hh = {0.1f, 0.2f, -0.3f, 0.4f};
  w.b_ih = {0.01f, 0.02f, 0.03f, 0.04f};
  w.b_hh = {-0.02f, 0.5f, 0.0f, 0.1f};
  LstmInput in;
  in.x = TensorF({2, 1, 1});
  in.x.data = {0.8f, -0.6f};
  double h = 0, c = 0;
  std::vector<double> ys;
  for (float x : in.x.data) {
    auto gate = [&](int k) {
      return double{w.w_ih[k]} * x + double{w.w_hh[k]} * h + double{w.b_ih[k]} + double{w.b_hh[k]};
    };
    const double i = Sigmoid(gate(0)), f = Sigmoid(gate(1)), g = std::tanh(gate(2)),
                 o = Sigmoid(gate(3));
    c = f * c + i * g;
    h = o * std::tanh(c);
    ys.push_back(h);
  }
  const LstmResult<double> r = RunReference(m, in);
  ASSERT_EQ(r.y.shape, (std::vector<int64_t>{2, 1, 1}));
  EXPECT_NEAR(r.y.data[0], ys[0], 1e-15);
  EXPECT_NEAR(r.y.data[1], ys[1], 1e-15);
  EXPECT_NEAR(r.h_n.data[0], h, 1e-15);
  EXPECT_NEAR(r.c_n.data[0], c, 1e-15);
}

TEST(Reference, ReverseDirectionIsForwardOnTimeReversedInput) {
  // A bidirectional layer's reverse half equals a forward model with the reverse weights run
  // on the input reversed in time (then y reversed back).
  const LstmShape bi{5, 3, 1, true, true};
  const LstmModel m = MakeRandomModel(bi, 11, "bi");
  LstmModel fwd = MakeRandomModel({5, 3, 1, false, true}, 0, "fwd");
  fwd.cells[0] = m.cells[1];
  LstmInput in;
  in.x = RandomTensor({7, 2, 5}, 3);
  LstmInput rev = in;
  for (int64_t t = 0; t < 7; ++t) {
    std::copy_n(in.x.ptr() + (6 - t) * 10, 10, rev.x.ptr() + t * 10);
  }
  const LstmResult<double> a = RunReference(m, in), b = RunReference(fwd, rev);
  for (int64_t t = 0; t < 7; ++t) {
    for (int64_t bb = 0; bb < 2; ++bb) {
      for (int k = 0; k < 3; ++k) {
        EXPECT_DOUBLE_EQ(a.y.data[(t * 2 + bb) * 6 + 3 + k], b.y.data[((6 - t) * 2 + bb) * 3 + k]);
      }
    }
  }
  // h_n of the reverse direction is the state after processing step 0.
  for (int i = 0; i < 6; ++i) EXPECT_DOUBLE_EQ(a.h_n.data[6 + i], b.h_n.data[i]);
}

TEST(Reference, ReverseOnlyModelRunsBackwards) {
  LstmModel m = MakeRandomModel({4, 3, 1, false, true}, 2, "rev");
  LstmModel r = m;
  r.shape.reverse = true;
  LstmInput in;
  in.x = RandomTensor({5, 1, 4}, 8);
  LstmInput flipped = in;
  for (int t = 0; t < 5; ++t) std::copy_n(in.x.ptr() + (4 - t) * 4, 4, flipped.x.ptr() + t * 4);
  const auto a = RunReference(r, in), b = RunReference(m, flipped);
  EXPECT_LT(MaxAbsDiff(a.h_n, b.h_n), 1e-15);
  for (int t = 0; t < 5; ++t) {
    for (int k = 0; k < 3; ++k) EXPECT_DOUBLE_EQ(a.y.data[t * 3 + k], b.y.data[(4 - t) * 3 + k]);
  }
}

TEST(Reference, TwoLayersEqualTwoChainedSingleLayers) {
  const LstmModel two = MakeRandomModel({6, 4, 2, true, false}, 21, "two");
  LstmModel first = MakeRandomModel({6, 4, 1, true, false}, 0, "l0");
  LstmModel second = MakeRandomModel({8, 4, 1, true, false}, 0, "l1");
  first.cells = {two.cells[0], two.cells[1]};
  second.cells = {two.cells[2], two.cells[3]};
  LstmInput in;
  in.x = RandomTensor({4, 3, 6}, 5);
  in.h0 = RandomTensor({4, 3, 4}, 6);
  in.c0 = RandomTensor({4, 3, 4}, 7);
  const auto full = RunReference(two, in);
  LstmInput in0 = in, in1;
  in0.h0.data.resize(24);
  in0.c0.data.resize(24);
  in0.h0.shape = in0.c0.shape = {2, 3, 4};
  const auto r0 = RunReference(first, in0);
  in1.x = Cast<float>(r0.y);
  in1.h0 = TensorF({2, 3, 4});
  in1.c0 = TensorF({2, 3, 4});
  std::copy(in.h0.data.begin() + 24, in.h0.data.end(), in1.h0.data.begin());
  std::copy(in.c0.data.begin() + 24, in.c0.data.end(), in1.c0.data.begin());
  const auto r1 = RunReference(second, in1);
  // The float cast between layers costs ~1e-8; the identity itself is exact.
  EXPECT_LT(MaxAbsDiff(full.y, r1.y), 1e-6);
  for (int i = 0; i < 24; ++i) {
    EXPECT_DOUBLE_EQ(full.h_n.data[i], r0.h_n.data[i]);
    EXPECT_NEAR(full.c_n.data[24 + i], r1.c_n.data[i], 1e-6);
  }
}

TEST(Reference, SequenceLengthsStopEachSampleAtItsLength) {
  const LstmModel m = MakeRandomModel({3, 5, 1, true, true}, 4, "lens");
  LstmInput in;
  in.x = RandomTensor({6, 3, 3}, 9);
  in.seq_lens = {6, 2, 0};
  const auto r = RunReference(m, in);
  // Sample 1 alone, truncated to its 2 steps, gives the same outputs and states.
  LstmInput one;
  one.x = TensorF({2, 1, 3});
  for (int t = 0; t < 2; ++t) std::copy_n(in.x.ptr() + (t * 3 + 1) * 3, 3, one.x.ptr() + t * 3);
  const auto s = RunReference(m, one);
  for (int t = 0; t < 6; ++t) {
    for (int k = 0; k < 10; ++k) {
      const double y = r.y.data[(t * 3 + 1) * 10 + k];
      if (t < 2) {
        EXPECT_DOUBLE_EQ(y, s.y.data[t * 10 + k]);
      } else {
        EXPECT_EQ(y, 0.0) << "step " << t << " is past the sample's length";
      }
    }
  }
  for (int d = 0; d < 2; ++d) {
    for (int k = 0; k < 5; ++k) {
      EXPECT_DOUBLE_EQ(r.h_n.data[(d * 3 + 1) * 5 + k], s.h_n.data[d * 5 + k]);
      EXPECT_EQ(r.h_n.data[(d * 3 + 2) * 5 + k], 0.0);  // length 0 keeps h0 (zero)
    }
  }
}

TEST(Reference, RefusesInputsThatDoNotFitTheModel) {
  const LstmModel m = MakeRandomModel({3, 2, 1, false, true}, 1, "m");
  LstmInput in;
  in.x = TensorF({4, 2, 5});
  EXPECT_THROW(RunReference(m, in), Error);  // wrong input size
  in.x = TensorF({4, 2, 3});
  in.h0 = TensorF({1, 3, 2});
  EXPECT_THROW(RunReference(m, in), Error);  // h0 batch
  in.h0 = TensorF();
  in.seq_lens = {1, 5};
  EXPECT_THROW(RunReference(m, in), Error);  // length past T
  in.seq_lens = {1};
  EXPECT_THROW(RunReference(m, in), Error);  // one length for two samples
}

TEST(Reference, NanInInputPropagatesWithAWarning) {
  const LstmModel m = MakeRandomModel({3, 2, 1, false, true}, 1, "m");
  LstmInput in;
  in.x = RandomTensor({2, 1, 3}, 1);
  in.x.data[1] = NAN;
  int warnings = 0;
  SetWarningSink([&](std::string_view) { ++warnings; });
  WarnIfNotFinite(in);
  const auto r = RunReference(m, in);
  SetWarningSink(nullptr);
  EXPECT_EQ(warnings, 1);  // one per tensor, however many NaNs
  EXPECT_TRUE(std::isnan(r.y.data.back()));
}

}  // namespace
}  // namespace sbe

namespace sbe {
namespace {

// The input check's vector scan: every position of every awkward length, each kind of
// non-finite value, and the first of several reported; and a view reads the caller's values.
TEST(InputCheck, FindsTheFirstNonFiniteValueAnywhere) {
  for (const float bad : {NAN, INFINITY, -INFINITY}) {
    for (const int64_t n : {1, 2, 7, 15, 16, 17, 63, 64, 65, 131}) {
      std::vector<float> v(static_cast<size_t>(n), 1.5f);
      EXPECT_EQ(FirstNonFinite(v.data(), n), -1);
      for (int64_t i = 0; i < n; ++i) {
        v[i] = bad;
        if (i + 3 < n) v[i + 3] = bad;
        ASSERT_EQ(FirstNonFinite(v.data(), n), i) << "n " << n << " bad " << bad;
        v[i] = 1.5f;
        if (i + 3 < n) v[i + 3] = 1.5f;
      }
    }
  }
  EXPECT_EQ(FirstNonFinite(nullptr, 0), -1);
  // The largest finite values are finite.
  std::vector<float> extremes(40, std::numeric_limits<float>::max());
  extremes[5] = -std::numeric_limits<float>::max();
  extremes[9] = std::numeric_limits<float>::denorm_min();
  EXPECT_EQ(FirstNonFinite(extremes.data(), 40), -1);

  std::vector<float> owned(21, 0.25f);
  owned[19] = NAN;
  LstmInput in;
  in.x = TensorF::View({3, 1, 7}, owned.data());
  EXPECT_TRUE(in.x.is_view());
  EXPECT_EQ(in.x.numel(), 21);
  std::string message;
  SetWarningSink([&](std::string_view m) { message = m; });
  WarnIfNotFinite(in);
  SetWarningSink(nullptr);
  EXPECT_NE(message.find("index 19"), std::string::npos) << message;
}

}  // namespace
}  // namespace sbe
