// GroupCommitter: many callers, one transaction per batch, answers only after
// the commit. No timing assertions: batches are forced by queue contents.

#include "store/group_commit.hpp"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <span>
#include <stdexcept>
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
  // A second store on the same file that cannot commit: another connection
  // holds the write lock (until hold_.reset()) and busy_timeout is 0.
  std::unique_ptr<JobStore> locked_store() {
    StoreOptions so;
    so.path = dir_.path() / "uda.db";
    so.busy_timeout = Millis(0);
    auto s = JobStore::open(so);
    EXPECT_TRUE(s) << s.error().message;
    locker_ = std::make_unique<sqlite::Connection>(
        sqlite::Connection::open(so.path, sqlite::Connection::Mode::ReadWriteCreate));
    hold_ = std::make_unique<sqlite::Transaction>(*locker_);
    return s ? std::move(*s) : nullptr;
  }
  test::TempDir dir_;
  std::unique_ptr<JobStore> store_;
  std::unique_ptr<sqlite::Connection> locker_;
  std::unique_ptr<sqlite::Transaction> hold_;
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
  // Another connection holds the write lock: the batch cannot commit.
  auto busy_store = locked_store();
  ASSERT_TRUE(busy_store);
  GroupCommitter gc(*busy_store, 2, 100, kLong);
  auto a = gc.submit(make_trigger("a", 1, "C\\u"));
  auto b = gc.submit(make_trigger("b", 1, "C\\u"));
  auto ra = a.get();
  auto rb = b.get();
  ASSERT_FALSE(ra);
  ASSERT_FALSE(rb);
  EXPECT_THAT(ra.error().message, HasSubstr("SQLITE_BUSY"));
  EXPECT_EQ(gc.stats().batches, 0U);
  hold_.reset();
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

// The rules stage (GroupCommitter::RulesStage): decide runs on the writer
// thread before the transaction, so each trigger is stored with its decision
// and job in the same commit; decided gets what was stored, after every
// caller of the batch has its answer; a failing stage stores the batch
// undecided and OnCommitted wakes the Decider for exactly those triggers.
namespace uda {
namespace {

using test::create_decision;
using test::skip_decision;

// What the rules stage saw. Written on the writer thread; read by the test
// after stop() (which joins it).
struct StageLog {
  std::mutex mu;
  std::vector<std::vector<std::string>> decide_batches;  // trigger ids per decide call
  struct Report {
    std::vector<std::string> trigger_ids;
    std::size_t decisions = 0;
    std::vector<DecisionOutcome> outcomes;
    std::vector<std::string> stored_states;  // read back from the store inside decided()
    int answered_before = 0;                 // callers answered when decided() ran
  };
  std::vector<Report> reports;
};

std::vector<std::string> ids_of(std::span<const Trigger> triggers) {
  std::vector<std::string> ids;
  for (const auto& t : triggers) ids.push_back(t.id);
  return ids;
}

// A trigger from "C\svc" is skipped, every other one created (the trigger's
// own user).
std::vector<Decision> simple_rules(std::span<const Trigger> triggers) {
  std::vector<Decision> out;
  for (const auto& t : triggers)
    out.push_back(t.user == "C\\svc" ? skip_decision() : create_decision());
  return out;
}

// A rules stage that records its calls in `log` and decides with `rules`.
GroupCommitter::RulesStage recording_stage(
    StageLog& log, JobStore& store, const std::atomic<int>& answered,
    std::function<std::vector<Decision>(std::span<const Trigger>)> rules = simple_rules) {
  GroupCommitter::RulesStage stage;
  stage.decide = [&log, rules = std::move(rules)](std::span<const Trigger> t) {
    {
      std::lock_guard lock(log.mu);
      log.decide_batches.push_back(ids_of(t));
    }
    return rules(t);
  };
  stage.decided = [&log, &store, &answered](std::span<const Trigger> t, std::span<const Decision> d,
                                            std::span<const DecisionOutcome> o) {
    StageLog::Report r;
    r.answered_before = answered.load();
    r.trigger_ids = ids_of(t);
    r.decisions = d.size();
    r.outcomes.assign(o.begin(), o.end());
    for (const auto& outcome : o) {
      auto rec = store.get_trigger(outcome.trigger_id);
      r.stored_states.push_back(rec && *rec ? (*rec)->state : "missing");
    }
    std::lock_guard lock(log.mu);
    log.reports.push_back(std::move(r));
  };
  return stage;
}

// The callers of one test: each request's answer (empty on error) in
// `answers`, counted by `answered`; OnCommitted calls in `woken`, and the
// undecided triggers they named in `undecided`.
struct Callers {
  std::mutex mu;
  std::vector<std::vector<bool>> answers;
  std::atomic<int> answered{0};
  std::atomic<int> woken{0};
  std::atomic<std::size_t> undecided{0};

  // Submits `triggers` as one request.
  void submit(GroupCommitter& gc, std::vector<Trigger> triggers) {
    gc.submit(std::move(triggers), [this](Expected<std::vector<bool>> r) {
      {
        std::lock_guard lock(mu);
        answers.push_back(r ? *r : std::vector<bool>{});
      }
      ++answered;
    });
  }
  GroupCommitter::OnCommitted on_committed() {
    return [this](std::size_t n) {
      ++woken;
      undecided += n;
    };
  }
};

TEST_F(StoreGroupCommitTest, RulesStageDecisionsAreStoredAndReportedAfterTheAnswers) {
  StageLog log;
  Callers c;
  {
    // One batch of three requests: committed when full, never by a timer.
    GroupCommitter gc(*store_, 3, 100, kLong, c.on_committed(),
                      recording_stage(log, *store_, c.answered));
    c.submit(gc, {make_trigger("a", 16777220, "C\\u")});
    c.submit(gc, {make_trigger("b", 16777221, "C\\svc")});
    c.submit(gc, {make_trigger("c", 16777220, "C\\u")});  // a's key
    gc.stop();
    EXPECT_EQ(gc.stats().batches, 1U);
  }
  EXPECT_EQ(c.answers, (std::vector<std::vector<bool>>{{true}, {true}, {true}}));
  ASSERT_EQ(log.decide_batches.size(), 1U);
  EXPECT_EQ(log.decide_batches[0], (std::vector<std::string>{"a", "b", "c"}));
  ASSERT_EQ(log.reports.size(), 1U);
  const auto& report = log.reports[0];
  EXPECT_EQ(report.answered_before, 3);  // every caller had its answer first
  EXPECT_EQ(report.trigger_ids, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(report.decisions, 3U);
  ASSERT_EQ(report.outcomes.size(), 3U);
  EXPECT_EQ(report.outcomes[0].trigger_id, "a");
  EXPECT_EQ(report.outcomes[0].decision, "create");
  ASSERT_TRUE(report.outcomes[0].job_id);
  EXPECT_EQ(report.outcomes[1].trigger_id, "b");
  EXPECT_EQ(report.outcomes[1].decision, "skip");
  EXPECT_FALSE(report.outcomes[1].job_id);
  EXPECT_EQ(report.outcomes[2].trigger_id, "c");
  EXPECT_EQ(report.outcomes[2].decision, "duplicate");
  EXPECT_EQ(report.outcomes[2].job_id, report.outcomes[0].job_id);
  // Already committed when decided() ran.
  EXPECT_EQ(report.stored_states, (std::vector<std::string>{"decided", "skipped", "decided"}));
  EXPECT_EQ(c.woken.load(), 0);  // everything decided: nothing for the Decider

  // What the outcomes say is what is stored.
  auto a = store_->get_trigger("a");
  ASSERT_TRUE(a && *a);
  EXPECT_EQ((*a)->decision, "create");
  EXPECT_EQ((*a)->job_id, report.outcomes[0].job_id);
  auto third = store_->get_trigger("c");
  ASSERT_TRUE(third && *third);
  EXPECT_EQ((*third)->decision, "duplicate");
  EXPECT_EQ((*third)->job_id, report.outcomes[0].job_id);
  auto job = store_->get_job(*report.outcomes[0].job_id);
  ASSERT_TRUE(job && *job);
  EXPECT_EQ((*job)->trigger_id, "a");
  EXPECT_EQ((*job)->state, JobState::Pending);
  EXPECT_EQ(received(), 0);
  auto counts = store_->counts();
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->jobs_by_state["pending"], 1);
}

TEST_F(StoreGroupCommitTest, ThrowingRulesStageStoresTheBatchUndecided) {
  ASSERT_TRUE(store_->insert_triggers(std::vector{make_trigger("old", 1, "C\\u")}));
  StageLog log;
  Callers c;
  {
    GroupCommitter gc(*store_, 10, 100, Millis(0), c.on_committed(),
                      recording_stage(log, *store_, c.answered,
                                      [](std::span<const Trigger>) -> std::vector<Decision> {
                                        throw std::runtime_error("rules exploded");
                                      }));
    c.submit(gc, {make_trigger("n1", 16777220, "C\\u"), make_trigger("n2", 16777221, "C\\u"),
                  make_trigger("old", 16777222, "C\\u")});
    gc.stop();
  }
  // The callers still get success, per trigger.
  EXPECT_EQ(c.answers, (std::vector<std::vector<bool>>{{true, true, false}}));
  EXPECT_EQ(log.decide_batches.size(), 1U);
  EXPECT_TRUE(log.reports.empty());  // nothing decided: nothing to report
  EXPECT_EQ(c.woken.load(), 1);
  EXPECT_EQ(c.undecided.load(), 2U);  // the two inserted, not the one already stored
  for (const char* id : {"n1", "n2"}) {
    auto r = store_->get_trigger(id);
    ASSERT_TRUE(r && *r) << id;
    EXPECT_EQ((*r)->state, "received") << id;
    EXPECT_EQ((*r)->decision, "") << id;
    EXPECT_FALSE((*r)->job_id) << id;
  }
  EXPECT_EQ(received(), 3);
  auto counts = store_->counts();
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->jobs_by_state["pending"], 0);
}

TEST_F(StoreGroupCommitTest, RulesStageAnsweringTheWrongNumberStoresTheBatchUndecided) {
  for (const std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{3}}) {
    SCOPED_TRACE(fmt::format("{} decision(s) for 2 triggers", n));
    StageLog log;
    Callers c;
    const std::string p = fmt::format("w{}-", n);
    {
      GroupCommitter gc(*store_, 10, 100, Millis(0), c.on_committed(),
                        recording_stage(log, *store_, c.answered, [n](std::span<const Trigger>) {
                          return std::vector<Decision>(n, create_decision());
                        }));
      c.submit(gc,
               {make_trigger(p + "0", 16777220, "C\\u"), make_trigger(p + "1", 16777221, "C\\u")});
      gc.stop();
    }
    EXPECT_EQ(c.answers, (std::vector<std::vector<bool>>{{true, true}}));
    EXPECT_EQ(log.decide_batches.size(), 1U);
    EXPECT_TRUE(log.reports.empty());
    EXPECT_EQ(c.woken.load(), 1);
    EXPECT_EQ(c.undecided.load(), 2U);
    for (const auto& id : {p + "0", p + "1"}) {
      auto r = store_->get_trigger(id);
      ASSERT_TRUE(r && *r) << id;
      EXPECT_EQ((*r)->state, "received") << id;
      EXPECT_FALSE((*r)->job_id) << id;
    }
    auto counts = store_->counts();
    ASSERT_TRUE(counts);
    EXPECT_EQ(counts->jobs_by_state["pending"], 0);
  }
  EXPECT_EQ(received(), 6);
}

TEST_F(StoreGroupCommitTest, OnCommittedIsNotCalledWhenTheRulesStageDecidedEverything) {
  StageLog log;
  Callers c;
  {
    GroupCommitter gc(*store_, 10, 100, Millis(0), c.on_committed(),
                      recording_stage(log, *store_, c.answered));
    for (int i = 0; i < 5; ++i) {
      const auto id = "d" + std::to_string(i);
      c.submit(gc, {make_trigger(id, static_cast<std::uint32_t>(16777220 + i), "C\\u")});
    }
    // Also a batch that repeats a stored id next to a new skipped one: not
    // inserted is not "stored undecided" either.
    c.submit(gc, {make_trigger("d0", 1, "C\\u"), make_trigger("s", 2, "C\\svc")});
    gc.stop();
  }
  ASSERT_EQ(c.answers.size(), 6U);
  EXPECT_EQ(c.answers.back(), (std::vector<bool>{false, true}));
  EXPECT_EQ(c.woken.load(), 0);
  EXPECT_EQ(received(), 0);
  std::size_t reported = 0;
  for (const auto& r : log.reports) reported += r.outcomes.size();
  EXPECT_EQ(reported, 6U);
  auto counts = store_->counts();
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->jobs_by_state["pending"], 5);
  auto s = store_->get_trigger("s");
  ASSERT_TRUE(s && *s);
  EXPECT_EQ((*s)->state, "skipped");
}

TEST_F(StoreGroupCommitTest, ADuplicateIdInALaterSubmissionGetsNoDecisionAndIsNotReported) {
  StageLog log;
  Callers c;
  {
    GroupCommitter gc(*store_, 10, 100, Millis(0), c.on_committed(),
                      recording_stage(log, *store_, c.answered));
    auto wait_for = [&](int n) {
      for (int i = 0; i < 60'000 && c.answered.load() < n; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      ASSERT_EQ(c.answered.load(), n);
    };
    c.submit(gc, {make_trigger("a", 16777220, "C\\first")});
    wait_for(1);
    // "a" again (another machine and user: it would be a new job) with a new one.
    c.submit(gc, {make_trigger("a", 16777230, "C\\second"), make_trigger("b", 16777221, "C\\b")});
    wait_for(2);
    // "a" alone: nothing stored, so nothing reported at all.
    c.submit(gc, {make_trigger("a", 16777231, "C\\third")});
    gc.stop();
  }
  EXPECT_EQ(c.answers, (std::vector<std::vector<bool>>{{true}, {false, true}, {false}}));
  EXPECT_EQ(log.decide_batches.size(), 3U);  // the rules ran; the store kept the first "a"
  ASSERT_EQ(log.reports.size(), 2U);
  EXPECT_EQ(log.reports[0].outcomes.size(), 1U);
  const auto& second = log.reports[1];
  EXPECT_EQ(second.trigger_ids, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(second.decisions, 2U);
  ASSERT_EQ(second.outcomes.size(), 1U);
  EXPECT_EQ(second.outcomes[0].trigger_id, "b");
  EXPECT_EQ(second.outcomes[0].decision, "create");
  EXPECT_EQ(c.woken.load(), 0);

  auto a = store_->get_trigger("a");
  ASSERT_TRUE(a && *a);
  EXPECT_EQ((*a)->trigger.user, "C\\first");
  EXPECT_EQ((*a)->trigger.machine.resource_id, 16777220U);
  ASSERT_TRUE((*a)->job_id);
  EXPECT_EQ((*a)->job_id, log.reports[0].outcomes[0].job_id);
  auto job = store_->get_job(*(*a)->job_id);
  ASSERT_TRUE(job && *job);
  EXPECT_EQ((*job)->machine_resource_id, 16777220U);
  auto linked = store_->triggers_for_job(*(*a)->job_id);
  ASSERT_TRUE(linked);
  EXPECT_EQ(linked->size(), 1U);
  auto counts = store_->counts();
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->jobs_by_state["pending"], 2);  // a's and b's, none for the repeats
}

TEST_F(StoreGroupCommitTest, AFailedCommitWithARulesStageReportsNothingAndStoresNothing) {
  // Another connection holds the write lock: the batch cannot commit.
  auto busy_store = locked_store();
  ASSERT_TRUE(busy_store);
  StageLog log;
  Callers c;
  {
    GroupCommitter gc(*busy_store, 10, 100, Millis(0), c.on_committed(),
                      recording_stage(log, *busy_store, c.answered));
    c.submit(gc, {make_trigger("f1", 16777220, "C\\u")});
    gc.stop();
    EXPECT_EQ(gc.stats().failed, 1U);
  }
  hold_.reset();
  ASSERT_EQ(c.answers.size(), 1U);
  EXPECT_TRUE(c.answers[0].empty());  // the caller got the error
  EXPECT_EQ(log.decide_batches.size(), 1U);
  EXPECT_TRUE(log.reports.empty());
  EXPECT_EQ(c.woken.load(), 0);
  auto f1 = store_->get_trigger("f1");
  ASSERT_TRUE(f1);
  EXPECT_FALSE(*f1);
  auto counts = store_->counts();
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->jobs_by_state["pending"], 0);
}

TEST_F(StoreGroupCommitTest, AThrowingDecidedCallbackLeavesTheCommitAndLaterBatchesAlone) {
  Callers c;
  std::atomic<int> reports{0};
  GroupCommitter::RulesStage stage;
  stage.decide = simple_rules;
  stage.decided = [&](std::span<const Trigger>, std::span<const Decision>,
                      std::span<const DecisionOutcome>) {
    ++reports;
    throw std::runtime_error("log sink gone");
  };
  {
    GroupCommitter gc(*store_, 10, 100, Millis(0), c.on_committed(), std::move(stage));
    c.submit(gc, {make_trigger("r1", 16777220, "C\\u")});
    for (int i = 0; i < 60'000 && reports.load() < 1; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    c.submit(gc, {make_trigger("r2", 16777221, "C\\u")});
    gc.stop();
    EXPECT_EQ(gc.stats().failed, 0U);
  }
  EXPECT_EQ(c.answers, (std::vector<std::vector<bool>>{{true}, {true}}));
  EXPECT_EQ(reports.load(), 2);
  EXPECT_EQ(c.woken.load(), 0);
  for (const char* id : {"r1", "r2"}) {
    auto r = store_->get_trigger(id);
    ASSERT_TRUE(r && *r) << id;
    EXPECT_EQ((*r)->state, "decided") << id;
    EXPECT_TRUE((*r)->job_id) << id;
  }
}

}  // namespace
}  // namespace uda

// The deliverer (GroupCommitter::Deliver): a batch's answers and its report
// reach the caller as ONE function, and nothing is answered until it runs,
// on whichever thread runs it (the agent's io thread).
namespace uda {
namespace {

TEST_F(StoreGroupCommitTest, ADelivererGetsEachBatchsAnswersAndReportAsOneFunction) {
  StageLog log;
  Callers c;
  std::mutex delivered_mu;
  std::vector<std::function<void()>> delivered;
  {
    GroupCommitter gc(*store_, 2, 100, kLong, nullptr, recording_stage(log, *store_, c.answered),
                      [&](std::function<void()> f) {
                        std::lock_guard lock(delivered_mu);
                        delivered.push_back(std::move(f));
                      });
    c.submit(gc, {make_trigger("a", 16777220, "C\\u")});
    c.submit(gc, {make_trigger("b", 16777221, "C\\svc")});
    c.submit(gc, {make_trigger("c", 16777222, "C\\u")});
    gc.stop();  // commits the third one alone
    EXPECT_EQ(gc.stats().batches, 2U);
  }
  // Committed, but nobody has been answered and nothing reported yet.
  EXPECT_EQ(c.answered.load(), 0);
  EXPECT_TRUE(log.reports.empty());
  auto a = store_->get_trigger("a");
  ASSERT_TRUE(a && *a);
  EXPECT_EQ((*a)->state, "decided");

  ASSERT_EQ(delivered.size(), 2U);  // one per batch, not one per request
  delivered[0]();
  EXPECT_EQ(c.answered.load(), 2);
  ASSERT_EQ(log.reports.size(), 1U);
  EXPECT_EQ(log.reports[0].answered_before, 2);  // answers first, then the report
  EXPECT_EQ(log.reports[0].trigger_ids, (std::vector<std::string>{"a", "b"}));
  delivered[1]();
  EXPECT_EQ(c.answered.load(), 3);
  ASSERT_EQ(log.reports.size(), 2U);
  EXPECT_EQ(c.answers, (std::vector<std::vector<bool>>{{true}, {true}, {true}}));
}

TEST_F(StoreGroupCommitTest, ADelivererAlsoCarriesAFailedBatchsError) {
  // Another connection holds the write lock: the commit fails and the error
  // goes out through the deliverer like an answer would.
  auto busy_store = locked_store();
  ASSERT_TRUE(busy_store);

  std::vector<std::function<void()>> delivered;
  std::mutex delivered_mu;
  std::optional<std::string> error;
  {
    GroupCommitter gc(*busy_store, 1, 100, kLong, nullptr, {}, [&](std::function<void()> f) {
      std::lock_guard lock(delivered_mu);
      delivered.push_back(std::move(f));
    });
    gc.submit(std::vector<Trigger>{make_trigger("x", 1, "C\\u")},
              [&](Expected<std::vector<bool>> r) {
                error = r ? std::string("no error") : r.error().message;
              });
    gc.stop();
  }
  EXPECT_FALSE(error);
  ASSERT_EQ(delivered.size(), 1U);
  delivered[0]();
  ASSERT_TRUE(error);
  EXPECT_THAT(*error, HasSubstr("could not insert"));
}

}  // namespace
}  // namespace uda
