#pragma once
// Strict reading of YAML documents (config and rules) with errors that say
// where: "config/uda-agent.yaml:12:5: dispatcher.concurrency: must be an
// integer 1..256, got 'many'". Lines and columns are 1-based.

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "core/time.hpp"

namespace uda::yaml {

// Name of the document for messages (a path, or "<stdin>").
struct Doc {
  std::string name;
};

// Reads a whole document (at most 16 MiB) with a clear error when it cannot.
Expected<std::string> read_document(const std::filesystem::path& path);
// Parses a file / text. Syntax errors carry name:line:column.
Expected<YAML::Node> load_file(const std::filesystem::path& path);
Expected<YAML::Node> load_text(const std::string& text, const std::string& name);
// How many documents `text` holds (0 when it has none), checking the syntax
// of every one (load_text reads only the first). Text after a document that
// starts no new one (a stray ',' after a flow map) is a syntax error here:
// YAML::Load ignores it, and YAML::LoadAll (yaml-cpp 0.7) would return empty
// documents for it forever.
Expected<std::size_t> count_documents(const std::string& text, const std::string& name);
// load_text for a file that must be one document (the configuration, a
// rules file): a second document, or stray text after the first, is an
// error naming where it starts, instead of being silently ignored.
Expected<YAML::Node> load_single(const std::string& text, const std::string& name);

// "name:line:column" of a node (the position where it starts).
std::string where(const Doc& doc, const YAML::Node& node);
// "name:line:column: <what>: <message>"
Error error_at(const Doc& doc, const YAML::Node& node, std::string_view what,
               std::string_view message);

// The node must be a map; every key must be one of `known`. Unknown keys are
// reported at the key, with the closest known key suggested.
Status expect_map(const Doc& doc, const YAML::Node& node, std::string_view what);
Status check_keys(const Doc& doc, const YAML::Node& map, std::string_view what,
                  std::initializer_list<std::string_view> known);

// Typed scalar reads. `what` is the dotted path used in messages.
Expected<std::string> as_string(const Doc& doc, const YAML::Node& node, std::string_view what);
Expected<std::int64_t> as_int(const Doc& doc, const YAML::Node& node, std::string_view what,
                              std::int64_t min, std::int64_t max);
Expected<double> as_double(const Doc& doc, const YAML::Node& node, std::string_view what,
                           double min, double max);
Expected<bool> as_bool(const Doc& doc, const YAML::Node& node, std::string_view what);
// "250ms", "5s", "2m", "1h", "30d"
Expected<Millis> as_duration(const Doc& doc, const YAML::Node& node, std::string_view what,
                             Millis min, Millis max);
// "10MiB", "4096"
Expected<std::uint64_t> as_size(const Doc& doc, const YAML::Node& node, std::string_view what,
                                std::uint64_t min, std::uint64_t max);
// A single string or a sequence of strings.
Expected<std::vector<std::string>> as_string_list(const Doc& doc, const YAML::Node& node,
                                                  std::string_view what);

// Closest candidate by edit distance, or empty if none is close enough.
std::string closest(std::string_view word, std::initializer_list<std::string_view> candidates);

}  // namespace uda::yaml
