#pragma once
// A Trigger is one request to consider a user/device affinity: something
// happened (an OSD run finished, a device enrolled, usage crossed a threshold,
// an admin asked) and names a machine and a user. Triggers are facts as
// received; the rules decide what, if anything, to do with them.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "core/result.hpp"
#include "core/time.hpp"

namespace uda {

enum class TriggerKind { Enrollment, Osd, Usage, Manual, Discovery };

std::string_view to_string(TriggerKind k);
std::optional<TriggerKind> parse_trigger_kind(std::string_view text);
// "enrollment, osd, usage, manual, discovery": for error messages.
std::string trigger_kind_choices();

// ConfigMgr resource ids are uint32; devices start at 16777216 (0x01000000),
// but any non-zero uint32 is accepted because sites differ.
constexpr std::uint32_t kMaxResourceId = 0xFFFFFFFFu;

struct MachineRef {
  std::optional<std::uint32_t> resource_id;  // SMS_R_System.ResourceID
  std::optional<std::string> name;           // SMS_R_System.Name (NetBIOS name)

  [[nodiscard]] bool empty() const { return !resource_id && !name; }
  // "16777220 (WKS-001)", "16777220" or "WKS-001": for logs and errors.
  [[nodiscard]] std::string describe() const;
};

// Attribute values keep their JSON/YAML type: rules compare numbers as numbers.
using AttributeValue = std::variant<bool, double, std::string>;
using Attributes = std::map<std::string, AttributeValue, std::less<>>;

std::string attribute_to_string(const AttributeValue& v);

struct Trigger {
  std::string id;  // unique; generated on receipt when the client gives none
  TriggerKind kind = TriggerKind::Manual;
  MachineRef machine;
  std::string user;         // as received: "CONTOSO\jdoe", "jdoe@contoso.com", ...
  Attributes attributes;    // e.g. "usage.minutes": 3120, "ts.name": "Win11 OSD"
  TimePoint received_at{};  // when the agent accepted it (UTC)
  std::string origin;       // who handed it over: "cli", "http:<token>", "spool", "wmi:<sub>"
};

// Structural checks every trigger must pass before it is accepted: a machine,
// a user, sane sizes. Returns the first problem, naming the field.
Status validate(const Trigger& t);

// Limits on what a trigger may carry (bounded sizes everywhere).
inline constexpr std::size_t kMaxUserLength = 256;
inline constexpr std::size_t kMaxMachineNameLength = 255;
inline constexpr std::size_t kMaxOriginLength = 128;
inline constexpr std::size_t kMaxIdLength = 128;
inline constexpr std::size_t kMaxAttributes = 64;
inline constexpr std::size_t kMaxAttributeKeyLength = 128;
inline constexpr std::size_t kMaxAttributeValueLength = 4096;

// Random, time-ordered id in UUID text form (version 7 layout).
std::string new_trigger_id();

}  // namespace uda
