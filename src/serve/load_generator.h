// An open-loop load generator for the Open Inference Protocol's REST endpoint. Requests are
// sent at Poisson arrival times fixed before the run, so a slow server does not slow the
// offered load: a request's latency runs from its scheduled arrival, queueing in the client
// included (the coordinated-omission trap of closed-loop tools). Streams mode runs live
// streams chunk after chunk, as a speech or sensor front-end would.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

namespace sbe::serve {

struct LoadOptions {
  std::string host = "127.0.0.1";
  int port = 8000;
  std::string model = "lrcn";
  std::string token;        // bearer token, "" for none
  double rate = 100;        // whole sequences: requests per second (Poisson)
  double duration_s = 10;   // how long arrivals are offered
  int64_t steps = 32;       // steps per whole sequence
  int64_t samples = 1;      // samples per request
  bool binary = true;       // binary tensor extension (else JSON numbers)
  int connections = 128;    // concurrent connections (a request waits for a free one)
  double grace_s = 10;      // after the last arrival, how long answers are waited for
  uint64_t seed = 1;
  // Streams: `streams` live streams of `frames` frames each, sent in chunks of `chunk` frames;
  // frame_rate > 0 paces each stream's frames (frames per second), else chunks go back to back.
  int streams = 0;
  int64_t frames = 32;
  int64_t chunk = 4;
  double frame_rate = 0;
};

struct LoadResult {
  nlohmann::json json;  // everything: offered and achieved rates, latency percentiles, errors
};

// Asks the server for the model's input size, then runs the load; throws Error when the
// server cannot be reached or does not serve the model.
LoadResult RunLoad(const LoadOptions& options);

}  // namespace sbe::serve
