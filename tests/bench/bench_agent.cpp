#include "bench_agent.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

extern char** environ;

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
  std::vector<std::string> argv_s{agent_binary().string(), "--config", config_path().string(),
                                  "run"};
  std::vector<char*> argv;
  for (auto& s : argv_s) argv.push_back(s.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  const auto out = (dir_ / "var/agent-stderr.log").string();
  posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  posix_spawn_file_actions_addopen(&fa, 2, out.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  posix_spawn_file_actions_addchdir_np(&fa, dir_.c_str());
  const std::size_t log_before = log().size();  // a restart: only a new ready line counts
  launched_at_ms_ = unix_ms();
  const int rc = posix_spawn(&pid_, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) {
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
    const auto ready =
        text.size() > log_before ? text.find(" ready: ", log_before) : std::string::npos;
    if (ready != std::string::npos && text.find('\n', ready) != std::string::npos) {
      // Read now: a long run rotates the log file, and the ready line with it.
      const auto line = text.substr(ready, text.find('\n', ready) - ready);
      const auto at = line.find(" http=");
      http_url_ = at == std::string::npos ? std::string()
                                          : line.substr(at + 6, line.find(' ', at + 6) - at - 6);
      return;
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
  ::kill(pid_, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + grace;
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  return -2;
}

}  // namespace uda::bench
