#include "agent_harness.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "agent_process.hpp"

extern char** environ;

namespace uda::test {

namespace fs = std::filesystem;

fs::path agent_binary() {
  return UDA_AGENT_BIN;
}

AgentHarness::AgentHarness(const std::string& name) {
  dir_ = fs::temp_directory_path() / ("uda-it-" + name + "-" + std::to_string(::getpid()) + "-" +
                                      std::to_string(std::random_device{}()));
  fs::create_directories(dir_ / "var");
  fs::copy_file(fs::path(UDA_SOURCE_DIR) / "rules/default.yaml", dir_ / "rules.yaml");
  fs::copy_file(fs::path(UDA_SOURCE_DIR) / "tests/data/integration/site.yaml", dir_ / "site.yaml");
}

AgentHarness::~AgentHarness() {
  if (pid_ > 0) stop(SIGKILL);
  if (::testing::Test::HasFailure()) {
    std::fprintf(stderr, "--- agent log (%s) ---\n%s\n", log_path().c_str(), log().c_str());
    return;  // keep the dir for inspection
  }
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

void AgentHarness::write_file(const std::string& rel, const std::string& text) {
  std::ofstream(dir_ / rel, std::ios::binary | std::ios::trunc) << text;
}

void AgentHarness::write_config(const std::string& simulated_extra, const std::string& dispatcher,
                                const std::string& rules_file) {
  std::ostringstream c;
  c << "store:\n  path: var/uda-agent.db\n"
    << "rules:\n  path: " << rules_file << "\n";
  if (provider_.empty()) {
    c << "provider:\n  type: simulated\n  simulated:\n    fixture: site.yaml\n"
      << "    state_path: var/site.db\n";
    std::istringstream extra(simulated_extra);
    for (std::string line; std::getline(extra, line);) c << "    " << line << "\n";
  } else {
    c << provider_;
    if (provider_.back() != '\n') c << "\n";
  }
  c << "dispatcher:\n  concurrency: 8\n  poll_interval: 50ms\n"
    << "  backoff: {base: 10ms, cap: 200ms}\n";
  std::istringstream disp(dispatcher);
  for (std::string line; std::getline(disp, line);) c << "  " << line << "\n";
  c << sections_;
  if (!sections_.empty() && sections_.back() != '\n') c << "\n";
  c << "intake:\n  poll_interval: 50ms\n"
    << "logging:\n  level: debug\n  file: var/uda-agent.log\n  console: false\n";
  write_file("uda-agent.yaml", c.str());
}

CommandResult AgentHarness::cli(const std::vector<std::string>& args,
                                const std::string& input) const {
  std::vector<std::string> argv_s{agent_binary().string(), "--config", config_path().string()};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  return run_tool(argv_s, input);
}

std::string AgentHarness::http_url() const {
  return ready_http_url(log());
}

CommandResult AgentHarness::run_tool(const std::vector<std::string>& argv_in,
                                     const std::string& input) const {
  std::vector<std::string> argv_s = argv_in;
  std::vector<char*> argv;
  for (auto& s : argv_s) argv.push_back(s.data());
  argv.push_back(nullptr);

  // Outputs go to files (no pipe deadlocks with large output).
  const auto out_path = dir_ / ("cli-out-" + std::to_string(std::random_device{}()));
  const auto err_path = dir_ / ("cli-err-" + std::to_string(std::random_device{}()));
  const auto in_path = dir_ / ("cli-in-" + std::to_string(std::random_device{}()));
  std::ofstream(in_path, std::ios::binary) << input;

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, in_path.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&fa, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addchdir_np(&fa, dir_.c_str());
  pid_t pid = -1;
  CommandResult r;
  if (posix_spawnp(&pid, argv[0], &fa, nullptr, argv.data(), environ) != 0) {
    posix_spawn_file_actions_destroy(&fa);
    r.err = "spawn failed";
    return r;
  }
  posix_spawn_file_actions_destroy(&fa);
  int status = 0;
  ::waitpid(pid, &status, 0);
  r.exit_code = exit_code(status);
  std::ifstream o(out_path, std::ios::binary), e(err_path, std::ios::binary);
  r.out.assign(std::istreambuf_iterator<char>(o), {});
  r.err.assign(std::istreambuf_iterator<char>(e), {});
  std::error_code ec;
  fs::remove(out_path, ec);
  fs::remove(err_path, ec);
  fs::remove(in_path, ec);
  return r;
}

nlohmann::json AgentHarness::cli_json(const std::vector<std::string>& args) const {
  std::vector<std::string> a{"--json"};
  a.insert(a.end(), args.begin(), args.end());
  auto r = cli(a);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << r.out;
  return j;
}

void AgentHarness::start() {
  ASSERT_LE(pid_, 0) << "agent already running";
  ASSERT_TRUE(launch()) << "cannot start " << agent_binary();
  ASSERT_TRUE(wait_ready()) << "agent did not become ready; log:\n" << log();
}

bool AgentHarness::launch() {
  if (pid_ > 0) return false;
  ready_before_ = log_count(" ready: ");
  pid_ = spawn_in({agent_binary().string(), "--config", config_path().string(), "run"}, dir_,
                  dir_ / "var/agent-stderr.log");
  return pid_ > 0;
}

bool AgentHarness::wait_ready(std::chrono::milliseconds timeout) {
  const bool ready = wait_for(
      [&] {
        if (pid_ <= 0) return true;
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
          pid_ = -1;
          return true;  // exited: reported by the caller
        }
        return log_count(" ready: ") > ready_before_;
      },
      timeout);
  return ready && pid_ > 0;
}

void AgentHarness::signal(int sig) const {
  if (pid_ > 0) ::kill(pid_, sig);
}

int AgentHarness::stop(int sig) {
  if (pid_ <= 0) return -1;
  // Bounded: a stuck agent is killed after 30 s and the test fails on the code (-2).
  const int code = stop_process(pid_, sig, std::chrono::seconds(30));
  pid_ = -1;
  return code;
}

bool AgentHarness::wait_for(const std::function<bool()>& check, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (check()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return check();
}

std::string AgentHarness::log() const {
  std::ifstream in(log_path(), std::ios::binary);
  std::string s((std::istreambuf_iterator<char>(in)), {});
  std::ifstream err(dir_ / "var/agent-stderr.log", std::ios::binary);
  std::string e((std::istreambuf_iterator<char>(err)), {});
  return s + e;
}

std::size_t AgentHarness::log_count(const std::string& needle) const {
  const std::string s = log();
  std::size_t n = 0;
  for (auto pos = s.find(needle); pos != std::string::npos; pos = s.find(needle, pos + 1)) ++n;
  return n;
}

bool AgentHarness::all_triggers_terminal(std::size_t expected) const {
  auto r = cli({"--json", "triggers", "list", "--limit", "100000"});
  if (r.exit_code != 0) return false;
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  if (j.is_discarded() || j.size() != expected) return false;
  for (const auto& t : j) {
    const auto o = t.value("outcome", "");
    if (o != "skipped" && o != "done" && o != "dead" && o != "cancelled") return false;
  }
  return true;
}

}  // namespace uda::test
