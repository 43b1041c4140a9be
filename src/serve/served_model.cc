// Dynamic batching of whole sequences and of streams' chunks, on one executor.
#include "serve/served_model.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <future>
#include <set>

#include "sbe/error.h"
#include "sbe/lstm_io.h"

namespace sbe::serve {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

const char* kInput = "input";
const char* kLengths = "lengths";
const char* kH0 = "h0";
const char* kC0 = "c0";
const char* kOutput = "output";
const char* kHn = "h_n";
const char* kCn = "c_n";

// (b, a, n) batch-first rows -> (a, b, n), or back: the protocol is batch-first, the
// executors sequence-first.
TensorF Transpose01(std::vector<int64_t> shape, const float* values) {
  return SwapFirstTwoAxes(TensorF::View(std::move(shape), values));
}

}  // namespace

// The result of one item of a batch: its outputs, sequence-first as the executor gives them.
struct ItemResult {
  TensorF y, h_n, c_n;
};

struct ServedModel::Item {
  TensorF x;                     // (T, b, input_size)
  TensorF h0, c0;                // (L*D, b, H), or empty: zeros (or the stream's state)
  std::vector<int64_t> lengths;  // b, or empty: T each
  SequenceControl sequence;
  Clock::time_point arrival;
  std::promise<ItemResult> done;
  int64_t samples() const { return x.shape[1]; }
  int64_t steps() const { return x.shape[0]; }
};

struct ServedModel::Stream {
  TensorF h, c;  // (L*D, 1, H)
  Clock::time_point last_used;
  int pending = 0;  // chunks queued, not yet run: the stream does not expire under them
};

struct ServedModel::Batch {
  std::vector<std::unique_ptr<Item>> items;
  Clock::time_point formed;
};

ServedModel::ServedModel(std::string name, LstmModel model, const ExecutorOptions& executor,
                         const BatchingOptions& batching, Metrics* metrics)
    : name_(std::move(name)), model_(std::move(model)), options_(batching), metrics_(metrics), labels_{{"model", name_}} {
  if (options_.max_batch < 1) Fail("max batch {}: must be at least 1", options_.max_batch);
  if (executor.precision == Precision::kInt16 && !executor.input_range) {
    // Every batch mixes users: one calibration, fixed up front, is what makes a request's
    // answer independent of whom it was batched with.
    Fail("model {}: int16 serving needs a fixed input range (--input-range LO,HI)", name_);
  }
  executor_ = MakeExecutor("auto", model_, executor);
  metrics_->Set("sbe_live_sequences", labels_, 0);
  metrics_->Set("sbe_queued_samples", labels_, 0);
  scheduler_ = std::thread([this] { ScheduleLoop(); });
}

ServedModel::~ServedModel() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  scheduler_.join();
}

int ServedModel::live_sequences() const {
  std::lock_guard lock(mutex_);
  return static_cast<int>(streams_.size());
}

nlohmann::json ServedModel::Metadata() const {
  const LstmShape& s = model_.shape;
  const int64_t cells = s.num_cells(), out = s.directions() * s.hidden_size;
  auto tensor = [](const char* name, const char* type, std::vector<int64_t> shape) {
    return nlohmann::json{{"name", name}, {"datatype", type}, {"shape", shape}};
  };
  return {{"name", name_},
          {"versions", {"1"}},
          {"platform", fmt::format("sbe_lstm_{}", executor_->arithmetic())},
          {"inputs",
           {tensor(kInput, "FP32", {-1, -1, s.input_size}), tensor(kLengths, "INT64", {-1}),
            tensor(kH0, "FP32", {-1, cells, s.hidden_size}), tensor(kC0, "FP32", {-1, cells, s.hidden_size})}},
          {"outputs",
           {tensor(kOutput, "FP32", {-1, -1, out}), tensor(kHn, "FP32", {-1, cells, s.hidden_size}),
            tensor(kCn, "FP32", {-1, cells, s.hidden_size})}}};
}

void ServedModel::CheckInputs(const InferRequest& r, Item* item) const {
  const LstmShape& s = model_.shape;
  const Tensor* x = nullptr;
  const Tensor* lengths = nullptr;
  const Tensor* h0 = nullptr;
  const Tensor* c0 = nullptr;
  for (const Tensor& t : r.inputs) {
    const Tensor** slot = t.name == kInput ? &x : t.name == kLengths ? &lengths : t.name == kH0 ? &h0 : t.name == kC0 ? &c0 : nullptr;
    if (!slot) Invalid(fmt::format("input '{}': model {} takes input, lengths, h0 and c0", Printable(t.name), name_));
    if (*slot) Invalid(fmt::format("input '{}' is given twice", t.name));
    *slot = &t;
  }
  if (!x) Invalid(fmt::format("model {}: no input 'input' (FP32, batch x steps x {})", name_, s.input_size));
  if (x->datatype != DataType::kFp32) Invalid(fmt::format("input 'input': datatype {}, expected FP32", DataTypeName(x->datatype)));
  if (x->shape.size() != 3 || x->shape[2] != s.input_size || x->shape[0] < 1 || x->shape[1] < 1) {
    Invalid(fmt::format("input 'input': shape {}, expected (batch >= 1, steps >= 1, {})", ShapeToString(x->shape), s.input_size));
  }
  const int64_t b = x->shape[0], steps = x->shape[1];
  if (b > options_.max_batch) Invalid(fmt::format("input 'input': batch {} is larger than the server's max batch {}", b, options_.max_batch));
  item->x = Transpose01(x->shape, x->f32.data());
  if (lengths) {
    if (lengths->datatype == DataType::kFp32) Invalid("input 'lengths': datatype FP32, expected INT32 or INT64");
    if (lengths->shape != std::vector<int64_t>{b}) Invalid(fmt::format("input 'lengths': shape {}, expected ({})", ShapeToString(lengths->shape), b));
    for (int64_t n : lengths->ints) {
      if (n < 0 || n > steps) Invalid(fmt::format("input 'lengths': {} is outside [0, {}] (the input's steps)", n, steps));
    }
    item->lengths = lengths->ints;
  }
  const std::vector<int64_t> state_shape{b, s.num_cells(), s.hidden_size};
  for (const auto& [t, out, label] : {std::tuple{h0, &item->h0, kH0}, std::tuple{c0, &item->c0, kC0}}) {
    if (!t) continue;
    if (!r.sequence.id.empty()) Invalid(fmt::format("input '{}': a sequence's state is kept by the server, not sent", label));
    if (t->datatype != DataType::kFp32 || t->shape != state_shape) {
      Invalid(fmt::format("input '{}': {} {}, expected FP32 {}", label, DataTypeName(t->datatype), ShapeToString(t->shape), ShapeToString(state_shape)));
    }
    *out = Transpose01(t->shape, t->f32.data());
  }
  if (!r.sequence.id.empty()) {
    if (s.bidirectional) Invalid(fmt::format("sequence {}: model {} is bidirectional; its reverse direction needs the whole sequence, so it does not stream", Printable(r.sequence.id), name_));
    if (b != 1) Invalid(fmt::format("sequence {}: a chunk carries one sample (input batch {})", Printable(r.sequence.id), b));
    if (lengths) Invalid(fmt::format("sequence {}: a chunk's length is its steps; 'lengths' is for whole sequences", r.sequence.id));
  }
  for (const RequestedOutput& o : r.outputs) {
    if (o.name != kOutput && o.name != kHn && o.name != kCn) Invalid(fmt::format("output '{}': model {} gives output, h_n and c_n", Printable(o.name), name_));
  }
  item->sequence = r.sequence;
}

InferResponse ServedModel::Infer(const InferRequest& request) {
  auto item = std::make_unique<Item>();
  CheckInputs(request, item.get());
  std::future<ItemResult> result = item->done.get_future();
  const int64_t b = item->samples(), steps = item->steps();
  {
    std::lock_guard lock(mutex_);
    if (draining_) throw ServeError(Status::kUnavailable, "the server is shutting down");
    if (queued_samples_ + b > options_.max_queued_samples) {
      throw ServeError(Status::kExhausted, fmt::format("model {}: {} samples are queued (the limit); try again later", name_, queued_samples_));
    }
    const SequenceControl& seq = item->sequence;
    if (!seq.id.empty()) {
      auto it = streams_.find(seq.id);
      if (it == streams_.end()) {
        if (!seq.start) {
          throw ServeError(Status::kNotFound, fmt::format("sequence {} is not live on model {} (never started, ended, idle past the timeout, or held by another replica)", Printable(seq.id), name_));
        }
        if (static_cast<int>(streams_.size()) >= options_.max_sequences) {
          throw ServeError(Status::kExhausted, fmt::format("model {}: {} sequences are live (the limit); end one or wait for idle ones to expire", name_, streams_.size()));
        }
        it = streams_.emplace(seq.id, Stream{}).first;
        metrics_->Set("sbe_live_sequences", labels_, static_cast<double>(streams_.size()));
      }
      ++it->second.pending;
      it->second.last_used = Clock::now();
    }
    item->arrival = Clock::now();
    queued_samples_ += b;
    metrics_->Set("sbe_queued_samples", labels_, static_cast<double>(queued_samples_));
    queue_.push_back(std::move(item));
  }
  wake_.notify_one();
  ItemResult r = result.get();  // rethrows what the batch failed with

  InferResponse response;
  response.model = name_;
  response.id = request.id;
  const LstmShape& s = model_.shape;
  auto wanted = [&](const char* name, bool* binary) {
    *binary = request.binary_outputs;
    if (request.outputs.empty()) return true;
    for (const RequestedOutput& o : request.outputs) {
      if (o.name == name) {
        *binary = o.binary;
        return true;
      }
    }
    return false;
  };
  bool binary = false;
  if (wanted(kOutput, &binary)) {
    Tensor t{kOutput, DataType::kFp32, {b, steps, s.directions() * s.hidden_size}, {}, {}, binary};
    t.f32 = SwapFirstTwoAxes(r.y).data;
    response.outputs.push_back(std::move(t));
  }
  for (const auto& [name, state] : {std::pair{kHn, &r.h_n}, std::pair{kCn, &r.c_n}}) {
    if (!wanted(name, &binary)) continue;
    Tensor t{name, DataType::kFp32, {b, s.num_cells(), s.hidden_size}, {}, {}, binary};
    t.f32 = SwapFirstTwoAxes(*state).data;
    response.outputs.push_back(std::move(t));
  }
  return response;
}

void ServedModel::Drain() {
  std::unique_lock lock(mutex_);
  draining_ = true;
  drained_.wait(lock, [&] { return queue_.empty() && !running_batch_; });
}

void ServedModel::Reap(Clock::time_point now) {
  int expired = 0;
  for (auto it = streams_.begin(); it != streams_.end();) {
    if (it->second.pending == 0 && now - it->second.last_used > options_.sequence_idle_timeout) {
      it = streams_.erase(it);
      ++expired;
    } else {
      ++it;
    }
  }
  if (expired) {
    metrics_->Add("sbe_sequences_expired_total", labels_, expired);
    metrics_->Set("sbe_live_sequences", labels_, static_cast<double>(streams_.size()));
  }
}

void ServedModel::ScheduleLoop() {
  const auto reap_every = std::min<Clock::duration>(std::chrono::seconds(1), options_.sequence_idle_timeout / 2 + std::chrono::milliseconds(1));
  Clock::time_point next_reap = Clock::now() + reap_every;
  std::unique_lock lock(mutex_);
  while (true) {
    const Clock::time_point now = Clock::now();
    if (now >= next_reap) {
      Reap(now);
      next_reap = now + reap_every;
    }
    if (queue_.empty()) {
      if (stopping_) break;
      wake_.wait_until(lock, next_reap);
      continue;
    }
    // The oldest request waits for company up to max_queue_delay, unless a batch is full.
    const Clock::time_point deadline = queue_.front()->arrival + options_.max_queue_delay;
    if (queued_samples_ < options_.max_batch && now < deadline && !stopping_ && !draining_) {
      wake_.wait_until(lock, std::min(deadline, next_reap));
      continue;
    }
    Batch batch;
    batch.formed = now;
    int64_t samples = 0;
    std::set<std::string> streams_in_batch;
    for (auto it = queue_.begin(); it != queue_.end();) {
      Item& item = **it;
      if (samples + item.samples() > options_.max_batch) break;  // first come, first served
      if (!item.sequence.id.empty() && !streams_in_batch.insert(item.sequence.id).second) {
        ++it;  // this stream's previous chunk is in the batch: the next batch takes this one
        continue;
      }
      samples += item.samples();
      batch.items.push_back(std::move(*it));
      it = queue_.erase(it);
    }
    queued_samples_ -= samples;
    metrics_->Set("sbe_queued_samples", labels_, static_cast<double>(queued_samples_));
    // Each stream's chunk starts from the state its previous chunk ended in.
    for (auto& item : batch.items) {
      const SequenceControl& seq = item->sequence;
      if (seq.id.empty() || seq.start) continue;
      const auto it = streams_.find(seq.id);
      if (it == streams_.end()) continue;  // cannot happen: pending chunks keep their stream
      item->h0 = it->second.h;
      item->c0 = it->second.c;
    }
    running_batch_ = true;
    lock.unlock();
    RunBatch(batch);
    lock.lock();
    running_batch_ = false;
    if (queue_.empty()) drained_.notify_all();
  }
  drained_.notify_all();
}

void ServedModel::RunBatch(Batch& batch) {
  const LstmShape& s = model_.shape;
  int64_t samples = 0, steps = 0;
  bool any_state = false, any_length = false;
  for (const auto& item : batch.items) {
    samples += item->samples();
    steps = std::max(steps, item->steps());
    any_state = any_state || !item->h0.empty() || !item->c0.empty();
  }
  for (const auto& item : batch.items) any_length = any_length || !item->lengths.empty() || item->steps() != steps;

  // Gather: each item's samples side by side, shorter sequences padded and cut by their length.
  const int64_t in = s.input_size, h = s.hidden_size, cells = s.num_cells();
  LstmInput input;
  input.x = TensorF({steps, samples, in});
  if (any_state) {
    input.h0 = TensorF({cells, samples, h});
    input.c0 = TensorF({cells, samples, h});
  }
  int64_t offset = 0;
  for (const auto& item : batch.items) {
    const int64_t b = item->samples();
    for (int64_t t = 0; t < item->steps(); ++t) {
      std::memcpy(&input.x.data[(t * samples + offset) * in], item->x.ptr() + t * b * in, b * in * sizeof(float));
    }
    for (const auto& [from, to] : {std::pair{&item->h0, &input.h0}, std::pair{&item->c0, &input.c0}}) {
      if (from->empty()) continue;
      for (int64_t c = 0; c < cells; ++c) {
        std::memcpy(&to->data[(c * samples + offset) * h], from->ptr() + c * b * h, b * h * sizeof(float));
      }
    }
    if (any_length) {
      for (int64_t i = 0; i < b; ++i) input.seq_lens.push_back(item->lengths.empty() ? item->steps() : item->lengths[i]);
    }
    offset += b;
  }

  const Clock::time_point start = Clock::now();
  LstmOutput out;
  std::exception_ptr failure;
  try {
    out = executor_->Run(input);
  } catch (const std::exception& e) {
    failure = std::make_exception_ptr(ServeError(Status::kInternal, fmt::format("model {}: {}", name_, e.what())));
  }
  const Clock::time_point end = Clock::now();
  metrics_->Observe("sbe_compute_seconds", labels_, Seconds(end - start));
  metrics_->Observe("sbe_batch_size", labels_, static_cast<double>(samples));

  // Scatter: each item's slice of y and of the final state; streams keep theirs.
  const int64_t width = s.directions() * h;
  offset = 0;
  std::vector<std::pair<Item*, ItemResult>> results;
  for (auto& item : batch.items) {
    metrics_->Observe("sbe_queue_seconds", labels_, Seconds(batch.formed - item->arrival));
    const int64_t b = item->samples();
    ItemResult r;
    if (!failure) {
      r.y = TensorF({item->steps(), b, width});
      for (int64_t t = 0; t < item->steps(); ++t) {
        std::memcpy(&r.y.data[t * b * width], &out.y.data[(t * samples + offset) * width], b * width * sizeof(float));
      }
      for (const auto& [from, to] : {std::pair{&out.h_n, &r.h_n}, std::pair{&out.c_n, &r.c_n}}) {
        *to = TensorF({cells, b, h});
        for (int64_t c = 0; c < cells; ++c) {
          std::memcpy(&to->data[c * b * h], &from->data[(c * samples + offset) * h], b * h * sizeof(float));
        }
      }
    }
    offset += b;
    results.emplace_back(item.get(), std::move(r));
  }
  {
    std::lock_guard lock(mutex_);
    for (auto& [item, r] : results) {
      const SequenceControl& seq = item->sequence;
      if (seq.id.empty()) continue;
      const auto it = streams_.find(seq.id);
      if (it == streams_.end()) continue;
      Stream& stream = it->second;
      --stream.pending;
      stream.last_used = end;
      if (!failure) {
        stream.h = r.h_n;
        stream.c = r.c_n;
      }
      if ((seq.end || failure) && stream.pending == 0) streams_.erase(it);
    }
    metrics_->Set("sbe_live_sequences", labels_, static_cast<double>(streams_.size()));
  }
  for (auto& [item, r] : results) {
    if (failure) {
      item->done.set_exception(failure);
    } else {
      item->done.set_value(std::move(r));
    }
  }
}

}  // namespace sbe::serve
