#include "sources/spool/spool_watcher.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <system_error>
#include <utility>

#include "core/log_text.hpp"
#include "core/time.hpp"
#include "core/user_account.hpp"
#include "sources/spool/spool_file.hpp"

#ifndef _WIN32
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>  // renameat2 (glibc, _GNU_SOURCE)
#endif
#ifdef __linux__
#include <sys/inotify.h>
#endif
#ifdef _WIN32
#include <windows.h>
#endif

namespace uda {
namespace {

namespace fs = std::filesystem;
using SteadyClock = std::chrono::steady_clock;

// Entries looked at per listing of inbox/ (bounded work per scan even when
// someone fills the folder with other things).
constexpr std::size_t kMaxListed = 100'000;
// name.1.json ... name.9999.json in processed/ and rejected/.
constexpr int kMaxSuffix = 9999;
// Trigger ids written in one log line (the rest are counted).
constexpr std::size_t kMaxLoggedIds = 50;

// ---------------------------------------------------------------------------
// Text for logs: file names are data from outside.

std::string join_ids(const std::vector<std::string>& ids) {
  std::string out;
  for (std::size_t i = 0; i < ids.size() && i < kMaxLoggedIds; ++i) {
    if (i) out += ',';
    out += log_value(ids[i]);  // a client-given id may hold spaces or quotes
  }
  if (ids.size() > kMaxLoggedIds) out += fmt::format(",...(+{} more)", ids.size() - kMaxLoggedIds);
  return out;
}

// "64 bytes", "1 MiB (1048576 bytes)"
std::string size_text(std::uint64_t n) {
  constexpr std::uint64_t kKiB = 1024;
  constexpr std::uint64_t kMiB = kKiB * 1024;
  if (n >= kMiB && n % kMiB == 0) return fmt::format("{} MiB ({} bytes)", n / kMiB, n);
  if (n >= kKiB && n % kKiB == 0) return fmt::format("{} KiB ({} bytes)", n / kKiB, n);
  return fmt::format("{} bytes", n);
}

// File names are handled as UTF-8 strings; these convert at the edges
// (on Windows a plain std::string path would be read in the ANSI code page).
std::string name_of(const fs::path& p) {
#ifdef _WIN32
  const auto u8 = p.filename().u8string();
  return std::string(u8.begin(), u8.end());
#else
  return p.filename().string();
#endif
}

fs::path child(const fs::path& dir, const std::string& name) {
#ifdef _WIN32
  return dir / fs::path(std::u8string(name.begin(), name.end()));
#else
  return dir / name;
#endif
}

// ---------------------------------------------------------------------------
// What is in inbox/, without following links.

struct FileStamp {
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;  // in the clock of age_of()
  std::uint64_t dev = 0;      // POSIX identity; 0 on Windows
  std::uint64_t ino = 0;
  std::uint64_t links = 1;  // hard links (POSIX)
  bool operator==(const FileStamp&) const = default;
};

enum class EntryKind { Missing, Regular, Symlink, Directory, Other, Error };

struct Entry {
  EntryKind kind = EntryKind::Missing;
  FileStamp stamp;
  std::string error;  // kind == Error
};

#ifndef _WIN32
FileStamp stamp_of(const struct stat& st) {
  FileStamp s;
  s.size = static_cast<std::uint64_t>(st.st_size);
  s.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  s.dev = static_cast<std::uint64_t>(st.st_dev);
  s.ino = static_cast<std::uint64_t>(st.st_ino);
  s.links = static_cast<std::uint64_t>(st.st_nlink);
  return s;
}

Entry inspect(const fs::path& p) {
  struct stat st {};
  if (::lstat(p.c_str(), &st) != 0) {
    const int err = errno;
    if (err == ENOENT || err == ENOTDIR) return {};
    return Entry{EntryKind::Error, {}, std::strerror(err)};
  }
  Entry e;
  e.stamp = stamp_of(st);
  if (S_ISREG(st.st_mode)) {
    e.kind = EntryKind::Regular;
  } else if (S_ISLNK(st.st_mode)) {
    e.kind = EntryKind::Symlink;
  } else if (S_ISDIR(st.st_mode)) {
    e.kind = EntryKind::Directory;
  } else {
    e.kind = EntryKind::Other;
  }
  return e;
}

Millis age_of(const FileStamp& s) {
  const auto now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  return std::chrono::duration_cast<Millis>(std::chrono::nanoseconds(now_ns - s.mtime_ns));
}
#else
Entry inspect(const fs::path& p) {
  std::error_code ec;
  const auto st = fs::symlink_status(p, ec);
  if (ec || st.type() == fs::file_type::not_found) {
    if (st.type() == fs::file_type::not_found) return {};
    return Entry{EntryKind::Error, {}, ec.message()};
  }
  Entry e;
  switch (st.type()) {
    case fs::file_type::regular:
      e.kind = EntryKind::Regular;
      break;
    case fs::file_type::symlink:
      e.kind = EntryKind::Symlink;
      return e;
    case fs::file_type::directory:
      e.kind = EntryKind::Directory;
      return e;
    default:
      e.kind = EntryKind::Other;
      return e;
  }
  e.stamp.size = fs::file_size(p, ec);
  if (ec) return Entry{EntryKind::Error, {}, ec.message()};
  const auto t = fs::last_write_time(p, ec);
  if (ec) return Entry{EntryKind::Error, {}, ec.message()};
  e.stamp.mtime_ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
  return e;
}

Millis age_of(const FileStamp& s) {
  const auto now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          fs::file_time_type::clock::now().time_since_epoch())
                          .count();
  return std::chrono::duration_cast<Millis>(std::chrono::nanoseconds(now_ns - s.mtime_ns));
}
#endif

struct ReadResult {
  std::string content;  // at most max + 1 bytes (more = oversize)
  FileStamp stamp;      // of the file actually read
  bool vanished = false;
  std::string error;  // set when it could not be read
};

// Reads at most max + 1 bytes of a regular file, never through a link.
ReadResult read_bounded(const fs::path& p, std::uint64_t max) {
  ReadResult r;
#ifndef _WIN32
  const int fd = ::open(p.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    const int err = errno;
    if (err == ENOENT) {
      r.vanished = true;
    } else if (err == ELOOP) {
      r.error = "it became a symbolic link; links are never followed";
    } else {
      r.error = fmt::format("cannot open it: {}", std::strerror(err));
    }
    return r;
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    r.error = "it is no longer a regular file";
    return r;
  }
  r.stamp = stamp_of(st);
  const std::size_t limit = static_cast<std::size_t>(max) + 1;
  r.content.resize(std::min<std::size_t>(limit, static_cast<std::size_t>(st.st_size) + 1));
  std::size_t got = 0;
  for (;;) {
    if (got == r.content.size()) {
      if (got >= limit) break;
      r.content.resize(std::min(limit, got * 2 + 4096));
    }
    const auto n = ::read(fd, r.content.data() + got, r.content.size() - got);
    if (n < 0) {
      if (errno == EINTR) continue;
      r.error = fmt::format("cannot read it: {}", std::strerror(errno));
      ::close(fd);
      return r;
    }
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  ::close(fd);
  r.content.resize(got);
#else
  const auto e = inspect(p);
  if (e.kind == EntryKind::Missing) {
    r.vanished = true;
    return r;
  }
  if (e.kind != EntryKind::Regular) {
    r.error = "it is no longer a regular file";
    return r;
  }
  r.stamp = e.stamp;
  std::ifstream in(p, std::ios::binary);
  if (!in) {
    r.error = "cannot open it (in use by its writer, or no permission)";
    return r;
  }
  const std::size_t limit = static_cast<std::size_t>(max) + 1;
  r.content.resize(limit);
  in.read(r.content.data(), static_cast<std::streamsize>(limit));
  r.content.resize(static_cast<std::size_t>(in.gcount()));
#endif
  return r;
}

// Creates a new file (never replacing one, never through a link).
// Returns false with errno-style `exists` when the name is taken.
Status write_new_file(const fs::path& p, const std::string& text, bool& exists) {
  exists = false;
#ifndef _WIN32
  const int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) {
    const int err = errno;
    exists = err == EEXIST;
    return Error{fmt::format("cannot create {}: {}", p.string(), std::strerror(err))};
  }
  std::size_t done = 0;
  while (done < text.size()) {
    const auto n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      return Error{fmt::format("cannot write {}: {}", p.string(), std::strerror(err))};
    }
    done += static_cast<std::size_t>(n);
  }
  if (::close(fd) != 0) {
    return Error{fmt::format("cannot write {}: {}", p.string(), std::strerror(errno))};
  }
  return Status::Ok();
#else
  // CREATE_NEW fails when the name exists (a file, a folder or a link).
  HANDLE h = ::CreateFileW(p.c_str(), GENERIC_WRITE, 0, nullptr, CREATE_NEW, FILE_ATTRIBUTE_NORMAL,
                           nullptr);
  if (h == INVALID_HANDLE_VALUE) {
    const DWORD err = ::GetLastError();
    exists = err == ERROR_FILE_EXISTS || err == ERROR_ALREADY_EXISTS;
    return Error{fmt::format("cannot create {}: {}", p.string(),
                             std::system_category().message(static_cast<int>(err)))};
  }
  std::size_t done = 0;
  while (done < text.size()) {
    const auto chunk = static_cast<DWORD>(std::min<std::size_t>(text.size() - done, 1U << 20));
    DWORD n = 0;
    if (::WriteFile(h, text.data() + done, chunk, &n, nullptr) == 0) {
      const DWORD err = ::GetLastError();
      ::CloseHandle(h);
      return Error{fmt::format("cannot write {}: {}", p.string(),
                               std::system_category().message(static_cast<int>(err)))};
    }
    done += n;
  }
  if (::CloseHandle(h) == 0) return Error{fmt::format("cannot write {}", p.string())};
  return Status::Ok();
#endif
}

// Renames without replacing an existing file; `exists` when the target is taken.
Status rename_no_replace(const fs::path& from, const fs::path& to, bool& exists) {
  exists = false;
#ifdef __linux__
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) {
    return Status::Ok();
  }
  const int err = errno;
  if (err == EEXIST) {
    exists = true;
    return Error{fmt::format("{} already exists", to.string())};
  }
  if (err != EINVAL && err != ENOSYS && err != ENOTSUP) {
    return Error{std::strerror(err)};
  }
  // The filesystem cannot do RENAME_NOREPLACE (some network filesystems):
  // check, then rename. Only this agent writes into processed/ and rejected/.
#elif defined(_WIN32)
  // MoveFileExW without MOVEFILE_REPLACE_EXISTING never replaces a file.
  if (::MoveFileExW(from.c_str(), to.c_str(), 0) != 0) return Status::Ok();
  const DWORD err = ::GetLastError();
  if (err == ERROR_ALREADY_EXISTS || err == ERROR_FILE_EXISTS) {
    exists = true;
    return Error{fmt::format("{} already exists", to.string())};
  }
  return Error{std::system_category().message(static_cast<int>(err))};
#endif
#ifndef _WIN32
  std::error_code ec;
  if (fs::symlink_status(to, ec).type() != fs::file_type::not_found) {
    exists = true;
    return Error{fmt::format("{} already exists", to.string())};
  }
  fs::rename(from, to, ec);
  if (ec) return Error{ec.message()};
  return Status::Ok();
#endif
}

// The usual limit of one name in a folder (NAME_MAX, NTFS).
constexpr std::size_t kMaxNameBytes = 255;
constexpr std::string_view kErrorExt = ".error.txt";

// `name` shortened (keeping its extension, never cutting a UTF-8 sequence) so
// that name.NNNN.ext.error.txt still fits kMaxNameBytes; unchanged when it
// already does. A long name that cannot get its explanation next to it could
// never leave inbox/.
std::string fitting_name(const std::string& name) {
  constexpr std::size_t kReserve = kErrorExt.size() + std::string_view(".9999").size();
  if (name.size() + kReserve <= kMaxNameBytes) return name;
  const auto dot = name.rfind('.');
  const std::string ext =
      dot == std::string::npos || name.size() - dot > 16 ? "" : name.substr(dot);
  std::size_t keep = kMaxNameBytes - kReserve - ext.size();
  while (keep > 0 && (static_cast<unsigned char>(name[keep]) & 0xC0) == 0x80) --keep;
  return name.substr(0, keep) + ext;
}

// "x.json" + 2 -> "x.2.json" (names here always have an extension).
std::string suffixed(const std::string& name, int n) {
  if (n == 0) return name;
  const auto dot = name.rfind('.');
  if (dot == std::string::npos || dot == 0) return name + "." + std::to_string(n);
  return name.substr(0, dot) + "." + std::to_string(n) + name.substr(dot);
}

std::string format_error_text(const std::string& name, const std::string& moved_to,
                              const std::string& problem, const std::string& fix) {
  return fmt::format(
      "uda-agent could not accept this spool file, so it was moved here unchanged.\n"
      "\n"
      "file:     {}  (was inbox/{})\n"
      "now:      rejected/{}\n"
      "when:     {}\n"
      "problem:  {}\n"
      "\n"
      "How to fix: {}\n"
      "\n"
      "Then put the corrected file into inbox/ again: write it as <name>.tmp and rename it\n"
      "when it is complete. Files in rejected/ are never read again; none is ever deleted.\n",
      name, name, moved_to, format_iso8601(now_ms()), problem, fix);
}

constexpr std::string_view kFormatHint =
    "correct the file. A spool file is UTF-8 JSON (.json) or YAML (.yaml, .yml) holding one\n"
    "trigger or a list of them, for example:\n"
    "  {\"kind\": \"osd\", \"machine\": {\"resource_id\": 16777220}, \"user\": "
    "\"CONTOSO\\\\jdoe\"}\n"
    "kind is one of enrollment, osd, usage, manual, discovery; machine is a ResourceID, a\n"
    "device name, or {\"resource_id\": n, \"name\": \"...\"}; user is DOMAIN\\user or a UPN;\n"
    "optional: id, origin, received_at (ISO 8601), attributes (name -> string, number, bool).";

Status make_dir(const fs::path& p) {
  std::error_code ec;
  fs::create_directories(p, ec);
  if (ec) {
    return Error{
        fmt::format("spool: cannot create {}: {}; check spool.dir and the agent's permissions",
                    p.string(), ec.message())};
  }
  const auto st = fs::symlink_status(p, ec);
  if (ec || st.type() != fs::file_type::directory) {
    return Error{fmt::format(
        "spool: {} is not a directory (a file or a symbolic link is in the way); the spool "
        "never follows links",
        p.string())};
  }
  return Status::Ok();
}

}  // namespace

// ---------------------------------------------------------------------------

struct SpoolWatcher::Impl : std::enable_shared_from_this<SpoolWatcher::Impl> {
  Impl(asio::io_context& io, SpoolOptions o, Submit s)
      : strand(asio::make_strand(io)),
        options(std::move(o)),
        submit(std::move(s)),
        inbox(options.dir / "inbox"),
        processed(options.dir / "processed"),
        rejected(options.dir / "rejected"),
        timer(strand)
#ifdef __linux__
        ,
        events(strand)
#endif
  {
  }

  // One file seen in inbox/.
  struct FileState {
    FileStamp stamp;
    SteadyClock::time_point since{};  // when `stamp` was first seen
    bool broken = false;              // did not parse with this stamp (and was young)
    bool in_flight = false;           // a submission awaits its answer
  };

  asio::strand<asio::io_context::executor_type> strand;
  SpoolOptions options;
  Submit submit;
  fs::path inbox;
  fs::path processed;
  fs::path rejected;
  asio::steady_timer timer;
#ifdef __linux__
  asio::posix::stream_descriptor events;
#endif
  std::atomic<bool> inotify_on{false};
  bool started = false;
  bool stopping = false;
  std::atomic<bool> scan_pending{false};  // scan_soon() may be called from any thread
  std::map<std::string, FileState> files;
  // name -> what was last logged about it (each state is logged once).
  std::map<std::string, std::string> noted;

  struct Counters {
    std::atomic<std::uint64_t> scans{0};
    std::atomic<std::uint64_t> files_accepted{0};
    std::atomic<std::uint64_t> files_rejected{0};
    std::atomic<std::uint64_t> files_retried{0};
    std::atomic<std::uint64_t> triggers_accepted{0};
    std::atomic<std::uint64_t> triggers_duplicate{0};
  } counters;

  // ---- logging once per state ------------------------------------------

  // Logs `line` unless `key` was the last thing logged about `name`.
  void note(const std::string& name, const std::string& key, spdlog::level::level_enum level,
            const std::string& line) {
    auto& last = noted[name];
    if (last == key) return;
    last = key;
    spdlog::log(level, "{}", line);
  }

  // ---- start / stop -----------------------------------------------------

  Status start() {
    if (started) return Error{"spool: already started"};
    for (const auto& d : {options.dir, inbox, processed, rejected}) {
      if (auto st = make_dir(d); !st) return st;
    }
    if (auto st = probe(); !st) return st;
    started = true;
    stopping = false;
    start_events();
    arm_timer();
    scan_soon();
    spdlog::info(
        "spool: watching dir={} poll_interval={} settle={} max_file_size={} "
        "events={}",
        log_value(options.dir.string()), format_duration(options.poll_interval),
        format_duration(options.settle), options.max_file_size, inotify_on ? "inotify" : "polling");
    return Status::Ok();
  }

  // A file written in inbox/ must move to processed/ and rejected/: try it
  // with a probe (a dotfile, which the scan ignores), then remove the probe.
  Status probe() {
    std::random_device rd;
    const auto name = fmt::format(".uda-agent-probe-{:08x}", rd());
    bool exists = false;
    if (auto st = write_new_file(inbox / name, "probe\n", exists); !st) {
      return Error{
          fmt::format("spool: inbox/ is not writable ({}); the agent needs to create "
                      "and move files under {}",
                      st.error().message, options.dir.string())};
    }
    fs::path at = inbox / name;
    for (const auto& dir : {processed, rejected}) {
      std::error_code ec;
      fs::rename(at, dir / name, ec);
      if (ec) {
        std::error_code ignore;
        fs::remove(at, ignore);  // our own probe
        return Error{fmt::format(
            "spool: cannot move a file from {} to {}: {}; inbox/, processed/ and rejected/ "
            "must be on one filesystem and writable by the agent",
            at.parent_path().string(), dir.string(), ec.message())};
      }
      at = dir / name;
    }
    std::error_code ec;
    fs::remove(at, ec);  // our own probe
    return Status::Ok();
  }

  void stop() {
    stopping = true;
    timer.cancel();
#ifdef __linux__
    if (events.is_open()) {
      boost::system::error_code ec;
      events.close(ec);
    }
#endif
    inotify_on = false;
  }

  void arm_timer() {
    timer.expires_after(options.poll_interval);
    timer.async_wait(
        asio::bind_executor(strand, [w = weak_from_this()](const boost::system::error_code& ec) {
          auto self = w.lock();
          if (!self || ec || self->stopping) return;
          self->scan();
          self->arm_timer();
        }));
  }

  void scan_soon() {
    if (scan_pending.exchange(true)) return;
    asio::post(strand, [w = weak_from_this()] {
      if (auto self = w.lock()) {
        self->scan_pending = false;
        if (!self->stopping && self->started) self->scan();
      }
    });
  }

  // ---- inotify (Linux) ---------------------------------------------------

  void start_events() {
#ifdef __linux__
    const int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd < 0) {
      spdlog::warn("spool: inotify unavailable ({}); polling inbox/ every {}", std::strerror(errno),
                   format_duration(options.poll_interval));
      return;
    }
    if (::inotify_add_watch(fd, inbox.c_str(),
                            IN_MOVED_TO | IN_CLOSE_WRITE | IN_ONLYDIR | IN_DONT_FOLLOW) < 0) {
      spdlog::warn("spool: cannot watch {} with inotify ({}); polling it every {}", inbox.string(),
                   std::strerror(errno), format_duration(options.poll_interval));
      ::close(fd);
      return;
    }
    boost::system::error_code ec;
    events.assign(fd, ec);
    if (ec) {
      spdlog::warn("spool: inotify descriptor not usable ({}); polling inbox/ every {}",
                   ec.message(), format_duration(options.poll_interval));
      ::close(fd);
      return;
    }
    inotify_on = true;
    wait_events();
#else
    spdlog::debug("spool: polling inbox/ every {}", format_duration(options.poll_interval));
#endif
  }

#ifdef __linux__
  void wait_events() {
    events.async_wait(
        asio::posix::stream_descriptor::wait_read,
        asio::bind_executor(strand, [w = weak_from_this()](const boost::system::error_code& ec) {
          auto self = w.lock();
          if (!self || ec || self->stopping) return;
          self->drain_events();
        }));
  }

  void drain_events() {
    alignas(inotify_event) char buf[8192];
    bool lost = false;
    for (;;) {
      const auto n = ::read(events.native_handle(), buf, sizeof buf);
      if (n < 0) {
        if (errno == EINTR) continue;
        break;  // EAGAIN: drained
      }
      if (n == 0) break;
      for (std::size_t at = 0; at + sizeof(inotify_event) <= static_cast<std::size_t>(n);) {
        inotify_event ev{};
        std::memcpy(&ev, buf + at, sizeof ev);
        if (ev.mask & IN_IGNORED) lost = true;
        at += sizeof(inotify_event) + ev.len;
      }
    }
    scan_soon();
    if (lost) {
      spdlog::warn(
          "spool: the inotify watch on {} ended (folder removed or unmounted?); "
          "polling only",
          inbox.string());
      boost::system::error_code ec;
      events.close(ec);
      inotify_on = false;
      return;
    }
    wait_events();
  }
#endif

  // ---- scanning ----------------------------------------------------------

  void scan() {
    ++counters.scans;
    std::error_code ec;
    fs::directory_iterator it(inbox, ec);
    if (ec) {
      note("", "list:" + ec.message(), spdlog::level::err,
           fmt::format("spool: cannot list {}: {}; trying again in {}", inbox.string(),
                       ec.message(), format_duration(options.poll_interval)));
      return;
    }
    std::set<std::string> present;
    std::vector<std::string> names;
    std::size_t listed = 0;
    for (; it != fs::directory_iterator(); it.increment(ec)) {
      if (ec) break;
      if (++listed > kMaxListed) {
        note("", "too-many", spdlog::level::warn,
             fmt::format("spool: {} holds more than {} entries; only some are looked at per scan",
                         inbox.string(), kMaxListed));
        break;
      }
      auto name = name_of(it->path());
      present.insert(name);
      if (is_spool_file_name(name)) {
        names.push_back(std::move(name));
      } else if (const auto lower = ascii_lower(name); !lower.empty() && lower[0] != '.' &&
                                                       !lower.ends_with(".tmp") &&
                                                       !lower.ends_with(".partial")) {
        note(name, "ignored", spdlog::level::info,
             fmt::format("spool: file={} outcome=ignored reason=\"not a .json, .yaml or .yml "
                         "file; left where it is\"",
                         log_value(name)));
      }
    }
    if (ec) {
      note("", "list:" + ec.message(), spdlog::level::err,
           fmt::format("spool: listing {} failed: {}", inbox.string(), ec.message()));
    } else {
      noted.erase("");
    }
    // Forget what is gone (but keep files whose commit is in flight).
    std::erase_if(files, [&](const auto& kvp) {
      return !kvp.second.in_flight && !present.contains(kvp.first);
    });
    std::erase_if(
        noted, [&](const auto& kvp) { return !kvp.first.empty() && !present.contains(kvp.first); });

    std::sort(names.begin(), names.end());
    std::size_t handled = 0;
    for (const auto& name : names) {
      if (handled >= options.max_files_per_scan) break;
      if (auto f = files.find(name); f != files.end() && f->second.in_flight) continue;
      // Only files that were read count: links, folders and other entries
      // that stay in inbox/ must not take every place of a scan and keep
      // the files after them (by name) from ever being read.
      if (consider(name)) ++handled;
    }
  }

  // True when the file was read (or moved); false for entries only looked at.
  bool consider(const std::string& name) {
    const auto path = child(inbox, name);
    const auto e = inspect(path);
    switch (e.kind) {
      case EntryKind::Missing:
        files.erase(name);
        return false;
      case EntryKind::Symlink:
        note(name, "symlink", spdlog::level::warn,
             fmt::format("spool: file={} outcome=skipped reason=\"a symbolic link; links are "
                         "never followed: move or copy the file itself into inbox/\"",
                         log_value(name)));
        return false;
      case EntryKind::Directory:
      case EntryKind::Other:
        note(name, "not-file", spdlog::level::warn,
             fmt::format("spool: file={} outcome=skipped reason=\"not a regular file\"",
                         log_value(name)));
        return false;
      case EntryKind::Error:
        note(name, "stat:" + e.error, spdlog::level::warn,
             fmt::format("spool: file={} outcome=unreadable error=\"{}\" (tried again at the "
                         "next scan)",
                         log_value(name), log_printable(e.error)));
        return false;
      case EntryKind::Regular:
        break;
    }
    if (e.stamp.links > 1) {
      // A hard link could make the agent read (and quote in an .error.txt)
      // a file from elsewhere: writers create new files.
      note(name, "hardlink", spdlog::level::warn,
           fmt::format("spool: file={} outcome=skipped reason=\"has {} hard links; only files "
                       "with one link are read: copy the file into inbox/ instead\"",
                       log_value(name), e.stamp.links));
      return false;
    }
    auto& f = files[name];
    const auto now = SteadyClock::now();
    if (f.since == SteadyClock::time_point{} || f.stamp != e.stamp) {
      f.stamp = e.stamp;
      f.since = now;
      f.broken = false;
    }
    if (e.stamp.size > options.max_file_size) {
      reject(name, e.stamp, oversize_problem(name, e.stamp.size), oversize_fix());
      return true;
    }
    const bool settled = options.settle <= Millis(0) || age_of(e.stamp) >= options.settle ||
                         now - f.since >= options.settle;
    // Still young and did not parse as it is: wait without reading it again.
    if (f.broken && !settled) return false;

    auto r = read_bounded(path, options.max_file_size);
    if (r.vanished) {
      files.erase(name);
      return false;
    }
    if (!r.error.empty()) {
      note(name, "read:" + r.error, spdlog::level::warn,
           fmt::format("spool: file={} outcome=unreadable error=\"{}\" (left in inbox/; tried "
                       "again at the next scan)",
                       log_value(name), log_printable(r.error)));
      return false;  // not read: takes no place of the scan either
    }
    if (r.content.size() > options.max_file_size) {
      reject(name, r.stamp, oversize_problem(name, r.content.size()), oversize_fix());
      return true;
    }
    auto parsed = parse_spool_file(name, r.content, options.origin, options.max_triggers_per_file);
    if (!parsed) {
      if (!settled) {
        f.broken = true;
        note(name, "waiting", spdlog::level::debug,
             fmt::format("spool: file={} outcome=waiting reason=\"does not parse yet; its "
                         "writer may still be writing (settle {})\" error=\"{}\"",
                         log_value(name), format_duration(options.settle),
                         log_printable(parsed.error().message)));
        return true;
      }
      reject(name, r.stamp, parsed.error().message, std::string(kFormatHint));
      return true;
    }
    if (spool_format(name) == SpoolFormat::Yaml && !settled) {
      // A YAML file cut short can still parse: take it once it stopped changing.
      note(name, "waiting-yaml", spdlog::level::debug,
           fmt::format("spool: file={} outcome=waiting reason=\"YAML is taken once unchanged "
                       "for {}\"",
                       log_value(name), format_duration(options.settle)));
      return true;
    }
    send(name, r.stamp, std::move(*parsed));
    return true;
  }

  // `size` is exact when it came from the file system, or max + 1 when the
  // file grew while it was read.
  std::string oversize_problem(const std::string& name, std::uint64_t size) const {
    if (size > options.max_file_size + 1) {
      return fmt::format("{}: is {} bytes, larger than spool.max_file_size = {}", name, size,
                         size_text(options.max_file_size));
    }
    return fmt::format("{}: is larger than spool.max_file_size = {}", name,
                       size_text(options.max_file_size));
  }
  std::string oversize_fix() const {
    return fmt::format(
        "split the triggers into several smaller files (at most {} triggers each), or raise "
        "spool.max_file_size (now {}; at most 16 MiB) in the agent configuration",
        options.max_triggers_per_file, size_text(options.max_file_size));
  }

  // ---- commit --------------------------------------------------------------

  void send(const std::string& name, const FileStamp& stamp, std::vector<Trigger> triggers) {
    std::vector<std::string> ids;
    ids.reserve(triggers.size());
    for (const auto& t : triggers) ids.push_back(t.id);
    files[name].in_flight = true;
    auto done = [w = weak_from_this(), ex = strand, name, stamp,
                 ids](Expected<std::vector<bool>> result) mutable {
      // On the committer's writer thread (or ours, when refused at once).
      asio::post(ex, [w, name, stamp, ids = std::move(ids), result = std::move(result)]() mutable {
        if (auto self = w.lock()) self->committed(name, stamp, ids, std::move(result));
      });
    };
    try {
      submit(std::move(triggers), std::move(done));
    } catch (const std::exception& ex) {
      files[name].in_flight = false;
      ++counters.files_retried;
      spdlog::error("spool: file={} outcome=retry error=\"submitting failed: {}\"", log_value(name),
                    log_printable(ex.what()));
    }
  }

  void committed(const std::string& name, const FileStamp& stamp,
                 const std::vector<std::string>& ids, Expected<std::vector<bool>> result) {
    if (auto it = files.find(name); it != files.end()) it->second.in_flight = false;
    if (!result) {
      ++counters.files_retried;
      const auto line = fmt::format(
          "spool: file={} outcome=retry triggers={} error=\"{}\" (left in inbox/; tried again "
          "at the next scan)",
          log_value(name), ids.size(), log_printable(result.error().message));
      // Once per file at warning level; repeats at debug.
      if (noted[name] != "retry") {
        note(name, "retry", spdlog::level::warn, line);
      } else {
        spdlog::debug("{}", line);
      }
      return;
    }
    const auto inserted =
        static_cast<std::size_t>(std::count(result->begin(), result->end(), true));
    const auto duplicate = result->size() - inserted;
    counters.triggers_accepted += inserted;
    counters.triggers_duplicate += duplicate;

    const auto path = child(inbox, name);
    const auto now = inspect(path);
    if (now.kind != EntryKind::Regular || now.stamp != stamp) {
      // Replaced or rewritten while committing: what is there now has not
      // been read. Leave it; the next scan reads it (same content = same ids).
      const bool gone = now.kind == EntryKind::Missing;
      spdlog::info(
          "spool: file={} outcome=committed triggers={} inserted={} duplicate={} ids={} "
          "note=\"{}\"",
          log_value(name), ids.size(), inserted, duplicate, join_ids(ids),
          gone ? "the file was removed from inbox/ while it was committed"
               : "the file changed while it was committed; it stays in inbox/ and is read "
                 "again");
      noted.erase(name);
      if (!gone) scan_soon();
      return;
    }
    auto moved = move_into(path, processed, name, nullptr);
    if (!moved) {
      note(name, "move-failed", spdlog::level::err,
           fmt::format("spool: file={} outcome=committed triggers={} inserted={} duplicate={} "
                       "ids={} error=\"could not move it to processed/: {}\" (left in inbox/; "
                       "reading it again stores nothing twice)",
                       log_value(name), ids.size(), inserted, duplicate, join_ids(ids),
                       log_printable(moved.error().message)));
      return;
    }
    ++counters.files_accepted;
    files.erase(name);
    noted.erase(name);
    spdlog::info(
        "spool: file={} outcome=processed triggers={} inserted={} duplicate={} ids={} to={}",
        log_value(name), ids.size(), inserted, duplicate, join_ids(ids),
        log_value("processed/" + *moved));
  }

  // ---- moves -----------------------------------------------------------------

  // Moves inbox/<name> into `dir` under the first free name among name,
  // name.1.ext, name.2.ext, ...; for rejected/ the explanation is written
  // first as <chosen>.error.txt. Returns the chosen name.
  Expected<std::string> move_into(const fs::path& from, const fs::path& dir,
                                  const std::string& name, const std::string* problem_fix) {
    // In rejected/, <target>.error.txt must fit too.
    const auto base = problem_fix ? fitting_name(name) : name;
    for (int n = 0; n <= kMaxSuffix; ++n) {
      auto target = suffixed(base, n);
      if (target.size() > kMaxNameBytes) target = suffixed(fitting_name(name), n);
      std::error_code ec;
      if (fs::symlink_status(child(dir, target), ec).type() != fs::file_type::not_found) {
        continue;
      }
      fs::path error_file;
      if (problem_fix) {
        error_file = child(dir, target + std::string(kErrorExt));
        bool exists = false;
        auto st = write_new_file(
            error_file, format_error_text(name, target, problem_fix[0], problem_fix[1]), exists);
        if (exists) continue;
        if (!st) return st.error();
      }
      bool exists = false;
      auto st = rename_no_replace(from, child(dir, target), exists);
      if (st) return target;
      if (!error_file.empty()) {
        std::error_code ignore;
        fs::remove(error_file, ignore);  // our own explanation, for a move that did not happen
      }
      if (exists) continue;
      return st.error();
    }
    return Error{
        fmt::format("{} already holds {} files named like {}", dir.string(), kMaxSuffix + 1, name)};
  }

  void reject(const std::string& name, const FileStamp& stamp, const std::string& problem,
              const std::string& fix) {
    const auto path = child(inbox, name);
    const auto now = inspect(path);
    // Changed since it was looked at (still being written?): the next scan
    // looks again.
    if (now.kind != EntryKind::Regular || now.stamp != stamp) return;
    const std::string problem_fix[2] = {problem, fix};
    auto moved = move_into(path, rejected, name, problem_fix);
    if (!moved) {
      note(name, "reject-failed", spdlog::level::err,
           fmt::format("spool: file={} outcome=unmovable problem=\"{}\" error=\"could not move "
                       "it to rejected/: {}\" (left in inbox/)",
                       log_value(name), log_printable(problem),
                       log_printable(moved.error().message)));
      return;
    }
    ++counters.files_rejected;
    files.erase(name);
    noted.erase(name);
    spdlog::warn("spool: file={} outcome=rejected to={} error=\"{}\"", log_value(name),
                 log_value("rejected/" + *moved), log_printable(problem));
  }
};

// ---------------------------------------------------------------------------

SpoolWatcher::SpoolWatcher(asio::io_context& io, SpoolOptions options, Submit submit)
    : impl_(std::make_shared<Impl>(io, std::move(options), std::move(submit))) {}

SpoolWatcher::~SpoolWatcher() {
  try {
    stop();
  } catch (const std::exception& e) {
    spdlog::error("spool: stopping the watcher failed: {}", e.what());
  }
}

Status SpoolWatcher::start() {
  return impl_->start();
}

void SpoolWatcher::stop() {
  impl_->stop();
}

void SpoolWatcher::scan_soon() {
  impl_->scan_soon();
}

SpoolWatcher::Stats SpoolWatcher::stats() const {
  const auto& c = impl_->counters;
  Stats s;
  s.scans = c.scans.load();
  s.files_accepted = c.files_accepted.load();
  s.files_rejected = c.files_rejected.load();
  s.files_retried = c.files_retried.load();
  s.triggers_accepted = c.triggers_accepted.load();
  s.triggers_duplicate = c.triggers_duplicate.load();
  return s;
}

const SpoolOptions& SpoolWatcher::options() const {
  return impl_->options;
}

std::filesystem::path SpoolWatcher::inbox_dir() const {
  return impl_->inbox;
}

std::filesystem::path SpoolWatcher::processed_dir() const {
  return impl_->processed;
}

std::filesystem::path SpoolWatcher::rejected_dir() const {
  return impl_->rejected;
}

bool SpoolWatcher::watching_events() const {
  return impl_->inotify_on.load();
}

}  // namespace uda
