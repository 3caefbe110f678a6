// Issue 6, item 6: ingest over HTTP with durable acknowledgement.
//
// Starts the real uda-agent (release build) twice with a generated config in
// a temp dir: once with group commit (the default intake.commit_batch) and
// once with one trigger per transaction (intake.commit_batch: 1). For each, an
// own load client keeps N keep-alive connections (default 64) busy with
// POST /v1/triggers, one trigger with a distinct id per request, for a fixed
// time, and reports triggers/s acknowledged with 202 and the latency of those
// requests (p50/p99/max). A 202 means the trigger is committed (WAL,
// synchronous=FULL); after the agent stops, the store is counted to check
// that every acknowledged trigger is there.
//
// Benchmark config differences from the shipped one (printed in the output):
// http.rate_limit.per_second: 0 (the default 100/s per address would refuse
// almost everything from one client address) and allow_anonymous on
// loopback. max_connections stays at its default (256 >= 64).
//
// Knobs: UDA_BENCH_INGEST_SECONDS (10), UDA_BENCH_INGEST_CONNECTIONS (64),
// UDA_BENCH_INGEST_WARMUP_MS (1000), UDA_BENCH_INGEST_MODES ("group,single"),
// UDA_BENCH_INGEST_COMMIT_DELAY (unset: the default 0ms).
// Prints one JSON object per mode on stdout.

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bench_agent.hpp"
#include "bench_report.hpp"
#include "bench_site.hpp"
#include "bench_store_query.hpp"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace uda::bench {
namespace {

struct LoadStats {
  std::uint64_t accepted = 0;          // 202 inside the window
  std::map<int, std::uint64_t> other;  // status (0 = connection error) -> count, whole run
  std::vector<double> latency_ms;      // of the 202s inside the window
  std::uint64_t sent = 0;              // requests answered with 202, whole run
};

struct Window {
  Clock::time_point begin;  // measured from here (after the warm-up)
  Clock::time_point end;    // to here; no request is started after it
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(asio::io_context& io, const tcp::endpoint& ep, const BenchSite& site, int index,
             const std::string& run, const Window& window, LoadStats& stats)
      : socket_(io),
        ep_(ep),
        site_(site),
        index_(index),
        run_(run),
        window_(window),
        stats_(stats) {}

  void start() {
    socket_.async_connect(ep_, [self = shared_from_this()](beast::error_code ec) {
      if (ec) {
        ++self->stats_.other[0];
        return;
      }
      socket_option(self->socket_);
      self->send();
    });
  }

 private:
  static void socket_option(tcp::socket& s) {
    beast::error_code ec;
    s.set_option(tcp::no_delay(true), ec);
  }

  void send() {
    const auto now = Clock::now();
    if (now >= window_.end) {
      beast::error_code ec;
      socket_.shutdown(tcp::socket::shutdown_both, ec);
      socket_.close(ec);
      return;
    }
    // A distinct trigger id per request; machines and users cycle through the
    // site so jobs have distinct keys.
    const std::int64_t n = static_cast<std::int64_t>(seq_++) * 64 + index_;
    const std::string body =
        "{\"id\":\"" + run_ + "-" + std::to_string(index_) + "-" + std::to_string(seq_) +
        "\",\"kind\":\"osd\",\"machine\":{\"resource_id\":" + std::to_string(site_.resource_id(n)) +
        "},\"user\":\"CONTOSO\\\\" + site_.user_name(n) +
        "\",\"attributes\":{\"ts.name\":\"Win11 Production\"}}";
    request_ =
        "POST /v1/triggers HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Content-Type: application/json\r\nContent-Length: " +
        std::to_string(body.size()) + "\r\n\r\n" + body;
    started_ = now;
    asio::async_write(socket_, asio::buffer(request_),
                      [self = shared_from_this()](beast::error_code ec, std::size_t) {
                        if (ec) return self->fail();
                        self->read();
                      });
  }

  void read() {
    parser_.emplace();
    bhttp::async_read(socket_, buffer_, *parser_,
                      [self = shared_from_this()](beast::error_code ec, std::size_t) {
                        if (ec) return self->fail();
                        self->on_response();
                      });
  }

  void on_response() {
    const auto done = Clock::now();
    const int status = static_cast<int>(parser_->get().result_int());
    const bool keep = parser_->get().keep_alive();
    if (status == 202) {
      ++stats_.sent;
      if (started_ >= window_.begin && done <= window_.end) {
        ++stats_.accepted;
        stats_.latency_ms.push_back(
            std::chrono::duration<double, std::milli>(done - started_).count());
      }
    } else {
      ++stats_.other[status];
    }
    if (!keep) {
      beast::error_code ec;
      socket_.close(ec);
      socket_ = tcp::socket(socket_.get_executor());
      return start();
    }
    send();
  }

  void fail() {
    ++stats_.other[0];
    beast::error_code ec;
    socket_.close(ec);
    if (Clock::now() < window_.end) {
      socket_ = tcp::socket(socket_.get_executor());
      start();
    }
  }

  tcp::socket socket_;
  tcp::endpoint ep_;
  const BenchSite& site_;
  int index_;
  std::string run_;
  const Window& window_;
  LoadStats& stats_;
  std::uint64_t seq_ = 0;
  std::string request_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::response_parser<bhttp::string_body>> parser_;
  Clock::time_point started_{};
};

tcp::endpoint endpoint_of(const std::string& url) {
  // "http://127.0.0.1:PORT"
  const auto host_at = url.find("://") + 3;
  const auto colon = url.rfind(':');
  return {asio::ip::make_address(url.substr(host_at, colon - host_at)),
          static_cast<unsigned short>(std::stoi(url.substr(colon + 1)))};
}

nlohmann::json run_mode(const std::string& mode, int connections, double seconds, long warmup_ms) {
  BenchAgent agent("ingest-" + mode);
  const BenchSite site{10'000, 1'000};
  agent.write_file("site.yaml", site.fixture_yaml());
  {
    std::ifstream in(source_dir() / "rules/default.yaml", std::ios::binary);
    agent.write_file("rules.yaml", std::string(std::istreambuf_iterator<char>(in), {}));
  }
  // Experiment: UDA_BENCH_INGEST_COMMIT_DELAY (e.g. 2ms) sets intake.commit_delay
  // for both modes. (The log level stays info: the ready line is an info line.)
  const char* delay = std::getenv("UDA_BENCH_INGEST_COMMIT_DELAY");
  const char* level_env = std::getenv("UDA_BENCH_INGEST_LOG_LEVEL");
  const std::string log_level = level_env != nullptr && *level_env != '\0' ? level_env : "info";
  std::string intake = "intake:\n";
  if (mode == "single") intake += "  commit_batch: 1\n";
  if (delay != nullptr && *delay != '\0') intake += std::string("  commit_delay: ") + delay + "\n";
  if (intake == "intake:\n") intake.clear();
  agent.write_file("uda-agent.yaml",
                   "store:\n  path: var/uda-agent.db\n"
                   "rules:\n  path: rules.yaml\n"
                   "provider:\n  type: simulated\n  simulated:\n    fixture: site.yaml\n"
                   "    latency: 50ms\n"
                   "dispatcher:\n  concurrency: 8\n" +
                       intake +
                       "http:\n  listen: 127.0.0.1:0\n  allow_anonymous: true\n"
                       "  rate_limit: {per_second: 0}\n"
                       "logging:\n  level: " +
                       log_level + "\n  file: var/uda-agent.log\n  console: false\n");
  agent.start();
  const auto ep = endpoint_of(agent.http_url());
  std::fprintf(stderr, "ingest[%s]: agent pid %d at %s; %d connections for %.0f s\n", mode.c_str(),
               agent.pid(), agent.http_url().c_str(), connections, seconds);

  asio::io_context io(1);
  LoadStats stats;
  const auto t0 = Clock::now();
  const Window window{
      t0 + std::chrono::milliseconds(warmup_ms),
      t0 + std::chrono::milliseconds(warmup_ms) +
          std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds))};
  for (int i = 0; i < connections; ++i) {
    std::make_shared<Connection>(io, ep, site, i, "ing-" + mode, window, stats)->start();
  }
  io.run();
  const long hwm = agent.status_kib("VmHWM");
  const int code = agent.stop();
  const std::int64_t stored =
      query_int(agent.store_path(), "SELECT COUNT(*) FROM triggers").value_or(-1);

  const double rate = static_cast<double>(stats.accepted) / seconds;
  nlohmann::json errors = nlohmann::json::object();
  for (const auto& [status, n] : stats.other) errors[std::to_string(status)] = n;
  nlohmann::json out{
      {"bench", "ingest"},
      {"mode", mode},
      {"commit_batch", mode == "single" ? "1" : "default (512)"},
      {"connections", connections},
      {"seconds", seconds},
      {"accepted_in_window", stats.accepted},
      {"triggers_per_s", rate},
      {"p50_ms", percentile(stats.latency_ms, 0.50)},
      {"p99_ms", percentile(stats.latency_ms, 0.99)},
      {"max_ms", stats.latency_ms.empty() ? 0.0 : stats.latency_ms.back()},
      {"non_202", errors},
      {"acknowledged_total", stats.sent},
      {"stored_total", stored},
      {"agent_vmhwm_kib", hwm},
      {"agent_exit", code},
      {"commit_delay", delay != nullptr && *delay != '\0' ? delay : "default (0ms)"},
      {"log_level", log_level},
      {"config_note",
       "http.rate_limit.per_second: 0 (default 100/s per address), allow_anonymous on loopback"}};
  std::fprintf(stderr,
               "ingest[%s]: %.0f triggers/s acknowledged, p50 %.2f ms, p99 %.2f ms, max %.2f ms; "
               "stored %lld >= acknowledged %llu\n",
               mode.c_str(), rate, out["p50_ms"].get<double>(), out["p99_ms"].get<double>(),
               out["max_ms"].get<double>(), static_cast<long long>(stored),
               static_cast<unsigned long long>(stats.sent));
  return out;
}

}  // namespace
}  // namespace uda::bench

int main() {
  using namespace uda::bench;
  try {
    const double seconds = env_double("INGEST_SECONDS", 10);
    const int connections = static_cast<int>(env_long("INGEST_CONNECTIONS", 64));
    const long warmup = env_long("INGEST_WARMUP_MS", 1000);
    const char* modes_env = std::getenv("UDA_BENCH_INGEST_MODES");
    const std::string modes =
        modes_env != nullptr && *modes_env != '\0' ? modes_env : "group,single";
    for (const char* m : {"group", "single"}) {
      if (modes.find(m) == std::string::npos) continue;
      print_result(run_mode(m, connections, seconds, warmup));
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ingest_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
