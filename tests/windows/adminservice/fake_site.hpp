#pragma once
// Where the fake AdminService runs for the Windows tests. These tests start
// nothing themselves: tests/windows/adminservice/run-with-fake.sh (or a
// person) starts the native Linux fake-adminservice and passes its address in
// the environment, which Wine hands on to Windows programs:
//
//   UDA_FAKE_ADMINSERVICE_URL        http://127.0.0.1:PORT   (plain HTTP)
//   UDA_FAKE_ADMINSERVICE_TOKEN      the fake's --token
//   UDA_FAKE_ADMINSERVICE_HTTPS_URL  https://127.0.0.1:PORT  (optional: a second
//                                    fake started with --tls-cert/--tls-key)
//   UDA_FAKE_ADMINSERVICE_THROTTLED_URL  http://127.0.0.1:PORT (optional: a
//                                    fake started with --rate-429 1 --retry-after 7)
//   UDA_FAKE_ADMINSERVICE_SLOW_URL   http://127.0.0.1:PORT (optional: a fake
//                                    started with --latency-ms 4000)
//
// A test whose variable is unset is skipped with the reason.

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

namespace uda::test {

inline std::string env_or_empty(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? std::string() : std::string(v);
}

}  // namespace uda::test

#define UDA_REQUIRE_ENV(var, name)                                         \
  const std::string var = ::uda::test::env_or_empty(name);                 \
  if (var.empty()) {                                                       \
    GTEST_SKIP() << name                                                   \
        " is not set: run the test through "                               \
        "tests/windows/adminservice/run-with-fake.sh (see fake_site.hpp)"; \
  }
