// The rules stage against a real store: received triggers are decided once,
// decisions and jobs are recorded together, duplicates link to one job, and
// a rules swap affects only triggers decided afterwards.
#include "intake/decider.hpp"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "log_capture.hpp"
#include "rules/rules_loader.hpp"
#include "temp_dir.hpp"

namespace uda {
namespace {

std::shared_ptr<const RuleSet> rules(const std::string& text) {
  auto r = load_rules_text(text, "test-rules.yaml");
  EXPECT_TRUE(r) << r.error().message;
  return std::make_shared<const RuleSet>(r ? std::move(*r) : RuleSet{});
}

const char* kRules = R"(
rules:
  - {name: osd, when: {kind: osd}, action: create, source: OSD}
  - {name: manual, when: {kind: manual}, action: create, source: Administrator}
default: {action: skip, reason: not handled}
)";

// A trigger as a source would hand it over.
Trigger make(const std::string& id, TriggerKind kind, std::uint32_t machine,
             const std::string& user) {
  Trigger t;
  t.id = id;
  t.kind = kind;
  t.machine.resource_id = machine;
  t.user = user;
  t.origin = "test";
  t.received_at = now_ms();
  return t;
}

class DeciderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StoreOptions so;
    so.path = dir_.path() / "store.db";
    auto s = JobStore::open(so);
    ASSERT_TRUE(s) << s.error().message;
    store_ = std::move(*s);
  }
  void TearDown() override { store_.reset(); }

  void submit(const std::string& id, TriggerKind kind, std::uint32_t machine,
              const std::string& user) {
    auto r = store_->insert_triggers(std::vector<Trigger>{make(id, kind, machine, user)});
    ASSERT_TRUE(r) << r.error().message;
  }

  TriggerRecord record(const std::string& id) {
    auto r = store_->get_trigger(id);
    EXPECT_TRUE(r && *r) << id;
    return r && *r ? **r : TriggerRecord{};
  }

  test::TempDir dir_{"uda-decider"};
  std::unique_ptr<JobStore> store_;
  asio::io_context io_;
  SystemTimeSource time_;
};

TEST_F(DeciderTest, DecidesEveryReceivedTriggerOnceAndQueuesJobs) {
  submit("a", TriggerKind::Osd, 16777220, "contoso\\jdoe");
  submit("b", TriggerKind::Usage, 16777221, "CONTOSO\\asmith");
  submit("c", TriggerKind::Manual, 16777222, "CONTOSO\\WKS-1$");
  int woken = 0;
  Decider d(io_, *store_, rules(kRules), time_, Millis(1000), 2, [&] { ++woken; });
  EXPECT_EQ(d.run_once(), 3U);  // batch 2: two passes
  EXPECT_EQ(d.run_once(), 0U);  // nothing left: decided exactly once
  EXPECT_EQ(d.stats().created, 1U);
  EXPECT_EQ(d.stats().skipped, 2U);
  EXPECT_GE(woken, 1);

  auto a = record("a");
  EXPECT_EQ(a.state, "decided");
  EXPECT_EQ(a.decision, "create");
  EXPECT_EQ(a.rule, "osd");
  ASSERT_TRUE(a.job_id);
  auto job = store_->get_job(*a.job_id);
  ASSERT_TRUE(job && *job);
  EXPECT_EQ((*job)->user, "CONTOSO\\jdoe");  // normalised by the users: policy
  EXPECT_EQ((*job)->source, SourceId::Osd);
  EXPECT_EQ((*job)->rule, "osd");
  EXPECT_EQ((*job)->state, JobState::Pending);
  EXPECT_NE(a.trace_json.find("kind osd is one of [osd]"), std::string::npos) << a.trace_json;

  auto b = record("b");
  EXPECT_EQ(b.state, "skipped");
  EXPECT_EQ(b.rule, "default");
  EXPECT_EQ(b.reason, "not handled");
  EXPECT_FALSE(b.job_id);

  auto c = record("c");
  EXPECT_EQ(c.state, "skipped");
  EXPECT_EQ(c.rule, "user-policy");
  EXPECT_NE(c.reason.find("machine account"), std::string::npos);
}

TEST_F(DeciderTest, SameMachineUserSourceIsOneJob) {
  submit("x1", TriggerKind::Osd, 16777220, "CONTOSO\\jdoe");
  submit("x2", TriggerKind::Osd, 16777220, "contoso\\JDOE");
  submit("x3", TriggerKind::Manual, 16777220, "CONTOSO\\jdoe");  // other source: own job
  Decider d(io_, *store_, rules(kRules), time_, Millis(1000), 256, nullptr);
  EXPECT_EQ(d.run_once(), 3U);
  EXPECT_EQ(d.stats().created, 2U);
  EXPECT_EQ(d.stats().duplicates, 1U);
  EXPECT_EQ(record("x1").job_id, record("x2").job_id);
  EXPECT_EQ(record("x2").decision, "duplicate");
  EXPECT_NE(record("x1").job_id, record("x3").job_id);
}

TEST_F(DeciderTest, NewRulesApplyToTriggersDecidedAfterTheSwap) {
  submit("before", TriggerKind::Osd, 16777220, "CONTOSO\\jdoe");
  Decider d(io_, *store_, rules(kRules), time_, Millis(1000), 256, nullptr);
  d.run_once();
  d.set_rules(rules("rules: []\ndefault: {action: skip, reason: frozen}\n"));
  submit("after", TriggerKind::Osd, 16777221, "CONTOSO\\jdoe");
  d.run_once();
  EXPECT_EQ(record("before").decision, "create");
  EXPECT_EQ(record("after").decision, "skip");
  EXPECT_EQ(record("after").reason, "frozen");
}

TEST_F(DeciderTest, LoopPicksUpTriggersWhenWoken) {
  Decider d(io_, *store_, rules(kRules), time_, Millis(60'000), 256, nullptr);
  d.start();
  io_.poll();
  submit("late", TriggerKind::Osd, 16777220, "CONTOSO\\jdoe");
  d.wake();
  for (int i = 0; i < 100 && record("late").state == "received"; ++i) io_.run_one_for(Millis(10));
  EXPECT_EQ(record("late").state, "decided");
  d.stop();
  io_.run_for(Millis(100));
}

}  // namespace
}  // namespace uda

// The rules stage at intake (GroupCommitter::RulesStage): decide_batch answers
// from the rules set last, one snapshot per batch; report logs and counts
// what the store answered, pairing each outcome with its trigger by id (some
// triggers of a batch may not have been stored), and says whether a job was
// created (to wake the dispatcher).
namespace uda {
namespace {

using test::LogCapture;

const char* kFrozen = "rules: []\ndefault: {action: skip, reason: frozen}\n";

TEST_F(DeciderTest, DecideBatchUsesTheRulesSetLast) {
  Decider d(io_, *store_, rules(kRules), time_, Millis(1000), 256, nullptr);
  const std::vector<Trigger> batch{make("o", TriggerKind::Osd, 16777220, "contoso\\jdoe"),
                                   make("m", TriggerKind::Manual, 16777221, "CONTOSO\\asmith"),
                                   make("u", TriggerKind::Usage, 16777222, "CONTOSO\\asmith")};
  const auto before = d.decide_batch(batch);
  ASSERT_EQ(before.size(), 3U);
  EXPECT_EQ(before[0].action, DecisionAction::Create);
  EXPECT_EQ(before[0].rule, "osd");
  EXPECT_EQ(before[0].source, SourceId::Osd);
  ASSERT_TRUE(before[0].user);
  EXPECT_EQ(before[0].user->str(), "CONTOSO\\jdoe");
  EXPECT_EQ(before[1].action, DecisionAction::Create);
  EXPECT_EQ(before[1].rule, "manual");
  EXPECT_EQ(before[1].source, SourceId::Administrator);
  EXPECT_EQ(before[2].action, DecisionAction::Skip);
  EXPECT_EQ(before[2].rule, "default");
  EXPECT_EQ(before[2].reason, "not handled");

  d.set_rules(rules(kFrozen));
  const auto after = d.decide_batch(batch);
  ASSERT_EQ(after.size(), 3U);
  for (const auto& decision : after) {
    EXPECT_EQ(decision.action, DecisionAction::Skip);
    EXPECT_EQ(decision.rule, "default");
    EXPECT_EQ(decision.reason, "frozen");
  }
  d.set_rules(rules(kRules));
  EXPECT_EQ(d.decide_batch(batch)[0].action, DecisionAction::Create);

  EXPECT_TRUE(d.decide_batch({}).empty());
  // Deciding is all it does: nothing stored, nothing counted.
  auto stored = store_->get_trigger("o");
  ASSERT_TRUE(stored);
  EXPECT_FALSE(*stored);
  EXPECT_EQ(d.stats().decided, 0U);
}

TEST_F(DeciderTest, DecideBatchTakesOneRuleSetPerBatchWhileRulesAreSwapped) {
  const auto create = rules(kRules);
  const auto frozen = rules(kFrozen);
  Decider d(io_, *store_, create, time_, Millis(1000), 256, nullptr);
  const std::vector<Trigger> batch{make("o1", TriggerKind::Osd, 16777220, "CONTOSO\\jdoe"),
                                   make("o2", TriggerKind::Osd, 16777221, "CONTOSO\\jdoe")};
  std::atomic<bool> done{false};
  std::atomic<int> mixed{0};
  std::atomic<int> creates{0};
  std::atomic<int> skips{0};
  std::thread committer([&] {
    for (int i = 0; i < 2000; ++i) {
      const auto ds = d.decide_batch(batch);
      if (ds.size() != 2 || ds[0].action != ds[1].action) {
        ++mixed;
      } else if (ds[0].action == DecisionAction::Create) {
        ++creates;
      } else {
        ++skips;
      }
    }
    done = true;
  });
  for (bool flip = true; !done.load(); flip = !flip) d.set_rules(flip ? frozen : create);
  committer.join();
  EXPECT_EQ(mixed.load(), 0);
  EXPECT_EQ(creates.load() + skips.load(), 2000);
}

TEST_F(DeciderTest, ReportCountsEachOutcomeAndSaysWhetherAJobWasCreated) {
  Decider d(io_, *store_, rules(kRules), time_, Millis(1000), 256, nullptr);
  LogCapture log;
  const std::vector<Trigger> first{make("x1", TriggerKind::Osd, 16777220, "CONTOSO\\jdoe"),
                                   make("x2", TriggerKind::Osd, 16777220, "contoso\\JDOE"),
                                   make("x3", TriggerKind::Usage, 16777221, "CONTOSO\\jdoe")};
  const auto ds1 = d.decide_batch(first);
  auto stored1 = store_->insert_and_decide(first, ds1, {}, now_ms());
  ASSERT_TRUE(stored1) << stored1.error().message;
  ASSERT_EQ(stored1->decided.size(), 3U);
  ASSERT_EQ(stored1->decided[1].decision, "duplicate");
  EXPECT_TRUE(d.report(first, ds1, stored1->decided));
  auto s = d.stats();
  EXPECT_EQ(s.decided, 3U);
  EXPECT_EQ(s.created, 1U);
  EXPECT_EQ(s.duplicates, 1U);
  EXPECT_EQ(s.skipped, 1U);

  // No job created: a duplicate and a skip.
  const std::vector<Trigger> second{make("y1", TriggerKind::Osd, 16777220, "CONTOSO\\jdoe"),
                                    make("y2", TriggerKind::Usage, 16777222, "CONTOSO\\jdoe")};
  const auto ds2 = d.decide_batch(second);
  auto stored2 = store_->insert_and_decide(second, ds2, {}, now_ms());
  ASSERT_TRUE(stored2) << stored2.error().message;
  ASSERT_EQ(stored2->decided.size(), 2U);
  EXPECT_FALSE(d.report(second, ds2, stored2->decided));
  s = d.stats();
  EXPECT_EQ(s.decided, 5U);
  EXPECT_EQ(s.created, 1U);
  EXPECT_EQ(s.duplicates, 2U);
  EXPECT_EQ(s.skipped, 2U);

  // Nothing stored: nothing counted.
  EXPECT_FALSE(d.report(second, ds2, {}));
  EXPECT_EQ(d.stats().decided, 5U);

  // One line per decision, with the trigger id and the job.
  const auto job = std::to_string(*stored1->decided[0].job_id);
  const auto x1 = log.line_with("trigger=x1 ");
  EXPECT_NE(x1.find("decision=create rule=osd"), std::string::npos) << x1;
  EXPECT_NE(x1.find("job=" + job), std::string::npos) << x1;
  const auto x2 = log.line_with("trigger=x2 ");
  EXPECT_NE(x2.find("decision=duplicate"), std::string::npos) << x2;
  EXPECT_NE(x2.find("job=" + job), std::string::npos) << x2;
  const auto x3 = log.line_with("trigger=x3 ");
  EXPECT_NE(x3.find("decision=skip rule=default reason=\"not handled\""), std::string::npos) << x3;
  EXPECT_NE(log.line_with("trigger=y1 ").find("decision=duplicate"), std::string::npos);
  EXPECT_NE(log.line_with("trigger=y2 ").find("decision=skip"), std::string::npos);

  // The rows were decided at intake: the poll finds nothing left to decide.
  EXPECT_EQ(d.run_once(), 0U);
  EXPECT_EQ(d.stats().decided, 5U);
}

TEST_F(DeciderTest, ReportPairsOutcomesWithTriggersByIdWhenSomeWereNotStored) {
  submit("old", TriggerKind::Osd, 16777230, "CONTOSO\\jdoe");  // already stored
  Decider d(io_, *store_, rules(kRules), time_, Millis(1000), 256, nullptr);
  LogCapture log;
  const std::vector<Trigger> batch{make("a", TriggerKind::Usage, 16777220, "CONTOSO\\jdoe"),
                                   make("old", TriggerKind::Osd, 16777231, "CONTOSO\\jdoe"),
                                   make("b", TriggerKind::Manual, 16777221, "CONTOSO\\asmith"),
                                   make("b", TriggerKind::Osd, 16777222, "CONTOSO\\other")};
  const auto decisions = d.decide_batch(batch);
  auto stored = store_->insert_and_decide(batch, decisions, {}, now_ms());
  ASSERT_TRUE(stored) << stored.error().message;
  ASSERT_EQ(stored->inserted, (std::vector<bool>{true, false, true, false}));
  ASSERT_EQ(stored->decided.size(), 2U);  // a (skip) and the first b (create)
  ASSERT_EQ(stored->decided[1].trigger_id, "b");

  EXPECT_TRUE(d.report(batch, decisions, stored->decided));
  const auto s = d.stats();
  EXPECT_EQ(s.decided, 2U);
  EXPECT_EQ(s.created, 1U);
  EXPECT_EQ(s.skipped, 1U);
  EXPECT_EQ(s.duplicates, 0U);

  // b's line is b's own decision (rule manual), not that of "old" (the
  // trigger at its index) nor of the second "b" (not stored).
  const auto b = log.line_with("trigger=b ");
  EXPECT_NE(b.find("kind=manual"), std::string::npos) << b;
  EXPECT_NE(b.find("decision=create rule=manual"), std::string::npos) << b;
  EXPECT_NE(b.find("user=\"CONTOSO\\asmith\""), std::string::npos) << b;
  EXPECT_NE(b.find("source=Administrator"), std::string::npos) << b;
  EXPECT_NE(b.find("job=" + std::to_string(*stored->decided[1].job_id)), std::string::npos) << b;
  const auto a = log.line_with("trigger=a ");
  EXPECT_NE(a.find("kind=usage"), std::string::npos) << a;
  EXPECT_NE(a.find("decision=skip rule=default"), std::string::npos) << a;
  EXPECT_EQ(log.line_with("trigger=old "), "") << log.text();
  EXPECT_EQ(log.line_with("CONTOSO\\other"), "") << log.text();
  EXPECT_EQ(log.line_with("decision="), a) << "one line per stored decision, in order";

  // "old" kept its row: still for the poll, which decides it now.
  EXPECT_EQ(record("old").state, "received");
  EXPECT_EQ(d.run_once(), 1U);
  EXPECT_EQ(record("old").decision, "create");
}

}  // namespace
}  // namespace uda
