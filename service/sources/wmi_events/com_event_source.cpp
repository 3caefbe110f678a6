#include "sources/wmi_events/com_event_source.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <future>
#include <thread>

#include "providers/wmi/com_session.hpp"
#include "providers/wmi/com_util.hpp"

namespace uda {

namespace com = wmi::com;

struct ComEventSource::Worker {
  std::atomic<bool> stop{false};
  std::thread thread;
};

struct ComEventSource::Connection {
  explicit Connection(Millis timeout) : session(timeout) {}
  wmi::ComWmiSession session;
};

ComEventSource::ComEventSource(std::string server, Millis query_timeout)
    : server_(std::move(server)), query_timeout_(query_timeout) {
  if (server_.empty()) server_ = ".";
}

ComEventSource::~ComEventSource() {
  std::map<std::string, std::unique_ptr<Worker>> workers;
  {
    std::lock_guard lock(mu_);
    workers.swap(workers_);
  }
  for (auto& [name, w] : workers) {
    w->stop = true;
    if (w->thread.joinable()) w->thread.join();
  }
  // The pooled connections' proxies are released from this thread: make
  // sure it is in the apartment they belong to.
  (void)com::ensure_mta();
  connections_.clear();
}

std::string ComEventSource::full_namespace(const std::string& ns) const {
  if (ns.rfind("\\\\", 0) == 0 || ns.rfind("//", 0) == 0) return ns;
  return fmt::format("\\\\{}\\{}", server_, ns);
}

namespace {

Error to_error(const wmi::WmiCall& call) {
  return Error{wmi::describe(call)};
}

// One subscription's thread: connect, ExecNotificationQuery, then Next() in
// short waits until stopped or the enumeration fails.
void run_subscription(const std::string& name, const std::string& ns, const std::string& wql,
                      const EventSource::OnEvent& on_event, const EventSource::OnLost& on_lost,
                      const std::atomic<bool>& stop, std::promise<Status>& started) {
  com::Ptr<IWbemServices> services;
  if (auto c = com::connect(ns, services); !c.ok()) {
    started.set_value(to_error(c));
    return;
  }
  com::Ptr<IEnumWbemClassObject> events;
  com::Bstr language("WQL");
  com::Bstr query(wql);
  HRESULT hr = services->ExecNotificationQuery(
      language.get(), query.get(), WBEM_FLAG_RETURN_IMMEDIATELY | WBEM_FLAG_FORWARD_ONLY, nullptr,
      events.put());
  if (FAILED(hr) || !events) {
    started.set_value(
        to_error(com::failure(FAILED(hr) ? hr : static_cast<HRESULT>(wmi::kFailed),
                              fmt::format("ExecNotificationQuery in {} ({})", ns, wql))));
    return;
  }
  if (hr = com::set_blanket(events.get()); FAILED(hr)) {
    started.set_value(to_error(
        com::failure(hr, fmt::format("CoSetProxyBlanket on the event enumerator ({})", ns))));
    return;
  }
  started.set_value(Status::Ok());
  spdlog::debug("wmi_events: {} subscribed in {}", name, ns);
  const long wait = com::timeout_ms(ComEventSource::kPoll);
  while (!stop) {
    com::Ptr<IWbemClassObject> event;
    ULONG returned = 0;
    hr = events->Next(wait, 1, event.put(), &returned);
    if (hr == WBEM_S_TIMEDOUT) continue;
    if (stop) return;
    if (FAILED(hr)) {
      on_lost(to_error(com::failure(hr, fmt::format("waiting for events in {}", ns))));
      return;
    }
    if (returned == 0 || !event) {
      on_lost(to_error(wmi::WmiCall::failure(
          wmi::kFailed, fmt::format("the event enumeration in {} ended", ns))));
      return;
    }
    on_event(com::to_instance(event.get(), /*flatten_embedded=*/true));
  }
}

}  // namespace

Status ComEventSource::subscribe(const Subscription& sub, OnEvent on_event, OnLost on_lost) {
  cancel(sub.name);
  auto worker = std::make_unique<Worker>();
  // Shared with the thread: it may still be inside set_value() when the
  // waiting side goes on.
  auto started = std::make_shared<std::promise<Status>>();
  auto ready = started->get_future();
  const std::string ns = full_namespace(sub.ns);
  worker->thread =
      std::thread([name = sub.name, ns, wql = sub.query, on_event = std::move(on_event),
                   on_lost = std::move(on_lost), &stop = worker->stop, started] {
        if (const auto hr = com::ensure_mta(); hr != 0) {
          started->set_value(
              to_error(wmi::WmiCall::failure(hr, "CoInitializeEx (multithreaded apartment)")));
          return;
        }
        run_subscription(name, ns, wql, on_event, on_lost, stop, *started);
      });
  Status st = ready.get();
  if (!st) {
    worker->thread.join();
    return st;
  }
  std::lock_guard lock(mu_);
  workers_[sub.name] = std::move(worker);
  return Status::Ok();
}

void ComEventSource::cancel(const std::string& subscription_name) {
  std::unique_ptr<Worker> worker;
  {
    std::lock_guard lock(mu_);
    auto it = workers_.find(subscription_name);
    if (it == workers_.end()) return;
    worker = std::move(it->second);
    workers_.erase(it);
  }
  worker->stop = true;
  if (worker->thread.joinable()) worker->thread.join();
}

Expected<std::vector<WmiInstance>> ComEventSource::query(const std::string& ns,
                                                         const std::string& wql) {
  const std::string full = full_namespace(ns);
  // The watcher calls query() from one thread at a time (event_source.hpp).
  auto it = connections_.find(full);
  if (it == connections_.end()) {
    auto c = std::make_unique<Connection>(query_timeout_);
    if (auto call = c->session.connect(full); !call.ok()) return to_error(call);
    it = connections_.emplace(full, std::move(c)).first;
  }
  auto r = it->second->session.exec_query(wql);
  if (!r.call.ok()) {
    if (wmi::needs_reconnect(r.call.hresult)) connections_.erase(it);
    r.call.message = fmt::format("{} in {}: {}", wql, full, r.call.message);
    return to_error(r.call);
  }
  return std::move(r.rows);
}

}  // namespace uda
