#include "platform/service_host/default_paths.hpp"

namespace uda::svc {

#ifndef _WIN32
std::optional<std::filesystem::path> program_data_dir() {
  return std::nullopt;
}
#endif  // the Windows one is in platform/windows/known_folder.cpp

std::optional<std::filesystem::path> default_config_path() {
  auto dir = program_data_dir();
  if (!dir) return std::nullopt;
  return *dir / "uda-agent.yaml";
}

}  // namespace uda::svc
