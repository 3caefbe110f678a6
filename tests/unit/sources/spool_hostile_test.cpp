// SpoolWatcher against hostile folder contents: entries it never reads must
// not starve the files behind them, and names at the file system's length
// limit must still leave inbox/ (with their explanation) when rejected.
// A real GroupCommitter and JobStore in a private folder; bounded waits.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "sources/spool/spool_watcher.hpp"
#include "store/group_commit.hpp"
#include "store/job_store.hpp"
#include "temp_dir.hpp"

namespace uda {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

constexpr auto kLimit = std::chrono::seconds(10);

std::string trigger_text(const std::string& id) {
  return R"({"id": ")" + id +
         R"(", "kind": "osd", "machine": {"resource_id": 16777220}, "user": "CONTOSO\\jdoe"})";
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_text(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
}

class SpoolHostileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StoreOptions so;
    so.path = tmp_.path() / "uda.db";
    auto s = JobStore::open(so);
    ASSERT_TRUE(s) << s.error().message;
    store_ = std::move(*s);
    gc_ = std::make_unique<GroupCommitter>(*store_, 64, 10'000, Millis(0));
    options_.dir = tmp_.path() / "spool";
    options_.poll_interval = Millis(50);
    options_.settle = Millis(0);
    options_.enabled = true;
  }
  void TearDown() override {
    watcher_.reset();
    if (gc_) gc_->stop();
    if (io_.stopped()) io_.restart();
    io_.poll();
  }

  SpoolWatcher& start() {
    watcher_ = std::make_unique<SpoolWatcher>(
        io_, options_, [this](std::vector<Trigger> t, GroupCommitter::Done done) {
          gc_->submit(std::move(t), std::move(done));
        });
    auto st = watcher_->start();
    EXPECT_TRUE(st) << st.error().message;
    return *watcher_;
  }

  bool run_until(const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + kLimit;
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      if (io_.stopped()) io_.restart();
      io_.run_for(std::chrono::milliseconds(10));
    }
    return true;
  }

  fs::path inbox() const { return options_.dir / "inbox"; }
  fs::path processed() const { return options_.dir / "processed"; }
  fs::path rejected() const { return options_.dir / "rejected"; }

  void drop(const std::string& name, const std::string& content) {
    write_text(inbox() / "incoming.tmp", content);
    fs::rename(inbox() / "incoming.tmp", inbox() / name);
  }

  std::vector<std::string> stored_ids() {
    auto list = store_->list_triggers(10'000);
    EXPECT_TRUE(list) << list.error().message;
    std::vector<std::string> ids;
    if (list) {
      for (const auto& r : *list) ids.push_back(r.trigger.id);
    }
    return ids;
  }

  test::TempDir tmp_{"uda-spool-hostile"};
  asio::io_context io_;
  std::unique_ptr<JobStore> store_;
  std::unique_ptr<GroupCommitter> gc_;
  SpoolOptions options_;
  std::unique_ptr<SpoolWatcher> watcher_;
};

// Before the fix every entry of inbox/ took a place of max_files_per_scan,
// read or not: a few links, folders or FIFOs sorted first kept every file
// after them from ever being read.
TEST_F(SpoolHostileTest, EntriesThatAreNeverReadDoNotStarveTheFilesBehindThem) {
  options_.max_files_per_scan = 2;
  auto& w = start();
  const auto outside = tmp_.path() / "outside.json";
  write_text(outside, trigger_text("outside"));
  std::error_code ec;
  fs::create_symlink(outside, inbox() / "a-link.json", ec);
  if (ec) GTEST_SKIP() << "cannot create a symbolic link here: " << ec.message();
  fs::create_symlink(tmp_.path() / "nowhere.json", inbox() / "a-dangling.json");
  fs::create_directory(inbox() / "a-folder.json");
  fs::create_hard_link(outside, inbox() / "a-hard.json");
#ifndef _WIN32
  ASSERT_EQ(::mkfifo((inbox() / "a-fifo.json").c_str(), 0600), 0);
#else
  fs::create_directory(inbox() / "a-fifo.json");  // no FIFOs: one more folder
#endif
  drop("b-one.json", trigger_text("one"));
  drop("c-two.json", trigger_text("two"));
  drop("d-three.json", trigger_text("three"));
  ASSERT_TRUE(run_until([&] { return w.stats().files_accepted == 3; }))
      << "scans=" << w.stats().scans;
  EXPECT_THAT(stored_ids(), UnorderedElementsAre("one", "two", "three"));
  EXPECT_EQ(read_text(outside), trigger_text("outside"));
  for (const char* name :
       {"a-link.json", "a-dangling.json", "a-folder.json", "a-hard.json", "a-fifo.json"}) {
    EXPECT_TRUE(fs::exists(fs::symlink_status(inbox() / name))) << name;
  }
}

// A name of 255 bytes is fine for the file, but <name>.error.txt is not: the
// rejected file used to stay in inbox/ for good, read again at every scan.
TEST_F(SpoolHostileTest, LongNamesAreRejectedWithAnExplanationThatFits) {
  auto& w = start();
  const std::string bad = std::string(250, 'b') + ".json";  // 255 bytes
  const std::string good = std::string(250, 'g') + ".json";
  drop(bad, "{\"kind\":");
  drop(good, trigger_text("long-good"));
  ASSERT_TRUE(
      run_until([&] { return w.stats().files_rejected == 1 && w.stats().files_accepted == 1; }));
  EXPECT_FALSE(fs::exists(inbox() / bad));
  EXPECT_TRUE(fs::exists(processed() / good)) << "accepted files keep their names";
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(rejected())) {
    names.push_back(e.path().filename().string());
  }
  ASSERT_EQ(names.size(), 2U);
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names[1], names[0] + ".error.txt");
  EXPECT_LE(names[1].size(), 255U);
  EXPECT_TRUE(names[0].ends_with(".json")) << names[0];
  EXPECT_EQ(names[0].rfind(std::string(200, 'b'), 0), 0U) << names[0];
  const auto text = read_text(rejected() / names[1]);
  EXPECT_THAT(text, HasSubstr(bad)) << "the explanation names the file in full";
  EXPECT_THAT(text, HasSubstr("not valid JSON"));
  EXPECT_EQ(read_text(rejected() / names[0]), "{\"kind\":");

  // The same long name again: a suffix is added, still within the limit.
  drop(bad, "[");
  ASSERT_TRUE(run_until([&] { return w.stats().files_rejected == 2; }));
  EXPECT_FALSE(fs::exists(inbox() / bad));
  std::size_t n = 0;
  for (const auto& e : fs::directory_iterator(rejected())) {
    EXPECT_LE(e.path().filename().string().size(), 255U);
    ++n;
  }
  EXPECT_EQ(n, 4U);
}

// Multi-byte characters are never cut when a name is shortened.
TEST_F(SpoolHostileTest, ShortenedNamesKeepWholeUtf8Characters) {
#ifdef _WIN32
  GTEST_SKIP() << "NTFS limits names in UTF-16 units; this checks the POSIX byte limit";
#endif
  auto& w = start();
  std::string name;
  while (name.size() < 245) name += "\xc3\xa9";  // é, 2 bytes each
  name += ".json";
  ASSERT_LE(name.size(), 255U);
  drop(name, "not json");
  ASSERT_TRUE(run_until([&] { return w.stats().files_rejected == 1; }));
  for (const auto& e : fs::directory_iterator(rejected())) {
    const auto n = e.path().filename().string();
    const auto stem = n.substr(0, n.find(".json"));
    EXPECT_EQ(stem.size() % 2, 0U) << "a cut character in " << n;
    for (std::size_t i = 0; i + 1 < stem.size(); i += 2) {
      ASSERT_EQ(stem.substr(i, 2), "\xc3\xa9") << n;
    }
  }
}

}  // namespace
}  // namespace uda
