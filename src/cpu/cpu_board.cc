// The `cpu` board (sbe/cpu_board.h): CPUID, the kernels' target, and the measured ceilings,
// kept in a cache file per machine so that every command plans from the same figures.
#include "sbe/cpu_board.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <sstream>

#include "common/cache_dir.h"
#include "common/date.h"
#include "cpu/kernels.h"
#include "sbe/cpu_info.h"
#include "sbe/error.h"
#include "sbe/formats.h"

namespace sbe {
namespace {

namespace fs = std::filesystem;

double ClockMhz() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("cpu MHz", 0) == 0) {
      const size_t colon = line.find(':');
      if (colon != std::string::npos) {
        try {
          return std::stod(line.substr(colon + 1));
        } catch (const std::exception&) {
          break;
        }
      }
    }
  }
  return 2000.0;  // a stated fallback: the clock only converts seconds to cycles in reports
}

// What a cached measurement must match to be this machine's: the CPU, its cores, the kernels
// that ran the tile measurement, and this build.
std::string MachineKey(const CpuBoard& b) {
  return fmt::format("{}|{}|{}|{}|{}", b.brand, b.cores, b.simd, b.kernels, SBE_VERSION);
}

// FNV-1a: a file name that is the same on every run of every build (std::hash need not be).
uint64_t Fnv1a(const std::string& s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ull;
  return h;
}

std::optional<fs::path> CachePath(const CpuBoard& b) {
  const std::optional<fs::path> dir = CacheDir();
  if (!dir) return std::nullopt;
  return *dir / fmt::format("cpu-{:016x}.json", Fnv1a(MachineKey(b)));
}

// The measurement kept in `path`, if it is this machine's.
std::optional<std::pair<MachineCeilings, std::string>> ReadCache(const fs::path& path, const std::string& key) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  const nlohmann::json j = nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object() || j.value("key", "") != key || !j.contains("measured")) {
    return std::nullopt;
  }
  try {
    return std::make_pair(MachineCeilings::FromJson(j["measured"]), j.value("measured_on", ""));
  } catch (const Error&) {
    return std::nullopt;  // a damaged file is measured again and rewritten
  }
}

// Writes the document next to `path` and renames it there: a reader never sees half a file.
bool WriteCache(const fs::path& path, const CpuBoard& b) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  const fs::path tmp = path.string() + fmt::format(".{}.tmp", ::getpid());
  {
    std::ofstream out(tmp);
    nlohmann::json j = b.ToJson();
    j["key"] = MachineKey(b);
    out << j.dump(2) << "\n";
    if (!out) return false;
  }
  fs::rename(tmp, path, ec);
  if (ec) fs::remove(tmp, ec);
  return !ec;
}

// One process measures at a time (an exclusive lock on a file beside the cache), so that
// commands started together (a test suite) do not measure while competing for the cores.
class CacheLock {
 public:
  explicit CacheLock(const fs::path& path) {
    std::error_code ec;
    fs::create_directories(path.parent_path(), ec);
    fd_ = ::open((path.string() + ".lock").c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0644);
    if (fd_ >= 0) ::flock(fd_, LOCK_EX);
  }
  ~CacheLock() {
    if (fd_ >= 0) ::close(fd_);  // releases the lock
  }
  CacheLock(const CacheLock&) = delete;
  CacheLock& operator=(const CacheLock&) = delete;

 private:
  int fd_ = -1;
};

std::mutex& ProcessMutex() {
  static std::mutex m;
  return m;
}

// This process's copy of the measurement, once read or measured.
std::optional<std::pair<MachineCeilings, std::string>>& Memo() {
  static std::optional<std::pair<MachineCeilings, std::string>> m;
  return m;
}

}  // namespace

CpuBoard DetectCpuBoard() {
  const CpuInfo& cpu = GetCpuInfo();
  const cpu::Target target = cpu::BestTarget();
  CpuBoard b;
  b.brand = cpu.brand;
  b.cores = std::max(1, cpu.logical_cores);
  b.simd = cpu.SimdSummary();
  // CPUID may not report a level (virtual machines); the defaults are small, common sizes, so
  // that blocks chosen from them stay in the cache the CPU does have.
  b.l1d_bytes = cpu.DataCacheBytes(1) > 0 ? cpu.DataCacheBytes(1) : int64_t{32} << 10;
  b.l2_bytes = cpu.DataCacheBytes(2) > 0 ? cpu.DataCacheBytes(2) : int64_t{256} << 10;
  b.l3_bytes = cpu.DataCacheBytes(3);
  b.clock_mhz = ClockMhz();
  b.kernels = target.name;
  b.lanes = target.lanes;
  b.samples_per_tile_fp32 = target.group_f32;
  b.samples_per_tile_int16 = target.group_i16;
  return b;
}

namespace {

nlohmann::json ReadDescription(const std::string& path) {
  nlohmann::json j = nlohmann::json::parse(ReadFileBytes(path, 1 << 20), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) Fail("{}: not a JSON object (a CPU board description)", path);
  if (j.value("kind", "") != "cpu") Fail("{}: \"kind\" must be \"cpu\" (a CPU board description)", path);
  return j;
}

// The description `j` (read from `path`) laid over `b`, this CPU's detection: the kernels stay.
CpuBoard Describe(CpuBoard b, const nlohmann::json& j, const std::string& path) {
  try {
    b.brand = j.value("brand", "described CPU");
    b.cores = j.at("cores").get<int>();
    const nlohmann::json& caches = j.at("caches");
    b.l1d_bytes = caches.at("l1d_bytes").get<int64_t>();
    b.l2_bytes = caches.at("l2_bytes").get<int64_t>();
    b.l3_bytes = caches.at("l3_bytes").get<int64_t>();
    b.clock_mhz = j.value("clock_mhz", b.clock_mhz);
    b.measured_on = j.value("measured_on", "");
    if (j.contains("power")) {
      b.watts_per_core_busy = j["power"].value("watts_per_core_busy", b.watts_per_core_busy);
      b.watts_per_core_idle = j["power"].value("watts_per_core_idle", b.watts_per_core_idle);
    }
  } catch (const nlohmann::json::exception& e) {
    Fail("{}: {}", path, e.what());
  }
  if (b.cores < 1 || b.l1d_bytes <= 0 || b.l2_bytes <= 0 || b.l3_bytes < 0) {
    Fail("{}: cores and the L1d and L2 sizes must be positive", path);
  }
  if (!j.contains("measured")) Fail("{}: no \"measured\" ceilings", path);
  try {
    b.measured = MachineCeilings::FromJson(j["measured"]);
  } catch (const Error& e) {
    Fail("{}: {}", path, e.what());
  }
  b.described_by = path;
  return b;
}

}  // namespace

CpuBoard DescribedCpuBoard(const std::string& path) { return Describe(DetectCpuBoard(), ReadDescription(path), path); }

CpuBoard ThisCpuBoard() {
  if (const char* described = std::getenv("SBE_CPU_BOARD"); described && *described) {
    // Read once per process, like a measurement: every plan of a run sees the same figures.
    // The kernels are detected on every call, as below (tests narrow the targets).
    static const nlohmann::json kDescription = ReadDescription(described);
    return Describe(DetectCpuBoard(), kDescription, described);
  }
  CpuBoard b = DetectCpuBoard();
  std::lock_guard lock(ProcessMutex());
  const std::optional<fs::path> path = CachePath(b);
  if (!Memo()) {
    if (path) {
      const CacheLock file_lock(*path);
      Memo() = ReadCache(*path, MachineKey(b));
      if (!Memo()) {
        // Said on a terminal only: in scripts and logs a line on stderr reads as a problem.
        if (::isatty(2)) Note(fmt::format("measuring this CPU once (about a second); kept in {}", path->string()));
        b.measured = MeasureCeilings(b.cores);
        b.measured_on = Today();
        if (!WriteCache(*path, b)) Warn("{}: cannot write the CPU's measurement there", path->string());
        Memo() = std::make_pair(b.measured, b.measured_on);
      }
    } else {
      Memo() = std::make_pair(MeasureCeilings(b.cores), Today());
    }
  }
  b.measured = Memo()->first;
  b.measured_on = Memo()->second;
  if (path) b.cache_path = path->string();
  return b;
}

void RecordCpuCeilings(const MachineCeilings& measured) {
  CpuBoard b = DetectCpuBoard();
  MachineCeilings kept = measured;
  kept.working_sets.clear();  // the workloads' own sets: not the machine's levels
  b.measured = kept;
  b.measured_on = Today();
  std::lock_guard lock(ProcessMutex());
  if (const std::optional<fs::path> path = CachePath(b)) {
    const CacheLock file_lock(*path);
    WriteCache(*path, b);
  }
  Memo() = std::make_pair(b.measured, b.measured_on);
}

nlohmann::json CpuBoard::ToJson() const {
  return {{"name", "cpu"},
          {"kind", "cpu"},
          {"brand", brand},
          {"cores", cores},
          {"simd", simd},
          {"caches", {{"l1d_bytes", l1d_bytes}, {"l2_bytes", l2_bytes}, {"l3_bytes", l3_bytes}}},
          {"clock_mhz", clock_mhz},
          {"kernels", {{"target", kernels}, {"lanes", lanes}, {"samples_per_tile_fp32", samples_per_tile_fp32},
                       {"samples_per_tile_int16", samples_per_tile_int16}}},
          {"measured", measured.ToJson()},
          {"measured_on", measured_on},
          {"cache_path", cache_path},
          {"described_by", described_by},
          {"power", {{"watts_per_core_busy", watts_per_core_busy}, {"watts_per_core_idle", watts_per_core_idle},
                     {"source", "assumption: a hardware thread's share of a server CPU's TDP"}}}};
}

}  // namespace sbe
