#include "providers/wmi/options.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace uda::wmi {
namespace {

bool valid_server(std::string_view s) {
  if (s == ".") return true;
  if (s.empty() || s.size() > 255) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return std::isalnum(u) != 0 || c == '-' || c == '.' || c == '_';
  });
}

bool valid_site_code(std::string_view s) {
  return s.size() == 3 && std::all_of(s.begin(), s.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) != 0;
         });
}

// root\sms\site_PS1: backslash-separated identifiers starting with root.
bool valid_namespace(std::string_view ns) {
  if (ns.size() > 255) return false;
  std::size_t start = 0;
  bool first = true;
  while (true) {
    const auto end = ns.find('\\', start);
    const auto part = ns.substr(start, end == std::string_view::npos ? ns.npos : end - start);
    if (part.empty()) return false;
    if (first) {
      std::string lower(part);
      std::transform(lower.begin(), lower.end(), lower.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      if (lower != "root") return false;
      first = false;
    }
    for (char c : part) {
      const auto u = static_cast<unsigned char>(c);
      if (std::isalnum(u) == 0 && c != '_') return false;
    }
    if (end == std::string_view::npos) return true;
    start = end + 1;
  }
}

}  // namespace

Expected<Options> parse_options(const yaml::Doc& doc, const YAML::Node& node) {
  const std::string w = "provider.wmi";
  if (auto st = yaml::check_keys(doc, node, w,
                                 {"server", "site_code", "namespace", "timeout", "workers"});
      !st) {
    return st.error();
  }
  Options o;
  if (const auto n = node["server"]; n) {
    auto s = yaml::as_string(doc, n, w + ".server");
    if (!s) return s.error();
    std::string text = *s;
    if (text.rfind("\\\\", 0) == 0) text.erase(0, 2);
    if (text == "localhost" || text.empty()) text = ".";
    if (!valid_server(text)) {
      return yaml::error_at(doc, n, w + ".server",
                            fmt::format("'{}' is not a host name (write the SMS Provider's name "
                                        "or FQDN, or . for this machine)",
                                        *s));
    }
    o.server = text;
  }
  if (const auto n = node["site_code"]; n) {
    auto s = yaml::as_string(doc, n, w + ".site_code");
    if (!s) return s.error();
    if (!valid_site_code(*s)) {
      return yaml::error_at(
          doc, n, w + ".site_code",
          fmt::format("'{}' is not a site code (three letters or digits, e.g. PS1); leave it "
                      "out to read it from SMS_ProviderLocation",
                      *s));
    }
    o.site_code = *s;
    std::transform(o.site_code.begin(), o.site_code.end(), o.site_code.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  }
  if (const auto n = node["namespace"]; n) {
    auto s = yaml::as_string(doc, n, w + ".namespace");
    if (!s) return s.error();
    if (!valid_namespace(*s)) {
      return yaml::error_at(
          doc, n, w + ".namespace",
          fmt::format("'{}' is not a WMI namespace; write e.g. root\\sms\\site_PS1 "
                      "(the server goes into server:)",
                      *s));
    }
    o.ns = *s;
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

std::string sms_namespace(const Options& o) {
  return fmt::format("\\\\{}\\root\\sms", o.server);
}

std::string site_namespace(const Options& o, std::string_view site_code) {
  if (!o.ns.empty()) return fmt::format("\\\\{}\\{}", o.server, o.ns);
  return fmt::format("\\\\{}\\root\\sms\\site_{}", o.server, site_code);
}

}  // namespace uda::wmi
