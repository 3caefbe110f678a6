#include "providers/wmi/com_util.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <climits>
#include <mutex>
#include <vector>

namespace uda::wmi::com {

Bstr::Bstr(std::string_view utf8) {
  const auto w = widen(utf8);
  b_ = SysAllocStringLen(w.data(), static_cast<UINT>(w.size()));
}

Bstr::~Bstr() {
  SysFreeString(b_);
}

std::wstring widen(std::string_view utf8) {
  if (utf8.empty()) return {};
  const int n =
      MultiByteToWideChar(CP_UTF8, 0, utf8.data(), static_cast<int>(utf8.size()), nullptr, 0);
  std::wstring out(static_cast<std::size_t>(std::max(n, 0)), L'\0');
  if (n > 0) {
    MultiByteToWideChar(CP_UTF8, 0, utf8.data(), static_cast<int>(utf8.size()), out.data(), n);
  }
  return out;
}

std::string narrow(const wchar_t* text) {
  if (text == nullptr || *text == L'\0') return {};
  const int n = WideCharToMultiByte(CP_UTF8, 0, text, -1, nullptr, 0, nullptr, nullptr);
  if (n <= 1) return {};
  std::string out(static_cast<std::size_t>(n), '\0');
  WideCharToMultiByte(CP_UTF8, 0, text, -1, out.data(), n, nullptr, nullptr);
  out.resize(static_cast<std::size_t>(n - 1));
  return out;
}

namespace {

struct Apartment {
  Apartment() : hr(CoInitializeEx(nullptr, COINIT_MULTITHREADED)) {}
  ~Apartment() {
    if (SUCCEEDED(hr)) CoUninitialize();
  }
  Apartment(const Apartment&) = delete;
  Apartment& operator=(const Apartment&) = delete;
  HRESULT hr;
};

}  // namespace

std::uint32_t ensure_mta() {
  thread_local Apartment apartment;
  // RPC_E_CHANGED_MODE: the thread already is in a single-threaded apartment
  // (someone else's thread); COM works there too.
  if (FAILED(apartment.hr) && apartment.hr != RPC_E_CHANGED_MODE) {
    return static_cast<std::uint32_t>(apartment.hr);
  }
  static std::once_flag security;
  std::call_once(security, [] {
    // Fails with RPC_E_TOO_LATE when the process (or a test harness) set it
    // already; the blanket on every proxy still asks for packet privacy.
    (void)CoInitializeSecurity(nullptr, -1, nullptr, nullptr, RPC_C_AUTHN_LEVEL_PKT_PRIVACY,
                               RPC_C_IMP_LEVEL_IMPERSONATE, nullptr, EOAC_NONE, nullptr);
  });
  return 0;
}

HRESULT set_blanket(IUnknown* proxy) {
  if (proxy == nullptr) return S_OK;
  const HRESULT hr = CoSetProxyBlanket(proxy, RPC_C_AUTHN_DEFAULT, RPC_C_AUTHZ_NONE,
                                       COLE_DEFAULT_PRINCIPAL, RPC_C_AUTHN_LEVEL_PKT_PRIVACY,
                                       RPC_C_IMP_LEVEL_IMPERSONATE, nullptr, EOAC_DEFAULT);
  if (hr == E_NOINTERFACE) return S_OK;  // not a proxy: an in-process object
  return hr;
}

namespace {

std::optional<std::string> get_string(IWbemClassObject* o, const wchar_t* name) {
  Variant v;
  if (FAILED(o->Get(name, 0, &v.v, nullptr, nullptr))) return std::nullopt;
  if (v.v.vt != VT_BSTR) return std::nullopt;
  return narrow(v.v.bstrVal);
}

std::optional<std::uint32_t> get_u32(IWbemClassObject* o, const wchar_t* name) {
  Variant v;
  if (FAILED(o->Get(name, 0, &v.v, nullptr, nullptr))) return std::nullopt;
  switch (v.v.vt) {
    case VT_I4:
      return static_cast<std::uint32_t>(v.v.lVal);
    case VT_UI4:
      return static_cast<std::uint32_t>(v.v.ulVal);
    case VT_I2:
      return static_cast<std::uint32_t>(static_cast<std::int32_t>(v.v.iVal));
    case VT_UI1:
      return v.v.bVal;
    default:
      return std::nullopt;
  }
}

}  // namespace

std::optional<ExtendedStatus> take_extended_status() {
  Ptr<IErrorInfo> info;
  if (GetErrorInfo(0, info.put()) != S_OK || !info) return std::nullopt;
  Ptr<IWbemClassObject> obj;
  if (FAILED(info->QueryInterface(IID_IWbemClassObject, reinterpret_cast<void**>(obj.put()))) ||
      !obj) {
    return std::nullopt;
  }
  ExtendedStatus e;
  e.class_name = get_string(obj.get(), L"__CLASS").value_or("");
  e.error_code = get_u32(obj.get(), L"ErrorCode");
  if (!e.error_code) e.error_code = get_u32(obj.get(), L"StatusCode");
  e.description = get_string(obj.get(), L"Description").value_or("");
  e.operation = get_string(obj.get(), L"Operation").value_or("");
  e.parameter_info = get_string(obj.get(), L"ParameterInfo").value_or("");
  return e;
}

WmiCall failure(HRESULT hr, std::string what) {
  return WmiCall::failure(static_cast<std::uint32_t>(hr), std::move(what), take_extended_status());
}

namespace {

std::int64_t int_of(const VARIANT& v, CIMTYPE base, bool& ok) {
  ok = true;
  switch (v.vt) {
    case VT_I1:
      return v.cVal;
    case VT_UI1:
      return v.bVal;
    case VT_I2:
      return base == CIM_UINT16 ? static_cast<std::uint16_t>(v.iVal) : v.iVal;
    case VT_UI2:
      return v.uiVal;
    case VT_I4:
      // uint32 travels as VT_I4: read it by its CIMTYPE, never as a negative.
      return base == CIM_UINT32 ? static_cast<std::int64_t>(static_cast<std::uint32_t>(v.lVal))
                                : v.lVal;
    case VT_UI4:
      return v.ulVal;
    case VT_I8:
      return v.llVal;
    case VT_UI8:
      return static_cast<std::int64_t>(v.ullVal);
    case VT_BOOL:
      return v.boolVal != VARIANT_FALSE ? 1 : 0;
    default:
      ok = false;
      return 0;
  }
}

bool read_strings(SAFEARRAY* sa, std::vector<std::string>& out) {
  if (sa == nullptr) return true;
  LONG lo = 0;
  LONG hi = -1;
  if (FAILED(SafeArrayGetLBound(sa, 1, &lo)) || FAILED(SafeArrayGetUBound(sa, 1, &hi))) {
    return false;
  }
  for (LONG i = lo; i <= hi; ++i) {
    BSTR b = nullptr;
    if (FAILED(SafeArrayGetElement(sa, &i, &b))) return false;
    out.push_back(narrow(b));
    SysFreeString(b);
  }
  return true;
}

std::optional<std::vector<std::int64_t>> int_array(SAFEARRAY* sa, VARTYPE elem, CIMTYPE base) {
  std::vector<std::int64_t> out;
  if (sa == nullptr) return out;
  LONG lo = 0;
  LONG hi = -1;
  if (FAILED(SafeArrayGetLBound(sa, 1, &lo)) || FAILED(SafeArrayGetUBound(sa, 1, &hi))) {
    return std::nullopt;
  }
  for (LONG i = lo; i <= hi; ++i) {
    VARIANT one;
    VariantInit(&one);
    one.vt = elem;
    // Every integer element type fits in the VARIANT's 8-byte union.
    if (FAILED(SafeArrayGetElement(sa, &i, &one.llVal))) return std::nullopt;
    bool ok = false;
    const auto n = int_of(one, base, ok);
    if (!ok) return std::nullopt;
    out.push_back(n);
  }
  return out;
}

}  // namespace

std::optional<WmiValue> to_value(const VARIANT& v, CIMTYPE type) {
  if (v.vt == VT_NULL || v.vt == VT_EMPTY) return WmiValue{};
  const CIMTYPE base = type & ~CIM_FLAG_ARRAY;
  if ((v.vt & VT_ARRAY) != 0) {
    const VARTYPE elem = static_cast<VARTYPE>(v.vt & ~VT_ARRAY);
    if (elem == VT_BSTR) {
      std::vector<std::string> out;
      if (!read_strings(v.parray, out)) return std::nullopt;
      return WmiValue{std::move(out)};
    }
    if (elem == VT_UNKNOWN || elem == VT_DISPATCH || elem == VT_R4 || elem == VT_R8) {
      return std::nullopt;
    }
    auto ints = int_array(v.parray, elem, base);
    if (!ints) return std::nullopt;
    return WmiValue{std::move(*ints)};
  }
  switch (v.vt) {
    case VT_BOOL:
      return WmiValue{v.boolVal != VARIANT_FALSE};
    case VT_BSTR:
      return WmiValue{narrow(v.bstrVal)};
    case VT_R4:
      return WmiValue{static_cast<double>(v.fltVal)};
    case VT_R8:
      return WmiValue{v.dblVal};
    case VT_UNKNOWN:
    case VT_DISPATCH:
      return std::nullopt;
    default: {
      bool ok = false;
      const auto n = int_of(v, base, ok);
      if (!ok) return std::nullopt;
      return WmiValue{n};
    }
  }
}

namespace {

const HRESULT kTypeMismatchHr = static_cast<HRESULT>(kTypeMismatch);

HRESULT bstr_variant(std::string_view text, VARIANT& out) {
  const auto w = widen(text);
  out.vt = VT_BSTR;
  out.bstrVal = SysAllocStringLen(w.data(), static_cast<UINT>(w.size()));
  return out.bstrVal != nullptr || w.empty() ? S_OK : E_OUTOFMEMORY;
}

}  // namespace

HRESULT to_variant(const WmiValue& value, CIMTYPE type, VARIANT& out) {
  VariantInit(&out);
  const CIMTYPE base = type & ~CIM_FLAG_ARRAY;
  if (std::holds_alternative<std::monostate>(value)) {
    out.vt = VT_NULL;
    return S_OK;
  }
  if (const auto* b = std::get_if<bool>(&value)) {
    out.vt = VT_BOOL;
    out.boolVal = *b ? VARIANT_TRUE : VARIANT_FALSE;
    return S_OK;
  }
  if (const auto* s = std::get_if<std::string>(&value)) return bstr_variant(*s, out);
  if (const auto* d = std::get_if<double>(&value)) {
    if (base == CIM_REAL32) {
      out.vt = VT_R4;
      out.fltVal = static_cast<float>(*d);
    } else {
      out.vt = VT_R8;
      out.dblVal = *d;
    }
    return S_OK;
  }
  if (const auto* i = std::get_if<std::int64_t>(&value)) {
    const auto n = *i;
    switch (base) {
      case CIM_SINT64:
      case CIM_UINT64:
      case CIM_STRING:
        return bstr_variant(std::to_string(n), out);
      case CIM_BOOLEAN:
        out.vt = VT_BOOL;
        out.boolVal = n != 0 ? VARIANT_TRUE : VARIANT_FALSE;
        return S_OK;
      case CIM_UINT8:
        if (n < 0 || n > 255) return kTypeMismatchHr;
        out.vt = VT_UI1;
        out.bVal = static_cast<BYTE>(n);
        return S_OK;
      case CIM_SINT8:
      case CIM_SINT16:
        if (n < SHRT_MIN || n > SHRT_MAX) return kTypeMismatchHr;
        out.vt = VT_I2;
        out.iVal = static_cast<SHORT>(n);
        return S_OK;
      case CIM_REAL32:
      case CIM_REAL64:
        out.vt = VT_R8;
        out.dblVal = static_cast<double>(n);
        return S_OK;
      case CIM_UINT32:
      case CIM_SINT32:
        // Both travel as VT_I4; WMI reads the 32 bits by the declared type.
        // Accept either reading (a registry hive 0x80000001 is a uint32 on
        // Windows and a sint32 in Wine's StdRegProv).
        if (n < INT_MIN || n > 0xFFFFFFFFLL) return kTypeMismatchHr;
        out.vt = VT_I4;
        out.lVal = static_cast<LONG>(static_cast<std::uint32_t>(n));
        return S_OK;
      default:  // uint16 and untyped
        if (n < INT_MIN || n > INT_MAX) return kTypeMismatchHr;
        out.vt = VT_I4;
        out.lVal = static_cast<LONG>(n);
        return S_OK;
    }
  }
  if (const auto* list = std::get_if<std::vector<std::string>>(&value)) {
    SAFEARRAY* sa = SafeArrayCreateVector(VT_BSTR, 0, static_cast<ULONG>(list->size()));
    if (sa == nullptr) return E_OUTOFMEMORY;
    for (LONG i = 0; i < static_cast<LONG>(list->size()); ++i) {
      Bstr b((*list)[static_cast<std::size_t>(i)]);
      if (const HRESULT hr = SafeArrayPutElement(sa, &i, b.get()); FAILED(hr)) {
        SafeArrayDestroy(sa);
        return hr;
      }
    }
    out.vt = VT_ARRAY | VT_BSTR;
    out.parray = sa;
    return S_OK;
  }
  if (const auto* list = std::get_if<std::vector<std::int64_t>>(&value)) {
    SAFEARRAY* sa = SafeArrayCreateVector(VT_I4, 0, static_cast<ULONG>(list->size()));
    if (sa == nullptr) return E_OUTOFMEMORY;
    for (LONG i = 0; i < static_cast<LONG>(list->size()); ++i) {
      const auto n = (*list)[static_cast<std::size_t>(i)];
      if (n < INT_MIN || n > 0xFFFFFFFFLL) {
        SafeArrayDestroy(sa);
        return kTypeMismatchHr;
      }
      LONG l = static_cast<LONG>(static_cast<std::uint32_t>(n));
      if (const HRESULT hr = SafeArrayPutElement(sa, &i, &l); FAILED(hr)) {
        SafeArrayDestroy(sa);
        return hr;
      }
    }
    out.vt = VT_ARRAY | VT_I4;
    out.parray = sa;
    return S_OK;
  }
  return kTypeMismatchHr;
}

namespace {

void add_properties(IWbemClassObject* object, const std::string& prefix, bool flatten,
                    WmiProperties& out) {
  if (FAILED(object->BeginEnumeration(WBEM_FLAG_NONSYSTEM_ONLY))) return;
  while (true) {
    BSTR name = nullptr;
    Variant v;
    CIMTYPE type = 0;
    if (object->Next(0, &name, &v.v, &type, nullptr) != WBEM_S_NO_ERROR) break;
    const std::string key = prefix + narrow(name);
    SysFreeString(name);
    if (v.v.vt == VT_UNKNOWN && flatten && v.v.punkVal != nullptr) {
      Ptr<IWbemClassObject> inner;
      if (SUCCEEDED(v.v.punkVal->QueryInterface(IID_IWbemClassObject,
                                                reinterpret_cast<void**>(inner.put())))) {
        if (auto cls = get_string(inner.get(), L"__CLASS")) out[key + ".__CLASS"] = *cls;
        add_properties(inner.get(), key + ".", false, out);
      }
      continue;
    }
    if (auto value = to_value(v.v, type)) out[key] = std::move(*value);
  }
  object->EndEnumeration();
}

}  // namespace

WmiInstance to_instance(IWbemClassObject* object, bool flatten_embedded) {
  WmiInstance inst;
  if (object == nullptr) return inst;
  inst.class_name = get_string(object, L"__CLASS").value_or("");
  add_properties(object, "", flatten_embedded, inst.properties);
  return inst;
}

WmiCall connect(const std::string& ns, Ptr<IWbemServices>& out) {
  out.reset();
  if (const auto hr = ensure_mta(); hr != 0) {
    return WmiCall::failure(hr, "CoInitializeEx (multithreaded apartment)");
  }
  Ptr<IWbemLocator> locator;
  HRESULT hr = CoCreateInstance(CLSID_WbemLocator, nullptr, CLSCTX_INPROC_SERVER, IID_IWbemLocator,
                                reinterpret_cast<void**>(locator.put()));
  if (FAILED(hr)) return failure(hr, "CoCreateInstance(WbemLocator)");
  Bstr path(ns);
  hr = locator->ConnectServer(path.get(), nullptr, nullptr, nullptr, WBEM_FLAG_CONNECT_USE_MAX_WAIT,
                              nullptr, nullptr, out.put());
  if (FAILED(hr)) {
    out.reset();
    return failure(hr, fmt::format("ConnectServer {}", ns));
  }
  hr = set_blanket(out.get());
  if (FAILED(hr)) {
    out.reset();
    return failure(hr, fmt::format("CoSetProxyBlanket (packet privacy) on {}", ns));
  }
  return {};
}

long timeout_ms(Millis t) {
  const auto ms = t.count();
  if (ms <= 0) return 0;
  if (ms >= LONG_MAX) return static_cast<long>(WBEM_INFINITE);
  return static_cast<long>(ms);
}

}  // namespace uda::wmi::com
