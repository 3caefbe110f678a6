#include "providers/adminservice/status_map.hpp"

#include <fmt/format.h>

#include <charconv>

#include "core/time.hpp"
#include "core/user_account.hpp"
#include "providers/adminservice/odata.hpp"

namespace uda::adminservice {

std::optional<Millis> parse_retry_after(std::string_view value, TimePoint now) {
  value = trim(value);
  if (value.empty()) return std::nullopt;
  constexpr Millis kMax{3'600'000};
  std::int64_t secs = 0;
  auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), secs);
  if (ec == std::errc{} && p == value.data() + value.size()) {
    if (secs < 0) return std::nullopt;
    return std::min(kMax, Millis(secs * 1000));
  }
  // IMF-fixdate: "Wed, 25 Nov 2026 10:00:00 GMT"
  const auto at = parse_http_date(value);
  if (!at) return std::nullopt;
  const auto delta = *at - now;
  if (delta.count() <= 0) return Millis(0);
  return std::min(kMax, delta);
}

CallStatus to_status(const HttpResponse& r, std::string_view what, bool writes, TimePoint now) {
  switch (r.error) {
    case TransportError::None:
      break;
    case TransportError::Resolve:
    case TransportError::Connect:
    case TransportError::Tls:
      // Nothing reached the site: retry, never ambiguous. A TLS or name
      // problem is a site-wide configuration matter: retrying opens the
      // breaker instead of dead-lettering every job.
      return CallStatus::retry(fmt::format("{}: {}", what, r.error_text));
    case TransportError::Timeout:
    case TransportError::Interrupted:
    case TransportError::TooLarge:
    case TransportError::Other:
      return CallStatus::retry(fmt::format("{}: {}", what, r.error_text), writes);
  }
  const int s = r.status;
  const std::string detail = fmt::format("{}: HTTP {} {}", what, s, error_text(r.body));
  if (s >= 200 && s < 300) return CallStatus::ok();
  if (s == 401) {
    // The site did not accept the service's identity (expired CMG / Entra ID
    // token, wrong account or password): a site-wide matter, not this job's
    // fault. Retrying lets the breaker open and the backlog wait for the fix
    // (a renewed token file is picked up without a restart) instead of
    // dead-lettering every job; nothing ran, so never ambiguous. A 403 is
    // different: the identity is known but its role or security scope does
    // not cover this device or user, which fails the job.
    return CallStatus::retry(
        fmt::format("{}: HTTP 401 authentication refused ({}): check "
                    "provider.adminservice auth and its token or password",
                    what, error_text(r.body)));
  }
  if (s == 408 || s == 429 || s >= 500) {
    auto st = CallStatus::retry(detail, writes && s >= 500);
    st.retry_after = parse_retry_after(r.retry_after, now);
    return st;
  }
  return CallStatus::fail(detail);
}

}  // namespace uda::adminservice
