#pragma once
// The TLS context type of the HTTP API (listener and `submit` client), or a
// stand-in that cannot be made when the build has no TLS. Whether TLS is
// available at all is in tls_available.hpp.

#include "sources/http/tls_available.hpp"

#if UDA_WITH_TLS
#include <boost/asio/ssl.hpp>
#include <boost/beast/ssl.hpp>
#endif

#include "core/asio.hpp"

namespace uda::http {

#if UDA_WITH_TLS
using TlsContext = asio::ssl::context;
#else
// No TLS in this build: make_tls_context() says so and nothing makes one.
struct TlsContext {
  TlsContext() = delete;
};
#endif

}  // namespace uda::http
