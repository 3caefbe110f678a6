#include "platform/instance_lock.hpp"

#include <fmt/format.h>
#include <windows.h>

#include <array>
#include <string>
#include <system_error>

#include "core/os.hpp"

namespace uda {
namespace {

constexpr const char* kCannotOpen =
    "cannot open lock file {}: {}. The store's folder is not writable by the agent (a "
    "read-only volume, or its permissions); nothing was accepted. Make it writable, then start "
    "the agent again";

}  // namespace
namespace {

// The locked byte lies far beyond the pid text at offset 0: Windows byte-range
// locks are mandatory, and a second agent must still be able to read the pid
// of the holder for its message.
constexpr DWORD kLockOffsetHigh = 1;  // offset 4 GiB (locking past the end is allowed)

std::string last_error_text() {
  const auto code = static_cast<int>(::GetLastError());
  return fmt::format("{} (Windows error {})", std::system_category().message(code), code);
}

OVERLAPPED lock_range() {
  OVERLAPPED ov{};
  ov.Offset = 0;
  ov.OffsetHigh = kLockOffsetHigh;
  return ov;
}

std::string read_holder(HANDLE h) {
  std::array<char, 32> buf{};
  OVERLAPPED at{};  // offset 0
  DWORD n = 0;
  if (::ReadFile(h, buf.data(), static_cast<DWORD>(buf.size() - 1), &n, &at) == 0 || n == 0) {
    return "unknown";
  }
  return std::string(buf.data(), n);
}

}  // namespace

Expected<std::unique_ptr<InstanceLock>> InstanceLock::acquire(const std::filesystem::path& path) {
  // Others may open the file (to read the pid), but only one process can hold
  // the lock; the system releases it when the handle closes or the process
  // ends, however it ends.
  HANDLE h = ::CreateFileW(path.c_str(), GENERIC_READ | GENERIC_WRITE,
                           FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                           OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, nullptr);
  if (h == INVALID_HANDLE_VALUE) {
    return Error{fmt::format(kCannotOpen, os::path_utf8(path), last_error_text())};
  }
  OVERLAPPED range = lock_range();
  if (::LockFileEx(h, LOCKFILE_EXCLUSIVE_LOCK | LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, &range) == 0) {
    const std::string holder = read_holder(h);
    ::CloseHandle(h);
    return Error{
        fmt::format("another uda-agent (pid {}) is running with this store (lock {}); "
                    "stop it first, or give this one its own store.path",
                    holder, os::path_utf8(path))};
  }
  const std::string pid = std::to_string(os::process_id());
  DWORD written = 0;
  OVERLAPPED at{};  // offset 0
  if (::SetFilePointer(h, 0, nullptr, FILE_BEGIN) == INVALID_SET_FILE_POINTER ||
      ::SetEndOfFile(h) == 0 ||
      ::WriteFile(h, pid.data(), static_cast<DWORD>(pid.size()), &written, &at) == 0) {
    // The lock is what matters; the pid is only a courtesy for the message.
  }
  return std::unique_ptr<InstanceLock>(
      new InstanceLock(reinterpret_cast<Native>(h), path));  // NOLINT(performance-no-int-to-ptr)
}

InstanceLock::~InstanceLock() {
  auto* h = reinterpret_cast<HANDLE>(handle_);  // NOLINT(performance-no-int-to-ptr)
  if (h != nullptr && h != INVALID_HANDLE_VALUE) {
    OVERLAPPED range = lock_range();
    ::UnlockFileEx(h, 0, 1, 0, &range);
    ::CloseHandle(h);
  }
}

}  // namespace uda
