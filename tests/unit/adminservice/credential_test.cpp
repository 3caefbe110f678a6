#include "providers/adminservice/credential.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>

#include "temp_dir.hpp"

namespace uda::adminservice {
namespace {

void write(const std::filesystem::path& p, const std::string& text) {
  std::ofstream(p, std::ios::binary | std::ios::trunc) << text;
}

TEST(Credential, NegotiateHasNoSecretToRead) {
  Options o;
  o.auth = Auth::Negotiate;
  auto c = Credential::load(o);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ((*c)->current(), "");
}

TEST(Credential, MissingFileNamesTheKeyAndTheFileNeverTheContent) {
  test::TempDir dir;
  Options o;
  o.auth = Auth::Bearer;
  o.token_file = dir.path() / "absent.token";
  auto c = Credential::load(o);
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("provider.adminservice.token_file"), std::string::npos);
  EXPECT_NE(c.error().message.find("absent.token"), std::string::npos);
}

TEST(Credential, RenewedTokenFileIsPickedUpAndABrokenRenewalKeepsTheOldToken) {
  test::TempDir dir;
  const auto file = dir.path() / "cmg.token";
  write(file, "first-token\n");
  Options o;
  o.auth = Auth::Bearer;
  o.token_file = file;
  auto c = Credential::load(o);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ((*c)->current(), "first-token");

  // A renewal (different size, later time) is read at the next call.
  write(file, "second-token-longer\n");
  std::filesystem::last_write_time(
      file, std::filesystem::last_write_time(file) + std::chrono::seconds(2));
  EXPECT_EQ((*c)->current(), "second-token-longer");

  // An empty file (a renewal caught half-written) keeps the last good token.
  write(file, "");
  EXPECT_EQ((*c)->current(), "second-token-longer");
  // So does a vanished file.
  std::filesystem::remove(file);
  EXPECT_EQ((*c)->current(), "second-token-longer");
}

TEST(Credential, PasswordIsReadOnceAtStart) {
  test::TempDir dir;
  const auto file = dir.path() / "pw";
  write(file, "s3cret\n");
  Options o;
  o.auth = Auth::Ntlm;
  o.username = "CONTOSO\\svc_uda";
  o.password_file = file;
  auto c = Credential::load(o);
  ASSERT_TRUE(c) << c.error().message;
  write(file, "changed-password\n");
  EXPECT_EQ((*c)->current(), "s3cret");
}

}  // namespace
}  // namespace uda::adminservice
