#pragma once
// Configuration of the simulated site (`provider.simulated:` in the agent
// config) and its YAML fixture. Both are read strictly: unknown keys, wrong
// types and bad references are errors with file:line:column.
//
// provider.simulated:
//   fixture: simulated-site.yaml      # required; relative to the config file
//   state_path: ../var/site.db        # optional; absent = in memory (lost on exit)
//   seed: 42                          # fault injection seed (absent = random)
//   latency: 50ms                     # every call, plus uniform(0, latency_jitter)
//   latency_jitter: 20ms
//   transient_error_rate: 0.05        # 0..1; the three rates add up to at most 1
//   permanent_error_rate: 0.0
//   ambiguous_rate: 0.01              # effect applied, then 0x800706BE (retry, ambiguous)
//   outages: [{start: 10s, duration: 30s}]
//   fail_users: ['CONTOSO\locked']    # always 0x80041003 for these
//   fail_machines: [16777230, KIOSK-0003]
//
// Fixture:
//   devices:       [{resource_id: 16777220, name: WKS-0001, active: true}]
//   users:         [{name: 'CONTOSO\jdoe', upn: jdoe@contoso.com}]
//   relationships: [{resource_id: 16777220, user: 'CONTOSO\jdoe', sources: [OSD, 4],
//                    types: [1], active: true}]
//   usage:         # SMS_G_System_SYSTEM_CONSOLE_USER (console usage inventory)
//     - {resource_id: 16777220, user: 'CONTOSO\jdoe', minutes: 3120, logons: 14,
//        last_use: 2026-11-20T08:12:00Z}
//   generate:      # optional bulk rows, appended after the lists above
//     devices: {count: 2000, first_resource_id: 16777300, name: 'PC-####', first_number: 1}
//     users:   {count: 500, name: 'CONTOSO\user###', upn_suffix: contoso.com, first_number: 1}
//     usage:   {per_device: 1, minutes: 3000, logons: 10, last_use: 2026-11-20T08:00:00Z}
//
// Users: names and UPNs are unique, case-insensitively. Usage rows: the device
// (active or not) and the user must be in the fixture, one row per device and
// user; minutes (TotalUserConsoleMinutes) is required, logons
// (NumberOfConsoleLogons, default 0) and last_use (LastConsoleUse, ISO 8601 with
// a zone; absent = unknown) are optional; both counts are integers 0..4294967295.
// generate.usage gives every generated device per_device rows (required,
// 1..1000) with the same minutes (default 3000), logons (default 10) and
// last_use (default none); the users are taken in turn from generate.users, or
// from users: when none are generated.

#include <yaml-cpp/yaml.h>

#include <filesystem>

#include "core/result.hpp"
#include "core/yaml_util.hpp"
#include "providers/simulated/faults.hpp"
#include "providers/simulated/site.hpp"

namespace uda {

struct SimulatedOptions {
  std::filesystem::path fixture;     // absolute after parsing
  std::filesystem::path state_path;  // absolute after parsing; empty = in memory
  FaultOptions faults;
};

// Parses the `provider.simulated` map. Relative paths resolve against base_dir.
Expected<SimulatedOptions> parse_simulated_options(const yaml::Doc& doc, const YAML::Node& node,
                                                   const std::filesystem::path& base_dir);

// Loads and validates a fixture file.
Expected<SiteFixture> load_fixture(const std::filesystem::path& path);
// Same, from text (`name` is used in messages).
Expected<SiteFixture> parse_fixture(const std::string& text, const std::string& name);

}  // namespace uda
