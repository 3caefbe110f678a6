#pragma once
// Read-only look-ups in the agent's store (and its file size) while the agent
// runs, straight through SQLite: WAL lets a reader in beside the agent.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace uda::bench {

// The first column of the first row of `sql` (NULL -> nullopt), or nullopt
// when the store cannot be read.
std::optional<std::int64_t> query_int(const std::filesystem::path& db_path, const std::string& sql);

// Bytes of the store: the database file plus its -wal file.
std::int64_t store_bytes(const std::filesystem::path& db_path);

}  // namespace uda::bench
