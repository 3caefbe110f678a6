#pragma once
// The secret an AdminService transport sends: the NTLM password or the bearer
// token (never logged; negotiate has none). The token file is read again
// whenever it changes (size or modification time), so a scheduled task that
// renews a CMG / Entra ID token needs no agent restart; an unreadable or
// empty new file keeps the old token. Thread-safe.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>

#include "core/result.hpp"
#include "providers/adminservice/options.hpp"

namespace uda::adminservice {

class Credential {
 public:
  // Reads the password or token file now; the error names the config key and
  // the file, never the content.
  static Expected<std::unique_ptr<Credential>> load(const Options& options);

  // The secret to send now ("" for negotiate).
  std::string current();

 private:
  Credential(std::filesystem::path reload_from, std::string secret);

  std::mutex mu_;
  std::filesystem::path reload_from_;  // the token file; empty: never re-read
  std::string secret_;
  std::filesystem::file_time_type mtime_{};
  std::uintmax_t size_ = 0;
};

}  // namespace uda::adminservice
