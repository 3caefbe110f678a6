// `uda-agent service install|uninstall|start|stop|status` (Windows only).
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "app/cli_support.hpp"
#include "app/commands.hpp"
#include "core/time.hpp"
#include "platform/service_host/service_admin.hpp"

#ifdef _WIN32
// winsock2.h before windows.h: this file shares a unity batch with files that
// use Boost.Asio, which needs Winsock 2 (windows.h alone brings in winsock.h).
#include <winsock2.h>
// clang-format off
#include <windows.h>
// clang-format on

#include "platform/windows/wide.hpp"
#endif

namespace uda::cli {

namespace {

std::optional<std::chrono::milliseconds> duration_arg(const std::string& text, const char* flag,
                                                      std::chrono::milliseconds fallback,
                                                      std::chrono::milliseconds max) {
  if (text.empty()) return fallback;
  auto d = parse_duration(text);
  if (!d || *d > max || d->count() <= 0) {
    report_error(fmt::format("{} '{}': give a duration such as 30s or 2m (at most {} s)", flag,
                             text, max.count() / 1000));
    return std::nullopt;
  }
  return std::chrono::duration_cast<std::chrono::milliseconds>(*d);
}

[[maybe_unused]] int print_result(const Global& g, const ServiceArgs& a,
                                  const svc::AdminResult& r) {
  if (g.json) {
    nlohmann::json j{{"service", svc::kServiceName},
                     {"action", a.action},
                     {"ok", r.exit_code == 0},
                     {"installed", r.installed},
                     {"message", r.message}};
    if (r.status) {
      j["state"] = svc::to_string(r.status->status.state);
      j["pid"] = r.status->pid;
      j["win32_exit_code"] = r.status->status.win32_exit_code;
      j["service_exit_code"] = r.status->status.service_exit_code;
    }
    fmt::print("{}\n", j.dump());
  } else if (r.exit_code == 0) {
    fmt::print("{}\n", r.message);
  } else {
    report_error(r.message);
  }
  return r.exit_code;
}

#ifdef _WIN32
std::string this_exe() {
  std::wstring buf(32768, L'\0');
  const DWORD n = GetModuleFileNameW(nullptr, buf.data(), static_cast<DWORD>(buf.size()));
  if (n == 0 || n >= buf.size()) return {};
  buf.resize(n);
  return win::to_utf8(buf);
}
#endif

}  // namespace

int cmd_service(const Global& g, const ServiceArgs& a) {
  const auto wait = duration_arg(a.wait, "--wait", std::chrono::milliseconds(30'000),
                                 std::chrono::milliseconds(600'000));
  const auto preshutdown =
      duration_arg(a.preshutdown_timeout, "--preshutdown-timeout",
                   std::chrono::milliseconds(30'000), std::chrono::milliseconds(600'000));
  if (!wait || !preshutdown) return kBadInput;
#ifndef _WIN32
  (void)g;
  report_error(fmt::format(
      "`service {}` is Windows-only: it manages the Windows service UdaAgent. On Linux run the "
      "agent with systemd (installer/systemd/uda-agent.service)",
      a.action));
  return kBadInput;
#else
  auto scm = svc::make_win32_scm_admin();
  svc::WaitOptions w;
  w.timeout = *wait;
  svc::AdminResult r;
  if (a.action == "install") {
    svc::InstallOptions o;
    o.exe_path = this_exe();
    if (a.config_given) o.config_path = std::filesystem::absolute(g.config_path).string();
    o.account = a.account;
    o.preshutdown_timeout = *preshutdown;
    r = svc::install_service(*scm, o);
  } else if (a.action == "uninstall") {
    r = svc::uninstall_service(*scm, w);
  } else if (a.action == "start") {
    r = svc::start_service(*scm, w);
  } else if (a.action == "stop") {
    r = svc::stop_service(*scm, w);
  } else {
    r = svc::query_service(*scm);
  }
  return print_result(g, a, r);
#endif
}

}  // namespace uda::cli
