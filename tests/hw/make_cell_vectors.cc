// The golden side of the hw.cell_datapath test: random inputs of sbe_cell_datapath (one tail
// element each) with the golden model's answers (tests/hw/cell_vectors.h), and the activation
// tables the RTL's ROMs read.
//   real:   the accelerator's tables (sbe::hw::WriteActivationTables), answers from
//           fx::InputPart, fx::Preactivation, fx::Sigmoid/Tanh, fx::UpdateCell;
//   stress: random-walk tables spanning all of int16, answers from the same templates of
//           datapath-inl.h. Sigmoid gates stay below 1, so only such tables reach the cell
//           update's saturation (c_next at the 32-bit limits) and h's.
// usage: make_cell_vectors real|stress DIR COUNT SEED
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <string>

#include "cell_vectors.h"
#include "hw/activation_tables.h"
#include "numeric/datapath-inl.h"
#include "sbe/error.h"
#include "sbe/fixed_point.h"

namespace sbe::hwtest {
namespace {

namespace dp = fx::HWY_NAMESPACE;
using Int = dp::Scalar<int64_t>;

constexpr int32_t kMin32 = std::numeric_limits<int32_t>::min();
constexpr int32_t kMax32 = std::numeric_limits<int32_t>::max();

class Draw {
 public:
  explicit Draw(uint64_t seed) : rng_(seed) {}
  int64_t Uniform(int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng_); }
  bool Chance(double p) { return std::bernoulli_distribution(p)(rng_); }
  int32_t Full() { return static_cast<int32_t>(rng_()); }
  // Magnitude below 2^bits for bits uniform in [0, 31], either sign: small values as often
  // as large ones.
  int32_t LogUniform() {
    const int bits = static_cast<int>(Uniform(0, 31));
    const int64_t m = static_cast<int64_t>(rng_() & ((uint64_t{1} << bits) - 1));
    return static_cast<int32_t>(Chance(0.5) ? -m : m);
  }
  int32_t Edge() {
    static constexpr int32_t kEdges[] = {kMin32, kMin32 + 1, -1, 0, 1, kMax32};
    return kEdges[Uniform(0, 5)];
  }
  int32_t Sum() {
    const int64_t kind = Uniform(0, 99);
    if (kind < 3) return Edge();
    if (kind < 40) return Full();
    return LogUniform();
  }

 private:
  std::mt19937_64 rng_;
};

int Shift(Draw& d) { return d.Chance(0.85) ? static_cast<int>(d.Uniform(-4, 31)) : static_cast<int>(d.Uniform(-30, 63)); }

int32_t Cell(Draw& d) {
  const int64_t kind = d.Uniform(0, 99);
  const int64_t sign = d.Chance(0.5) ? -1 : 1;
  if (kind < 25) return d.Full();
  if (kind < 50) return d.LogUniform();
  if (kind < 70) {  // near the 32-bit limits
    if (d.Chance(0.1)) return d.Edge();
    const int64_t v = sign * (int64_t{kMax32} - (d.LogUniform() & 0xfffff));
    return static_cast<int32_t>(v);
  }
  if (kind < 85) return static_cast<int32_t>(sign * ((int64_t{1} << 19) + d.Uniform(-1024, 1024)));  // tanh saturates
  return static_cast<int32_t>(d.Uniform(-(1 << 16), 1 << 16));
}

// The golden model's answers for a vector's inputs: fx:: (the accelerator's tables) or the
// same templates of datapath-inl.h on other tables.
class Golden {
 public:
  Golden(bool stress, const fx::ActivationTable& sigmoid, const fx::ActivationTable& tanh)
      : stress_(stress), sigmoid_(sigmoid), tanh_(tanh) {}

  // Pre-activations and gate values; returns how many pre-activations saturated.
  int64_t Gates(CellVector& v) const {
    int64_t saturated = 0;
    for (int r = 0; r < 4; ++r) {
      if (stress_) {
        const int64_t ip = dp::InputPart<Int>(v.acc_x[r], v.bias[r], v.x_shift);
        v.preact[r] = static_cast<int16_t>(dp::Preactivation<Int>(ip, v.acc_h[r], v.h_shift, &saturated));
      } else {
        const int64_t ip = fx::InputPart(v.acc_x[r], v.bias[r], v.x_shift);
        v.preact[r] = fx::Preactivation(ip, v.acc_h[r], v.h_shift, &saturated);
      }
      v.gate[r] = r == 2 ? Tanh(v.preact[r]) : Sigmoid(v.preact[r]);
    }
    return saturated;
  }

  // The cell update from v.gate and v.c; returns whether c_out saturated.
  int64_t Update(CellVector& v) const {
    int64_t saturated = 0;
    if (stress_) {
      const auto u = dp::UpdateCell<Int>(tanh_, v.gate[0], v.gate[1], v.gate[2], v.gate[3], v.c, v.h_frac, &saturated);
      v.c_out = static_cast<int32_t>(u.c);
      v.h_out = static_cast<int16_t>(u.h);
    } else {
      const fx::CellUpdate u = fx::UpdateCell(v.gate[0], v.gate[1], v.gate[2], v.gate[3], v.c,
                                              fx::QFormat{16, v.h_frac}, &saturated);
      v.c_out = u.c;
      v.h_out = u.h;
    }
    return saturated;
  }

  int16_t Sigmoid(int16_t p) const {
    return stress_ ? static_cast<int16_t>(dp::Activate<Int>(sigmoid_, p)) : fx::Sigmoid(p);
  }
  int16_t Tanh(int16_t p) const {
    return stress_ ? static_cast<int16_t>(dp::Activate<Int>(tanh_, p)) : fx::Tanh(p);
  }

 private:
  bool stress_;
  const fx::ActivationTable& sigmoid_;
  const fx::ActivationTable& tanh_;
};

// f*c + i*g before the cell's saturation: RoundShift(f*c, 15) + RoundShift(i*g, 15).
int64_t CellSum(const CellVector& v, int32_t c) {
  return fx::RoundShift(int64_t{v.gate[1]} * c, 15) + fx::RoundShift(int64_t{v.gate[0]} * v.gate[2], 15);
}

// Sets v.c so that f*c + i*g lands on a boundary, exactly where the gates allow: where tanh's
// input saturates (RoundShift(., 4) at the edge of 16 bits) or, for the stress tables'
// gates, at the 32-bit limits.
void AimCell(Draw& d, CellVector& v, bool stress) {
  int64_t target;
  if (stress && d.Chance(0.5)) {
    static constexpr int64_t kEdges[] = {int64_t{kMax32} - 1, kMax32, int64_t{kMax32} + 1,
                                         int64_t{kMin32} - 1, kMin32, int64_t{kMin32} + 1};
    target = kEdges[d.Uniform(0, 5)];
  } else {
    static constexpr int64_t kEdges[] = {32767, 32768, -32768, -32769};
    target = 16 * kEdges[d.Uniform(0, 3)] + d.Uniform(-8, 7);
  }
  const int64_t f = v.gate[1];
  if (f == 0) return;
  const double guess = std::round(static_cast<double>(target - CellSum(v, 0)) * 32768.0 / static_cast<double>(f));
  const int64_t c0 = static_cast<int64_t>(std::clamp<double>(guess, kMin32, kMax32));
  int64_t best = c0;
  for (int64_t c = c0 - 3; c <= c0 + 3; ++c) {
    const int64_t k = std::clamp<int64_t>(c, kMin32, kMax32);
    if (std::abs(CellSum(v, static_cast<int32_t>(k)) - target) < std::abs(CellSum(v, static_cast<int32_t>(best)) - target)) best = k;
  }
  v.c = static_cast<int32_t>(best);
}

// Sets the o row's pre-activation and h_frac so that RoundShift(o*t, 30 - h_frac) lands on
// the edge of 16 bits: o found by bisection on the (monotone, for the accelerator's) sigmoid.
void AimH(Draw& d, CellVector& v, const Golden& golden) {
  const int64_t c_next = std::clamp<int64_t>(CellSum(v, v.c), kMin32, kMax32);
  const int64_t t = golden.Tanh(static_cast<int16_t>(fx::Saturate(fx::RoundShift(c_next, 4), 16)));
  if (std::abs(t) < 2) return;
  static constexpr int64_t kEdges[] = {32767, 32768, -32768, -32769};
  const int64_t edge = kEdges[d.Uniform(0, 3)];
  const int s_max = std::min(30, static_cast<int>(std::floor(std::log2(32767.0 * std::abs(t) / 32769.0))));
  if (s_max < 0) return;
  const int s = static_cast<int>(d.Uniform(0, s_max));
  const int64_t product = edge * (int64_t{1} << s);  // o*t wanted
  const auto miss = [&](int64_t p) { return std::abs(golden.Sigmoid(static_cast<int16_t>(p)) * t - product); };
  int64_t lo = -32768, hi = 32767;  // o*t is monotone in p, increasing when t > 0
  while (lo < hi) {
    const int64_t mid = (lo + hi) >> 1;
    if ((golden.Sigmoid(static_cast<int16_t>(mid)) * t < product) == (t > 0)) lo = mid + 1;
    else hi = mid;
  }
  int64_t best = lo;
  for (int64_t p = std::max<int64_t>(lo - 2, -32768); p <= std::min<int64_t>(lo + 2, 32767); ++p) {
    if (miss(p) < miss(best)) best = p;
  }
  const int64_t b = best - fx::RoundShift(v.acc_x[3], v.x_shift) - fx::RoundShift(v.acc_h[3], v.h_shift);
  if (b < kMin32 || b > kMax32) {
    v.acc_x[3] = v.acc_h[3] = 0;
    v.bias[3] = static_cast<int32_t>(best);
  } else {
    v.bias[3] = static_cast<int32_t>(b);
  }
  v.h_frac = static_cast<uint8_t>(30 - s);
}

// A table whose entries wander over all of int16 in steps the packed 16-bit rise holds.
fx::ActivationTable RandomWalk(Draw& d) {
  fx::ActivationTable t{};
  int64_t v = d.Uniform(-32768, 32767);
  for (auto& e : t) {
    e = static_cast<int16_t>(v);
    v = std::clamp<int64_t>(v + d.Uniform(-12000, 12000), -32768, 32767);
  }
  return t;
}

void WriteText(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) Fail("{}: cannot write", path.string());
}

struct Coverage {
  int64_t preact_high = 0, preact_low = 0, preact_inside = 0, cell_max = 0, cell_min = 0,
          h_max = 0, h_min = 0;
  int64_t x_shifts[36] = {}, h_shifts[36] = {}, h_fracs[16] = {};
};

int Main(int argc, char** argv) {
  if (argc != 5) Fail("usage: make_cell_vectors real|stress DIR COUNT SEED");
  const std::string mode = argv[1];
  if (mode != "real" && mode != "stress") Fail("make_cell_vectors: mode {} is neither real nor stress", mode);
  const bool stress = mode == "stress";
  const std::filesystem::path dir = argv[2];
  const uint64_t count = std::stoull(argv[3]);
  Draw d(std::stoull(argv[4]));

  fx::ActivationTable sigmoid = fx::SigmoidTable(), tanh = fx::TanhTable();
  if (stress) {
    sigmoid = RandomWalk(d);
    tanh = RandomWalk(d);
    WriteText(dir / "sigmoid.mem", hw::ActivationTableMem(sigmoid));
    WriteText(dir / "tanh.mem", hw::ActivationTableMem(tanh));
  } else {
    hw::WriteActivationTables(dir.string());
    // A directory that is not there is an error naming the file.
    const std::string missing = (dir / "no-such-dir").string();
    bool named = false;
    try {
      hw::WriteActivationTables(missing);
    } catch (const Error& e) {
      named = std::string(e.what()).find(missing + "/sigmoid.mem") != std::string::npos;
    }
    if (!named) Fail("make_cell_vectors: WriteActivationTables({}) did not fail naming its file", missing);
  }

  const std::filesystem::path path = dir / "vectors.bin";
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  CellVectorsHeader header{};
  std::copy(std::begin(kCellVectorsMagic), std::end(kCellVectorsMagic), header.magic);
  header.count = count;
  out.write(reinterpret_cast<const char*>(&header), sizeof header);

  const Golden golden(stress, sigmoid, tanh);
  Coverage cov;
  for (uint64_t n = 0; n < count; ++n) {
    CellVector v{};
    v.x_shift = static_cast<int8_t>(Shift(d));
    v.h_shift = static_cast<int8_t>(Shift(d));
    v.h_frac = static_cast<uint8_t>(d.Chance(0.9) ? d.Uniform(0, 15) : d.Uniform(16, 31));
    for (int r = 0; r < 4; ++r) {
      v.acc_x[r] = d.Sum();
      v.acc_h[r] = d.Sum();
      if (d.Chance(0.5)) {
        // Aim the pre-activation at [-40000, 40000]: every segment of the tables, and both
        // sides of the saturation at 16 bits.
        static constexpr int64_t kEdges[] = {-32769, -32768, -32767, 32766, 32767, 32768};
        const int64_t target = d.Chance(0.02) ? kEdges[d.Uniform(0, 5)] : d.Uniform(-40000, 40000);
        const int64_t b = target - fx::RoundShift(v.acc_x[r], v.x_shift) - fx::RoundShift(v.acc_h[r], v.h_shift);
        v.bias[r] = static_cast<int32_t>(std::clamp<int64_t>(b, kMin32, kMax32));
      } else {
        v.bias[r] = d.Chance(0.3) ? d.Full() : d.LogUniform();
      }
    }
    golden.Gates(v);
    v.c = Cell(d);
    if (d.Chance(stress ? 0.3 : 0.15)) AimCell(d, v, stress);
    if (d.Chance(0.1)) AimH(d, v, golden);
    v.sat_preact = static_cast<uint8_t>(golden.Gates(v));
    v.sat_cell = static_cast<uint8_t>(golden.Update(v));
    out.write(reinterpret_cast<const char*>(&v), sizeof v);

    for (int r = 0; r < 4; ++r) {
      const int64_t z = fx::InputPart(v.acc_x[r], v.bias[r], v.x_shift) + fx::RoundShift(v.acc_h[r], v.h_shift);
      cov.preact_high += z > 32767;
      cov.preact_low += z < -32768;
      cov.preact_inside += z >= -32768 && z <= 32767;
    }
    cov.cell_max += v.c_out == kMax32;
    cov.cell_min += v.c_out == kMin32;
    cov.h_max += v.h_out == 32767;
    cov.h_min += v.h_out == -32768;
    if (v.x_shift >= -4 && v.x_shift <= 31) ++cov.x_shifts[v.x_shift + 4];
    if (v.h_shift >= -4 && v.h_shift <= 31) ++cov.h_shifts[v.h_shift + 4];
    if (v.h_frac < 16) ++cov.h_fracs[v.h_frac];
  }
  out.close();
  if (!out) Fail("{}: cannot write", path.string());

  std::printf("%s: %llu vectors; pre-activations above/below/inside Q4.11: %lld/%lld/%lld; "
              "c_out at max/min: %lld/%lld; h_out at max/min: %lld/%lld\n",
              mode.c_str(), static_cast<unsigned long long>(count), static_cast<long long>(cov.preact_high),
              static_cast<long long>(cov.preact_low), static_cast<long long>(cov.preact_inside),
              static_cast<long long>(cov.cell_max), static_cast<long long>(cov.cell_min),
              static_cast<long long>(cov.h_max), static_cast<long long>(cov.h_min));
  // The draw must reach what it is meant to: a vacuous test passes too easily.
  bool covered = cov.preact_high > 0 && cov.preact_low > 0 && cov.preact_inside > int64_t(count) &&
                 cov.h_max > 0 && cov.h_min > 0;
  if (stress) covered = covered && cov.cell_max > 0 && cov.cell_min > 0;
  for (int64_t k : cov.x_shifts) covered = covered && k > 0;
  for (int64_t k : cov.h_shifts) covered = covered && k > 0;
  for (int64_t k : cov.h_fracs) covered = covered && k > 0;
  if (!covered && count >= 10000) Fail("make_cell_vectors: the {} draw missed part of what it must cover", mode);
  return 0;
}

}  // namespace
}  // namespace sbe::hwtest

int main(int argc, char** argv) {
  try {
    return sbe::hwtest::Main(argc, argv);
  } catch (const sbe::Error& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
}
