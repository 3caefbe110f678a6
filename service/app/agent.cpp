#include "app/agent.hpp"

#include <spdlog/spdlog.h>

#include <csignal>

#include "app/agent_metrics.hpp"
#include "app/provider_factory.hpp"
#include "core/os.hpp"
#include "core/time.hpp"
#include "dispatch/dispatcher.hpp"
#include "intake/decider.hpp"
#include "metrics/registry.hpp"
#include "platform/instance_lock.hpp"
#include "rules/rules_loader.hpp"
#include "sources/http/api.hpp"
#include "sources/http/server.hpp"
#include "sources/spool/spool_watcher.hpp"
#include "sources/usage/usage_poller.hpp"
#include "sources/wmi_events/sqlite_bookmark_store.hpp"
#include "sources/wmi_events/wmi_event_watcher.hpp"
#ifdef _WIN32
#include "sources/wmi_events/com_event_source.hpp"
#endif
#include "store/group_commit.hpp"
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
  // Inbound queue (declared after what it uses: destroyed first).
  std::unique_ptr<metrics::Registry> metrics;
  std::unique_ptr<GroupCommitter> committer;
  std::unique_ptr<AgentMetrics> agent_metrics;
  std::unique_ptr<http::TlsContext> tls;
  std::unique_ptr<http::TokenVerifier> tokens;
  std::unique_ptr<http::RateLimiter> limiter;
  std::unique_ptr<http::TriggerApi> api;
  std::unique_ptr<http::Server> server;
  std::unique_ptr<SpoolWatcher> spool;
  std::unique_ptr<UsagePoller> usage;
  std::unique_ptr<EventSource> wmi_source;  // WMI event watcher (Windows)
  std::unique_ptr<BookmarkStore> wmi_bookmarks;
  std::unique_ptr<WmiEventWatcher> wmi_events;
  std::string http_url;
  bool stopping = false;
};

Agent::Agent(AgentConfig config) : config_(std::move(config)) {}
Agent::~Agent() = default;

namespace {

std::string owner_id() {
  return fmt::format("{}:{}:{}", os::host_name(), os::process_id(), to_unix_ms(now_ms()));
}

}  // namespace

int Agent::run() {
  const int code = run_until_stopped();
  // Everything goes now, the store's lock included, not when the Agent is
  // destroyed: the service reports STOPPED after run() returns, and a
  // `net start` right after must find the lock free.
  running_.reset();
  return code;
}

int Agent::run_until_stopped() {
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
    store_locked_ = lock.error().message.rfind(InstanceLock::kHeldByAnother, 0) == 0;
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

  if (auto st = start_inbound(); !st) {
    spdlog::critical("{}", st.error().message);
    return 3;
  }

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
  spdlog::info(
      "uda-agent {} ready: store={} rules={} provider={} concurrency={} http={} "
      "spool={} usage={} pid={}",
      UDA_VERSION, config_.store.path.string(), config_.rules.path.string(), r.provider->name(),
      config_.dispatcher.concurrency, r.http_url.empty() ? std::string("off") : r.http_url,
      r.spool ? config_.spool.dir.string() : std::string("off"), r.usage ? "on" : "off",
      os::process_id());
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
  // Inbound first: no new requests or files; what is queued is committed and
  // answered (the committer's answers are written by the io thread below).
  if (r.server) r.server->stop();
  if (r.spool) r.spool->stop();
  if (r.usage) r.usage->stop();
  if (r.wmi_events) r.wmi_events->stop();
  if (r.committer) r.committer->stop();
  r.decider->stop();
  r.purge_timer->cancel();
  boost::system::error_code ec;
  r.signals->cancel(ec);
  co_await r.dispatcher->shutdown();
  // Let connections that are writing their last response finish (bounded).
  if (r.server) {
    asio::steady_timer wait(io_);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (r.server->open_connections() > 0 && std::chrono::steady_clock::now() < deadline) {
      wait.expires_after(Millis(10));
      co_await wait.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
  }
  io_.stop();
}

Status Agent::start_inbound() {
  auto& r = *running_;
  r.metrics = std::make_unique<metrics::Registry>();
  if (config_.http.enabled || config_.spool.enabled || config_.usage.enabled ||
      config_.wmi_events.enabled) {
    Decider* decider = r.decider.get();
    Dispatcher* dispatcher = r.dispatcher.get();
    // The rules run on the committer's thread, so each trigger is stored with
    // its decision and job in one commit; the Decider's poll takes whatever
    // was stored undecided.
    GroupCommitter::RulesStage rules_stage;
    rules_stage.decide = [decider](std::span<const Trigger> t) { return decider->decide_batch(t); };
    rules_stage.decided = [decider, dispatcher](std::span<const Trigger> t,
                                                std::span<const Decision> d,
                                                std::span<const DecisionOutcome> o) {
      if (decider->report(t, d, o)) dispatcher->wake();  // on the io thread (deliverer below)
    };
    r.committer = std::make_unique<GroupCommitter>(
        *r.store, static_cast<std::size_t>(config_.intake.commit_batch),
        static_cast<std::size_t>(config_.intake.max_queue), config_.intake.commit_delay,
        [this, decider](std::size_t) { asio::post(io_, [decider] { decider->wake(); }); },
        std::move(rules_stage),
        [this](std::function<void()> answers) { asio::post(io_, std::move(answers)); });
  }
  r.agent_metrics = std::make_unique<AgentMetrics>(*r.metrics, *r.store, r.committer.get(),
                                                   *r.dispatcher, r.time);
  r.dispatcher->set_observer(r.agent_metrics->dispatch_observer());

  if (config_.http.enabled) {
    const auto& h = config_.http;
    if (h.tls()) {
      auto ctx = http::make_tls_context(h.tls_cert.string(), h.tls_key.string());
      if (!ctx) return ctx.error();
      r.tls = std::move(*ctx);
    }
    r.tokens = std::make_unique<http::TokenVerifier>(h.tokens);
    r.limiter =
        std::make_unique<http::RateLimiter>(h.rate_per_second, h.rate_burst, h.rate_max_clients);
    Dispatcher* dispatcher = r.dispatcher.get();
    Provider* provider = r.provider.get();
    http::ApiOptions api_options;
    api_options.allow_anonymous = h.allow_anonymous;
    api_options.max_batch = h.max_batch;
    r.api = std::make_unique<http::TriggerApi>(
        *r.store, *r.committer, *r.tokens, *r.limiter, *r.metrics,
        [dispatcher, provider] {
          return nlohmann::json{{"name", std::string(provider->name())},
                                {"breaker", std::string(to_string(dispatcher->breaker_state()))},
                                {"in_flight", dispatcher->in_flight()}};
        },
        api_options);
    r.server = std::make_unique<http::Server>(io_, *r.api, h.limits, r.tls.get());
    auto ep = r.server->listen(h.address, h.port);
    if (!ep) return ep.error();
    http::HttpOptions bound = h;
    bound.port = ep->port();
    r.http_url = bound.local_url();
    r.server->start();
    spdlog::info("http: listening on {} (tls={}, tokens={}, anonymous={}, max_connections={})",
                 r.http_url, h.tls(), h.tokens.size(), h.allow_anonymous, h.limits.max_connections);
  }
  if (config_.spool.enabled) {
    GroupCommitter* committer = r.committer.get();
    r.spool = std::make_unique<SpoolWatcher>(
        io_, config_.spool, [committer](std::vector<Trigger> t, GroupCommitter::Done done) {
          committer->submit(std::move(t), std::move(done));
        });
    if (auto st = r.spool->start(); !st) return st;
    spdlog::info("spool: watching {} ({})", r.spool->inbox_dir().string(),
                 r.spool->watching_events() ? "inotify + poll" : "poll");
  }
  if (config_.usage.enabled) {
    GroupCommitter* committer = r.committer.get();
    r.usage = std::make_unique<UsagePoller>(
        io_, *r.provider, config_.usage,
        [committer](std::vector<Trigger> t, GroupCommitter::Done done) {
          committer->submit(std::move(t), std::move(done));
        },
        r.time);
    if (auto st = r.usage->start(); !st) return st;
    spdlog::info(
        "usage: polling console usage every {} s ({} devices per query, at most {} "
        "queries/min, watermarks in {})",
        config_.usage.interval.count() / 1000, config_.usage.page_size,
        config_.usage.max_queries_per_minute, config_.usage.state_path.string());
  }
#ifdef _WIN32
  if (config_.wmi_events.enabled) {
    // Events from the SMS Provider the WMI provider talks to (this machine
    // with the other providers).
    const bool wmi = config_.provider.type == ProviderType::Wmi;
    r.wmi_source =
        std::make_unique<ComEventSource>(wmi ? config_.provider.wmi.server : ".",
                                         wmi ? config_.provider.wmi.timeout : Millis(60'000));
    auto bookmarks = SqliteBookmarkStore::open(default_bookmark_path(config_.store.path));
    if (!bookmarks) return bookmarks.error();
    r.wmi_bookmarks = std::move(*bookmarks);
    GroupCommitter* committer = r.committer.get();
    r.wmi_events = std::make_unique<WmiEventWatcher>(
        io_, config_.wmi_events, *r.wmi_source, *r.wmi_bookmarks,
        [committer](std::vector<Trigger> t, WmiEventWatcher::Done done) {
          committer->submit(std::move(t), std::move(done));
        },
        r.time);
    if (auto st = r.wmi_events->start(); !st) return st;
    spdlog::info("wmi_events: {} subscriptions, bookmarks in {}",
                 config_.wmi_events.subscriptions.size(),
                 default_bookmark_path(config_.store.path).string());
  }
#endif
  return Status::Ok();
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
