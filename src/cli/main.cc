// Entry point of the `sbe` command: dispatches to the subcommands, turns errors into one line.
#include <cstdio>
#include <exception>

#include "cli/cli_common.h"
#include "sbe/error.h"

int main(int argc, char** argv) {
  CLI::App app{
      "sbe: fast inference of large LSTMs with the SBE design (stall-free, column-wise\n"
      "matrix-vector order and blocking-batching), after Que et al., ASAP 2019."};
  app.set_version_flag("--version", "sbe " SBE_VERSION);
  app.require_subcommand(1);
  app.footer(sbe::cli::Examples({"sbe run                      # the lrcn preset, random input",
                                 "sbe run --model deepbench-1024 --batch 4 --json",
                                 "sbe plan --board z7045 --model lrcn",
                                 "sbe simulate --board z7045 --model lrcn --json",
                                 "sbe bench --suite lrcn --json bench.json --plot bench.png",
                                 "sbe report --summary         # lrcn: this CPU beside the paper's boards",
                                 "sbe info --model my_lstm.safetensors",
                                 "sbe hw cosim --model deepbench-256 --steps 3   # the RTL in Verilator",
                                 "sbe serve --model lrcn --max-batch 32        # the inference server"}));
  sbe::cli::AddRunCommand(app);
  sbe::cli::AddPlanCommand(app);
  sbe::cli::AddSimulateCommand(app);
  sbe::cli::AddBenchCommand(app);
  sbe::cli::AddReportCommand(app);
  sbe::cli::AddInfoCommand(app);
  sbe::cli::AddHwCommand(app);
  sbe::cli::AddServeCommand(app);
  sbe::cli::AddLoadgenCommand(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // CLI11 would add a second line; one line is the contract for every error.
    std::fprintf(stderr, "sbe: error: %s (see --help)\n", e.what());
    return e.get_exit_code() == 0 ? 2 : e.get_exit_code();
  } catch (const sbe::Error& e) {
    std::fprintf(stderr, "sbe: error: %s\n", e.what());
    return 1;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "sbe: error: out of memory\n");
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sbe: error: internal: %s\n", e.what());
    return 70;
  }
  return 0;
}
