#include "app/agent.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <csignal>

#include "app/provider_factory.hpp"
#include "core/time.hpp"
#include "dispatch/dispatcher.hpp"
#include "intake/decider.hpp"
#include "platform/instance_lock.hpp"
#include "rules/rules_loader.hpp"
#include "store/job_store.hpp"

namespace uda {

struct Agent::Running {
  SystemTimeSource time;
  std::unique_ptr<InstanceLock> lock;
  std::unique_ptr<JobStore> store;
  std::unique_ptr<Provider> provider;
  std::unique_ptr<Decider> decider;
  std::unique_ptr<Dispatcher> dispatcher;
  std::unique_ptr<asio::steady_timer> purge_timer;
  std::unique_ptr<asio::signal_set> signals;
  bool stopping = false;
};

Agent::Agent(AgentConfig config) : config_(std::move(config)) {}
Agent::~Agent() = default;

namespace {

std::string owner_id() {
  char host[256] = {};
  if (::gethostname(host, sizeof(host) - 1) != 0) std::snprintf(host, sizeof(host), "localhost");
  return fmt::format("{}:{}:{}", host, ::getpid(), to_unix_ms(now_ms()));
}

}  // namespace

int Agent::run() {
  running_ = std::make_unique<Running>();
  auto& r = *running_;

  auto rules = load_rules_file(config_.rules.path);
  if (!rules) {
    spdlog::critical("rules: {}", rules.error().message);
    return 2;
  }
  for (const auto& w : rules->warnings) spdlog::warn("rules: {}", w);
  std::error_code ec;
  std::filesystem::create_directories(config_.store.path.parent_path(), ec);
  auto lock = InstanceLock::acquire(config_.store.path.string() + ".lock");
  if (!lock) {
    spdlog::critical("{}", lock.error().message);
    return 3;
  }
  r.lock = std::move(*lock);

  StoreOptions so;
  so.path = config_.store.path;
  so.busy_timeout = config_.store.busy_timeout;
  so.duplicate_window = config_.store.duplicate_window;
  auto store = JobStore::open(so);
  if (!store) {
    spdlog::critical("store: {}", store.error().message);
    return 3;
  }
  r.store = std::move(*store);
  // We hold the instance lock, so every lease in the store belongs to an
  // agent that is gone (crash, kill -9, power loss): give them back.
  if (auto n = r.store->rearm_leases(r.time.now(), /*all=*/true); !n) {
    spdlog::critical("store: re-arming leases failed: {}", n.error().message);
    return 3;
  } else if (*n > 0) {
    spdlog::warn(
        "store: {} job(s) were in flight when the agent last stopped; they will be "
        "verified against the site before any new call",
        *n);
  }

  auto provider = make_provider(config_.provider, io_, r.time);
  if (!provider) {
    spdlog::critical("provider: {}", provider.error().message);
    return 3;
  }
  r.provider = std::move(*provider);

  DispatcherOptions dopt;
  dopt.concurrency = config_.dispatcher.concurrency;
  dopt.backoff = config_.dispatcher.backoff;
  dopt.breaker = config_.dispatcher.breaker;
  dopt.lease = config_.dispatcher.lease;
  dopt.call_timeout = config_.dispatcher.call_timeout;
  dopt.poll_interval = config_.dispatcher.poll_interval;
  dopt.shutdown_deadline = config_.dispatcher.shutdown_deadline;
  dopt.verify_before_create = config_.dispatcher.verify_before_create;
  r.dispatcher = std::make_unique<Dispatcher>(io_, *r.store, *r.provider, dopt, r.time, owner_id());
  Dispatcher* dispatcher = r.dispatcher.get();
  r.decider = std::make_unique<Decider>(
      io_, *r.store, std::make_shared<const RuleSet>(std::move(*rules)), r.time,
      config_.intake.poll_interval, static_cast<std::size_t>(config_.intake.batch),
      [dispatcher] { dispatcher->wake(); });

#ifdef SIGHUP
  r.signals = std::make_unique<asio::signal_set>(io_, SIGINT, SIGTERM, SIGHUP);
#else
  r.signals = std::make_unique<asio::signal_set>(io_, SIGINT, SIGTERM);
#endif
  std::function<void(const boost::system::error_code&, int)> on_signal;
  on_signal = [this, &on_signal](const boost::system::error_code& sig_ec, int sig) {
    if (sig_ec) return;
#ifdef SIGHUP
    if (sig == SIGHUP) {
      spdlog::info("signal=SIGHUP: reloading rules from {}", config_.rules.path.string());
      reload_rules();
      running_->signals->async_wait(on_signal);
      return;
    }
#endif
    spdlog::info("signal={}: stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
    request_stop();
  };
  r.signals->async_wait(on_signal);

  r.purge_timer = std::make_unique<asio::steady_timer>(io_);
  asio::co_spawn(
      io_,
      [this]() -> Awaitable<void> {
        while (!running_->stopping) {
          purge();
          running_->purge_timer->expires_after(config_.store.purge_interval);
          boost::system::error_code tec;
          co_await running_->purge_timer->async_wait(
              asio::redirect_error(asio::use_awaitable, tec));
        }
      },
      asio::detached);

  r.decider->start();
  r.dispatcher->start();
  spdlog::info("uda-agent {} ready: store={} rules={} provider={} concurrency={} pid={}",
               UDA_VERSION, config_.store.path.string(), config_.rules.path.string(),
               r.provider->name(), config_.dispatcher.concurrency, ::getpid());
  if (on_ready_) on_ready_();
  if (stop_requested_) request_stop();

  io_.run();

  const auto& s = r.dispatcher->stats();
  spdlog::info("uda-agent stopped: decided={} done={} retried={} dead={} released={}",
               r.decider->stats().decided, s.done, s.retried, s.dead, s.released);
  spdlog::default_logger()->flush();
  return 0;
}

void Agent::request_stop() {
  stop_requested_ = true;
  asio::post(io_, [this] {
    if (!running_ || running_->stopping) return;
    running_->stopping = true;
    asio::co_spawn(io_, stop_sequence(), asio::detached);
  });
}

void Agent::request_reload() {
  asio::post(io_, [this] { reload_rules(); });
}

Awaitable<void> Agent::stop_sequence() {
  auto& r = *running_;
  r.decider->stop();
  r.purge_timer->cancel();
  boost::system::error_code ec;
  r.signals->cancel(ec);
  co_await r.dispatcher->shutdown();
  io_.stop();
}

void Agent::reload_rules() {
  if (!running_ || !running_->decider) return;
  auto rules = load_rules_file(config_.rules.path);
  if (!rules) {
    spdlog::error("rules reload rejected, keeping the current rules: {}", rules.error().message);
    return;
  }
  for (const auto& w : rules->warnings) spdlog::warn("rules: {}", w);
  const auto count = rules->rules.size();
  running_->decider->set_rules(std::make_shared<const RuleSet>(std::move(*rules)));
  spdlog::info("rules reloaded from {} ({} rules)", config_.rules.path.string(), count);
}

void Agent::purge() {
  auto& r = *running_;
  const auto cutoff = r.time.now() - config_.store.retention;
  auto n = r.store->purge_finished(cutoff);
  if (!n) {
    spdlog::error("store: purge of finished rows failed: {}", n.error().message);
  } else if (*n > 0) {
    spdlog::info("store: purged {} finished row(s) older than {}", *n, format_iso8601(cutoff));
  }
}

}  // namespace uda
