#include "sources/spool/spool_file.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <utility>

#include "core/trigger_json.hpp"
#include "core/user_account.hpp"
#include "core/yaml_util.hpp"

namespace uda {
namespace {

using nlohmann::json;

// A trigger is at most a few levels deep (list -> trigger -> machine or
// attributes -> value); anything much deeper is not a trigger file.
constexpr int kMaxDepth = 16;
// YAML aliases can make a small file expand enormously ("billion laughs");
// the converted tree is bounded by this many nodes.
constexpr std::size_t kMaxYamlNodes = 250'000;

bool ends_with_ci(std::string_view s, std::string_view suffix) {
  if (s.size() < suffix.size()) return false;
  return ascii_lower(s.substr(s.size() - suffix.size())) == suffix;
}

std::string_view json_type_name(const json& j) {
  if (j.is_string()) return "a string";
  if (j.is_boolean()) return "a boolean";
  if (j.is_number()) return "a number";
  if (j.is_null()) return "nothing (null)";
  if (j.is_array()) return "a list";
  return "an object";
}

// ---------------------------------------------------------------------------
// Encoding checks: spool files are UTF-8 text (a UTF-8 BOM is allowed).

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

std::optional<std::string> encoding_problem(std::string_view name, std::string_view content) {
  if (content.size() >= 2 && ((content[0] == '\xFF' && content[1] == '\xFE') ||
                              (content[0] == '\xFE' && content[1] == '\xFF'))) {
    return fmt::format(
        "{}: is UTF-16 text (the default of Windows PowerShell's Out-File and '>'); write it as "
        "UTF-8, e.g. Set-Content -Encoding utf8 or Out-File -Encoding utf8",
        name);
  }
  if (const auto nul = content.find('\0'); nul != std::string_view::npos) {
    return fmt::format(
        "{}: contains a NUL byte at byte {}: this is a binary file, not JSON or YAML text "
        "(UTF-8)",
        name, nul);
  }
  // UTF-8 validation (no overlong forms, no surrogates, at most U+10FFFF).
  const auto* s = reinterpret_cast<const unsigned char*>(content.data());
  const std::size_t n = content.size();
  std::size_t i = 0;
  while (i < n) {
    const unsigned c = s[i];
    std::size_t len = 0;
    unsigned lo = 0x80;
    unsigned hi = 0xBF;
    if (c < 0x80) {
      ++i;
      continue;
    } else if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    }
    bool ok = len != 0 && i + len <= n;
    for (std::size_t k = 1; ok && k < len; ++k) {
      const unsigned b = s[i + k];
      const unsigned min = k == 1 ? lo : 0x80;
      const unsigned max = k == 1 ? hi : 0xBF;
      ok = b >= min && b <= max;
    }
    if (!ok) {
      return fmt::format(
          "{}: not valid UTF-8 at byte {}: spool files must be UTF-8 text (a Windows code page "
          "such as 1252, or a binary file, was given)",
          name, i);
    }
    i += len;
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------
// YAML -> JSON, resolving plain scalars as the YAML 1.2 core schema does.

bool all_of(std::string_view s, std::string_view chars) {
  return !s.empty() && s.find_first_not_of(chars) == std::string_view::npos;
}

template <class T>
std::optional<T> parse_number(std::string_view s, int base) {
  T v{};
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec != std::errc{} || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
bool is_core_float(std::string_view s) {
  std::size_t i = 0;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
  const auto digits = [&] {
    const auto start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    return i - start;
  };
  const auto int_digits = digits();
  std::size_t frac_digits = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    frac_digits = digits();
  }
  if (int_digits == 0 && frac_digits == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    if (digits() == 0) return false;
  }
  return i == s.size();
}

class YamlToJson {
 public:
  explicit YamlToJson(const yaml::Doc& doc) : doc_(doc) {}

  Expected<json> convert(const YAML::Node& node, int depth) {
    if (++nodes_ > kMaxYamlNodes) {
      return yaml::error_at(doc_, node, "",
                            fmt::format("more than {} YAML nodes (aliases expanded); this is not "
                                        "a trigger file",
                                        kMaxYamlNodes));
    }
    if (depth > kMaxDepth) {
      return yaml::error_at(doc_, node, "",
                            fmt::format("nested more than {} levels deep; a trigger is a map of "
                                        "kind, machine, user and attributes",
                                        kMaxDepth));
    }
    switch (node.Type()) {
      case YAML::NodeType::Null:
        return json(nullptr);
      case YAML::NodeType::Scalar:
        return scalar(node);
      case YAML::NodeType::Sequence: {
        json out = json::array();
        for (const auto& item : node) {
          auto v = convert(item, depth + 1);
          if (!v) return v.error();
          out.push_back(std::move(*v));
        }
        return out;
      }
      case YAML::NodeType::Map: {
        json out = json::object();
        for (const auto& kv : node) {
          if (!kv.first.IsScalar()) {
            return yaml::error_at(doc_, kv.first, "", "a key must be a plain name");
          }
          const auto& key = kv.first.Scalar();
          if (out.contains(key)) {
            return yaml::error_at(doc_, kv.first, key, "duplicate key");
          }
          auto v = convert(kv.second, depth + 1);
          if (!v) return v.error();
          out[key] = std::move(*v);
        }
        return out;
      }
      default:
        return json(nullptr);
    }
  }

 private:
  Expected<json> scalar(const YAML::Node& node) {
    const auto& tag = node.Tag();
    const auto& s = node.Scalar();
    // "!" = quoted (or explicitly non-specific): always a string.
    if (tag == "!" || tag == "tag:yaml.org,2002:str") return json(s);
    if (tag != "?" && tag.rfind("tag:yaml.org,2002:", 0) != 0) {
      return yaml::error_at(doc_, node, "",
                            fmt::format("YAML tag '{}' is not supported; quote the value if it "
                                        "is text",
                                        tag));
    }
    auto v = plain(node, s);
    if (!v) return v;
    if (tag == "?") return v;
    // An explicit core tag (!!int, !!float, !!bool, !!null) must match.
    const auto want = tag.substr(std::string_view("tag:yaml.org,2002:").size());
    const bool match = (want == "int" && v->is_number_integer()) ||
                       (want == "float" && v->is_number()) || (want == "bool" && v->is_boolean()) ||
                       (want == "null" && v->is_null());
    if (!match) {
      return yaml::error_at(doc_, node, "", fmt::format("'{}' is not a valid !!{}", s, want));
    }
    if (want == "float") return json(v->get<double>());
    return v;
  }

  // YAML 1.2 core schema resolution of a plain (unquoted) scalar.
  Expected<json> plain(const YAML::Node& node, const std::string& s) {
    if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return json(nullptr);
    if (s == "true" || s == "True" || s == "TRUE") return json(true);
    if (s == "false" || s == "False" || s == "FALSE") return json(false);
    std::string_view v = s;
    const bool negative = !v.empty() && v[0] == '-';
    std::string_view digits = v;
    if (!digits.empty() && (digits[0] == '-' || digits[0] == '+')) digits.remove_prefix(1);
    if (all_of(digits, "0123456789")) {
      if (auto n = parse_number<std::int64_t>(negative ? v : digits, 10)) {
        return json(*n);
      }
      if (!negative) {
        if (auto u = parse_number<std::uint64_t>(digits, 10)) return json(*u);
      }
      return json(std::strtod(s.c_str(), nullptr));  // too large for an integer
    }
    if (v.size() > 2 && v[0] == '0' && (v[1] == 'o' || v[1] == 'x')) {
      const bool hex = v[1] == 'x';
      const auto body = v.substr(2);
      if (all_of(body, hex ? "0123456789abcdefABCDEF" : "01234567")) {
        if (auto u = parse_number<std::uint64_t>(body, hex ? 16 : 8)) {
          if (*u <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
            return json(static_cast<std::int64_t>(*u));
          }
          return json(*u);
        }
      }
    }
    if (is_core_float(v)) {
      const double d = std::strtod(s.c_str(), nullptr);
      if (!std::isfinite(d)) {
        return yaml::error_at(doc_, node, "", fmt::format("'{}' is out of range for a number", s));
      }
      return json(d);
    }
    std::string_view unsigned_v = v;
    if (!unsigned_v.empty() && (unsigned_v[0] == '-' || unsigned_v[0] == '+')) {
      unsigned_v.remove_prefix(1);
    }
    if (unsigned_v == ".inf" || unsigned_v == ".Inf" || unsigned_v == ".INF" || v == ".nan" ||
        v == ".NaN" || v == ".NAN") {
      return yaml::error_at(doc_, node, "",
                            fmt::format("'{}' is not a finite number; quote it if it is text", s));
    }
    return json(s);
  }

  const yaml::Doc& doc_;
  std::size_t nodes_ = 0;
};

// ---------------------------------------------------------------------------

std::string strip_json_exception_prefix(std::string_view what) {
  // "[json.exception.parse_error.101] parse error at line 1, column 2: ..."
  if (!what.empty() && what[0] == '[') {
    if (const auto close = what.find("] "); close != std::string_view::npos) {
      what.remove_prefix(close + 2);
    }
  }
  return std::string(what);
}

// The triggers of a parsed document: an object, or a list of objects.
// `where[i]` prefixes the message of item i ("x.yaml:4:3" or "x.json").
Expected<std::vector<Trigger>> triggers_from(std::string_view name, std::string_view content,
                                             json root, const std::vector<std::string>& where,
                                             std::string_view origin, std::size_t max_triggers) {
  const bool is_list = root.is_array();
  if (!is_list && !root.is_object()) {
    return Error{fmt::format(
        "{}: must hold one trigger (a map of kind, machine, user) or a list of them, got {}",
        where.empty() ? std::string(name) : where[0], json_type_name(root))};
  }
  if (is_list && root.empty()) {
    return Error{fmt::format("{}: the list of triggers is empty", name)};
  }
  if (is_list && root.size() > max_triggers) {
    return Error{fmt::format(
        "{}: {} triggers; at most {} per file (spool.max_triggers_per_file): split them into "
        "several files",
        name, root.size(), max_triggers)};
  }
  std::vector<json> items;
  if (is_list) {
    items.reserve(root.size());
    for (auto& item : root) items.push_back(std::move(item));
  } else {
    items.push_back(std::move(root));
  }
  std::vector<Trigger> out;
  out.reserve(items.size());
  for (std::size_t i = 0; i < items.size(); ++i) {
    auto& item = items[i];
    const auto& at = i < where.size() ? where[i] : std::string(name);
    const auto prefix = is_list ? fmt::format("{}: trigger [{}]", at, i) : at;
    if (!item.is_object()) {
      return Error{fmt::format("{}: must be a map of kind, machine and user, got {}", prefix,
                               json_type_name(item))};
    }
    if (auto id = item.find("id"); id == item.end() || id->is_null()) {
      item["id"] = spool_trigger_id(name, content, i);
    }
    auto t = trigger_from_json(item, origin);
    if (!t) return Error{fmt::format("{}: {}", prefix, t.error().message)};
    out.push_back(std::move(*t));
  }
  return out;
}

Expected<std::vector<Trigger>> parse_json(std::string_view name, std::string_view content,
                                          std::string_view body, std::size_t offset,
                                          std::string_view origin, std::size_t max_triggers) {
  json root;
  try {
    root = json::parse(body.begin(), body.end());
  } catch (const json::parse_error& e) {
    return Error{fmt::format("{}: not valid JSON at byte {}: {}", name, e.byte + offset,
                             strip_json_exception_prefix(e.what()))};
  } catch (const json::exception& e) {
    // Not every parse failure is a parse_error: a number beyond a double
    // (1e400) is an out_of_range.
    return Error{
        fmt::format("{}: not valid JSON: {}", name, strip_json_exception_prefix(e.what()))};
  }
  return triggers_from(name, content, std::move(root), {std::string(name)}, origin, max_triggers);
}

Expected<std::vector<Trigger>> parse_yaml(std::string_view name, std::string_view content,
                                          std::string_view body, std::string_view origin,
                                          std::size_t max_triggers) {
  const std::string text(body);
  const std::string doc_name(name);
  auto root = yaml::load_text(text, doc_name);
  if (!root) return root.error();
  // YAML::Load reads the first document only; more than one is a mistake
  // (and a syntax error in a later one must not go unnoticed, nor text after
  // the end of the first).
  const auto docs = yaml::count_documents(text, doc_name);
  if (!docs) return docs.error();
  if (*docs > 1) {
    return Error{fmt::format(
        "{}: holds {} YAML documents ('---'); put all triggers in one list in one document", name,
        *docs)};
  }
  const yaml::Doc doc{doc_name};
  YamlToJson conv(doc);
  auto j = conv.convert(*root, 0);
  if (!j) return j.error();
  std::vector<std::string> where;
  if (root->IsSequence()) {
    for (const auto& item : *root) where.push_back(yaml::where(doc, item));
  } else {
    where.push_back(yaml::where(doc, *root));
  }
  return triggers_from(name, content, std::move(*j), where, origin, max_triggers);
}

}  // namespace

std::optional<SpoolFormat> spool_format(std::string_view file_name) {
  if (ends_with_ci(file_name, ".json")) return SpoolFormat::Json;
  if (ends_with_ci(file_name, ".yaml") || ends_with_ci(file_name, ".yml")) {
    return SpoolFormat::Yaml;
  }
  return std::nullopt;
}

bool is_spool_file_name(std::string_view file_name) {
  if (file_name.empty() || file_name[0] == '.') return false;
  if (file_name.find_first_of("/\\") != std::string_view::npos) return false;
  if (file_name.find('\0') != std::string_view::npos) return false;
  if (ends_with_ci(file_name, ".tmp") || ends_with_ci(file_name, ".partial")) return false;
  return spool_format(file_name).has_value();
}

std::string spool_trigger_id(std::string_view file_name, std::string_view content,
                             std::size_t index) {
  // 64-bit FNV-1a: stable across platforms and releases (unlike std::hash).
  std::uint64_t h = 0xcbf29ce484222325ULL;
  const auto mix = [&h](std::string_view bytes) {
    for (const char c : bytes) {
      h ^= static_cast<unsigned char>(c);
      h *= 0x100000001b3ULL;
    }
  };
  mix(file_name);
  mix(std::string_view("\0", 1));
  mix(content);
  return fmt::format("spool-{:016x}-{}", h, index);
}

Expected<std::vector<Trigger>> parse_spool_file(std::string_view file_name,
                                                std::string_view content, std::string_view origin,
                                                std::size_t max_triggers) {
  const auto format = spool_format(file_name);
  if (!format) {
    return Error{
        fmt::format("{}: unknown file type; spool files end in .json, .yaml or .yml", file_name)};
  }
  if (origin.empty()) origin = "spool";
  if (auto problem = encoding_problem(file_name, content)) return Error{std::move(*problem)};
  std::string_view body = content;
  std::size_t offset = 0;
  if (body.substr(0, kUtf8Bom.size()) == kUtf8Bom) {
    body.remove_prefix(kUtf8Bom.size());
    offset = kUtf8Bom.size();
  }
  if (trim(body).empty()) {
    return Error{
        fmt::format("{}: is empty; expected one trigger such as {{\"kind\": \"osd\", \"machine\": "
                    "16777220, \"user\": \"CONTOSO\\\\jdoe\"}} or a list of them",
                    file_name)};
  }
  if (*format == SpoolFormat::Json) {
    return parse_json(file_name, content, body, offset, origin, max_triggers);
  }
  return parse_yaml(file_name, content, body, origin, max_triggers);
}

}  // namespace uda
