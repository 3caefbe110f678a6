#pragma once
// The spool-folder trigger source, like ConfigMgr's own inboxes: a writer (a
// WinPE task sequence step, a script on a UNC share) drops a file into
// <dir>/inbox/; the watcher commits its triggers to the store and only then
// moves the file to <dir>/processed/. A file that cannot be accepted goes to
// <dir>/rejected/ with <name>.error.txt saying what is wrong and how to fix it.
// No file is ever deleted.
//
// Writers should write <name>.tmp (or <name>.partial, or a dotfile) and
// rename it when complete. For naive writers, a file that does not parse yet
// is left alone until it has not changed for `settle`. YAML files always wait
// for `settle` (a YAML file cut short may still parse); JSON that parses is
// complete and is taken at once.
//
// Exactly once: a trigger without an id gets one derived from the file name
// and content (see spool_file.hpp). If the agent dies after the commit but
// before the move, the file is read again at the next start, the store
// answers "already present" for every trigger, and the file is moved then.
//
// Considered in inbox/: regular files named *.json, *.yaml or *.yml (any
// case), not starting with '.', not *.tmp / *.partial; at most
// max_files_per_scan per scan, by name. Symbolic links are never followed
// (they are logged once and left where they are), nor are directories or
// other entries touched.
//
// Scans run every poll_interval and, on Linux, whenever inotify reports a
// file renamed into (or closed after writing in) inbox/. Everything runs on
// one strand of the io_context; the GroupCommitter's answers are posted back
// to it. Call start()/stop() from the io_context's thread (or before it runs
// / after it stopped), like the other stages.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <vector>

#include "core/asio.hpp"
#include "core/result.hpp"
#include "core/trigger.hpp"
#include "sources/spool/spool_options.hpp"
#include "store/group_commit.hpp"

namespace uda {

class SpoolWatcher {
 public:
  // Hands a file's triggers (one batch, committed whole or not at all) to the
  // store; `done` runs exactly once, on any thread (usually
  // GroupCommitter::submit).
  using Submit = std::function<void(std::vector<Trigger>, GroupCommitter::Done)>;

  struct Stats {
    std::uint64_t scans = 0;               // inbox/ listings done
    std::uint64_t files_accepted = 0;      // committed and moved to processed/
    std::uint64_t files_rejected = 0;      // moved to rejected/ (with .error.txt)
    std::uint64_t files_retried = 0;       // commits that failed; the file stayed in inbox/
    std::uint64_t triggers_accepted = 0;   // stored by a commit
    std::uint64_t triggers_duplicate = 0;  // already stored (same id): not stored again
  };

  SpoolWatcher(asio::io_context& io, SpoolOptions options, Submit submit);
  ~SpoolWatcher();  // stops
  SpoolWatcher(const SpoolWatcher&) = delete;
  SpoolWatcher& operator=(const SpoolWatcher&) = delete;

  // Creates inbox/, processed/ and rejected/ under options.dir, checks that
  // files can be written and moved between them, then starts watching.
  // An error says which folder and why.
  Status start();
  // No new scans (a stopped watcher is not started again); answers for
  // commits in flight are still handled (their files moved) while the
  // io_context runs. Idempotent.
  void stop();
  // Asks for a scan as soon as possible (coalesced with one already asked
  // for). Safe from any thread.
  void scan_soon();

  [[nodiscard]] Stats stats() const;
  [[nodiscard]] const SpoolOptions& options() const;
  [[nodiscard]] std::filesystem::path inbox_dir() const;
  [[nodiscard]] std::filesystem::path processed_dir() const;
  [[nodiscard]] std::filesystem::path rejected_dir() const;
  // Whether inotify watches inbox/ (otherwise: polling only).
  [[nodiscard]] bool watching_events() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace uda
