#include "core/trigger.hpp"

#include <fmt/format.h>

#include <array>
#include <cmath>
#include <mutex>
#include <random>

#include "core/log_text.hpp"
#include "core/user_account.hpp"

namespace uda {
namespace {

constexpr std::array<std::pair<TriggerKind, std::string_view>, 5> kKinds{{
    {TriggerKind::Enrollment, "enrollment"},
    {TriggerKind::Osd, "osd"},
    {TriggerKind::Usage, "usage"},
    {TriggerKind::Manual, "manual"},
    {TriggerKind::Discovery, "discovery"},
}};

// No control characters: neither ASCII ones nor the Unicode ones a log
// reader's terminal or viewer would act on (C1 such as U+009B CSI, line
// separators, bidirectional overrides).
bool printable(std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto u = static_cast<unsigned char>(s[i]);
    if (u < 0x20 || u == 0x7f || unicode_control_at(s, i) > 0) return false;
  }
  return true;
}

}  // namespace

std::string_view to_string(TriggerKind k) {
  for (const auto& [kind, name] : kKinds) {
    if (kind == k) return name;
  }
  return "unknown";
}

std::optional<TriggerKind> parse_trigger_kind(std::string_view text) {
  const std::string lower = ascii_lower(text);
  for (const auto& [kind, name] : kKinds) {
    if (name == lower) return kind;
  }
  return std::nullopt;
}

std::string trigger_kind_choices() {
  return "enrollment, osd, usage, manual, discovery";
}

std::string MachineRef::describe() const {
  if (resource_id && name) return fmt::format("{} ({})", *resource_id, *name);
  if (resource_id) return std::to_string(*resource_id);
  if (name) return *name;
  return "(none)";
}

std::string attribute_to_string(const AttributeValue& v) {
  if (const auto* b = std::get_if<bool>(&v)) return *b ? "true" : "false";
  if (const auto* d = std::get_if<double>(&v)) {
    if (std::isfinite(*d) && std::floor(*d) == *d && std::fabs(*d) < 1e15) {
      return std::to_string(static_cast<long long>(*d));
    }
    return fmt::format("{}", *d);
  }
  return std::get<std::string>(v);
}

Status validate(const Trigger& t) {
  if (t.id.empty() || t.id.size() > kMaxIdLength || !printable(t.id)) {
    return Error{fmt::format("id: must be 1..{} printable characters", kMaxIdLength)};
  }
  if (t.machine.empty()) {
    return Error{"machine: give a resource_id (SMS_R_System.ResourceID) and/or a name"};
  }
  if (t.machine.resource_id && *t.machine.resource_id == 0) {
    return Error{"machine.resource_id: must be 1..4294967295"};
  }
  if (t.machine.name) {
    const auto& n = *t.machine.name;
    if (n.empty() || n.size() > kMaxMachineNameLength || !printable(n)) {
      return Error{
          fmt::format("machine.name: must be 1..{} printable characters", kMaxMachineNameLength)};
    }
  }
  const auto user = trim(t.user);
  if (user.empty()) return Error{"user: required, as DOMAIN\\user or a UPN (user@domain)"};
  if (t.user.size() > kMaxUserLength || !printable(t.user)) {
    return Error{fmt::format("user: must be at most {} printable characters", kMaxUserLength)};
  }
  if (!parse_domain_user(user) && !parse_upn(user)) {
    return Error{fmt::format("user: '{}' is neither DOMAIN\\user nor a UPN (user@domain)", user)};
  }
  if (t.origin.size() > kMaxOriginLength || !printable(t.origin)) {
    return Error{fmt::format("origin: must be at most {} printable characters", kMaxOriginLength)};
  }
  if (t.attributes.size() > kMaxAttributes) {
    return Error{fmt::format("attributes: at most {} entries", kMaxAttributes)};
  }
  for (const auto& [key, value] : t.attributes) {
    if (key.empty() || key.size() > kMaxAttributeKeyLength || !printable(key)) {
      return Error{fmt::format("attributes: key '{}' must be 1..{} printable characters", key,
                               kMaxAttributeKeyLength)};
    }
    if (const auto* s = std::get_if<std::string>(&value);
        s && s->size() > kMaxAttributeValueLength) {
      return Error{
          fmt::format("attributes.{}: at most {} characters", key, kMaxAttributeValueLength)};
    }
    if (const auto* d = std::get_if<double>(&value); d && !std::isfinite(*d)) {
      return Error{fmt::format("attributes.{}: must be a finite number", key)};
    }
  }
  return Status::Ok();
}

std::string new_trigger_id() {
  static std::mutex mu;
  static std::mt19937_64 rng{std::random_device{}()};
  std::uint64_t r1 = 0;
  std::uint64_t r2 = 0;
  {
    std::lock_guard lock(mu);
    r1 = rng();
    r2 = rng();
  }
  const auto ms = static_cast<std::uint64_t>(to_unix_ms(now_ms()));
  // 48-bit timestamp, version 7, 12 random bits, variant 10, 62 random bits.
  const std::uint64_t hi = (ms << 16) | 0x7000u | (r1 & 0x0FFFu);
  const std::uint64_t lo = (r2 & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;
  return fmt::format("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", hi >> 32, (hi >> 16) & 0xFFFF,
                     hi & 0xFFFF, lo >> 48, lo & 0xFFFFFFFFFFFFULL);
}

}  // namespace uda
