#pragma once
// SimulatedSite: an in-process stand-in for a ConfigMgr site's
// SMS_R_System, SMS_R_User and SMS_UserMachineRelationship, with
// CreateRelationship semantics as ConfigMgr has them. State lives in its own
// SQLite file (WAL, synchronous=FULL) so another process (the CLI) can read it
// while the agent runs and an effect survives kill -9. The file is seeded from
// a fixture when it is first created, never again.
//
// Tables (schema version 1; other tools may read them):
//   devices(resource_id, name, name_lc, active)
//   users(unique_user_name, name_lc, upn)
//   relationships(relationship_resource_id, resource_id, unique_user_name, user_lc,
//                 sources "6,4", types "1", is_active, created_at_ms, updated_at_ms)
//   effects(id, at_ms, resource_id, unique_user_name, source_id, type_id, trigger_id,
//           effect 'created' | 'source-added' | 'no-change')

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
#include "providers/provider.hpp"

struct sqlite3;

namespace uda {

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

  std::mutex mu_;
  sqlite3* db_ = nullptr;
  std::filesystem::path path_;
  bool read_only_ = false;
  const TimeSource* time_ = nullptr;  // null when read-only
};

}  // namespace uda
