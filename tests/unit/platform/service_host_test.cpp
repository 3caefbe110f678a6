// The Windows service state machine, driven through a recording ScmApi and a
// scripted runner: no SCM, no timings asserted.
#include "platform/service_host/service_host.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "platform/service_host/exit_codes.hpp"

namespace uda::svc {
namespace {

using std::chrono::milliseconds;
using ::testing::_;
using ::testing::NiceMock;
using ::testing::Return;

class MockScmApi : public ScmApi {
 public:
  MOCK_METHOD(std::uint32_t, start_dispatcher, (const std::string&, ServiceMain), (override));
  MOCK_METHOD(StatusHandle, register_handler, (const std::string&, ControlHandler), (override));
  MOCK_METHOD(bool, set_status, (StatusHandle, const Status&), (override));
  MOCK_METHOD(std::uint32_t, last_error, (), (override));
};

// Records every SetServiceStatus; lets a test wait for a condition on them.
class RecordingScm : public NiceMock<MockScmApi> {
 public:
  RecordingScm() {
    ON_CALL(*this, register_handler(_, _))
        .WillByDefault([this](const std::string& name, ControlHandler h) {
          std::lock_guard lk(mu_);
          registered_name = name;
          handler = std::move(h);
          return StatusHandle{0x5ca1};
        });
    ON_CALL(*this, set_status(_, _)).WillByDefault([this](StatusHandle h, const Status& s) {
      std::lock_guard lk(mu_);
      EXPECT_EQ(h, StatusHandle{0x5ca1});
      statuses_.push_back(s);
      cv_.notify_all();
      return true;
    });
  }
  std::vector<Status> statuses() {
    std::lock_guard lk(mu_);
    return statuses_;
  }
  template <class Pred>
  void wait_until(Pred pred) {
    std::unique_lock lk(mu_);
    ASSERT_TRUE(cv_.wait_for(lk, std::chrono::seconds(30), [&] { return pred(statuses_); }));
  }
  static std::size_t count(const std::vector<Status>& v, State s) {
    return static_cast<std::size_t>(
        std::count_if(v.begin(), v.end(), [s](const Status& x) { return x.state == s; }));
  }
  void wait_for_count(State s, std::size_t n) {
    wait_until([&](const std::vector<Status>& v) { return count(v, s) >= n; });
  }
  std::string registered_name;
  ControlHandler handler;

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Status> statuses_;
};

// A scripted agent: run() blocks until stopped (when stop_returns) or released.
class FakeRunner : public ServiceRunner {
 public:
  int run(const std::function<void()>& ready) override {
    std::unique_lock lk(mu_);
    ready_ = ready;
    running_ = true;
    cv_.notify_all();
    if (return_at_once) return code;
    cv_.wait(lk, [&] { return (stop_returns && stop_requested_) || released_; });
    running_ = false;
    return code;
  }
  void request_stop() override {
    std::lock_guard lk(mu_);
    stop_requested_ = true;
    ++stop_calls;
    cv_.notify_all();
  }
  void request_reload() override { ++reloads; }

  void wait_running() {
    std::unique_lock lk(mu_);
    ASSERT_TRUE(cv_.wait_for(lk, std::chrono::seconds(30), [&] { return running_; }));
  }
  void ready() {
    std::function<void()> r;
    {
      std::lock_guard lk(mu_);
      r = ready_;
    }
    r();
  }
  void release() {
    std::lock_guard lk(mu_);
    released_ = true;
    cv_.notify_all();
  }
  bool running() {
    std::lock_guard lk(mu_);
    return running_;
  }

  int code = 0;
  bool stop_returns = true;
  bool return_at_once = false;
  std::atomic<int> stop_calls{0};
  std::atomic<int> reloads{0};

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::function<void()> ready_;
  bool running_ = false;
  bool stop_requested_ = false;
  bool released_ = false;
};

HostOptions fast_options() {
  HostOptions o;
  o.tick = milliseconds(1);
  o.start_wait_hint = milliseconds(4000);
  o.stop_wait_hint = milliseconds(6000);
  o.stop_budget = milliseconds(60'000);
  return o;
}

HostOptions slow_options() {
  HostOptions o = fast_options();
  o.tick = milliseconds(3'600'000);  // no pump reports during the test
  return o;
}

struct Harness {
  explicit Harness(HostOptions o) : host(scm, runner, std::move(o)) {}
  void start() {
    result = std::async(std::launch::async, [this] { return host.service_main(); });
    runner.wait_running();
  }
  RecordingScm scm;
  FakeRunner runner;
  ServiceHost host;
  std::future<int> result;
};

TEST(ServiceHost, ReportsStartPendingThenRunningOnReadyThenStopsOnStop) {
  Harness h(slow_options());
  h.start();
  EXPECT_EQ(h.scm.registered_name, "UdaAgent");
  auto s = h.scm.statuses();
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].state, State::StartPending);
  EXPECT_EQ(s[0].check_point, 1u);
  EXPECT_EQ(s[0].wait_hint_ms, 4000u);
  EXPECT_EQ(s[0].controls_accepted, 0u);
  EXPECT_EQ(h.host.state(), State::StartPending);

  h.runner.ready();
  s = h.scm.statuses();
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[1].state, State::Running);
  EXPECT_EQ(s[1].check_point, 0u);
  EXPECT_EQ(s[1].wait_hint_ms, 0u);
  EXPECT_EQ(s[1].controls_accepted, accept::kStop | accept::kPreshutdown | accept::kParamChange);
  EXPECT_EQ(s[1].controls_accepted & accept::kShutdown, 0u);

  EXPECT_EQ(h.scm.handler(control::kStop, 0), win32::kNoError);
  EXPECT_EQ(h.result.get(), 0);
  s = h.scm.statuses();
  ASSERT_EQ(s.size(), 4u);
  EXPECT_EQ(s[2].state, State::StopPending);
  EXPECT_EQ(s[2].check_point, 1u);
  EXPECT_EQ(s[2].wait_hint_ms, 6000u);
  EXPECT_EQ(s[2].controls_accepted, 0u);
  EXPECT_EQ(s[3], (Status{State::Stopped, 0, 0, 0, 0, 0}));
  EXPECT_EQ(h.runner.stop_calls, 1);
  EXPECT_EQ(h.host.state(), State::Stopped);
}

TEST(ServiceHost, CheckPointsIncreaseWhilePendingAndResetBetweenPhases) {
  Harness h(fast_options());
  h.runner.stop_returns = false;
  h.start();
  h.scm.wait_for_count(State::StartPending, 5);
  h.runner.ready();
  EXPECT_EQ(h.scm.handler(control::kStop, 0), win32::kNoError);
  h.scm.wait_for_count(State::StopPending, 5);
  h.runner.release();
  EXPECT_EQ(h.result.get(), 0);

  const auto s = h.scm.statuses();
  // START_PENDING* RUNNING STOP_PENDING* STOPPED, nothing else, in that order.
  std::size_t i = 0;
  std::uint32_t last_cp = 0;
  for (; i < s.size() && s[i].state == State::StartPending; ++i) {
    EXPECT_EQ(s[i].check_point, last_cp + 1) << "report " << i;
    EXPECT_EQ(s[i].wait_hint_ms, 4000u);
    last_cp = s[i].check_point;
  }
  EXPECT_GE(i, 5u);
  ASSERT_LT(i, s.size());
  EXPECT_EQ(s[i++].state, State::Running);
  last_cp = 0;
  std::size_t stop_pending = 0;
  for (; i < s.size() && s[i].state == State::StopPending; ++i, ++stop_pending) {
    EXPECT_EQ(s[i].check_point, last_cp + 1) << "report " << i;
    EXPECT_EQ(s[i].wait_hint_ms, 6000u);
    last_cp = s[i].check_point;
  }
  EXPECT_GE(stop_pending, 5u);
  ASSERT_EQ(i + 1, s.size());
  EXPECT_EQ(s[i].state, State::Stopped);
}

TEST(ServiceHost, PreshutdownStopsLikeStop) {
  Harness h(slow_options());
  h.start();
  h.runner.ready();
  EXPECT_EQ(h.scm.handler(control::kPreshutdown, 0), win32::kNoError);
  EXPECT_EQ(h.result.get(), 0);
  const auto s = h.scm.statuses();
  ASSERT_EQ(s.size(), 4u);
  EXPECT_EQ(s[2].state, State::StopPending);
  EXPECT_EQ(s[3].state, State::Stopped);
  EXPECT_EQ(s[3].win32_exit_code, 0u);
}

TEST(ServiceHost, ShutdownAndUnknownControlsAreNotAccepted) {
  Harness h(slow_options());
  h.start();
  h.runner.ready();
  EXPECT_EQ(h.scm.handler(control::kShutdown, 0), win32::kCallNotImplemented);
  EXPECT_EQ(h.scm.handler(control::kPause, 0), win32::kCallNotImplemented);
  EXPECT_EQ(h.scm.handler(0x80, 0), win32::kCallNotImplemented);
  EXPECT_EQ(h.runner.stop_calls, 0);
  EXPECT_EQ(h.host.state(), State::Running);
  EXPECT_EQ(h.scm.statuses().size(), 2u);
  h.scm.handler(control::kStop, 0);
  EXPECT_EQ(h.result.get(), 0);
}

TEST(ServiceHost, InterrogateAnswersWithoutReporting) {
  Harness h(slow_options());
  h.start();
  EXPECT_EQ(h.scm.handler(control::kInterrogate, 0), win32::kNoError);
  h.runner.ready();
  EXPECT_EQ(h.scm.handler(control::kInterrogate, 0), win32::kNoError);
  EXPECT_EQ(h.scm.statuses().size(), 2u);
  h.scm.handler(control::kStop, 0);
  EXPECT_EQ(h.result.get(), 0);
}

TEST(ServiceHost, ParamChangeReloadsWhileRunningOnly) {
  Harness h(slow_options());
  h.start();
  EXPECT_EQ(h.scm.handler(control::kParamChange, 0), win32::kServiceCannotAcceptCtrl);
  EXPECT_EQ(h.runner.reloads, 0);
  h.runner.ready();
  EXPECT_EQ(h.scm.handler(control::kParamChange, 0), win32::kNoError);
  EXPECT_EQ(h.scm.handler(control::kParamChange, 0), win32::kNoError);
  EXPECT_EQ(h.runner.reloads, 2);
  EXPECT_EQ(h.host.state(), State::Running);
  EXPECT_EQ(h.scm.statuses().size(), 2u);  // a reload does not change the state
  h.scm.handler(control::kStop, 0);
  EXPECT_EQ(h.result.get(), 0);
  EXPECT_EQ(h.scm.handler(control::kParamChange, 0), win32::kServiceCannotAcceptCtrl);
  EXPECT_EQ(h.runner.reloads, 2);
}

TEST(ServiceHost, HandlerReturnsWhileTheAgentIsStillStopping) {
  Harness h(slow_options());
  h.runner.stop_returns = false;  // the agent takes its time to stop
  h.start();
  h.runner.ready();
  // Called on this thread: if the handler waited for the agent, this would hang.
  EXPECT_EQ(h.scm.handler(control::kStop, 0), win32::kNoError);
  EXPECT_EQ(h.runner.stop_calls, 1);
  EXPECT_TRUE(h.runner.running());
  EXPECT_EQ(h.host.state(), State::StopPending);
  // A second STOP (or PRESHUTDOWN) while stopping is answered, not repeated.
  EXPECT_EQ(h.scm.handler(control::kStop, 0), win32::kNoError);
  EXPECT_EQ(h.scm.handler(control::kPreshutdown, 0), win32::kNoError);
  EXPECT_EQ(h.runner.stop_calls, 1);
  EXPECT_EQ(h.scm.statuses().back().state, State::StopPending);
  h.runner.release();
  EXPECT_EQ(h.result.get(), 0);
  EXPECT_EQ(h.scm.statuses().back().state, State::Stopped);
}

TEST(ServiceHost, StopBeforeReadyStopsWithoutReportingRunning) {
  Harness h(slow_options());
  h.runner.stop_returns = false;
  h.start();
  EXPECT_EQ(h.scm.handler(control::kStop, 0), win32::kNoError);
  EXPECT_EQ(h.host.state(), State::StopPending);
  h.runner.ready();  // the agent finished opening just as the stop came: ignored
  EXPECT_EQ(h.host.state(), State::StopPending);
  h.runner.release();
  EXPECT_EQ(h.result.get(), 0);
  const auto s = h.scm.statuses();
  EXPECT_EQ(RecordingScm::count(s, State::Running), 0u);
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s[1].state, State::StopPending);
  EXPECT_EQ(s[2].state, State::Stopped);
}

class FatalExit : public ::testing::TestWithParam<int> {};

TEST_P(FatalExit, ReportsStoppedWithServiceSpecificExitCode) {
  Harness h(slow_options());
  h.runner.return_at_once = true;  // e.g. a config error before anything opened
  h.runner.code = GetParam();
  h.result = std::async(std::launch::async, [&] { return h.host.service_main(); });
  EXPECT_EQ(h.result.get(), GetParam());
  const auto s = h.scm.statuses();
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].state, State::StartPending);
  EXPECT_EQ(s[1].state, State::Stopped);
  EXPECT_EQ(s[1].win32_exit_code, win32::kServiceSpecificError);
  EXPECT_EQ(s[1].service_exit_code, static_cast<std::uint32_t>(GetParam()));
  EXPECT_EQ(s[1].check_point, 0u);
}

INSTANTIATE_TEST_SUITE_P(Codes, FatalExit,
                         ::testing::Values(exit_code::kConfig, exit_code::kStore,
                                           exit_code::kStoreLocked));

TEST(ServiceHost, FatalErrorWhileRunningIsReportedToo) {
  Harness h(slow_options());
  h.runner.stop_returns = false;
  h.runner.code = exit_code::kStore;
  h.start();
  h.runner.ready();
  h.runner.release();  // the agent gives up on its own
  EXPECT_EQ(h.result.get(), exit_code::kStore);
  const auto last = h.scm.statuses().back();
  EXPECT_EQ(last.state, State::Stopped);
  EXPECT_EQ(last.win32_exit_code, win32::kServiceSpecificError);
  EXPECT_EQ(last.service_exit_code, 3u);
}

TEST(ServiceHost, CleanExitWithoutAStopIsAnError) {
  Harness h(slow_options());
  h.runner.stop_returns = false;
  h.start();
  h.runner.ready();
  h.runner.release();
  EXPECT_EQ(h.result.get(), exit_code::kUnexpectedStop);
  const auto last = h.scm.statuses().back();
  EXPECT_EQ(last.state, State::Stopped);
  EXPECT_EQ(last.win32_exit_code, win32::kServiceSpecificError);
  EXPECT_EQ(last.service_exit_code, static_cast<std::uint32_t>(exit_code::kUnexpectedStop));
}

TEST(ServiceHost, StopThatOverrunsItsBudgetReportsStoppedAndEndsTheProcess) {
  HostOptions o = fast_options();
  o.stop_budget = milliseconds(20);
  std::atomic<int> forced{-1};
  FakeRunner* runner = nullptr;
  o.on_stop_timeout = [&](int code) {
    forced = code;
    runner->release();  // in the agent: ExitProcess
  };
  Harness h(o);
  runner = &h.runner;
  h.runner.stop_returns = false;  // never finishes by itself
  h.start();
  h.runner.ready();
  EXPECT_EQ(h.scm.handler(control::kStop, 0), win32::kNoError);
  EXPECT_EQ(h.result.get(), exit_code::kStopTimeout);
  EXPECT_EQ(forced, exit_code::kStopTimeout);
  const auto s = h.scm.statuses();
  EXPECT_EQ(RecordingScm::count(s, State::Stopped), 1u);
  EXPECT_EQ(s.back().state, State::Stopped);
  EXPECT_EQ(s.back().win32_exit_code, win32::kServiceSpecificError);
  EXPECT_EQ(s.back().service_exit_code, static_cast<std::uint32_t>(exit_code::kStopTimeout));
}

TEST(ServiceHost, StopWithinBudgetDoesNotForceAnything) {
  HostOptions o = fast_options();
  std::atomic<bool> forced{false};
  o.on_stop_timeout = [&](int) { forced = true; };
  Harness h(o);
  h.start();
  h.runner.ready();
  h.scm.handler(control::kStop, 0);
  EXPECT_EQ(h.result.get(), 0);
  EXPECT_FALSE(forced);
}

TEST(ServiceHost, FailingHandlerRegistrationRunsNothing) {
  RecordingScm scm;
  FakeRunner runner;
  EXPECT_CALL(scm, register_handler(_, _)).WillOnce(Return(StatusHandle{0}));
  EXPECT_CALL(scm, set_status(_, _)).Times(0);
  ServiceHost host(scm, runner, slow_options());
  EXPECT_EQ(host.service_main(), exit_code::kHandlerFailed);
  EXPECT_FALSE(runner.running());
}

TEST(ServiceHost, SetStatusFailuresDoNotStopTheService) {
  Harness h(slow_options());
  ON_CALL(h.scm, set_status(_, _)).WillByDefault(Return(false));
  h.start();
  h.runner.ready();
  EXPECT_EQ(h.host.state(), State::Running);
  h.scm.handler(control::kStop, 0);
  EXPECT_EQ(h.result.get(), 0);
}

TEST(RunServiceOrConsole, FallsBackToConsoleWhenNotStartedByTheScm) {
  RecordingScm scm;
  FakeRunner runner;
  EXPECT_CALL(scm, start_dispatcher("UdaAgent", _))
      .WillOnce(Return(win32::kFailedServiceControllerConnect));
  bool as_service = true;
  int console_runs = 0;
  const int code = run_service_or_console(
      scm, runner, slow_options(), [&] { return ++console_runs, 42; }, &as_service);
  EXPECT_EQ(code, 42);
  EXPECT_EQ(console_runs, 1);
  EXPECT_FALSE(as_service);
  EXPECT_FALSE(runner.running());
}

TEST(RunServiceOrConsole, RunsTheServiceWhenTheScmCallsServiceMain) {
  RecordingScm scm;
  FakeRunner runner;
  runner.return_at_once = true;
  runner.code = exit_code::kConfig;
  EXPECT_CALL(scm, start_dispatcher("UdaAgent", _))
      .WillOnce([](const std::string&, ServiceMain main) {
        main({"UdaAgent"});
        return win32::kNoError;
      });
  bool as_service = false;
  int console_runs = 0;
  const int code = run_service_or_console(
      scm, runner, slow_options(), [&] { return ++console_runs, 0; }, &as_service);
  EXPECT_EQ(code, exit_code::kConfig);
  EXPECT_TRUE(as_service);
  EXPECT_EQ(console_runs, 0);
  EXPECT_EQ(scm.statuses().back().service_exit_code, 2u);
}

TEST(RunServiceOrConsole, OtherDispatcherErrorsFail) {
  RecordingScm scm;
  FakeRunner runner;
  EXPECT_CALL(scm, start_dispatcher(_, _)).WillOnce(Return(win32::kInvalidParameter));
  int console_runs = 0;
  EXPECT_EQ(run_service_or_console(scm, runner, slow_options(), [&] { return ++console_runs; }), 1);
  EXPECT_EQ(console_runs, 0);
}

}  // namespace
}  // namespace uda::svc
