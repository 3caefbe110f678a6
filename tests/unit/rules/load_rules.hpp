#pragma once
// A rule set from YAML text for the rules tests; a test failure if it does not load.

#include <gtest/gtest.h>

#include <string>

#include "rules/rules_loader.hpp"

namespace uda::test {

inline RuleSet load(const std::string& text) {
  auto r = load_rules_text(text, "r.yaml");
  EXPECT_TRUE(r) << r.error().message;
  return r ? std::move(*r) : RuleSet{};
}

}  // namespace uda::test
