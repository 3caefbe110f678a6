#include "providers/adminservice/options.hpp"

#include <fmt/format.h>

#include <fstream>
#include <sstream>

#include "core/user_account.hpp"

namespace uda::adminservice {

std::string_view to_string(Auth a) {
  switch (a) {
    case Auth::Negotiate:
      return "negotiate";
    case Auth::Ntlm:
      return "ntlm";
    case Auth::Bearer:
      return "bearer";
  }
  return "?";
}

namespace {

std::filesystem::path resolve(const std::filesystem::path& base, const std::string& p) {
  std::filesystem::path path(p);
  if (path.is_relative()) path = base / path;
  return path.lexically_normal();
}

}  // namespace

Expected<std::string> read_secret(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Error{
        fmt::format("{}: cannot open the secret file (check the path and that the "
                    "agent's account may read it)",
                    path.string())};
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  if (text.size() > 16 * 1024) return Error{fmt::format("{}: larger than 16 KiB", path.string())};
  const auto secret = trim(text);
  if (secret.empty()) return Error{fmt::format("{}: is empty", path.string())};
  if (secret.find_first_of("\r\n") != std::string_view::npos) {
    return Error{fmt::format("{}: must hold a single line", path.string())};
  }
  return std::string(secret);
}

Expected<Options> parse_options(const yaml::Doc& doc, const YAML::Node& node,
                                const std::filesystem::path& base_dir) {
  const std::string w = "provider.adminservice";
  if (auto st = yaml::check_keys(doc, node, w,
                                 {"url", "auth", "username", "password_file", "token_file",
                                  "ca_file", "verify_tls", "timeout", "workers"});
      !st) {
    return st.error();
  }
  Options o;
  const auto url = node["url"];
  if (!url) {
    return yaml::error_at(doc, node, w + ".url",
                          "missing: the SMS Provider, e.g. https://sccm01.contoso.com");
  }
  auto u = yaml::as_string(doc, url, w + ".url");
  if (!u) return u.error();
  std::string text = *u;
  while (!text.empty() && text.back() == '/') text.pop_back();
  const bool https = text.rfind("https://", 0) == 0;
  const bool http = text.rfind("http://", 0) == 0;
  const auto host_start = https ? 8U : 7U;
  if ((!https && !http) || text.size() <= host_start ||
      text.find('/', host_start) != std::string::npos) {
    return yaml::error_at(doc, url, w + ".url",
                          fmt::format("'{}' must be https://<SMS Provider>[:port] with no path "
                                      "(/AdminService/wmi/ is added)",
                                      *u));
  }
  o.url = text;
  if (const auto n = node["auth"]; n) {
    auto a = yaml::as_string(doc, n, w + ".auth");
    if (!a) return a.error();
    if (*a == "negotiate") {
      o.auth = Auth::Negotiate;
    } else if (*a == "ntlm") {
      o.auth = Auth::Ntlm;
    } else if (*a == "bearer") {
      o.auth = Auth::Bearer;
    } else {
      return yaml::error_at(doc, n, w + ".auth",
                            fmt::format("'{}' is not one of negotiate, ntlm, bearer", *a));
    }
  }
  auto path_key = [&](const char* key, std::filesystem::path& out) -> Status {
    if (const auto n = node[key]; n) {
      auto s = yaml::as_string(doc, n, w + "." + key);
      if (!s) return s.error();
      out = resolve(base_dir, *s);
    }
    return Status::Ok();
  };
  if (auto st = path_key("password_file", o.password_file); !st) return st.error();
  if (auto st = path_key("token_file", o.token_file); !st) return st.error();
  if (auto st = path_key("ca_file", o.ca_file); !st) return st.error();
  if (const auto n = node["username"]; n) {
    auto s = yaml::as_string(doc, n, w + ".username");
    if (!s) return s.error();
    if (!parse_domain_user(*s) && !parse_upn(*s)) {
      return yaml::error_at(doc, n, w + ".username",
                            fmt::format("'{}' is neither DOMAIN\\user nor a UPN", *s));
    }
    o.username = *s;
  }
  if (o.auth == Auth::Ntlm && (o.username.empty() || o.password_file.empty())) {
    return yaml::error_at(doc, node, w,
                          "auth: ntlm needs username and password_file (or use negotiate with "
                          "the service account's Kerberos credentials)");
  }
  if (o.auth == Auth::Bearer && o.token_file.empty()) {
    return yaml::error_at(doc, node, w, "auth: bearer needs token_file");
  }
  if (const auto n = node["verify_tls"]; n) {
    auto b = yaml::as_bool(doc, n, w + ".verify_tls");
    if (!b) return b.error();
    o.verify_tls = *b;
  }
  if (const auto n = node["timeout"]; n) {
    auto d = yaml::as_duration(doc, n, w + ".timeout", Millis(1000), Millis(600'000));
    if (!d) return d.error();
    o.timeout = *d;
  }
  if (const auto n = node["workers"]; n) {
    auto i = yaml::as_int(doc, n, w + ".workers", 1, 64);
    if (!i) return i.error();
    o.workers = static_cast<int>(*i);
  }
  return o;
}

}  // namespace uda::adminservice
