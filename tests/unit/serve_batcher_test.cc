// The server's batcher (serve::ServedModel) under concurrent clients: whole sequences and
// streams of chunks from several threads at once, batched together by the scheduler thread,
// each answered with its own sample's result: bit-exact with the same sample run alone (int16,
// whose integers do not depend on the batch around them). Also what the ThreadSanitizer run
// checks for races (scripts/test.sh).
#include <gtest/gtest.h>

#include <thread>

#include "common/random.h"
#include "sbe/executor.h"
#include "sbe/presets.h"
#include "serve/served_model.h"
#include "serve/service.h"

namespace sbe::serve {
namespace {

const LstmShape kShape{5, 11, 2, false, true};

// One sample's (steps x input) values, batch-first as the protocol sends them.
std::vector<float> RandomSample(int64_t steps, uint64_t seed) {
  Random rng(seed);
  std::vector<float> x(static_cast<size_t>(steps * kShape.input_size));
  for (float& v : x) v = rng.Uniform(-1, 1);
  return x;
}

InferRequest Request(const std::vector<float>& x, const std::string& sequence = "", bool start = false,
                     bool end = false) {
  InferRequest r;
  r.model = "m";
  Tensor t;
  t.name = "input";
  t.shape = {1, static_cast<int64_t>(x.size()) / kShape.input_size, kShape.input_size};
  t.f32 = x;
  r.inputs.push_back(std::move(t));
  r.sequence = {sequence, start, end};
  return r;
}

const std::vector<float>& Output(const InferResponse& r) {
  for (const Tensor& t : r.outputs) {
    if (t.name == "output") return t.f32;
  }
  throw std::runtime_error("no output");
}

ExecutorOptions Int16Cpu() {
  ExecutorOptions o;
  o.precision = Precision::kInt16;
  o.input_range = InputRange{-1, 1};
  o.threads = 2;
  return o;
}

TEST(ServeBatcher, ConcurrentClientsAndStreamsGetTheirOwnResults) {
  const LstmModel model = MakeRandomModel(kShape, 3, "m");
  InferenceService service("", false);  // declares the metrics the batcher counts in
  Metrics& metrics = service.metrics();
  BatchingOptions batching;
  batching.max_batch = 6;
  batching.max_queue_delay = std::chrono::microseconds(500);
  ServedModel served("m", model, Int16Cpu(), batching, &metrics);
  // The same sample alone, through the same kind of executor, outside the server.
  ServedModel alone("m", model, Int16Cpu(), BatchingOptions{}, &metrics);

  constexpr int kClients = 4, kRequests = 12, kStreams = 3, kChunks = 5, kChunkSteps = 2;
  std::vector<std::vector<float>> got(kClients * kRequests), inputs(kClients * kRequests);
  std::vector<std::vector<float>> streamed(kStreams), stream_inputs(kStreams);
  std::vector<std::thread> threads;
  for (int c = 0; c < kClients; ++c) {
    threads.emplace_back([&, c] {
      for (int i = 0; i < kRequests; ++i) {
        const int k = c * kRequests + i;
        inputs[k] = RandomSample(1 + k % 4, 100 + k);
        got[k] = Output(served.Infer(Request(inputs[k])));
      }
    });
  }
  for (int s = 0; s < kStreams; ++s) {
    threads.emplace_back([&, s] {
      const std::string id = "stream-" + std::to_string(s);
      for (int chunk = 0; chunk < kChunks; ++chunk) {
        const std::vector<float> x = RandomSample(kChunkSteps, 1000 + s * kChunks + chunk);
        stream_inputs[s].insert(stream_inputs[s].end(), x.begin(), x.end());
        const std::vector<float> y = Output(served.Infer(Request(x, id, chunk == 0, chunk == kChunks - 1)));
        streamed[s].insert(streamed[s].end(), y.begin(), y.end());
      }
    });
  }
  for (std::thread& t : threads) t.join();

  for (size_t k = 0; k < got.size(); ++k) {
    EXPECT_EQ(got[k], Output(alone.Infer(Request(inputs[k])))) << "request " << k;
  }
  // A stream's chunks, carried through the server's state, are the whole sequence run at once.
  for (int s = 0; s < kStreams; ++s) {
    EXPECT_EQ(streamed[s], Output(alone.Infer(Request(stream_inputs[s])))) << "stream " << s;
  }
  EXPECT_EQ(served.live_sequences(), 0);
  served.Drain();
  EXPECT_THROW(served.Infer(Request(inputs[0])), ServeError);
}

}  // namespace
}  // namespace sbe::serve
