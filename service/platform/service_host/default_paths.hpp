#pragma once
// Where the Windows service keeps its files when no --config is given:
// ProgramData\UdaAgent (SHGetKnownFolderPath(FOLDERID_ProgramData), not
// %ProgramData%, which is not always set for a service).

#include <filesystem>
#include <optional>

namespace uda::svc {

// <ProgramData>\UdaAgent on Windows; nothing elsewhere or on failure.
std::optional<std::filesystem::path> program_data_dir();
// <ProgramData>\UdaAgent\uda-agent.yaml on Windows; nothing elsewhere.
std::optional<std::filesystem::path> default_config_path();

}  // namespace uda::svc
