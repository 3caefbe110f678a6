#pragma once
// The recorded WMI instances in tests/data/wmi_events/ (JSON written by hand
// from Microsoft's documented class properties), for the WMI event tests.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "sources/wmi_events/wmi_instance_json.hpp"

namespace uda::test {

inline std::filesystem::path wmi_events_data() {
  return std::filesystem::path(UDA_SOURCE_DIR) / "tests" / "data" / "wmi_events";
}

inline std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The instance in tests/data/wmi_events/<name>; a test failure if it does not parse.
inline WmiInstance recorded(const std::string& name) {
  auto i = wmi_instance_from_json_text(read_text(wmi_events_data() / name));
  EXPECT_TRUE(i) << name << ": " << (i ? "" : i.error().message);
  return i ? *i : WmiInstance{};
}

}  // namespace uda::test
