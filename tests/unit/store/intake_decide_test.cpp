// JobStore::insert_and_decide: the rules stage's answers are stored with the
// triggers in one transaction. Proven against a real store, by reading the
// rows back (get_trigger, get_job, triggers_for_job, find_idempotency,
// counts):
//  - Create: trigger 'decided' with decision, rule, reason and trace, and a
//    pending job linked to it; Skip: 'skipped' with no job;
//  - the same key twice in one batch (or a key already queued) is one job,
//    the later trigger linked to it as 'duplicate';
//  - a trigger id already stored, or repeated in the batch, is left as it
//    is: no decision, no job, inserted = false;
//  - idempotency claims are recorded with the answers, in the same commit;
//  - a decisions list of the wrong size stores nothing; an empty one stores
//    'received' exactly as insert_triggers does;
//  - a Create for a trigger that names no machine is stored skipped.

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/job.hpp"
#include "store/job_store.hpp"
#include "test_support.hpp"

namespace uda {
namespace {

using test::at;
using test::create_decision;
using test::make_trigger;
using test::skip_decision;
using test::t0;
using ::testing::HasSubstr;

class IntakeDecideTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = test::open_store(dir_.path() / "uda.db");
    ASSERT_TRUE(store_);
  }

  JobStore::Intake store(const std::vector<Trigger>& triggers,
                         const std::vector<Decision>& decisions, TimePoint now = t0(),
                         const std::vector<IdempotencyClaim>& claims = {}) {
    auto r = store_->insert_and_decide(triggers, decisions, claims, now);
    EXPECT_TRUE(r) << r.error().message;
    return r ? std::move(*r) : JobStore::Intake{};
  }

  TriggerRecord record(const std::string& id) {
    auto r = store_->get_trigger(id);
    EXPECT_TRUE(r && *r) << id;
    return r && *r ? **r : TriggerRecord{};
  }

  Job job(std::int64_t id) {
    auto j = store_->get_job(id);
    EXPECT_TRUE(j && *j) << "job " << id;
    return j && *j ? **j : Job{};
  }

  std::int64_t jobs_in(const std::string& state) {
    auto c = store_->counts();
    EXPECT_TRUE(c) << c.error().message;
    return c ? c->jobs_by_state[state] : -1;
  }

  std::int64_t received() {
    auto c = store_->counts();
    EXPECT_TRUE(c) << c.error().message;
    return c ? c->triggers_received : -1;
  }

  test::TempDir dir_;
  std::unique_ptr<JobStore> store_;
};

TEST_F(IntakeDecideTest, CreateStoresTheTriggerDecidedWithAPendingJobLinkedToIt) {
  Trigger t = make_trigger("c", 16777220, "jdoe@contoso.com", at(1));
  t.attributes = {{"ts.name", std::string("Win11")}};
  const Decision d = create_decision("CONTOSO\\JDoe", SourceId::Osd);
  const auto out = store({t}, {d}, at(9));
  EXPECT_EQ(out.inserted, (std::vector<bool>{true}));
  ASSERT_EQ(out.decided.size(), 1U);
  EXPECT_EQ(out.decided[0].trigger_id, "c");
  EXPECT_EQ(out.decided[0].decision, "create");
  ASSERT_TRUE(out.decided[0].job_id);

  const auto r = record("c");
  EXPECT_EQ(r.state, "decided");
  EXPECT_EQ(r.decision, "create");
  EXPECT_EQ(r.decided_at, at(9));
  EXPECT_EQ(r.rule, "osd-primary");
  EXPECT_EQ(r.reason, "the task sequence named a primary user");
  const auto trace = nlohmann::json::parse(r.trace_json);
  ASSERT_TRUE(trace.is_array()) << r.trace_json;
  ASSERT_EQ(trace.size(), 1U);
  EXPECT_EQ(trace[0]["rule"], "osd-primary");
  EXPECT_EQ(trace[0]["matched"], true);
  EXPECT_EQ(r.job_id, out.decided[0].job_id);
  EXPECT_EQ(r.job_state, JobState::Pending);
  // The trigger itself is stored as received.
  EXPECT_EQ(r.trigger.user, "jdoe@contoso.com");
  EXPECT_EQ(r.trigger.machine.resource_id, 16777220U);
  EXPECT_EQ(r.trigger.received_at, at(1));
  EXPECT_EQ(r.trigger.attributes, t.attributes);

  const Job j = job(*out.decided[0].job_id);
  EXPECT_EQ(j.trigger_id, "c");
  EXPECT_EQ(j.machine_resource_id, 16777220U);
  EXPECT_EQ(j.user, "CONTOSO\\JDoe");  // the decision's normalised user, not the UPN
  EXPECT_EQ(j.source, SourceId::Osd);
  EXPECT_EQ(j.type, TypeId::Primary);
  EXPECT_EQ(j.rule, "osd-primary");
  EXPECT_EQ(j.idempotency_key, idempotency_key(16777220U, std::nullopt, "CONTOSO\\JDoe",
                                               SourceId::Osd, TypeId::Primary));
  EXPECT_EQ(j.state, JobState::Pending);
  EXPECT_EQ(j.attempts, 0);
  EXPECT_EQ(j.next_attempt_at, at(9));
  EXPECT_EQ(j.created_at, at(9));

  auto linked = store_->triggers_for_job(j.id);
  ASSERT_TRUE(linked) << linked.error().message;
  ASSERT_EQ(linked->size(), 1U);
  EXPECT_EQ((*linked)[0].trigger.id, "c");
  EXPECT_EQ((*linked)[0].decision, "create");
  EXPECT_EQ(received(), 0);  // nothing left for the Decider's poll
  EXPECT_EQ(jobs_in("pending"), 1);
  auto next = store_->next_due();
  ASSERT_TRUE(next);
  EXPECT_EQ(*next, at(9));
}

TEST_F(IntakeDecideTest, CreateWithoutANormalisedUserUsesTheTriggersMachineNameAndUser) {
  const auto out = store({make_trigger("n", std::nullopt, " CONTOSO\\Raw ", t0(), "WKS-9")},
                         {create_decision()});
  ASSERT_EQ(out.decided.size(), 1U);
  ASSERT_TRUE(out.decided[0].job_id);
  const Job j = job(*out.decided[0].job_id);
  EXPECT_EQ(j.user, "CONTOSO\\Raw");  // trimmed
  EXPECT_EQ(j.machine_resource_id, std::nullopt);
  EXPECT_EQ(j.machine_name, "WKS-9");
  EXPECT_EQ(j.idempotency_key, "name:wks-9|contoso\\raw|6|1");
}

TEST_F(IntakeDecideTest, SkipStoresTheTriggerSkippedWithNoJob) {
  const auto out =
      store({make_trigger("s", 16777220, "CONTOSO\\svc-backup")}, {skip_decision()}, at(7));
  EXPECT_EQ(out.inserted, (std::vector<bool>{true}));
  ASSERT_EQ(out.decided.size(), 1U);
  EXPECT_EQ(out.decided[0].trigger_id, "s");
  EXPECT_EQ(out.decided[0].decision, "skip");
  EXPECT_FALSE(out.decided[0].job_id);

  const auto r = record("s");
  EXPECT_EQ(r.state, "skipped");
  EXPECT_EQ(r.decision, "skip");
  EXPECT_EQ(r.decided_at, at(7));
  EXPECT_EQ(r.rule, "ignore-service-accounts");
  EXPECT_EQ(r.reason, "service accounts never become primary users");
  const auto trace = nlohmann::json::parse(r.trace_json);
  ASSERT_TRUE(trace.is_array()) << r.trace_json;
  ASSERT_EQ(trace.size(), 1U);
  EXPECT_EQ(trace[0]["rule"], "ignore-service-accounts");
  EXPECT_FALSE(r.job_id);
  EXPECT_FALSE(r.job_state);
  EXPECT_EQ(received(), 0);
  EXPECT_EQ(jobs_in("pending"), 0);
}

TEST_F(IntakeDecideTest, SameKeyTwiceInOneBatchCreatesOnceThenLinksTheDuplicate) {
  const auto out = store({make_trigger("a", 16777220, "CONTOSO\\jdoe"),
                          make_trigger("b", 16777220, "contoso\\JDOE"),  // same key, case differs
                          make_trigger("c", 16777221, "CONTOSO\\jdoe"),  // another machine
                          make_trigger("d", 16777222, "CONTOSO\\svc")},
                         {create_decision("CONTOSO\\jdoe"), create_decision("contoso\\JDOE"),
                          create_decision("CONTOSO\\jdoe"), skip_decision()});
  EXPECT_EQ(out.inserted, (std::vector<bool>{true, true, true, true}));
  ASSERT_EQ(out.decided.size(), 4U);
  EXPECT_EQ(out.decided[0].decision, "create");
  EXPECT_EQ(out.decided[1].trigger_id, "b");
  EXPECT_EQ(out.decided[1].decision, "duplicate");
  ASSERT_TRUE(out.decided[0].job_id);
  EXPECT_EQ(out.decided[1].job_id, out.decided[0].job_id);
  EXPECT_EQ(out.decided[2].decision, "create");
  EXPECT_NE(out.decided[2].job_id, out.decided[0].job_id);
  EXPECT_EQ(out.decided[3].decision, "skip");

  const auto b = record("b");
  EXPECT_EQ(b.state, "decided");
  EXPECT_EQ(b.decision, "duplicate");
  EXPECT_EQ(b.job_id, out.decided[0].job_id);
  EXPECT_EQ(b.rule, "osd-primary");
  auto linked = store_->triggers_for_job(*out.decided[0].job_id);
  ASSERT_TRUE(linked) << linked.error().message;
  ASSERT_EQ(linked->size(), 2U);
  EXPECT_EQ((*linked)[0].trigger.id, "a");
  EXPECT_EQ((*linked)[0].decision, "create");
  EXPECT_EQ((*linked)[1].trigger.id, "b");
  EXPECT_EQ((*linked)[1].decision, "duplicate");
  EXPECT_EQ(job(*out.decided[0].job_id).trigger_id, "a");
  EXPECT_EQ(jobs_in("pending"), 2);

  // A later batch with the same key: a duplicate of the job still pending.
  const auto later = store({make_trigger("e", 16777220, "CONTOSO\\JDoe")},
                           {create_decision("CONTOSO\\JDoe")}, at(5));
  ASSERT_EQ(later.decided.size(), 1U);
  EXPECT_EQ(later.decided[0].decision, "duplicate");
  EXPECT_EQ(later.decided[0].job_id, out.decided[0].job_id);
  EXPECT_EQ(record("e").job_id, out.decided[0].job_id);
  EXPECT_EQ(jobs_in("pending"), 2);
}

TEST_F(IntakeDecideTest, AnIdAlreadyStoredIsLeftUntouchedAndGetsNoDecision) {
  // One stored undecided, one stored decided (skipped) earlier.
  ASSERT_TRUE(store_->insert_triggers(std::vector{make_trigger("old", 16777220, "C\\first")}));
  store({make_trigger("done", 16777221, "C\\first")}, {skip_decision()}, at(1));

  const auto out =
      store({make_trigger("old", 16777230, "C\\second"),
             make_trigger("done", 16777231, "C\\second"), make_trigger("new", 16777232, "C\\new")},
            {create_decision("C\\second"), create_decision("C\\second"), create_decision("C\\new")},
            at(2));
  EXPECT_EQ(out.inserted, (std::vector<bool>{false, false, true}));
  ASSERT_EQ(out.decided.size(), 1U);
  EXPECT_EQ(out.decided[0].trigger_id, "new");
  EXPECT_EQ(out.decided[0].decision, "create");

  const auto old = record("old");
  EXPECT_EQ(old.state, "received");  // still for the Decider's poll
  EXPECT_EQ(old.decision, "");
  EXPECT_FALSE(old.decided_at);
  EXPECT_EQ(old.rule, "");
  EXPECT_FALSE(old.job_id);
  EXPECT_EQ(old.trigger.user, "C\\first");
  EXPECT_EQ(old.trigger.machine.resource_id, 16777220U);

  const auto done = record("done");
  EXPECT_EQ(done.state, "skipped");
  EXPECT_EQ(done.decision, "skip");
  EXPECT_EQ(done.decided_at, at(1));
  EXPECT_EQ(done.rule, "ignore-service-accounts");
  EXPECT_FALSE(done.job_id);
  EXPECT_EQ(done.trigger.user, "C\\first");
  EXPECT_EQ(done.trigger.machine.resource_id, 16777221U);

  EXPECT_EQ(jobs_in("pending"), 1);  // only "new"'s
  EXPECT_EQ(job(*out.decided[0].job_id).trigger_id, "new");
  EXPECT_EQ(received(), 1);
}

TEST_F(IntakeDecideTest, TheSameIdTwiceInOneBatchStoresAndDecidesOnlyTheFirst) {
  const auto out =
      store({make_trigger("x", 16777220, "C\\first"), make_trigger("x", 16777221, "C\\second"),
             make_trigger("y", 16777222, "C\\y")},
            {create_decision("C\\first"), create_decision("C\\second"), skip_decision()});
  EXPECT_EQ(out.inserted, (std::vector<bool>{true, false, true}));
  ASSERT_EQ(out.decided.size(), 2U);
  EXPECT_EQ(out.decided[0].trigger_id, "x");
  EXPECT_EQ(out.decided[0].decision, "create");
  EXPECT_EQ(out.decided[1].trigger_id, "y");
  EXPECT_EQ(out.decided[1].decision, "skip");

  const auto x = record("x");
  EXPECT_EQ(x.trigger.user, "C\\first");
  EXPECT_EQ(x.trigger.machine.resource_id, 16777220U);
  EXPECT_EQ(x.decision, "create");
  ASSERT_TRUE(x.job_id);
  const Job j = job(*x.job_id);
  EXPECT_EQ(j.machine_resource_id, 16777220U);
  EXPECT_EQ(j.user, "C\\first");
  // The second "x" made no job of its own (another machine: it would not
  // have been a duplicate).
  EXPECT_EQ(jobs_in("pending"), 1);
  auto linked = store_->triggers_for_job(j.id);
  ASSERT_TRUE(linked);
  EXPECT_EQ(linked->size(), 1U);
}

TEST_F(IntakeDecideTest, IdempotencyClaimsAreRecordedWithTheAnswers) {
  ASSERT_TRUE(store_->insert_triggers(std::vector{make_trigger("seen", 1, "C\\u")}));
  const std::vector<IdempotencyClaim> claims{{"osd-ts", "key-1", "fp-1", 0, 2},
                                             {"admin", "key-2", "fp-2", 2, 1}};
  const auto out =
      store({make_trigger("new", 1, "C\\u"), make_trigger("seen", 1, "C\\u"),
             make_trigger("other", 2, "C\\u")},
            {create_decision("C\\u"), create_decision("C\\u"), skip_decision()}, at(3), claims);
  EXPECT_EQ(out.inserted, (std::vector<bool>{true, false, true}));
  ASSERT_EQ(out.decided.size(), 2U);

  auto first = store_->find_idempotency("osd-ts", "key-1");
  ASSERT_TRUE(first) << first.error().message;
  ASSERT_TRUE(first->has_value());
  EXPECT_EQ((*first)->fingerprint, "fp-1");
  EXPECT_EQ((*first)->trigger_ids, (std::vector<std::string>{"new", "seen"}));
  EXPECT_EQ((*first)->inserted, (std::vector<bool>{true, false}));
  EXPECT_EQ((*first)->created_at, at(3));
  auto second = store_->find_idempotency("admin", "key-2");
  ASSERT_TRUE(second) << second.error().message;
  ASSERT_TRUE(second->has_value());
  EXPECT_EQ((*second)->trigger_ids, (std::vector<std::string>{"other"}));
  EXPECT_EQ((*second)->inserted, (std::vector<bool>{true}));
  EXPECT_EQ(record("new").decision, "create");
  EXPECT_EQ(record("other").decision, "skip");

  // A claim outside the batch is refused, and nothing of that batch is stored.
  auto bad = store_->insert_and_decide(std::vector{make_trigger("late", 1, "C\\v")},
                                       std::vector{create_decision("C\\v")},
                                       std::vector<IdempotencyClaim>{{"s", "k", "f", 0, 2}}, at(4));
  ASSERT_FALSE(bad);
  auto late = store_->get_trigger("late");
  ASSERT_TRUE(late);
  EXPECT_FALSE(*late);
  auto k = store_->find_idempotency("s", "k");
  ASSERT_TRUE(k);
  EXPECT_FALSE(k->has_value());
  EXPECT_EQ(jobs_in("pending"), 1);
}

TEST_F(IntakeDecideTest, DecisionsOfAnotherNumberThanTriggersAreRefusedAndNothingIsStored) {
  const std::vector<Trigger> triggers{make_trigger("a", 16777220, "C\\a"),
                                      make_trigger("b", 16777221, "C\\b")};
  const std::vector<IdempotencyClaim> claims{{"scope", "key", "fp", 0, 2}};
  for (const std::size_t n : {std::size_t{1}, std::size_t{3}}) {
    SCOPED_TRACE(fmt::format("{} decision(s)", n));
    const std::vector<Decision> decisions(n, create_decision("C\\a"));
    auto r = store_->insert_and_decide(triggers, decisions, claims, t0());
    ASSERT_FALSE(r);
    EXPECT_THAT(r.error().message, HasSubstr("differ in number"));
    for (const char* id : {"a", "b"}) {
      auto t = store_->get_trigger(id);
      ASSERT_TRUE(t);
      EXPECT_FALSE(*t) << id;
    }
    auto claim = store_->find_idempotency("scope", "key");
    ASSERT_TRUE(claim);
    EXPECT_FALSE(claim->has_value());
    EXPECT_EQ(jobs_in("pending"), 0);
    EXPECT_EQ(received(), 0);
  }
}

TEST_F(IntakeDecideTest, NoDecisionsStoresTriggersReceivedExactlyLikeInsertTriggers) {
  // The same history in two stores: one through insert_triggers, one through
  // insert_and_decide with no decisions.
  test::TempDir other_dir;
  auto reference = test::open_store(other_dir.path() / "uda.db");
  ASSERT_TRUE(reference);
  Trigger attrs = make_trigger("b", std::nullopt, "jdoe@contoso.com", at(2), "WKS-1");
  attrs.attributes = {{"usage.minutes", 3120.0}};
  const std::vector<Trigger> first{make_trigger("old", 1, "C\\first", at(1))};
  const std::vector<Trigger> second{make_trigger("a", 16777220, "C\\a", at(2)), attrs,
                                    make_trigger("old", 2, "C\\second", at(2)),
                                    make_trigger("a", 16777221, "C\\again", at(2))};
  const std::vector<IdempotencyClaim> claims{{"scope", "key", "fp", 0, 4}};

  ASSERT_TRUE(reference->insert_triggers(first));
  auto expected = reference->insert_triggers(second, claims, at(3));
  ASSERT_TRUE(expected) << expected.error().message;
  store(first, {});
  const auto out = store(second, {}, at(3), claims);

  EXPECT_EQ(out.inserted, *expected);
  EXPECT_EQ(out.inserted, (std::vector<bool>{true, true, false, false}));
  EXPECT_TRUE(out.decided.empty());
  for (const char* id : {"old", "a", "b"}) {
    SCOPED_TRACE(id);
    auto want = reference->get_trigger(id);
    ASSERT_TRUE(want && *want);
    const auto got = record(id);
    EXPECT_EQ(got.state, "received");
    EXPECT_EQ(got.state, (*want)->state);
    EXPECT_EQ(got.decision, (*want)->decision);
    EXPECT_EQ(got.decided_at, (*want)->decided_at);
    EXPECT_EQ(got.rule, (*want)->rule);
    EXPECT_EQ(got.reason, (*want)->reason);
    EXPECT_EQ(got.trace_json, (*want)->trace_json);
    EXPECT_EQ(got.job_id, (*want)->job_id);
    EXPECT_EQ(got.trigger.user, (*want)->trigger.user);
    EXPECT_EQ(got.trigger.kind, (*want)->trigger.kind);
    EXPECT_EQ(got.trigger.machine.resource_id, (*want)->trigger.machine.resource_id);
    EXPECT_EQ(got.trigger.machine.name, (*want)->trigger.machine.name);
    EXPECT_EQ(got.trigger.origin, (*want)->trigger.origin);
    EXPECT_EQ(got.trigger.received_at, (*want)->trigger.received_at);
    EXPECT_EQ(got.trigger.attributes, (*want)->trigger.attributes);
  }
  EXPECT_EQ(record("old").trigger.user, "C\\first");
  EXPECT_EQ(record("a").trigger.user, "C\\a");
  EXPECT_EQ(received(), 3);
  EXPECT_EQ(jobs_in("pending"), 0);
  auto want_claim = reference->find_idempotency("scope", "key");
  auto got_claim = store_->find_idempotency("scope", "key");
  ASSERT_TRUE(want_claim && *want_claim);
  ASSERT_TRUE(got_claim && *got_claim);
  EXPECT_EQ((*got_claim)->trigger_ids, (*want_claim)->trigger_ids);
  EXPECT_EQ((*got_claim)->inserted, (*want_claim)->inserted);
  EXPECT_EQ((*got_claim)->created_at, (*want_claim)->created_at);

  // And the Decider's path still decides such rows afterwards.
  std::vector<std::pair<std::string, Decision>> later{{"a", skip_decision()}};
  auto decided = store_->record_decisions(later, at(4));
  ASSERT_TRUE(decided) << decided.error().message;
  ASSERT_EQ(decided->size(), 1U);
  EXPECT_EQ(record("a").state, "skipped");

  // An empty batch is nothing at all.
  const auto none = store({}, {});
  EXPECT_TRUE(none.inserted.empty());
  EXPECT_TRUE(none.decided.empty());
}

TEST_F(IntakeDecideTest, CreateForATriggerThatNamesNoMachineIsStoredSkipped) {
  Trigger nomachine = make_trigger("nomachine", std::nullopt, "CONTOSO\\jdoe");
  ASSERT_TRUE(nomachine.machine.empty());
  const auto out = store({nomachine, make_trigger("fine", 16777220, "CONTOSO\\jdoe")},
                         {create_decision("CONTOSO\\jdoe"), create_decision("CONTOSO\\jdoe")});
  EXPECT_EQ(out.inserted, (std::vector<bool>{true, true}));
  ASSERT_EQ(out.decided.size(), 2U);
  EXPECT_EQ(out.decided[0].decision, "skip");
  EXPECT_FALSE(out.decided[0].job_id);
  EXPECT_EQ(out.decided[1].decision, "create");

  const auto r = record("nomachine");
  EXPECT_EQ(r.state, "skipped");
  EXPECT_EQ(r.decision, "skip");
  EXPECT_EQ(r.rule, "osd-primary");
  EXPECT_EQ(r.reason,
            "the task sequence named a primary user (not queued: the trigger names no machine)");
  EXPECT_THAT(r.reason, HasSubstr("(not queued"));
  EXPECT_FALSE(r.job_id);
  EXPECT_EQ(record("fine").state, "decided");
  EXPECT_EQ(jobs_in("pending"), 1);
}

}  // namespace
}  // namespace uda
