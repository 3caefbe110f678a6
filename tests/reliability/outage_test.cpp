// A provider outage: the simulated site fails every call for a window
// (provider.simulated.outages). The circuit breaker must open, the calls made
// during the outage must stay few (no hot loop), intake must keep accepting,
// and after the site recovers the backlog must drain with nothing
// dead-lettered and every relationship created exactly once.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <thread>

#include "agent_harness.hpp"
#include "http_client.hpp"
#include "site_reader.hpp"
#include "sqlite_audit.hpp"

namespace uda::test::outage {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr int kBacklog = 120;      // queued before the agent starts
constexpr int kDuringOutage = 40;  // posted over HTTP while the site is down
constexpr int kOutageMs = 6000;    // outages: [{start: 0s, duration: 6s}]
constexpr int kConcurrency = 8;    // AgentHarness's dispatcher.concurrency
constexpr int kFailureThreshold = 5;
constexpr int kOpenForMs = 250;
constexpr int kMaxAttempts = 10;
// Calls the site may see during the outage: those in flight when the breaker
// opens, the failures that open it, and at most one probe per open period
// (open_for, doubling). Without a breaker, 160 jobs retrying with a 200 ms
// backoff cap would make thousands.
constexpr int kOutageCallBound = kConcurrency + kFailureThreshold + kOutageMs / kOpenForMs + 3;

json osd(const std::string& id, int i) {
  return {{"id", id},
          {"kind", "osd"},
          {"machine", {{"resource_id", 16777220 + i % 40}}},
          {"user", user(i / 40 + 1)}};
}

TEST(ProviderOutage, BreakerOpensCallsStayBoundedAndTheBacklogDrains) {
  AgentHarness h("outage");
  h.set_sections("http:\n  listen: 127.0.0.1:0\n  allow_anonymous: true\n");
  h.write_config("seed: 11\nlatency: 20ms\noutages: [{start: 0s, duration: 6s}]\n",
                 "max_attempts: 10\n"
                 "circuit_breaker: {failure_threshold: 5, open_for: 250ms, max_open_for: 1s}\n");
  json backlog = json::array();
  for (int i = 0; i < kBacklog; ++i) backlog.push_back(osd("backlog-" + std::to_string(i), i));
  h.write_file("backlog.json", backlog.dump());
  const auto submitted = h.cli({"submit", "--direct", "--file", "backlog.json"});
  ASSERT_EQ(submitted.exit_code, 0) << submitted.err;

  const auto launched = Clock::now();  // the outage starts when the provider is created
  h.start();
  ASSERT_TRUE(h.running());
  const auto url = h.http_url();
  ASSERT_FALSE(url.empty()) << h.log();

  // Intake does not depend on the site: triggers posted during the outage
  // are acknowledged as usual.
  for (int r = 0; r < kDuringOutage / 10; ++r) {
    json batch = json::array();
    for (int i = 0; i < 10; ++i) {
      const int n = kBacklog + r * 10 + i;
      batch.push_back(osd("outage-" + std::to_string(n), n));
    }
    const auto reply =
        http_request(url, "POST", "/v1/triggers", {{"Content-Type", "application/json"}},
                     batch.dump(), std::chrono::seconds(10));
    ASSERT_EQ(reply.error, HttpError::None) << to_string(reply.error);
    EXPECT_EQ(reply.status, 202) << reply.body;
  }

  // Watch the breaker through the metrics while the site is down.
  bool metrics_open = false;
  bool health_not_closed = false;
  while (Clock::now() < launched + milliseconds(kOutageMs)) {
    const auto m = http_request(url, "GET", "/metrics", {}, "", std::chrono::seconds(5));
    if (m.status == 200 &&
        m.body.find("uda_provider_breaker_state{state=\"open\"} 1") != std::string::npos) {
      metrics_open = true;
    }
    const auto hz = http_request(url, "GET", "/healthz", {}, "", std::chrono::seconds(5));
    const auto doc = json::parse(hz.body, nullptr, false);
    if (doc.is_object() && doc.contains("provider") &&
        doc["provider"].value("breaker", "closed") != "closed") {
      health_not_closed = true;
    }
    std::this_thread::sleep_for(milliseconds(100));
  }

  ASSERT_TRUE(AgentHarness::wait_for(
      [&] { return h.all_triggers_terminal(kBacklog + kDuringOutage); }, std::chrono::seconds(40)))
      << "the backlog did not drain after the outage";
  EXPECT_EQ(h.stop(SIGTERM), 0);
  const auto outage_calls = h.log_count("fault=outage");

  EXPECT_GE(h.log_count("breaker provider=simulated state=open"), 1U)
      << "the breaker never opened during a " << kOutageMs << " ms outage";
  EXPECT_GE(h.log_count("state=closed (probe answered)"), 1U)
      << "the breaker never closed again after the outage";
  EXPECT_TRUE(metrics_open) << "/metrics never showed uda_provider_breaker_state{state=\"open\"} 1";
  EXPECT_TRUE(health_not_closed) << "/healthz never showed the breaker open or half-open";
  EXPECT_GE(outage_calls, static_cast<std::size_t>(kFailureThreshold))
      << "the outage was never seen by a call";
  EXPECT_LE(outage_calls, static_cast<std::size_t>(kOutageCallBound))
      << "hot loop: " << outage_calls << " calls reached the site during the " << kOutageMs
      << " ms outage (at most " << kOutageCallBound << " expected with the breaker)";

  SqliteFile store(h.dir() / "var/uda-agent.db");
  ASSERT_TRUE(store.ok());
  EXPECT_EQ(store.integrity_check(), "ok");
  EXPECT_EQ(store.count("SELECT count(*) FROM triggers"), kBacklog + kDuringOutage);
  EXPECT_EQ(store.count("SELECT count(*) FROM jobs WHERE state = 'done'"),
            kBacklog + kDuringOutage);
  EXPECT_EQ(store.count("SELECT count(*) FROM jobs WHERE state <> 'done'"), 0)
      << "jobs dead-lettered (or stuck) by an outage the breaker should have ridden out";
  EXPECT_LE(store.count("SELECT max(attempts) FROM jobs"), kMaxAttempts);
  const auto outage_attempts =
      store.count("SELECT count(*) FROM attempts WHERE detail LIKE '%simulated outage%'");
  EXPECT_LE(outage_attempts, kOutageCallBound);

  SiteReader site(h.dir() / "var/site.db");
  for (const auto& r :
       store.rows("SELECT machine_resource_id, user, trigger_id FROM jobs ORDER BY id")) {
    EXPECT_EQ(site.effects_for(static_cast<std::uint32_t>(std::stoll(*r[0])), *r[1], 6), 1)
        << "job for trigger " << *r[2];
  }
  std::printf(
      "[outage] calls during the %d ms outage: %zu (%.0f/min; bound %d); attempts failed by "
      "it: %lld; breaker opened %zu time(s)\n",
      kOutageMs, outage_calls, static_cast<double>(outage_calls) * 60000.0 / kOutageMs,
      kOutageCallBound, static_cast<long long>(outage_attempts),
      h.log_count("breaker provider=simulated state=open"));
}

}  // namespace
}  // namespace uda::test::outage
