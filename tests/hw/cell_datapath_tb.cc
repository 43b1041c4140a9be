// Verilator testbench of sbe_cell_datapath: drives the vectors of make_cell_vectors
// (tests/hw/cell_vectors.h) with back-to-back inputs, bubbles and bursts, and checks every
// output against the golden answer bit for bit, its tag, and that it comes exactly LATENCY
// cycles after its input. Exits 1 on the first mismatch, printing it.
// usage: Vcell_datapath_tb VECTORS (run where sigmoid.mem and tanh.mem are)
#include <algorithm>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <memory>
#include <random>
#include <vector>

#include "Vsbe_cell_datapath.h"
#include "Vsbe_cell_datapath_sbe_cell_datapath.h"
#include "cell_vectors.h"
#include "verilated.h"

namespace {

using sbe::hwtest::CellVector;
using sbe::hwtest::CellVectorsHeader;

constexpr int kLatency = Vsbe_cell_datapath_sbe_cell_datapath::LATENCY;

std::vector<CellVector> Read(const char* path) {
  std::FILE* f = std::fopen(path, "rb");
  if (!f) {
    std::fprintf(stderr, "%s: cannot open\n", path);
    std::exit(2);
  }
  CellVectorsHeader h{};
  if (std::fread(&h, sizeof h, 1, f) != 1 ||
      !std::equal(std::begin(h.magic), std::end(h.magic), sbe::hwtest::kCellVectorsMagic)) {
    std::fprintf(stderr, "%s: not a cell vectors file\n", path);
    std::exit(2);
  }
  std::vector<CellVector> v(h.count);
  if (std::fread(v.data(), sizeof(CellVector), v.size(), f) != v.size()) {
    std::fprintf(stderr, "%s: truncated\n", path);
    std::exit(2);
  }
  std::fclose(f);
  return v;
}

void SetWords(VlWide<4>& w, const int32_t* v) {
  for (int r = 0; r < 4; ++r) w[r] = static_cast<uint32_t>(v[r]);
}

void Print(const char* what, const CellVector& v, uint64_t n) {
  std::fprintf(stderr, "%s at vector %" PRIu64 "\n  x_shift %d h_shift %d h_frac %d c %d\n", what, n,
               v.x_shift, v.h_shift, v.h_frac, v.c);
  for (int r = 0; r < 4; ++r) {
    std::fprintf(stderr, "  row %c: acc_x %d acc_h %d bias %d -> pre-activation %d gate %d\n", "ifgo"[r],
                 v.acc_x[r], v.acc_h[r], v.bias[r], v.preact[r], v.gate[r]);
  }
  std::fprintf(stderr, "  expected c_out %d h_out %d sat_preact %d sat_cell %d\n", v.c_out, v.h_out,
               v.sat_preact, v.sat_cell);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s VECTORS\n", argv[0]);
    return 2;
  }
  const std::vector<CellVector> vectors = Read(argv[1]);
  auto context = std::make_unique<VerilatedContext>();
  auto dut = std::make_unique<Vsbe_cell_datapath>(context.get());
  std::mt19937_64 rng(7);

  struct InFlight {
    uint64_t index, cycle;
  };
  std::deque<InFlight> in_flight;
  uint64_t next = 0, checked = 0, cycle = 0;
  double p_valid = 1.0;  // the first block runs back to back
  const auto random_words = [&](VlWide<4>& w) {
    for (int r = 0; r < 4; ++r) w[r] = static_cast<uint32_t>(rng());
  };

  dut->clk = 0;
  dut->in_valid = 0;
  dut->eval();
  while (checked < vectors.size()) {
    // Blocks of 1000 cycles, each with its own rate of valid inputs.
    if (cycle % 1000 == 999) {
      static constexpr double kRates[] = {1.0, 1.0, 0.9, 0.5, 0.1};
      p_valid = kRates[rng() % 5];
    }
    const bool valid = next < vectors.size() && std::bernoulli_distribution(p_valid)(rng);
    dut->in_valid = valid;
    if (valid) {
      const CellVector& v = vectors[next];
      SetWords(dut->acc_x, v.acc_x);
      SetWords(dut->acc_h, v.acc_h);
      SetWords(dut->bias, v.bias);
      dut->c_in = static_cast<uint32_t>(v.c);
      dut->x_shift = static_cast<uint8_t>(v.x_shift);
      dut->h_shift = static_cast<uint8_t>(v.h_shift);
      dut->h_frac = v.h_frac;
      dut->in_tag = static_cast<uint8_t>(next);
      in_flight.push_back({next, cycle});
      ++next;
    } else {  // a bubble carries junk
      random_words(dut->acc_x);
      random_words(dut->acc_h);
      random_words(dut->bias);
      dut->c_in = static_cast<uint32_t>(rng());
      dut->x_shift = static_cast<uint8_t>(rng());
      dut->h_shift = static_cast<uint8_t>(rng());
      dut->h_frac = static_cast<uint8_t>(rng() & 31);
      dut->in_tag = static_cast<uint8_t>(rng());
    }
    dut->clk = 0;
    dut->eval();
    dut->clk = 1;
    dut->eval();
    ++cycle;  // the edge that ends cycle `cycle - 1`

    if (dut->out_valid) {
      if (in_flight.empty()) {
        std::fprintf(stderr, "FAIL: out_valid with nothing in flight at cycle %" PRIu64 "\n", cycle);
        return 1;
      }
      const InFlight f = in_flight.front();
      in_flight.pop_front();
      const CellVector& v = vectors[f.index];
      const int32_t c_out = static_cast<int32_t>(dut->c_out);
      const int16_t h_out = static_cast<int16_t>(dut->h_out);
      const bool ok = c_out == v.c_out && h_out == v.h_out && dut->sat_preact == v.sat_preact &&
                      dut->sat_cell == v.sat_cell && dut->out_tag == static_cast<uint8_t>(f.index) &&
                      cycle - f.cycle == static_cast<uint64_t>(kLatency);
      if (!ok) {
        Print("FAIL: mismatch", v, f.index);
        std::fprintf(stderr, "  got      c_out %d h_out %d sat_preact %d sat_cell %d tag %d after %" PRIu64
                     " cycles (LATENCY %d)\n",
                     c_out, h_out, dut->sat_preact, dut->sat_cell, dut->out_tag, cycle - f.cycle, kLatency);
        return 1;
      }
      ++checked;
    } else if (!in_flight.empty() && cycle - in_flight.front().cycle >= static_cast<uint64_t>(kLatency)) {
      Print("FAIL: no output", vectors[in_flight.front().index], in_flight.front().index);
      return 1;
    }
  }
  // Drained: nothing more may come out.
  dut->in_valid = 0;
  for (int k = 0; k < 2 * kLatency; ++k) {
    dut->clk = 0;
    dut->eval();
    dut->clk = 1;
    dut->eval();
    if (dut->out_valid) {
      std::fprintf(stderr, "FAIL: out_valid after the last output\n");
      return 1;
    }
  }
  dut->final();
  std::printf("ok: %" PRIu64 " vectors bit-exact in %" PRIu64 " cycles, LATENCY %d\n", checked, cycle, kLatency);
  return 0;
}
