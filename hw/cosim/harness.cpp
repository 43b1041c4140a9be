// The co-simulation harness: sbe_top (Verilated) driven through its registers, with DRAM
// modelled behind its AXI4 master the way the simulator's channel is (src/sim/dram_channel):
// one channel shared by reads and writes at `bytes-per-cycle`, bursts rounded up to
// `burst-bytes`, `latency` cycles before the first data, data streaming after it.
// Reads a DRAM image, runs the descriptors at --desc-base to END, writes the image back and
// prints one JSON object. Built by `sbe hw cosim` (src/hw/cosim.cc) per configuration.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "Vsbe_top.h"
#include "verilated.h"
#if defined(SBE_TRACE_FST)
#include "verilated_fst_c.h"
using Trace = VerilatedFstC;
#elif defined(SBE_TRACE_VCD)
#include "verilated_vcd_c.h"
using Trace = VerilatedVcdC;
#endif

namespace {

[[noreturn]] void Die(const std::string& why) {
  std::fprintf(stderr, "sbe-cosim: %s\n", why.c_str());
  std::exit(2);
}

// Data ports of any width: Verilator's 64-bit (QData) or wide (VlWide) signals.
template <std::size_t N>
void SetData(VlWide<N>& w, const uint8_t* p) {
  for (std::size_t i = 0; i < N; ++i) std::memcpy(&w[i], p + 4 * i, 4);
}
inline void SetData(QData& q, const uint8_t* p) { std::memcpy(&q, p, 8); }
template <std::size_t N>
void GetData(const VlWide<N>& w, uint8_t* p) {
  for (std::size_t i = 0; i < N; ++i) std::memcpy(p + 4 * i, &w[i], 4);
}
inline void GetData(const QData& q, uint8_t* p) { std::memcpy(p, &q, 8); }

struct Options {
  std::string dram_in, dram_out, trace;
  uint64_t desc_base = 0;
  double bytes_per_cycle = 16;
  int64_t latency = 0, burst_bytes = 16, beat_bytes = 16, max_cycles = 2000000000;
};

class Memory {
 public:
  Memory(const Options& o, std::vector<uint8_t> bytes) : o_(o), bytes_(std::move(bytes)) {}

  // The channel: a burst takes the channel for its rounded-up bytes at the channel's rate.
  int64_t Place(int64_t now, int64_t bytes, int64_t* duration) {
    const int64_t rounded = (bytes + o_.burst_bytes - 1) / o_.burst_bytes * o_.burst_bytes;
    *duration = std::max<int64_t>(1, static_cast<int64_t>(std::ceil(rounded / o_.bytes_per_cycle)));
    const int64_t start = std::max(now, free_);
    free_ = start + *duration;
    return start;
  }
  void Read(int64_t now, uint64_t addr, int beats) {
    int64_t duration;
    const int64_t start = Place(now, beats * o_.beat_bytes, &duration);
    for (int i = 0; i < beats; ++i) {
      const int64_t at = start + o_.latency +
                         static_cast<int64_t>(std::ceil((i + 1) * o_.beat_bytes / o_.bytes_per_cycle));
      reads_.push_back({addr + static_cast<uint64_t>(i) * o_.beat_bytes, at, i == beats - 1});
    }
    read_bytes_ += beats * o_.beat_bytes;
  }
  void WriteBurst(int64_t now, int beats) {
    int64_t duration;
    const int64_t start = Place(now, beats * o_.beat_bytes, &duration);
    responses_.push_back(start + o_.latency + duration);
    write_bytes_ += beats * o_.beat_bytes;
  }
  uint8_t* At(uint64_t addr) {
    if (addr + o_.beat_bytes > bytes_.size()) Die("AXI access at " + std::to_string(addr) + " beyond the DRAM image");
    return bytes_.data() + addr;
  }

  struct Beat {
    uint64_t addr;
    int64_t at;
    bool last;
  };
  std::deque<Beat> reads_;
  std::deque<int64_t> responses_;
  int64_t read_bytes_ = 0, write_bytes_ = 0;
  std::vector<uint8_t>& bytes() { return bytes_; }

 private:
  const Options& o_;
  std::vector<uint8_t> bytes_;
  int64_t free_ = 0;
};

class Bench {
 public:
  Bench(const Options& o, Memory* mem) : o_(o), mem_(mem), top_(new Vsbe_top) {
#if defined(SBE_TRACE_FST) || defined(SBE_TRACE_VCD)
    if (!o.trace.empty()) {
      Verilated::traceEverOn(true);
      trace_ = std::make_unique<Trace>();
      top_->trace(trace_.get(), 99);
      trace_->open(o.trace.c_str());
    }
#endif
    top_->rst = 1;
    for (int i = 0; i < 4; ++i) Tick();
    top_->rst = 0;
  }
  ~Bench() {
#if defined(SBE_TRACE_FST) || defined(SBE_TRACE_VCD)
    if (trace_) trace_->close();
#endif
    top_->final();
  }

  // One clock: inputs from the memory model, settle, handshakes, edge, model update.
  void Tick() {
    // Read data: the head beat once it has arrived.
    const bool rv = !mem_->reads_.empty() && mem_->reads_.front().at <= now_;
    top_->m_axi_rvalid = rv;
    if (rv) {
      SetData(top_->m_axi_rdata, mem_->At(mem_->reads_.front().addr));
      top_->m_axi_rlast = mem_->reads_.front().last;
    }
    top_->m_axi_rresp = 0;
    top_->m_axi_arready = 1;
    top_->m_axi_awready = 1;
    top_->m_axi_wready = 1;
    const bool bv = !mem_->responses_.empty() && mem_->responses_.front() <= now_;
    top_->m_axi_bvalid = bv;
    top_->m_axi_bresp = 0;
    top_->clk = 0;
    top_->eval();
    Dump();
    const bool ar = top_->m_axi_arvalid && top_->m_axi_arready;
    const uint64_t araddr = top_->m_axi_araddr;
    const int arlen = top_->m_axi_arlen;
    const bool r = rv && top_->m_axi_rready;
    const bool aw = top_->m_axi_awvalid && top_->m_axi_awready;
    const uint64_t awaddr = top_->m_axi_awaddr;
    const int awlen = top_->m_axi_awlen;
    const bool w = top_->m_axi_wvalid && top_->m_axi_wready;
    std::vector<uint8_t> wdata(o_.beat_bytes);
    if (w) GetData(top_->m_axi_wdata, wdata.data());
    const bool wlast = top_->m_axi_wlast;
    const bool b = bv && top_->m_axi_bready;
    top_->clk = 1;
    top_->eval();
    ++now_;
    Dump();
    if (ar) {
      mem_->Read(now_, araddr, arlen + 1);
    }
    if (r) mem_->reads_.pop_front();
    if (aw) bursts_.push_back({awaddr, awlen + 1});
    if (w) {
      pending_.push_back(std::move(wdata));
      if (wlast) ++complete_;
    }
    // A burst is written once its address and all its beats are in.
    while (complete_ > 0 && !bursts_.empty() && static_cast<int>(pending_.size()) >= bursts_.front().beats) {
      const auto burst = bursts_.front();
      bursts_.pop_front();
      for (int i = 0; i < burst.beats; ++i) {
        std::memcpy(mem_->At(burst.addr + static_cast<uint64_t>(i) * o_.beat_bytes), pending_.front().data(), o_.beat_bytes);
        pending_.pop_front();
      }
      --complete_;
      mem_->WriteBurst(now_, burst.beats);
    }
    if (b) mem_->responses_.pop_front();
    if (now_ > o_.max_cycles) Die("no END after " + std::to_string(o_.max_cycles) + " cycles (a hang?)");
  }

  void WriteReg(uint8_t addr, uint32_t data) {
    top_->s_axil_awvalid = 1;
    top_->s_axil_awaddr = addr;
    top_->s_axil_wvalid = 1;
    top_->s_axil_wdata = data;
    bool aw = false, w = false;
    while (!(aw && w)) {
      top_->clk = 0;
      top_->eval();
      const bool aw_now = top_->s_axil_awvalid && top_->s_axil_awready;
      const bool w_now = top_->s_axil_wvalid && top_->s_axil_wready;
      Tick();
      if (aw_now) {
        aw = true;
        top_->s_axil_awvalid = 0;
      }
      if (w_now) {
        w = true;
        top_->s_axil_wvalid = 0;
      }
    }
    top_->s_axil_bready = 1;
    while (!top_->s_axil_bvalid) Tick();
    Tick();
    top_->s_axil_bready = 0;
  }
  uint32_t ReadReg(uint8_t addr) {
    top_->s_axil_arvalid = 1;
    top_->s_axil_araddr = addr;
    top_->clk = 0;
    top_->eval();
    while (!top_->s_axil_arready) {
      Tick();
      top_->clk = 0;
      top_->eval();
    }
    Tick();
    top_->s_axil_arvalid = 0;
    while (!top_->s_axil_rvalid) Tick();
    const uint32_t v = top_->s_axil_rdata;
    top_->s_axil_rready = 1;
    Tick();
    top_->s_axil_rready = 0;
    return v;
  }
  bool Irq() const { return top_->irq; }
  int64_t now() const { return now_; }

 private:
  void Dump() {
#if defined(SBE_TRACE_FST) || defined(SBE_TRACE_VCD)
    if (trace_) trace_->dump(static_cast<uint64_t>(2 * now_ + (top_->clk ? 1 : 0)));
#endif
  }

  const Options& o_;
  Memory* mem_;
  std::unique_ptr<Vsbe_top> top_;
#if defined(SBE_TRACE_FST) || defined(SBE_TRACE_VCD)
  std::unique_ptr<Trace> trace_;
#endif
  int64_t now_ = 0;
  struct Burst {
    uint64_t addr;
    int beats;
  };
  std::deque<Burst> bursts_;
  std::deque<std::vector<uint8_t>> pending_;
  int complete_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  Verilated::commandArgs(argc, argv);
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--dram") o.dram_in = v;
    else if (k == "--out") o.dram_out = v;
    else if (k == "--desc-base") o.desc_base = std::stoull(v);
    else if (k == "--bytes-per-cycle") o.bytes_per_cycle = std::stod(v);
    else if (k == "--latency") o.latency = std::stoll(v);
    else if (k == "--burst-bytes") o.burst_bytes = std::stoll(v);
    else if (k == "--beat-bytes") o.beat_bytes = std::stoll(v);
    else if (k == "--max-cycles") o.max_cycles = std::stoll(v);
    else if (k == "--trace") o.trace = v;
    else Die("unknown option " + k);
  }
  std::ifstream in(o.dram_in, std::ios::binary);
  if (!in) Die("cannot read " + o.dram_in);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // Room past the end for beats read ahead (the control unit's prefetch).
  bytes.resize(bytes.size() + 4096, 0);
  Memory mem(o, std::move(bytes));
  Bench bench(o, &mem);
  bench.WriteReg(0x08, static_cast<uint32_t>(o.desc_base));
  bench.WriteReg(0x14, 1);
  bench.WriteReg(0x00, 1);
  while (!bench.Irq()) bench.Tick();
  const uint32_t status = bench.ReadReg(0x04), cycles = bench.ReadReg(0x0C), errors = bench.ReadReg(0x10);
  const uint32_t sat_p = bench.ReadReg(0x18), sat_c = bench.ReadReg(0x1C);
  std::ofstream out(o.dram_out, std::ios::binary);
  out.write(reinterpret_cast<const char*>(mem.bytes().data()), static_cast<std::streamsize>(mem.bytes().size() - 4096));
  if (!out) Die("cannot write " + o.dram_out);
  std::printf("{\"cycles\": %u, \"status\": %u, \"errors\": %u, \"read_bytes\": %lld, \"write_bytes\": %lld, "
              "\"sat_preacts\": %u, \"sat_cells\": %u}\n",
              cycles, status, errors, static_cast<long long>(mem.read_bytes_), static_cast<long long>(mem.write_bytes_),
              sat_p, sat_c);
  if (errors != 0) {
    std::fprintf(stderr, "error: the accelerator raised error flags 0x%x (bit 0: bad opcode, bit 1: AXI error response, "
                         "bit 2: the PE array and the tail read one parity's partial sums at once)\n", errors);
    return 3;
  }
  return 0;
}
