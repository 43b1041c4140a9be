// Open-loop load: Poisson arrivals dispatched to a pool of keep-alive connections.
#include "serve/load_generator.h"

#include <fmt/format.h>
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <random>
#include <thread>

#include "sbe/error.h"
#include "serve/protocol.h"

namespace sbe::serve {
namespace {

using Clock = std::chrono::steady_clock;

httplib::Headers Auth(const LoadOptions& o) {
  httplib::Headers h;
  if (!o.token.empty()) h.emplace("Authorization", "Bearer " + o.token);
  return h;
}

int64_t InputSize(const LoadOptions& o) {
  httplib::Client client(o.host, o.port);
  client.set_connection_timeout(5);
  const auto res = client.Get(fmt::format("/v2/models/{}", o.model), Auth(o));
  if (!res) Fail("{}:{}: no answer ({})", o.host, o.port, httplib::to_string(res.error()));
  if (res->status != 200) Fail("{}:{}: model {}: HTTP {} {}", o.host, o.port, o.model, res->status, res->body);
  const auto meta = nlohmann::json::parse(res->body, nullptr, false);
  if (meta.is_discarded() || !meta.contains("inputs")) Fail("{}:{}: model {}: metadata without inputs", o.host, o.port, o.model);
  return meta["inputs"][0]["shape"][2].get<int64_t>();
}

struct Body {
  std::string text, content_type;
  httplib::Headers headers;
};

Body MakeBody(const LoadOptions& o, int64_t input_size, int64_t steps, const SequenceControl& seq, std::mt19937_64& rng) {
  InferRequest r;
  Tensor x{"input", DataType::kFp32, {o.samples, steps, input_size}, {}, {}, false};
  std::uniform_real_distribution<float> u(-1, 1);
  x.f32.resize(o.samples * steps * input_size);
  for (float& v : x.f32) v = u(rng);
  r.inputs.push_back(std::move(x));
  r.sequence = seq;
  r.outputs.push_back({"output", o.binary});
  std::optional<int64_t> header_length;
  Body b;
  b.text = EncodeRestRequest(r, o.binary, &header_length);
  b.headers = Auth(o);
  if (header_length) b.headers.emplace("Inference-Header-Content-Length", std::to_string(*header_length));
  b.content_type = header_length ? "application/octet-stream" : "application/json";
  return b;
}

// Latencies and failures, gathered from every connection's thread.
struct Tally {
  std::mutex mutex;
  std::vector<double> latency_s;
  std::map<std::string, int64_t> errors;  // "HTTP 429", "connection: ..."
  int64_t completed = 0;

  void Record(const httplib::Result& res, double seconds) {
    std::lock_guard lock(mutex);
    if (res && res->status == 200) {
      latency_s.push_back(seconds);
      ++completed;
    } else {
      ++errors[res ? fmt::format("HTTP {}", res->status) : "connection: " + httplib::to_string(res.error())];
    }
  }
};

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t i = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
  return v[i];
}

nlohmann::json Summary(const LoadOptions& o, Tally& t, int64_t sent, double seconds, int64_t frames_per_request) {
  nlohmann::json j;
  j["sent"] = sent;
  j["completed"] = t.completed;
  j["errors"] = t.errors;
  j["failed"] = sent - t.completed;
  j["seconds"] = seconds;
  j["throughput_per_s"] = t.completed / seconds;
  j["samples_per_s"] = static_cast<double>(t.completed * o.samples) / seconds;
  j["frames_per_s"] = static_cast<double>(t.completed * frames_per_request * o.samples) / seconds;
  j["latency_ms"] = {{"p50", 1e3 * Percentile(t.latency_s, 0.50)}, {"p90", 1e3 * Percentile(t.latency_s, 0.90)},
                     {"p99", 1e3 * Percentile(t.latency_s, 0.99)}, {"max", 1e3 * Percentile(t.latency_s, 1.0)}};
  return j;
}

std::unique_ptr<httplib::Client> Connect(const LoadOptions& o) {
  auto c = std::make_unique<httplib::Client>(o.host, o.port);
  c->set_keep_alive(true);
  c->set_tcp_nodelay(true);
  c->set_connection_timeout(5);
  c->set_read_timeout(static_cast<time_t>(o.grace_s + o.duration_s + 5));
  return c;
}

nlohmann::json WholeSequences(const LoadOptions& o, int64_t input_size) {
  if (!(o.rate > 0)) Fail("rate {}: must be positive", o.rate);
  std::mt19937_64 rng(o.seed);
  const Body body = MakeBody(o, input_size, o.steps, {}, rng);
  const std::string path = fmt::format("/v2/models/{}/infer", o.model);
  // Arrival times, fixed before the run: the offered load does not depend on the answers.
  std::vector<double> arrivals;
  std::exponential_distribution<double> gap(o.rate);
  for (double t = gap(rng); t < o.duration_s; t += gap(rng)) arrivals.push_back(t);

  Tally tally;
  std::mutex mutex;
  std::condition_variable ready;
  std::deque<double> due;  // arrivals dispatched, waiting for a connection
  bool done = false;
  const Clock::time_point start = Clock::now();
  std::vector<std::thread> workers;
  for (int w = 0; w < o.connections; ++w) {
    workers.emplace_back([&] {
      auto client = Connect(o);
      while (true) {
        double at;
        {
          std::unique_lock lock(mutex);
          ready.wait(lock, [&] { return done || !due.empty(); });
          if (due.empty()) return;
          at = due.front();
          due.pop_front();
        }
        const auto res = client->Post(path, body.headers, body.text, body.content_type);
        const double latency = std::chrono::duration<double>(Clock::now() - start).count() - at;
        tally.Record(res, latency);
      }
    });
  }
  for (double at : arrivals) {
    std::this_thread::sleep_until(start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(at)));
    {
      std::lock_guard lock(mutex);
      due.push_back(at);
    }
    ready.notify_one();
  }
  {
    std::lock_guard lock(mutex);
    done = true;
  }
  ready.notify_all();
  for (auto& w : workers) w.join();
  const double seconds = std::max(o.duration_s, std::chrono::duration<double>(Clock::now() - start).count());
  nlohmann::json j = Summary(o, tally, static_cast<int64_t>(arrivals.size()), seconds, o.steps);
  j["mode"] = "whole";
  j["offered_per_s"] = static_cast<double>(arrivals.size()) / o.duration_s;
  return j;
}

nlohmann::json Streams(const LoadOptions& o, int64_t input_size) {
  if (o.chunk < 1 || o.frames < 1) Fail("frames {} and chunk {}: must be at least 1", o.frames, o.chunk);
  const int64_t chunks = (o.frames + o.chunk - 1) / o.chunk;
  Tally tally;
  std::atomic<int64_t> sent{0};
  const Clock::time_point start = Clock::now();
  std::vector<std::thread> streams;
  const uint64_t base = std::random_device{}() % 1000000000ULL * 1000;  // distinct ids per run
  for (int s = 0; s < o.streams; ++s) {
    streams.emplace_back([&, s] {
      std::mt19937_64 rng(o.seed * 7919 + s);
      auto client = Connect(o);
      const std::string path = fmt::format("/v2/models/{}/infer", o.model);
      const std::string id = std::to_string(base + s + 1);
      for (int64_t k = 0; k < chunks; ++k) {
        const int64_t steps = std::min(o.chunk, o.frames - k * o.chunk);
        const Body body = MakeBody(o, input_size, steps, {id, k == 0, k == chunks - 1}, rng);
        // A paced stream's chunk is due when its last frame has arrived.
        Clock::time_point due = Clock::now();
        if (o.frame_rate > 0) {
          due = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(static_cast<double>((k + 1) * o.chunk) / o.frame_rate));
          std::this_thread::sleep_until(due);
        }
        ++sent;
        const auto res = client->Post(path, body.headers, body.text, body.content_type);
        tally.Record(res, std::chrono::duration<double>(Clock::now() - due).count());
        if (!res || res->status != 200) return;  // the stream is broken: its state is gone
      }
    });
  }
  for (auto& t : streams) t.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  nlohmann::json j = Summary(o, tally, sent, seconds, o.chunk);
  j["mode"] = "streams";
  j["streams"] = o.streams;
  j["frames"] = o.frames;
  j["chunk"] = o.chunk;
  j["frame_rate"] = o.frame_rate;
  return j;
}

}  // namespace

LoadResult RunLoad(const LoadOptions& o) {
  if (o.samples < 1 || o.steps < 1) Fail("samples {} and steps {}: must be at least 1", o.samples, o.steps);
  if (o.connections < 1) Fail("connections {}: must be at least 1", o.connections);
  const int64_t input_size = InputSize(o);
  LoadResult r;
  r.json = o.streams > 0 ? Streams(o, input_size) : WholeSequences(o, input_size);
  r.json["model"] = o.model;
  r.json["binary"] = o.binary;
  if (o.streams == 0) {
    r.json["steps"] = o.steps;
    r.json["rate"] = o.rate;
    r.json["duration_s"] = o.duration_s;
  }
  r.json["samples_per_request"] = o.samples;
  return r;
}

}  // namespace sbe::serve
