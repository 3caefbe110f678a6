#pragma once
// Running the real uda-agent (or another tool) as a child process, for the
// integration harness (tests/integration/agent_harness) and the benchmarks
// (tests/bench/bench_agent): spawn it in a folder with its output in a
// file, stop it with a bounded wait, and read its ready line. POSIX only;
// no test framework, so the benchmarks can use it too.

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

extern char** environ;

namespace uda::test {

// Spawns `args` (args[0] is the program) with `dir` as its working folder
// and stdout and stderr appended to `output`. The pid, or -1.
inline pid_t spawn_in(const std::vector<std::string>& args, const std::filesystem::path& dir,
                      const std::filesystem::path& output) {
  std::vector<std::string> copy = args;
  std::vector<char*> argv;
  for (auto& s : copy) argv.push_back(s.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  const std::string out = output.string();
  posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  posix_spawn_file_actions_addopen(&fa, 2, out.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  posix_spawn_file_actions_addchdir_np(&fa, dir.c_str());
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  return rc == 0 ? pid : -1;
}

// The exit code of a process reaped with `status`: its code, or 128 + signal.
inline int exit_code(int status) {
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Sends `sig` and waits up to `grace` for the process to end; after that it
// is killed and the answer is -2. Otherwise its exit_code().
inline int stop_process(pid_t pid, int sig, std::chrono::milliseconds grace) {
  ::kill(pid, sig);
  const auto deadline = std::chrono::steady_clock::now() + grace;
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (::waitpid(pid, &status, WNOHANG) == pid) return exit_code(status);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, &status, 0);
  return -2;
}

// The API's base URL in the agent's last ready line in `log`
// ("... ready: ... http=http://127.0.0.1:PORT spool=..."), or "".
inline std::string ready_http_url(std::string_view log) {
  const auto ready = log.rfind(" ready: ");
  if (ready == std::string_view::npos) return {};
  const auto line_end = log.find('\n', ready);
  const auto line =
      log.substr(ready, line_end == std::string_view::npos ? log.npos : line_end - ready);
  const auto at = line.find(" http=");
  if (at == std::string_view::npos) return {};
  const auto value = line.substr(at + 6);
  return std::string(value.substr(0, value.find(' ')));
}

}  // namespace uda::test
