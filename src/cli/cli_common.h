// What the subcommands of `sbe` share: registration, output in text or JSON, argument errors.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "sbe/model.h"

namespace sbe::cli {

// Each subcommand adds itself to the app; its callback runs when the user picks it.
void AddRunCommand(CLI::App& app);
void AddInfoCommand(CLI::App& app);
void AddPlanCommand(CLI::App& app);

// Writes the JSON object as the only thing on stdout (so `sbe ... --json | jq` works).
void PrintJson(const nlohmann::json& j);

// The model description every JSON report carries.
nlohmann::json ModelJson(const LstmModel& model);

// Footer of every --help: examples, one per line.
std::string Examples(std::initializer_list<const char*> lines);

}  // namespace sbe::cli
