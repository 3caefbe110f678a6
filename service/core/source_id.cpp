#include "core/source_id.hpp"

#include <array>
#include <cctype>
#include <charconv>
#include <utility>

namespace uda {
namespace {

struct SourceName {
  SourceId id;
  std::string_view canonical;
  std::array<std::string_view, 3> aliases;
};

constexpr std::array<SourceName, 9> kSources{{
    {SourceId::SoftwareCatalog, "SoftwareCatalog", {"catalog", "selfservice", "softwarecenter"}},
    {SourceId::Administrator, "Administrator", {"admin", "", ""}},
    {SourceId::User, "User", {"", "", ""}},
    {SourceId::UsageAgent, "UsageAgent", {"usage", "", ""}},
    {SourceId::DeviceManagement, "DeviceManagement", {"enrollment", "mdm", ""}},
    {SourceId::Osd, "OSD", {"operatingsystemdeployment", "", ""}},
    {SourceId::FastInstall, "FastInstall", {"", "", ""}},
    {SourceId::ExchangeConnector, "ExchangeConnector", {"exchange", "exchangeserverconnector", ""}},
    {SourceId::SecureUsageAgent, "SecureUsageAgent", {"secureusage", "", ""}},
}};

// Lowercase, dropping '-', '_' and spaces: "Usage-Agent" == "usage_agent" == "UsageAgent".
std::string fold(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '-' || c == '_' || c == ' ') continue;
    out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  return out;
}

std::optional<std::int64_t> as_number(std::string_view s) {
  std::int64_t n = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc{} || ptr != s.data() + s.size() || s.empty()) return std::nullopt;
  return n;
}

}  // namespace

std::string_view to_string(SourceId id) {
  for (const auto& s : kSources) {
    if (s.id == id) return s.canonical;
  }
  return "Unknown";
}

std::string_view to_string(TypeId id) {
  return id == TypeId::Primary ? "Primary" : "Unknown";
}

std::optional<SourceId> source_id_from_number(std::int64_t n) {
  if (n < 1 || n > 9) return std::nullopt;
  return static_cast<SourceId>(n);
}

std::optional<TypeId> type_id_from_number(std::int64_t n) {
  if (n != 1) return std::nullopt;
  return TypeId::Primary;
}

std::optional<SourceId> parse_source_id(std::string_view text) {
  if (auto n = as_number(text)) return source_id_from_number(*n);
  const std::string f = fold(text);
  for (const auto& s : kSources) {
    if (fold(s.canonical) == f) return s.id;
    for (auto alias : s.aliases) {
      if (!alias.empty() && alias == f) return s.id;
    }
  }
  return std::nullopt;
}

std::optional<TypeId> parse_type_id(std::string_view text) {
  if (auto n = as_number(text)) return type_id_from_number(*n);
  const std::string f = fold(text);
  if (f == "primary" || f == "primaryuser") return TypeId::Primary;
  return std::nullopt;
}

std::string source_id_choices() {
  std::string out;
  for (const auto& s : kSources) {
    out += std::string(s.canonical) + " (" + std::to_string(static_cast<int>(s.id)) + "), ";
  }
  out.resize(out.size() - 2);
  return out;
}

std::string type_id_choices() {
  return "Primary (1)";
}

}  // namespace uda
