// The CPU engine: the planner's CPU plan (sbe/cpu_plan.h) executed as it is, fp32 and int16
// (docs/CPU_ENGINE.md). Per layer, in one job of the thread pool:
//  1. the input part W_x x_t of every direction for all steps at once (weights reused T x B
//     times), its tiles split over all the threads; then the threads meet once;
//  2. the recurrence, column-wise: W_h's column blocks meet the samples in a fixed order, with
//     the partial sums parked between blocks and the cell epilogue fused into the last one.
// The recurrence runs in the plan's decomposition: teams of threads, each a direction and a
// group of samples for all steps. Within a team each thread owns neighbouring chunks of hidden
// units (one chunk = one column block). Under the stall-free sync a thread starts column block
// c of step t+1 as soon as its team's chunk c of h_t is out (a flag per chunk), so no thread
// waits for the slowest one at a step boundary; the barrier sync waits for the whole team.
// Under the layer-wavefront a whole one-direction stack is one job instead: stages of layers
// run at once, a block of steps apart, each layer's input part hoisted per block.
// Every sample's sums run over the columns in the same order whatever the decomposition and
// the thread count, so fp32 results do not depend on either (and int16 is exact anyway).
#include <algorithm>
#include <atomic>
#include <cstring>
#include <memory>
#include <numeric>

#include "cpu/cpu_engine.h"
#include "cpu/huge_pages.h"
#include "cpu/kernels.h"
#include "cpu/packed_gates.h"
#include "cpu/thread_pool.h"
#include "common/int_math.h"
#include "sbe/cpu_info.h"
#include "sbe/datapath.h"
#include "sbe/error.h"
#include "sbe/executor.h"
#include "sbe/fixed_executor.h"
#include "sbe/golden.h"
#include "sbe/cpu_board.h"
#include "sbe/cpu_plan.h"
#include "sbe/plan.h"

namespace sbe::cpu {
namespace {

// Precision traits: what the kernels multiply (Weight) and accumulate in (Acc).
struct Fp32 {
  using Weight = float;
  using Acc = float;
};
struct Int16 {
  using Weight = int16_t;
  using Acc = int32_t;
};

// A chunk's count of finished steps, alone on its cache line: its owner writes it while the
// other threads poll theirs.
struct alignas(64) ReadyFlag {
  std::atomic<int64_t> steps{0};
};

// The workspace's buffers: cache-line aligned, so that the threads' shares of h, c and the
// parked sums (whole tiles) never share a line.
template <typename T>
using Buffer = std::vector<T, HugePageAllocator<T>>;

template <typename P>
struct PackedCell {
  PackedGates<typename P::Weight> wx, wh;
  std::vector<typename P::Acc> bias;  // per tile, 4N
  int x_shift = 0, h_shift = 0, h_frac = 15;  // int16 only
};

// Everything the recurrence of one (layer, direction) and the input part read and write.
// Built by the caller, read by all threads; nothing here is allocated during the job.
template <typename P>
struct CellJob {
  using W = typename P::Weight;
  using A = typename P::Acc;
  const PackedCell<P>* cell;
  bool stall_free;
  int64_t T, B, H, N, tiles, chunks, tiles_per_chunk, chunks_per_thread;
  int rows_per_tile, samples_per_tile;  // kernel calls' groups: input part, recurrence
  bool reverse;
  const W* in;  // (T*B, in_stride)
  int64_t in_stride;
  W* out;  // (T*B, out_stride), this direction at column offset
  int64_t out_stride, out_offset;
  A* gx;        // (tiles, T*B, 4N): the input part; a tile's rows are adjacent, as InputPart
                // walks them
  A* park;      // (B, tiles, 4N): partial sums between column blocks
  W* h_state;   // (2, B, Hp)
  A* c_state;   // (B, Hp)
  int64_t Hp;
  const int64_t* lens;        // per sample
  // The batch teams: team g's samples, by decreasing length, are order[team_begin[g] ..
  // team_begin[g + 1]); at step s the first active[g * T + s] of them are still running.
  const int64_t* order;
  const int64_t* team_begin;
  const int64_t* active;
  ReadyFlag* ready;             // (batch teams, chunks): steps of h completed
  int64_t* saturated_preacts;   // per thread
  int64_t* saturated_cells;

  int64_t ChunkBegin(int64_t c) const { return c * tiles_per_chunk; }
  // Thread k of a team owns the chunks [FirstChunk(k), FirstChunk(k + 1)): neighbours, so that
  // its share of each column block of W_h is one stream (packed_gates.h).
  int64_t FirstChunk(int64_t k) const { return std::min(chunks, k * chunks_per_thread); }
  int64_t ChunkEnd(int64_t c) const { return std::min(tiles, (c + 1) * tiles_per_chunk); }
  int64_t Time(int64_t s, int64_t b) const { return reverse ? lens[b] - 1 - s : s; }
};

template <typename P>
using Work = TileWork<typename P::Weight, typename P::Acc>;

template <typename P>
void SetShift(Work<P>& w, int shift, int h_frac) {
  w.shift = shift;
  w.h_frac = h_frac;
}

// 1. The input part of this thread's share of the tiles (`threads` shares) for the (step,
// sample) rows [row0, row1) at once (every row, unless the layer-wavefront hands the rows on a
// block of steps at a time): per column block of W_x (a unit tile's share stays in L2 while the
// rows pass), tile by tile, the rows in groups whose sums stay in registers across the block.
template <typename P>
void InputPart(const CellJob<P>& job, int thread, int threads, int64_t row0, int64_t row1, Work<P>& work) {
  const PackedCell<P>& cell = *job.cell;
  const int group = job.rows_per_tile;
  const int64_t rows = job.T * job.B, N4 = 4 * job.N;
  const int64_t steps = cell.wx.col_steps, per_block = cell.wx.block_steps;
  constexpr int kPer = PackedGates<typename P::Weight>::kColumnsPerStep;
  const int64_t share = CeilDiv(job.tiles, threads);
  const int64_t tile0 = std::min(job.tiles, thread * share), tile1 = std::min(job.tiles, tile0 + share);
  for (int64_t s0 = 0; s0 < steps; s0 += per_block) {
    const int64_t s1 = std::min(steps, s0 + per_block);
    const bool first = s0 == 0, last = s1 == steps;
    for (int64_t tile = tile0; tile < tile1; ++tile) {
      work.w = cell.wx.At(tile, s0 * kPer);
      work.steps = s1 - s0;
      work.epilogue = last ? Epilogue::kInputPart : Epilogue::kPark;
      work.bias = cell.bias.data() + tile * N4;
      SetShift<P>(work, cell.x_shift, cell.h_frac);
      for (int64_t g0 = row0; g0 < row1; g0 += group) {
        work.n = static_cast<int>(std::min<int64_t>(group, row1 - g0));
        for (int j = 0; j < work.n; ++j) {
          typename P::Acc* g = job.gx + (tile * rows + g0 + j) * N4;
          work.x[j] = job.in + (g0 + j) * job.in_stride + s0 * kPer;
          work.init[j] = first ? nullptr : g;
          work.out[j] = g;
        }
        RunTile(work);
      }
    }
  }
}

// 2. The recurrence of batch team `team` over the chunks of its thread `rank`, steps [step0,
// step1); `barrier` is the team's.
template <typename P>
void Recurrence(const CellJob<P>& job, int team, int rank, int64_t step0, int64_t step1, SpinBarrier* barrier,
                Work<P>& work) {
  const PackedCell<P>& cell = *job.cell;
  const int group = job.samples_per_tile;
  const int64_t N4 = 4 * job.N;
  constexpr int kPer = PackedGates<typename P::Weight>::kColumnsPerStep;
  const int64_t* order = job.order + job.team_begin[team];
  const int64_t* active = job.active + team * job.T;
  ReadyFlag* ready = job.ready + team * job.chunks;
  SetShift<P>(work, cell.h_shift, cell.h_frac);
  for (int64_t s = step0; s < step1; ++s) {
    const int64_t n_active = active[s];
    if (n_active == 0) break;
    if (!job.stall_free) barrier->Wait();
    const typename P::Weight* h_in = job.h_state + (s % 2) * job.B * job.Hp;
    typename P::Weight* h_out = job.h_state + ((s + 1) % 2) * job.B * job.Hp;
    for (int64_t cb = 0; cb < job.chunks; ++cb) {
      if (job.stall_free) {
        SpinUntil([&] { return ready[cb].steps.load(std::memory_order_acquire) >= s; });
      }
      const int64_t col0 = job.ChunkBegin(cb) * job.N;
      const int64_t col1 = std::min(job.H, job.ChunkEnd(cb) * job.N);
      const bool first = cb == 0, last = cb == job.chunks - 1;
      for (int64_t c = job.FirstChunk(rank); c < job.FirstChunk(rank + 1); ++c) {
        for (int64_t tile = job.ChunkBegin(c); tile < job.ChunkEnd(c); ++tile) {
          work.w = cell.wh.At(tile, col0);
          work.steps = CeilDiv(col1 - col0, kPer);
          work.epilogue = last ? Epilogue::kCell : Epilogue::kPark;
          work.y_units = static_cast<int>(std::min(job.N, job.H - tile * job.N));
          for (int64_t i0 = 0; i0 < n_active; i0 += group) {
            work.n = static_cast<int>(std::min<int64_t>(group, n_active - i0));
            for (int j = 0; j < work.n; ++j) {
              const int64_t b = order[i0 + j];
              typename P::Acc* park = job.park + (b * job.tiles + tile) * N4;
              work.x[j] = h_in + b * job.Hp + col0;
              work.init[j] = first ? nullptr : park;
              work.out[j] = park;
              if (last) {
                const int64_t row = job.Time(s, b) * job.B + b;
                work.input_part[j] = job.gx + (tile * job.T * job.B + row) * N4;
                work.c[j] = job.c_state + b * job.Hp + tile * job.N;
                work.h[j] = h_out + b * job.Hp + tile * job.N;
                work.y[j] = job.out + row * job.out_stride + job.out_offset + tile * job.N;
              }
            }
            RunTile(work);
          }
        }
        if (last) ready[c].steps.store(s + 1, std::memory_order_release);
      }
    }
  }
}

// One layer: the input parts of its directions over every thread, a meeting, then each team's
// recurrence (a team of one direction runs it; a team of both runs them one after the other).
template <typename P>
struct LayerJob {
  const CellJob<P>* directions[2];
  int num_directions;
  Decomposition decomposition;
  ThreadPool* pool;
  SpinBarrier* team_barriers;  // per team
};

template <typename P>
void RunLayerJob(void* context, int thread) {
  const LayerJob<P>& layer = *static_cast<const LayerJob<P>*>(context);
  const Decomposition& d = layer.decomposition;
  Work<P> work;
  for (int dir = 0; dir < layer.num_directions; ++dir) {
    const CellJob<P>& job = *layer.directions[dir];
    InputPart(job, thread, layer.pool->size(), 0, job.T * job.B, work);
  }
  layer.pool->Barrier();
  if (thread < d.threads()) {
    const int team = thread / d.hidden_threads, rank = thread % d.hidden_threads;
    const int direction_team = team / d.batch_teams, batch_team = team % d.batch_teams;
    for (int dir = 0; dir < layer.num_directions; ++dir) {
      if (d.direction_teams > 1 && dir != direction_team) continue;
      const CellJob<P>& job = *layer.directions[dir];
      // A thread without chunks has nothing to wait for, unless the barrier needs it.
      if (job.FirstChunk(rank) < job.chunks || !job.stall_free) {
        Recurrence(job, batch_team, rank, 0, job.T, &layer.team_barriers[team], work);
      }
    }
  }
  layer.directions[0]->saturated_preacts[thread] += work.saturated_preacts;
  layer.directions[0]->saturated_cells[thread] += work.saturated_cells;
}

// The layer-wavefront: the whole one-direction stack in one job. Each stage's team runs its
// layers block of steps by block: a layer's input part for the block's rows (once the layer
// below has handed them on), a meeting, the block's steps, a meeting, and the hand-over.
template <typename P>
struct StackJob {
  const CellJob<P>* layers;  // one per layer
  int num_layers;
  Decomposition decomposition;
  int64_t block_steps;
  ReadyFlag* handed_on;       // per layer: the steps of its output complete
  SpinBarrier* team_barriers;  // per stage
};

template <typename P>
void RunStackJob(void* context, int thread) {
  const StackJob<P>& stack = *static_cast<const StackJob<P>*>(context);
  const Decomposition& d = stack.decomposition;
  Work<P> work;
  if (thread < d.threads()) {
    const int stage = thread / d.hidden_threads, rank = thread % d.hidden_threads;
    SpinBarrier* barrier = &stack.team_barriers[stage];
    const int L = stack.num_layers;
    const int64_t T = stack.layers[0].T, B = stack.layers[0].B;
    for (int64_t s0 = 0; s0 < T; s0 += stack.block_steps) {
      const int64_t s1 = std::min(T, s0 + stack.block_steps);
      for (int l = 0; l < L; ++l) {
        if (LayerStage(l, L, d.layer_stages) != stage) continue;
        const CellJob<P>& job = stack.layers[l];
        if (l > 0 && LayerStage(l - 1, L, d.layer_stages) != stage) {
          SpinUntil([&] { return stack.handed_on[l - 1].steps.load(std::memory_order_acquire) >= s1; });
        }
        InputPart(job, rank, d.hidden_threads, s0 * B, s1 * B, work);
        barrier->Wait();
        if (job.FirstChunk(rank) < job.chunks || !job.stall_free) Recurrence(job, 0, rank, s0, s1, barrier, work);
        barrier->Wait();
        if (rank == 0) stack.handed_on[l].steps.store(s1, std::memory_order_release);
      }
    }
  }
  stack.layers[0].saturated_preacts[thread] += work.saturated_preacts;
  stack.layers[0].saturated_cells[thread] += work.saturated_cells;
}

// The buffers of one Run, kept between runs of the same shape.
// Each slot has its own input part, sums and state: a slot per direction (under a
// direction-split both run at once), or per layer under the layer-wavefront (all run at once).
template <typename P>
struct Workspace {
  int64_t T = -1, B = -1, blocks = -1, teams = -1, slots = -1;
  Buffer<typename P::Weight> padded_x;         // layer 0's input, where its width needs padding
  std::vector<Buffer<typename P::Weight>> outs;  // layer outputs: two taking turns, or one per layer
  Buffer<typename P::Acc> gx, park, c_state;   // per slot
  Buffer<typename P::Weight> h_state;          // per slot
  std::vector<int64_t> lens, order, team_begin, active;
  std::unique_ptr<ReadyFlag[]> ready;          // (slots, batch teams, blocks)
  std::unique_ptr<ReadyFlag[]> handed_on;      // per layer (the wavefront)
  std::unique_ptr<SpinBarrier[]> team_barriers;
};

// One precision's engine: packed cells and the loop above, run on the tiling it is given.
// State and outputs in the precision's own integers (int16) or floats.
template <typename P>
class Engine {
 public:
  using W = typename P::Weight;
  using A = typename P::Acc;

  Engine(const LstmShape& shape, std::vector<PackedCell<P>> cells, int threads)
      : shape_(shape), cells_(std::move(cells)), pool_(threads) {}

  int threads() const { return pool_.size(); }
  int64_t saturated_preacts() const { return std::accumulate(sat_preacts_.begin(), sat_preacts_.end(), int64_t{0}); }
  int64_t saturated_cells() const { return std::accumulate(sat_cells_.begin(), sat_cells_.end(), int64_t{0}); }

  // x: (T, B, I); h0, c0: (L*D, B, H) or empty; y: (T, B, D*H); h_n, c_n: (L*D, B, H).
  void Run(const Tensor<W>& x, const Tensor<W>& h0, const Tensor<A>& c0,
           const std::vector<int64_t>& seq_lens, const CpuTiling& tiling, Tensor<W>* y,
           Tensor<W>* h_n, Tensor<A>* c_n) {
    const int64_t T = x.shape[0], B = x.shape[1], I = shape_.input_size, H = shape_.hidden_size;
    const int D = shape_.directions(), L = shape_.num_layers;
    const int64_t N = tiling.lanes, tiles = tiling.tiles, Hp = RoundUp(tiles * N, 2);
    Prepare(T, B, seq_lens, tiling);
    Workspace<P>& ws = ws_;
    sat_preacts_.assign(pool_.size(), 0);
    sat_cells_.assign(pool_.size(), 0);
    const Decomposition& dec = tiling.decomposition;
    const bool wavefront = dec.wavefront();
    // Layer 0 reads x where it is: int16 kernels read whole column pairs, so only an odd
    // input width needs a padded copy (7 MiB per run at lrcn batch 32 otherwise).
    constexpr int kPer = PackedGates<W>::kColumnsPerStep;
    const int64_t x_stride = RoundUp(I, kPer), out_stride = RoundUp(D * H, 2);
    const W* x_in = x.ptr();
    if (x_stride != I) {
      for (int64_t r = 0; r < T * B; ++r) {
        std::copy(x.ptr() + r * I, x.ptr() + (r + 1) * I, ws.padded_x.data() + r * x_stride);
      }
      x_in = ws.padded_x.data();
    }
    const auto layer_out = [&](int layer) { return ws.outs[wavefront ? layer : layer % 2].data(); };
    const int64_t gx_size = T * B * tiles * 4 * N, park_size = B * tiles * 4 * N, state_size = B * Hp;
    std::vector<CellJob<P>> jobs(L * D);
    for (int layer = 0; layer < L; ++layer) {
      for (int dir = 0; dir < D; ++dir) {
        const int slot = wavefront ? layer : dir;
        CellJob<P>& job = jobs[layer * D + dir];
        job.cell = &cells_[layer * D + dir];
        job.stall_free = tiling.sync == StepSync::kStallFree;
        job.T = T; job.B = B; job.H = H; job.N = N; job.tiles = tiles;
        job.chunks = tiling.blocks;
        job.tiles_per_chunk = tiling.tiles_per_block;
        job.chunks_per_thread = tiling.blocks_per_thread;
        job.rows_per_tile = tiling.rows_per_tile;
        job.samples_per_tile = tiling.samples_per_tile;
        job.reverse = shape_.RunsBackward(dir);
        job.in = layer == 0 ? x_in : layer_out(layer - 1);
        job.in_stride = layer == 0 ? x_stride : out_stride;
        job.out = layer_out(layer); job.out_stride = out_stride; job.out_offset = dir * H;
        job.gx = ws.gx.data() + slot * gx_size; job.park = ws.park.data() + slot * park_size;
        job.h_state = ws.h_state.data() + slot * 2 * state_size;
        job.c_state = ws.c_state.data() + slot * state_size;
        job.Hp = Hp;
        job.lens = ws.lens.data(); job.order = ws.order.data(); job.team_begin = ws.team_begin.data();
        job.active = ws.active.data();
        job.ready = ws.ready.get() + slot * dec.batch_teams * tiling.blocks;
        job.saturated_preacts = sat_preacts_.data();
        job.saturated_cells = sat_cells_.data();
      }
    }
    // A cell's state starts from h0, c0 (or zeros; padding lanes stay zero), its output at
    // zeros (y is zero past each sample's length); after its run, each sample's final state is
    // the one after its last valid step.
    const auto start = [&](int layer) {
      std::fill(layer_out(layer), layer_out(layer) + T * B * out_stride, W{0});
      for (int dir = 0; dir < D; ++dir) {
        const int64_t cell = layer * D + dir;
        const CellJob<P>& job = jobs[cell];
        std::fill(job.h_state, job.h_state + 2 * state_size, W{0});
        std::fill(job.c_state, job.c_state + state_size, A{0});
        for (int64_t b = 0; b < B; ++b) {
          if (!h0.empty()) std::copy_n(h0.ptr() + (cell * B + b) * H, H, job.h_state + b * Hp);
          if (!c0.empty()) std::copy_n(c0.ptr() + (cell * B + b) * H, H, job.c_state + b * Hp);
        }
        for (int64_t c = 0; c < dec.batch_teams * tiling.blocks; ++c) job.ready[c].steps.store(0, std::memory_order_relaxed);
      }
      if (wavefront) ws.handed_on[layer].steps.store(0, std::memory_order_relaxed);
    };
    const auto finish = [&](int layer) {
      for (int dir = 0; dir < D; ++dir) {
        const int64_t cell = layer * D + dir;
        const CellJob<P>& job = jobs[cell];
        for (int64_t b = 0; b < B; ++b) {
          std::copy_n(job.h_state + ((ws.lens[b] % 2) * B + b) * Hp, H, h_n->ptr() + (cell * B + b) * H);
          std::copy_n(job.c_state + b * Hp, H, c_n->ptr() + (cell * B + b) * H);
        }
      }
    };
    if (wavefront) {
      for (int layer = 0; layer < L; ++layer) start(layer);
      StackJob<P> stack{jobs.data(), L, dec, tiling.wavefront_steps, ws.handed_on.get(), ws.team_barriers.get()};
      pool_.Run(&RunStackJob<P>, &stack);
      for (int layer = 0; layer < L; ++layer) finish(layer);
    } else {
      for (int layer = 0; layer < L; ++layer) {
        start(layer);
        LayerJob<P> layer_job{};
        for (int dir = 0; dir < D; ++dir) layer_job.directions[dir] = &jobs[layer * D + dir];
        layer_job.num_directions = D;
        layer_job.decomposition = dec;
        layer_job.pool = &pool_;
        layer_job.team_barriers = ws.team_barriers.get();
        pool_.Run(&RunLayerJob<P>, &layer_job);
        finish(layer);
      }
    }
    const W* last = layer_out(L - 1);
    for (int64_t r = 0; r < T * B; ++r) {
      std::copy_n(last + r * out_stride, D * H, y->ptr() + r * D * H);
    }
  }

 private:
  // Lays the weights out in the tiling's blocks and sizes the workspace for (T, B); both are
  // kept while the shape and the tiling stay the same.
  void Prepare(int64_t T, int64_t B, const std::vector<int64_t>& seq_lens, const CpuTiling& t) {
    const int64_t I = shape_.input_size, H = shape_.hidden_size, D = shape_.directions(), L = shape_.num_layers;
    constexpr int kPer = PackedGates<W>::kColumnsPerStep;
    const Decomposition& d = t.decomposition;
    if (t.lanes != BestTarget().lanes || t.threads != pool_.size() || d.threads() > pool_.size() ||
        d.direction_teams > D || static_cast<int>(t.input_block_columns.size()) != shape_.num_layers ||
        (d.wavefront() && (D != 1 || d.layer_stages > L || d.teams() != d.layer_stages || t.wavefront_steps < 1))) {
      Fail("internal: a CPU plan for {} lanes and {} threads ({}), run by kernels of {} lanes on {} threads",
           t.lanes, t.threads, d.Spec(), BestTarget().lanes, pool_.size());
    }
    const int64_t N = t.lanes, tiles = t.tiles, Hp = RoundUp(tiles * N, 2);
    // The weights in the plan's blocks (packed_gates.h): W_h in column blocks of one chunk of
    // h, grouped by the thread that owns the tiles; W_x in its layer's input blocks.
    for (int layer = 0; layer < shape_.num_layers; ++layer) {
      for (int dir = 0; dir < D; ++dir) {
        PackedCell<P>& cell = cells_[layer * D + dir];
        cell.wh.Reblock(CeilDiv(t.block_columns(), kPer), t.blocks_per_thread * t.tiles_per_block);
        cell.wx.Reblock(CeilDiv(t.input_block_columns[layer], kPer));
      }
    }
    Workspace<P>& ws = ws_;
    const int64_t slots = d.wavefront() ? L : D;
    if (ws.T != T || ws.B != B || ws.blocks != t.blocks || ws.teams != d.teams() || ws.slots != slots) {
      const int64_t out_width = RoundUp(D * H, 2);
      ws.padded_x.assign(RoundUp(I, kPer) != I ? T * B * RoundUp(I, kPer) : 0, 0);
      ws.outs.assign(d.wavefront() ? L : std::min<int64_t>(L, 2), Buffer<W>(T * B * out_width, 0));
      ws.gx.assign(slots * T * B * tiles * 4 * N, 0);
      ws.park.assign(slots * B * tiles * 4 * N, 0);
      ws.h_state.assign(slots * 2 * B * Hp, 0);
      ws.c_state.assign(slots * B * Hp, 0);
      ws.ready = std::make_unique<ReadyFlag[]>(slots * d.batch_teams * t.blocks);
      ws.handed_on = std::make_unique<ReadyFlag[]>(L);
      ws.team_barriers = std::make_unique<SpinBarrier[]>(d.teams());
      ws.T = T;
      ws.B = B;
      ws.blocks = t.blocks;
      ws.teams = d.teams();
      ws.slots = slots;
    }
    for (int team = 0; team < d.teams(); ++team) ws.team_barriers[team].Reset(d.hidden_threads);
    ws.lens.assign(B, T);
    if (!seq_lens.empty()) std::copy(seq_lens.begin(), seq_lens.end(), ws.lens.begin());
    // The batch teams deal the samples out by decreasing length, so that each team's longest
    // sequences are as long as the others'.
    std::vector<int64_t> by_length(B);
    std::iota(by_length.begin(), by_length.end(), 0);
    std::stable_sort(by_length.begin(), by_length.end(),
                     [&](int64_t a, int64_t b) { return ws.lens[a] > ws.lens[b]; });
    const int teams = d.batch_teams;
    ws.order.clear();
    ws.team_begin.assign(teams + 1, 0);
    ws.active.assign(teams * T, 0);
    for (int g = 0; g < teams; ++g) {
      ws.team_begin[g] = static_cast<int64_t>(ws.order.size());
      for (int64_t i = g; i < B; i += teams) {
        const int64_t b = by_length[i];
        ws.order.push_back(b);
        for (int64_t s = 0; s < ws.lens[b]; ++s) ++ws.active[g * T + s];
      }
    }
    ws.team_begin[teams] = B;
  }

  LstmShape shape_;
  std::vector<PackedCell<P>> cells_;
  ThreadPool pool_;
  Workspace<P> ws_;
  std::vector<int64_t> sat_preacts_, sat_cells_;
};

std::vector<PackedCell<Fp32>> PackFp32(const LstmModel& model) {
  const LstmShape& s = model.shape;
  const int n = BestTarget().lanes;
  std::vector<PackedCell<Fp32>> cells;
  for (int layer = 0; layer < s.num_layers; ++layer) {
    for (int dir = 0; dir < s.directions(); ++dir) {
      const CellWeights& w = model.cell(layer, dir);
      PackedCell<Fp32> c;
      c.wx = PackGates(w.w_ih.data(), s.hidden_size, s.LayerInputSize(layer), n);
      c.wh = PackGates(w.w_hh.data(), s.hidden_size, s.hidden_size, n);
      std::vector<float> bias(s.GateRows(), 0.0f);
      if (s.has_bias) {
        for (int64_t r = 0; r < s.GateRows(); ++r) bias[r] = w.b_ih[r] + w.b_hh[r];
      }
      c.bias = PackRows<float>(bias.data(), s.hidden_size, n);
      cells.push_back(std::move(c));
    }
  }
  return cells;
}

// Whether some format of `q` needs a left shift (a RoundShift by <= 0): the kernels' 32-bit
// lanes are exact only for right shifts (numeric/datapath-inl.h, Simd), so such a model runs
// the golden model's scalar code.
bool NeedsLeftShift(const QuantizedModel& q) {
  for (int layer = 0; layer < q.shape.num_layers; ++layer) {
    for (int dir = 0; dir < q.shape.directions(); ++dir) {
      const CellDatapath datapath(q, layer, dir);
      if (datapath.x_shift() < 1 || datapath.h_shift() < 1) return true;
    }
  }
  return false;
}

// The int16 cells (nothing when the model needs a left shift).
std::vector<PackedCell<Int16>> PackInt16(const QuantizedModel& q) {
  if (NeedsLeftShift(q)) return {};
  const LstmShape& s = q.shape;
  const int n = BestTarget().lanes;
  std::vector<PackedCell<Int16>> cells;
  for (int layer = 0; layer < s.num_layers; ++layer) {
    for (int dir = 0; dir < s.directions(); ++dir) {
      const CellDatapath datapath(q, layer, dir);
      const QuantizedCell& w = datapath.weights();
      PackedCell<Int16> c;
      c.x_shift = datapath.x_shift();
      c.h_shift = datapath.h_shift();
      c.h_frac = datapath.h_format().frac_bits;
      c.wx = PackGates(w.w_ih.data(), s.hidden_size, s.LayerInputSize(layer), n);
      c.wh = PackGates(w.w_hh.data(), s.hidden_size, s.hidden_size, n);
      c.bias = PackRows<int32_t>(w.bias.data(), s.hidden_size, n);
      cells.push_back(std::move(c));
    }
  }
  return cells;
}

// The executors' planning: the board measured once, what the user fixed, and the plan for the
// latest (steps, batch), made again only when they change.
class EnginePlanner {
 public:
  EnginePlanner(const LstmShape& shape, const CpuBoard& board, const ExecutorOptions& o)
      : shape_(shape), board_(board) {
    request_.precision = o.precision;
    request_.threads = o.threads;
    request_.sync = o.sync;
    request_.decomposition = o.decomposition;
    if (o.plan.blocks) request_.blocks = *o.plan.blocks;
    // Bad options are refused now, not at the first run: a plan for a batch every
    // decomposition can split (a forced batch-split is refused later for a batch of one).
    CpuPlanRequest any = request_;
    any.batch = int64_t{1} << 20;
    plan_ = PlanCpu(shape_, board_, any);
    request_.steps = 0;  // the first run plans for its own steps and batch
  }
  int threads() const { return plan_.tiling.threads; }
  const CpuPlan& For(int64_t steps, int64_t batch) {
    if (steps != request_.steps || batch != request_.batch) {
      request_.steps = steps;
      request_.batch = batch;
      plan_ = PlanCpu(shape_, board_, request_);
    }
    return plan_;
  }
  const CpuPlan& last() const { return plan_; }

 private:
  LstmShape shape_;
  CpuBoard board_;
  CpuPlanRequest request_;
  CpuPlan plan_;
};

FixedOutput RunEngine(Engine<Int16>& engine, const LstmShape& s, const FixedInput& input,
                      const CpuTiling& tiling, SaturationCounts* counts) {
  const int64_t T = input.x.shape[0], B = input.x.shape[1], H = s.hidden_size;
  FixedOutput out{Tensor<int16_t>({T, B, s.directions() * H}),
                  Tensor<int16_t>({s.num_cells(), B, H}), Tensor<int32_t>({s.num_cells(), B, H})};
  engine.Run(input.x, input.h0, input.c0, input.seq_lens, tiling, &out.y, &out.h_n, &out.c_n);
  if (counts) {
    counts->preacts += engine.saturated_preacts();
    counts->cells += engine.saturated_cells();
  }
  return out;
}

class CpuFp32Executor final : public Executor {
 public:
  CpuFp32Executor(const LstmModel& model, const ExecutorOptions& o)
      : planner_(model.shape, ThisCpuBoard(), o),
        engine_(model.shape, PackFp32(model), planner_.threads()),
        model_(model) {}
  std::string name() const override { return "cpu"; }
  std::string arithmetic() const override { return "fp32"; }
  LstmOutput Run(const LstmInput& in) override {
    ValidateInput(model_, in);
    const LstmShape& s = model_.shape;
    const int64_t T = in.steps(), B = in.batch(), H = s.hidden_size;
    LstmOutput out{TensorF({T, B, s.directions() * H}), TensorF({s.num_cells(), B, H}),
                   TensorF({s.num_cells(), B, H})};
    engine_.Run(in.x, in.h0, in.c0, in.seq_lens, planner_.For(T, B).tiling, &out.y, &out.h_n, &out.c_n);
    return out;
  }
  nlohmann::json Details() const override { return {{"plan", CpuPlanJson(planner_.last())}}; }

 private:
  EnginePlanner planner_;
  Engine<Fp32> engine_;
  const LstmModel& model_;
};

class CpuInt16Executor final : public FixedPointExecutor {
 public:
  CpuInt16Executor(const LstmModel& model, const ExecutorOptions& o)
      : FixedPointExecutor(model, o),
        planner_(model.shape, ThisCpuBoard(), o),
        engine_(model.shape, PackInt16(quantized()), planner_.threads()),
        fallback_(NeedsLeftShift(quantized())) {
    if (fallback_) {
      Warn("the int16 formats of this model need left shifts; the cpu engine runs the golden "
           "model's scalar code for it (exact, slow)");
    }
  }
  std::string name() const override { return "cpu"; }
  nlohmann::json Details() const override {
    nlohmann::json j = FixedPointExecutor::Details();
    j["plan"] = CpuPlanJson(planner_.last());
    if (fallback_) j["fallback"] = "golden scalar code (formats need left shifts)";
    return j;
  }

 private:
  FixedOutput RunFixed(const FixedInput& q, SaturationCounts* counts) override {
    if (fallback_) return RunGolden(quantized(), q, counts);
    const CpuPlan& plan = planner_.For(q.x.shape[0], q.x.shape[1]);
    return RunEngine(engine_, quantized().shape, q, plan.tiling, counts);
  }

  EnginePlanner planner_;
  Engine<Int16> engine_;
  bool fallback_;
};

}  // namespace

FixedOutput RunCpuFixed(const QuantizedModel& model, const FixedInput& input, CpuPlanRequest request,
                        SaturationCounts* counts) {
  std::vector<PackedCell<Int16>> cells = PackInt16(model);
  if (cells.empty()) return RunGolden(model, input, counts);
  request.steps = input.x.shape[0];
  request.batch = input.x.shape[1];
  request.precision = Precision::kInt16;
  // The tiling needs the caches and the kernels' target, not the measured ceilings (without
  // them the planner predicts nothing: the decomposition is the one forced, or hidden-split).
  const CpuPlan plan = PlanCpu(model.shape, DetectCpuBoard(), request);
  Engine<Int16> engine(model.shape, std::move(cells), plan.tiling.threads);
  return RunEngine(engine, model.shape, input, plan.tiling, counts);
}

std::unique_ptr<Executor> MakeEngineExecutor(const LstmModel& model, const ExecutorOptions& options) {
  if (options.precision == Precision::kInt16) return std::make_unique<CpuInt16Executor>(model, options);
  return std::make_unique<CpuFp32Executor>(model, options);
}

}  // namespace sbe::cpu

namespace sbe {

std::unique_ptr<Executor> MakeCpuExecutor(const LstmModel& model, const ExecutorOptions& options) {
  return cpu::MakeEngineExecutor(model, options);
}

}  // namespace sbe
