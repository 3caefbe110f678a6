// A tiny Windows service on ServiceHost for the SCM tests:
//   uda_test_service [--name N] [--fail CODE] [--marker FILE] [--slow-start]
// Becomes ready at once (or fails with CODE), appends "ready", "reload" and
// "stop" lines to FILE, and stops when asked. Not started by the SCM it exits 10.
#include <windows.h>

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <string>

#include "platform/service_host/scm_api.hpp"
#include "platform/service_host/service_host.hpp"

namespace {

class Runner final : public uda::svc::ServiceRunner {
 public:
  Runner(int fail, std::string marker) : fail_(fail), marker_(std::move(marker)) {}
  int run(const std::function<void()>& ready) override {
    if (fail_ != 0) return fail_;
    note("ready");
    ready();
    std::unique_lock lk(mu_);
    cv_.wait(lk, [&] { return stop_; });
    note("stop");
    return 0;
  }
  void request_stop() override {
    std::lock_guard lk(mu_);
    stop_ = true;
    cv_.notify_all();
  }
  void request_reload() override { note("reload"); }

 private:
  void note(const char* what) {
    if (marker_.empty()) return;
    std::lock_guard lk(file_mu_);
    std::ofstream(marker_, std::ios::app) << what << "\n";
  }
  int fail_;
  std::string marker_;
  std::mutex mu_;
  std::mutex file_mu_;
  std::condition_variable cv_;
  bool stop_ = false;
};

}  // namespace

int main(int argc, char** argv) {
  // Started as the agent would be (`"...exe" run`): be service UdaAgent.
  std::string name = argc > 1 && std::string(argv[1]) == "run" ? "UdaAgent" : "UdaAgentTest";
  std::string marker;
  int fail = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--name" && i + 1 < argc) name = argv[++i];
    if (a == "--fail" && i + 1 < argc) fail = std::atoi(argv[++i]);
    if (a == "--marker" && i + 1 < argc) marker = argv[++i];
  }
  auto scm = uda::svc::make_win32_scm_api();
  Runner runner(fail, marker);
  uda::svc::HostOptions o;
  o.service_name = name;
  o.tick = std::chrono::milliseconds(200);
  o.stop_budget = std::chrono::milliseconds(20'000);
  return uda::svc::run_service_or_console(*scm, runner, o, [] { return 10; });
}
