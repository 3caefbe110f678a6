#include "rules/user_policy.hpp"

#include <gtest/gtest.h>

namespace uda {
namespace {

UserPolicy contoso() {
  UserPolicy p;
  p.upn_suffixes = {{"contoso.com", "CONTOSO"}};
  p.upn_map = {{"john.doe@contoso.com", "CONTOSO\\jdoe"}};
  p.domains = {{"contoso.local", "CONTOSO"}};
  p.reject = {{Glob("*\\svc_*"), "service account"}};
  return p;
}

TEST(UserPolicy, DomainUserPassesWithDomainUppercased) {
  auto r = normalise_user(contoso(), "contoso\\jdoe");
  ASSERT_TRUE(r.user);
  EXPECT_EQ(r.user->str(), "CONTOSO\\jdoe");
  ASSERT_EQ(r.steps.size(), 1U);
  EXPECT_NE(r.steps[0].find("uppercase"), std::string::npos) << r.steps[0];

  auto unchanged = normalise_user(contoso(), "CONTOSO\\jdoe");
  ASSERT_TRUE(unchanged.user);
  EXPECT_TRUE(unchanged.steps.empty());
}

TEST(UserPolicy, TrimsWhitespaceAndRecordsIt) {
  auto r = normalise_user(contoso(), "  CONTOSO\\jdoe\t");
  ASSERT_TRUE(r.user);
  EXPECT_EQ(r.user->str(), "CONTOSO\\jdoe");
  EXPECT_EQ(r.steps.at(0), "trimmed surrounding whitespace");
}

TEST(UserPolicy, UpnMapWinsOverSuffixes) {
  auto r = normalise_user(contoso(), "John.Doe@Contoso.com");
  ASSERT_TRUE(r.user) << r.rejected;
  EXPECT_EQ(r.user->str(), "CONTOSO\\jdoe");
  EXPECT_NE(r.steps.at(0).find("users.upn_map"), std::string::npos);

  auto s = normalise_user(contoso(), "asmith@CONTOSO.COM");
  ASSERT_TRUE(s.user) << s.rejected;
  EXPECT_EQ(s.user->str(), "CONTOSO\\asmith");
  EXPECT_NE(s.steps.at(0).find("users.upn_suffixes"), std::string::npos);
}

TEST(UserPolicy, UnknownUpnSuffixIsRejectedWithTheFix) {
  auto r = normalise_user(contoso(), "bob@fabrikam.com");
  EXPECT_FALSE(r.user);
  EXPECT_NE(r.rejected.find("fabrikam.com"), std::string::npos) << r.rejected;
  EXPECT_NE(r.rejected.find("users.upn_suffixes"), std::string::npos) << r.rejected;

  auto any = contoso();
  any.upn_suffixes["*"] = "CORP";
  auto w = normalise_user(any, "bob@fabrikam.com");
  ASSERT_TRUE(w.user);
  EXPECT_EQ(w.user->str(), "CORP\\bob");
}

TEST(UserPolicy, DomainAliasesMapToNetbios) {
  auto r = normalise_user(contoso(), "contoso.local\\jdoe");
  ASSERT_TRUE(r.user);
  EXPECT_EQ(r.user->str(), "CONTOSO\\jdoe");
  EXPECT_NE(r.steps.at(0).find("users.domains"), std::string::npos);
}

TEST(UserPolicy, CaseOptions) {
  auto p = contoso();
  p.domain_case = LetterCase::Keep;
  p.name_case = LetterCase::Lower;
  auto r = normalise_user(p, "Contoso\\JDoe");
  ASSERT_TRUE(r.user);
  EXPECT_EQ(r.user->str(), "Contoso\\jdoe");
}

TEST(UserPolicy, MachineAccountsAndRejectPatternsAreRefused) {
  auto m = normalise_user(contoso(), "CONTOSO\\WKS-0007$");
  EXPECT_FALSE(m.user);
  EXPECT_NE(m.rejected.find("machine account"), std::string::npos) << m.rejected;

  auto p = contoso();
  p.reject_machine_accounts = false;
  EXPECT_TRUE(normalise_user(p, "CONTOSO\\WKS-0007$").user);

  auto s = normalise_user(contoso(), "contoso\\SVC_backup");
  EXPECT_FALSE(s.user);
  EXPECT_EQ(s.rejected,
            "CONTOSO\\SVC_backup is a service account (users.reject pattern '*\\svc_*')");
}

TEST(UserPolicy, GarbageIsRejected) {
  auto r = normalise_user(contoso(), "just-a-name");
  EXPECT_FALSE(r.user);
  EXPECT_NE(r.rejected.find("neither DOMAIN\\user nor a UPN"), std::string::npos);
}

}  // namespace
}  // namespace uda
