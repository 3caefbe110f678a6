#include "providers/wmi/options.hpp"

#include <gtest/gtest.h>

namespace uda::wmi {
namespace {

Expected<Options> parse(const std::string& text) {
  auto root = yaml::load_text(text, "c.yaml");
  EXPECT_TRUE(root) << root.error().message;
  return parse_options(yaml::Doc{"c.yaml"}, (*root)["wmi"]);
}

std::string error_of(const std::string& text) {
  auto o = parse(text);
  EXPECT_FALSE(o) << text;
  return o ? "" : o.error().message;
}

#define EXPECT_HAS(s, part) EXPECT_NE((s).find(part), std::string::npos) << (s)

TEST(WmiOptions, Defaults) {
  auto o = parse("wmi: {}\n");
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_EQ(o->server, ".");
  EXPECT_EQ(o->site_code, "");
  EXPECT_EQ(o->ns, "");
  EXPECT_EQ(o->timeout, Millis(60'000));
  EXPECT_EQ(o->workers, 4);
  EXPECT_EQ(sms_namespace(*o), "\\\\.\\root\\sms");
  EXPECT_EQ(site_namespace(*o, "PS1"), "\\\\.\\root\\sms\\site_PS1");
}

TEST(WmiOptions, AllKeys) {
  auto o =
      parse("wmi:\n  server: sccm01.contoso.com\n  site_code: ps1\n  timeout: 30s\n  workers: 2\n");
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_EQ(o->server, "sccm01.contoso.com");
  EXPECT_EQ(o->site_code, "PS1");
  EXPECT_EQ(o->timeout, Millis(30'000));
  EXPECT_EQ(o->workers, 2);
  EXPECT_EQ(site_namespace(*o, o->site_code), "\\\\sccm01.contoso.com\\root\\sms\\site_PS1");
}

TEST(WmiOptions, ServerForms) {
  auto o = parse("wmi: {server: '\\\\SCCM01'}\n");
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_EQ(o->server, "SCCM01");
  o = parse("wmi: {server: localhost}\n");
  ASSERT_TRUE(o);
  EXPECT_EQ(o->server, ".");
}

TEST(WmiOptions, NamespaceOverride) {
  auto o = parse("wmi:\n  server: sccm01\n  namespace: root\\sms\\site_LAB\n");
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_EQ(o->ns, "root\\sms\\site_LAB");
  EXPECT_EQ(site_namespace(*o, "XXX"), "\\\\sccm01\\root\\sms\\site_LAB");
}

TEST(WmiOptions, Errors) {
  EXPECT_HAS(error_of("wmi:\n  sever: x\n"), "c.yaml:2:3");
  EXPECT_HAS(error_of("wmi:\n  sever: x\n"), "server");
  EXPECT_HAS(error_of("wmi:\n  site_code: PS12\n"), "provider.wmi.site_code");
  EXPECT_HAS(error_of("wmi:\n  site_code: PS12\n"), "c.yaml:2:14");
  EXPECT_HAS(error_of("wmi:\n  server: 'a b'\n"), "not a host name");
  EXPECT_HAS(error_of("wmi:\n  namespace: '\\\\sccm\\root\\sms'\n"), "not a WMI namespace");
  EXPECT_HAS(error_of("wmi:\n  namespace: sms\\site_PS1\n"), "not a WMI namespace");
  EXPECT_HAS(error_of("wmi:\n  timeout: 10ms\n"), "provider.wmi.timeout");
  EXPECT_HAS(error_of("wmi:\n  workers: 0\n"), "provider.wmi.workers");
  EXPECT_HAS(error_of("wmi: [1]\n"), "provider.wmi");
}

}  // namespace
}  // namespace uda::wmi
