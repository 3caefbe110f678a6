#include "core/yaml_util.hpp"

#include <fmt/format.h>
#include <yaml-cpp/eventhandler.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>
#include <vector>

namespace uda::yaml {
namespace {

std::string_view type_name(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Null:
      return "nothing (null)";
    case YAML::NodeType::Scalar:
      return "a scalar";
    default:
      return "undefined";
  }
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> prev(b.size() + 1);
  std::vector<std::size_t> cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

// Parser events are not needed to count documents; only where each starts.
class DocumentStarts final : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark& mark) override { start = mark; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& /*mark*/, YAML::anchor_t /*anchor*/) override {}
  void OnAlias(const YAML::Mark& /*mark*/, YAML::anchor_t /*anchor*/) override {}
  void OnScalar(const YAML::Mark& /*mark*/, const std::string& /*tag*/, YAML::anchor_t /*anchor*/,
                const std::string& /*value*/) override {}
  void OnSequenceStart(const YAML::Mark& /*mark*/, const std::string& /*tag*/,
                       YAML::anchor_t /*anchor*/, YAML::EmitterStyle::value /*style*/) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& /*mark*/, const std::string& /*tag*/, YAML::anchor_t /*anchor*/,
                  YAML::EmitterStyle::value /*style*/) override {}
  void OnMapEnd() override {}

  YAML::Mark start;
};

std::string join(std::initializer_list<std::string_view> items) {
  std::string out;
  for (auto s : items) {
    if (!out.empty()) out += ", ";
    out += s;
  }
  return out;
}

}  // namespace

Expected<YAML::Node> load_text(const std::string& text, const std::string& name) {
  try {
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return Error{fmt::format("{}:{}:{}: YAML syntax error: {}", name, e.mark.line + 1,
                             e.mark.column + 1, e.msg)};
  }
}

namespace {

// Where each document of `text` starts, reading at most `limit` of them and
// checking the syntax of each one read.
Expected<std::vector<YAML::Mark>> document_starts(const std::string& text, const std::string& name,
                                                  std::size_t limit) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  DocumentStarts starts;
  std::vector<YAML::Mark> marks;
  int previous_start = -1;
  try {
    while (marks.size() < limit && parser.HandleNextDocument(starts)) {
      // A document takes at least one token from the stream. One that starts
      // where the previous one did took none: text that begins no document
      // is left after the previous one, and the parser would stay there.
      if (starts.start.pos == previous_start) {
        return Error{fmt::format(
            "{}:{}:{}: YAML syntax error: unexpected text after the end of the document (a "
            "stray ',', ']' or '}}'?)",
            name, starts.start.line + 1, starts.start.column + 1)};
      }
      previous_start = starts.start.pos;
      marks.push_back(starts.start);
    }
  } catch (const YAML::Exception& e) {
    return Error{fmt::format("{}:{}:{}: YAML syntax error: {}", name, e.mark.line + 1,
                             e.mark.column + 1, e.msg)};
  }
  return marks;
}

}  // namespace

Expected<std::size_t> count_documents(const std::string& text, const std::string& name) {
  auto marks = document_starts(text, name, std::numeric_limits<std::size_t>::max());
  if (!marks) return marks.error();
  return marks->size();
}

Expected<YAML::Node> load_single(const std::string& text, const std::string& name) {
  auto marks = document_starts(text, name, 2);
  if (!marks) return marks.error();
  if (marks->size() > 1) {
    const YAML::Mark& second = (*marks)[1];
    return Error{
        fmt::format("{}:{}:{}: a second YAML document starts here; this file is one document, and "
                    "nothing after the first would be read. Remove the '---' line or merge the two",
                    name, second.line + 1, second.column + 1)};
  }
  return load_text(text, name);
}

Expected<YAML::Node> load_file(const std::filesystem::path& path) {
  auto text = read_document(path);
  if (!text) return text.error();
  return load_text(*text, path.string());
}

Expected<std::string> read_document(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Error{
        fmt::format("{}: cannot open file (check the path and permissions)", path.string())};
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  constexpr std::size_t kMaxDocument = std::size_t{16} * 1024 * 1024;
  if (ss.str().size() > kMaxDocument) {
    return Error{fmt::format("{}: larger than 16 MiB; refusing to load", path.string())};
  }
  return ss.str();
}

std::string where(const Doc& doc, const YAML::Node& node) {
  const auto mark = node.Mark();
  if (mark.is_null()) return doc.name;
  return fmt::format("{}:{}:{}", doc.name, mark.line + 1, mark.column + 1);
}

Error error_at(const Doc& doc, const YAML::Node& node, std::string_view what,
               std::string_view message) {
  if (what.empty()) return Error{fmt::format("{}: {}", where(doc, node), message)};
  return Error{fmt::format("{}: {}: {}", where(doc, node), what, message)};
}

Status expect_map(const Doc& doc, const YAML::Node& node, std::string_view what) {
  if (!node.IsMap()) {
    return error_at(doc, node, what,
                    fmt::format("must be a map of key: value, got {}", type_name(node)));
  }
  return Status::Ok();
}

std::string closest(std::string_view word, std::initializer_list<std::string_view> candidates) {
  std::string best;
  std::size_t best_d = std::max<std::size_t>(2, word.size() / 3) + 1;
  for (auto c : candidates) {
    const auto d = edit_distance(word, c);
    if (d < best_d) {
      best_d = d;
      best = std::string(c);
    }
  }
  return best;
}

Status check_keys(const Doc& doc, const YAML::Node& map, std::string_view what,
                  std::initializer_list<std::string_view> known) {
  if (auto st = expect_map(doc, map, what); !st) return st;
  for (const auto& kv : map) {
    const auto key = kv.first.Scalar();
    if (std::find(known.begin(), known.end(), key) != known.end()) continue;
    const auto suggestion = closest(key, known);
    std::string msg = fmt::format("unknown key '{}'", key);
    if (!suggestion.empty()) msg += fmt::format(" (did you mean '{}'?)", suggestion);
    msg += fmt::format("; known keys: {}", join(known));
    return error_at(doc, kv.first, what, msg);
  }
  return Status::Ok();
}

Expected<std::string> as_string(const Doc& doc, const YAML::Node& node, std::string_view what) {
  if (!node.IsScalar()) {
    return error_at(doc, node, what, fmt::format("must be a string, got {}", type_name(node)));
  }
  return node.Scalar();
}

Expected<std::int64_t> as_int(const Doc& doc, const YAML::Node& node, std::string_view what,
                              std::int64_t min, std::int64_t max) {
  const auto bad = [&] {
    return error_at(doc, node, what,
                    fmt::format("must be an integer {}..{}, got '{}'", min, max,
                                node.IsScalar() ? node.Scalar() : std::string(type_name(node))));
  };
  if (!node.IsScalar()) return bad();
  const auto& s = node.Scalar();
  std::int64_t n = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc{} || p != s.data() + s.size() || s.empty() || n < min || n > max) {
    return bad();
  }
  return n;
}

Expected<double> as_double(const Doc& doc, const YAML::Node& node, std::string_view what,
                           double min, double max) {
  const auto bad = [&] {
    return error_at(doc, node, what,
                    fmt::format("must be a number {}..{}, got '{}'", min, max,
                                node.IsScalar() ? node.Scalar() : std::string(type_name(node))));
  };
  if (!node.IsScalar()) return bad();
  const auto& s = node.Scalar();
  char* end = nullptr;
  const double d = std::strtod(s.c_str(), &end);
  if (s.empty() || end != s.c_str() + s.size() || !std::isfinite(d) || d < min || d > max) {
    return bad();
  }
  return d;
}

Expected<bool> as_bool(const Doc& doc, const YAML::Node& node, std::string_view what) {
  if (node.IsScalar()) {
    const auto& s = node.Scalar();
    if (s == "true" || s == "True" || s == "TRUE" || s == "yes" || s == "on") return true;
    if (s == "false" || s == "False" || s == "FALSE" || s == "no" || s == "off") return false;
  }
  return error_at(doc, node, what,
                  fmt::format("must be true or false, got '{}'",
                              node.IsScalar() ? node.Scalar() : std::string(type_name(node))));
}

Expected<Millis> as_duration(const Doc& doc, const YAML::Node& node, std::string_view what,
                             Millis min, Millis max) {
  const auto bad = [&] {
    return error_at(
        doc, node, what,
        fmt::format("must be a duration {}..{} such as 500ms, 5s, 2m, 1h or 30d, got '{}'",
                    format_duration(min), format_duration(max),
                    node.IsScalar() ? node.Scalar() : std::string(type_name(node))));
  };
  if (!node.IsScalar()) return bad();
  auto d = parse_duration(node.Scalar());
  if (!d || *d < min || *d > max) return bad();
  return *d;
}

Expected<std::uint64_t> as_size(const Doc& doc, const YAML::Node& node, std::string_view what,
                                std::uint64_t min, std::uint64_t max) {
  const auto bad = [&] {
    return error_at(
        doc, node, what,
        fmt::format("must be a size {}..{} bytes such as 512KiB or 10MiB, got '{}'", min, max,
                    node.IsScalar() ? node.Scalar() : std::string(type_name(node))));
  };
  if (!node.IsScalar()) return bad();
  auto n = parse_size(node.Scalar());
  if (!n || *n < min || *n > max) return bad();
  return *n;
}

Expected<std::vector<std::string>> as_string_list(const Doc& doc, const YAML::Node& node,
                                                  std::string_view what) {
  std::vector<std::string> out;
  if (node.IsScalar()) {
    out.push_back(node.Scalar());
    return out;
  }
  if (!node.IsSequence()) {
    return error_at(doc, node, what,
                    fmt::format("must be a string or a list of strings, got {}", type_name(node)));
  }
  for (std::size_t i = 0; i < node.size(); ++i) {
    const auto item = node[i];
    if (!item.IsScalar()) {
      return error_at(doc, item, fmt::format("{}[{}]", what, i), "must be a string");
    }
    out.push_back(item.Scalar());
  }
  return out;
}

}  // namespace uda::yaml
