#include "core/os.hpp"

#ifdef _WIN32
#include <io.h>
#include <windows.h>
#else
#include <unistd.h>
#endif

#include <array>

namespace uda::os {

int process_id() {
#ifdef _WIN32
  return static_cast<int>(::GetCurrentProcessId());
#else
  return static_cast<int>(::getpid());
#endif
}

std::string host_name() {
#ifdef _WIN32
  std::array<char, 256> buf{};
  auto size = static_cast<DWORD>(buf.size());
  if (::GetComputerNameExA(ComputerNameDnsHostname, buf.data(), &size) == 0 || size == 0) {
    return "localhost";
  }
  return std::string(buf.data(), size);
#else
  std::array<char, 256> buf{};
  if (::gethostname(buf.data(), buf.size() - 1) != 0 || buf[0] == '\0') return "localhost";
  return std::string(buf.data());
#endif
}

std::string path_utf8(const std::filesystem::path& p) {
  const auto u8 = p.u8string();
  return std::string(u8.begin(), u8.end());
}

std::FILE* open_file(const std::filesystem::path& p, const char* mode) {
#ifdef _WIN32
  std::wstring wmode;
  for (const char* m = mode; *m != '\0'; ++m) wmode += static_cast<wchar_t>(*m);
  return ::_wfopen(p.c_str(), wmode.c_str());
#else
  return std::fopen(p.c_str(), mode);
#endif
}

bool flush_to_disk(std::FILE* f) {
  if (std::fflush(f) != 0) return false;
#ifdef _WIN32
  return ::_commit(::_fileno(f)) == 0;
#else
  return ::fsync(::fileno(f)) == 0;
#endif
}

}  // namespace uda::os
