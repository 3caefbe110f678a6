#include "bench_agent.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <vector>

#include "agent_process.hpp"

namespace uda::bench {

namespace fs = std::filesystem;

fs::path agent_binary() {
  return UDA_AGENT_BIN;
}

fs::path source_dir() {
  return UDA_SOURCE_DIR;
}

long env_long(const char* name, long fallback) {
  const std::string var = std::string("UDA_BENCH_") + name;
  const char* v = std::getenv(var.c_str());
  if (v == nullptr || *v == '\0') return fallback;
  return std::strtol(v, nullptr, 10);
}

double env_double(const char* name, double fallback) {
  const std::string var = std::string("UDA_BENCH_") + name;
  const char* v = std::getenv(var.c_str());
  if (v == nullptr || *v == '\0') return fallback;
  return std::strtod(v, nullptr);
}

std::int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

BenchAgent::BenchAgent(const std::string& name) {
  dir_ = fs::temp_directory_path() / ("uda-bench-" + name + "-" + std::to_string(::getpid()) + "-" +
                                      std::to_string(std::random_device{}() % 100000));
  fs::create_directories(dir_ / "var");
}

BenchAgent::~BenchAgent() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  if (std::getenv("UDA_BENCH_KEEP") != nullptr) {
    std::fprintf(stderr, "kept %s\n", dir_.c_str());
    return;
  }
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

void BenchAgent::write_file(const std::string& rel, const std::string& text) const {
  std::ofstream(dir_ / rel, std::ios::binary | std::ios::trunc) << text;
}

std::string BenchAgent::log() const {
  std::ifstream in(log_path(), std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void BenchAgent::start(std::chrono::seconds timeout) {
  if (pid_ > 0) throw std::runtime_error("agent already running");
  const std::size_t log_before = log().size();  // a restart: only a new ready line counts
  launched_at_ms_ = unix_ms();
  pid_ = test::spawn_in({agent_binary().string(), "--config", config_path().string(), "run"}, dir_,
                        dir_ / "var/agent-stderr.log");
  if (pid_ <= 0) {
    pid_ = -1;
    throw std::runtime_error("cannot start " + agent_binary().string());
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      std::ifstream err(dir_ / "var/agent-stderr.log");
      std::string text{std::istreambuf_iterator<char>(err), {}};
      throw std::runtime_error("uda-agent exited during start-up:\n" + text + log());
    }
    const std::string text = log();
    if (text.size() > log_before) {
      // Read now: a long run rotates the log file, and the ready line with it.
      const std::string_view fresh = std::string_view(text).substr(log_before);
      const auto ready = fresh.find(" ready: ");
      if (ready != std::string_view::npos && fresh.find('\n', ready) != std::string_view::npos) {
        http_url_ = test::ready_http_url(fresh.substr(0, fresh.find('\n', ready) + 1));
        return;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  throw std::runtime_error("uda-agent did not log ready in time");
}

long BenchAgent::status_kib(const std::string& field) const {
  if (pid_ <= 0) return -1;
  std::ifstream in("/proc/" + std::to_string(pid_) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(field + ":", 0) == 0) {
      std::istringstream v(line.substr(field.size() + 1));
      long kib = -1;
      v >> kib;
      return kib;
    }
  }
  return -1;
}

int BenchAgent::stop(std::chrono::seconds grace) {
  if (pid_ <= 0) return -1;
  const int code = test::stop_process(pid_, SIGTERM, grace);
  pid_ = -1;
  return code;
}

}  // namespace uda::bench
