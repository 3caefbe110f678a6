#pragma once
// The small facade the WMI provider is written against, so its logic is
// tested on Linux with a fake. The Windows implementation (com_session.hpp)
// is IWbemLocator / IWbemServices with packet privacy.
//
// A session is used by one thread at a time (the provider hands sessions out
// from a pool). After a failed call whose code needs_reconnect() (status.hpp),
// the provider drops the session and makes a new one.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "providers/wmi/status.hpp"
#include "sources/wmi_events/wmi_instance.hpp"

namespace uda::wmi {

struct QueryResult {
  WmiCall call;
  std::vector<WmiInstance> rows;
};

struct MethodResult {
  WmiCall call;
  WmiProperties out;  // the out-parameters, ReturnValue included
};

class WmiSession {
 public:
  virtual ~WmiSession();
  // Connects to a namespace ("\\server\root\sms\site_PS1"); replaces an
  // earlier connection of this session.
  virtual WmiCall connect(const std::string& ns) = 0;
  // ExecQuery (WQL, forward-only); every row.
  virtual QueryResult exec_query(const std::string& wql) = 0;
  // A static method: GetObject(class) -> GetMethod -> SpawnInstance of the
  // in-parameters -> each put BY NAME (typed by the parameter's CIMTYPE) ->
  // ExecMethod.
  virtual MethodResult exec_static_method(const std::string& class_name, const std::string& method,
                                          const WmiProperties& in) = 0;
};

using SessionFactory = std::function<std::unique_ptr<WmiSession>()>;

}  // namespace uda::wmi
