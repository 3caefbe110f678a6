#pragma once
// A private folder for one test, removed afterwards (kept when the test
// failed, so its files can be inspected).

#include <gtest/gtest.h>
#ifdef _WIN32
#include <process.h>  // _getpid
#else
#include <unistd.h>
#endif

#include <atomic>
#include <filesystem>
#include <random>
#include <string>

namespace uda::test {

class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "uda-test") {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            (prefix + "-" + std::to_string(pid()) + "-" + std::to_string(std::random_device{}()) +
             "-" + std::to_string(counter++));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    if (::testing::Test::HasFailure()) return;
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  static int pid() {
#ifdef _WIN32
    return ::_getpid();
#else
    return static_cast<int>(::getpid());
#endif
  }
  std::filesystem::path path_;
};

}  // namespace uda::test
