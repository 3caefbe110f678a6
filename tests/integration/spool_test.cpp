// The spool folder, as a WinPE step or a script on a share uses it: files
// dropped into inbox/ become triggers; bad files are set aside with a reason.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "agent_harness.hpp"

namespace uda::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const char* kSpool = "spool:\n  dir: var/spool\n  poll_interval: 100ms\n  settle: 2s\n";

std::size_t count_files(const fs::path& dir, const std::string& suffix = "") {
  std::size_t n = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const auto name = e.path().filename().string();
    if (suffix.empty() || (name.size() >= suffix.size() &&
                           name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)) {
      ++n;
    }
  }
  return n;
}

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Written as the README tells writers to: a temporary name, then a rename.
void drop(const AgentHarness& h, const std::string& name, const std::string& content) {
  const auto inbox = h.dir() / "var/spool/inbox";
  std::ofstream(inbox / (name + ".tmp"), std::ios::binary) << content;
  fs::rename(inbox / (name + ".tmp"), inbox / name);
}

TEST(Spool, FilesBecomeTriggersAndBadFilesAreSetAsideWithAReason) {
  AgentHarness h("spool");
  h.set_sections(kSpool);
  h.write_config();
  h.start();
  const auto spool = h.dir() / "var/spool";
  ASSERT_TRUE(fs::is_directory(spool / "inbox"));

  drop(h, "ts-wks1.json",
       R"({"id":"wks1-osd","kind":"osd","machine":{"resource_id":16777220,"name":"WKS-0001"},
           "user":"CONTOSO\\user001","attributes":{"ts.name":"Win11"}})");
  drop(h, "batch.yaml",
       "- {kind: manual, machine: 16777221, user: 'CONTOSO\\user002'}\n"
       "- {kind: enrollment, machine: 16777222, user: user003@contoso.com}\n");
  drop(h, "broken.json", R"({"kind":"osd","machine":)");
  drop(h, "wrong-type.json", R"({"kind":"osd","machine":{"resource_id":"x1"},"user":"C\\u"})");
  drop(h, "garbage.json", std::string("\x00\x01\xff\xfe binary", 12));
  std::ofstream(spool / "inbox/.hidden.json") << "{}";
  std::ofstream(spool / "inbox/writing.json.tmp") << "{";

  ASSERT_TRUE(AgentHarness::wait_for([&] {
    return count_files(spool / "processed") == 2 && count_files(spool / "rejected", ".txt") == 3;
  })) << h.log();
  ASSERT_TRUE(AgentHarness::wait_for([&] { return h.all_triggers_terminal(3); })) << h.log();

  auto t = h.cli_json({"triggers", "show", "wks1-osd"});
  EXPECT_EQ(t["origin"], "spool");
  EXPECT_EQ(t["outcome"], "done");
  EXPECT_EQ(t["attributes"]["ts.name"], "Win11");
  const auto broken = read(spool / "rejected/broken.json.error.txt");
  EXPECT_NE(broken.find("not valid JSON"), std::string::npos) << broken;
  const auto wrong = read(spool / "rejected/wrong-type.json.error.txt");
  EXPECT_NE(wrong.find("machine.resource_id"), std::string::npos) << wrong;
  EXPECT_TRUE(fs::exists(spool / "rejected/garbage.json")) << "moved, never deleted";
  // Not complete (or hidden): left where they are.
  EXPECT_TRUE(fs::exists(spool / "inbox/.hidden.json"));
  EXPECT_TRUE(fs::exists(spool / "inbox/writing.json.tmp"));
  EXPECT_EQ(h.stop(SIGTERM), 0);
}

TEST(Spool, AHalfWrittenFileIsWaitedForAndTheCliCanWriteSpoolFiles) {
  AgentHarness h("spool-half");
  h.set_sections(kSpool);
  h.write_config();
  h.start();
  const auto spool = h.dir() / "var/spool";
  // A careless writer: no temporary name, and the file is incomplete for a moment.
  {
    std::ofstream out(spool / "inbox/slow.json", std::ios::binary);
    out << R"({"id":"slow-1","kind":"osd","machine":16777223,)";
    out.flush();
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // several scans see half a file
    out << R"("user":"CONTOSO\\user004"})";
  }
  ASSERT_TRUE(AgentHarness::wait_for([&] { return count_files(spool / "processed") == 1; }))
      << h.log();
  EXPECT_EQ(count_files(spool / "rejected"), 0U);

  auto r = h.cli({"submit", "--spool", "var/spool", "--kind", "osd", "--machine", "16777224",
                  "--user", "CONTOSO\\user005", "--id", "from-cli"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(AgentHarness::wait_for([&] { return h.all_triggers_terminal(2); })) << h.log();
  EXPECT_EQ(h.cli_json({"triggers", "show", "from-cli"})["origin"], "spool");
  EXPECT_EQ(h.cli_json({"triggers", "show", "slow-1"})["outcome"], "done");

  auto bad = h.cli(
      {"submit", "--spool", "no-such-dir", "--kind", "osd", "--machine", "1", "--user", "C\\u"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("has no inbox/ folder"), std::string::npos) << bad.err;
  EXPECT_EQ(h.stop(SIGTERM), 0);
}

TEST(Spool, FilesWaitingWhileTheAgentIsDownAreTakenAtStart) {
  AgentHarness h("spool-down");
  h.set_sections(kSpool);
  h.write_config();
  h.start();
  EXPECT_EQ(h.stop(SIGKILL), 128 + SIGKILL);
  for (int i = 0; i < 5; ++i) {
    drop(h, "offline-" + std::to_string(i) + ".json",
         json{{"kind", "osd"}, {"machine", 16777230 + i}, {"user", "CONTOSO\\user010"}}.dump());
  }
  h.start();
  const auto spool = h.dir() / "var/spool";
  ASSERT_TRUE(AgentHarness::wait_for([&] { return count_files(spool / "processed") == 5; }))
      << h.log();
  ASSERT_TRUE(AgentHarness::wait_for([&] { return h.all_triggers_terminal(5); })) << h.log();
  EXPECT_EQ(h.triggers().size(), 5U);
  EXPECT_EQ(h.stop(SIGTERM), 0);
}

}  // namespace
}  // namespace uda::test
