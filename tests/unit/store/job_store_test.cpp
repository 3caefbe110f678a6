// JobStore: intake, decisions, dispatch (claims, leases, attempts) and the
// admin operations, all with injected times.

#include "store/job_store.hpp"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <limits>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "core/job.hpp"
#include "test_support.hpp"

namespace uda {
namespace {

using test::at;
using test::create_decision;
using test::make_trigger;
using test::skip_decision;
using test::t0;
using ::testing::HasSubstr;

constexpr Millis kLease{60'000};
using Decisions = std::vector<std::pair<std::string, Decision>>;

class JobStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StoreOptions so;
    so.path = dir_.path() / "uda.db";
    so.duplicate_window = Millis(3'600'000);
    auto s = JobStore::open(so);
    ASSERT_TRUE(s) << s.error().message;
    store_ = std::move(*s);
  }

  void insert(const Trigger& t) {
    auto r = store_->insert_triggers(std::vector{t});
    ASSERT_TRUE(r) << r.error().message;
  }

  DecisionOutcome decide(const std::string& trigger_id, const Decision& d, TimePoint now) {
    Decisions ds{{trigger_id, d}};
    auto out = store_->record_decisions(ds, now);
    EXPECT_TRUE(out) << out.error().message;
    if (!out || out->size() != 1) {
      ADD_FAILURE() << "expected one outcome";
      return {};
    }
    return (*out)[0];
  }

  // A trigger + Create decision; returns the job id (or the duplicate's).
  std::int64_t add_job(const std::string& trigger_id, std::uint32_t machine,
                       const std::string& user = "CONTOSO\\jdoe", TimePoint now = t0()) {
    insert(make_trigger(trigger_id, machine, user, now));
    return decide(trigger_id, create_decision(user), now).job_id.value_or(0);
  }

  Job job(std::int64_t id) {
    auto j = store_->get_job(id);
    EXPECT_TRUE(j && *j) << "job " << id;
    return j && *j ? **j : Job{};
  }

  std::vector<Attempt> attempts(std::int64_t id) {
    auto a = store_->attempts(id);
    EXPECT_TRUE(a) << a.error().message;
    return a ? *a : std::vector<Attempt>{};
  }

  std::vector<Job> claim(TimePoint now, std::size_t limit = 100,
                         const std::string& owner = "agent-1") {
    auto jobs = store_->claim_due(limit, now, kLease, owner);
    EXPECT_TRUE(jobs) << jobs.error().message;
    return jobs ? *jobs : std::vector<Job>{};
  }

  test::TempDir dir_;
  std::unique_ptr<JobStore> store_;
};

// --- intake -----------------------------------------------------------------------

TEST_F(JobStoreTest, InsertTriggersKeepsTheFirstOfDuplicateIds) {
  insert(make_trigger("a", 16777220, "CONTOSO\\first"));
  auto r = store_->insert_triggers(std::vector{make_trigger("a", 16777221, "CONTOSO\\second"),
                                               make_trigger("b", 16777222, "CONTOSO\\b"),
                                               make_trigger("b", 16777223, "CONTOSO\\b2")});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(*r, (std::vector<bool>{false, true, false}));
  auto a = store_->get_trigger("a");
  ASSERT_TRUE(a && *a);
  EXPECT_EQ((*a)->trigger.user, "CONTOSO\\first");
  EXPECT_EQ((*a)->trigger.machine.resource_id, 16777220U);
  auto b = store_->get_trigger("b");
  ASSERT_TRUE(b && *b);
  EXPECT_EQ((*b)->trigger.machine.resource_id, 16777222U);
  EXPECT_EQ((*b)->state, "received");
  EXPECT_EQ((*b)->decision, "");
  EXPECT_FALSE((*b)->job_id);
  EXPECT_TRUE(store_->insert_triggers({}));
}

TEST_F(JobStoreTest, TriggersRoundTripWithAttributes) {
  Trigger t = make_trigger("t1", std::nullopt, "jdoe@contoso.com", at(5), "WKS-001");
  t.kind = TriggerKind::Usage;
  t.origin = "http:ops";
  t.attributes = {{"usage.minutes", 3120.0}, {"ts.name", std::string("Win11")}, {"flag", true}};
  insert(t);
  auto r = store_->get_trigger("t1");
  ASSERT_TRUE(r && *r);
  const Trigger& got = (*r)->trigger;
  EXPECT_EQ(got.kind, TriggerKind::Usage);
  EXPECT_EQ(got.machine.resource_id, std::nullopt);
  EXPECT_EQ(got.machine.name, "WKS-001");
  EXPECT_EQ(got.user, "jdoe@contoso.com");
  EXPECT_EQ(got.origin, "http:ops");
  EXPECT_EQ(got.received_at, at(5));
  EXPECT_EQ(got.attributes, t.attributes);
  auto missing = store_->get_trigger("nope");
  ASSERT_TRUE(missing);
  EXPECT_FALSE(*missing);
}

TEST_F(JobStoreTest, SqlInjectionLikeTextRoundTripsUnchanged) {
  const std::string evil = "x'); DROP TABLE jobs;--";
  const std::string evil_id = "id'; DELETE FROM triggers; --";
  Trigger t = make_trigger(evil_id, std::nullopt, evil, t0(), "WKS\"; DROP TABLE attempts;--");
  t.origin = "\" OR 1=1 --";
  t.attributes = {{"k'); --", std::string("v\" OR \"1\"=\"1")}};
  insert(t);
  Decision d = create_decision();  // no normalised user: the trigger's is used
  d.rule = "r'); DROP TABLE triggers;--";
  d.reason = "%s %n '; --";
  const auto o = decide(evil_id, d, t0());
  ASSERT_EQ(o.decision, "create");
  const Job j = job(*o.job_id);
  EXPECT_EQ(j.user, evil);
  EXPECT_EQ(j.rule, d.rule);
  EXPECT_EQ(j.machine_name, "WKS\"; DROP TABLE attempts;--");
  auto r = store_->get_trigger(evil_id);
  ASSERT_TRUE(r && *r);
  EXPECT_EQ((*r)->trigger.user, evil);
  EXPECT_EQ((*r)->trigger.origin, t.origin);
  EXPECT_EQ((*r)->trigger.attributes, t.attributes);
  EXPECT_EQ((*r)->reason, d.reason);
  auto jobs = claim(t0());
  ASSERT_EQ(jobs.size(), 1U);
  ASSERT_TRUE(store_->dead_letter(j.id, "agent-1", at(1), evil));
  EXPECT_EQ(job(j.id).last_error, evil);
  EXPECT_EQ(attempts(j.id).at(0).detail, evil);
  auto counts = store_->counts();  // every table is still there
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->jobs_by_state["dead"], 1);
}

TEST_F(JobStoreTest, ReceivedTriggersAreOldestFirstAndBounded) {
  insert(make_trigger("late", 1, "C\\u", at(30)));
  insert(make_trigger("early", 2, "C\\u", at(10)));
  insert(make_trigger("middle", 3, "C\\u", at(20)));
  auto all = store_->received_triggers(10);
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 3U);
  EXPECT_EQ((*all)[0].id, "early");
  EXPECT_EQ((*all)[1].id, "middle");
  EXPECT_EQ((*all)[2].id, "late");
  auto two = store_->received_triggers(2);
  ASSERT_TRUE(two);
  EXPECT_EQ(two->size(), 2U);
  decide("early", skip_decision(), at(40));
  auto rest = store_->received_triggers(10);
  ASSERT_TRUE(rest);
  ASSERT_EQ(rest->size(), 2U);
  EXPECT_EQ((*rest)[0].id, "middle");
  auto none = store_->received_triggers(0);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
}

// --- decisions ----------------------------------------------------------------------

TEST_F(JobStoreTest, SkipMarksTheTriggerSkippedWithItsAudit) {
  insert(make_trigger("s", 16777220, "CONTOSO\\svc-backup"));
  const auto o = decide("s", skip_decision(), at(7));
  EXPECT_EQ(o.trigger_id, "s");
  EXPECT_EQ(o.decision, "skip");
  EXPECT_FALSE(o.job_id);
  auto r = store_->get_trigger("s");
  ASSERT_TRUE(r && *r);
  EXPECT_EQ((*r)->state, "skipped");
  EXPECT_EQ((*r)->decision, "skip");
  EXPECT_EQ((*r)->decided_at, at(7));
  EXPECT_EQ((*r)->rule, "ignore-service-accounts");
  EXPECT_EQ((*r)->reason, "service accounts never become primary users");
  const auto trace = nlohmann::json::parse((*r)->trace_json);
  ASSERT_TRUE(trace.is_array());
  ASSERT_EQ(trace.size(), 1U);
  EXPECT_EQ(trace[0]["rule"], "ignore-service-accounts");
  EXPECT_FALSE((*r)->job_id);
  EXPECT_FALSE((*r)->job_state);
  auto counts = store_->counts();
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->jobs_by_state["pending"], 0);
}

TEST_F(JobStoreTest, CreateMakesAPendingJobDueNow) {
  insert(make_trigger("c", 16777220, "jdoe@contoso.com", at(0)));
  const auto o = decide("c", create_decision("CONTOSO\\JDoe", SourceId::Osd), at(9));
  EXPECT_EQ(o.decision, "create");
  ASSERT_TRUE(o.job_id);
  const Job j = job(*o.job_id);
  EXPECT_EQ(j.trigger_id, "c");
  EXPECT_EQ(j.machine_resource_id, 16777220U);
  EXPECT_EQ(j.user, "CONTOSO\\JDoe");  // the normalised user, not the UPN
  EXPECT_EQ(j.source, SourceId::Osd);
  EXPECT_EQ(j.type, TypeId::Primary);
  EXPECT_EQ(j.rule, "osd-primary");
  EXPECT_EQ(j.idempotency_key, idempotency_key(16777220U, std::nullopt, "CONTOSO\\JDoe",
                                               SourceId::Osd, TypeId::Primary));
  EXPECT_EQ(j.state, JobState::Pending);
  EXPECT_EQ(j.attempts, 0);
  EXPECT_EQ(j.next_attempt_at, at(9));
  EXPECT_EQ(j.created_at, at(9));
  EXPECT_FALSE(j.lease_owner);
  EXPECT_FALSE(j.verify_first);
  EXPECT_FALSE(j.finished_at);
  auto r = store_->get_trigger("c");
  ASSERT_TRUE(r && *r);
  EXPECT_EQ((*r)->state, "decided");
  EXPECT_EQ((*r)->decision, "create");
  EXPECT_EQ((*r)->job_id, o.job_id);
  EXPECT_EQ((*r)->job_state, JobState::Pending);
  auto next = store_->next_due();
  ASSERT_TRUE(next);
  EXPECT_EQ(*next, at(9));
}

TEST_F(JobStoreTest, CreateUsesTheTriggerUserWhenTheDecisionHasNone) {
  insert(make_trigger("c", std::nullopt, "CONTOSO\\Raw", t0(), "WKS-9"));
  const auto o = decide("c", create_decision(), t0());
  ASSERT_TRUE(o.job_id);
  const Job j = job(*o.job_id);
  EXPECT_EQ(j.user, "CONTOSO\\Raw");
  EXPECT_EQ(j.machine_resource_id, std::nullopt);
  EXPECT_EQ(j.machine_name, "WKS-9");
  EXPECT_EQ(j.idempotency_key, "name:wks-9|contoso\\raw|6|1");
}

TEST_F(JobStoreTest, CreateWhileASameKeyJobIsPendingOrLeasedIsADuplicate) {
  const auto id = add_job("t1", 16777220);
  // Same machine, user (case differs), source and type: duplicate of the pending job.
  insert(make_trigger("t2", 16777220, "contoso\\JDOE"));
  auto o = decide("t2", create_decision("contoso\\JDOE"), at(1));
  EXPECT_EQ(o.decision, "duplicate");
  EXPECT_EQ(o.job_id, id);
  auto r = store_->get_trigger("t2");
  ASSERT_TRUE(r && *r);
  EXPECT_EQ((*r)->state, "decided");
  EXPECT_EQ((*r)->decision, "duplicate");
  EXPECT_EQ((*r)->job_id, id);

  ASSERT_EQ(claim(at(2)).size(), 1U);
  insert(make_trigger("t3", 16777220, "CONTOSO\\jdoe"));
  o = decide("t3", create_decision("CONTOSO\\jdoe"), at(3));
  EXPECT_EQ(o.decision, "duplicate");
  EXPECT_EQ(o.job_id, id);

  // Another source is another effect: a new job.
  insert(make_trigger("t4", 16777220, "CONTOSO\\jdoe"));
  o = decide("t4", create_decision("CONTOSO\\jdoe", SourceId::Administrator), at(4));
  EXPECT_EQ(o.decision, "create");
  EXPECT_NE(o.job_id, id);

  auto linked = store_->triggers_for_job(id);
  ASSERT_TRUE(linked);
  ASSERT_EQ(linked->size(), 3U);
  EXPECT_EQ((*linked)[0].trigger.id, "t1");
  EXPECT_EQ((*linked)[0].decision, "create");
  EXPECT_EQ((*linked)[2].trigger.id, "t3");
}

TEST_F(JobStoreTest, DoneJobWithinTheDuplicateWindowMakesADuplicate) {
  const auto id = add_job("t1", 16777220);
  ASSERT_EQ(claim(at(0)).size(), 1U);
  ASSERT_TRUE(store_->complete(id, "agent-1", at(1'000), "created"));
  // Window is one hour: 59 minutes later is a duplicate...
  insert(make_trigger("t2", 16777220, "CONTOSO\\jdoe"));
  auto o = decide("t2", create_decision("CONTOSO\\jdoe"), at(1'000 + 59 * 60'000));
  EXPECT_EQ(o.decision, "duplicate");
  EXPECT_EQ(o.job_id, id);
  auto r = store_->get_trigger("t2");
  ASSERT_TRUE(r && *r);
  EXPECT_EQ((*r)->job_state, JobState::Done);
  // ...61 minutes later is a new job.
  insert(make_trigger("t3", 16777220, "CONTOSO\\jdoe"));
  o = decide("t3", create_decision("CONTOSO\\jdoe"), at(1'000 + 61 * 60'000));
  EXPECT_EQ(o.decision, "create");
  ASSERT_TRUE(o.job_id);
  EXPECT_NE(*o.job_id, id);
}

TEST_F(JobStoreTest, DeadOrCancelledJobsDoNotMakeDuplicates) {
  const auto dead = add_job("t1", 16777220);
  ASSERT_EQ(claim(at(0)).size(), 1U);
  ASSERT_TRUE(store_->dead_letter(dead, "agent-1", at(1), "access denied"));
  const auto again = add_job("t2", 16777220, "CONTOSO\\jdoe", at(2));
  EXPECT_NE(again, dead);
  ASSERT_TRUE(store_->cancel(again, at(3)));
  const auto third = add_job("t3", 16777220, "CONTOSO\\jdoe", at(4));
  EXPECT_NE(third, again);
  EXPECT_EQ(job(third).state, JobState::Pending);
}

TEST_F(JobStoreTest, SameKeyTwiceInOneBatchCreatesOnceThenDuplicates) {
  insert(make_trigger("a", 16777220, "CONTOSO\\jdoe"));
  insert(make_trigger("b", 16777220, "CONTOSO\\jdoe"));
  insert(make_trigger("c", 16777221, "CONTOSO\\jdoe"));
  insert(make_trigger("d", 16777222, "CONTOSO\\svc"));
  Decisions ds{{"a", create_decision("CONTOSO\\jdoe")},
               {"b", create_decision("CONTOSO\\jdoe")},
               {"c", create_decision("CONTOSO\\jdoe")},
               {"d", skip_decision()}};
  auto out = store_->record_decisions(ds, t0());
  ASSERT_TRUE(out) << out.error().message;
  ASSERT_EQ(out->size(), 4U);
  EXPECT_EQ((*out)[0].decision, "create");
  EXPECT_EQ((*out)[1].decision, "duplicate");
  EXPECT_EQ((*out)[1].job_id, (*out)[0].job_id);
  EXPECT_EQ((*out)[2].decision, "create");
  EXPECT_EQ((*out)[3].decision, "skip");
  auto counts = store_->counts();
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->jobs_by_state["pending"], 2);
  EXPECT_EQ(counts->triggers_received, 0);
}

TEST_F(JobStoreTest, TriggersNoLongerReceivedAreLeftAlone) {
  insert(make_trigger("a", 16777220, "CONTOSO\\jdoe"));
  decide("a", skip_decision(), t0());
  Decisions ds{{"a", create_decision("CONTOSO\\jdoe")},      // already decided
               {"ghost", create_decision("CONTOSO\\jdoe")},  // never received
               {"a", skip_decision()}};
  auto out = store_->record_decisions(ds, at(1));
  ASSERT_TRUE(out);
  EXPECT_TRUE(out->empty());
  auto r = store_->get_trigger("a");
  ASSERT_TRUE(r && *r);
  EXPECT_EQ((*r)->state, "skipped");
  EXPECT_EQ((*r)->decided_at, t0());
  auto counts = store_->counts();
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->jobs_by_state["pending"], 0);
}

TEST_F(JobStoreTest, CreateForATriggerWithoutMachineIsSkippedNotWedged) {
  insert(make_trigger("nomachine", std::nullopt, "CONTOSO\\jdoe"));
  insert(make_trigger("fine", 16777220, "CONTOSO\\jdoe"));
  Decisions ds{{"nomachine", create_decision("CONTOSO\\jdoe")},
               {"fine", create_decision("CONTOSO\\jdoe")}};
  auto out = store_->record_decisions(ds, t0());
  ASSERT_TRUE(out) << out.error().message;
  ASSERT_EQ(out->size(), 2U);
  EXPECT_EQ((*out)[0].decision, "skip");
  EXPECT_EQ((*out)[1].decision, "create");
  auto r = store_->get_trigger("nomachine");
  ASSERT_TRUE(r && *r);
  EXPECT_EQ((*r)->state, "skipped");
  EXPECT_THAT((*r)->reason, HasSubstr("names no machine"));
}

// --- dispatch ---------------------------------------------------------------------

TEST_F(JobStoreTest, ClaimTakesDueJobsOldestFirstUpToTheLimit) {
  const auto late = add_job("late", 1, "C\\a", at(30));
  const auto early = add_job("early", 2, "C\\b", at(10));
  const auto middle = add_job("middle", 3, "C\\c", at(20));
  const auto same_time = add_job("same", 4, "C\\d", at(10));

  auto jobs = claim(at(25), 100, "agent-1");
  ASSERT_EQ(jobs.size(), 3U);
  EXPECT_EQ(jobs[0].id, early);
  EXPECT_EQ(jobs[1].id, same_time);  // ties by id
  EXPECT_EQ(jobs[2].id, middle);
  for (const Job& j : jobs) {
    EXPECT_EQ(j.state, JobState::Leased);
    EXPECT_EQ(j.attempts, 1);
    EXPECT_EQ(j.lease_owner, "agent-1");
    EXPECT_EQ(j.lease_expires_at, at(25) + kLease);
    EXPECT_EQ(j.updated_at, at(25));
  }
  EXPECT_TRUE(claim(at(25)).empty()) << "leased jobs are not claimed twice";
  EXPECT_EQ(job(late).state, JobState::Pending);

  auto one = claim(at(100), 1, "agent-2");
  ASSERT_EQ(one.size(), 1U);
  EXPECT_EQ(one[0].id, late);
  EXPECT_EQ(one[0].lease_owner, "agent-2");
  EXPECT_TRUE(claim(at(100), 0).empty());
  auto next = store_->next_due();
  ASSERT_TRUE(next);
  EXPECT_FALSE(*next);
}

TEST_F(JobStoreTest, AttemptsCountAndHistoryAcrossRetries) {
  const auto id = add_job("t", 16777220);
  ASSERT_EQ(claim(at(100)).size(), 1U);
  ASSERT_TRUE(store_->retry_later(id, "agent-1", at(150), at(1'000), "RPC server unavailable",
                                  /*verify_first=*/false));
  Job j = job(id);
  EXPECT_EQ(j.state, JobState::Pending);
  EXPECT_EQ(j.attempts, 1);
  EXPECT_EQ(j.next_attempt_at, at(1'000));
  EXPECT_EQ(j.last_error, "RPC server unavailable");
  EXPECT_FALSE(j.verify_first);
  EXPECT_FALSE(j.lease_owner);
  EXPECT_FALSE(j.lease_expires_at);
  auto next = store_->next_due();
  ASSERT_TRUE(next && *next);
  EXPECT_EQ(**next, at(1'000));

  EXPECT_TRUE(claim(at(999)).empty()) << "not due yet";
  ASSERT_EQ(claim(at(1'000)).size(), 1U);
  ASSERT_TRUE(store_->retry_later(id, "agent-1", at(1'200), at(2'000), "call failed (ambiguous)",
                                  /*verify_first=*/true));
  EXPECT_TRUE(job(id).verify_first);
  auto jobs = claim(at(2'000));
  ASSERT_EQ(jobs.size(), 1U);
  EXPECT_EQ(jobs[0].attempts, 3);
  EXPECT_TRUE(jobs[0].verify_first);
  ASSERT_TRUE(store_->complete(id, "agent-1", at(2'500), "already present (sources: OSD)"));

  j = job(id);
  EXPECT_EQ(j.state, JobState::Done);
  EXPECT_EQ(j.attempts, 3);
  EXPECT_EQ(j.outcome, "already present (sources: OSD)");
  EXPECT_EQ(j.finished_at, at(2'500));
  EXPECT_FALSE(j.lease_owner);

  const auto history = attempts(id);
  ASSERT_EQ(history.size(), 3U);
  EXPECT_EQ(history[0].attempt, 1);
  EXPECT_EQ(history[0].started_at, at(100));
  EXPECT_EQ(history[0].finished_at, at(150));
  EXPECT_EQ(history[0].outcome, "retry");
  EXPECT_EQ(history[0].detail, "RPC server unavailable");
  EXPECT_EQ(history[1].attempt, 2);
  EXPECT_EQ(history[1].started_at, at(1'000));
  EXPECT_EQ(history[2].attempt, 3);
  EXPECT_EQ(history[2].started_at, at(2'000));
  EXPECT_EQ(history[2].finished_at, at(2'500));
  EXPECT_EQ(history[2].outcome, "ok");
  EXPECT_EQ(history[2].job_id, id);
}

TEST_F(JobStoreTest, DeadLetterRecordsTheError) {
  const auto id = add_job("t", 16777220);
  ASSERT_EQ(claim(at(10)).size(), 1U);
  ASSERT_TRUE(store_->dead_letter(id, "agent-1", at(20), "access denied (0x80041003)"));
  const Job j = job(id);
  EXPECT_EQ(j.state, JobState::Dead);
  EXPECT_EQ(j.last_error, "access denied (0x80041003)");
  EXPECT_THAT(j.outcome, HasSubstr("dead: access denied"));
  EXPECT_EQ(j.finished_at, at(20));
  const auto history = attempts(id);
  ASSERT_EQ(history.size(), 1U);
  EXPECT_EQ(history[0].outcome, "fail");
  EXPECT_EQ(history[0].started_at, at(10));
}

TEST_F(JobStoreTest, ReleaseGivesTheAttemptBack) {
  const auto id = add_job("t", 16777220);
  ASSERT_EQ(claim(at(10)).size(), 1U);
  ASSERT_TRUE(store_->release(id, "agent-1", at(40)));
  const Job j = job(id);
  EXPECT_EQ(j.state, JobState::Pending);
  EXPECT_EQ(j.attempts, 0);
  EXPECT_TRUE(j.verify_first);
  EXPECT_EQ(j.next_attempt_at, at(40));
  EXPECT_FALSE(j.lease_owner);
  const auto history = attempts(id);
  ASSERT_EQ(history.size(), 1U);
  EXPECT_EQ(history[0].attempt, 1);
  EXPECT_EQ(history[0].outcome, "released");
  EXPECT_EQ(history[0].started_at, at(10));
  EXPECT_EQ(history[0].finished_at, at(40));
  auto again = claim(at(40));
  ASSERT_EQ(again.size(), 1U);
  EXPECT_EQ(again[0].attempts, 1);
}

// The dispatcher writes the outcomes of all the calls that finished at about
// the same time in one transaction: each as its single call would, and one
// refused entry (not ours) changes nothing and stops no other.
TEST_F(JobStoreTest, EndAttemptsWritesABatchInOneGoEachAsItsSingleCall) {
  const auto a = add_job("a", 16777220);
  const auto b = add_job("b", 16777221);
  const auto c = add_job("c", 16777222);
  const auto d = add_job("d", 16777223);
  const auto e = add_job("e", 16777224);
  ASSERT_EQ(claim(at(10)).size(), 5U);
  ASSERT_TRUE(store_->release(e, "agent-1", at(15)));  // e is no longer leased by us
  auto end = [](std::int64_t id, AttemptEnd::Kind k, std::string detail) {
    AttemptEnd x;
    x.job_id = id;
    x.kind = k;
    x.at = at(20);
    x.detail = std::move(detail);
    return x;
  };
  std::vector<AttemptEnd> ends{
      end(a, AttemptEnd::Kind::Done, "created"), end(b, AttemptEnd::Kind::Retry, "busy"),
      end(c, AttemptEnd::Kind::Dead, "access denied"), end(d, AttemptEnd::Kind::Release, ""),
      end(e, AttemptEnd::Kind::Done, "created")};
  ends[1].next_attempt_at = at(500);
  ends[1].verify_first = true;
  auto written = store_->end_attempts("agent-1", ends);
  ASSERT_TRUE(written) << written.error().message;
  ASSERT_EQ(written->size(), 5U);
  for (int i = 0; i < 4; ++i) EXPECT_TRUE((*written)[i]) << i;
  ASSERT_FALSE((*written)[4]);
  EXPECT_THAT((*written)[4].error().message, HasSubstr("not leased by agent-1"));

  EXPECT_EQ(job(a).state, JobState::Done);
  EXPECT_EQ(job(a).finished_at, at(20));
  EXPECT_EQ(job(b).state, JobState::Pending);
  EXPECT_EQ(job(b).next_attempt_at, at(500));
  EXPECT_TRUE(job(b).verify_first);
  EXPECT_EQ(job(c).state, JobState::Dead);
  EXPECT_EQ(job(c).last_error, "access denied");
  EXPECT_EQ(job(d).state, JobState::Pending);
  EXPECT_EQ(job(d).attempts, 0) << "a release gives the attempt back";
  EXPECT_EQ(job(e).state, JobState::Pending) << "the refused entry changed nothing";
  EXPECT_EQ(attempts(a).at(0).outcome, "ok");
  EXPECT_EQ(attempts(b).at(0).outcome, "retry");
  EXPECT_EQ(attempts(c).at(0).outcome, "fail");
  EXPECT_EQ(attempts(d).at(0).outcome, "released");
  EXPECT_EQ(attempts(e).size(), 1U) << "only its own release";
  EXPECT_TRUE(store_->end_attempts("agent-1", {})->empty());
}

// The dispatcher's loop records what finished and takes the next jobs in
// one transaction.
TEST_F(JobStoreTest, EndAttemptsAndClaimRecordsThenClaimsInOneGo) {
  const auto a = add_job("a", 16777220);
  const auto b = add_job("b", 16777221);
  const auto c = add_job("c", 16777222);
  ASSERT_EQ(claim(at(10), 1).size(), 1U);  // a
  AttemptEnd done;
  done.job_id = a;
  done.at = at(20);
  done.detail = "created";
  auto r = store_->end_attempts_and_claim("agent-1", std::vector{done}, 1, at(30), kLease);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->ended.size(), 1U);
  EXPECT_TRUE(r->ended[0]);
  ASSERT_EQ(r->claimed.size(), 1U);
  EXPECT_EQ(r->claimed[0].id, b) << "oldest due first";
  EXPECT_EQ(job(a).state, JobState::Done);
  EXPECT_EQ(job(b).state, JobState::Leased);
  EXPECT_EQ(job(c).state, JobState::Pending);
  // Nothing to claim (limit 0): only the outcome is written.
  AttemptEnd retry;
  retry.job_id = b;
  retry.kind = AttemptEnd::Kind::Retry;
  retry.at = at(40);
  retry.detail = "busy";
  retry.next_attempt_at = at(100);
  auto r2 = store_->end_attempts_and_claim("agent-1", std::vector{retry}, 0, at(40), kLease);
  ASSERT_TRUE(r2);
  EXPECT_TRUE(r2->claimed.empty());
  EXPECT_EQ(job(b).state, JobState::Pending);
  EXPECT_EQ(job(c).state, JobState::Pending);
}

TEST_F(JobStoreTest, LeasedOperationsCheckTheOwner) {
  const auto id = add_job("t", 16777220);
  // Not leased at all.
  auto st = store_->complete(id, "agent-1", at(1), "created");
  ASSERT_FALSE(st);
  EXPECT_THAT(st.error().message, HasSubstr(fmt::format("job {} is not leased by agent-1", id)));

  ASSERT_EQ(claim(at(10), 10, "agent-1").size(), 1U);
  const Job before = job(id);
  const std::string not_ours = fmt::format("job {} is not leased by agent-2", id);
  for (const Status& s :
       {store_->complete(id, "agent-2", at(20), "created"),
        store_->retry_later(id, "agent-2", at(20), at(30), "x", true),
        store_->dead_letter(id, "agent-2", at(20), "x"), store_->release(id, "agent-2", at(20)),
        store_->set_resource_id(id, "agent-2", 42)}) {
    ASSERT_FALSE(s);
    EXPECT_THAT(s.error().message, HasSubstr(not_ours));
    EXPECT_THAT(s.error().message, HasSubstr("leased by agent-1"));
  }
  const Job after = job(id);
  EXPECT_EQ(after.state, JobState::Leased);
  EXPECT_EQ(after.lease_owner, "agent-1");
  EXPECT_EQ(after.attempts, before.attempts);
  EXPECT_EQ(after.machine_resource_id, before.machine_resource_id);
  EXPECT_EQ(after.updated_at, before.updated_at);
  EXPECT_TRUE(attempts(id).empty());

  auto missing = store_->complete(9999, "agent-1", at(20), "created");
  ASSERT_FALSE(missing);
  EXPECT_THAT(missing.error().message, HasSubstr("job 9999 is not leased by agent-1"));

  // Once finished it is nobody's any more.
  ASSERT_TRUE(store_->complete(id, "agent-1", at(20), "created"));
  auto twice = store_->complete(id, "agent-1", at(21), "created");
  ASSERT_FALSE(twice);
  EXPECT_THAT(twice.error().message, HasSubstr("it is done"));
  EXPECT_EQ(attempts(id).size(), 1U);
}

TEST_F(JobStoreTest, SetResourceIdRecordsTheMachineAndItsKey) {
  insert(make_trigger("n", std::nullopt, "CONTOSO\\jdoe", t0(), "WKS-001"));
  const auto id = *decide("n", create_decision("CONTOSO\\jdoe"), t0()).job_id;
  EXPECT_EQ(job(id).idempotency_key, "name:wks-001|contoso\\jdoe|6|1");
  ASSERT_EQ(claim(at(1)).size(), 1U);
  ASSERT_TRUE(store_->set_resource_id(id, "agent-1", 16777220));
  Job j = job(id);
  EXPECT_EQ(j.machine_resource_id, 16777220U);
  EXPECT_EQ(j.machine_name, "WKS-001");
  EXPECT_EQ(j.idempotency_key, "16777220|contoso\\jdoe|6|1");
  EXPECT_EQ(j.state, JobState::Leased);
  // A later trigger naming the resource id finds the job.
  insert(make_trigger("r", 16777220, "CONTOSO\\jdoe"));
  const auto o = decide("r", create_decision("CONTOSO\\jdoe"), at(2));
  EXPECT_EQ(o.decision, "duplicate");
  EXPECT_EQ(o.job_id, id);
}

TEST_F(JobStoreTest, SetResourceIdKeepsTheNameKeyWhenAnotherActiveJobHoldsTheIdKey) {
  const auto by_id = add_job("r", 16777220);
  insert(make_trigger("n", std::nullopt, "CONTOSO\\jdoe", t0(), "WKS-001"));
  const auto by_name = *decide("n", create_decision("CONTOSO\\jdoe"), t0()).job_id;
  ASSERT_NE(by_id, by_name);
  ASSERT_EQ(claim(at(1)).size(), 2U);
  ASSERT_TRUE(store_->set_resource_id(by_name, "agent-1", 16777220));
  const Job j = job(by_name);
  EXPECT_EQ(j.machine_resource_id, 16777220U);
  EXPECT_EQ(j.idempotency_key, "name:wks-001|contoso\\jdoe|6|1");
}

TEST_F(JobStoreTest, RearmExpiredLeasesOnly) {
  const auto a = add_job("a", 1, "C\\a");
  const auto b = add_job("b", 2, "C\\b");
  ASSERT_EQ(claim(at(0), 1).size(), 1U);                                       // a: expires at 60s
  ASSERT_EQ(store_->claim_due(1, at(30'000), kLease, "agent-1")->size(), 1U);  // b: at 90s

  auto n = store_->rearm_leases(at(59'999), false);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 0);
  n = store_->rearm_leases(at(60'000), false);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 1);

  Job ja = job(a);
  EXPECT_EQ(ja.state, JobState::Pending);
  EXPECT_TRUE(ja.verify_first);
  EXPECT_EQ(ja.attempts, 1) << "an expired lease's call may have run: it counts";
  EXPECT_EQ(ja.next_attempt_at, at(60'000));
  EXPECT_FALSE(ja.lease_owner);
  EXPECT_THAT(ja.last_error, HasSubstr("expired"));
  auto history = attempts(a);
  ASSERT_EQ(history.size(), 1U);
  EXPECT_EQ(history[0].outcome, "lease-expired");
  EXPECT_EQ(history[0].attempt, 1);
  EXPECT_EQ(history[0].started_at, at(0));
  EXPECT_EQ(history[0].finished_at, at(60'000));
  EXPECT_EQ(job(b).state, JobState::Leased);

  // The late answer of the first lease is refused.
  EXPECT_FALSE(store_->complete(a, "agent-1", at(61'000), "created"));
  EXPECT_EQ(job(a).state, JobState::Pending);
}

TEST_F(JobStoreTest, RearmAllLeasesAtStartUp) {
  const auto a = add_job("a", 1, "C\\a");
  const auto b = add_job("b", 2, "C\\b");
  const auto c = add_job("c", 3, "C\\c");
  ASSERT_EQ(claim(at(0), 2).size(), 2U);
  auto n = store_->rearm_leases(at(5), true);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 2);
  for (auto id : {a, b}) {
    const Job j = job(id);
    EXPECT_EQ(j.state, JobState::Pending);
    EXPECT_TRUE(j.verify_first);
    EXPECT_EQ(j.attempts, 1);
    const auto history = attempts(id);
    ASSERT_EQ(history.size(), 1U);
    EXPECT_EQ(history[0].outcome, "lease-expired");
  }
  EXPECT_FALSE(job(c).verify_first);
  EXPECT_TRUE(attempts(c).empty());
  n = store_->rearm_leases(at(6), true);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 0);
}

// A crash in the last allowed attempt leaves attempts == max_attempts after
// the re-arm; the next claim must not count a new attempt past the maximum.
TEST_F(JobStoreTest, ClaimNeverCountsPastMaxAttempts) {
  const auto id = add_job("t", 16777220);
  for (int i = 1; i <= 2; ++i) {
    auto jobs = store_->claim_due(10, at(i * 10), kLease, "agent-1", 2);
    ASSERT_TRUE(jobs) << jobs.error().message;
    ASSERT_EQ(jobs->size(), 1U);
    EXPECT_EQ((*jobs)[0].attempts, i);
    EXPECT_FALSE((*jobs)[0].final_check);
    ASSERT_TRUE(store_->rearm_leases(at(i * 10 + 5), true));  // the agent died mid-call
  }
  EXPECT_EQ(job(id).attempts, 2);

  auto last = store_->claim_due(10, at(30), kLease, "agent-1", 2);
  ASSERT_TRUE(last) << last.error().message;
  ASSERT_EQ(last->size(), 1U);
  EXPECT_TRUE((*last)[0].final_check);
  EXPECT_EQ((*last)[0].attempts, 2);
  EXPECT_EQ(job(id).attempts, 2);
  EXPECT_EQ(job(id).state, JobState::Leased);

  // Giving a final check back leaves the count alone: the claim counted nothing.
  ASSERT_TRUE(store_->release(id, "agent-1", at(35), /*counted=*/false));
  EXPECT_EQ(job(id).attempts, 2);
  auto again = store_->claim_due(10, at(40), kLease, "agent-1", 2);
  ASSERT_TRUE(again && again->size() == 1U);
  EXPECT_TRUE((*again)[0].final_check);
  ASSERT_TRUE(store_->complete(id, "agent-1", at(45), "already present"));
  const Job j = job(id);
  EXPECT_EQ(j.state, JobState::Done);
  EXPECT_EQ(j.attempts, 2);
  const auto history = attempts(id);
  ASSERT_EQ(history.size(), 4U);
  EXPECT_EQ(history[1].attempt, 2);
  EXPECT_EQ(history[1].outcome, "lease-expired");
  EXPECT_EQ(history[2].outcome, "released");
  EXPECT_EQ(history[3].attempt, 2);
  EXPECT_EQ(history[3].outcome, "ok");

  // Without a maximum, claims count as before.
  const auto other = add_job("u", 16777221, "CONTOSO\\other", at(50));
  ASSERT_EQ(claim(at(50)).size(), 1U);
  EXPECT_EQ(job(other).attempts, 1);
}

TEST_F(JobStoreTest, ConcurrentDispatchersNeverShareAJob) {
  constexpr int kJobs = 200;
  std::vector<Trigger> ts;
  Decisions ds;
  for (int i = 0; i < kJobs; ++i) {
    ts.push_back(make_trigger("c" + std::to_string(i), 16777216U + static_cast<unsigned>(i),
                              "CONTOSO\\jdoe"));
    ds.emplace_back(ts.back().id, create_decision("CONTOSO\\jdoe"));
  }
  ASSERT_TRUE(store_->insert_triggers(ts));
  ASSERT_TRUE(store_->record_decisions(ds, t0()));

  std::mutex mu;
  std::map<std::int64_t, int> claimed;
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < 4; ++w) {
    threads.emplace_back([&, w] {
      const std::string owner = "agent-" + std::to_string(w);
      for (;;) {
        auto jobs = store_->claim_due(7, at(1), kLease, owner);
        if (!jobs) {
          ++errors;
          return;
        }
        if (jobs->empty()) return;
        for (const Job& j : *jobs) {
          {
            std::lock_guard lock(mu);
            ++claimed[j.id];
          }
          if (!store_->complete(j.id, owner, at(2), "created")) ++errors;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  ASSERT_EQ(claimed.size(), static_cast<std::size_t>(kJobs));
  for (const auto& [id, n] : claimed) EXPECT_EQ(n, 1) << "job " << id;
  auto counts = store_->counts();
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->jobs_by_state.at("done"), kJobs);
}

// --- admin ------------------------------------------------------------------------

TEST_F(JobStoreTest, RetryNowRefusalsAndSuccess) {
  const auto id = add_job("t", 16777220);
  ASSERT_EQ(claim(at(10), 10, "agent-1").size(), 1U);

  auto st = store_->retry_now(id, at(20));
  ASSERT_FALSE(st);
  EXPECT_THAT(st.error().message,
              HasSubstr(fmt::format("job {} is in flight (leased by agent-1 until", id)));
  EXPECT_THAT(st.error().message, HasSubstr("try again after the call finishes"));

  ASSERT_TRUE(store_->dead_letter(id, "agent-1", at(30), "access denied"));
  // Meanwhile a new trigger made a new active job with the same key.
  const auto other = add_job("t2", 16777220, "CONTOSO\\jdoe", at(40));
  ASSERT_NE(other, id);
  st = store_->retry_now(id, at(50));
  ASSERT_FALSE(st);
  EXPECT_THAT(st.error().message, HasSubstr(fmt::format("job {}", other)));
  EXPECT_EQ(job(id).state, JobState::Dead);

  ASSERT_TRUE(store_->cancel(other, at(60)));
  ASSERT_TRUE(store_->retry_now(id, at(70)));
  Job j = job(id);
  EXPECT_EQ(j.state, JobState::Pending);
  EXPECT_EQ(j.attempts, 0);
  EXPECT_EQ(j.next_attempt_at, at(70));
  EXPECT_TRUE(j.verify_first) << "it made a call before";
  EXPECT_FALSE(j.finished_at);

  // The cancelled one now conflicts with the retried one.
  st = store_->retry_now(other, at(80));
  ASSERT_FALSE(st);
  EXPECT_THAT(st.error().message, HasSubstr(fmt::format("job {}", id)));

  // Pending: due now, attempts reset.
  ASSERT_TRUE(store_->retry_now(id, at(90)));
  EXPECT_EQ(job(id).next_attempt_at, at(90));

  ASSERT_EQ(claim(at(90)).size(), 1U);
  ASSERT_TRUE(store_->complete(id, "agent-1", at(95), "created"));
  st = store_->retry_now(id, at(100));
  ASSERT_FALSE(st);
  EXPECT_THAT(st.error().message, HasSubstr(fmt::format("job {} is done; nothing to retry", id)));

  st = store_->retry_now(424242, at(100));
  ASSERT_FALSE(st);
  EXPECT_THAT(st.error().message, HasSubstr("no job 424242"));
}

TEST_F(JobStoreTest, CancelRefusalsAndSuccess) {
  const auto leased = add_job("l", 2, "C\\b", at(1));
  const auto done = add_job("d", 3, "C\\c", at(2));
  ASSERT_EQ(claim(at(2), 10).size(), 2U);
  ASSERT_TRUE(store_->complete(done, "agent-1", at(4), "created"));
  const auto pending = add_job("p", 1, "C\\a", at(3));

  ASSERT_TRUE(store_->cancel(pending, at(5)));
  Job j = job(pending);
  EXPECT_EQ(j.state, JobState::Cancelled);
  EXPECT_EQ(j.finished_at, at(5));
  EXPECT_TRUE(store_->cancel(pending, at(6))) << "already cancelled: nothing to do";

  auto st = store_->cancel(leased, at(6));
  ASSERT_FALSE(st);
  EXPECT_THAT(st.error().message, HasSubstr(fmt::format("job {} is in flight", leased)));
  EXPECT_EQ(job(leased).state, JobState::Leased);

  st = store_->cancel(done, at(6));
  ASSERT_FALSE(st);
  EXPECT_THAT(st.error().message, HasSubstr(fmt::format("job {} is done", done)));

  ASSERT_TRUE(store_->dead_letter(leased, "agent-1", at(7), "x"));
  ASSERT_TRUE(store_->cancel(leased, at(8)));
  EXPECT_EQ(job(leased).state, JobState::Cancelled);
  EXPECT_FALSE(store_->cancel(777, at(9)));
}

TEST_F(JobStoreTest, CountsByState) {
  auto empty = store_->counts();
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->triggers_received, 0);
  EXPECT_EQ(empty->jobs_by_state.at("pending"), 0);
  EXPECT_EQ(empty->jobs_by_state.size(), 5U);
  EXPECT_FALSE(empty->oldest_pending);

  add_job("a", 1, "C\\a", at(10));
  add_job("b", 2, "C\\b", at(20));
  const auto c = add_job("c", 3, "C\\c", at(5));
  add_job("d", 4, "C\\d", at(30));
  insert(make_trigger("waiting", 5, "C\\e"));
  ASSERT_EQ(claim(at(6), 1).size(), 1U);  // c
  ASSERT_TRUE(store_->complete(c, "agent-1", at(7), "created"));
  ASSERT_EQ(claim(at(10), 1).size(), 1U);  // a

  auto counts = store_->counts();
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->triggers_received, 1);
  EXPECT_EQ(counts->jobs_by_state.at("pending"), 2);
  EXPECT_EQ(counts->jobs_by_state.at("leased"), 1);
  EXPECT_EQ(counts->jobs_by_state.at("done"), 1);
  EXPECT_EQ(counts->jobs_by_state.at("dead"), 0);
  EXPECT_EQ(counts->oldest_pending, at(10));
}

TEST_F(JobStoreTest, ListsAreNewestFirstFilteredAndBounded) {
  const auto a = add_job("a", 1, "C\\a", at(1));
  const auto b = add_job("b", 2, "C\\b", at(2));
  const auto c = add_job("c", 3, "C\\c", at(3));
  insert(make_trigger("s", 4, "C\\s", at(4)));
  decide("s", skip_decision(), at(4));
  ASSERT_EQ(claim(at(1), 1).size(), 1U);

  auto all = store_->list_jobs(std::nullopt, 10);
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 3U);
  EXPECT_EQ((*all)[0].id, c);
  EXPECT_EQ((*all)[2].id, a);
  auto pending = store_->list_jobs(JobState::Pending, 10);
  ASSERT_TRUE(pending);
  ASSERT_EQ(pending->size(), 2U);
  EXPECT_EQ((*pending)[0].id, c);
  EXPECT_EQ((*pending)[1].id, b);
  auto one = store_->list_jobs(std::nullopt, 1);
  ASSERT_TRUE(one);
  EXPECT_EQ(one->size(), 1U);
  auto huge = store_->list_jobs(std::nullopt, std::numeric_limits<std::size_t>::max());
  ASSERT_TRUE(huge) << "limits are clamped, not passed through";
  EXPECT_EQ(huge->size(), 3U);

  auto triggers = store_->list_triggers(10);
  ASSERT_TRUE(triggers);
  ASSERT_EQ(triggers->size(), 4U);
  EXPECT_EQ((*triggers)[0].trigger.id, "s");
  EXPECT_EQ((*triggers)[0].state, "skipped");
  EXPECT_EQ((*triggers)[3].trigger.id, "a");
  EXPECT_EQ((*triggers)[3].job_state, JobState::Leased);
  auto two = store_->list_triggers(2);
  ASSERT_TRUE(two);
  EXPECT_EQ(two->size(), 2U);

  auto missing = store_->get_job(12345);
  ASSERT_TRUE(missing);
  EXPECT_FALSE(*missing);
  auto no_attempts = store_->attempts(12345);
  ASSERT_TRUE(no_attempts);
  EXPECT_TRUE(no_attempts->empty());
}

TEST_F(JobStoreTest, PurgeRemovesOnlyOldTerminalRows) {
  const auto old_done = add_job("old-done", 1, "C\\a", at(0));
  const auto old_dead = add_job("old-dead", 2, "C\\b", at(0));
  const auto new_done = add_job("new-done", 3, "C\\c", at(0));
  const auto old_pending = add_job("old-pending", 4, "C\\d", at(0));
  insert(make_trigger("dup", 1, "C\\a", at(1)));
  ASSERT_EQ(decide("dup", create_decision("C\\a"), at(1)).job_id, old_done);
  insert(make_trigger("old-skip", 5, "C\\s", at(0)));
  decide("old-skip", skip_decision(), at(10));
  insert(make_trigger("new-skip", 6, "C\\s", at(0)));
  decide("new-skip", skip_decision(), at(5'000));
  insert(make_trigger("undecided", 7, "C\\u", at(0)));

  ASSERT_EQ(claim(at(100), 3).size(), 3U);  // old_done, old_dead, new_done
  ASSERT_TRUE(store_->complete(old_done, "agent-1", at(200), "created"));
  ASSERT_TRUE(store_->dead_letter(old_dead, "agent-1", at(300), "denied"));
  ASSERT_TRUE(store_->complete(new_done, "agent-1", at(6'000), "created"));

  auto n = store_->purge_finished(at(1'000));
  ASSERT_TRUE(n) << n.error().message;
  // 2 jobs + 2 attempts + 3 triggers (old-done, dup, old-dead) + 1 skipped trigger.
  EXPECT_EQ(*n, 8);

  auto gone = store_->get_job(old_done);
  ASSERT_TRUE(gone);
  EXPECT_FALSE(*gone);
  EXPECT_FALSE(*store_->get_job(old_dead));
  EXPECT_TRUE(attempts(old_done).empty());
  EXPECT_FALSE(*store_->get_trigger("old-done"));
  EXPECT_FALSE(*store_->get_trigger("dup"));
  EXPECT_FALSE(*store_->get_trigger("old-skip"));

  EXPECT_EQ(job(new_done).state, JobState::Done);
  EXPECT_EQ(attempts(new_done).size(), 1U);
  EXPECT_EQ(job(old_pending).state, JobState::Pending);
  EXPECT_TRUE(*store_->get_trigger("new-done"));
  EXPECT_TRUE(*store_->get_trigger("new-skip"));
  EXPECT_TRUE(*store_->get_trigger("undecided"));
  EXPECT_TRUE(*store_->get_trigger("old-pending"));

  n = store_->purge_finished(at(1'000));
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 0);

  // A job id is never reused after a purge.
  const auto next = add_job("after", 8, "C\\z", at(7'000));
  EXPECT_GT(next, old_pending);
}

TEST_F(JobStoreTest, PurgeWorksInChunks) {
  std::vector<Trigger> ts;
  for (int i = 0; i < 2'500; ++i) ts.push_back(make_trigger("s" + std::to_string(i), 1, "C\\s"));
  ASSERT_TRUE(store_->insert_triggers(ts));
  Decisions ds;
  for (const auto& t : ts) ds.emplace_back(t.id, skip_decision());
  ASSERT_TRUE(store_->record_decisions(ds, at(0)));
  auto n = store_->purge_finished(at(1));
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 2'500);
  auto left = store_->list_triggers(10);
  ASSERT_TRUE(left);
  EXPECT_TRUE(left->empty());
}

}  // namespace
}  // namespace uda
