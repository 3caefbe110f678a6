#pragma once
// The platform boundary of the WMI event source. The Windows implementation
// (com_event_source.hpp: semisynchronous IWbemServices::ExecNotificationQuery
// on a thread per subscription, packet privacy) is written against this interface;
// WmiEventWatcher holds the platform-independent logic and is tested on Linux
// with a fake.
//
// Threading contract:
// * The watcher calls subscribe(), cancel() and query() from one worker
//   thread of its own, never two at once. They may block (a COM call, bounded
//   by the implementation's own timeouts).
// * on_event and on_lost may be called from any thread, including from inside
//   subscribe(). After cancel(name) returns, neither is called again for that
//   subscription's earlier subscribe().
// * on_lost is called at most once per subscribe(): the subscription is dead
//   (the sink's SetStatus reported an error, the provider went away, the RPC
//   connection broke). The watcher calls cancel() and subscribes again after
//   a backoff.
//
// Errors follow the providers' convention: the message starts with the HRESULT
// in hex and its name, "0x80041001 WBEM_E_FAILED: ...", so the watcher can tell
// permanent from transient failures (wmi_failure_code()).

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "sources/wmi_events/subscription.hpp"
#include "sources/wmi_events/wmi_instance.hpp"

namespace uda {

class EventSource {
 public:
  using OnEvent = std::function<void(WmiInstance)>;
  using OnLost = std::function<void(Error)>;

  virtual ~EventSource();

  // Starts delivering the events of sub.query in sub.ns (never "auto": the
  // watcher resolves it first), keyed by sub.name. Events are delivered as
  // described in wmi_instance.hpp (TargetInstance flattened).
  virtual Status subscribe(const Subscription& sub, OnEvent on_event, OnLost on_lost) = 0;
  // Stops the subscription of that name (CancelAsyncCall); no-op if none.
  virtual void cancel(const std::string& subscription_name) = 0;
  // ExecQuery: every instance the statement returns (forward-only, semisync).
  virtual Expected<std::vector<WmiInstance>> query(const std::string& ns,
                                                   const std::string& wql) = 0;
};

// Codes the watcher distinguishes (DESIGN §4).
namespace wmi_code {
inline constexpr std::uint32_t kFailed = 0x80041001;                // WBEM_E_FAILED
inline constexpr std::uint32_t kNotFound = 0x80041002;              // WBEM_E_NOT_FOUND
inline constexpr std::uint32_t kAccessDenied = 0x80041003;          // WBEM_E_ACCESS_DENIED
inline constexpr std::uint32_t kInvalidNamespace = 0x8004100E;      // WBEM_E_INVALID_NAMESPACE
inline constexpr std::uint32_t kInvalidClass = 0x80041010;          // WBEM_E_INVALID_CLASS
inline constexpr std::uint32_t kTransportFailure = 0x80041015;      // WBEM_E_TRANSPORT_FAILURE
inline constexpr std::uint32_t kInvalidQuery = 0x80041017;          // WBEM_E_INVALID_QUERY
inline constexpr std::uint32_t kInvalidQueryType = 0x80041018;      // WBEM_E_INVALID_QUERY_TYPE
inline constexpr std::uint32_t kNotEventClass = 0x80041050;         // WBEM_E_NOT_EVENT_CLASS
inline constexpr std::uint32_t kUnparsableQuery = 0x80041058;       // WBEM_E_UNPARSABLE_QUERY
inline constexpr std::uint32_t kRpcServerUnavailable = 0x800706BA;  // RPC_S_SERVER_UNAVAILABLE
}  // namespace wmi_code

// The HRESULT at the start of an error message ("0x80041001 ..."), if any.
std::optional<std::uint32_t> wmi_failure_code(const Error& error);

// True when subscribing again cannot help until someone changes something:
// access denied, no such namespace or class, a query WMI refuses. These are
// still retried (a site upgrade or a permission change fixes them), but at the
// longest backoff, and logged as errors with the fix. Everything else —
// WBEM_E_FAILED included, which is what a broken event sink usually reports —
// is retried with the normal backoff.
bool is_permanent_wmi_failure(const Error& error);

// What to tell the admin about a permanent failure ("check that the agent's
// account is in the SMS Admins group ..."); empty when there is nothing to add.
std::string wmi_failure_hint(const Error& error);

}  // namespace uda
