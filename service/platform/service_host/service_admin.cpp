#include "platform/service_host/service_admin.hpp"

#include <fmt/format.h>

#include <thread>

#include "platform/service_host/event_ids.hpp"
#include "platform/service_host/exit_codes.hpp"

namespace uda::svc {

namespace {

constexpr int kOk = 0;
constexpr int kFailed = 1;
constexpr int kBadInput = 2;

// Closes a service handle on scope exit.
class Handle {
 public:
  explicit Handle(ScmAdmin& scm) : scm_(scm) {}
  ~Handle() {
    if (h != 0) scm_.close(h);
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ServiceHandle h = 0;

 private:
  ScmAdmin& scm_;
};

std::string quote(const std::string& s) {
  return "\"" + s + "\"";
}

AdminResult fail(int code, std::string message) {
  AdminResult r;
  r.exit_code = code;
  r.message = std::move(message);
  return r;
}

std::string elevated_hint(std::uint32_t err) {
  return err == win32::kAccessDenied ? " (run it from an elevated prompt: Run as administrator)"
                                     : "";
}

void do_sleep(const WaitOptions& w, std::chrono::milliseconds d) {
  if (w.sleep) {
    w.sleep(d);
  } else {
    std::this_thread::sleep_for(d);
  }
}

// Polls until the state is `want` (or STOPPED when waiting for RUNNING).
std::uint32_t wait_for(ScmAdmin& scm, ServiceHandle h, State want, const WaitOptions& w,
                       StatusEx& last) {
  std::chrono::milliseconds waited{0};
  for (;;) {
    if (auto err = scm.query(h, last); err != 0) return err;
    if (last.status.state == want) return 0;
    if (want == State::Running && last.status.state == State::Stopped) return 0;
    if (waited >= w.timeout) return win32::kServiceRequestTimeout;
    do_sleep(w, w.poll);
    waited += w.poll;
  }
}

}  // namespace

FailureActions default_failure_actions() {
  FailureActions fa;
  fa.reset_period_s = 24 * 60 * 60;
  fa.actions = {
      {ActionType::Restart, 5'000}, {ActionType::Restart, 30'000}, {ActionType::Restart, 120'000}};
  return fa;
}

std::optional<std::string> resolve_account(const std::string& account, std::string& error) {
  if (account.empty() || account == kVirtualAccount) return std::string(kVirtualAccount);
  const auto slash = account.find('\\');
  const bool ok = slash != std::string::npos && slash > 0 &&
                  account.find('\\', slash + 1) == std::string::npos &&
                  account.size() > slash + 2 && account.back() == '$' &&
                  account.find_first_of(" \"/[]:;|=,+*?<>@") == std::string::npos;
  if (!ok) {
    error = fmt::format(
        "--account '{}': give a group managed service account as DOMAIN\\name$ (with the "
        "trailing $), or leave it out for the virtual account {}",
        account, kVirtualAccount);
    return std::nullopt;
  }
  return account;
}

std::string image_path(const std::string& exe, const std::string& config) {
  std::string s = quote(exe) + " run";
  if (!config.empty()) s += " --config " + quote(config);
  return s;
}

std::string win32_error_name(std::uint32_t code) {
  const char* name = nullptr;
  switch (code) {
    case win32::kNoError:
      name = "ERROR_SUCCESS";
      break;
    case win32::kAccessDenied:
      name = "ERROR_ACCESS_DENIED";
      break;
    case win32::kInvalidParameter:
      name = "ERROR_INVALID_PARAMETER";
      break;
    case win32::kCallNotImplemented:
      name = "ERROR_CALL_NOT_IMPLEMENTED";
      break;
    case win32::kInvalidLevel:
      name = "ERROR_INVALID_LEVEL";
      break;
    case win32::kServiceRequestTimeout:
      name = "ERROR_SERVICE_REQUEST_TIMEOUT";
      break;
    case win32::kServiceAlreadyRunning:
      name = "ERROR_SERVICE_ALREADY_RUNNING";
      break;
    case win32::kServiceDoesNotExist:
      name = "ERROR_SERVICE_DOES_NOT_EXIST";
      break;
    case win32::kServiceCannotAcceptCtrl:
      name = "ERROR_SERVICE_CANNOT_ACCEPT_CTRL";
      break;
    case win32::kServiceNotActive:
      name = "ERROR_SERVICE_NOT_ACTIVE";
      break;
    case win32::kFailedServiceControllerConnect:
      name = "ERROR_FAILED_SERVICE_CONTROLLER_CONNECT";
      break;
    case win32::kServiceSpecificError:
      name = "ERROR_SERVICE_SPECIFIC_ERROR";
      break;
    case win32::kServiceMarkedForDelete:
      name = "ERROR_SERVICE_MARKED_FOR_DELETE";
      break;
    case win32::kServiceExists:
      name = "ERROR_SERVICE_EXISTS";
      break;
    case win32::kShutdownInProgress:
      name = "ERROR_SHUTDOWN_IN_PROGRESS";
      break;
    default:
      break;
  }
  return name != nullptr ? fmt::format("{} ({})", name, code) : fmt::format("error {}", code);
}

std::string describe_status(const StatusEx& s) {
  std::string out = to_string(s.status.state);
  if (s.pid != 0) out += fmt::format(" (pid {})", s.pid);
  if (s.status.win32_exit_code == win32::kServiceSpecificError) {
    const int code = static_cast<int>(s.status.service_exit_code);
    out += fmt::format(" (exit {}: {})", code, exit_code::describe(code));
  } else if (s.status.win32_exit_code != 0) {
    out += fmt::format(" (exit {})", win32_error_name(s.status.win32_exit_code));
  }
  return out;
}

AdminResult install_service(ScmAdmin& scm, const InstallOptions& o) {
  std::string error;
  auto account = resolve_account(o.account, error);
  if (!account) return fail(kBadInput, error);
  if (o.exe_path.empty()) return fail(kBadInput, "cannot tell the path of uda-agent.exe");

  CreateParams p;
  p.name = kServiceName;
  p.display_name = kDisplayName;
  p.binary_path = image_path(o.exe_path, o.config_path);
  p.account = *account;
  p.start_type = StartType::Auto;
  Handle svc(scm);
  if (auto err = scm.create_service(p, svc.h); err != 0) {
    if (err == win32::kServiceExists) {
      return fail(kFailed, fmt::format("service {} is already installed (run `uda-agent service "
                                       "uninstall` first to install it again)",
                                       kServiceName));
    }
    return fail(kFailed, fmt::format("cannot create service {}: {}{}", kServiceName,
                                     win32_error_name(err), elevated_hint(err)));
  }

  // optional: an SCM without this info level (ERROR_INVALID_LEVEL; Wine has
  // no delayed start, failure-actions flag or SID type) gets a warning.
  struct Step {
    const char* what;
    std::function<std::uint32_t()> call;
    bool optional = false;
  };
  const auto preshutdown_ms = static_cast<std::uint32_t>(o.preshutdown_timeout.count());
  const std::vector<Step> steps = {
      {"description", [&] { return scm.set_description(svc.h, kDescription); }},
      {"delayed auto-start", [&] { return scm.set_delayed_auto_start(svc.h, true); }, true},
      {"failure actions",
       [&] { return scm.set_failure_actions(svc.h, default_failure_actions()); }},
      {"failure actions flag", [&] { return scm.set_failure_actions_flag(svc.h, true); }, true},
      {"preshutdown timeout", [&] { return scm.set_preshutdown_timeout(svc.h, preshutdown_ms); }},
      {"service SID type", [&] { return scm.set_sid_type(svc.h, kSidTypeUnrestricted); }, true},
      {"Event Log source",
       [&] {
         return scm.register_event_source(EventSourceRegistration{
             std::string(kEventSource), o.exe_path, kCategoryCount, kTypesSupported});
       }},
  };
  std::string warnings;
  for (const auto& step : steps) {
    const auto err = step.call();
    if (err == win32::kInvalidLevel && step.optional) {
      warnings += fmt::format("\nwarning: this SCM cannot set the {} ({}); installed without it",
                              step.what, win32_error_name(err));
      continue;
    }
    if (err != 0) {
      // Leave nothing half-configured behind.
      const auto rm = scm.remove(svc.h);
      (void)scm.unregister_event_source(std::string(kEventSource));
      return fail(kFailed, fmt::format("cannot set the {} of service {}: {}{}; the service was {}",
                                       step.what, kServiceName, win32_error_name(err),
                                       elevated_hint(err), rm == 0 ? "removed again" : "left"));
    }
  }
  AdminResult r;
  r.message = fmt::format(
      "installed service {} (\"{}\")\n"
      "  command:   {}\n"
      "  account:   {}\n"
      "  start:     automatic (delayed)\n"
      "  recovery:  restart after 5 s, 30 s, 2 min (also on a non-zero exit code); reset "
      "after 1 day\n"
      "  shutdown:  preshutdown, {} ms\n"
      "  event log: Application, source {}\n"
      "start it with: uda-agent service start{}",
      kServiceName, kDisplayName, p.binary_path, p.account, preshutdown_ms, kEventSource, warnings);
  return r;
}

AdminResult uninstall_service(ScmAdmin& scm, const WaitOptions& wait) {
  Handle svc(scm);
  if (auto err = scm.open_service(kServiceName, svc.h); err != 0) {
    if (err == win32::kServiceDoesNotExist) {
      (void)scm.unregister_event_source(std::string(kEventSource));
      AdminResult r;
      r.installed = false;
      r.message = fmt::format("service {} is not installed; nothing to do", kServiceName);
      return r;
    }
    return fail(kFailed, fmt::format("cannot open service {}: {}{}", kServiceName,
                                     win32_error_name(err), elevated_hint(err)));
  }
  StatusEx st;
  std::string stopped_note;
  if (auto err = scm.query(svc.h, st); err == 0 && st.status.state != State::Stopped) {
    Status after;
    const auto cerr = scm.control(svc.h, control::kStop, after);
    if (cerr != 0 && cerr != win32::kServiceNotActive) {
      stopped_note =
          fmt::format(" (stop: {}; it is removed once it stops)", win32_error_name(cerr));
    } else if (auto werr = wait_for(scm, svc.h, State::Stopped, wait, st); werr != 0) {
      stopped_note = fmt::format(" (still {} after {} ms; it is removed once it stops)",
                                 to_string(st.status.state), wait.timeout.count());
    } else {
      stopped_note = " (stopped first)";
    }
  }
  if (auto err = scm.remove(svc.h); err != 0 && err != win32::kServiceMarkedForDelete) {
    return fail(kFailed, fmt::format("cannot delete service {}: {}{}", kServiceName,
                                     win32_error_name(err), elevated_hint(err)));
  }
  const auto eerr = scm.unregister_event_source(std::string(kEventSource));
  AdminResult r;
  r.message = fmt::format("removed service {}{}", kServiceName, stopped_note);
  if (eerr != 0) {
    r.message += fmt::format("\nwarning: the Event Log source {} was not removed: {}", kEventSource,
                             win32_error_name(eerr));
  }
  return r;
}

AdminResult start_service(ScmAdmin& scm, const WaitOptions& wait) {
  Handle svc(scm);
  if (auto err = scm.open_service(kServiceName, svc.h); err != 0) {
    auto r = fail(kFailed, fmt::format("cannot open service {}: {}{}", kServiceName,
                                       win32_error_name(err), elevated_hint(err)));
    r.installed = err != win32::kServiceDoesNotExist;
    return r;
  }
  if (auto err = scm.start(svc.h); err != 0 && err != win32::kServiceAlreadyRunning) {
    return fail(kFailed, fmt::format("cannot start service {}: {}{}", kServiceName,
                                     win32_error_name(err), elevated_hint(err)));
  }
  StatusEx st;
  const auto err = wait_for(scm, svc.h, State::Running, wait, st);
  AdminResult r;
  r.status = st;
  if (err != 0 && err != win32::kServiceRequestTimeout) {
    r.exit_code = kFailed;
    r.message = fmt::format("cannot query service {}: {}", kServiceName, win32_error_name(err));
  } else if (st.status.state == State::Running) {
    r.message = fmt::format("service {} is {}", kServiceName, describe_status(st));
  } else {
    r.exit_code = kFailed;
    r.message = fmt::format("service {} did not start: {}{}", kServiceName, describe_status(st),
                            st.status.state == State::Stopped
                                ? "; see the Application event log (source UdaAgent) and the "
                                  "agent's log file"
                                : "");
  }
  return r;
}

AdminResult stop_service(ScmAdmin& scm, const WaitOptions& wait) {
  Handle svc(scm);
  if (auto err = scm.open_service(kServiceName, svc.h); err != 0) {
    auto r = fail(kFailed, fmt::format("cannot open service {}: {}{}", kServiceName,
                                       win32_error_name(err), elevated_hint(err)));
    r.installed = err != win32::kServiceDoesNotExist;
    return r;
  }
  Status after;
  if (auto err = scm.control(svc.h, control::kStop, after);
      err != 0 && err != win32::kServiceNotActive) {
    return fail(kFailed, fmt::format("cannot stop service {}: {}{}", kServiceName,
                                     win32_error_name(err), elevated_hint(err)));
  }
  StatusEx st;
  const auto err = wait_for(scm, svc.h, State::Stopped, wait, st);
  AdminResult r;
  r.status = st;
  if (err == 0) {
    r.message = fmt::format("service {} is {}", kServiceName, describe_status(st));
  } else {
    r.exit_code = kFailed;
    r.message =
        err == win32::kServiceRequestTimeout
            ? fmt::format("service {} is still {} after {} ms", kServiceName, describe_status(st),
                          wait.timeout.count())
            : fmt::format("cannot query service {}: {}", kServiceName, win32_error_name(err));
  }
  return r;
}

AdminResult query_service(ScmAdmin& scm) {
  Handle svc(scm);
  if (auto err = scm.open_service(kServiceName, svc.h); err != 0) {
    auto r = fail(kFailed, err == win32::kServiceDoesNotExist
                               ? fmt::format("service {} is not installed", kServiceName)
                               : fmt::format("cannot open service {}: {}", kServiceName,
                                             win32_error_name(err)));
    r.installed = err != win32::kServiceDoesNotExist;
    return r;
  }
  StatusEx st;
  if (auto err = scm.query(svc.h, st); err != 0) {
    return fail(kFailed,
                fmt::format("cannot query service {}: {}", kServiceName, win32_error_name(err)));
  }
  AdminResult r;
  r.status = st;
  r.message = fmt::format("service {}: {}", kServiceName, describe_status(st));
  return r;
}

}  // namespace uda::svc
