// Calibration: chooses the Q formats of a model from its weights and an input range, and
// proves that no 32-bit accumulator of the matrix-vector products can overflow.
#include <algorithm>
#include <cmath>

#include "sbe/error.h"
#include "sbe/quantized_model.h"

namespace sbe {
namespace {

using fx::QFormat;

constexpr int64_t kAccLimit = (int64_t{1} << (fx::kAccumulatorBits - 1)) - 1;
// |h| = |o * tanh(c)| < 1, so h in Q0.n never exceeds 2^n in magnitude.
constexpr int kMaxHFracBits = 15;

struct RealStats {
  double max_abs = 0;  // largest |w|
  double max_l1 = 0;   // largest row sum of |w|
};

RealStats Stats(const std::vector<float>& w, int64_t rows, int64_t cols) {
  RealStats s;
  for (int64_t r = 0; r < rows; ++r) {
    double l1 = 0;
    for (int64_t j = 0; j < cols; ++j) {
      const double a = std::fabs(double{w[r * cols + j]});
      l1 += a;
      s.max_abs = std::max(s.max_abs, a);
    }
    s.max_l1 = std::max(s.max_l1, l1);
  }
  return s;
}

// Fractional bits the product of a weight and a vector element may use in total so that
// max_l1 * v_max * 2^bits stays inside the accumulator (before the exact integer check).
int BudgetBits(const RealStats& w, double v_max) {
  const double bound = w.max_l1 * v_max;
  if (bound <= 0) return 60;
  return static_cast<int>(std::floor(std::log2(static_cast<double>(kAccLimit) / bound)));
}

// Splits a budget between weight and vector so that both contribute similar rounding error:
// error ~ E|v| 2^-n_w + E|w| 2^-n_v, balanced when n_w - n_v = log2(v_max / w_max).
int BalancedVectorBits(const RealStats& w, double v_max) {
  if (w.max_abs <= 0) return 60;
  const double skew = std::log2(v_max / w.max_abs);
  return static_cast<int>(std::floor((BudgetBits(w, v_max) - skew) / 2));
}

std::vector<int16_t> QuantizeAll(const std::vector<float>& w, QFormat f) {
  std::vector<int16_t> q(w.size());
  for (size_t i = 0; i < w.size(); ++i) q[i] = static_cast<int16_t>(fx::Quantize(w[i], f));
  return q;
}

struct Weighted {
  std::vector<int16_t> values;
  QFormat format;
};

// The most precise format for `w` whose integer row L1 norms, times the largest input
// integer, fit the accumulator: the proof that no partial sum can overflow, in any order.
Weighted QuantizeSafely(const std::vector<float>& w, int64_t rows, int64_t cols, int64_t v_limit,
                        double v_max, const std::string& name, std::vector<std::string>* warnings) {
  const RealStats s = Stats(w, rows, cols);
  const int natural = fx::NaturalFracBits(s.max_abs, 16);
  const int v_bits = static_cast<int>(std::lround(std::log2(static_cast<double>(v_limit) / v_max)));
  int frac = std::min(natural, BudgetBits(s, v_max) - v_bits + 1);
  for (; frac >= natural - 16; --frac) {
    const QFormat f{16, frac};
    std::vector<int16_t> q = QuantizeAll(w, f);
    const int64_t l1 = MaxRowL1(q, rows, cols);
    if (l1 == 0 || l1 <= kAccLimit / v_limit) {
      if (natural - frac > 4) {
        warnings->push_back(fmt::format(
            "{}: row L1 norm {:.4g} times input bound {:.4g} would overflow a {}-bit accumulator "
            "at {}; stored as {} ({} fractional bits fewer)",
            name, s.max_l1, v_max, fx::kAccumulatorBits, QFormat{16, natural}.ToString(),
            f.ToString(), natural - frac));
      }
      return {std::move(q), f};
    }
  }
  Fail("{}: row L1 norm {:.4g} times input bound {:.4g} cannot be kept inside a {}-bit "
       "accumulator with 16-bit weights",
       name, s.max_l1, v_max, fx::kAccumulatorBits);
}

std::string TensorName(const char* what, int layer, int dir) {
  return fmt::format("{}_l{}{}", what, layer, dir == 1 ? "_reverse" : "");
}

}  // namespace

double InputRange::max_abs() const { return std::max(std::fabs(lo), std::fabs(hi)); }

void InputRange::Check() const {
  if (!std::isfinite(lo) || !std::isfinite(hi)) {
    Fail("input range {},{}: bounds must be finite", lo, hi);
  }
  if (!(lo < hi)) Fail("input range {},{}: empty range (need lo < hi)", lo, hi);
  if (max_abs() > 32767.0) {
    Fail("input range {},{}: |bound| above 32767 cannot be an int16 with a fraction", lo, hi);
  }
}

InputRange RangeFromSample(const TensorF& x) {
  double m = 0;
  for (float v : x.values()) {
    if (std::isfinite(v)) m = std::max(m, std::fabs(double{v}));
  }
  if (m == 0) return {};
  return {-m, m};
}

int64_t MaxRowL1(const std::vector<int16_t>& w, int64_t rows, int64_t cols) {
  int64_t best = 0;
  for (int64_t r = 0; r < rows; ++r) {
    int64_t l1 = 0;
    for (int64_t j = 0; j < cols; ++j) l1 += std::abs(int64_t{w[r * cols + j]});
    best = std::max(best, l1);
  }
  return best;
}

QuantizedModel Calibrate(const LstmModel& model, const InputRange& range) {
  range.Check();
  const LstmShape& s = model.shape;
  const int D = s.directions();
  const int64_t rows = s.GateRows(), H = s.hidden_size;
  QuantizedModel q;
  q.name = model.name;
  q.shape = s;
  q.input_range = range;

  // Each vector (x, then each layer's h) takes the fewest fractional bits any of its
  // consumers would balance to, capped by what its range allows.
  auto vector_bits = [&](int layer_reading, int layer_recurrent, double v_max, int cap) {
    int bits = cap;
    for (int d = 0; d < D; ++d) {
      if (layer_reading >= 0 && layer_reading < s.num_layers) {
        const CellWeights& c = model.cell(layer_reading, d);
        bits = std::min(bits, BalancedVectorBits(Stats(c.w_ih, rows, s.LayerInputSize(layer_reading)), v_max));
      }
      if (layer_recurrent >= 0) {
        bits = std::min(bits, BalancedVectorBits(Stats(model.cell(layer_recurrent, d).w_hh, rows, H), v_max));
      }
    }
    return std::max(bits, 0);
  };

  const double x_max = range.max_abs();
  const int x_bits = vector_bits(0, -1, x_max, fx::NaturalFracBits(x_max, 16));
  QFormat input{16, x_bits};
  int64_t input_limit = std::min<int64_t>(fx::Quantize(x_max, input), input.max_int());
  double input_max = x_max;
  for (int layer = 0; layer < s.num_layers; ++layer) {
    QuantizedLayer ql;
    ql.input_format = input;
    ql.input_limit = input_limit;
    ql.h_format = {16, vector_bits(layer + 1, layer, 1.0, kMaxHFracBits)};
    const int64_t h_limit = int64_t{1} << ql.h_format.frac_bits;
    q.layers.push_back(ql);
    for (int d = 0; d < D; ++d) {
      const CellWeights& c = model.cell(layer, d);
      QuantizedCell qc;
      Weighted wi = QuantizeSafely(c.w_ih, rows, s.LayerInputSize(layer), input_limit, input_max,
                                   TensorName("weight_ih", layer, d), &q.warnings);
      Weighted wh = QuantizeSafely(c.w_hh, rows, H, h_limit, 1.0,
                                   TensorName("weight_hh", layer, d), &q.warnings);
      qc.w_ih = std::move(wi.values);
      qc.w_ih_format = wi.format;
      qc.w_hh = std::move(wh.values);
      qc.w_hh_format = wh.format;
      qc.bias.assign(rows, 0);
      if (s.has_bias) {
        const double limit = static_cast<double>(fx::kBias.max_int()) * fx::kBias.scale();
        for (int64_t r = 0; r < rows; ++r) {
          const double b = double{c.b_ih[r]} + double{c.b_hh[r]};
          if (std::fabs(b) > limit) {
            Fail("{}: bias_ih + bias_hh = {:.6g} at row {} is outside {} (|b| <= {:.6g})",
                 TensorName("bias", layer, d), b, r, fx::kBias.ToString(), limit);
          }
          qc.bias[r] = static_cast<int32_t>(fx::Quantize(b, fx::kBias));
        }
      }
      q.cells.push_back(std::move(qc));
    }
    input = ql.h_format;
    input_limit = h_limit;
    input_max = 1.0;
  }
  return q;
}

}  // namespace sbe
