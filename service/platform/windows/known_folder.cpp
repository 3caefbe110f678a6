// ProgramData\UdaAgent from SHGetKnownFolderPath(FOLDERID_ProgramData).
#include <windows.h>
// (after windows.h)
#include <knownfolders.h>
#include <objbase.h>
#include <shlobj.h>

#include "platform/service_host/default_paths.hpp"

namespace uda::svc {

std::optional<std::filesystem::path> program_data_dir() {
  PWSTR path = nullptr;
  const HRESULT hr = SHGetKnownFolderPath(FOLDERID_ProgramData, 0, nullptr, &path);
  std::optional<std::filesystem::path> out;
  if (SUCCEEDED(hr) && path != nullptr) out = std::filesystem::path(path) / L"UdaAgent";
  CoTaskMemFree(path);
  return out;
}

}  // namespace uda::svc
