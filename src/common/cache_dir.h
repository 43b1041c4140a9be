// Where sbe keeps what it measured or built once for this machine: $SBE_CACHE_DIR, else
// $XDG_CACHE_HOME/sbe, else ~/.cache/sbe; nullopt when none of them is set.
#pragma once

#include <filesystem>
#include <optional>

namespace sbe {

std::optional<std::filesystem::path> CacheDir();

}  // namespace sbe
