#pragma once
// COM helpers shared by the WMI provider's session and the WMI event source
// (Windows only): the apartment, smart pointers, string and VARIANT
// conversion, packet privacy on proxies, and the error object a failed WMI
// call leaves (__ExtendedStatus / SMS_ExtendedStatus).

#ifndef _WIN32
#error "com_util.hpp is Windows-only"
#endif

// winsock2.h before windows.h (Boost.Asio includes it too)
#include <winsock2.h>
// then windows.h
#include <windows.h>
// then COM and WMI
#include <oleauto.h>
#include <wbemidl.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/time.hpp"
#include "providers/wmi/status.hpp"
#include "sources/wmi_events/wmi_instance.hpp"

namespace uda::wmi::com {

// An owning COM interface pointer.
template <class T>
class Ptr {
 public:
  Ptr() = default;
  ~Ptr() { reset(); }
  Ptr(const Ptr&) = delete;
  Ptr& operator=(const Ptr&) = delete;
  Ptr(Ptr&& o) noexcept : p_(o.p_) { o.p_ = nullptr; }
  Ptr& operator=(Ptr&& o) noexcept {
    if (this != &o) {
      reset();
      p_ = o.p_;
      o.p_ = nullptr;
    }
    return *this;
  }
  void reset() {
    if (p_ != nullptr) p_->Release();
    p_ = nullptr;
  }
  T** put() {
    reset();
    return &p_;
  }
  [[nodiscard]] T* get() const { return p_; }
  T* operator->() const { return p_; }
  explicit operator bool() const { return p_ != nullptr; }

 private:
  T* p_ = nullptr;
};

// A BSTR made from UTF-8, freed at the end of its scope.
class Bstr {
 public:
  explicit Bstr(std::string_view utf8);
  ~Bstr();
  Bstr(const Bstr&) = delete;
  Bstr& operator=(const Bstr&) = delete;
  [[nodiscard]] BSTR get() const { return b_; }

 private:
  BSTR b_ = nullptr;
};

// A VARIANT cleared at the end of its scope.
struct Variant {
  Variant() { VariantInit(&v); }
  ~Variant() { VariantClear(&v); }
  Variant(const Variant&) = delete;
  Variant& operator=(const Variant&) = delete;
  VARIANT v;
};

std::wstring widen(std::string_view utf8);
std::string narrow(const wchar_t* text);

// Makes sure this thread is in the multithreaded apartment (once per thread;
// left when the thread ends) and, once per process, sets the default COM
// security: packet privacy, impersonation. Returns 0 or the failing HRESULT.
std::uint32_t ensure_mta();

// CoSetProxyBlanket with packet privacy and impersonation. Objects that are
// not proxies (an in-process WMI, E_NOINTERFACE) are left as they are.
HRESULT set_blanket(IUnknown* proxy);

// After a failed WMI call on this thread: the error object, if the provider
// left one (SMS_ExtendedStatus: ErrorCode; __ExtendedStatus: StatusCode).
std::optional<ExtendedStatus> take_extended_status();
// A failed call: the HRESULT, `what`, and the extended status if any.
WmiCall failure(HRESULT hr, std::string what);

// The instance's class (__CLASS) and non-system properties, converted as
// wmi_instance.hpp describes. With flatten_embedded, embedded objects
// (TargetInstance, PreviousInstance) become "<name>.<property>" and
// "<name>.__CLASS"; without it they are left out.
WmiInstance to_instance(IWbemClassObject* object, bool flatten_embedded);
// One property value (VARIANT + CIMTYPE); nullopt for what wmi_instance.hpp
// leaves out (embedded objects, arrays of other types).
std::optional<WmiValue> to_value(const VARIANT& v, CIMTYPE type);
// The VARIANT Put() expects for a property of type `type` (uint32 as VT_I4,
// 64-bit integers as BSTR, ...). Returns S_OK or the conversion error.
HRESULT to_variant(const WmiValue& value, CIMTYPE type, VARIANT& out);

// IWbemLocator::ConnectServer to `ns` with the process's identity, then
// packet privacy on the IWbemServices proxy.
WmiCall connect(const std::string& ns, Ptr<IWbemServices>& out);

// Milliseconds for the WMI calls that take a timeout (long, WBEM_INFINITE-safe).
long timeout_ms(Millis t);

}  // namespace uda::wmi::com
