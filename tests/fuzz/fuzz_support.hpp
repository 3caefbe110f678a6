#pragma once
// Shared by the libFuzzer targets in tests/fuzz. A broken property prints
// what broke and aborts: libFuzzer reports that as a crash and saves the
// input as a reproducer (crash-<sha1>), like a sanitizer report.

#include <fmt/format.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/trigger.hpp"
#include "core/trigger_json.hpp"

namespace uda::fuzz {

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

[[noreturn]] inline void fail(std::string_view what, std::string_view detail = {}) {
  fmt::print(stderr, "\n==== fuzz property violated: {}\n", what);
  if (!detail.empty()) fmt::print(stderr, "     detail: {}\n", detail);
  std::fflush(stderr);
  std::abort();
}

inline void check(bool ok, std::string_view what, std::string_view detail = {}) {
  if (!ok) fail(what, detail);
}

inline bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

inline bool same_trigger(const Trigger& a, const Trigger& b) {
  return a.id == b.id && a.kind == b.kind && a.machine.resource_id == b.machine.resource_id &&
         a.machine.name == b.machine.name && a.user == b.user && a.attributes == b.attributes &&
         a.received_at == b.received_at && a.origin == b.origin;
}

// Every accepted trigger: passes validate() (which bounds every size), and
// its JSON form (core/trigger_json.hpp: the store's audit columns, the HTTP
// API, `rules explain`) reads back as the same trigger.
inline void check_accepted_trigger(const Trigger& t) {
  if (auto st = validate(t); !st) fail("an accepted trigger fails validate()", st.error().message);
  check(!t.machine.empty(), "an accepted trigger names a machine");
  const auto json = to_json(t);
  std::string text;
  try {
    text = json.dump();
  } catch (const nlohmann::json::exception& e) {
    fail("the JSON form of an accepted trigger cannot be written", e.what());
  }
  auto back = trigger_from_json_text(text, "another-origin");
  if (!back)
    fail("the JSON form of an accepted trigger is refused", back.error().message + "\n" + text);
  check(same_trigger(t, *back), "the JSON form of an accepted trigger reads back differently",
        text);
  check(to_json(*back) == json, "the JSON form is not stable over a round trip", text);
}

}  // namespace uda::fuzz
