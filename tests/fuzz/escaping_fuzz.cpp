// libFuzzer target: the string literals that carry user and device names into
// queries - WQL (sources/wmi_events/wql.hpp, wql_quote: the WMI provider and
// the WMI event mapping) and OData (providers/adminservice/odata.hpp,
// odata_string, then url_encode / query_string: the AdminService provider).
//
// Round-trip property, for any bytes s: a small reference reader of each
// literal syntax, written here from the syntax rather than from the code,
// reads the quoted literal back as exactly s and finds its closing quote at
// the very end (nothing of s can close the literal early and become query
// text). The WQL literal also reads back through the agent's own WQL checker
// (parse_wql_select) inside a whole statement, and the OData filter survives
// URL encoding: the query string has only unreserved characters and %XX, so s
// cannot add a query option, and percent-decoding gives the filter back.
// Neither function refuses any input (they take every byte, NUL included).

#include <optional>
#include <string>

#include "fuzz_support.hpp"
#include "providers/adminservice/odata.hpp"
#include "sources/wmi_events/wql.hpp"

namespace {

using uda::fuzz::check;

// WQL string literal: '...' where a backslash takes the next character
// literally. Returns the value and where the literal ended (one past the
// closing quote), or nothing when it is not closed.
std::optional<std::pair<std::string, std::size_t>> read_wql_literal(std::string_view q) {
  if (q.empty() || q[0] != '\'') return std::nullopt;
  std::string value;
  for (std::size_t i = 1; i < q.size(); ++i) {
    if (q[i] == '\\') {
      if (i + 1 >= q.size()) return std::nullopt;
      value += q[++i];
    } else if (q[i] == '\'') {
      return std::make_pair(value, i + 1);
    } else {
      value += q[i];
    }
  }
  return std::nullopt;
}

// OData string literal: '...' where '' stands for one quote.
std::optional<std::pair<std::string, std::size_t>> read_odata_literal(std::string_view q) {
  if (q.empty() || q[0] != '\'') return std::nullopt;
  std::string value;
  for (std::size_t i = 1; i < q.size(); ++i) {
    if (q[i] == '\'') {
      if (i + 1 < q.size() && q[i + 1] == '\'') {
        value += '\'';
        ++i;
      } else {
        return std::make_pair(value, i + 1);
      }
    } else {
      value += q[i];
    }
  }
  return std::nullopt;
}

bool unreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;  // RFC 3986 recommends upper case; url_encode writes it
}

// Percent-decoding of a query value that may hold only unreserved characters
// and %XX; nothing when anything else occurs.
std::optional<std::string> percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (unreserved(s[i])) {
      out += s[i];
    } else if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 &&
               hex_value(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else {
      return std::nullopt;
    }
  }
  return out;
}

std::size_t count_of(std::string_view s, std::string_view chars) {
  std::size_t n = 0;
  for (char c : s) n += chars.find(c) != std::string_view::npos ? 1 : 0;
  return n;
}

void check_wql(std::string_view s) {
  const std::string q = uda::wql_quote(s);
  check(q.size() == s.size() + 2 + count_of(s, "\\'"),
        "wql_quote escapes something other than \\ and '", q);
  const auto lit = read_wql_literal(q);
  check(lit.has_value(), "the WQL literal is not closed", q);
  check(lit->second == q.size(), "the WQL literal closes before its end", q);
  check(lit->first == s, "the WQL literal reads back as other text", q);

  // Inside a whole statement, read by the agent's own WQL checker: the
  // literal is one string token and the statement goes on after it.
  const std::string wql =
      "SELECT * FROM __InstanceCreationEvent WITHIN 300 WHERE TargetInstance ISA " + q +
      " AND TargetInstance.Name = " + q;
  auto parsed = uda::parse_wql_select(wql);
  check(parsed.ok(), "a statement with a quoted literal is refused by parse_wql_select",
        parsed.ok() ? std::string() : parsed.error().message);
  check(parsed->isa_class == std::string(s), "parse_wql_select reads the literal back differently",
        wql);
  check(parsed->from_class == "__InstanceCreationEvent" && parsed->within_seconds == 300.0,
        "the literal changed the statement around it", wql);
}

void check_odata(std::string_view s) {
  const std::string q = uda::adminservice::odata_string(s);
  check(q.size() == s.size() + 2 + count_of(s, "'"), "odata_string escapes something other than '",
        q);
  const auto lit = read_odata_literal(q);
  check(lit.has_value(), "the OData literal is not closed", q);
  check(lit->second == q.size(), "the OData literal closes before its end", q);
  check(lit->first == s, "the OData literal reads back as other text", q);

  // As the provider sends it: $filter=Name eq '<s>'&$select=ResourceID.
  const std::string filter = "Name eq " + q;
  const std::string query = uda::adminservice::query_string(
      {{"$filter", filter}, {"$select", std::string("ResourceID,Name")}});
  constexpr std::string_view kFilter = "?$filter=";
  constexpr std::string_view kSelect = "&$select=ResourceID%2CName";
  check(uda::fuzz::starts_with(query, kFilter), "the query string does not start with $filter",
        query);
  check(query.size() >= kFilter.size() + kSelect.size() &&
            query.substr(query.size() - kSelect.size()) == kSelect,
        "the query string does not end with the $select option", query);
  const auto encoded = std::string_view(query).substr(
      kFilter.size(), query.size() - kFilter.size() - kSelect.size());
  const auto decoded = percent_decode(encoded);
  check(decoded.has_value(), "the encoded filter has characters other than unreserved and %XX",
        query);
  check(*decoded == filter, "the encoded filter decodes to other text", query);
  check(uda::adminservice::url_encode(s).size() <= 3 * s.size(), "url_encode grew more than 3x");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto s = uda::fuzz::as_text(data, size);
  check_wql(s);
  check_odata(s);
  return 0;
}
