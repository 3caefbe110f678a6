// GroupCommitter: many callers, one transaction per batch, answers only after
// the commit. No timing assertions: batches are forced by queue contents.

#include "store/group_commit.hpp"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "store/sqlite.hpp"
#include "test_support.hpp"

namespace uda {
namespace {

using test::make_trigger;
using ::testing::HasSubstr;

constexpr Millis kLong{60'000};  // "forever" for a test; only an upper bound

class StoreGroupCommitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = test::open_store(dir_.path() / "uda.db");
    ASSERT_TRUE(store_);
  }
  std::int64_t received() {
    auto c = store_->counts();
    EXPECT_TRUE(c) << c.error().message;
    return c ? c->triggers_received : -1;
  }
  test::TempDir dir_;
  std::unique_ptr<JobStore> store_;
};

TEST_F(StoreGroupCommitTest, ManyThreadsSubmittingConcurrentlyAllCommit) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 50;
  GroupCommitter gc(*store_, 64, 10'000, Millis(2));
  std::atomic<int> accepted{0};
  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        auto f = gc.submit(make_trigger(fmt::format("t{}-{}", t, i), 16777220, "C\\u"));
        auto r = f.get();
        if (r && *r) {
          ++accepted;
        } else {
          ++failed;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(accepted.load(), kThreads * kPerThread);
  EXPECT_EQ(failed.load(), 0);
  // Every answer came after its commit: all rows are there now.
  EXPECT_EQ(received(), kThreads * kPerThread);
  for (int t = 0; t < kThreads; ++t) {
    auto r = store_->get_trigger(fmt::format("t{}-{}", t, kPerThread - 1));
    ASSERT_TRUE(r && *r);
  }
  const auto stats = gc.stats();
  EXPECT_EQ(stats.triggers, static_cast<std::uint64_t>(kThreads * kPerThread));
  EXPECT_LE(stats.batches, stats.triggers);
  EXPECT_GE(stats.batches, 1U);
  EXPECT_LE(stats.largest_batch, 64U);
}

TEST_F(StoreGroupCommitTest, QueuedTriggersShareOneTransaction) {
  constexpr int kCount = 100;
  // The writer waits (up to a minute) until the batch is full: a full batch
  // is committed at once, so the outcome does not depend on timing.
  GroupCommitter gc(*store_, kCount, 1'000, kLong);
  std::vector<std::future<Expected<bool>>> futures;
  std::vector<std::thread> threads;
  std::mutex mu;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kCount / 4; ++i) {
        auto f = gc.submit(make_trigger(fmt::format("b{}-{}", t, i), 16777220, "C\\u"));
        std::lock_guard lock(mu);
        futures.push_back(std::move(f));
      }
    });
  }
  for (auto& th : threads) th.join();
  for (auto& f : futures) {
    auto r = f.get();
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_TRUE(*r);
  }
  const auto stats = gc.stats();
  EXPECT_EQ(stats.triggers, static_cast<std::uint64_t>(kCount));
  EXPECT_EQ(stats.batches, 1U);
  EXPECT_LT(stats.batches, stats.triggers);
  EXPECT_EQ(stats.largest_batch, static_cast<std::size_t>(kCount));
  EXPECT_EQ(received(), kCount);
}

TEST_F(StoreGroupCommitTest, BatchesAreSplitAtMaxBatch) {
  GroupCommitter gc(*store_, 10, 1'000, kLong);
  std::vector<std::future<Expected<bool>>> futures;
  for (int i = 0; i < 25; ++i) {
    futures.push_back(gc.submit(make_trigger("s" + std::to_string(i), 1, "C\\u")));
  }
  gc.stop();  // commits the remaining 5 at once instead of waiting for more
  for (auto& f : futures) {
    auto r = f.get();
    ASSERT_TRUE(r) << r.error().message;
  }
  const auto stats = gc.stats();
  EXPECT_EQ(stats.triggers, 25U);
  EXPECT_EQ(stats.batches, 3U);
  EXPECT_EQ(stats.largest_batch, 10U);
}

TEST_F(StoreGroupCommitTest, DuplicateIdAnswersFalse) {
  ASSERT_TRUE(store_->insert_triggers(std::vector{make_trigger("dup", 1, "C\\first")}));
  GroupCommitter gc(*store_, 10, 100, Millis(0));
  auto again = gc.submit(make_trigger("dup", 2, "C\\second")).get();
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_FALSE(*again);
  auto fresh = gc.submit(make_trigger("fresh", 3, "C\\u")).get();
  ASSERT_TRUE(fresh);
  EXPECT_TRUE(*fresh);
  auto kept = store_->get_trigger("dup");
  ASSERT_TRUE(kept && *kept);
  EXPECT_EQ((*kept)->trigger.user, "C\\first");
}

TEST_F(StoreGroupCommitTest, SameIdTwiceInOneBatchKeepsTheFirst) {
  GroupCommitter gc(*store_, 2, 100, kLong);
  auto first = gc.submit(make_trigger("x", 1, "C\\first"));
  auto second = gc.submit(make_trigger("x", 2, "C\\second"));
  auto r1 = first.get();
  auto r2 = second.get();
  ASSERT_TRUE(r1 && r2);
  EXPECT_TRUE(*r1);
  EXPECT_FALSE(*r2);
  EXPECT_EQ(gc.stats().batches, 1U);
}

TEST_F(StoreGroupCommitTest, SubmitAfterStopIsRefused) {
  GroupCommitter gc(*store_, 10, 100, Millis(0));
  ASSERT_TRUE(gc.submit(make_trigger("before", 1, "C\\u")).get());
  gc.stop();
  gc.stop();  // idempotent
  auto r = gc.submit(make_trigger("after", 1, "C\\u")).get();
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message, HasSubstr("stopping"));
  auto after = store_->get_trigger("after");
  ASSERT_TRUE(after);
  EXPECT_FALSE(*after);
}

TEST_F(StoreGroupCommitTest, FullQueueIsRefusedAtOnce) {
  // The writer holds both items back (waiting for a batch of 100), so the
  // queue stays at its bound of 2 until stop().
  GroupCommitter gc(*store_, 100, 2, kLong);
  auto a = gc.submit(make_trigger("a", 1, "C\\u"));
  auto b = gc.submit(make_trigger("b", 1, "C\\u"));
  auto c = gc.submit(make_trigger("c", 1, "C\\u"));
  ASSERT_EQ(c.wait_for(std::chrono::seconds(0)), std::future_status::ready);
  auto rc = c.get();
  ASSERT_FALSE(rc);
  EXPECT_THAT(rc.error().message, HasSubstr("queue is full"));
  gc.stop();
  EXPECT_TRUE(a.get());
  EXPECT_TRUE(b.get());
  EXPECT_EQ(received(), 2);
}

TEST_F(StoreGroupCommitTest, DestructorCommitsWhatIsQueued) {
  std::vector<std::future<Expected<bool>>> futures;
  {
    GroupCommitter gc(*store_, 100, 100, kLong);
    for (int i = 0; i < 7; ++i) {
      futures.push_back(gc.submit(make_trigger("q" + std::to_string(i), 1, "C\\u")));
    }
  }
  for (auto& f : futures) {
    auto r = f.get();
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_TRUE(*r);
  }
  EXPECT_EQ(received(), 7);
}

TEST_F(StoreGroupCommitTest, CommitFailureReachesEveryCallerOfTheBatch) {
  StoreOptions so;
  so.path = dir_.path() / "uda.db";
  so.busy_timeout = Millis(0);
  auto busy_store = JobStore::open(so);
  ASSERT_TRUE(busy_store) << busy_store.error().message;
  // Another connection holds the write lock: the batch cannot commit.
  auto other = sqlite::Connection::open(so.path, sqlite::Connection::Mode::ReadWriteCreate);
  auto hold = std::make_unique<sqlite::Transaction>(other);
  GroupCommitter gc(**busy_store, 2, 100, kLong);
  auto a = gc.submit(make_trigger("a", 1, "C\\u"));
  auto b = gc.submit(make_trigger("b", 1, "C\\u"));
  auto ra = a.get();
  auto rb = b.get();
  ASSERT_FALSE(ra);
  ASSERT_FALSE(rb);
  EXPECT_THAT(ra.error().message, HasSubstr("SQLITE_BUSY"));
  EXPECT_EQ(gc.stats().batches, 0U);
  hold.reset();
  auto rc = gc.submit(make_trigger("c", 1, "C\\u"));
  gc.stop();
  EXPECT_TRUE(rc.get());
}

// A caller's batch (an HTTP request with an array) is answered per trigger,
// in order, and never split across transactions.
TEST_F(StoreGroupCommitTest, BatchSubmissionIsCommittedWholeAndAnsweredInOrder) {
  ASSERT_TRUE(store_->insert_triggers(std::vector{make_trigger("old", 1, "C\\u")}));
  std::atomic<std::size_t> committed{0};
  GroupCommitter gc(*store_, 10, 100, Millis(0), [&](std::size_t n) { committed += n; });
  std::vector<Trigger> batch;
  for (int i = 0; i < 15; ++i) batch.push_back(make_trigger("m" + std::to_string(i), 1, "C\\u"));
  batch.push_back(make_trigger("old", 1, "C\\u"));
  std::promise<Expected<std::vector<bool>>> answer;
  gc.submit(std::move(batch),
            [&](Expected<std::vector<bool>> r) { answer.set_value(std::move(r)); });
  auto r = answer.get_future().get();
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->size(), 16U);
  for (std::size_t i = 0; i < 15; ++i) EXPECT_TRUE((*r)[i]) << i;
  EXPECT_FALSE((*r)[15]);  // already stored: the first one is kept
  gc.stop();
  EXPECT_EQ(gc.stats().batches, 1U);  // larger than max_batch, still one transaction
  EXPECT_EQ(gc.stats().largest_batch, 16U);
  EXPECT_EQ(committed.load(), 15U);
  EXPECT_EQ(received(), 16);
}

TEST_F(StoreGroupCommitTest, EmptyAndOversizedBatchesAreRefusedAtOnce) {
  GroupCommitter gc(*store_, 10, 5, kLong);
  std::optional<Expected<std::vector<bool>>> empty;
  gc.submit({}, [&](Expected<std::vector<bool>> r) { empty = std::move(r); });
  ASSERT_TRUE(empty.has_value());
  ASSERT_FALSE(*empty);
  EXPECT_THAT(empty->error().message, HasSubstr("no triggers"));

  std::vector<Trigger> big;
  for (int i = 0; i < 6; ++i) big.push_back(make_trigger("o" + std::to_string(i), 1, "C\\u"));
  std::optional<Expected<std::vector<bool>>> over;
  gc.submit(std::move(big), [&](Expected<std::vector<bool>> r) { over = std::move(r); });
  ASSERT_TRUE(over.has_value());  // answered on the caller's thread, before any commit
  ASSERT_FALSE(*over);
  EXPECT_THAT(over->error().message, HasSubstr("at most 5"));
  EXPECT_EQ(gc.queued(), 0U);
  EXPECT_EQ(gc.stats().refused, 2U);
  gc.stop();
  EXPECT_EQ(received(), 0);
}

}  // namespace
}  // namespace uda

namespace uda {
namespace {

TEST(StoreIdempotency, ClaimIsRecordedWithTheFirstAnswersInTheSameTransaction) {
  test::TempDir dir;
  auto store = test::open_store(dir.path() / "uda.db");
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->insert_triggers(std::vector{make_trigger("seen", 1, "C\\u")}));
  {
    GroupCommitter gc(*store, 10, 100, Millis(0));
    std::promise<Expected<std::vector<bool>>> answer;
    IdempotencyClaim claim{"osd-ts", "key-1", "fp-1", 0, 0};
    gc.submit(
        {make_trigger("new", 1, "C\\u"), make_trigger("seen", 1, "C\\u")},
        [&](Expected<std::vector<bool>> r) { answer.set_value(std::move(r)); }, claim);
    auto r = answer.get_future().get();
    ASSERT_TRUE(r) << r.error().message;
    // The same key again: the first record is kept, not overwritten.
    std::promise<Expected<std::vector<bool>>> again;
    gc.submit(
        {make_trigger("other", 1, "C\\u")},
        [&](Expected<std::vector<bool>> r2) { again.set_value(std::move(r2)); },
        IdempotencyClaim{"osd-ts", "key-1", "fp-2", 0, 0});
    ASSERT_TRUE(again.get_future().get());
  }
  auto rec = store->find_idempotency("osd-ts", "key-1");
  ASSERT_TRUE(rec) << rec.error().message;
  ASSERT_TRUE(rec->has_value());
  EXPECT_EQ((*rec)->fingerprint, "fp-1");
  EXPECT_EQ((*rec)->trigger_ids, (std::vector<std::string>{"new", "seen"}));
  EXPECT_EQ((*rec)->inserted, (std::vector<bool>{true, false}));
  auto other_scope = store->find_idempotency("someone-else", "key-1");
  ASSERT_TRUE(other_scope);
  EXPECT_FALSE(other_scope->has_value());
  // Purged with the other finished rows once old enough.
  auto purged = store->purge_finished(now_ms() + Millis(1000));
  ASSERT_TRUE(purged);
  auto gone = store->find_idempotency("osd-ts", "key-1");
  ASSERT_TRUE(gone);
  EXPECT_FALSE(gone->has_value());
}

}  // namespace
}  // namespace uda
