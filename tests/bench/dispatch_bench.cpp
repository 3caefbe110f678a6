// Issue 6, item 7: dispatch against the simulated site.
//
// (a) every site call takes 50 ms (provider.simulated.latency), dispatcher
//     concurrency 32: calls/s against the theoretical 32 / 50 ms = 640 calls/s.
// (b) zero latency: jobs/s through claim -> call -> complete.
//
// N pending jobs are written into a fresh store through the JobStore API
// (bench_preload), each with its own device and user of a generated site
// (in memory: provider.simulated.state_path absent, so the site's own SQLite
// file costs nothing). The real uda-agent (release build) is then started
// and the run ends when every job is done. Throughput is measured from the
// store's own timestamps: the first attempt's start (its claim) to the last
// attempt's finish (its commit); the calls come from /metrics
// (uda_dispatch_calls_total). verify_before_create stays at its default
// (true): a job is two calls, find then CreateRelationship.
//
// Knobs: UDA_BENCH_DISPATCH_JOBS_50MS (3200), UDA_BENCH_DISPATCH_JOBS_0MS
// (20000), UDA_BENCH_DISPATCH_CONCURRENCY (32), UDA_BENCH_DISPATCH_TIMEOUT_S
// (300), UDA_BENCH_DISPATCH_CASES ("50ms,0ms").
// Prints one JSON object per case on stdout.

#include <chrono>
#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>

#include "bench_agent.hpp"
#include "bench_http_get.hpp"
#include "bench_preload.hpp"
#include "bench_report.hpp"
#include "bench_site.hpp"
#include "bench_store_query.hpp"

namespace uda::bench {
namespace {

nlohmann::json run_case(const std::string& name, int latency_ms, std::int64_t jobs, int concurrency,
                        long timeout_s) {
  BenchAgent agent("dispatch-" + name);
  // Enough devices x users for distinct keys.
  const BenchSite site{1000, std::max<std::int64_t>(1, (jobs + 999) / 1000)};
  agent.write_file("site.yaml", site.fixture_yaml());
  {
    std::ifstream in(source_dir() / "rules/default.yaml", std::ios::binary);
    agent.write_file("rules.yaml", std::string(std::istreambuf_iterator<char>(in), {}));
  }
  const auto fill = preload_jobs(agent.store_path(), site, 0, jobs);
  std::fprintf(stderr, "dispatch[%s]: %lld pending jobs written in %.1f s\n", name.c_str(),
               static_cast<long long>(fill.jobs), fill.seconds);
  agent.write_file("uda-agent.yaml",
                   "store:\n  path: var/uda-agent.db\n"
                   "rules:\n  path: rules.yaml\n"
                   "provider:\n  type: simulated\n  simulated:\n    fixture: site.yaml\n"
                   "    latency: " +
                       std::to_string(latency_ms) +
                       "ms\n"
                       "dispatcher:\n  concurrency: " +
                       std::to_string(concurrency) +
                       "\n"
                       "http:\n  listen: 127.0.0.1:0\n  allow_anonymous: true\n"
                       "  rate_limit: {per_second: 0}\n"
                       "logging:\n  level: info\n  file: var/uda-agent.log\n  console: false\n");
  agent.start();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  std::int64_t finished = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    finished =
        query_int(agent.store_path(), "SELECT COUNT(*) FROM jobs WHERE state IN ('done', 'dead')")
            .value_or(0);
    if (finished >= fill.jobs) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  const std::string metrics = http_get(agent.http_url(), "/metrics");
  const double calls = metric_sum(metrics, "uda_dispatch_calls_total");
  const long hwm = agent.status_kib("VmHWM");
  agent.stop();

  const auto db = agent.store_path();
  const auto first = query_int(db, "SELECT MIN(started_at_ms) FROM attempts").value_or(0);
  const auto last = query_int(db, "SELECT MAX(finished_at_ms) FROM attempts").value_or(0);
  const auto done = query_int(db, "SELECT COUNT(*) FROM jobs WHERE state = 'done'").value_or(0);
  const auto dead = query_int(db, "SELECT COUNT(*) FROM jobs WHERE state = 'dead'").value_or(0);
  const auto attempts = query_int(db, "SELECT COUNT(*) FROM attempts").value_or(0);
  const double secs = static_cast<double>(last - first) / 1000.0;
  const double jobs_s = secs > 0 ? static_cast<double>(done) / secs : 0;
  const double calls_s = secs > 0 ? calls / secs : 0;
  const double theoretical = latency_ms > 0 ? concurrency * 1000.0 / latency_ms : 0;
  nlohmann::json out{{"bench", "dispatch"},
                     {"case", name},
                     {"latency_ms", latency_ms},
                     {"concurrency", concurrency},
                     {"jobs", fill.jobs},
                     {"done", done},
                     {"dead", dead},
                     {"attempts", attempts},
                     {"finished_before_timeout", finished >= fill.jobs},
                     {"seconds", secs},
                     {"jobs_per_s", jobs_s},
                     {"calls", calls},
                     {"calls_per_s", calls_s},
                     {"theoretical_calls_per_s", theoretical},
                     {"efficiency", theoretical > 0 ? calls_s / theoretical : 0.0},
                     {"agent_vmhwm_kib", hwm}};
  std::fprintf(
      stderr, "dispatch[%s]: %lld done, %lld dead in %.2f s: %.0f jobs/s, %.0f calls/s%s\n",
      name.c_str(), static_cast<long long>(done), static_cast<long long>(dead), secs, jobs_s,
      calls_s,
      theoretical > 0 ? (" (" + std::to_string(static_cast<int>(100 * calls_s / theoretical)) +
                         "% of " + std::to_string(static_cast<int>(theoretical)) + ")")
                            .c_str()
                      : "");
  return out;
}

}  // namespace
}  // namespace uda::bench

int main() {
  using namespace uda::bench;
  try {
    const int concurrency = static_cast<int>(env_long("DISPATCH_CONCURRENCY", 32));
    const long timeout = env_long("DISPATCH_TIMEOUT_S", 300);
    const char* cases_env = std::getenv("UDA_BENCH_DISPATCH_CASES");
    const std::string cases =
        "," + std::string(cases_env != nullptr && *cases_env != '\0' ? cases_env : "50ms,0ms") +
        ",";
    if (cases.find(",50ms,") != std::string::npos) {
      print_result(
          run_case("50ms", 50, env_long("DISPATCH_JOBS_50MS", 3200), concurrency, timeout));
    }
    if (cases.find(",0ms,") != std::string::npos) {
      print_result(run_case("0ms", 0, env_long("DISPATCH_JOBS_0MS", 20000), concurrency, timeout));
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "dispatch_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
