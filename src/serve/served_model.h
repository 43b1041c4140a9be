// One model behind the server: where blocking-batching meets concurrent users. Requests from
// every connection queue here; one scheduler thread forms a batch from them (up to max_batch
// samples, or whatever has arrived when the oldest has waited max_queue_delay) and runs it
// through the model's executor, so each weight fetched is reused by every user in the batch.
//
// Streams (stateful sequences) are samples like any other: the server keeps each stream's
// (h, c) between chunks and a batch holds the next ready chunk of as many streams as fit, the
// "batch dispatch" of production speech systems. A batch holds at most one chunk of a stream,
// since the next chunk starts from the state the previous one ends in.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "sbe/executor.h"
#include "sbe/model.h"
#include "serve/metrics.h"
#include "serve/protocol.h"

namespace sbe::serve {

struct BatchingOptions {
  int max_batch = 64;                           // samples per batch
  std::chrono::microseconds max_queue_delay{0};  // how long the oldest request waits for others
  int max_sequences = 1024;                     // live streams
  std::chrono::milliseconds sequence_idle_timeout{std::chrono::seconds(60)};
  int64_t max_queued_samples = 4096;  // samples waiting; beyond it requests are refused (429)
};

class ServedModel {
 public:
  // Binds the executor now (packing weights), so the first request is not slower than the rest.
  ServedModel(std::string name, LstmModel model, const ExecutorOptions& executor, const BatchingOptions& batching,
              Metrics* metrics);
  ~ServedModel();  // finishes what is queued, then stops the scheduler
  ServedModel(const ServedModel&) = delete;
  ServedModel& operator=(const ServedModel&) = delete;

  const std::string& name() const { return name_; }
  const LstmModel& model() const { return model_; }
  // Runs one request and waits for its batch. Throws ServeError for anything the client did.
  InferResponse Infer(const InferRequest& request);
  // The protocol's model metadata: the tensors this model takes and gives.
  nlohmann::json Metadata() const;
  // Refuses new requests (kUnavailable) and waits until every queued one is answered.
  void Drain();
  int live_sequences() const;

 private:
  struct Item;
  struct Stream;
  struct Batch;
  void ScheduleLoop();
  void Reap(std::chrono::steady_clock::time_point now);
  void RunBatch(Batch& batch);
  void CheckInputs(const InferRequest& r, Item* item) const;

  const std::string name_;
  const LstmModel model_;
  const BatchingOptions options_;
  Metrics* metrics_;
  const Labels labels_;
  std::unique_ptr<Executor> executor_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;     // the scheduler: work arrived, or stop
  std::condition_variable drained_;  // Drain: the queue emptied
  std::deque<std::unique_ptr<Item>> queue_;
  int64_t queued_samples_ = 0;
  bool running_batch_ = false;
  bool draining_ = false;
  bool stopping_ = false;
  std::map<std::string, Stream> streams_;
  std::thread scheduler_;
};

}  // namespace sbe::serve
