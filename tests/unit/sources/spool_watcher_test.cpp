// SpoolWatcher over a real GroupCommitter and JobStore in a private folder.
// The io_context runs until a condition holds (bounded); no timing assertions.

#include "sources/spool/spool_watcher.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "sources/spool/spool_file.hpp"
#include "store/group_commit.hpp"
#include "store/job_store.hpp"
#include "temp_dir.hpp"

namespace uda {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

constexpr auto kLimit = std::chrono::seconds(10);

constexpr std::string_view kOsd =
    R"({"kind": "osd", "machine": {"resource_id": 16777220}, "user": "CONTOSO\\jdoe"})";
constexpr std::string_view kYaml = R"(- kind: usage
  machine: 16777221
  user: bwilson@contoso.com
  attributes: {usage.minutes: 3120}
- kind: osd
  machine: WKS-0003
  user: 'CONTOSO\asmith'
)";

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_text(const fs::path& p, std::string_view text) {
  fs::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
}

// Names of the entries directly in `dir` (files, links, folders), sorted.
std::vector<std::string> names_in(const fs::path& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

// Every regular file and link under `dir`, recursively (links not followed).
std::size_t count_files(const fs::path& dir) {
  std::size_t n = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_symlink() || e.is_regular_file()) ++n;
  }
  return n;
}

class SpoolWatcherTest : public ::testing::Test {
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
    drain();
  }

  // A watcher that submits to the current GroupCommitter (gc_ may be swapped).
  SpoolWatcher& start(SpoolWatcher::Submit submit = nullptr) {
    if (!submit) {
      submit = [this](std::vector<Trigger> t, GroupCommitter::Done done) {
        gc_->submit(std::move(t), std::move(done));
      };
    }
    watcher_ = std::make_unique<SpoolWatcher>(io_, options_, std::move(submit));
    auto st = watcher_->start();
    EXPECT_TRUE(st) << st.error().message;
    return *watcher_;
  }

  // Runs the io_context until `done` holds or kLimit passes.
  bool run_until(const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + kLimit;
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      if (io_.stopped()) io_.restart();
      io_.run_for(std::chrono::milliseconds(10));
    }
    return true;
  }
  // Lets `n` more scans happen.
  bool run_scans(int n) {
    const auto target = watcher_->stats().scans + static_cast<std::uint64_t>(n);
    return run_until([&] { return watcher_->stats().scans >= target; });
  }
  void drain() {
    if (io_.stopped()) io_.restart();
    io_.poll();
  }

  fs::path inbox() const { return options_.dir / "inbox"; }
  fs::path processed() const { return options_.dir / "processed"; }
  fs::path rejected() const { return options_.dir / "rejected"; }

  // A well-behaved writer: <name>.tmp, then rename.
  void drop(const std::string& name, std::string_view content) {
    write_text(inbox() / (name + ".tmp"), content);
    fs::rename(inbox() / (name + ".tmp"), inbox() / name);
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

  test::TempDir tmp_{"uda-spool"};
  asio::io_context io_;
  std::unique_ptr<JobStore> store_;
  std::unique_ptr<GroupCommitter> gc_;
  SpoolOptions options_;
  std::unique_ptr<SpoolWatcher> watcher_;
};

TEST_F(SpoolWatcherTest, StartCreatesTheFoldersAndFailsClearlyWhenItCannot) {
  auto& w = start();
  EXPECT_TRUE(fs::is_directory(inbox()));
  EXPECT_TRUE(fs::is_directory(processed()));
  EXPECT_TRUE(fs::is_directory(rejected()));
  EXPECT_THAT(names_in(inbox()), IsEmpty());  // the probe is gone
  EXPECT_EQ(w.inbox_dir(), inbox());

  // A file where the spool folder should be.
  write_text(tmp_.path() / "blocked", "x");
  SpoolOptions o = options_;
  o.dir = tmp_.path() / "blocked";
  SpoolWatcher other(io_, o, [](const std::vector<Trigger>&, const GroupCommitter::Done&) {});
  auto st = other.start();
  ASSERT_FALSE(st);
  EXPECT_THAT(st.error().message, HasSubstr("spool: cannot create"));

  // inbox/ is a link to somewhere else: refused, never followed.
  SpoolOptions l = options_;
  l.dir = tmp_.path() / "linked";
  fs::create_directories(l.dir);
  fs::create_directories(tmp_.path() / "elsewhere");
  std::error_code link_ec;
  fs::create_directory_symlink(tmp_.path() / "elsewhere", l.dir / "inbox", link_ec);
  if (link_ec) {
    // Windows without SeCreateSymbolicLinkPrivilege, and Wine: no links to test.
    GTEST_SKIP() << "cannot create a symbolic link here: " << link_ec.message();
  }
  SpoolWatcher linked(io_, l, [](const std::vector<Trigger>&, const GroupCommitter::Done&) {});
  auto st2 = linked.start();
  ASSERT_FALSE(st2);
  EXPECT_THAT(st2.error().message, HasSubstr("is not a directory"));
}

TEST_F(SpoolWatcherTest, ValidJsonAndYamlEndInProcessedWithTheirTriggersStored) {
  drop("a.json", kOsd);
  drop("b.yaml", kYaml);
  auto& w = start();
  ASSERT_TRUE(run_until([&] { return names_in(processed()).size() == 2; }));
  EXPECT_THAT(names_in(processed()), ElementsAre("a.json", "b.yaml"));
  EXPECT_THAT(names_in(inbox()), IsEmpty());
  EXPECT_THAT(names_in(rejected()), IsEmpty());
  EXPECT_EQ(read_text(processed() / "a.json"), kOsd);  // moved unchanged

  EXPECT_THAT(stored_ids(), UnorderedElementsAre(spool_trigger_id("a.json", kOsd, 0),
                                                 spool_trigger_id("b.yaml", kYaml, 0),
                                                 spool_trigger_id("b.yaml", kYaml, 1)));
  auto rec = store_->get_trigger(spool_trigger_id("b.yaml", kYaml, 0));
  ASSERT_TRUE(rec && *rec);
  EXPECT_EQ((*rec)->trigger.origin, "spool");
  EXPECT_EQ((*rec)->trigger.kind, TriggerKind::Usage);
  const auto s = w.stats();
  EXPECT_EQ(s.files_accepted, 2U);
  EXPECT_EQ(s.triggers_accepted, 3U);
  EXPECT_EQ(s.triggers_duplicate, 0U);
  EXPECT_EQ(s.files_rejected, 0U);
}

TEST_F(SpoolWatcherTest, InvalidFilesEndInRejectedWithAnExplanation) {
  drop("syntax.json", R"({"kind": "osd", "machine": )");
  drop("types.json", R"({"kind": "osd", "machine": {"resource_id": "abc"}, "user": "C\\a"})");
  drop("binary.json", std::string("\x7f"
                                  "ELF\0\0\x01\x02\x03",
                                  9));
  drop("empty.yaml", "");
  drop("list.yaml",
       "- kind: osd\n  machine: 1\n  user: C\\a\n- kind: boot\n  machine: 2\n  user: C\\b\n");
  const auto before = count_files(options_.dir.parent_path() / "spool");
  auto& w = start();
  ASSERT_TRUE(run_until([&] { return w.stats().files_rejected == 5; }));
  EXPECT_THAT(names_in(inbox()), IsEmpty());
  EXPECT_THAT(names_in(processed()), IsEmpty());
  EXPECT_THAT(names_in(rejected()),
              ElementsAre("binary.json", "binary.json.error.txt", "empty.yaml",
                          "empty.yaml.error.txt", "list.yaml", "list.yaml.error.txt", "syntax.json",
                          "syntax.json.error.txt", "types.json", "types.json.error.txt"));
  EXPECT_THAT(read_text(rejected() / "syntax.json.error.txt"),
              HasSubstr("syntax.json: not valid JSON at byte"));
  EXPECT_THAT(read_text(rejected() / "types.json.error.txt"),
              HasSubstr("types.json: machine.resource_id: must be an integer"));
  EXPECT_THAT(read_text(rejected() / "binary.json.error.txt"), HasSubstr("NUL byte"));
  EXPECT_THAT(read_text(rejected() / "empty.yaml.error.txt"), HasSubstr("empty.yaml: is empty"));
  const auto list_error = read_text(rejected() / "list.yaml.error.txt");
  EXPECT_THAT(list_error, HasSubstr("list.yaml:4:3: trigger [1]: kind: 'boot' is not one of"));
  EXPECT_THAT(list_error, HasSubstr("How to fix"));
  EXPECT_THAT(list_error, HasSubstr("inbox/"));
  // The rejected file is the original, byte for byte; nothing was stored.
  EXPECT_EQ(read_text(rejected() / "binary.json"), std::string("\x7f"
                                                               "ELF\0\0\x01\x02\x03",
                                                               9));
  EXPECT_THAT(stored_ids(), IsEmpty());
  // Nothing deleted: the five files, plus five explanations.
  EXPECT_EQ(count_files(options_.dir), before + 5);
}

TEST_F(SpoolWatcherTest, HalfWrittenFileInsideTheSettleWindowIsLeftAloneThenAccepted) {
  options_.settle = std::chrono::hours(1);
  auto& w = start();
  // A naive writer, halfway through (no .tmp, no rename).
  const auto half = kOsd.substr(0, kOsd.size() / 2);
  write_text(inbox() / "naive.json", half);
  ASSERT_TRUE(run_scans(3));
  EXPECT_THAT(names_in(inbox()), ElementsAre("naive.json"));
  EXPECT_THAT(names_in(rejected()), IsEmpty());
  EXPECT_EQ(read_text(inbox() / "naive.json"), half);

  // The writer finishes: complete JSON is taken at once.
  write_text(inbox() / "naive.json", kOsd);
  ASSERT_TRUE(run_until([&] { return w.stats().files_accepted == 1; }));
  EXPECT_THAT(names_in(processed()), ElementsAre("naive.json"));
  EXPECT_THAT(stored_ids(), ElementsAre(spool_trigger_id("naive.json", kOsd, 0)));
}

TEST_F(SpoolWatcherTest, YoungYamlWaitsForSettleBecauseACutYamlFileCanStillParse) {
  options_.settle = std::chrono::hours(1);
  auto& w = start();
  // Complete or cut short after its first trigger, this YAML parses: it waits.
  write_text(inbox() / "young.yaml", kYaml);
  ASSERT_TRUE(run_scans(3));
  EXPECT_THAT(names_in(inbox()), ElementsAre("young.yaml"));
  EXPECT_EQ(w.stats().files_accepted, 0U);

  // Unchanged for longer than settle (mtime in the past): taken.
  fs::last_write_time(inbox() / "young.yaml",
                      fs::file_time_type::clock::now() - std::chrono::hours(2));
  ASSERT_TRUE(run_until([&] { return w.stats().files_accepted == 1; }));
  EXPECT_THAT(names_in(processed()), ElementsAre("young.yaml"));
  EXPECT_EQ(stored_ids().size(), 2U);
}

TEST_F(SpoolWatcherTest, BrokenFileIsRejectedOnceSettled) {
  options_.settle = std::chrono::hours(1);
  auto& w = start();
  write_text(inbox() / "stuck.json", R"({"kind": )");
  ASSERT_TRUE(run_scans(3));
  EXPECT_THAT(names_in(inbox()), ElementsAre("stuck.json"));
  fs::last_write_time(inbox() / "stuck.json",
                      fs::file_time_type::clock::now() - std::chrono::hours(2));
  ASSERT_TRUE(run_until([&] { return w.stats().files_rejected == 1; }));
  EXPECT_THAT(names_in(rejected()), ElementsAre("stuck.json", "stuck.json.error.txt"));
}

TEST_F(SpoolWatcherTest, TemporariesAndDotfilesAreIgnoredUntilRenamed) {
  auto& w = start();
  write_text(inbox() / "x.json.tmp", kOsd);
  write_text(inbox() / "y.json.partial", kOsd);
  write_text(inbox() / ".z.json", kOsd);
  write_text(inbox() / "notes.txt", "hello");
  ASSERT_TRUE(run_scans(3));
  EXPECT_THAT(names_in(inbox()),
              ElementsAre(".z.json", "notes.txt", "x.json.tmp", "y.json.partial"));
  EXPECT_THAT(stored_ids(), IsEmpty());

  fs::rename(inbox() / "x.json.tmp", inbox() / "x.json");
  ASSERT_TRUE(run_until([&] { return w.stats().files_accepted == 1; }));
  EXPECT_THAT(names_in(processed()), ElementsAre("x.json"));
  EXPECT_THAT(names_in(inbox()), ElementsAre(".z.json", "notes.txt", "y.json.partial"));
  EXPECT_THAT(names_in(rejected()), IsEmpty());
}

TEST_F(SpoolWatcherTest, SymlinksHardLinksAndFoldersAreNeverFollowedOrMoved) {
  const auto outside = tmp_.path() / "outside.json";
  write_text(outside, kOsd);
  auto& w = start();
  std::error_code link_ec;
  fs::create_symlink(outside, inbox() / "link.json", link_ec);
  if (link_ec) {
    // Windows without SeCreateSymbolicLinkPrivilege, and Wine: no links to test.
    GTEST_SKIP() << "cannot create a symbolic link here: " << link_ec.message();
  }
  fs::create_hard_link(outside, inbox() / "hard.json");
  fs::create_directory(inbox() / "folder.json");
  write_text(inbox() / "folder.json" / "inner.json", kOsd);
  ASSERT_TRUE(run_scans(3));
  EXPECT_TRUE(fs::is_symlink(inbox() / "link.json"));
  EXPECT_TRUE(fs::exists(inbox() / "hard.json"));  // a second link to a file elsewhere
  EXPECT_TRUE(fs::is_directory(inbox() / "folder.json"));
  EXPECT_TRUE(fs::exists(inbox() / "folder.json" / "inner.json"));
  EXPECT_EQ(read_text(outside), kOsd);
  EXPECT_THAT(names_in(processed()), IsEmpty());
  EXPECT_THAT(names_in(rejected()), IsEmpty());
  EXPECT_THAT(stored_ids(), IsEmpty());
  EXPECT_EQ(w.stats().files_accepted + w.stats().files_rejected, 0U);
}

TEST_F(SpoolWatcherTest, OversizeFileIsRejectedWithTheLimitAndTheFix) {
  options_.max_file_size = 64;
  auto& w = start();
  drop("big.json", kOsd);  // 78 bytes
  drop("small.json", R"({"kind":"osd","machine":1,"user":"C\\a"})");
  ASSERT_TRUE(
      run_until([&] { return w.stats().files_rejected == 1 && w.stats().files_accepted == 1; }));
  EXPECT_THAT(names_in(rejected()), ElementsAre("big.json", "big.json.error.txt"));
  const auto text = read_text(rejected() / "big.json.error.txt");
  EXPECT_THAT(text, HasSubstr("larger than spool.max_file_size = 64 bytes"));
  EXPECT_THAT(text, HasSubstr("split the triggers"));
  EXPECT_EQ(read_text(rejected() / "big.json"), kOsd);
}

TEST_F(SpoolWatcherTest, CommitErrorLeavesTheFileInInboxUntilALaterScanSucceeds) {
  std::atomic<int> calls{0};
  auto& w = start([&](std::vector<Trigger> t, GroupCommitter::Done done) {
    if (++calls <= 2) {
      done(Error{"database is locked (store busy)"});
      return;
    }
    gc_->submit(std::move(t), std::move(done));
  });
  drop("retry.json", kOsd);
  ASSERT_TRUE(run_until([&] { return w.stats().files_retried >= 1; }));
  ASSERT_TRUE(run_until([&] { return w.stats().files_accepted == 1; }));
  EXPECT_GE(w.stats().files_retried, 2U);
  EXPECT_THAT(names_in(processed()), ElementsAre("retry.json"));
  EXPECT_THAT(stored_ids(), ElementsAre(spool_trigger_id("retry.json", kOsd, 0)));
}

TEST_F(SpoolWatcherTest, StoppedCommitterRefusesAndTheFileWaitsInInbox) {
  auto& w = start();
  gc_->stop();
  drop("later.json", kOsd);
  ASSERT_TRUE(run_until([&] { return w.stats().files_retried >= 2; }));
  EXPECT_THAT(names_in(inbox()), ElementsAre("later.json"));
  EXPECT_THAT(names_in(rejected()), IsEmpty());

  gc_ = std::make_unique<GroupCommitter>(*store_, 64, 10'000, Millis(0));  // back again
  ASSERT_TRUE(run_until([&] { return w.stats().files_accepted == 1; }));
  EXPECT_THAT(names_in(processed()), ElementsAre("later.json"));
  EXPECT_EQ(stored_ids().size(), 1U);
}

TEST_F(SpoolWatcherTest, KilledBetweenCommitAndMoveTheFileIsAcceptedExactlyOnce) {
  // First life: the commit happens, but the agent "dies" before it hears the
  // answer (the answer is never delivered), so the file is not moved.
  std::atomic<bool> committed{false};
  start([&](std::vector<Trigger> t, const GroupCommitter::Done&) {
    gc_->submit(std::move(t), [&](const Expected<std::vector<bool>>& r) {
      EXPECT_TRUE(r);
      committed = true;
    });
  });
  drop("osd.yaml", kYaml);
  ASSERT_TRUE(run_until([&] { return committed.load(); }));
  watcher_.reset();
  drain();
  EXPECT_THAT(names_in(inbox()), ElementsAre("osd.yaml"));
  ASSERT_EQ(stored_ids().size(), 2U);

  // Second life: the same file, the same ids; the store has them already.
  auto& w = start();
  ASSERT_TRUE(run_until([&] { return w.stats().files_accepted == 1; }));
  EXPECT_THAT(names_in(processed()), ElementsAre("osd.yaml"));
  EXPECT_EQ(w.stats().triggers_duplicate, 2U);
  EXPECT_EQ(w.stats().triggers_accepted, 0U);
  EXPECT_THAT(stored_ids(), UnorderedElementsAre(spool_trigger_id("osd.yaml", kYaml, 0),
                                                 spool_trigger_id("osd.yaml", kYaml, 1)));
}

TEST_F(SpoolWatcherTest, ReingestingTheSameFileGivesTheSameIdsAndNoSecondTrigger) {
  auto& w = start();
  drop("again.json", kOsd);
  ASSERT_TRUE(run_until([&] { return w.stats().files_accepted == 1; }));
  // Someone copies it back.
  fs::copy_file(processed() / "again.json", inbox() / "again.json.tmp");
  fs::rename(inbox() / "again.json.tmp", inbox() / "again.json");
  ASSERT_TRUE(run_until([&] { return w.stats().files_accepted == 2; }));
  EXPECT_EQ(w.stats().triggers_accepted, 1U);
  EXPECT_EQ(w.stats().triggers_duplicate, 1U);
  EXPECT_THAT(stored_ids(), ElementsAre(spool_trigger_id("again.json", kOsd, 0)));
  // The second copy did not replace the first.
  EXPECT_THAT(names_in(processed()), ElementsAre("again.1.json", "again.json"));
}

TEST_F(SpoolWatcherTest, NameCollisionsKeepTheExistingFileAndAddASuffix) {
  auto& w = start();
  write_text(processed() / "c.json", "someone else's file");
  write_text(rejected() / "r.json", "older reject");
  write_text(rejected() / "r.1.json.error.txt", "an explanation without its file");
  drop("c.json", kOsd);
  drop("r.json", "not json");
  ASSERT_TRUE(
      run_until([&] { return w.stats().files_accepted == 1 && w.stats().files_rejected == 1; }));
  EXPECT_THAT(names_in(processed()), ElementsAre("c.1.json", "c.json"));
  EXPECT_EQ(read_text(processed() / "c.json"), "someone else's file");
  EXPECT_EQ(read_text(processed() / "c.1.json"), kOsd);
  EXPECT_THAT(names_in(rejected()),
              ElementsAre("r.1.json.error.txt", "r.2.json", "r.2.json.error.txt", "r.json"));
  EXPECT_EQ(read_text(rejected() / "r.json"), "older reject");
  EXPECT_EQ(read_text(rejected() / "r.1.json.error.txt"), "an explanation without its file");
  EXPECT_THAT(read_text(rejected() / "r.2.json.error.txt"), HasSubstr("r.json: not valid JSON"));

  drop("r.json", "still not json");
  ASSERT_TRUE(run_until([&] { return w.stats().files_rejected == 2; }));
  EXPECT_TRUE(fs::exists(rejected() / "r.3.json"));
  EXPECT_TRUE(fs::exists(rejected() / "r.3.json.error.txt"));
}

TEST_F(SpoolWatcherTest, ManyFilesAreTakenInBoundedScansAndNothingIsDeleted) {
  options_.max_files_per_scan = 2;
  std::size_t inputs = 0;
  for (int i = 0; i < 12; ++i) {
    const auto n = std::to_string(i);
    if (i % 4 == 3) {
      drop("f" + n + ".json", "{broken");
    } else {
      drop("f" + n + ".json", R"({"kind": "manual", "machine": )" + std::to_string(16777300 + i) +
                                  R"(, "user": "CONTOSO\\u)" + n + R"("})");
    }
    ++inputs;
  }
  write_text(inbox() / "g.json.tmp", kOsd);
  ++inputs;
  auto& w = start();
  ASSERT_TRUE(
      run_until([&] { return w.stats().files_accepted == 9 && w.stats().files_rejected == 3; }));
  EXPECT_EQ(stored_ids().size(), 9U);
  EXPECT_THAT(names_in(inbox()), ElementsAre("g.json.tmp"));
  // Every input still exists (in inbox/, processed/ or rejected/), plus one
  // explanation per rejected file.
  EXPECT_EQ(count_files(options_.dir), inputs + 3);
}

TEST_F(SpoolWatcherTest, InotifyWakesTheScanWithoutWaitingForThePoll) {
  options_.poll_interval = std::chrono::hours(1);
  auto& w = start();
  if (!w.watching_events()) GTEST_SKIP() << "inotify is not available here";
  // The first scan (at start) has run once the inbox is looked at.
  ASSERT_TRUE(run_until([&] { return w.stats().scans >= 1; }));
  drop("event.json", kOsd);
  ASSERT_TRUE(run_until([&] { return w.stats().files_accepted == 1; }));
  EXPECT_THAT(names_in(processed()), ElementsAre("event.json"));
}

TEST_F(SpoolWatcherTest, StopEndsScanning) {
  auto& w = start();
  ASSERT_TRUE(run_until([&] { return w.stats().scans >= 1; }));
  w.stop();
  drain();
  const auto scans = w.stats().scans;
  drop("after.json", kOsd);
  io_.restart();
  io_.run_for(std::chrono::milliseconds(200));
  EXPECT_EQ(w.stats().scans, scans);
  EXPECT_THAT(names_in(inbox()), ElementsAre("after.json"));
}

}  // namespace
}  // namespace uda
