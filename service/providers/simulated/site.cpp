#include "providers/simulated/site.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <iterator>
#include <limits>
#include <system_error>
#include <utility>

#include "core/user_account.hpp"
#include "providers/simulated/sqlite_util.hpp"
#include "providers/simulated/wmi_codes.hpp"

namespace uda {
namespace {

namespace fs = std::filesystem;
using sim::SqliteError;
using sim::Stmt;

constexpr int kSchemaVersion = 2;
constexpr int kBusyTimeoutMs = 10000;

// Version 1: the tables the site started with. A new state file gets this,
// then every migration below, so new and migrated files are the same.
constexpr const char* kSchema = R"sql(
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE devices(
  resource_id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  name_lc TEXT NOT NULL,
  active INTEGER NOT NULL);
CREATE INDEX devices_by_name ON devices(name_lc, active);
CREATE TABLE users(
  name_lc TEXT PRIMARY KEY,
  unique_user_name TEXT NOT NULL,
  upn TEXT NOT NULL);
CREATE TABLE relationships(
  relationship_resource_id INTEGER PRIMARY KEY AUTOINCREMENT,
  resource_id INTEGER NOT NULL,
  unique_user_name TEXT NOT NULL,
  user_lc TEXT NOT NULL,
  sources TEXT NOT NULL,
  types TEXT NOT NULL,
  is_active INTEGER NOT NULL,
  created_at_ms INTEGER NOT NULL,
  updated_at_ms INTEGER NOT NULL,
  UNIQUE(resource_id, user_lc));
CREATE TABLE effects(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at_ms INTEGER NOT NULL,
  resource_id INTEGER NOT NULL,
  unique_user_name TEXT NOT NULL,
  source_id INTEGER NOT NULL,
  type_id INTEGER NOT NULL,
  trigger_id TEXT NOT NULL,
  effect TEXT NOT NULL);
CREATE INDEX effects_by_key ON effects(resource_id, unique_user_name, source_id);
)sql";

struct Migration {
  int to_version;
  const char* sql;
};

// Each entry takes a state file from to_version - 1 to to_version.
constexpr Migration kMigrations[] = {
    // 2: console usage (SMS_G_System_SYSTEM_CONSOLE_USER) and UPN look-ups.
    {2, R"sql(
CREATE TABLE console_usage(
  resource_id INTEGER NOT NULL,
  unique_user_name TEXT NOT NULL,
  user_lc TEXT NOT NULL,
  minutes REAL NOT NULL,
  logons INTEGER NOT NULL,
  last_use_ms INTEGER,
  updated_at_ms INTEGER NOT NULL,
  PRIMARY KEY(resource_id, user_lc));
CREATE INDEX users_by_upn ON users(lower(upn));
)sql"},
};
static_assert(std::size(kMigrations) == kSchemaVersion - 1, "one migration per version");

std::string join_numbers(const std::vector<std::uint32_t>& v) {
  std::string out;
  for (auto n : v) {
    if (!out.empty()) out += ',';
    out += std::to_string(n);
  }
  return out;
}

std::vector<std::uint32_t> split_numbers(std::string_view s) {
  std::vector<std::uint32_t> out;
  while (!s.empty()) {
    const auto comma = s.find(',');
    const auto part = s.substr(0, comma);
    std::uint32_t n = 0;
    auto [p, ec] = std::from_chars(part.data(), part.data() + part.size(), n);
    if (ec == std::errc{} && p == part.data() + part.size()) out.push_back(n);
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
  return out;
}

std::vector<std::uint32_t> source_numbers(const std::vector<SourceId>& v) {
  std::vector<std::uint32_t> out;
  out.reserve(v.size());
  for (auto s : v) out.push_back(static_cast<std::uint32_t>(s));
  return out;
}

std::vector<SourceId> to_sources(const std::vector<std::uint32_t>& v) {
  std::vector<SourceId> out;
  out.reserve(v.size());
  for (auto n : v) out.push_back(static_cast<SourceId>(n));
  return out;
}

std::optional<EffectKind> effect_from_string(std::string_view s) {
  if (s == "created") return EffectKind::Created;
  if (s == "source-added") return EffectKind::SourceAdded;
  if (s == "no-change") return EffectKind::NoChange;
  return std::nullopt;
}

bool has_meta_table(sqlite3* db) {
  Stmt q(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'");
  return q.step();
}

// The file's schema version, or an error when it is not a state file or is
// newer than this build.
Expected<int> schema_version(sqlite3* db, const fs::path& path) {
  Stmt q(db, "SELECT value FROM meta WHERE key = 'schema_version'");
  if (!q.step()) {
    return Error{
        fmt::format("{}: not a simulated site state file (no schema version)", path.string())};
  }
  const auto v = q.text(0);
  int version = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), version);
  if (ec != std::errc{} || p != v.data() + v.size() || version < 1 || version > kSchemaVersion) {
    return Error{
        fmt::format("{}: simulated site schema version {} is not supported (this build "
                    "knows versions 1 to {}); delete the file to start over",
                    path.string(), v, kSchemaVersion)};
  }
  return version;
}

// Brings a state file from `from` to kSchemaVersion (inside the caller's transaction).
void migrate(sqlite3* db, int from) {
  for (const auto& m : kMigrations) {
    if (m.to_version <= from) continue;
    sim::exec(db, m.sql);
  }
  Stmt upd(db, "UPDATE meta SET value = ? WHERE key = 'schema_version'");
  upd.bind(1, std::to_string(kSchemaVersion)).run();
}

ConsoleUsage usage_row(const Stmt& q) {
  // Columns: resource_id, unique_user_name, minutes, logons, last_use_ms
  ConsoleUsage u;
  u.resource_id = static_cast<std::uint32_t>(q.int64(0));
  u.system_console_user = q.text(1);
  u.total_console_minutes = q.real(2);
  u.console_logons = q.int64(3);
  if (!q.is_null(4)) u.last_console_use = from_unix_ms(q.int64(4));
  return u;
}

std::int64_t clamp_limit(std::size_t n) {
  constexpr auto kMax = static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max() - 1);
  return static_cast<std::int64_t>(std::min(n, kMax));
}

// Opens the connection with the pragmas every handle uses.
Expected<sqlite3*> open_db(const fs::path& path, int flags) {
  sqlite3* db = nullptr;
  const std::string name = path.empty() ? std::string(":memory:") : path.string();
  const int rc = sqlite3_open_v2(name.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    return Error{fmt::format("{}: cannot open the simulated site state: {}", name, msg)};
  }
  sqlite3_busy_timeout(db, kBusyTimeoutMs);
  sqlite3_extended_result_codes(db, 1);
  return db;
}

SiteCreateResult create_error(std::uint32_t code, std::string_view message) {
  SiteCreateResult r;
  r.code = code;
  r.status = wmi::to_status(code, message);
  return r;
}

std::string storage_message(const SqliteError& e) {
  return fmt::format("simulated site storage: {}", e.what());
}

}  // namespace

std::string_view to_string(EffectKind k) {
  switch (k) {
    case EffectKind::Created:
      return "created";
    case EffectKind::SourceAdded:
      return "source-added";
    case EffectKind::NoChange:
      return "no-change";
  }
  return "unknown";
}

SimulatedSite::SimulatedSite(sqlite3* db, fs::path path, bool read_only, const TimeSource* time)
    : db_(db),
      stmts_(std::make_unique<sim::StmtCache>(db)),
      path_(std::move(path)),
      read_only_(read_only),
      time_(time) {}

SimulatedSite::~SimulatedSite() {
  stmts_.reset();
  sqlite3_close_v2(db_);
}

Expected<std::unique_ptr<SimulatedSite>> SimulatedSite::open(const fs::path& state_path,
                                                             const SiteFixture& fixture,
                                                             const TimeSource& time) {
  if (!state_path.empty() && state_path.has_parent_path()) {
    std::error_code ec;
    fs::create_directories(state_path.parent_path(), ec);
    if (ec) {
      return Error{fmt::format("{}: cannot create the folder for the simulated site state: {}",
                               state_path.string(), ec.message())};
    }
  }
  auto db = open_db(state_path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  if (!db) return db.error();
  std::unique_ptr<SimulatedSite> site(new SimulatedSite(*db, state_path, false, &time));
  const std::string name = state_path.empty() ? std::string("<memory>") : state_path.string();
  try {
    sim::exec(site->db_, "PRAGMA journal_mode=WAL");
    sim::exec(site->db_, "PRAGMA synchronous=FULL");
    sim::Transaction tx(site->db_);
    if (!has_meta_table(site->db_)) {
      sim::exec(site->db_, kSchema);
      Stmt meta(site->db_, "INSERT INTO meta(key, value) VALUES (?, ?)");
      meta.bind(1, "schema_version").bind(2, "1").run();
      meta.reset();
      meta.bind(1, "created_at").bind(2, format_iso8601(time.now())).run();
      migrate(site->db_, 1);
      site->seed(fixture);
    } else {
      auto version = schema_version(site->db_, state_path);
      if (!version) return version.error();
      if (*version < kSchemaVersion) {
        migrate(site->db_, *version);
        Stmt meta(site->db_, "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)");
        meta.bind(1, "migrated_at").bind(2, format_iso8601(time.now())).run();
      }
    }
    tx.commit();
  } catch (const SqliteError& e) {
    return Error{fmt::format("{}: cannot initialise the simulated site: {}", name, e.what())};
  }
  return site;
}

Expected<std::unique_ptr<SimulatedSite>> SimulatedSite::open_read_only(const fs::path& state_path) {
  if (state_path.empty()) {
    return Error{"the simulated site has no state_path (in memory): nothing to read"};
  }
  std::error_code ec;
  if (!fs::exists(state_path, ec)) {
    return Error{
        fmt::format("{}: no simulated site state yet (it is created when the agent "
                    "first starts)",
                    state_path.string())};
  }
  auto db = open_db(state_path, SQLITE_OPEN_READONLY);
  if (!db) return db.error();
  std::unique_ptr<SimulatedSite> site(new SimulatedSite(*db, state_path, true, nullptr));
  try {
    if (!has_meta_table(site->db_)) {
      return Error{fmt::format("{}: not a simulated site state file", state_path.string())};
    }
    auto version = schema_version(site->db_, state_path);
    if (!version) return version.error();
    site->has_usage_ = *version >= 2;
  } catch (const SqliteError& e) {
    return Error{
        fmt::format("{}: cannot read the simulated site: {}", state_path.string(), e.what())};
  }
  return site;
}

void SimulatedSite::seed(const SiteFixture& fixture) {
  const auto now = to_unix_ms(time_->now());
  Stmt dev(*stmts_, "INSERT INTO devices(resource_id, name, name_lc, active) VALUES (?, ?, ?, ?)");
  for (const auto& d : fixture.devices) {
    dev.bind(1, std::int64_t{d.resource_id})
        .bind(2, d.name)
        .bind(3, ascii_lower(d.name))
        .bind(4, std::int64_t{d.active ? 1 : 0})
        .run();
    dev.reset();
  }
  Stmt usr(*stmts_, "INSERT INTO users(name_lc, unique_user_name, upn) VALUES (?, ?, ?)");
  for (const auto& u : fixture.users) {
    usr.bind(1, ascii_lower(u.unique_user_name)).bind(2, u.unique_user_name).bind(3, u.upn).run();
    usr.reset();
  }
  Stmt rel(*stmts_,
           "INSERT INTO relationships(resource_id, unique_user_name, user_lc, sources, types, "
           "is_active, created_at_ms, updated_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  for (const auto& r : fixture.relationships) {
    rel.bind(1, std::int64_t{r.resource_id})
        .bind(2, r.unique_user_name)
        .bind(3, ascii_lower(r.unique_user_name))
        .bind(4, join_numbers(source_numbers(r.sources)))
        .bind(5, join_numbers(r.types))
        .bind(6, std::int64_t{r.active ? 1 : 0})
        .bind(7, now)
        .bind(8, now)
        .run();
    rel.reset();
  }
  for (const auto& u : fixture.usage) insert_usage(u, u.system_console_user, now);
}

void SimulatedSite::insert_usage(const ConsoleUsage& row, const std::string& user,
                                 std::int64_t now_ms) {
  Stmt q(
      *stmts_,
      "INSERT INTO console_usage(resource_id, unique_user_name, user_lc, minutes, logons, "
      "last_use_ms, updated_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?) "
      "ON CONFLICT(resource_id, user_lc) DO UPDATE SET unique_user_name = "
      "excluded.unique_user_name, "
      "minutes = excluded.minutes, logons = excluded.logons, last_use_ms = excluded.last_use_ms, "
      "updated_at_ms = excluded.updated_at_ms");
  q.bind(1, std::int64_t{row.resource_id})
      .bind(2, user)
      .bind(3, ascii_lower(user))
      .bind_real(4, row.total_console_minutes)
      .bind(5, row.console_logons);
  if (row.last_console_use) {
    q.bind(6, to_unix_ms(*row.last_console_use));
  } else {
    q.bind_null(6);
  }
  q.bind(7, now_ms).run();
}

SiteCreateResult SimulatedSite::create_relationship(std::uint32_t machine_resource_id,
                                                    const std::string& user_account_name,
                                                    std::uint32_t source_id, std::uint32_t type_id,
                                                    const std::string& trigger_id) {
  if (read_only_) {
    return create_error(wmi::kAccessDenied, "the simulated site is open read-only");
  }
  std::lock_guard lock(mu_);
  try {
    sim::Transaction tx(db_);

    // The device: SMS_R_System.ResourceID, active.
    Stmt dev(*stmts_, "SELECT name, active FROM devices WHERE resource_id = ?");
    dev.bind(1, std::int64_t{machine_resource_id});
    if (!dev.step()) {
      return create_error(wmi::kNotFound,
                          fmt::format("no device with ResourceID {}", machine_resource_id));
    }
    if (dev.int64(1) == 0) {
      return create_error(wmi::kNotFound,
                          fmt::format("device with ResourceID {} ({}) is not active (obsolete or "
                                      "decommissioned)",
                                      machine_resource_id, dev.text(0)));
    }

    // The user: DOMAIN\user, known as SMS_R_User.UniqueUserName.
    if (!parse_domain_user(user_account_name)) {
      const bool upn = parse_upn(user_account_name).has_value();
      return create_error(
          wmi::kInvalidParameter,
          upn ? fmt::format("UserAccountName '{}' is a UPN; CreateRelationship needs DOMAIN\\user "
                            "(SMS_R_User.UniqueUserName)",
                            user_account_name)
              : fmt::format("UserAccountName '{}' is not in DOMAIN\\user form", user_account_name));
    }
    const auto user_lc = ascii_lower(user_account_name);
    Stmt usr(*stmts_, "SELECT unique_user_name FROM users WHERE name_lc = ?");
    usr.bind(1, user_lc);
    if (!usr.step()) {
      return create_error(
          wmi::kInvalidParameter,
          fmt::format("UserAccountName '{}': no such user (SMS_R_User.UniqueUserName)",
                      user_account_name));
    }
    const auto canonical_user = usr.text(0);

    if (source_id < 1 || source_id > 9) {
      return create_error(wmi::kInvalidParameter,
                          fmt::format("SourceId {} is not one of 1..9", source_id));
    }
    if (type_id != static_cast<std::uint32_t>(TypeId::Primary)) {
      return create_error(wmi::kInvalidParameter,
                          fmt::format("TypeId {} is not supported (1 = primary user)", type_id));
    }

    const auto now = to_unix_ms(time_->now());
    SiteCreateResult r;
    Stmt find(*stmts_,
              "SELECT relationship_resource_id, sources, types, is_active, unique_user_name "
              "FROM relationships WHERE resource_id = ? AND user_lc = ?");
    find.bind(1, std::int64_t{machine_resource_id}).bind(2, user_lc);
    std::int64_t rel_id = 0;
    std::string rel_user = canonical_user;
    if (find.step()) {
      rel_id = find.int64(0);
      rel_user = find.text(4);
      auto sources = split_numbers(find.text(1));
      auto types = split_numbers(find.text(2));
      bool changed = find.int64(3) == 0;
      if (std::find(sources.begin(), sources.end(), source_id) == sources.end()) {
        sources.push_back(source_id);
        changed = true;
      }
      if (std::find(types.begin(), types.end(), type_id) == types.end()) {
        types.push_back(type_id);
        changed = true;
      }
      r.already_existed = true;
      r.effect = changed ? EffectKind::SourceAdded : EffectKind::NoChange;
      if (changed) {
        Stmt upd(*stmts_,
                 "UPDATE relationships SET sources = ?, types = ?, is_active = 1, "
                 "updated_at_ms = ? WHERE relationship_resource_id = ?");
        upd.bind(1, join_numbers(sources))
            .bind(2, join_numbers(types))
            .bind(3, now)
            .bind(4, rel_id);
        upd.run();
      }
    } else {
      Stmt ins(*stmts_,
               "INSERT INTO relationships(resource_id, unique_user_name, user_lc, sources, types, "
               "is_active, created_at_ms, updated_at_ms) VALUES (?, ?, ?, ?, ?, 1, ?, ?)");
      ins.bind(1, std::int64_t{machine_resource_id})
          .bind(2, canonical_user)
          .bind(3, user_lc)
          .bind(4, std::to_string(source_id))
          .bind(5, std::to_string(type_id))
          .bind(6, now)
          .bind(7, now);
      ins.run();
      rel_id = sqlite3_last_insert_rowid(db_);
      r.effect = EffectKind::Created;
    }

    Stmt eff(*stmts_,
             "INSERT INTO effects(at_ms, resource_id, unique_user_name, source_id, type_id, "
             "trigger_id, effect) VALUES (?, ?, ?, ?, ?, ?, ?)");
    eff.bind(1, now)
        .bind(2, std::int64_t{machine_resource_id})
        .bind(3, rel_user)
        .bind(4, std::int64_t{source_id})
        .bind(5, std::int64_t{type_id})
        .bind(6, trigger_id)
        .bind(7, to_string(*r.effect));
    eff.run();
    tx.commit();

    r.status = CallStatus::ok(fmt::format("{} RelationshipResourceID {} ({} <-> {}, SourceId {})",
                                          to_string(*r.effect), rel_id, machine_resource_id,
                                          rel_user, source_id));
    return r;
  } catch (const SqliteError& e) {
    return create_error(wmi::kFailed, storage_message(e));
  }
}

SiteFindResult SimulatedSite::find_relationship(std::uint32_t resource_id,
                                                const std::string& unique_user_name) {
  std::lock_guard lock(mu_);
  SiteFindResult r;
  try {
    Stmt q(*stmts_,
           "SELECT relationship_resource_id, unique_user_name, sources, types, is_active "
           "FROM relationships WHERE resource_id = ? AND user_lc = ?");
    q.bind(1, std::int64_t{resource_id}).bind(2, ascii_lower(unique_user_name));
    if (q.step()) {
      Relationship rel;
      rel.relationship_resource_id = q.int64(0);
      rel.resource_id = resource_id;
      rel.unique_user_name = q.text(1);
      rel.sources = to_sources(split_numbers(q.text(2)));
      rel.types = split_numbers(q.text(3));
      rel.is_active = q.int64(4) != 0;
      r.relationship = std::move(rel);
    }
    r.status = CallStatus::ok(r.relationship ? "found" : "no relationship");
  } catch (const SqliteError& e) {
    r.code = wmi::kFailed;
    r.status = wmi::to_status(r.code, storage_message(e));
  }
  return r;
}

SiteResolveResult SimulatedSite::resolve_machine(const std::string& name) {
  std::lock_guard lock(mu_);
  SiteResolveResult r;
  try {
    Stmt q(*stmts_,
           "SELECT resource_id FROM devices WHERE name_lc = ? AND active = 1 "
           "ORDER BY resource_id");
    q.bind(1, ascii_lower(name));
    std::vector<std::uint32_t> ids;
    while (q.step()) ids.push_back(static_cast<std::uint32_t>(q.int64(0)));
    if (ids.size() > 1) {
      std::string list;
      for (auto id : ids) list += (list.empty() ? "" : ", ") + std::to_string(id);
      r.status = CallStatus::fail(
          fmt::format("ambiguous name: {} active devices are named '{}' (ResourceID {})",
                      ids.size(), name, list));
      return r;
    }
    if (ids.size() == 1) r.resource_id = ids.front();
    r.status = CallStatus::ok(ids.empty() ? fmt::format("no active device named '{}'", name)
                                          : fmt::format("ResourceID {}", ids.front()));
  } catch (const SqliteError& e) {
    r.code = wmi::kFailed;
    r.status = wmi::to_status(r.code, storage_message(e));
  }
  return r;
}

Expected<std::vector<SiteDevice>> SimulatedSite::devices_named(const std::string& name) {
  std::lock_guard lock(mu_);
  try {
    std::vector<SiteDevice> out;
    Stmt q(*stmts_,
           "SELECT resource_id, name, active FROM devices WHERE name_lc = ? ORDER BY resource_id");
    q.bind(1, ascii_lower(name));
    while (q.step()) {
      out.push_back({static_cast<std::uint32_t>(q.int64(0)), q.text(1), q.int64(2) != 0});
    }
    return out;
  } catch (const SqliteError& e) {
    return Error{storage_message(e)};
  }
}

Expected<std::vector<SiteUser>> SimulatedSite::users_with_upn(const std::string& upn) {
  std::lock_guard lock(mu_);
  try {
    std::vector<SiteUser> out;
    if (trim(upn).empty()) return out;  // users without a UPN have upn ''
    Stmt q(*stmts_,
           "SELECT unique_user_name, upn FROM users WHERE lower(upn) = ? ORDER BY name_lc");
    q.bind(1, ascii_lower(upn));
    while (q.step()) out.push_back({q.text(0), q.text(1)});
    return out;
  } catch (const SqliteError& e) {
    return Error{storage_message(e)};
  }
}

SiteUserResult SimulatedSite::resolve_user(const std::string& upn) {
  SiteUserResult r;
  auto users = users_with_upn(upn);
  if (!users) {
    r.code = wmi::kFailed;
    r.status = wmi::to_status(r.code, users.error().message);
    return r;
  }
  if (users->size() > 1) {
    std::string list;
    for (const auto& u : *users) list += (list.empty() ? "" : ", ") + u.unique_user_name;
    r.status = CallStatus::fail(fmt::format(
        "ambiguous UPN: {} users have UserPrincipalName '{}' ({})", users->size(), upn, list));
    return r;
  }
  if (users->size() == 1) r.unique_user_name = users->front().unique_user_name;
  r.status = CallStatus::ok(r.unique_user_name ? *r.unique_user_name
                                               : fmt::format("no user with UPN '{}'", upn));
  return r;
}

SiteUsageResult SimulatedSite::console_usage(std::uint32_t after_resource_id,
                                             std::size_t max_devices) {
  SiteUsageResult r;
  if (max_devices == 0) {
    r.code = wmi::kInvalidParameter;
    r.status = wmi::to_status(r.code, "console usage: a page must hold at least one device");
    return r;
  }
  std::lock_guard lock(mu_);
  if (!has_usage_) {
    r.status = CallStatus::ok("no console usage in a schema version 1 state");
    return r;
  }
  try {
    // The page's devices, plus one to know whether another page follows.
    Stmt ids(*stmts_,
             "SELECT DISTINCT resource_id FROM console_usage WHERE resource_id > ? "
             "ORDER BY resource_id LIMIT ?");
    ids.bind(1, std::int64_t{after_resource_id}).bind(2, clamp_limit(max_devices) + 1);
    std::size_t devices = 0;
    std::int64_t last = -1;
    while (ids.step()) {
      if (devices == max_devices) {
        r.more = true;
        break;
      }
      ++devices;
      last = ids.int64(0);
    }
    if (devices > 0) {
      Stmt q(
          *stmts_,
          "SELECT resource_id, unique_user_name, minutes, logons, last_use_ms FROM console_usage "
          "WHERE resource_id > ? AND resource_id <= ? ORDER BY resource_id, user_lc");
      q.bind(1, std::int64_t{after_resource_id}).bind(2, last);
      while (q.step()) r.rows.push_back(usage_row(q));
    }
    r.status =
        CallStatus::ok(fmt::format("{} rows of {} devices after ResourceID {}{}", r.rows.size(),
                                   devices, after_resource_id, r.more ? ", more follow" : ""));
  } catch (const SqliteError& e) {
    r = {};
    r.code = wmi::kFailed;
    r.status = wmi::to_status(r.code, storage_message(e));
  }
  return r;
}

SiteUsageResult SimulatedSite::console_usage_rows(std::uint32_t after_resource_id,
                                                  std::size_t max_rows,
                                                  std::optional<std::uint32_t> only) {
  SiteUsageResult r;
  std::lock_guard lock(mu_);
  if (!has_usage_) {
    r.status = CallStatus::ok("no console usage in a schema version 1 state");
    return r;
  }
  try {
    Stmt q(*stmts_,
           "SELECT resource_id, unique_user_name, minutes, logons, last_use_ms FROM console_usage "
           "WHERE resource_id > ?1 AND (?2 < 0 OR resource_id = ?2) "
           "ORDER BY resource_id, user_lc LIMIT ?3");
    q.bind(1, std::int64_t{after_resource_id})
        .bind(2, only ? std::int64_t{*only} : std::int64_t{-1})
        .bind(3, clamp_limit(max_rows) + 1);
    while (q.step()) {
      if (r.rows.size() == max_rows) {
        r.more = true;
        break;
      }
      r.rows.push_back(usage_row(q));
    }
    r.status =
        CallStatus::ok(fmt::format("{} rows{}", r.rows.size(), r.more ? ", more follow" : ""));
  } catch (const SqliteError& e) {
    r = {};
    r.code = wmi::kFailed;
    r.status = wmi::to_status(r.code, storage_message(e));
  }
  return r;
}

Status SimulatedSite::upsert_usage(const ConsoleUsage& row) {
  if (read_only_) return Error{"the simulated site is open read-only"};
  if (!std::isfinite(row.total_console_minutes) || row.total_console_minutes < 0) {
    return Error{fmt::format("console usage: minutes must be a number >= 0, got {}",
                             row.total_console_minutes)};
  }
  if (row.console_logons < 0) {
    return Error{fmt::format("console usage: logons must be >= 0, got {}", row.console_logons)};
  }
  if (!parse_domain_user(row.system_console_user)) {
    return Error{
        fmt::format("console usage: user '{}' is not DOMAIN\\user", row.system_console_user)};
  }
  std::lock_guard lock(mu_);
  try {
    sim::Transaction tx(db_);
    Stmt dev(*stmts_, "SELECT 1 FROM devices WHERE resource_id = ?");
    dev.bind(1, std::int64_t{row.resource_id});
    if (!dev.step()) {
      return Error{fmt::format("console usage: no device with ResourceID {}", row.resource_id)};
    }
    std::string user = row.system_console_user;
    Stmt usr(*stmts_, "SELECT unique_user_name FROM users WHERE name_lc = ?");
    usr.bind(1, ascii_lower(user));
    if (usr.step()) user = usr.text(0);
    insert_usage(row, user, to_unix_ms(time_->now()));
    tx.commit();
    return Status::Ok();
  } catch (const SqliteError& e) {
    return Error{storage_message(e)};
  }
}

Status SimulatedSite::delete_usage(std::uint32_t resource_id, const std::string& unique_user_name) {
  if (read_only_) return Error{"the simulated site is open read-only"};
  std::lock_guard lock(mu_);
  try {
    Stmt q(*stmts_, "DELETE FROM console_usage WHERE resource_id = ? AND user_lc = ?");
    q.bind(1, std::int64_t{resource_id}).bind(2, ascii_lower(unique_user_name)).run();
    return Status::Ok();
  } catch (const SqliteError& e) {
    return Error{storage_message(e)};
  }
}

Expected<std::optional<SiteDevice>> SimulatedSite::device(std::uint32_t resource_id) {
  std::lock_guard lock(mu_);
  try {
    Stmt q(*stmts_, "SELECT name, active FROM devices WHERE resource_id = ?");
    q.bind(1, std::int64_t{resource_id});
    if (!q.step()) return std::optional<SiteDevice>{};
    return std::optional<SiteDevice>{SiteDevice{resource_id, q.text(0), q.int64(1) != 0}};
  } catch (const SqliteError& e) {
    return Error{storage_message(e)};
  }
}

Expected<std::vector<SiteDevice>> SimulatedSite::devices() {
  std::lock_guard lock(mu_);
  try {
    std::vector<SiteDevice> out;
    Stmt q(*stmts_, "SELECT resource_id, name, active FROM devices ORDER BY resource_id");
    while (q.step()) {
      out.push_back({static_cast<std::uint32_t>(q.int64(0)), q.text(1), q.int64(2) != 0});
    }
    return out;
  } catch (const SqliteError& e) {
    return Error{storage_message(e)};
  }
}

Expected<std::vector<SiteUser>> SimulatedSite::users() {
  std::lock_guard lock(mu_);
  try {
    std::vector<SiteUser> out;
    Stmt q(*stmts_, "SELECT unique_user_name, upn FROM users ORDER BY name_lc");
    while (q.step()) out.push_back({q.text(0), q.text(1)});
    return out;
  } catch (const SqliteError& e) {
    return Error{storage_message(e)};
  }
}

Expected<std::vector<Relationship>> SimulatedSite::list_relationships(
    std::optional<std::uint32_t> resource_id) {
  std::lock_guard lock(mu_);
  try {
    std::vector<Relationship> out;
    Stmt q(*stmts_,
           "SELECT relationship_resource_id, resource_id, unique_user_name, sources, types, "
           "is_active FROM relationships WHERE (?1 < 0 OR resource_id = ?1) "
           "ORDER BY relationship_resource_id");
    q.bind(1, resource_id ? std::int64_t{*resource_id} : std::int64_t{-1});
    while (q.step()) {
      Relationship rel;
      rel.relationship_resource_id = q.int64(0);
      rel.resource_id = static_cast<std::uint32_t>(q.int64(1));
      rel.unique_user_name = q.text(2);
      rel.sources = to_sources(split_numbers(q.text(3)));
      rel.types = split_numbers(q.text(4));
      rel.is_active = q.int64(5) != 0;
      out.push_back(std::move(rel));
    }
    return out;
  } catch (const SqliteError& e) {
    return Error{storage_message(e)};
  }
}

Expected<std::vector<Effect>> SimulatedSite::effects() {
  std::lock_guard lock(mu_);
  try {
    std::vector<Effect> out;
    Stmt q(*stmts_,
           "SELECT id, at_ms, resource_id, unique_user_name, source_id, type_id, trigger_id, "
           "effect FROM effects ORDER BY id");
    while (q.step()) {
      Effect e;
      e.id = q.int64(0);
      e.at = from_unix_ms(q.int64(1));
      e.resource_id = static_cast<std::uint32_t>(q.int64(2));
      e.unique_user_name = q.text(3);
      e.source_id = static_cast<std::uint32_t>(q.int64(4));
      e.type_id = static_cast<std::uint32_t>(q.int64(5));
      e.trigger_id = q.text(6);
      e.effect = effect_from_string(q.text(7)).value_or(EffectKind::NoChange);
      out.push_back(std::move(e));
    }
    return out;
  } catch (const SqliteError& e) {
    return Error{storage_message(e)};
  }
}

Expected<int> SimulatedSite::effect_count(std::uint32_t resource_id,
                                          const std::string& unique_user_name,
                                          std::uint32_t source_id) {
  std::lock_guard lock(mu_);
  try {
    Stmt q(*stmts_,
           "SELECT count(*) FROM effects WHERE resource_id = ? AND lower(unique_user_name) = ? "
           "AND source_id = ? AND effect IN ('created', 'source-added')");
    q.bind(1, std::int64_t{resource_id})
        .bind(2, ascii_lower(unique_user_name))
        .bind(3, std::int64_t{source_id});
    q.step();
    return static_cast<int>(q.int64(0));
  } catch (const SqliteError& e) {
    return Error{storage_message(e)};
  }
}

}  // namespace uda
