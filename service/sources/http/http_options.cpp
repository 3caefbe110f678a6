#include "sources/http/http_options.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <cctype>
#include <charconv>
#include <set>

#include "core/trigger.hpp"
#include "core/user_account.hpp"
#include "sources/http/tls_available.hpp"

namespace uda::http {

Expected<std::pair<std::string, std::uint16_t>> parse_listen(std::string_view text) {
  const auto bad = [&] {
    return Error{
        fmt::format("'{}' is not host:port; write e.g. 127.0.0.1:8700, 0.0.0.0:8700 or "
                    "[::1]:8700",
                    text)};
  };
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos) return bad();
  std::string host(text.substr(0, colon));
  const auto port_text = text.substr(colon + 1);
  unsigned port = 0;
  auto [p, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc{} || p != port_text.data() + port_text.size() || port > 65535) return bad();
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty()) host = "0.0.0.0";
  boost::system::error_code aec;
  boost::asio::ip::make_address(host, aec);
  if (aec) {
    return Error{
        fmt::format("'{}' is not an IP address (names are not resolved: give the "
                    "address to listen on)",
                    host)};
  }
  return std::pair{host, static_cast<std::uint16_t>(port)};
}

bool is_loopback(const std::string& address) {
  boost::system::error_code ec;
  const auto a = boost::asio::ip::make_address(address, ec);
  return !ec && a.is_loopback();
}

std::string HttpOptions::local_url() const {
  std::string host = address;
  if (host == "0.0.0.0") host = "127.0.0.1";
  if (host == "::") host = "::1";
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return fmt::format("{}://{}:{}", tls() ? "https" : "http", host, port);
}

namespace {

std::filesystem::path resolve(const std::filesystem::path& base, const std::string& p) {
  std::filesystem::path path(p);
  if (path.is_relative()) path = base / path;
  return path.lexically_normal();
}

bool valid_token_name(std::string_view n) {
  if (n.empty() || n.size() > 64) return false;
  return std::all_of(n.begin(), n.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_' || c == '.';
  });
}

Status parse_tokens(const yaml::Doc& doc, const YAML::Node& node, std::vector<ApiToken>& out) {
  if (!node.IsSequence()) {
    return yaml::error_at(doc, node, "http.tokens",
                          "must be a list of {name, hash, kinds}; create one with `uda-agent "
                          "token new --name NAME`");
  }
  if (node.size() > 1000) return yaml::error_at(doc, node, "http.tokens", "at most 1000 tokens");
  std::set<std::string> names;
  for (std::size_t i = 0; i < node.size(); ++i) {
    const auto t = node[i];
    const std::string what = fmt::format("http.tokens[{}]", i);
    if (auto st = yaml::check_keys(doc, t, what, {"name", "hash", "kinds"}); !st) return st;
    ApiToken token;
    const auto name = t["name"];
    if (!name) return yaml::error_at(doc, t, what + ".name", "missing: every token has a name");
    auto n = yaml::as_string(doc, name, what + ".name");
    if (!n) return n.error();
    if (!valid_token_name(*n)) {
      return yaml::error_at(doc, name, what + ".name",
                            fmt::format("'{}' must be 1..64 letters, digits, '-', '_' or '.'", *n));
    }
    if (!names.insert(ascii_lower(*n)).second) {
      return yaml::error_at(doc, name, what + ".name",
                            fmt::format("'{}' is listed twice; token names must be unique", *n));
    }
    token.name = *n;
    const auto hash = t["hash"];
    if (!hash) {
      return yaml::error_at(doc, t, what + ".hash",
                            "missing: the token's salted hash, printed by `uda-agent token new`");
    }
    auto h = yaml::as_string(doc, hash, what + ".hash");
    if (!h) return h.error();
    auto parsed = parse_token_hash(*h);
    if (!parsed) return yaml::error_at(doc, hash, what + ".hash", parsed.error().message);
    token.hash = *parsed;
    if (const auto kinds = t["kinds"]; kinds) {
      auto list = yaml::as_string_list(doc, kinds, what + ".kinds");
      if (!list) return list.error();
      for (const auto& k : *list) {
        auto kind = parse_trigger_kind(k);
        if (!kind) {
          return yaml::error_at(
              doc, kinds, what + ".kinds",
              fmt::format("'{}' is not a trigger kind; use {}", k, trigger_kind_choices()));
        }
        token.kinds.emplace_back(to_string(*kind));
      }
    }
    out.push_back(std::move(token));
  }
  return Status::Ok();
}

}  // namespace

Expected<HttpOptions> parse_http_options(const yaml::Doc& doc, const YAML::Node& node,
                                         const std::filesystem::path& base_dir) {
  if (auto st = yaml::check_keys(
          doc, node, "http",
          {"listen", "tls", "allow_anonymous", "tokens", "max_batch", "max_body", "max_header",
           "read_timeout", "idle_timeout", "max_connections", "rate_limit"});
      !st) {
    return st.error();
  }
  HttpOptions o;
  o.enabled = true;
  if (const auto n = node["listen"]; n) {
    auto s = yaml::as_string(doc, n, "http.listen");
    if (!s) return s.error();
    auto hp = parse_listen(*s);
    if (!hp) return yaml::error_at(doc, n, "http.listen", hp.error().message);
    o.address = hp->first;
    o.port = hp->second;
  }
  if (const auto n = node["tls"]; n) {
    if (auto st = yaml::check_keys(doc, n, "http.tls", {"cert", "key"}); !st) return st.error();
    const auto cert = n["cert"];
    const auto key = n["key"];
    if (!cert || !key) {
      return yaml::error_at(doc, n, "http.tls",
                            "give both cert (PEM certificate chain) and key (PEM private key)");
    }
    auto c = yaml::as_string(doc, cert, "http.tls.cert");
    if (!c) return c.error();
    auto k = yaml::as_string(doc, key, "http.tls.key");
    if (!k) return k.error();
    o.tls_cert = resolve(base_dir, *c);
    o.tls_key = resolve(base_dir, *k);
    if (!kTlsAvailable) return yaml::error_at(doc, n, "http.tls", std::string(kNoTlsMessage));
  }
  if (const auto n = node["allow_anonymous"]; n) {
    auto b = yaml::as_bool(doc, n, "http.allow_anonymous");
    if (!b) return b.error();
    o.allow_anonymous = *b;
    if (o.allow_anonymous && !is_loopback(o.address)) {
      return yaml::error_at(doc, n, "http.allow_anonymous",
                            fmt::format("only allowed when listening on a loopback address, not "
                                        "{}: give every client a token (`uda-agent token new`)",
                                        o.address));
    }
  }
  if (const auto n = node["tokens"]; n) {
    if (auto st = parse_tokens(doc, n, o.tokens); !st) return st.error();
  }
  if (o.tokens.empty() && !o.allow_anonymous) {
    return yaml::error_at(doc, node, "http",
                          "no client could use the API: add tokens (`uda-agent token new --name "
                          "NAME`), or allow_anonymous: true on a loopback address");
  }
  if (const auto n = node["max_batch"]; n) {
    auto v = yaml::as_int(doc, n, "http.max_batch", 1, 100'000);
    if (!v) return v.error();
    o.max_batch = static_cast<std::size_t>(*v);
  }
  if (const auto n = node["max_body"]; n) {
    auto v = yaml::as_size(doc, n, "http.max_body", 1024, 256ULL * 1024 * 1024);
    if (!v) return v.error();
    o.limits.max_body = *v;
  }
  if (const auto n = node["max_header"]; n) {
    auto v = yaml::as_size(doc, n, "http.max_header", 1024, 1024ULL * 1024);
    if (!v) return v.error();
    o.limits.max_header = *v;
  }
  if (const auto n = node["read_timeout"]; n) {
    auto v = yaml::as_duration(doc, n, "http.read_timeout", Millis(100), Millis(600'000));
    if (!v) return v.error();
    o.limits.read_timeout = *v;
    o.limits.write_timeout = *v;
    o.limits.handshake_timeout = *v;
  }
  if (const auto n = node["idle_timeout"]; n) {
    auto v = yaml::as_duration(doc, n, "http.idle_timeout", Millis(100), Millis(3'600'000));
    if (!v) return v.error();
    o.limits.idle_timeout = *v;
  }
  if (const auto n = node["max_connections"]; n) {
    auto v = yaml::as_int(doc, n, "http.max_connections", 1, 100'000);
    if (!v) return v.error();
    o.limits.max_connections = static_cast<std::size_t>(*v);
  }
  if (const auto n = node["rate_limit"]; n) {
    if (auto st = yaml::check_keys(doc, n, "http.rate_limit", {"per_second", "burst"}); !st) {
      return st.error();
    }
    if (const auto r = n["per_second"]; r) {
      auto v = yaml::as_double(doc, r, "http.rate_limit.per_second", 0, 1e6);
      if (!v) return v.error();
      o.rate_per_second = *v;
    }
    if (const auto b = n["burst"]; b) {
      auto v = yaml::as_double(doc, b, "http.rate_limit.burst", 1, 1e7);
      if (!v) return v.error();
      o.rate_burst = *v;
    }
  }
  return o;
}

}  // namespace uda::http
