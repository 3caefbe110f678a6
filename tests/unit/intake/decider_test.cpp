// The rules stage against a real store: received triggers are decided once,
// decisions and jobs are recorded together, duplicates link to one job, and
// a rules swap affects only triggers decided afterwards.
#include "intake/decider.hpp"

#include <gtest/gtest.h>

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
    Trigger t;
    t.id = id;
    t.kind = kind;
    t.machine.resource_id = machine;
    t.user = user;
    t.origin = "test";
    t.received_at = now_ms();
    auto r = store_->insert_triggers(std::vector<Trigger>{t});
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
