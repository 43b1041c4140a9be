#include "common/cache_dir.h"

#include <cstdlib>

namespace sbe {

std::optional<std::filesystem::path> CacheDir() {
  namespace fs = std::filesystem;
  if (const char* d = std::getenv("SBE_CACHE_DIR"); d && *d) return fs::path(d);
  if (const char* d = std::getenv("XDG_CACHE_HOME"); d && *d) return fs::path(d) / "sbe";
  if (const char* d = std::getenv("HOME"); d && *d) return fs::path(d) / ".cache" / "sbe";
  return std::nullopt;
}

}  // namespace sbe
