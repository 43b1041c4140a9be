// `sbe loadgen`: open-loop load against a running `sbe serve` (src/serve/load_generator.h).
#include "cli/cli_common.h"
#include "serve/load_generator.h"

namespace sbe::cli {
namespace {

struct LoadgenArgs {
  serve::LoadOptions o;
  std::string auth_token_file;
  bool json_numbers = false;
  bool json = false;
};

void Loadgen(LoadgenArgs a) {
  if (!(a.o.duration_s > 0)) Fail("--duration {}: must be positive", a.o.duration_s);
  if (a.o.streams < 0) Fail("--streams {}: must be >= 0", a.o.streams);
  if (!a.auth_token_file.empty()) a.o.token = ReadTokenFile(a.auth_token_file, "--auth-token-file");
  a.o.binary = !a.json_numbers;
  const nlohmann::json r = serve::RunLoad(a.o).json;
  if (a.json) return PrintJson(r);
  const auto& l = r["latency_ms"];
  if (r["mode"] == "whole") {
    fmt::print("{}: offered {:.1f} req/s for {} s ({} steps x {} samples each): {:.1f} req/s answered, {} failed\n",
               a.o.model, r["offered_per_s"].get<double>(), a.o.duration_s, a.o.steps, a.o.samples,
               r["throughput_per_s"].get<double>(), r["failed"].get<int64_t>());
  } else {
    fmt::print("{}: {} streams x {} frames in chunks of {}: {:.0f} frames/s, {} chunks failed\n", a.o.model, a.o.streams,
               a.o.frames, a.o.chunk, r["frames_per_s"].get<double>(), r["failed"].get<int64_t>());
  }
  fmt::print("latency ms: p50 {:.3f}  p90 {:.3f}  p99 {:.3f}  max {:.3f}\n", l["p50"].get<double>(), l["p90"].get<double>(),
             l["p99"].get<double>(), l["max"].get<double>());
  for (const auto& [what, n] : r["errors"].items()) fmt::print("errors: {} x {}\n", n.get<int64_t>(), what);
}

}  // namespace

void AddLoadgenCommand(CLI::App& app) {
  auto args = std::make_shared<LoadgenArgs>();
  CLI::App* cmd = app.add_subcommand("loadgen", "Open-loop load (Poisson arrivals) or live streams against `sbe serve`; throughput and p50/p90/p99");
  serve::LoadOptions& o = args->o;
  cmd->add_option("--host", o.host, "Server address")->capture_default_str();
  cmd->add_option("--port", o.port, "Server HTTP port")->capture_default_str();
  cmd->add_option("--model", o.model, "Model name on the server")->capture_default_str();
  cmd->add_option("--rate", o.rate, "Whole sequences: requests per second, Poisson arrivals")->capture_default_str();
  cmd->add_option("--duration", o.duration_s, "Seconds of offered load")->capture_default_str();
  cmd->add_option("--steps", o.steps, "Steps per whole sequence")->capture_default_str();
  cmd->add_option("--samples", o.samples, "Samples per request")->capture_default_str();
  cmd->add_option("--connections", o.connections, "Concurrent connections (a request waits for a free one, and that wait is latency)")->capture_default_str();
  cmd->add_option("--streams", o.streams, "Run this many live streams instead of whole sequences")->capture_default_str();
  cmd->add_option("--frames", o.frames, "Streams: frames per stream")->capture_default_str();
  cmd->add_option("--chunk", o.chunk, "Streams: frames per request")->capture_default_str();
  cmd->add_option("--frame-rate", o.frame_rate, "Streams: frames per second per stream (0: each chunk as soon as the last is answered)")->capture_default_str();
  cmd->add_option("--seed", o.seed, "Seed of arrivals and inputs")->capture_default_str();
  cmd->add_option("--auth-token-file", args->auth_token_file, "Bearer token to send");
  cmd->add_flag("--json-numbers", args->json_numbers, "Send tensors as JSON numbers instead of the binary extension");
  cmd->add_flag("--json", args->json, "Print the result as JSON");
  cmd->footer(Examples({"sbe loadgen --model lrcn --rate 500 --duration 10",
                        "sbe loadgen --model lrcn --streams 64 --frames 32 --chunk 4 --json"}));
  cmd->callback([args] { Loadgen(*args); });
}

}  // namespace sbe::cli
