#pragma once
// The content of one spool file: one trigger, or a list of them, as JSON
// (*.json) or YAML (*.yaml, *.yml), in the JSON form of core/trigger_json.hpp:
//
//   {"kind": "osd", "machine": {"resource_id": 16777220}, "user": "CONTOSO\\jdoe"}
//
//   - kind: usage                       # YAML: the same fields
//     machine: WKS-0001
//     user: jdoe@contoso.com
//     attributes: {usage.minutes: 3120}
//
// Pure: no I/O. The watcher reads the file (bounded) and hands the bytes here.
//
// Trigger ids: a trigger without an "id" gets one derived from the file name,
// the content and its position ("spool-<16 hex digits>-<index>"). Reading the
// same file again (after a crash between the commit and the move to
// processed/) therefore yields the same ids, and the store answers "already
// present" instead of storing the trigger twice.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "core/trigger.hpp"

namespace uda {

inline constexpr std::size_t kDefaultMaxTriggersPerFile = 1000;

enum class SpoolFormat { Json, Yaml };

// By extension, case-insensitive: .json -> Json; .yaml, .yml -> Yaml.
std::optional<SpoolFormat> spool_format(std::string_view file_name);

// Whether the watcher should consider a directory entry with this name at
// all: a known extension, not a dotfile, not a writer's temporary
// (*.tmp, *.partial), no path separators.
bool is_spool_file_name(std::string_view file_name);

// "spool-<fnv1a64(file_name + '\0' + content) as 16 hex digits>-<index>"
std::string spool_trigger_id(std::string_view file_name, std::string_view content,
                             std::size_t index);

// Parses and validates every trigger in the file; all or nothing. Errors start
// with the file name (and line:column for YAML) and name the trigger and the
// field: "x.json: trigger [3]: machine.resource_id: must be 1..4294967295".
// `origin` is used for triggers that give none. Binary, non-UTF-8 (UTF-16 from
// PowerShell's Out-File, say) and empty content are refused with a clear
// message; more than `max_triggers` triggers is an error.
Expected<std::vector<Trigger>> parse_spool_file(
    std::string_view file_name, std::string_view content, std::string_view origin = "spool",
    std::size_t max_triggers = kDefaultMaxTriggersPerFile);

}  // namespace uda
