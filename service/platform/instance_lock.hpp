#pragma once
// One agent per store: the store's leases are re-armed at start-up on the
// assumption that no other agent holds any. An exclusive lock on
// "<store>.lock" (flock / LockFileEx) makes that assumption true; the OS
// drops it when the process dies, even by kill -9.

#include <cstdint>
#include <filesystem>
#include <memory>

#include "core/result.hpp"

namespace uda {

class InstanceLock {
 public:
  static constexpr const char* kHeldByAnother = "another uda-agent";
  // Fails with a message naming the pid written by the holder (it starts
  // with kHeldByAnother), or saying that the lock file cannot be opened.
  static Expected<std::unique_ptr<InstanceLock>> acquire(const std::filesystem::path& path);
  ~InstanceLock();
  InstanceLock(const InstanceLock&) = delete;
  InstanceLock& operator=(const InstanceLock&) = delete;

 private:
  // The open lock file: a file descriptor (POSIX) or a HANDLE (Windows).
  using Native = std::intptr_t;
  explicit InstanceLock(Native handle, std::filesystem::path path)
      : handle_(handle), path_(std::move(path)) {}
  Native handle_;
  std::filesystem::path path_;
};

}  // namespace uda
