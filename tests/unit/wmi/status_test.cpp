#include "providers/wmi/status.hpp"

#include <gtest/gtest.h>

#include "sources/wmi_events/wql.hpp"

namespace uda::wmi {
namespace {

#define EXPECT_HAS(s, part) EXPECT_NE((s).find(part), std::string::npos) << (s)

CallStatus of(std::uint32_t hr, bool write = false) {
  return classify(WmiCall::failure(hr, "call"), write);
}

TEST(WmiStatus, Success) {
  auto s = classify(WmiCall{}, true);
  EXPECT_EQ(s.outcome, CallOutcome::Ok);
}

TEST(WmiStatus, TransientCodesRetry) {
  for (std::uint32_t hr : {0x800706BAU, 0x800706BBU, 0x80010108U, 0x80041015U, 0x80041033U,
                           0x80041045U, 0x8004106CU, 0x80041006U, 0x80041013U, 0x80041032U}) {
    auto s = of(hr, true);
    EXPECT_EQ(s.outcome, CallOutcome::Retry) << std::hex << hr;
    EXPECT_FALSE(s.ambiguous) << std::hex << hr;
  }
}

TEST(WmiStatus, CallFailedIsAmbiguousForWrites) {
  auto s = of(0x800706BE, true);
  EXPECT_EQ(s.outcome, CallOutcome::Retry);
  EXPECT_TRUE(s.ambiguous);
  EXPECT_HAS(s.detail, "0x800706BE RPC_S_CALL_FAILED: call");
  EXPECT_FALSE(of(0x800706BE, false).ambiguous);
  EXPECT_TRUE(of(0x80041069, true).ambiguous);  // our timeout: the method may still run
  EXPECT_EQ(of(0x80041069, false).outcome, CallOutcome::Retry);
}

TEST(WmiStatus, PermanentCodesFail) {
  for (std::uint32_t hr : {0x80041008U, 0x8004102EU, 0x8004102FU, 0x80041005U, 0x80041010U,
                           0x8004100EU, 0x80041002U, 0x80041003U, 0x80070005U, 0x12345678U}) {
    EXPECT_EQ(of(hr).outcome, CallOutcome::Fail) << std::hex << hr;
  }
  EXPECT_HAS(of(0x8004102F).detail, "WBEM_E_INVALID_METHOD_PARAMETERS");
}

WmiCall failed(std::uint32_t hr, std::optional<std::uint32_t> code, std::string description) {
  ExtendedStatus e;
  e.class_name = "SMS_ExtendedStatus";
  e.error_code = code;
  e.description = std::move(description);
  return WmiCall::failure(hr, "CreateRelationship", e);
}

TEST(WmiStatus, FailedWithoutExtendedStatusRetries) {
  auto s = of(0x80041001, true);
  EXPECT_EQ(s.outcome, CallOutcome::Retry);
  EXPECT_TRUE(s.ambiguous);
  EXPECT_EQ(of(0x80041004).outcome, CallOutcome::Retry);
}

TEST(WmiStatus, FailedDecidedByExtendedStatus) {
  auto deadlock = classify(failed(0x80041001, 1205, "Transaction was deadlocked"), true);
  EXPECT_EQ(deadlock.outcome, CallOutcome::Retry);
  EXPECT_HAS(deadlock.detail,
             "0x80041001 WBEM_E_FAILED: CreateRelationship: SMS_ExtendedStatus ErrorCode 1205 "
             "(0x000004B5): Transaction was deadlocked");
  EXPECT_EQ(classify(failed(0x80041004, 0x80041002, "x"), false).outcome, CallOutcome::Fail);
  EXPECT_EQ(classify(failed(0x80041001, 0x80070005, ""), false).outcome, CallOutcome::Fail);
  EXPECT_EQ(classify(failed(0x80041001, 5, ""), false).outcome, CallOutcome::Fail);
  EXPECT_EQ(classify(failed(0x80041001, 0x800706BA, ""), false).outcome, CallOutcome::Retry);
  EXPECT_EQ(classify(failed(0x80041001, std::nullopt, "User does not exist"), false).outcome,
            CallOutcome::Fail);
  EXPECT_EQ(classify(failed(0x80041001, 999, "Timeout expired"), false).outcome,
            CallOutcome::Retry);
  EXPECT_EQ(classify(failed(0x80041001, 999, "something else"), false).outcome, CallOutcome::Retry);
  // ErrorCode WBEM_E_FAILED itself says nothing more: the description decides.
  EXPECT_EQ(classify(failed(0x80041001, 0x80041001, "Invalid resource"), false).outcome,
            CallOutcome::Fail);
}

TEST(WmiStatus, Reconnect) {
  EXPECT_TRUE(needs_reconnect(0x800706BA));
  EXPECT_TRUE(needs_reconnect(0x800706BE));
  EXPECT_TRUE(needs_reconnect(0x80041015));
  EXPECT_TRUE(needs_reconnect(0x80010108));
  EXPECT_FALSE(needs_reconnect(0x80041002));
  EXPECT_FALSE(needs_reconnect(0));
}

TEST(WmiStatus, WqlQuoting) {
  EXPECT_EQ(wql_quote("CONTOSO\\jdoe"), "'CONTOSO\\\\jdoe'");
  EXPECT_EQ(wql_quote("o'brien"), "'o\\'brien'");
  EXPECT_EQ(wql_quote("x' OR Name LIKE '%"), "'x\\' OR Name LIKE \\'%'");
}

}  // namespace
}  // namespace uda::wmi
