// The usage-threshold poller in the real agent against the simulated site:
// console usage rows become `usage` triggers, the shipped rules make a
// primary user (SourceId 4) of those at >= 2880 minutes within 30 days, and
// the watermarks keep a restarted agent from sending unchanged rows again.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <fstream>
#include <map>
#include <sstream>

#include "agent_harness.hpp"
#include "site_reader.hpp"

namespace uda::test {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

std::string iso_days_ago(int days) {
  const auto t = std::chrono::system_clock::now() - std::chrono::hours(24 * days);
  const std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void exec_sql(const fs::path& db_path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(db_path.c_str(), &db), SQLITE_OK);
  sqlite3_busy_timeout(db, 5000);
  char* err = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  EXPECT_EQ(rc, SQLITE_OK) << (err != nullptr ? err : "") << "\n" << sql;
  sqlite3_free(err);
  sqlite3_close(db);
}

std::map<std::string, json> jobs_by_user(const AgentHarness& h) {
  std::map<std::string, json> m;
  for (const auto& j : h.jobs()) m[j["user"].get<std::string>()] = j;
  return m;
}

TEST(UsagePoller, RowsAboveTheThresholdBecomePrimaryUsersOnceAndRestartsDoNotResend) {
  AgentHarness h("usage");
  // The integration site plus console usage, dated from today.
  std::string site = read_text(h.dir() / "site.yaml");
  const auto users = site.find("users:\n");
  ASSERT_NE(users, std::string::npos);
  site.insert(users + 7, "  - {name: 'CONTOSO\\svc_backup'}\n");
  site += "usage:\n";
  site +=
      "  - {resource_id: 16777220, user: 'CONTOSO\\user001', minutes: 3000, logons: 20, "
      "last_use: " +
      iso_days_ago(2) + "}\n";
  site +=
      "  - {resource_id: 16777221, user: 'CONTOSO\\user002', minutes: 1000, logons: 5, "
      "last_use: " +
      iso_days_ago(1) + "}\n";
  site +=
      "  - {resource_id: 16777222, user: 'CONTOSO\\user003', minutes: 5000, logons: 40, "
      "last_use: " +
      iso_days_ago(60) + "}\n";
  site +=
      "  - {resource_id: 16777223, user: 'CONTOSO\\user004', minutes: 2900, logons: 12, "
      "last_use: " +
      iso_days_ago(3) + "}\n";
  site +=
      "  - {resource_id: 16777224, user: 'CONTOSO\\svc_backup', minutes: 9000, logons: 90, "
      "last_use: " +
      iso_days_ago(1) + "}\n";
  site +=
      "  - {resource_id: 16777225, user: 'CONTOSO\\user006', minutes: 2880, logons: 9, "
      "last_use: " +
      iso_days_ago(0) + "}\n";
  h.write_file("site.yaml", site);
  // Three pages of two devices; an hour between passes.
  h.set_sections("usage:\n  interval: 1h\n  page_size: 2\n  max_queries_per_minute: 1000\n");
  h.write_config();
  h.start();
  ASSERT_TRUE(AgentHarness::wait_for([&] {
    return h.log_count("usage: pass outcome=complete") > 0;
  })) << h.log();
  ASSERT_TRUE(AgentHarness::wait_for([&] { return h.all_triggers_terminal(6); })) << h.log();

  auto triggers = h.triggers();
  ASSERT_EQ(triggers.size(), 6U) << triggers.dump(1);
  for (const auto& t : triggers) {
    EXPECT_EQ(t["kind"], "usage") << t.dump();
    EXPECT_EQ(t["origin"], "usage-poller") << t.dump();
    EXPECT_EQ(t["id"].get<std::string>().rfind("usage-", 0), 0U) << t.dump();
  }
  auto jobs = jobs_by_user(h);
  ASSERT_EQ(jobs.size(), 3U) << h.jobs().dump(1);
  for (const auto* u : {"CONTOSO\\user001", "CONTOSO\\user004", "CONTOSO\\user006"}) {
    ASSERT_EQ(jobs.count(u), 1U) << u;
    EXPECT_EQ(jobs[u]["state"], "done") << jobs[u].dump();
    EXPECT_EQ(jobs[u]["source_id"], 4) << jobs[u].dump();
    EXPECT_EQ(jobs[u]["rule"], "usage-threshold") << jobs[u].dump();
  }
  // Below the threshold, stale, a service account: skipped, each with a reason.
  EXPECT_EQ(h.log_count("rule=usage-below-threshold"), 2U) << h.log();
  EXPECT_EQ(h.log_count("service account"), 1U) << h.log();
  EXPECT_EQ(h.stop(SIGTERM), 0);
  EXPECT_TRUE(fs::exists(h.dir() / "var/usage-poller.db"));

  // An hour later (the pass is dated back), user001 has used the device more;
  // the rest is unchanged. The restarted agent sends only the changed row.
  exec_sql(h.dir() / "var/usage-poller.db",
           "UPDATE pass SET started_at_ms = started_at_ms - 7200000");
  exec_sql(h.dir() / "var/site.db",
           "UPDATE console_usage SET minutes = 3300, logons = 22 WHERE resource_id = 16777220");
  h.start();
  ASSERT_TRUE(AgentHarness::wait_for([&] {
    return h.log_count("usage: pass outcome=complete") >= 2;
  })) << h.log();
  ASSERT_TRUE(AgentHarness::wait_for([&] { return h.all_triggers_terminal(7); })) << h.log();
  EXPECT_EQ(h.triggers().size(), 7U);
  EXPECT_EQ(h.stop(SIGTERM), 0);

  // The second trigger for user001 found its relationship already made: one
  // effect on the site for each primary user.
  SiteReader reader(h.dir() / "var/site.db");
  EXPECT_EQ(reader.effects_for(16777220, "CONTOSO\\user001", 4), 1);
  EXPECT_EQ(reader.effects_for(16777223, "CONTOSO\\user004", 4), 1);
  EXPECT_EQ(reader.effects_for(16777225, "CONTOSO\\user006", 4), 1);
  EXPECT_EQ(reader.effects_for(16777221, "CONTOSO\\user002", 4), 0);
}

}  // namespace
}  // namespace uda::test
