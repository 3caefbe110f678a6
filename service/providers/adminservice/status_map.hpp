#pragma once
// How an AdminService answer becomes ok | retry | fail (DESIGN §4): 2xx ok;
// 408, 429, 5xx and network trouble retry (honouring Retry-After); other 4xx
// fail. For CreateRelationship, an answer that may have come after the
// effect (5xx, a timeout or a broken connection after the request was sent)
// is ambiguous: the dispatcher checks the site before calling again.

#include "providers/adminservice/http_transport.hpp"
#include "providers/provider.hpp"

namespace uda::adminservice {

// `what` names the call for the detail text ("CreateRelationship").
// `writes`: the call changes the site (ambiguity matters).
CallStatus to_status(const HttpResponse& r, std::string_view what, bool writes, TimePoint now);

// "120" (seconds) or an HTTP-date; nullopt when absent or unreadable.
// Bounded to one hour.
std::optional<Millis> parse_retry_after(std::string_view value, TimePoint now);

}  // namespace uda::adminservice
