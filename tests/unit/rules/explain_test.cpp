#include "rules/explain.hpp"

#include <gtest/gtest.h>

#include "rules/engine.hpp"
#include "rules/rules_loader.hpp"

namespace uda {
namespace {

TEST(Explain, ShowsUserStepsEveryRuleTriedAndTheDecision) {
  auto rs = load_rules_text(R"(
users: {upn_suffixes: {contoso.com: CONTOSO}}
rules:
  - {name: osd, when: {kind: osd}, action: create, source: OSD}
  - name: usage
    when: {kind: usage, attributes: ['usage.minutes >= 2880']}
    action: create
    source: UsageAgent
)",
                            "r.yaml");
  ASSERT_TRUE(rs) << rs.error().message;
  Trigger t;
  t.id = "t-9";
  t.kind = TriggerKind::Usage;
  t.machine.resource_id = 16777220;
  t.user = "jdoe@contoso.com";
  t.origin = "cli";
  t.attributes = {{"usage.minutes", 3000.0}};
  const auto text = format_explanation(t, decide(*rs, t));
  EXPECT_NE(text.find("trigger t-9: kind=usage machine=16777220 user=jdoe@contoso.com"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("usage.minutes=3000"), std::string::npos) << text;
  EXPECT_NE(text.find("user: CONTOSO\\jdoe"), std::string::npos) << text;
  EXPECT_NE(text.find("- UPN jdoe@contoso.com mapped to CONTOSO\\jdoe"), std::string::npos) << text;
  EXPECT_NE(text.find("1. osd    no: kind usage is not one of [osd]"), std::string::npos) << text;
  EXPECT_NE(text.find("2. usage  MATCH"), std::string::npos) << text;
  EXPECT_NE(text.find("+ usage.minutes 3000 >= 2880"), std::string::npos) << text;
  EXPECT_NE(text.find("SourceId=UsageAgent (4)  TypeId=Primary (1)"), std::string::npos) << text;
}

TEST(Explain, RejectedUserSaysNoRuleWasTried) {
  auto rs = load_rules_text("rules: []\n", "r.yaml");
  ASSERT_TRUE(rs);
  Trigger t;
  t.id = "t-1";
  t.kind = TriggerKind::Osd;
  t.machine.resource_id = 1;
  t.user = "CONTOSO\\PC-1$";
  const auto text = format_explanation(t, decide(*rs, t));
  EXPECT_NE(text.find("user: rejected"), std::string::npos) << text;
  EXPECT_NE(text.find("no rule was tried"), std::string::npos) << text;
  EXPECT_NE(text.find("decision: skip"), std::string::npos) << text;
  EXPECT_NE(text.find("machine account"), std::string::npos) << text;
}

}  // namespace
}  // namespace uda
