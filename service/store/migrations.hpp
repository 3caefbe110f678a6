#pragma once
// The store's schema, as an ordered list of migrations. The file's schema
// version is `PRAGMA user_version`; migration N takes it from N-1 to N and is
// applied in one transaction together with the new user_version. Never edit a
// released migration: append a new one.

#include <span>
#include <string_view>

#include "store/sqlite.hpp"

namespace uda::store {

struct Migration {
  int version;            // user_version after it ran (1, 2, ...)
  std::string_view name;  // for logs
  std::string_view sql;   // one or more statements
};

std::span<const Migration> migrations();
// The newest schema version this build knows.
int latest_schema_version();

// The file's PRAGMA user_version.
int read_schema_version(sqlite::Connection& db);

// Applies every migration newer than the file's version, each in its own
// IMMEDIATE transaction (re-reading the version inside it, so two processes
// opening a fresh store at once do not both apply one). Returns the version
// reached. Throws sqlite::Error.
int migrate(sqlite::Connection& db);

}  // namespace uda::store
