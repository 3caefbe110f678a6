#pragma once
// Whether this build has TLS for the HTTP API (the listener's http.tls and
// `submit --url https://...`). UDA_WITH_TLS (1 or 0) comes from CMake: TLS
// needs OpenSSL, which the Windows cross build does not have yet. No Boost.Asio
// here: the config loader checks http.tls with this alone (tls_support.hpp has
// the TLS context type).

#include <string_view>

#ifndef UDA_WITH_TLS
#error "UDA_WITH_TLS must be defined (by CMake) to 1 or 0"
#endif

namespace uda::http {

inline constexpr bool kTlsAvailable = UDA_WITH_TLS != 0;

inline constexpr std::string_view kNoTlsMessage =
    "TLS (https) is not in the Windows build yet: it needs OpenSSL, which the cross build "
    "does not include. Listen on plain HTTP on 127.0.0.1 or a protected network, or put a "
    "TLS-terminating proxy in front of the agent";

}  // namespace uda::http
