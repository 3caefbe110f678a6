// Issue 6, item 9: scale. A store with 1,000,000 pending jobs (written
// through the JobStore API in big transactions, bench_preload), then the real
// uda-agent (release build) is started on it, run for a while, stopped with
// SIGTERM and started again (the restart). For each start it reports the time
// from spawning the process to the first dispatch (the first job leased, from
// the store's leased_at_ms; both are wall-clock ms), and the agent's peak RSS
// (VmHWM from /proc/PID/status) after running and answering one /metrics
// scrape. Also the store's size per job (database + WAL bytes / jobs) right
// after the fill.
//
// Site: 1000 devices x 1000 users (generated, in memory), 50 ms per call,
// dispatcher concurrency 8 (the default): a realistic slow site, so the
// agent works through a backlog it cannot finish.
//
// Knobs: UDA_BENCH_SCALE_JOBS (1000000), UDA_BENCH_SCALE_RUN_S (5 s per
// start). Prints one JSON object on stdout.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <optional>
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

struct StartFigures {
  std::int64_t ready_ms = 0;           // spawn -> "ready" logged (seen by polling the log)
  std::int64_t first_dispatch_ms = 0;  // spawn -> first job leased (store time)
  double metrics_ms = 0;               // one GET /metrics
  long vmhwm_kib = 0;
  long vmrss_kib = 0;
};

StartFigures run_once(BenchAgent& agent, long run_s) {
  StartFigures f;
  agent.start();
  f.ready_ms = unix_ms() - agent.launched_at_ms();
  // The first lease of this run: jobs leased at or after the launch. The
  // previous run released its leases at its stop (leased_at is cleared), and
  // done jobs no longer carry it, so also look at attempts that started.
  const std::string since = std::to_string(agent.launched_at_ms());
  std::optional<std::int64_t> first;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!first && std::chrono::steady_clock::now() < deadline) {
    const auto leased = query_int(agent.store_path(),
                                  "SELECT MIN(leased_at_ms) FROM jobs WHERE state = 'leased' "
                                  "AND leased_at_ms >= " +
                                      since);
    const auto started =
        query_int(agent.store_path(),
                  "SELECT MIN(started_at_ms) FROM attempts WHERE started_at_ms >= " + since);
    if (leased || started) {
      first = std::min(leased.value_or(INT64_MAX), started.value_or(INT64_MAX));
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }
  if (!first) throw std::runtime_error("no job was dispatched within 60 s of the start");
  f.first_dispatch_ms = *first - agent.launched_at_ms();
  std::this_thread::sleep_for(std::chrono::seconds(run_s));
  const auto t0 = std::chrono::steady_clock::now();
  (void)http_get(agent.http_url(), "/metrics");
  f.metrics_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  f.vmhwm_kib = agent.status_kib("VmHWM");
  f.vmrss_kib = agent.status_kib("VmRSS");
  agent.stop();
  return f;
}

nlohmann::json to_json(const StartFigures& f) {
  return {{"ready_ms", f.ready_ms},
          {"first_dispatch_ms", f.first_dispatch_ms},
          {"metrics_scrape_ms", f.metrics_ms},
          {"vmhwm_kib", f.vmhwm_kib},
          {"vmrss_kib", f.vmrss_kib}};
}

}  // namespace
}  // namespace uda::bench

int main() {
  using namespace uda::bench;
  try {
    const std::int64_t jobs = env_long("SCALE_JOBS", 1'000'000);
    const long run_s = env_long("SCALE_RUN_S", 5);
    BenchAgent agent("scale");
    const BenchSite site{1000, std::max<std::int64_t>(1, (jobs + 999) / 1000)};
    agent.write_file("site.yaml", site.fixture_yaml());
    {
      std::ifstream in(source_dir() / "rules/default.yaml", std::ios::binary);
      agent.write_file("rules.yaml", std::string(std::istreambuf_iterator<char>(in), {}));
    }
    const auto fill = preload_jobs(agent.store_path(), site, 0, jobs);
    const auto bytes = store_bytes(agent.store_path());
    std::fprintf(stderr,
                 "scale: %lld pending jobs written in %.1f s (%.0f jobs/s); store %.1f MiB\n",
                 static_cast<long long>(fill.jobs), fill.seconds,
                 static_cast<double>(fill.jobs) / fill.seconds,
                 static_cast<double>(bytes) / (1024.0 * 1024.0));
    agent.write_file("uda-agent.yaml",
                     "store:\n  path: var/uda-agent.db\n"
                     "rules:\n  path: rules.yaml\n"
                     "provider:\n  type: simulated\n  simulated:\n    fixture: site.yaml\n"
                     "    latency: 50ms\n"
                     "http:\n  listen: 127.0.0.1:0\n  allow_anonymous: true\n"
                     "  rate_limit: {per_second: 0}\n"
                     "logging:\n  level: info\n  file: var/uda-agent.log\n  console: false\n");
    const auto first = run_once(agent, run_s);
    std::fprintf(stderr, "scale: start: first dispatch %lld ms after spawn, VmHWM %ld KiB\n",
                 static_cast<long long>(first.first_dispatch_ms), first.vmhwm_kib);
    const auto again = run_once(agent, run_s);
    std::fprintf(stderr, "scale: restart: first dispatch %lld ms after spawn, VmHWM %ld KiB\n",
                 static_cast<long long>(again.first_dispatch_ms), again.vmhwm_kib);
    const auto pending =
        query_int(agent.store_path(), "SELECT COUNT(*) FROM jobs WHERE state = 'pending'");
    print_result({{"bench", "scale"},
                  {"jobs", fill.jobs},
                  {"fill_seconds", fill.seconds},
                  {"store_bytes", bytes},
                  {"bytes_per_job", static_cast<double>(bytes) / static_cast<double>(fill.jobs)},
                  {"pending_after", pending.value_or(-1)},
                  {"start", to_json(first)},
                  {"restart", to_json(again)}});
  } catch (const std::exception& e) {
    std::fprintf(stderr, "scale_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
