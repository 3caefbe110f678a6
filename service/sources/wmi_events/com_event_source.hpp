#pragma once
// The Windows EventSource (COM): each subscription runs on a thread of its
// own with a semisynchronous ExecNotificationQuery (WBEM_FLAG_RETURN_IMMEDIATELY
// | WBEM_FLAG_FORWARD_ONLY) and IEnumWbemClassObject::Next with a short
// timeout, so cancel() returns within about kPoll. Every proxy gets packet
// privacy and impersonation (IWbemServices and the enumerator). Events are
// delivered with TargetInstance / PreviousInstance flattened
// (wmi_instance.hpp). query() is ExecQuery on a connection kept per
// namespace, dropped after a transport failure.
//
// Errors are "0x8004xxxx NAME: what" (event_source.hpp), e.g.
// "0x80041001 WBEM_E_FAILED: ExecNotificationQuery in root\sms\site_PS1", so
// the watcher tells permanent from transient failures.

#ifndef _WIN32
#error "com_event_source.hpp is Windows-only"
#endif

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "core/time.hpp"
#include "sources/wmi_events/event_source.hpp"

namespace uda {

class ComEventSource final : public EventSource {
 public:
  // server: the SMS Provider ("." = this machine); namespaces without a
  // server ("root\sms\site_PS1") are opened there. query_timeout bounds the
  // wait for each row of query().
  explicit ComEventSource(std::string server = ".", Millis query_timeout = Millis(60'000));
  ~ComEventSource() override;  // cancels every subscription
  ComEventSource(const ComEventSource&) = delete;
  ComEventSource& operator=(const ComEventSource&) = delete;

  Status subscribe(const Subscription& sub, OnEvent on_event, OnLost on_lost) override;
  void cancel(const std::string& subscription_name) override;
  Expected<std::vector<WmiInstance>> query(const std::string& ns, const std::string& wql) override;

  // How long one Next() waits before looking at the cancel flag.
  static constexpr Millis kPoll{250};

  // "\\<server>\<ns>" unless ns names its server already.
  [[nodiscard]] std::string full_namespace(const std::string& ns) const;

 private:
  struct Worker;
  struct Connection;
  std::string server_;
  Millis query_timeout_;
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<Worker>> workers_;
  std::map<std::string, std::unique_ptr<Connection>> connections_;
};

}  // namespace uda
