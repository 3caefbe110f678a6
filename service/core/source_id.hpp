#pragma once
// ConfigMgr SourceId / TypeId of SMS_UserMachineRelationship, with the values
// from the SDK. Names are what admins see in the console and write in YAML.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace uda {

enum class SourceId : std::uint32_t {
  SoftwareCatalog = 1,    // Application Catalog / Software Center self-service
  Administrator = 2,      // set by an administrator
  User = 3,               // user-defined (deprecated)
  UsageAgent = 4,         // usage thresholds from the client
  DeviceManagement = 5,   // device enrollment
  Osd = 6,                // operating system deployment (SMSTSUdaUsers)
  FastInstall = 7,        // fast install
  ExchangeConnector = 8,  // Exchange Server connector
  SecureUsageAgent = 9,   // secure usage agent
};

enum class TypeId : std::uint32_t {
  Primary = 1,  // primary user: the only documented value
};

// Canonical name (e.g. "OSD", "UsageAgent").
std::string_view to_string(SourceId id);
std::string_view to_string(TypeId id);

// Accepts the canonical name (case-insensitive, '-', '_' and spaces ignored,
// plus a few aliases such as "usage", "osd", "admin") or the number as text.
std::optional<SourceId> parse_source_id(std::string_view text);
std::optional<TypeId> parse_type_id(std::string_view text);
std::optional<SourceId> source_id_from_number(std::int64_t n);
std::optional<TypeId> type_id_from_number(std::int64_t n);

// "OSD, UsageAgent, ... or a number 1..9": for error messages.
std::string source_id_choices();
std::string type_id_choices();

}  // namespace uda
