#include "providers/wmi/com_session.hpp"

#include <fmt/format.h>

#include "providers/wmi/com_util.hpp"

namespace uda::wmi {

struct ComWmiSession::Impl {
  Millis timeout;
  std::string ns;
  com::Ptr<IWbemServices> services;
};

ComWmiSession::ComWmiSession(Millis timeout) : impl_(std::make_unique<Impl>()) {
  impl_->timeout = timeout;
}

ComWmiSession::~ComWmiSession() = default;

WmiCall ComWmiSession::connect(const std::string& ns) {
  impl_->ns = ns;
  return com::connect(ns, impl_->services);
}

namespace {

WmiCall not_connected() {
  return WmiCall::failure(kTransportFailure, "not connected (call connect first)");
}

}  // namespace

QueryResult ComWmiSession::exec_query(const std::string& wql) {
  QueryResult out;
  if (!impl_->services) {
    out.call = not_connected();
    return out;
  }
  if (const auto hr = com::ensure_mta(); hr != 0) {
    out.call = WmiCall::failure(hr, "CoInitializeEx (multithreaded apartment)");
    return out;
  }
  com::Ptr<IEnumWbemClassObject> rows;
  com::Bstr language("WQL");
  com::Bstr query(wql);
  HRESULT hr = impl_->services->ExecQuery(language.get(), query.get(),
                                          WBEM_FLAG_FORWARD_ONLY | WBEM_FLAG_RETURN_IMMEDIATELY,
                                          nullptr, rows.put());
  if (FAILED(hr)) {
    out.call = com::failure(hr, "ExecQuery");
    return out;
  }
  if (hr = com::set_blanket(rows.get()); FAILED(hr)) {
    out.call = com::failure(hr, "CoSetProxyBlanket on the query's enumerator");
    return out;
  }
  const long wait = com::timeout_ms(impl_->timeout);
  while (true) {
    com::Ptr<IWbemClassObject> row;
    ULONG returned = 0;
    hr = rows->Next(wait, 1, row.put(), &returned);
    if (hr == WBEM_S_TIMEDOUT) {
      out.call = WmiCall::failure(kTimedOut,
                                  fmt::format("no answer within {} after {} rows",
                                              format_duration(impl_->timeout), out.rows.size()));
      return out;
    }
    if (FAILED(hr)) {
      out.call =
          com::failure(hr, fmt::format("reading the results (after {} rows)", out.rows.size()));
      return out;
    }
    if (returned == 0 || !row) break;  // WBEM_S_FALSE: no more rows
    out.rows.push_back(com::to_instance(row.get(), false));
  }
  return out;
}

MethodResult ComWmiSession::exec_static_method(const std::string& class_name,
                                               const std::string& method, const WmiProperties& in) {
  MethodResult out;
  if (!impl_->services) {
    out.call = not_connected();
    return out;
  }
  if (const auto hr = com::ensure_mta(); hr != 0) {
    out.call = WmiCall::failure(hr, "CoInitializeEx (multithreaded apartment)");
    return out;
  }
  com::Bstr cls(class_name);
  com::Bstr name(method);
  com::Ptr<IWbemClassObject> class_object;
  HRESULT hr = impl_->services->GetObject(cls.get(), 0, nullptr, class_object.put(), nullptr);
  if (FAILED(hr)) {
    out.call = com::failure(hr, fmt::format("GetObject {}", class_name));
    return out;
  }
  com::Ptr<IWbemClassObject> signature;
  hr = class_object->GetMethod(com::widen(method).c_str(), 0, signature.put(), nullptr);
  if (FAILED(hr)) {
    out.call = com::failure(hr, fmt::format("GetMethod {}", method));
    return out;
  }
  com::Ptr<IWbemClassObject> params;
  if (signature) {
    hr = signature->SpawnInstance(0, params.put());
    if (FAILED(hr)) {
      out.call = com::failure(hr, "SpawnInstance of the in-parameters");
      return out;
    }
  } else if (!in.empty()) {
    out.call = WmiCall::failure(kInvalidMethodParameters,
                                fmt::format("{} takes no in-parameters", method));
    return out;
  }
  for (const auto& [key, value] : in) {
    // By name, typed by the parameter's declared CIMTYPE.
    const auto wkey = com::widen(key);
    CIMTYPE type = CIM_EMPTY;
    hr = params->Get(wkey.c_str(), 0, nullptr, &type, nullptr);
    if (FAILED(hr)) {
      out.call = com::failure(hr, fmt::format("{} has no in-parameter {}", method, key));
      return out;
    }
    com::Variant v;
    hr = com::to_variant(value, type, v.v);
    if (FAILED(hr)) {
      out.call = WmiCall::failure(
          static_cast<std::uint32_t>(hr),
          fmt::format("in-parameter {}: {} does not fit its type", key, uda::describe(value)));
      return out;
    }
    hr = params->Put(wkey.c_str(), 0, &v.v, 0);
    if (FAILED(hr)) {
      out.call = com::failure(hr, fmt::format("Put in-parameter {}", key));
      return out;
    }
  }
  // Synchronous: the out-parameters come back with the call. (Semisynchronous
  // ExecMethod, WBEM_FLAG_RETURN_IMMEDIATELY + IWbemCallResult, is not
  // implemented everywhere: Wine runs the method and returns no result.) The
  // dispatcher's call_timeout bounds the wait.
  com::Ptr<IWbemClassObject> result;
  hr = impl_->services->ExecMethod(cls.get(), name.get(), 0, nullptr, params.get(), result.put(),
                                   nullptr);
  if (FAILED(hr)) {
    out.call = com::failure(hr, "ExecMethod");
    return out;
  }
  if (result) out.out = com::to_instance(result.get(), false).properties;
  return out;
}

SessionFactory com_session_factory(Millis timeout) {
  return [timeout] { return std::make_unique<ComWmiSession>(timeout); };
}

}  // namespace uda::wmi
