#pragma once
// SimulatedSite: an in-process stand-in for a ConfigMgr site's
// SMS_R_System, SMS_R_User, SMS_UserMachineRelationship and
// SMS_G_System_SYSTEM_CONSOLE_USER, with CreateRelationship semantics as
// ConfigMgr has them. State lives in its own
// SQLite file (WAL, synchronous=FULL) so another process (the CLI) can read it
// while the agent runs and an effect survives kill -9. The file is seeded from
// a fixture when it is first created, never again.
//
// Tables (schema version 2; other tools may read them):
//   devices(resource_id, name, name_lc, active)
//   users(unique_user_name, name_lc, upn)
//   relationships(relationship_resource_id, resource_id, unique_user_name, user_lc,
//                 sources "6,4", types "1", is_active, created_at_ms, updated_at_ms)
//   effects(id, at_ms, resource_id, unique_user_name, source_id, type_id, trigger_id,
//           effect 'created' | 'source-added' | 'no-change')
//   console_usage(resource_id, unique_user_name, user_lc, minutes, logons,
//                 last_use_ms (NULL = unknown), updated_at_ms)       -- since version 2
//
// Version 1 files (before console usage) are migrated in place by open(): the
// console_usage table is added empty (the fixture seeds a state only when it
// is created, so an older state gets no usage rows; delete it to start over
// with the fixture's). open_read_only() never writes: it reads a version 1
// file as it is, with no console usage.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "core/source_id.hpp"
#include "core/time.hpp"
#include "providers/provider_types.hpp"

struct sqlite3;

namespace uda {
namespace sim {
class StmtCache;
}  // namespace sim

// SMS_R_System (the parts the site needs).
struct SiteDevice {
  std::uint32_t resource_id = 0;
  std::string name;
  bool active = true;  // inactive = decommissioned / obsolete
};

// SMS_R_User.
struct SiteUser {
  std::string unique_user_name;  // DOMAIN\user
  std::string upn;               // may be empty
};

// A relationship that exists before the agent runs.
struct SiteRelationship {
  std::uint32_t resource_id = 0;
  std::string unique_user_name;
  std::vector<SourceId> sources;
  std::vector<std::uint32_t> types{1};
  bool active = true;
};

struct SiteFixture {
  std::vector<SiteDevice> devices;
  std::vector<SiteUser> users;
  std::vector<SiteRelationship> relationships;
  // SMS_G_System_SYSTEM_CONSOLE_USER rows (whole minutes and logons, as the
  // uint32 WMI properties have them).
  std::vector<ConsoleUsage> usage;
};

enum class EffectKind { Created, SourceAdded, NoChange };
// "created", "source-added", "no-change"
std::string_view to_string(EffectKind k);

// One row of the effects log: a CreateRelationship call that succeeded.
struct Effect {
  std::int64_t id = 0;
  TimePoint at;
  std::uint32_t resource_id = 0;
  std::string unique_user_name;  // as the site spells it (canonical case)
  std::uint32_t source_id = 0;
  std::uint32_t type_id = 0;
  std::string trigger_id;
  EffectKind effect = EffectKind::NoChange;
};

// Result of a site call. `code` is 0 or the WMI code in `status.detail`.
struct SiteCreateResult {
  CallStatus status;
  std::uint32_t code = 0;
  bool already_existed = false;
  std::optional<EffectKind> effect;  // set when the call succeeded
};

struct SiteFindResult {
  CallStatus status;
  std::uint32_t code = 0;
  std::optional<Relationship> relationship;
};

struct SiteResolveResult {
  CallStatus status;
  std::uint32_t code = 0;
  std::optional<std::uint32_t> resource_id;
};

// SMS_R_User WHERE UserPrincipalName = '...'.
struct SiteUserResult {
  CallStatus status;
  std::uint32_t code = 0;
  std::optional<std::string> unique_user_name;  // empty when no user has that UPN
};

// A page of SMS_G_System_SYSTEM_CONSOLE_USER (see console_usage()).
struct SiteUsageResult {
  CallStatus status;
  std::uint32_t code = 0;
  std::vector<ConsoleUsage> rows;
  bool more = false;
};

class SimulatedSite {
 public:
  // Opens the state at `state_path` for reading and writing, creating it and
  // seeding it from `fixture` when it does not exist yet (an existing state
  // keeps its contents; the fixture is then ignored). Empty path = in memory.
  static Expected<std::unique_ptr<SimulatedSite>> open(const std::filesystem::path& state_path,
                                                       const SiteFixture& fixture,
                                                       const TimeSource& time);
  // Opens an existing state file read-only (CLI, tests). Never creates or writes.
  static Expected<std::unique_ptr<SimulatedSite>> open_read_only(
      const std::filesystem::path& state_path);

  ~SimulatedSite();
  SimulatedSite(const SimulatedSite&) = delete;
  SimulatedSite& operator=(const SimulatedSite&) = delete;

  [[nodiscard]] bool read_only() const { return read_only_; }
  [[nodiscard]] const std::filesystem::path& state_path() const { return path_; }

  // SMS_UserMachineRelationship.CreateRelationship. Raw numbers, as on the wire.
  SiteCreateResult create_relationship(std::uint32_t machine_resource_id,
                                       const std::string& user_account_name,
                                       std::uint32_t source_id, std::uint32_t type_id,
                                       const std::string& trigger_id = {});
  // WHERE ResourceID = n AND UniqueUserName = 'd\u' (case-insensitive).
  SiteFindResult find_relationship(std::uint32_t resource_id, const std::string& unique_user_name);
  // SMS_R_System WHERE Name = '...' (case-insensitive, active devices only):
  // none -> ok + empty; two or more -> permanent failure "ambiguous name".
  SiteResolveResult resolve_machine(const std::string& name);
  // SMS_R_System WHERE Name = '...' (case-insensitive), active or not, by ResourceID.
  Expected<std::vector<SiteDevice>> devices_named(const std::string& name);
  // SMS_R_User WHERE UserPrincipalName = '...' (case-insensitive): the
  // UniqueUserName, ok + empty when no user has that UPN (or it is no UPN).
  // Two users with one UPN (a fixture cannot have that) are a permanent failure.
  SiteUserResult resolve_user(const std::string& upn);
  // The rows behind resolve_user(), ordered by UniqueUserName.
  Expected<std::vector<SiteUser>> users_with_upn(const std::string& upn);

  // SMS_G_System_SYSTEM_CONSOLE_USER rows of the devices with ResourceID >
  // after_resource_id, ordered by ResourceID then user (case-insensitive):
  // the rows of at most `max_devices` devices, a device's rows never split.
  // `more` is true when a device with usage follows the page. Devices need not
  // be active (inventory outlives a decommissioned record). max_devices >= 1.
  SiteUsageResult console_usage(std::uint32_t after_resource_id, std::size_t max_devices);
  // The same rows, limited to at most `max_rows` rows (a device may be split:
  // plain OData $top, as the AdminService has it). `only` selects one device.
  SiteUsageResult console_usage_rows(std::uint32_t after_resource_id, std::size_t max_rows,
                                     std::optional<std::uint32_t> only = std::nullopt);
  // Sets one row (inserted, or replaced by device + user, case-insensitive),
  // so tests and the fake AdminService can change usage over time. The device
  // must exist (active or not); the user must be DOMAIN\user and is spelled as
  // SMS_R_User has it when known (an unknown user, e.g. a local account, is
  // kept as given). minutes and logons >= 0.
  Status upsert_usage(const ConsoleUsage& row);
  // Removes one row; ok when there was none.
  Status delete_usage(std::uint32_t resource_id, const std::string& unique_user_name);

  Expected<std::optional<SiteDevice>> device(std::uint32_t resource_id);
  Expected<std::vector<SiteDevice>> devices();
  Expected<std::vector<SiteUser>> users();
  // Ordered by RelationshipResourceID; `resource_id` filters when set.
  Expected<std::vector<Relationship>> list_relationships(
      std::optional<std::uint32_t> resource_id = std::nullopt);
  // The whole log, oldest first.
  Expected<std::vector<Effect>> effects();
  // Calls that changed the site (created or source-added) for this device,
  // user (case-insensitive) and source: 1 = exactly once.
  Expected<int> effect_count(std::uint32_t resource_id, const std::string& unique_user_name,
                             std::uint32_t source_id);

 private:
  SimulatedSite(sqlite3* db, std::filesystem::path path, bool read_only, const TimeSource* time);
  void seed(const SiteFixture& fixture);
  void insert_usage(const ConsoleUsage& row, const std::string& user, std::int64_t now_ms);

  bool has_usage_ = true;  // false: a version 1 file opened read-only

  std::mutex mu_;
  sqlite3* db_ = nullptr;
  std::unique_ptr<sim::StmtCache> stmts_;  // for db_; reset before db_ closes
  std::filesystem::path path_;
  bool read_only_ = false;
  const TimeSource* time_ = nullptr;  // null when read-only
};

}  // namespace uda
