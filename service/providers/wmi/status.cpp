#include "providers/wmi/status.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>

namespace uda::wmi {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool contains_any(std::string_view text, std::initializer_list<std::string_view> words) {
  const auto l = lower(text);
  return std::any_of(words.begin(), words.end(),
                     [&](std::string_view w) { return l.find(w) != std::string::npos; });
}

// SQL Server errors seen through the SMS Provider that go away on their own:
// deadlock victim, lock request timeout, timeout expired, connection broken.
constexpr std::array<std::uint32_t, 7> kSqlTransient{
    1205, 1222, static_cast<std::uint32_t>(-2), 233, 10053, 10054, 40613};

enum class Verdict { Retry, Fail, Unknown };

Verdict judge_extended(const ExtendedStatus& ext) {
  if (ext.error_code && *ext.error_code != 0) {
    const auto c = *ext.error_code;
    if (is_transient(c)) return Verdict::Retry;
    if (std::find(kSqlTransient.begin(), kSqlTransient.end(), c) != kSqlTransient.end()) {
      return Verdict::Retry;
    }
    if (c != kFailed && c != kProviderFailure && code_name(c) != "UNKNOWN") return Verdict::Fail;
    if (c == 5 /*ERROR_ACCESS_DENIED*/ || c == 87 /*ERROR_INVALID_PARAMETER*/ ||
        c == 0x80070057 /*E_INVALIDARG*/) {
      return Verdict::Fail;
    }
  }
  if (contains_any(ext.description, {"deadlock", "timeout", "timed out", "busy", "try again",
                                     "connection", "network"})) {
    return Verdict::Retry;
  }
  if (contains_any(ext.description, {"access denied", "access is denied", "not found",
                                     "does not exist", "invalid", "not valid"})) {
    return Verdict::Fail;
  }
  return Verdict::Unknown;
}

}  // namespace

std::string describe(const WmiCall& call) {
  std::string text = detail(call.hresult, call.message);
  if (call.extended) {
    const auto& e = *call.extended;
    text +=
        fmt::format(": {}", e.class_name.empty() ? std::string("extended status") : e.class_name);
    if (e.error_code) text += fmt::format(" ErrorCode {} (0x{:08X})", *e.error_code, *e.error_code);
    if (!e.description.empty()) text += ": " + e.description;
    if (!e.parameter_info.empty()) text += fmt::format(" [{}]", e.parameter_info);
  }
  return text;
}

CallStatus classify(const WmiCall& call, bool write) {
  const auto hr = call.hresult;
  if (hr == 0) return CallStatus::ok(call.message);
  auto d = describe(call);
  if (hr == kRpcCallFailed) return CallStatus::retry(std::move(d), write);
  if (hr == kTimedOut) return CallStatus::retry(std::move(d), write);
  if (is_transient(hr)) return CallStatus::retry(std::move(d));
  if (hr == kFailed || hr == kProviderFailure) {
    if (call.extended) {
      switch (judge_extended(*call.extended)) {
        case Verdict::Fail:
          return CallStatus::fail(std::move(d));
        case Verdict::Retry:
        case Verdict::Unknown:
          break;
      }
    }
    return CallStatus::retry(std::move(d), write);
  }
  return CallStatus::fail(std::move(d));
}

bool needs_reconnect(std::uint32_t hresult) {
  switch (hresult) {
    case kRpcServerUnavailable:
    case kRpcCallFailedDne:
    case kRpcCallFailed:
    case kRpcDisconnected:
    case kTransportFailure:
    case kShuttingDown:
      return true;
    default:
      return false;
  }
}

}  // namespace uda::wmi
