#include "providers/simulated/simulated_provider.hpp"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <sstream>
#include <thread>

#include "log_capture.hpp"
#include "providers/simulated/wmi_codes.hpp"
#include "test_support.hpp"

namespace uda {
namespace {

using test::FakeTime;

// Runs one awaitable to completion on `io` (single thread: this one).
template <class T>
T run(asio::io_context& io, Awaitable<T> a) {
  std::optional<T> out;
  asio::co_spawn(io, std::move(a), [&](std::exception_ptr e, T v) {
    if (e) std::rethrow_exception(e);
    out = std::move(v);
  });
  io.restart();
  io.run();
  EXPECT_TRUE(out.has_value());
  return std::move(*out);
}

RelationshipRequest request(std::uint32_t machine, std::string user,
                            SourceId source = SourceId::Osd, std::string trigger = "t-1") {
  RelationshipRequest r;
  r.machine_resource_id = machine;
  r.user_account_name = std::move(user);
  r.source = source;
  r.trigger_id = std::move(trigger);
  return r;
}

std::unique_ptr<SimulatedProvider> make(const TimeSource& time, FaultOptions faults = {},
                                        const std::string& fixture = "small.yaml") {
  auto site = SimulatedSite::open({}, test::fixture(fixture), time);
  EXPECT_TRUE(site) << site.error().message;
  if (!faults.seed) faults.seed = 1;
  return std::make_unique<SimulatedProvider>(std::move(*site), std::move(faults), time);
}

using test::LogCapture;

TEST(SimulatedProvider, CreatesAndReportsExisting) {
  FakeTime time;
  asio::io_context io;
  auto p = make(time);
  EXPECT_EQ(p->name(), "simulated");
  auto r = run(io, p->create_relationship(request(16777220, "CONTOSO\\jdoe")));
  EXPECT_EQ(r.status.outcome, CallOutcome::Ok) << r.status.detail;
  EXPECT_FALSE(r.already_existed);
  auto again = run(io, p->create_relationship(request(16777220, "contoso\\jdoe")));
  EXPECT_EQ(again.status.outcome, CallOutcome::Ok);
  EXPECT_TRUE(again.already_existed);

  auto f = run(io, p->find_relationship(16777220, "CONTOSO\\JDOE"));
  EXPECT_EQ(f.status.outcome, CallOutcome::Ok);
  ASSERT_TRUE(f.relationship);
  EXPECT_TRUE(f.relationship->has_source(SourceId::Osd));
}

TEST(SimulatedProvider, SiteErrorsPassThroughWithTheirCode) {
  FakeTime time;
  asio::io_context io;
  auto p = make(time);
  auto r = run(io, p->create_relationship(request(16777299, "CONTOSO\\jdoe")));
  EXPECT_EQ(r.status.outcome, CallOutcome::Fail);
  EXPECT_EQ(r.status.detail, "0x80041002 WBEM_E_NOT_FOUND: no device with ResourceID 16777299");
  auto upn = run(io, p->create_relationship(request(16777220, "jdoe@contoso.com")));
  EXPECT_EQ(upn.status.outcome, CallOutcome::Fail);
  EXPECT_EQ(upn.status.detail.rfind("0x80041008 WBEM_E_INVALID_PARAMETER:", 0), 0U);
  auto type = request(16777220, "CONTOSO\\jdoe");
  type.type = static_cast<TypeId>(2);
  auto t = run(io, p->create_relationship(type));
  EXPECT_EQ(t.status.outcome, CallOutcome::Fail);
  EXPECT_NE(t.status.detail.find("TypeId 2"), std::string::npos);
}

TEST(SimulatedProvider, ResolveMachine) {
  FakeTime time;
  asio::io_context io;
  auto p = make(time);
  auto one = run(io, p->resolve_machine("WKS-0002"));
  EXPECT_EQ(one.status.outcome, CallOutcome::Ok);
  EXPECT_EQ(one.resource_id, std::optional<std::uint32_t>(16777221));
  auto none = run(io, p->resolve_machine("NOPE"));
  EXPECT_EQ(none.status.outcome, CallOutcome::Ok);
  EXPECT_FALSE(none.resource_id);
  auto amb = run(io, p->resolve_machine("lab-01"));
  EXPECT_EQ(amb.status.outcome, CallOutcome::Fail);
  EXPECT_NE(amb.status.detail.find("ambiguous name"), std::string::npos);
}

TEST(SimulatedProvider, AmbiguousFailureAppliesTheEffectThenAsksForARetry) {
  FakeTime time;
  asio::io_context io;
  FaultOptions f;
  f.ambiguous_rate = 1.0;
  auto p = make(time, f);
  auto r =
      run(io, p->create_relationship(request(16777220, "CONTOSO\\jdoe", SourceId::Osd, "amb")));
  EXPECT_EQ(r.status.outcome, CallOutcome::Retry);
  EXPECT_TRUE(r.status.ambiguous);
  EXPECT_EQ(r.status.detail.rfind("0x800706BE RPC_S_CALL_FAILED:", 0), 0U) << r.status.detail;
  // The effect is there.
  auto found = p->site().find_relationship(16777220, "CONTOSO\\jdoe");
  ASSERT_TRUE(found.relationship);
  auto effects = p->site().effects();
  ASSERT_TRUE(effects);
  ASSERT_EQ(effects->size(), 1U);
  EXPECT_EQ(effects->front().trigger_id, "amb");
  EXPECT_EQ(effects->front().effect, EffectKind::Created);
  // A read under the same fault is a plain transient failure (nothing could have run).
  auto read = run(io, p->find_relationship(16777220, "CONTOSO\\jdoe"));
  EXPECT_EQ(read.status.outcome, CallOutcome::Retry);
  EXPECT_FALSE(read.status.ambiguous);
  // A rejected call stays a rejection: nothing ran.
  auto bad = run(io, p->create_relationship(request(16777299, "CONTOSO\\jdoe")));
  EXPECT_EQ(bad.status.outcome, CallOutcome::Fail);
}

TEST(SimulatedProvider, TransientAndPermanentFaultsApplyNothing) {
  FakeTime time;
  asio::io_context io;
  FaultOptions t;
  t.transient_error_rate = 1.0;
  auto pt = make(time, t);
  for (int i = 0; i < 20; ++i) {
    auto r = run(io, pt->create_relationship(request(16777220, "CONTOSO\\jdoe")));
    ASSERT_EQ(r.status.outcome, CallOutcome::Retry);
    EXPECT_FALSE(r.status.ambiguous);
    EXPECT_EQ(r.status.detail.rfind("0x8", 0), 0U);
  }
  EXPECT_TRUE(pt->site().effects()->empty());

  FaultOptions perm;
  perm.permanent_error_rate = 1.0;
  auto pp = make(time, perm);
  auto r = run(io, pp->create_relationship(request(16777220, "CONTOSO\\jdoe")));
  EXPECT_EQ(r.status.outcome, CallOutcome::Fail);
  EXPECT_EQ(r.status.detail.rfind("0x80041003 WBEM_E_ACCESS_DENIED:", 0), 0U) << r.status.detail;
  EXPECT_TRUE(pp->site().effects()->empty());
}

TEST(SimulatedProvider, OutageThenRecovery) {
  FakeTime time;
  asio::io_context io;
  FaultOptions f;
  f.outages = {{Millis(0), Millis(2'000)}};
  auto p = make(time, f);
  auto down = run(io, p->create_relationship(request(16777220, "CONTOSO\\jdoe")));
  EXPECT_EQ(down.status.outcome, CallOutcome::Retry);
  EXPECT_EQ(down.status.detail.rfind("0x800706BA RPC_S_SERVER_UNAVAILABLE:", 0), 0U);
  auto down_read = run(io, p->resolve_machine("WKS-0001"));
  EXPECT_EQ(down_read.status.outcome, CallOutcome::Retry);
  time.advance(Millis(2'000));
  auto up = run(io, p->create_relationship(request(16777220, "CONTOSO\\jdoe")));
  EXPECT_EQ(up.status.outcome, CallOutcome::Ok) << up.status.detail;
}

TEST(SimulatedProvider, FailListsForceAccessDenied) {
  FakeTime time;
  asio::io_context io;
  FaultOptions f;
  f.fail_users = {"CONTOSO\\asmith"};
  f.fail_machines = {"KIOSK-01"};
  auto p = make(time, f);
  auto u = run(io, p->create_relationship(request(16777220, "contoso\\ASMITH")));
  EXPECT_EQ(u.status.outcome, CallOutcome::Fail);
  EXPECT_EQ(u.status.detail.rfind("0x80041003", 0), 0U);
  auto m = run(io, p->create_relationship(request(16777225, "CONTOSO\\jdoe")));  // KIOSK-01 by id
  EXPECT_EQ(m.status.outcome, CallOutcome::Fail);
  auto ok = run(io, p->create_relationship(request(16777220, "CONTOSO\\jdoe")));
  EXPECT_EQ(ok.status.outcome, CallOutcome::Ok) << ok.status.detail;
}

TEST(SimulatedProvider, LogsOneLinePerCallWithoutNoise) {
  LogCapture log;
  FakeTime time;
  asio::io_context io;
  auto p = make(time);
  run(io, p->create_relationship(request(16777299, "CONTOSO\\jdoe", SourceId::Osd, "trig-42")));
  const auto text = log.text();
  EXPECT_NE(text.find("CreateRelationship trigger=trig-42 machine=16777299 user=\"CONTOSO\\jdoe\" "
                      "source=6 type=1 outcome=fail code=0x80041002"),
            std::string::npos)
      << text;
  std::size_t lines = 0;
  for (auto pos = text.find("CreateRelationship"); pos != std::string::npos;
       pos = text.find("CreateRelationship", pos + 1)) {
    ++lines;
  }
  EXPECT_EQ(lines, 1U);
}

// 32 calls with 50 ms latency on a single-threaded io_context: all of them
// must be waiting at the same time (the latency is a timer, not a sleep).
TEST(SimulatedProvider, ConcurrentCallsShareTheIoThread) {
  FakeTime time;
  asio::io_context io;
  FaultOptions f;
  f.latency = Millis(50);
  auto p = make(time, f, "generated.yaml");
  constexpr int kCalls = 32;
  int started = 0;
  int finished = 0;
  int in_flight = 0;
  int max_in_flight = 0;
  int ok = 0;
  bool other_thread = false;
  const auto me = std::this_thread::get_id();
  for (int i = 0; i < kCalls; ++i) {
    asio::co_spawn(
        io,
        [&, i]() -> Awaitable<void> {
          ++started;
          max_in_flight = std::max(max_in_flight, ++in_flight);
          auto r = co_await p->create_relationship(request(static_cast<std::uint32_t>(16777300 + i),
                                                           "CONTOSO\\user002", SourceId::Osd,
                                                           "c-" + std::to_string(i)));
          --in_flight;
          ++finished;
          ok += r.status.outcome == CallOutcome::Ok ? 1 : 0;
          other_thread = other_thread || std::this_thread::get_id() != me;
        },
        asio::detached);
  }
  // Run everything that is ready without waiting: every call starts and then
  // waits on its timer; none can have finished (nothing blocked the thread).
  io.poll();
  EXPECT_EQ(started, kCalls);
  EXPECT_EQ(finished, 0);
  EXPECT_EQ(in_flight, kCalls);
  io.run();
  EXPECT_EQ(finished, kCalls);
  EXPECT_EQ(max_in_flight, kCalls);
  EXPECT_EQ(ok, kCalls);
  EXPECT_FALSE(other_thread);
  auto effects = p->site().effects();
  ASSERT_TRUE(effects);
  EXPECT_EQ(effects->size(), static_cast<std::size_t>(kCalls));
}

TEST(SimulatedProvider, CreateFromOptionsKeepsStateAcrossRestarts) {
  test::TempDir dir;
  FakeTime time;
  asio::io_context io;
  SimulatedOptions o;
  o.fixture = test::data_path("tests/data/sites/small.yaml");
  o.state_path = dir.path() / "var/site.db";
  {
    auto p = SimulatedProvider::create(o, time);
    ASSERT_TRUE(p) << p.error().message;
    auto r = run(io, (*p)->create_relationship(request(16777220, "CONTOSO\\jdoe")));
    ASSERT_EQ(r.status.outcome, CallOutcome::Ok);
  }
  auto p = SimulatedProvider::create(o, time);
  ASSERT_TRUE(p) << p.error().message;
  auto r = run(io, (*p)->create_relationship(request(16777220, "CONTOSO\\jdoe")));
  EXPECT_TRUE(r.already_existed);
  auto reader = SimulatedSite::open_read_only(o.state_path);
  ASSERT_TRUE(reader) << reader.error().message;
  EXPECT_EQ(*(*reader)->effect_count(16777220, "CONTOSO\\jdoe", 6), 1);

  o.fixture = dir.path() / "missing.yaml";
  auto bad = SimulatedProvider::create(o, time);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("cannot open"), std::string::npos);
}

TEST(SimulatedProvider, SameSeedSameOutcomes) {
  FakeTime time;
  asio::io_context io;
  FaultOptions f;
  f.seed = 99;
  f.transient_error_rate = 0.5;
  auto a = make(time, f);
  auto b = make(time, f);
  std::vector<CallOutcome> oa;
  std::vector<CallOutcome> ob;
  for (int i = 0; i < 50; ++i) {
    oa.push_back(
        run(io, a->create_relationship(request(16777220, "CONTOSO\\jdoe"))).status.outcome);
    ob.push_back(
        run(io, b->create_relationship(request(16777220, "CONTOSO\\jdoe"))).status.outcome);
  }
  EXPECT_EQ(oa, ob);
  EXPECT_NE(std::count(oa.begin(), oa.end(), CallOutcome::Retry), 0);
  EXPECT_NE(std::count(oa.begin(), oa.end(), CallOutcome::Ok), 0);
}

// ---- resolve_user and console_usage ----

TEST(SimulatedProvider, ResolveUser) {
  FakeTime time;
  asio::io_context io;
  auto p = make(time);
  const std::string upn = "JDOE@contoso.com";
  auto one = run(io, p->resolve_user(upn));
  EXPECT_EQ(one.status.outcome, CallOutcome::Ok) << one.status.detail;
  EXPECT_EQ(one.unique_user_name, std::optional<std::string>("CONTOSO\\jdoe"));
  const std::string nobody = "nobody@contoso.com";
  auto none = run(io, p->resolve_user(nobody));
  EXPECT_EQ(none.status.outcome, CallOutcome::Ok);
  EXPECT_FALSE(none.unique_user_name);
}

TEST(SimulatedProvider, ConsoleUsagePages) {
  FakeTime time;
  asio::io_context io;
  auto p = make(time);
  std::vector<std::size_t> sizes;
  std::uint32_t after = 0;
  for (bool more = true; more && sizes.size() < 10;) {
    auto page = run(io, p->console_usage(after, 2));
    ASSERT_EQ(page.status.outcome, CallOutcome::Ok) << page.status.detail;
    sizes.push_back(page.rows.size());
    more = page.more;
    if (!page.rows.empty()) after = page.rows.back().resource_id;
  }
  EXPECT_EQ(sizes, (std::vector<std::size_t>{3, 2, 1}));
  auto first = run(io, p->console_usage(0, 1));
  ASSERT_EQ(first.rows.size(), 2U);
  EXPECT_EQ(first.rows[1].system_console_user, "CONTOSO\\jdoe");
  EXPECT_DOUBLE_EQ(first.rows[1].total_console_minutes, 3120);
  EXPECT_EQ(first.rows[1].console_logons, 14);
  EXPECT_EQ(first.rows[1].last_console_use, parse_iso8601("2026-11-20T08:12:00Z"));
  auto zero = run(io, p->console_usage(0, 0));
  EXPECT_EQ(zero.status.outcome, CallOutcome::Fail);

  // Usage changes over time through the site.
  ASSERT_TRUE(p->site().upsert_usage({16777227, "CONTOSO\\asmith", 2881, 4, std::nullopt}));
  auto later = run(io, p->console_usage(16777226, 10));
  ASSERT_EQ(later.rows.size(), 1U);
  EXPECT_EQ(later.rows[0].resource_id, 16777227U);
}

TEST(SimulatedProvider, ReadsUnderFaultsFailPlainlyAndTransiently) {
  FakeTime time;
  asio::io_context io;
  const std::string upn = "jdoe@contoso.com";
  for (const auto kind : {FaultKind::Transient, FaultKind::Ambiguous, FaultKind::Outage}) {
    FaultOptions f;
    if (kind == FaultKind::Transient) f.transient_error_rate = 1.0;
    if (kind == FaultKind::Ambiguous) f.ambiguous_rate = 1.0;
    if (kind == FaultKind::Outage) f.outages = {{Millis(0), Millis(1'000)}};
    auto p = make(time, f);
    auto u = run(io, p->resolve_user(upn));
    EXPECT_EQ(u.status.outcome, CallOutcome::Retry) << to_string(kind);
    EXPECT_FALSE(u.status.ambiguous) << to_string(kind);
    EXPECT_FALSE(u.unique_user_name);
    auto c = run(io, p->console_usage(0, 10));
    EXPECT_EQ(c.status.outcome, CallOutcome::Retry) << to_string(kind);
    EXPECT_FALSE(c.status.ambiguous) << to_string(kind);
    EXPECT_TRUE(c.rows.empty());
    EXPECT_FALSE(c.more);
  }
  FaultOptions perm;
  perm.permanent_error_rate = 1.0;
  auto p = make(time, perm);
  auto c = run(io, p->console_usage(0, 10));
  EXPECT_EQ(c.status.outcome, CallOutcome::Fail);
  EXPECT_EQ(c.status.detail.rfind("0x80041003 WBEM_E_ACCESS_DENIED:", 0), 0U) << c.status.detail;
}

TEST(SimulatedProvider, ReadsTakeTheConfiguredLatency) {
  FakeTime time;
  asio::io_context io;
  FaultOptions f;
  f.latency = Millis(40);
  auto p = make(time, f);
  const std::string upn = "jdoe@contoso.com";
  const auto start = std::chrono::steady_clock::now();
  run(io, p->resolve_user(upn));
  run(io, p->console_usage(0, 1));
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(80));
}

TEST(SimulatedProvider, ReadsLogOneDebugLineEach) {
  LogCapture log;
  FakeTime time;
  asio::io_context io;
  auto p = make(time);
  const std::string upn = "asmith@contoso.com";
  run(io, p->resolve_user(upn));
  run(io, p->console_usage(0, 1));
  const auto text = log.text();
  // The name the site returned is outside text: escaped inside its quotes.
  EXPECT_NE(text.find("ResolveUser upn=\"asmith@contoso.com\" outcome=ok code=0x00000000 "
                      "user=\"CONTOSO\\\\asmith\""),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("ConsoleUsage after=0 limit=1 outcome=ok code=0x00000000 rows=2 more=true"),
            std::string::npos)
      << text;
}

}  // namespace
}  // namespace uda
