// ComWmiSession against the machine's own WMI: queries in root\cimv2,
// StdRegProv methods in root\default (in-parameters by name, ReturnValue and
// out-parameters), and how failures are reported and classified.
#include "providers/wmi/com_session.hpp"

#include <gtest/gtest.h>

#include "providers/wmi/com_util.hpp"
#include "providers/wmi/wmi_provider.hpp"

namespace uda::wmi {
namespace {

#define EXPECT_HAS(s, part) EXPECT_NE((s).find(part), std::string::npos) << (s)

constexpr std::int64_t kHkeyCurrentUser = 0x80000001;

TEST(ComWmiSession, QueriesCimv2) {
  ComWmiSession s(Millis(30'000));
  auto c = s.connect("root\\cimv2");
  ASSERT_TRUE(c.ok()) << describe(c);
  auto q = s.exec_query("SELECT Caption, Version, OSType FROM Win32_OperatingSystem");
  ASSERT_TRUE(q.call.ok()) << describe(q.call);
  ASSERT_EQ(q.rows.size(), 1U);
  EXPECT_EQ(q.rows[0].class_name, "Win32_OperatingSystem");
  const auto* caption = q.rows[0].find("caption");  // names are case-insensitive
  ASSERT_NE(caption, nullptr);
  ASSERT_TRUE(std::holds_alternative<std::string>(*caption));
  EXPECT_HAS(std::get<std::string>(*caption), "Windows");
  const auto* type = q.rows[0].find("OSType");  // uint16
  ASSERT_NE(type, nullptr);
  ASSERT_TRUE(std::holds_alternative<std::int64_t>(*type));
  EXPECT_EQ(std::get<std::int64_t>(*type), 18);  // WINNT
}

TEST(ComWmiSession, QueriesProcessesWithServerPrefix) {
  ComWmiSession s(Millis(30'000));
  ASSERT_TRUE(s.connect("\\\\.\\root\\cimv2").ok());
  auto q = s.exec_query("SELECT Name, ProcessId FROM Win32_Process");
  ASSERT_TRUE(q.call.ok()) << describe(q.call);
  ASSERT_FALSE(q.rows.empty());
  bool found_self = false;
  for (const auto& row : q.rows) {
    const auto* pid = row.find("ProcessId");  // uint32
    if (pid != nullptr && std::holds_alternative<std::int64_t>(*pid) &&
        std::get<std::int64_t>(*pid) == static_cast<std::int64_t>(GetCurrentProcessId())) {
      found_self = true;
    }
  }
  EXPECT_TRUE(found_self);
}

TEST(ComWmiSession, StdRegProvMethodsByName) {
  ComWmiSession s(Millis(30'000));
  ASSERT_TRUE(s.connect("root\\default").ok());
  const std::string key = "Software\\uda-agent-tests\\wmi";
  WmiProperties in{{"hDefKey", kHkeyCurrentUser}, {"sSubKeyName", key}};
  auto created = s.exec_static_method("StdRegProv", "CreateKey", in);
  ASSERT_TRUE(created.call.ok()) << describe(created.call);
  EXPECT_EQ(created.out.at("ReturnValue"), WmiValue(std::int64_t{0}));

  // In-parameters by name: the map's order is not the method's order.
  in["sValueName"] = std::string("greeting");
  in["sValue"] = std::string("CONTOSO\\jdoe o'brien");
  auto set = s.exec_static_method("StdRegProv", "SetStringValue", in);
  ASSERT_TRUE(set.call.ok()) << describe(set.call);
  EXPECT_EQ(set.out.at("ReturnValue"), WmiValue(std::int64_t{0}));

  in.erase("sValue");
  auto got = s.exec_static_method("StdRegProv", "GetStringValue", in);
  ASSERT_TRUE(got.call.ok()) << describe(got.call);
  EXPECT_EQ(got.out.at("ReturnValue"), WmiValue(std::int64_t{0}));
  EXPECT_EQ(got.out.at("sValue"), WmiValue(std::string("CONTOSO\\jdoe o'brien")));

  // A value that is not there: the method runs and says so in ReturnValue.
  in["sValueName"] = std::string("missing");
  auto missing = s.exec_static_method("StdRegProv", "GetStringValue", in);
  ASSERT_TRUE(missing.call.ok()) << describe(missing.call);
  const auto* rv = std::get_if<std::int64_t>(&missing.out.at("ReturnValue"));
  ASSERT_NE(rv, nullptr);
  EXPECT_NE(*rv, 0);
}

TEST(ComWmiSession, BadNamespaceIsPermanent) {
  ComWmiSession s(Millis(30'000));
  auto c = s.connect("root\\no_such_namespace");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.hresult, kInvalidNamespace);
  const auto st = classify(c, false);
  EXPECT_EQ(st.outcome, CallOutcome::Fail);
  EXPECT_HAS(st.detail, "0x8004100E WBEM_E_INVALID_NAMESPACE: ConnectServer");
}

TEST(ComWmiSession, BadClassAndMethodArePermanent) {
  ComWmiSession s(Millis(30'000));
  ASSERT_TRUE(s.connect("root\\default").ok());
  auto m = s.exec_static_method("No_Such_Class", "CreateRelationship", {});
  ASSERT_FALSE(m.call.ok());
  // Windows answers GetObject of a missing class with WBEM_E_NOT_FOUND (Wine
  // too); WBEM_E_INVALID_CLASS comes from queries on Windows.
  EXPECT_TRUE(m.call.hresult == kNotFound || m.call.hresult == kInvalidClass) << describe(m.call);
  EXPECT_EQ(classify(m.call, true).outcome, CallOutcome::Fail);
  auto nm = s.exec_static_method("StdRegProv", "NoSuchMethod", {});
  ASSERT_FALSE(nm.call.ok());
  EXPECT_EQ(classify(nm.call, true).outcome, CallOutcome::Fail) << describe(nm.call);
  auto bad = s.exec_query("SELEKT * FROM Win32_Process");
  ASSERT_FALSE(bad.call.ok());
  EXPECT_EQ(bad.call.hresult, kInvalidQuery);
  EXPECT_EQ(classify(bad.call, false).outcome, CallOutcome::Fail);
}

TEST(ComWmiSession, UnknownParameterIsRefusedBeforeTheCall) {
  ComWmiSession s(Millis(30'000));
  ASSERT_TRUE(s.connect("root\\default").ok());
  auto m = s.exec_static_method("StdRegProv", "CreateKey", {{"NoSuchParameter", std::int64_t{1}}});
  ASSERT_FALSE(m.call.ok());
  EXPECT_HAS(m.call.message, "CreateKey has no in-parameter NoSuchParameter");
  EXPECT_EQ(classify(m.call, true).outcome, CallOutcome::Fail);
}

TEST(ComWmiSession, NotConnected) {
  ComWmiSession s(Millis(1000));
  auto q = s.exec_query("SELECT * FROM Win32_Process");
  EXPECT_EQ(q.call.hresult, kTransportFailure);
}

// The provider end to end through COM: where there is no SMS Provider (Wine,
// a machine that is not a site server), discovery fails permanently with the
// namespace in the message.
TEST(WmiProviderCom, NoSmsProviderHere) {
  Options o;
  o.workers = 1;
  WmiProvider provider(o, com_session_factory(Millis(30'000)));
  asio::io_context io;
  std::optional<ResolveResult> out;
  asio::co_spawn(io, provider.resolve_machine("WKS-0001"),
                 [&](std::exception_ptr e, ResolveResult r) {
                   if (e) std::rethrow_exception(e);
                   out = std::move(r);
                 });
  io.run();
  ASSERT_TRUE(out);
  EXPECT_EQ(out->status.outcome, CallOutcome::Fail) << out->status.detail;
  EXPECT_HAS(out->status.detail,
             "0x8004100E WBEM_E_INVALID_NAMESPACE: ConnectServer \\\\.\\root\\sms");
}

}  // namespace
}  // namespace uda::wmi
