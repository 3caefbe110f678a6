// Dispatcher against a scripted provider and a real store in a temp dir.
// Backoff and breaker periods are milliseconds so runs finish quickly; no
// assertion depends on timing, only on states, counts and attempts.
#include "dispatch/dispatcher.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <functional>
#include <map>

#include "store/job_store.hpp"
#include "temp_dir.hpp"

namespace uda {
namespace {

// A provider whose answers are scripted per call; it keeps its own table of
// relationships so "ambiguous after effect" can be modelled honestly.
class FakeProvider final : public Provider {
 public:
  explicit FakeProvider(asio::io_context& io) : io_(io) {}
  std::string_view name() const override { return "fake"; }

  std::deque<CallStatus> create_script;  // consumed per create call; empty = ok
  std::deque<CallStatus> find_script;    // consumed per find call; empty = ok
  bool ambiguous_applies_effect = true;  // a Retry+ambiguous create still creates
  Millis latency{0};
  bool hang = false;  // never answer (for shutdown tests)
  std::map<std::string, std::uint32_t> devices_by_name;

  int creates = 0;
  int effects = 0;
  int finds = 0;
  int resolves = 0;
  int concurrent = 0;
  int max_concurrent = 0;
  std::map<std::pair<std::uint32_t, std::string>, Relationship> rels;

  Awaitable<CreateResult> create_relationship(const RelationshipRequest& req) override {
    ++creates;
    co_await delay();
    CallStatus st = create_script.empty() ? CallStatus::ok() : pop(create_script);
    const bool apply = st.outcome == CallOutcome::Ok || (st.ambiguous && ambiguous_applies_effect);
    bool existed = false;
    if (apply) {
      auto key = std::pair{req.machine_resource_id, req.user_account_name};
      existed = rels.count(key) > 0;
      auto& r = rels[key];
      r.resource_id = req.machine_resource_id;
      r.unique_user_name = req.user_account_name;
      if (!r.has_source(req.source)) r.sources.push_back(req.source);
      if (!r.has_type(req.type)) r.types.push_back(static_cast<std::uint32_t>(req.type));
      ++effects;
    }
    co_return CreateResult{st, existed};
  }

  Awaitable<FindResult> find_relationship(std::uint32_t id, const std::string& user) override {
    ++finds;
    co_await delay();
    CallStatus st = find_script.empty() ? CallStatus::ok() : pop(find_script);
    if (st.outcome != CallOutcome::Ok) co_return FindResult{st, std::nullopt};
    auto it = rels.find({id, user});
    co_return FindResult{st, it == rels.end() ? std::nullopt : std::optional(it->second)};
  }

  std::map<std::string, std::string> users_by_upn;  // lowercased UPN -> DOMAIN\\user
  int user_resolves = 0;

  Awaitable<UserResolveResult> resolve_user(const std::string& upn) override {
    ++user_resolves;
    co_await delay();
    std::string key = upn;
    for (auto& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto it = users_by_upn.find(key);
    co_return UserResolveResult{
        CallStatus::ok(), it == users_by_upn.end() ? std::nullopt : std::optional(it->second)};
  }

  Awaitable<UsagePage> console_usage(std::uint32_t, std::size_t) override {
    co_return UsagePage{CallStatus::fail("the dispatcher never reads console usage"), {}, false};
  }

  Awaitable<ResolveResult> resolve_machine(const std::string& name) override {
    ++resolves;
    co_await delay();
    auto it = devices_by_name.find(name);
    co_return ResolveResult{CallStatus::ok(),
                            it == devices_by_name.end() ? std::nullopt : std::optional(it->second)};
  }

 private:
  static CallStatus pop(std::deque<CallStatus>& q) {
    auto s = q.front();
    q.pop_front();
    return s;
  }
  Awaitable<void> delay() {
    ++concurrent;
    max_concurrent = std::max(max_concurrent, concurrent);
    if (hang || latency > Millis(0)) {
      asio::steady_timer t(io_, hang ? Millis(3'600'000) : latency);
      boost::system::error_code ec;
      co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    --concurrent;
  }
  asio::io_context& io_;
};

class DispatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StoreOptions so;
    so.path = dir_.path() / "store.db";
    auto s = JobStore::open(so);
    ASSERT_TRUE(s) << s.error().message;
    store_ = std::move(*s);
    opts_.concurrency = 4;
    opts_.backoff = {Millis(1), Millis(4), 5};
    opts_.breaker = {3, Millis(20), Millis(40)};
    opts_.lease = Millis(60'000);
    opts_.call_timeout = Millis(30'000);
    opts_.poll_interval = Millis(5);
    opts_.shutdown_deadline = Millis(50);
    opts_.seed = 1;
  }
  void TearDown() override { store_.reset(); }

  // Queues a Create decision as the rules would; returns the job id.
  std::int64_t add_job(std::optional<std::uint32_t> machine, const std::string& user,
                       SourceId source = SourceId::Osd,
                       std::optional<std::string> machine_name = std::nullopt) {
    Trigger t;
    t.id = new_trigger_id();
    t.kind = TriggerKind::Osd;
    t.machine.resource_id = machine;
    t.machine.name = machine_name;
    t.user = user;
    t.origin = "test";
    t.received_at = now_ms();
    EXPECT_TRUE(store_->insert_triggers(std::vector<Trigger>{t}));
    Decision d;
    d.action = DecisionAction::Create;
    d.rule = "test-rule";
    d.reason = "test";
    d.user = parse_domain_user(user);
    if (!d.user) d.upn = user;  // a UPN the rules left for the site
    d.source = source;
    std::vector<std::pair<std::string, Decision>> ds{{t.id, d}};
    auto out = store_->record_decisions(ds, now_ms());
    EXPECT_TRUE(out && out->size() == 1 && (*out)[0].job_id);
    return out && !out->empty() && (*out)[0].job_id ? *(*out)[0].job_id : 0;
  }

  // Runs the dispatcher until `done` holds (checked every 2 ms) or 20 s pass.
  bool run_until(Dispatcher& d, const std::function<bool()>& done) {
    d.start();
    bool ok = false;
    asio::steady_timer check(io_);
    std::function<void()> poll = [&] {
      if (done()) {
        ok = true;
        asio::co_spawn(
            io_,
            [&]() -> Awaitable<void> {
              co_await d.shutdown();
              io_.stop();
            },
            asio::detached);
        return;
      }
      check.expires_after(Millis(2));
      check.async_wait([&](const boost::system::error_code&) { poll(); });
    };
    poll();
    io_.run_for(std::chrono::seconds(20));
    return ok;
  }

  Job job(std::int64_t id) {
    auto j = store_->get_job(id);
    EXPECT_TRUE(j && *j);
    return j && *j ? **j : Job{};
  }
  bool terminal(std::int64_t id) { return is_terminal(job(id).state); }

  test::TempDir dir_{"uda-dispatch"};
  std::unique_ptr<JobStore> store_;
  asio::io_context io_;
  SystemTimeSource time_;
  DispatcherOptions opts_;
};

TEST_F(DispatcherTest, CreatesRelationshipAndCompletesJob) {
  FakeProvider p(io_);
  const auto id = add_job(16777220, "CONTOSO\\jdoe");
  Dispatcher d(io_, *store_, p, opts_, time_, "test-owner");
  ASSERT_TRUE(run_until(d, [&] { return terminal(id); }));
  const Job j = job(id);
  EXPECT_EQ(j.state, JobState::Done);
  EXPECT_EQ(j.attempts, 1);
  EXPECT_EQ(j.outcome, "created");
  EXPECT_EQ(p.creates, 1);
  EXPECT_EQ(p.finds, 1);  // verify_before_create
  auto rel = p.rels.at({16777220U, "CONTOSO\\jdoe"});
  EXPECT_TRUE(rel.has_source(SourceId::Osd));
  auto attempts = store_->attempts(id);
  ASSERT_TRUE(attempts);
  ASSERT_EQ(attempts->size(), 1U);
  EXPECT_EQ((*attempts)[0].outcome, "ok");
}

TEST_F(DispatcherTest, AlreadyPresentRelationshipIsNotCreatedAgain) {
  FakeProvider p(io_);
  Relationship r;
  r.resource_id = 16777220;
  r.unique_user_name = "CONTOSO\\jdoe";
  r.sources = {SourceId::Administrator};
  r.types = {1};
  p.rels[{16777220U, "CONTOSO\\jdoe"}] = r;
  const auto id = add_job(16777220, "CONTOSO\\jdoe");
  Dispatcher d(io_, *store_, p, opts_, time_, "test-owner");
  ASSERT_TRUE(run_until(d, [&] { return terminal(id); }));
  EXPECT_EQ(job(id).state, JobState::Done);
  EXPECT_NE(job(id).outcome.find("already present"), std::string::npos);
  EXPECT_EQ(p.creates, 0);
}

TEST_F(DispatcherTest, TransientFailuresAreRetriedWithBackoff) {
  FakeProvider p(io_);
  p.create_script = {CallStatus::retry("0x800706BA RPC_S_SERVER_UNAVAILABLE"),
                     CallStatus::retry("0x80041045 WBEM_E_SERVER_TOO_BUSY")};
  const auto id = add_job(16777220, "CONTOSO\\jdoe");
  Dispatcher d(io_, *store_, p, opts_, time_, "test-owner");
  ASSERT_TRUE(run_until(d, [&] { return terminal(id); }));
  const Job j = job(id);
  EXPECT_EQ(j.state, JobState::Done);
  EXPECT_EQ(j.attempts, 3);
  auto attempts = store_->attempts(id);
  ASSERT_TRUE(attempts);
  ASSERT_EQ(attempts->size(), 3U);
  EXPECT_EQ((*attempts)[0].outcome, "retry");
  EXPECT_NE((*attempts)[0].detail.find("0x800706BA"), std::string::npos);
  EXPECT_EQ((*attempts)[2].outcome, "ok");
  EXPECT_EQ(d.stats().retried, 2U);
}

TEST_F(DispatcherTest, PermanentFailureDeadLettersAtOnce) {
  FakeProvider p(io_);
  p.create_script = {CallStatus::fail("0x80041002 WBEM_E_NOT_FOUND: no device 16777299")};
  const auto id = add_job(16777299, "CONTOSO\\jdoe");
  Dispatcher d(io_, *store_, p, opts_, time_, "test-owner");
  ASSERT_TRUE(run_until(d, [&] { return terminal(id); }));
  const Job j = job(id);
  EXPECT_EQ(j.state, JobState::Dead);
  EXPECT_EQ(j.attempts, 1);
  EXPECT_NE(j.last_error.find("WBEM_E_NOT_FOUND"), std::string::npos);
}

TEST_F(DispatcherTest, GivesUpAfterMaxAttempts) {
  FakeProvider p(io_);
  for (int i = 0; i < 10; ++i)
    p.create_script.push_back(CallStatus::retry("0x80041069 WBEM_E_TIMED_OUT"));
  opts_.breaker.failure_threshold = 100;
  const auto id = add_job(16777220, "CONTOSO\\jdoe");
  Dispatcher d(io_, *store_, p, opts_, time_, "test-owner");
  ASSERT_TRUE(run_until(d, [&] { return terminal(id); }));
  const Job j = job(id);
  EXPECT_EQ(j.state, JobState::Dead);
  EXPECT_EQ(j.attempts, opts_.backoff.max_attempts);
  EXPECT_EQ(p.creates, opts_.backoff.max_attempts);
  EXPECT_NE(j.last_error.find("gave up after 5 attempts"), std::string::npos) << j.last_error;
}

TEST_F(DispatcherTest, AmbiguousFailureIsVerifiedBeforeRetrying) {
  FakeProvider p(io_);
  opts_.verify_before_create = false;  // only the ambiguous failure may trigger a check
  p.create_script = {CallStatus::retry("0x800706BE RPC_S_CALL_FAILED", /*ambiguous=*/true)};
  const auto id = add_job(16777220, "CONTOSO\\jdoe");
  Dispatcher d(io_, *store_, p, opts_, time_, "test-owner");
  ASSERT_TRUE(run_until(d, [&] { return terminal(id); }));
  const Job j = job(id);
  EXPECT_EQ(j.state, JobState::Done);
  EXPECT_EQ(j.attempts, 2);
  EXPECT_EQ(p.creates, 1);  // the second attempt found the effect and did not call again
  EXPECT_EQ(p.finds, 1);
  EXPECT_EQ(p.effects, 1);
  EXPECT_NE(j.outcome.find("already present"), std::string::npos);
}

TEST_F(DispatcherTest, AmbiguousFailureWithoutEffectIsCreatedOnRetry) {
  FakeProvider p(io_);
  opts_.verify_before_create = false;
  p.ambiguous_applies_effect = false;
  p.create_script = {CallStatus::retry("0x800706BE RPC_S_CALL_FAILED", true)};
  const auto id = add_job(16777220, "CONTOSO\\jdoe");
  Dispatcher d(io_, *store_, p, opts_, time_, "test-owner");
  ASSERT_TRUE(run_until(d, [&] { return terminal(id); }));
  EXPECT_EQ(job(id).state, JobState::Done);
  EXPECT_EQ(job(id).outcome, "created");
  EXPECT_EQ(p.creates, 2);
  EXPECT_EQ(p.finds, 1);
  EXPECT_EQ(p.effects, 1);
}

TEST_F(DispatcherTest, ResolvesMachineNameBeforeCreating) {
  FakeProvider p(io_);
  p.devices_by_name["WKS-0042"] = 16777262;
  const auto id = add_job(std::nullopt, "CONTOSO\\jdoe", SourceId::Osd, "WKS-0042");
  const auto missing = add_job(std::nullopt, "CONTOSO\\jdoe", SourceId::Osd, "NOPE-1");
  Dispatcher d(io_, *store_, p, opts_, time_, "test-owner");
  ASSERT_TRUE(run_until(d, [&] { return terminal(id) && terminal(missing); }));
  EXPECT_EQ(job(id).state, JobState::Done);
  EXPECT_EQ(job(id).machine_resource_id, 16777262U);
  EXPECT_EQ(p.rels.count({16777262U, "CONTOSO\\jdoe"}), 1U);
  EXPECT_EQ(job(missing).state, JobState::Dead);
  EXPECT_NE(job(missing).last_error.find("no device named 'NOPE-1'"), std::string::npos);
}

TEST_F(DispatcherTest, ConcurrencyIsBounded) {
  FakeProvider p(io_);
  p.latency = Millis(5);
  opts_.concurrency = 3;
  std::vector<std::int64_t> ids;
  for (std::uint32_t i = 0; i < 20; ++i) ids.push_back(add_job(16777220 + i, "CONTOSO\\jdoe"));
  Dispatcher d(io_, *store_, p, opts_, time_, "test-owner");
  ASSERT_TRUE(run_until(d, [&] {
    return std::all_of(ids.begin(), ids.end(), [&](auto id) { return terminal(id); });
  }));
  EXPECT_LE(p.max_concurrent, 3);
  EXPECT_GE(p.max_concurrent, 2);  // it did run calls side by side
  for (auto id : ids) EXPECT_EQ(job(id).state, JobState::Done);
}

TEST_F(DispatcherTest, BreakerStopsCallsDuringAnOutage) {
  FakeProvider p(io_);
  opts_.breaker = {3, Millis(200), Millis(200)};
  opts_.backoff = {Millis(1), Millis(2), 1000};
  for (int i = 0; i < 1000; ++i) p.find_script.push_back(CallStatus::retry("0x800706BA outage"));
  std::vector<std::int64_t> ids;
  for (std::uint32_t i = 0; i < 10; ++i) ids.push_back(add_job(16777220 + i, "CONTOSO\\jdoe"));
  Dispatcher d(io_, *store_, p, opts_, time_, "test-owner");
  // Run for a fixed number of breaker periods' worth of polls: with the breaker
  // open, calls are limited to the threshold plus one probe per period.
  int polls = 0;
  ASSERT_TRUE(run_until(d, [&] { return ++polls > 150; }));  // ~300 ms at 2 ms a poll
  EXPECT_GE(d.stats().breaker_opened, 1U);
  // Without a breaker, 10 jobs with 1-2 ms backoff would make hundreds of calls.
  EXPECT_LT(p.finds, 60) << "calls during the outage";
  for (auto id : ids) EXPECT_FALSE(job(id).state == JobState::Dead);
}

TEST_F(DispatcherTest, ShutdownReleasesCallsStillInFlight) {
  FakeProvider p(io_);
  p.hang = true;
  const auto id = add_job(16777220, "CONTOSO\\jdoe");
  Dispatcher d(io_, *store_, p, opts_, time_, "test-owner");
  ASSERT_TRUE(run_until(d, [&] { return d.in_flight() == 1; }));
  const Job j = job(id);
  EXPECT_EQ(j.state, JobState::Pending);
  EXPECT_TRUE(j.verify_first);
  EXPECT_EQ(j.attempts, 0);  // the unfinished attempt is not charged
  EXPECT_EQ(d.stats().released, 1U);
}

// kill -9 during the last allowed attempt, max_attempts times over: start-up
// re-arms the lease with every attempt used. The job may have had its effect,
// but no attempt is left: one existence check decides, and
// CreateRelationship is never called again (attempts stay at the maximum).
TEST_F(DispatcherTest, JobCutOffInItsLastAttemptIsCheckedNeverCalledAgain) {
  FakeProvider p(io_);
  const auto took_effect = add_job(16777220, "CONTOSO\\jdoe");
  const auto did_not = add_job(16777221, "CONTOSO\\jdoe");
  Relationship r;
  r.resource_id = 16777220;
  r.unique_user_name = "CONTOSO\\jdoe";
  r.sources = {SourceId::Osd};
  r.types = {1};
  p.rels[{16777220U, "CONTOSO\\jdoe"}] = r;  // the cut-off call had applied it
  const int max = opts_.backoff.max_attempts;
  for (int i = 0; i < max; ++i) {
    auto claimed = store_->claim_due(10, now_ms(), opts_.lease, "killed-agent", max);
    ASSERT_TRUE(claimed && claimed->size() == 2U);
    ASSERT_TRUE(store_->rearm_leases(now_ms(), true));
  }
  ASSERT_EQ(job(took_effect).attempts, max);

  Dispatcher d(io_, *store_, p, opts_, time_, "test-owner");
  ASSERT_TRUE(run_until(d, [&] { return terminal(took_effect) && terminal(did_not); }));
  EXPECT_EQ(p.creates, 0);
  EXPECT_EQ(p.finds, 2);
  const Job a = job(took_effect);
  EXPECT_EQ(a.state, JobState::Done);
  EXPECT_EQ(a.attempts, max);
  EXPECT_NE(a.outcome.find("already present"), std::string::npos) << a.outcome;
  const Job b = job(did_not);
  EXPECT_EQ(b.state, JobState::Dead);
  EXPECT_EQ(b.attempts, max);
  EXPECT_NE(b.last_error.find("gave up after 5 attempts"), std::string::npos) << b.last_error;
  EXPECT_NE(b.last_error.find("did not take effect"), std::string::npos) << b.last_error;
}

TEST_F(DispatcherTest, ResolvesAUpnLeftForTheSiteBeforeCreating) {
  FakeProvider p(io_);
  p.users_by_upn["bob.smith@fabrikam.com"] = "FABRIKAM\\bsmith";
  const auto id = add_job(16777220, "Bob.Smith@fabrikam.com");
  const auto unknown = add_job(16777221, "nobody@fabrikam.com");
  Dispatcher d(io_, *store_, p, opts_, time_, "test-owner");
  ASSERT_TRUE(run_until(d, [&] { return terminal(id) && terminal(unknown); }));
  EXPECT_EQ(job(id).state, JobState::Done);
  EXPECT_EQ(job(id).user, "FABRIKAM\\bsmith");
  EXPECT_EQ(job(id).idempotency_key, "16777220|fabrikam\\bsmith|6|1");
  EXPECT_EQ(p.rels.count({16777220U, "FABRIKAM\\bsmith"}), 1U);
  EXPECT_EQ(job(unknown).state, JobState::Dead);
  EXPECT_NE(job(unknown).last_error.find("no user with UPN 'nobody@fabrikam.com'"),
            std::string::npos);
  EXPECT_EQ(p.user_resolves, 2);
}

}  // namespace
}  // namespace uda
