#pragma once
// Configuration of the spool-folder source (`spool:` in the agent config).
// Read strictly: unknown keys, wrong types and out-of-range values are errors
// with file:line:column.
//
// spool:
//   dir: ../var/spool          # required; inbox/, processed/, rejected/ are created under it
//   poll_interval: 2s          # scan inbox/ at least this often (inotify wakes it sooner)
//   settle: 2s                 # a file that does not parse yet, or a YAML file, is left
//                              # alone until unchanged this long (a writer may still write)
//   max_file_size: 1MiB        # larger files go to rejected/
//   max_triggers_per_file: 1000
//   max_files_per_scan: 1000
//   origin: spool              # for triggers that name none
//
// The section being present turns the source on.

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

#include "core/result.hpp"
#include "core/time.hpp"
#include "core/yaml_util.hpp"

namespace uda {

struct SpoolOptions {
  std::filesystem::path dir;  // absolute after parsing
  Millis poll_interval{2000};
  Millis settle{2000};
  std::uint64_t max_file_size{std::uint64_t{1024} * 1024};
  std::size_t max_triggers_per_file{1000};
  std::size_t max_files_per_scan{1000};
  std::string origin{"spool"};
  bool enabled = false;
};

// Limits of the settings (also the bounds in error messages).
inline constexpr Millis kSpoolMinPollInterval{50};
inline constexpr Millis kSpoolMaxPollInterval{3600 * 1000};
inline constexpr Millis kSpoolMaxSettle{3600 * 1000};
inline constexpr std::uint64_t kSpoolMaxFileSize = std::uint64_t{16} * 1024 * 1024;
inline constexpr std::int64_t kSpoolMaxTriggersPerFile = 100'000;
inline constexpr std::int64_t kSpoolMaxFilesPerScan = 100'000;

// Parses the `spool` map. A relative dir resolves against base_dir (the
// folder of the config file). The result has enabled = true.
Expected<SpoolOptions> parse_spool_options(const yaml::Doc& doc, const YAML::Node& node,
                                           const std::filesystem::path& base_dir);

}  // namespace uda
