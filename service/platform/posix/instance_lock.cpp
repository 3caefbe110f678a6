#include "platform/instance_lock.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace uda {
namespace {

constexpr const char* kCannotOpen =
    "cannot open lock file {}: {}. The store's folder is not writable by the agent (a "
    "read-only volume, or its permissions); nothing was accepted. Make it writable, then start "
    "the agent again";

}  // namespace

Expected<std::unique_ptr<InstanceLock>> InstanceLock::acquire(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) {
    return Error{fmt::format(kCannotOpen, path.string(), std::strerror(errno))};
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    char buf[32] = {};
    const auto n = ::pread(fd, buf, sizeof(buf) - 1, 0);
    ::close(fd);
    const std::string holder = n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "unknown";
    return Error{
        fmt::format("another uda-agent (pid {}) is running with this store (lock {}); "
                    "stop it first, or give this one its own store.path",
                    holder, path.string())};
  }
  const std::string pid = std::to_string(::getpid());
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) < 0) {
    // The lock is what matters; the pid is only a courtesy for the message.
  }
  return std::unique_ptr<InstanceLock>(new InstanceLock(fd, path));
}

InstanceLock::~InstanceLock() {
  if (handle_ >= 0) ::close(static_cast<int>(handle_));
}

}  // namespace uda
