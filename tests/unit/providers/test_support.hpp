#pragma once
// Helpers shared by the simulated-site tests.

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <random>
#include <string>

#include "core/time.hpp"
#include "providers/simulated/options.hpp"
#include "temp_dir.hpp"

namespace uda::test {

class FakeTime final : public TimeSource {
 public:
  [[nodiscard]] TimePoint now() const override { return from_unix_ms(ms_.load()); }
  void advance(Millis d) { ms_ += d.count(); }
  void set(std::int64_t unix_ms) { ms_ = unix_ms; }

 private:
  std::atomic<std::int64_t> ms_{1'800'000'000'000};
};

inline std::filesystem::path data_path(const std::string& rel) {
  return std::filesystem::path(UDA_SOURCE_DIR) / rel;
}

inline SiteFixture fixture(const std::string& name = "small.yaml") {
  auto f = load_fixture(data_path("tests/data/sites/" + name));
  EXPECT_TRUE(f) << f.error().message;
  return f ? std::move(*f) : SiteFixture{};
}

}  // namespace uda::test
