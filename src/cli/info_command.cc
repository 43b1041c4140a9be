// `sbe info`: this build, this machine, the presets, and (with --model) one model's shape.
#include <cstdio>
#include <fmt/ranges.h>

#include <thread>

#include "cli/cli_common.h"
#include "sbe/cpu_info.h"
#include "sbe/executor.h"
#include "sbe/presets.h"

namespace sbe::cli {
namespace {

struct InfoArgs {
  std::string model;
  uint64_t seed = 0;
  bool json = false;
};

std::vector<std::string> ExecutorNames() {
  std::vector<std::string> names;
  for (const ExecutorInfo& e : Executors()) names.push_back(e.name);
  return names;
}

void Info(const InfoArgs& a) {
  const CpuInfo& cpu = GetCpuInfo();
  nlohmann::json caches = nlohmann::json::array();
  for (const CacheLevel& c : cpu.caches) {
    caches.push_back({{"level", c.level}, {"type", c.type}, {"bytes", c.size_bytes},
                      {"shared_by_threads", c.shared_by_threads}});
  }
  nlohmann::json presets = nlohmann::json::array();
  for (const PresetInfo& p : Presets()) {
    presets.push_back({{"name", p.name},
                       {"input_size", p.shape.input_size},
                       {"hidden_size", p.shape.hidden_size},
                       {"steps", p.steps},
                       {"weights", p.shape.WeightCount()},
                       {"mop_per_sample", 2.0 * p.shape.MacsPerStep() * p.steps * 1e-6},
                       {"description", p.description}});
  }
  nlohmann::json j = {
      {"version", SBE_VERSION},
      {"compiler", __VERSION__},
      {"cpu", {{"vendor", cpu.vendor}, {"brand", cpu.brand}, {"logical_cores", cpu.logical_cores},
               {"simd", cpu.SimdSummary()}, {"caches", caches}}},
      {"executors", ExecutorNames()},
      {"presets", presets}};
  if (!a.model.empty()) j["model"] = ModelInfoJson(LoadModel(a.model, a.seed));
  if (a.json) {
    PrintJson(j);
    return;
  }
  std::printf("sbe %s (%s)\n", SBE_VERSION, __VERSION__);
  std::printf("cpu        %s, %d logical cores\n", cpu.brand.c_str(), cpu.logical_cores);
  std::printf("simd       %s\n", cpu.SimdSummary().c_str());
  for (const CacheLevel& c : cpu.caches) {
    std::printf("cache      L%d %-11s %8lld KiB, shared by %d\n", c.level, c.type.c_str(),
                static_cast<long long>(c.size_bytes / 1024), c.shared_by_threads);
  }
  std::printf("executors  %s\n\npresets\n", fmt::format("{}", fmt::join(ExecutorNames(), ", ")).c_str());
  std::printf("  %-16s %6s %6s %6s %12s %10s\n", "name", "input", "hidden", "steps", "weights",
              "MOP/sample");
  for (const PresetInfo& p : Presets()) {
    std::printf("  %-16s %6lld %6lld %6d %12lld %10.1f\n", p.name.c_str(),
                static_cast<long long>(p.shape.input_size),
                static_cast<long long>(p.shape.hidden_size), p.steps,
                static_cast<long long>(p.shape.WeightCount()),
                2.0 * p.shape.MacsPerStep() * p.steps * 1e-6);
  }
  if (j.contains("model")) {
    const nlohmann::json& m = j["model"];
    std::printf("\nmodel      %s (%s)\n", m["name"].get<std::string>().c_str(),
                m["source"].get<std::string>().c_str());
    std::printf("shape      input %lld, hidden %lld, %d layer(s), %s, %s\n",
                m["input_size"].get<long long>(), m["hidden_size"].get<long long>(),
                m["num_layers"].get<int>(), m["bidirectional"] ? "bidirectional" : "unidirectional",
                m["bias"] ? "bias" : "no bias");
    std::printf("weights    %lld (%.2f MiB int16, %.2f MiB fp32)\n", m["weights"].get<long long>(),
                m["weight_mib_int16"].get<double>(), m["weight_mib_fp32"].get<double>());
    std::printf("steps      %d (0: not given by the file)\n", m["default_steps"].get<int>());
  }
}

}  // namespace

void AddInfoCommand(CLI::App& app) {
  auto args = std::make_shared<InfoArgs>();
  CLI::App* cmd = app.add_subcommand("info", "Show this build, this CPU, presets and a model");
  cmd->add_option("--model", args->model, "Preset or .safetensors / .onnx file to describe");
  cmd->add_option("--seed", args->seed, "Seed of preset weights")->capture_default_str();
  cmd->add_flag("--json", args->json, "Print one JSON object on stdout");
  cmd->footer(Examples({"sbe info", "sbe info --model lrcn --json",
                        "sbe info --model exported.onnx"}));
  cmd->callback([args] { Info(*args); });
}

}  // namespace sbe::cli
