// UsagePoller against a fake site (a Provider whose console_usage pages
// through an in-memory table) and a fake store, with an injected clock. The
// tests drive the io_context themselves: whenever the poller waits for a time
// they move the clock there and wake it, so nothing depends on real time and
// every assertion is about counts, ids and injected timestamps.

#include "sources/usage/usage_poller.hpp"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <deque>
#include <fstream>
#include <functional>
#include <map>
#include <set>

#include "sources/usage/usage_state.hpp"
#include "sources/usage/usage_trigger.hpp"
#include "store/group_commit.hpp"
#include "store/job_store.hpp"
#include "temp_dir.hpp"

namespace uda {
namespace {

using ::testing::ElementsAre;

constexpr std::uint32_t kDev = 16777216;  // first device ResourceID
const TimePoint kT0 = from_unix_ms(1'800'000'000'000);
constexpr Millis kHour{3'600'000};

class ManualClock final : public TimeSource {
 public:
  [[nodiscard]] TimePoint now() const override { return now_; }
  void set(TimePoint t) { now_ = t; }

 private:
  TimePoint now_ = kT0;
};

// A site with a console-usage table; everything but console_usage fails.
class FakeSite final : public Provider {
 public:
  explicit FakeSite(const TimeSource& clock) : clock_(clock) {}
  [[nodiscard]] std::string_view name() const override { return "fake"; }

  struct Query {
    std::uint32_t after;
    std::size_t limit;
    TimePoint at;
  };
  std::map<std::uint32_t, std::vector<ConsoleUsage>> devices;
  std::deque<CallStatus> script;  // answers for the next calls; empty = the table
  int hang_next = 0;              // this many calls answer only when `hang` is cancelled
  std::shared_ptr<asio::steady_timer> hang;
  bool stuck = false;  // answer more=true without rows (a broken provider)
  std::function<void(std::uint32_t after)> on_query;
  std::vector<Query> queries;

  void set(std::uint32_t device, const std::string& user, double minutes, std::int64_t logons = 5,
           std::optional<TimePoint> last = kT0 - Millis(2 * 86'400'000)) {
    auto& rows = devices[device];
    for (auto& r : rows) {
      if (r.system_console_user == user) {
        r = ConsoleUsage{device, user, minutes, logons, last};
        return;
      }
    }
    rows.push_back(ConsoleUsage{device, user, minutes, logons, last});
  }

  std::vector<std::uint32_t> afters() const {
    std::vector<std::uint32_t> out;
    for (const auto& q : queries) out.push_back(q.after);
    return out;
  }

  Awaitable<UsagePage> console_usage(std::uint32_t after, std::size_t limit) override {
    queries.push_back(Query{after, limit, clock_.now()});
    if (on_query) on_query(after);
    if (hang_next > 0) {
      --hang_next;
      hang = std::make_shared<asio::steady_timer>(co_await asio::this_coro::executor,
                                                  std::chrono::hours(1));
      auto timer = hang;
      boost::system::error_code ec;
      co_await timer->async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    if (!script.empty()) {
      CallStatus st = script.front();
      script.pop_front();
      if (st.outcome != CallOutcome::Ok) co_return UsagePage{st, {}, false};
    }
    UsagePage page;
    if (stuck) {
      page.more = true;
      co_return page;
    }
    auto it = devices.upper_bound(after);
    for (std::size_t n = 0; it != devices.end() && n < limit; ++it, ++n) {
      for (const auto& r : it->second) page.rows.push_back(r);
    }
    page.more = it != devices.end();
    co_return page;
  }

  Awaitable<CreateResult> create_relationship(const RelationshipRequest&) override {
    co_return CreateResult{CallStatus::fail("not used by this test"), false};
  }
  Awaitable<FindResult> find_relationship(std::uint32_t, const std::string&) override {
    co_return FindResult{CallStatus::fail("not used by this test"), {}};
  }
  Awaitable<ResolveResult> resolve_machine(const std::string&) override {
    co_return ResolveResult{CallStatus::fail("not used by this test"), {}};
  }
  Awaitable<UserResolveResult> resolve_user(const std::string&) override {
    co_return UserResolveResult{CallStatus::fail("not used by this test"), {}};
  }

 private:
  const TimeSource& clock_;
};

// The store's side: keeps ids (a second one is a duplicate), answers inline.
struct FakeStore {
  std::set<std::string> ids;
  std::vector<std::vector<Trigger>> batches;      // committed
  std::vector<std::vector<std::string>> offered;  // every submission, committed or not
  int fail_next = 0;                              // refuse this many submissions

  UsagePoller::Submit submit() {
    return [this](std::vector<Trigger> triggers, GroupCommitter::Done done) {
      std::vector<std::string> names;
      for (const auto& t : triggers) names.push_back(t.id);
      offered.push_back(names);
      if (fail_next > 0) {
        --fail_next;
        done(Error{"disk I/O error"});
        return;
      }
      std::vector<bool> inserted;
      for (const auto& t : triggers) inserted.push_back(ids.insert(t.id).second);
      batches.push_back(std::move(triggers));
      done(std::move(inserted));
    };
  }
  [[nodiscard]] std::vector<Trigger> all() const {
    std::vector<Trigger> out;
    for (const auto& b : batches) out.insert(out.end(), b.begin(), b.end());
    return out;
  }
};

class UsagePollerTest : public ::testing::Test {
 protected:
  UsagePollerTest() : site_(clock_) {
    options_.enabled = true;
    options_.state_path = tmp_.path() / "usage.db";
    options_.page_size = 2;
    options_.interval = kHour;
    options_.max_queries_per_minute = 60;
    options_.backoff = BackoffPolicy{Millis(1000), Millis(10'000), 5};
    options_.seed = 42;
  }

  std::unique_ptr<UsagePoller> make(UsagePoller::Submit submit = nullptr) {
    if (!submit) submit = store_.submit();
    auto p = std::make_unique<UsagePoller>(io_, site_, options_, std::move(submit), clock_);
    auto st = p->start();
    EXPECT_TRUE(st) << st.error().message;
    return p;
  }

  // Runs the io_context until `done` holds. Whenever the poller waits for a
  // time, the clock jumps there.
  bool drive(UsagePoller& p, const std::function<bool()>& done, int max_steps = 10'000) {
    for (int i = 0; i < max_steps; ++i) {
      io_.restart();
      io_.poll();
      if (done()) return true;
      if (auto t = p.sleeping_until()) {
        if (*t > clock_.now()) clock_.set(*t);
        p.wake();
      } else if (!p.running()) {
        return done();
      } else {
        io_.restart();
        io_.run_one_for(std::chrono::milliseconds(10));  // e.g. a commit on another thread
      }
    }
    return false;
  }

  // stop(), then runs (without moving the clock) until the loop has ended.
  void finish(UsagePoller& p) {
    p.stop();
    for (int i = 0; i < 1000 && p.running(); ++i) {
      io_.restart();
      io_.poll();
      if (!p.running()) break;
      io_.restart();
      io_.run_one_for(std::chrono::milliseconds(10));
    }
    EXPECT_FALSE(p.running());
  }

  std::unique_ptr<UsageState> state() {
    auto s = UsageState::open(options_.state_path);
    EXPECT_TRUE(s) << (s ? "" : s.error().message);
    return s ? std::move(*s) : nullptr;
  }

  // Five devices; the third has two users.
  void five_devices() {
    site_.set(kDev + 1, "CONTOSO\\a", 100);
    site_.set(kDev + 2, "CONTOSO\\b", 3000);
    site_.set(kDev + 3, "CONTOSO\\c", 50);
    site_.set(kDev + 3, "CONTOSO\\d", 4000);
    site_.set(kDev + 4, "CONTOSO\\e", 10);
    site_.set(kDev + 5, "CONTOSO\\f", 20);
  }

  test::TempDir tmp_;
  asio::io_context io_;
  ManualClock clock_;
  FakeSite site_;
  FakeStore store_;
  UsageOptions options_;
};

TEST_F(UsagePollerTest, FullPassPagesThroughEveryDeviceOneBatchPerPage) {
  five_devices();
  auto p = make();
  ASSERT_TRUE(drive(*p, [&] { return p->stats().passes == 1; }));

  EXPECT_THAT(site_.afters(), ElementsAre(0U, kDev + 2, kDev + 4));
  for (const auto& q : site_.queries) EXPECT_EQ(q.limit, 2U);
  ASSERT_EQ(store_.batches.size(), 3U);  // one batch per page
  EXPECT_EQ(store_.batches[0].size(), 2U);
  EXPECT_EQ(store_.batches[1].size(), 3U);
  EXPECT_EQ(store_.batches[2].size(), 1U);
  const auto all = store_.all();
  ASSERT_EQ(all.size(), 6U);
  for (const auto& t : all) {
    EXPECT_EQ(t.kind, TriggerKind::Usage);
    EXPECT_EQ(t.origin, "usage-poller");
    EXPECT_GE(t.received_at, kT0);  // the injected time of its page
    EXPECT_TRUE(t.attributes.contains("usage.minutes"));
    EXPECT_TRUE(t.attributes.contains("usage.days"));
  }
  const auto& c = all[3];
  EXPECT_EQ(c.user, "CONTOSO\\d");
  EXPECT_EQ(*c.machine.resource_id, kDev + 3);
  EXPECT_EQ(std::get<double>(c.attributes.at("usage.minutes")), 4000.0);
  EXPECT_EQ(std::get<double>(c.attributes.at("usage.days")), 2.0);
  EXPECT_EQ(c.id, usage_trigger_id(usage_fingerprint(site_.devices[kDev + 3][1])));

  const auto s = p->stats();
  EXPECT_EQ(s.queries, 3U);
  EXPECT_EQ(s.pages, 3U);
  EXPECT_EQ(s.rows, 6U);
  EXPECT_EQ(s.triggers_sent, 6U);
  EXPECT_EQ(s.triggers_duplicate, 0U);
  EXPECT_EQ(s.unchanged, 0U);
  EXPECT_EQ(s.errors, 0U);
  auto st = state();
  EXPECT_EQ(*st->watermark_count(), 6U);
  EXPECT_EQ(st->cursor()->state, PassState::Complete);
  finish(*p);
}

TEST_F(UsagePollerTest, RowsWithoutDomainUserAreSkipped) {
  site_.set(kDev + 1, "CONTOSO\\a", 100);
  site_.set(kDev + 1, "a@contoso.com", 100);
  site_.set(kDev + 2, "", 100);
  site_.set(kDev + 2, "nodomain", 100);
  site_.set(kDev + 3, "contoso\\A", 100);  // the same user again, other case: counted once
  site_.set(kDev + 3, "CONTOSO\\a", 100);
  auto p = make();
  ASSERT_TRUE(drive(*p, [&] { return p->stats().passes == 1; }));
  const auto all = store_.all();
  ASSERT_EQ(all.size(), 2U);
  EXPECT_EQ(*all[0].machine.resource_id, kDev + 1);
  EXPECT_EQ(*all[1].machine.resource_id, kDev + 3);
  EXPECT_EQ(p->stats().skipped, 4U);
  EXPECT_EQ(p->stats().rows, 6U);
  EXPECT_EQ(*state()->watermark_count(), 2U);
  finish(*p);
}

TEST_F(UsagePollerTest, UnchangedRowsAreNotSentAgainAcrossRestartsChangedOnesAre) {
  five_devices();
  TimePoint first_pass;
  {
    auto a = make();
    ASSERT_TRUE(drive(*a, [&] { return a->stats().passes == 1; }));
    first_pass = site_.queries.front().at;
    finish(*a);
  }
  ASSERT_EQ(store_.all().size(), 6U);
  site_.set(kDev + 2, "CONTOSO\\b", 3100);   // more minutes
  site_.set(kDev + 3, "CONTOSO\\c", 50, 6);  // one more logon
  site_.set(kDev + 6, "CONTOSO\\g", 1);      // a new device
  site_.devices.erase(kDev + 5);             // gone: its watermark goes too
  site_.queries.clear();

  auto b = make();  // a restarted agent on the same state file
  ASSERT_TRUE(drive(*b, [&] { return b->stats().passes == 1; }));
  // The pass waited for the interval since the last one started.
  EXPECT_GE(site_.queries.front().at, first_pass + kHour);
  ASSERT_EQ(store_.batches.size(), 3U + 3U);  // every page has a change
  std::set<std::string> users;
  for (std::size_t i = 3; i < store_.batches.size(); ++i) {
    for (const auto& t : store_.batches[i]) users.insert(t.user);
  }
  EXPECT_EQ(users, (std::set<std::string>{"CONTOSO\\b", "CONTOSO\\c", "CONTOSO\\g"}));
  EXPECT_EQ(b->stats().triggers_sent, 3U);
  EXPECT_EQ(b->stats().unchanged, 3U);         // a, d, e
  EXPECT_EQ(*state()->watermark_count(), 6U);  // f gone, g new

  // Another pass without changes sends nothing.
  ASSERT_TRUE(drive(*b, [&] { return b->stats().passes == 2; }));
  EXPECT_EQ(store_.batches.size(), 6U);
  EXPECT_EQ(b->stats().unchanged, 3U + 6U);
  finish(*b);
}

TEST_F(UsagePollerTest, RestartContinuesAnUnfinishedPassAtItsCursor) {
  five_devices();
  site_.set(kDev + 6, "CONTOSO\\g", 1);
  std::unique_ptr<UsagePoller> a;
  // Stop while the second query is in flight: its answer is dropped.
  site_.on_query = [&](std::uint32_t after) {
    if (after != 0) a->stop();
  };
  a = make();
  ASSERT_TRUE(drive(*a, [&] { return !a->running(); }));
  EXPECT_THAT(site_.afters(), ElementsAre(0U, kDev + 2));
  EXPECT_EQ(a->stats().pages, 1U);
  EXPECT_EQ(a->stats().passes, 0U);
  ASSERT_EQ(store_.all().size(), 2U);
  {
    auto st = state();
    auto c = st->cursor();
    ASSERT_TRUE(c);
    EXPECT_EQ(c->state, PassState::Running);
    EXPECT_EQ(c->after_resource_id, kDev + 2);
  }
  a.reset();

  site_.on_query = nullptr;
  site_.queries.clear();
  auto b = make();
  ASSERT_TRUE(drive(*b, [&] { return b->stats().passes == 1; }));
  EXPECT_THAT(site_.afters(), ElementsAre(kDev + 2, kDev + 4));
  // Every row sent exactly once over both runs.
  const auto all = store_.all();
  EXPECT_EQ(all.size(), 7U);
  EXPECT_EQ(store_.ids.size(), 7U);
  EXPECT_EQ(b->stats().triggers_duplicate, 0U);
  finish(*b);
}

TEST_F(UsagePollerTest, QueriesStayWithinTheRateCountedInInjectedTime) {
  options_.page_size = 1;
  options_.max_queries_per_minute = 6;
  for (std::uint32_t i = 1; i <= 20; ++i) site_.set(kDev + i, fmt::format("CONTOSO\\u{}", i), i);
  site_.script = {CallStatus::ok(), CallStatus::ok(), CallStatus::retry("0x800706BA"),
                  CallStatus::ok(), CallStatus::retry("0x80041045 busy")};
  auto p = make();
  ASSERT_TRUE(drive(*p, [&] { return p->stats().passes == 1; }));
  ASSERT_EQ(site_.queries.size(), 22U);  // 20 pages and 2 retries
  EXPECT_EQ(p->stats().queries, 22U);
  for (std::size_t i = 0; i < site_.queries.size(); ++i) {
    const auto from = site_.queries[i].at;
    int in_minute = 0;
    for (const auto& q : site_.queries) {
      if (q.at >= from && q.at < from + Millis(60'000)) ++in_minute;
    }
    EXPECT_LE(in_minute, 6) << "the minute from query " << i;
    if (i > 0) {
      EXPECT_GE(site_.queries[i].at - site_.queries[i - 1].at, Millis(10'000));
    }
  }
  EXPECT_EQ(store_.all().size(), 20U);
  finish(*p);
}

TEST_F(UsagePollerTest, RetryBacksOffThenAsksForTheSamePage) {
  five_devices();
  auto busy = CallStatus::retry("HTTP 503");
  busy.retry_after = Millis(5000);
  site_.script = {CallStatus::retry("0x800706BA RPC server unavailable"), busy};
  auto p = make();
  ASSERT_TRUE(drive(*p, [&] { return p->stats().passes == 1; }));
  EXPECT_THAT(site_.afters(), ElementsAre(0U, 0U, 0U, kDev + 2, kDev + 4));
  // The server's Retry-After is honoured.
  EXPECT_GE(site_.queries[2].at - site_.queries[1].at, Millis(5000));
  EXPECT_EQ(p->stats().errors, 2U);
  EXPECT_EQ(p->stats().passes_failed, 0U);
  EXPECT_EQ(store_.all().size(), 6U);
  EXPECT_EQ(store_.ids.size(), 6U);
  finish(*p);
}

TEST_F(UsagePollerTest, CallTimeoutIsRetriedAndTheLateAnswerIsDropped) {
  five_devices();
  options_.call_timeout = Millis(20);  // real time: the call never answers by itself
  site_.hang_next = 1;
  auto p = make();
  ASSERT_TRUE(drive(*p, [&] { return p->stats().passes == 1; }));
  EXPECT_THAT(site_.afters(), ElementsAre(0U, 0U, kDev + 2, kDev + 4));
  EXPECT_EQ(p->stats().errors, 1U);
  EXPECT_EQ(store_.all().size(), 6U);

  site_.hang->cancel();  // the first call answers after all: too late
  io_.restart();
  io_.poll();
  EXPECT_EQ(store_.all().size(), 6U);
  EXPECT_EQ(p->stats().pages, 3U);
  finish(*p);
}

TEST_F(UsagePollerTest, StopDropsTheQueryInFlightAtOnce) {
  five_devices();
  options_.call_timeout = kHour;
  site_.hang_next = 1;
  auto p = make();
  ASSERT_TRUE(drive(*p, [&] { return site_.queries.size() == 1; }));
  finish(*p);  // does not wait for the call (nor its hour of timeout)
  EXPECT_EQ(p->stats().pages, 0U);

  site_.hang->cancel();  // the answer arrives after the stop: dropped
  io_.restart();
  io_.poll();
  EXPECT_TRUE(store_.batches.empty());
  auto c = state()->cursor();
  ASSERT_TRUE(c);
  EXPECT_EQ(c->state, PassState::Running);
  EXPECT_EQ(c->after_resource_id, 0U);
}

TEST_F(UsagePollerTest, TooManyRetriesEndThePass) {
  five_devices();
  options_.backoff.max_attempts = 3;
  site_.script = {CallStatus::ok(), CallStatus::retry("a"), CallStatus::retry("b"),
                  CallStatus::retry("c")};
  auto p = make();
  ASSERT_TRUE(drive(*p, [&] { return p->stats().passes_failed == 1; }));
  EXPECT_THAT(site_.afters(), ElementsAre(0U, kDev + 2, kDev + 2, kDev + 2));
  EXPECT_EQ(p->stats().errors, 3U);
  EXPECT_EQ(state()->cursor()->state, PassState::Failed);
  finish(*p);
}

TEST_F(UsagePollerTest, FailEndsThePassAndTheNextStartsFromTheFirstDevice) {
  five_devices();
  site_.script = {CallStatus::ok(), CallStatus::fail("0x80041003 WBEM_E_ACCESS_DENIED")};
  auto p = make();
  ASSERT_TRUE(drive(*p, [&] { return p->stats().passes_failed == 1; }));
  EXPECT_THAT(site_.afters(), ElementsAre(0U, kDev + 2));
  EXPECT_EQ(store_.all().size(), 2U);
  EXPECT_EQ(state()->cursor()->state, PassState::Failed);

  ASSERT_TRUE(drive(*p, [&] { return p->stats().passes == 1; }));
  EXPECT_THAT(site_.afters(), ElementsAre(0U, kDev + 2, 0U, kDev + 2, kDev + 4));
  EXPECT_GE(site_.queries[2].at, site_.queries[0].at + kHour);
  EXPECT_EQ(store_.all().size(), 6U);  // page 1 was not sent again
  finish(*p);
}

TEST_F(UsagePollerTest, FailedCommitLeavesWatermarksSoTheRowsAreSentAgain) {
  five_devices();
  options_.backoff.max_attempts = 2;
  store_.fail_next = 2;
  {
    auto a = make();
    ASSERT_TRUE(drive(*a, [&] { return a->stats().passes_failed == 1; }));
    EXPECT_EQ(a->stats().triggers_sent, 0U);
    EXPECT_EQ(a->stats().pages, 0U);
    EXPECT_THAT(site_.afters(), ElementsAre(0U, 0U));  // the page was asked for again
    finish(*a);
  }
  ASSERT_EQ(store_.offered.size(), 2U);
  EXPECT_EQ(store_.offered[0], store_.offered[1]);  // the same ids both times
  EXPECT_TRUE(store_.batches.empty());
  EXPECT_EQ(*state()->watermark_count(), 0U);

  auto b = make();
  ASSERT_TRUE(drive(*b, [&] { return b->stats().passes == 1; }));
  ASSERT_FALSE(store_.batches.empty());
  std::vector<std::string> first;
  for (const auto& t : store_.batches[0]) first.push_back(t.id);
  EXPECT_EQ(first, store_.offered[0]);
  EXPECT_EQ(store_.all().size(), 6U);
  EXPECT_EQ(*state()->watermark_count(), 6U);
  finish(*b);
}

TEST_F(UsagePollerTest, RowsBelowMinMinutesAreNotSentUntilTheyReachIt) {
  five_devices();
  options_.min_minutes = 100;
  auto p = make();
  ASSERT_TRUE(drive(*p, [&] { return p->stats().passes == 1; }));
  std::set<std::string> users;
  for (const auto& t : store_.all()) users.insert(t.user);
  EXPECT_EQ(users, (std::set<std::string>{"CONTOSO\\a", "CONTOSO\\b", "CONTOSO\\d"}));
  EXPECT_EQ(p->stats().below_min, 3U);

  site_.set(kDev + 4, "CONTOSO\\e", 120);
  ASSERT_TRUE(drive(*p, [&] { return p->stats().passes == 2; }));
  ASSERT_EQ(store_.all().size(), 4U);
  EXPECT_EQ(store_.all().back().user, "CONTOSO\\e");
  finish(*p);
}

TEST_F(UsagePollerTest, ProviderThatDoesNotMoveOnEndsThePass) {
  site_.stuck = true;
  auto p = make();
  ASSERT_TRUE(drive(*p, [&] { return p->stats().passes_failed == 1; }));
  EXPECT_EQ(site_.queries.size(), 1U);
  EXPECT_EQ(p->stats().errors, 1U);
  finish(*p);
}

TEST_F(UsagePollerTest, EmptySiteCompletesAPass) {
  auto p = make();
  ASSERT_TRUE(drive(*p, [&] { return p->stats().passes == 1; }));
  EXPECT_EQ(site_.queries.size(), 1U);
  EXPECT_TRUE(store_.batches.empty());
  finish(*p);
}

TEST_F(UsagePollerTest, StopWhileWaitingForTheNextPassEndsAtOnce) {
  five_devices();
  auto p = make();
  ASSERT_TRUE(drive(*p, [&] { return p->stats().passes == 1; }));
  io_.restart();
  io_.poll();
  ASSERT_TRUE(p->sleeping_until());
  EXPECT_EQ(*p->sleeping_until(), site_.queries.front().at + kHour);
  const auto before = clock_.now();
  finish(*p);  // no clock movement needed
  EXPECT_EQ(clock_.now(), before);
  EXPECT_FALSE(p->sleeping_until());
  EXPECT_FALSE(p->start());  // a stopped poller does not start again
}

TEST_F(UsagePollerTest, UnusableStateFileFailsStart) {
  options_.state_path = tmp_.path() / "usage.db" / "nested";
  std::ofstream(tmp_.path() / "usage.db") << "not a folder";
  UsagePoller p(io_, site_, options_, store_.submit(), clock_);
  auto st = p.start();
  ASSERT_FALSE(st);
  EXPECT_THAT(st.error().message, ::testing::HasSubstr("usage state"));
  EXPECT_FALSE(p.running());
}

// Through the real GroupCommitter (answers on its writer thread) into a real
// store. A lost state file makes the next pass send every row again: the
// store recognises every id.
TEST_F(UsagePollerTest, ThroughTheGroupCommitterResendsAreDuplicates) {
  five_devices();
  StoreOptions so;
  so.path = tmp_.path() / "uda.db";
  auto opened = JobStore::open(so);
  ASSERT_TRUE(opened) << opened.error().message;
  auto store = std::move(*opened);
  GroupCommitter gc(*store, 64, 10'000, Millis(0));
  UsagePoller::Submit submit = [&gc](std::vector<Trigger> t, GroupCommitter::Done done) {
    gc.submit(std::move(t), std::move(done));
  };
  {
    auto a = make(submit);
    ASSERT_TRUE(drive(*a, [&] { return a->stats().passes == 1; }));
    EXPECT_EQ(a->stats().triggers_sent, 6U);
    EXPECT_EQ(a->stats().triggers_duplicate, 0U);
    finish(*a);
  }
  const auto id = usage_trigger_id(usage_fingerprint(site_.devices[kDev + 2][0]));
  auto rec = store->get_trigger(id);
  ASSERT_TRUE(rec && *rec) << id;
  EXPECT_EQ((*rec)->trigger.kind, TriggerKind::Usage);
  EXPECT_EQ((*rec)->trigger.user, "CONTOSO\\b");
  EXPECT_EQ(std::get<double>((*rec)->trigger.attributes.at("usage.minutes")), 3000.0);

  options_.state_path = tmp_.path() / "lost" / "usage.db";
  auto b = make(submit);
  ASSERT_TRUE(drive(*b, [&] { return b->stats().passes == 1; }));
  EXPECT_EQ(b->stats().triggers_sent, 6U);
  EXPECT_EQ(b->stats().triggers_duplicate, 6U);
  finish(*b);
  gc.stop();
}

}  // namespace
}  // namespace uda
