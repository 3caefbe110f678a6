#include "providers/simulated/faults.hpp"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "providers/simulated/wmi_codes.hpp"
#include "test_support.hpp"

namespace uda {
namespace {

using test::FakeTime;

FaultTarget target(std::uint32_t id = 16777220, std::string user = "CONTOSO\\jdoe") {
  return {id, "WKS-0001", std::move(user)};
}

FaultOptions mixed(std::uint64_t seed) {
  FaultOptions o;
  o.seed = seed;
  o.latency = Millis(50);
  o.latency_jitter = Millis(20);
  o.transient_error_rate = 0.2;
  o.permanent_error_rate = 0.1;
  o.ambiguous_rate = 0.05;
  return o;
}

std::vector<FaultDecision> run(FaultInjector& f, int n) {
  std::vector<FaultDecision> out;
  for (int i = 0; i < n; ++i) out.push_back(f.next(target()));
  return out;
}

TEST(SimulatedFaults, SameSeedGivesTheSameSequence) {
  FakeTime time;
  FaultInjector a(mixed(42), time);
  FaultInjector b(mixed(42), time);
  FaultInjector c(mixed(43), time);
  const auto sa = run(a, 1000);
  const auto sb = run(b, 1000);
  const auto sc = run(c, 1000);
  EXPECT_EQ(sa, sb);
  EXPECT_NE(sa, sc);
  EXPECT_EQ(a.seed(), 42U);
}

TEST(SimulatedFaults, DecisionDependsOnlyOnTheCallIndex) {
  // Forced failures for some calls must not shift the random sequence of the others.
  FakeTime time;
  auto opts = mixed(7);
  opts.fail_users = {"CONTOSO\\locked"};
  FaultInjector plain(mixed(7), time);
  FaultInjector forced(opts, time);
  for (int i = 0; i < 200; ++i) {
    const auto p = plain.next(target());
    const auto f = forced.next(target(16777220, i % 3 == 0 ? "CONTOSO\\locked" : "CONTOSO\\jdoe"));
    if (i % 3 == 0) {
      EXPECT_EQ(f.kind, FaultKind::ForcedUser);
      EXPECT_EQ(f.latency, p.latency);
    } else {
      EXPECT_EQ(f, p) << i;
    }
  }
}

TEST(SimulatedFaults, RatesAreRoughlyHonoured) {
  FakeTime time;
  FaultInjector f(mixed(2024), time);
  std::map<FaultKind, int> kinds;
  std::set<std::uint32_t> transient_codes;
  Millis min_latency(1'000'000);
  Millis max_latency(0);
  for (int i = 0; i < 10'000; ++i) {
    const auto d = f.next(target());
    ++kinds[d.kind];
    min_latency = std::min(min_latency, d.latency);
    max_latency = std::max(max_latency, d.latency);
    switch (d.kind) {
      case FaultKind::Transient:
        EXPECT_TRUE(wmi::is_transient(d.code)) << std::hex << d.code;
        EXPECT_NE(d.code, wmi::kRpcCallFailed) << "0x800706BE is reserved for ambiguous";
        transient_codes.insert(d.code);
        break;
      case FaultKind::Permanent:
        EXPECT_EQ(d.code, wmi::kAccessDenied);
        break;
      case FaultKind::Ambiguous:
        EXPECT_EQ(d.code, wmi::kRpcCallFailed);
        break;
      case FaultKind::None:
        EXPECT_EQ(d.code, 0U);
        break;
      default:
        ADD_FAILURE() << "unexpected " << to_string(d.kind);
    }
  }
  // Expected 2000 / 1000 / 500 / 6500; bounds are many standard deviations wide.
  EXPECT_GT(kinds[FaultKind::Transient], 1700);
  EXPECT_LT(kinds[FaultKind::Transient], 2300);
  EXPECT_GT(kinds[FaultKind::Permanent], 800);
  EXPECT_LT(kinds[FaultKind::Permanent], 1200);
  EXPECT_GT(kinds[FaultKind::Ambiguous], 350);
  EXPECT_LT(kinds[FaultKind::Ambiguous], 650);
  EXPECT_GT(kinds[FaultKind::None], 6100);
  EXPECT_LT(kinds[FaultKind::None], 6900);
  EXPECT_GE(transient_codes.size(), 3U) << "several transient codes are used";
  EXPECT_TRUE(transient_codes.contains(wmi::kRpcServerUnavailable));
  EXPECT_GE(min_latency, Millis(50));
  EXPECT_LE(max_latency, Millis(70));
  EXPECT_LT(min_latency, Millis(52)) << "jitter spreads over its range";
  EXPECT_GT(max_latency, Millis(68));
}

TEST(SimulatedFaults, NoOptionsMeansNoFaultsAndNoLatency) {
  FakeTime time;
  FaultOptions o;
  EXPECT_TRUE(o.none());
  FaultInjector f(o, time);
  for (int i = 0; i < 1000; ++i) {
    const auto d = f.next(target());
    ASSERT_EQ(d.kind, FaultKind::None);
    ASSERT_EQ(d.latency, Millis(0));
  }
  EXPECT_FALSE(mixed(1).none());
}

TEST(SimulatedFaults, RateOneAlwaysFails) {
  FakeTime time;
  FaultOptions o;
  o.seed = 1;
  o.transient_error_rate = 1.0;
  FaultInjector f(o, time);
  for (int i = 0; i < 500; ++i) ASSERT_EQ(f.next(target()).kind, FaultKind::Transient);
}

TEST(SimulatedFaults, OutageWindowsFollowTheTimeSource) {
  FakeTime time;
  FaultOptions o;
  o.seed = 3;
  o.outages = {{Millis(10'000), Millis(30'000)}, {Millis(100'000), Millis(1'000)}};
  FaultInjector f(o, time);  // windows count from now
  EXPECT_EQ(f.next(target()).kind, FaultKind::None);
  time.advance(Millis(9'999));
  EXPECT_EQ(f.next(target()).kind, FaultKind::None);
  time.advance(Millis(1));  // 10 s
  auto d = f.next(target());
  EXPECT_EQ(d.kind, FaultKind::Outage);
  EXPECT_EQ(d.code, wmi::kRpcServerUnavailable);
  EXPECT_NE(d.message.find("outage"), std::string::npos);
  time.advance(Millis(29'999));  // 39.999 s
  EXPECT_EQ(f.next(target()).kind, FaultKind::Outage);
  EXPECT_EQ(f.next({std::nullopt, "LAB-01", {}}).kind, FaultKind::Outage) << "reads too";
  time.advance(Millis(1));  // 40 s: over
  EXPECT_EQ(f.next(target()).kind, FaultKind::None);
  time.advance(Millis(60'500));  // 100.5 s: second window
  EXPECT_EQ(f.next(target()).kind, FaultKind::Outage);
  time.advance(Millis(500));
  EXPECT_EQ(f.next(target()).kind, FaultKind::None);
}

TEST(SimulatedFaults, ForcedFailuresForUsersAndMachines) {
  FakeTime time;
  FaultOptions o;
  o.seed = 5;
  o.fail_users = {"contoso\\LOCKED"};
  o.fail_machines = {"16777230", "kiosk-0001"};
  FaultInjector f(o, time);
  auto u = f.next(target(16777220, "CONTOSO\\locked"));
  EXPECT_EQ(u.kind, FaultKind::ForcedUser);
  EXPECT_EQ(u.code, wmi::kAccessDenied);
  EXPECT_NE(u.message.find("CONTOSO\\locked"), std::string::npos);
  EXPECT_EQ(f.next({16777230, "", "CONTOSO\\jdoe"}).kind, FaultKind::ForcedMachine);
  EXPECT_EQ(f.next({16777231, "KIOSK-0001", "CONTOSO\\jdoe"}).kind, FaultKind::ForcedMachine);
  EXPECT_EQ(f.next({std::nullopt, "Kiosk-0001", {}}).kind, FaultKind::ForcedMachine);
  EXPECT_EQ(f.next({16777231, "WKS-0001", "CONTOSO\\jdoe"}).kind, FaultKind::None);
  EXPECT_EQ(f.next({std::nullopt, "", {}}).kind, FaultKind::None);
}

}  // namespace
}  // namespace uda
