#include "providers/simulated/simulated_provider.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <utility>

#include "core/log_text.hpp"
#include "providers/simulated/wmi_codes.hpp"

namespace uda {
namespace {

// The code a status carries in its detail ("0x80041002 ..."), for the log.
std::string code_of(std::uint32_t code) {
  return fmt::format("0x{:08X}", code);
}

}  // namespace

SimulatedProvider::SimulatedProvider(std::unique_ptr<SimulatedSite> site, FaultOptions faults,
                                     const TimeSource& time)
    : site_(std::move(site)), faults_(std::move(faults), time) {
  if (!faults_.options().none()) {
    const auto& f = faults_.options();
    spdlog::info(
        "simulated: faults seed={} latency={}+{} transient={} permanent={} ambiguous={} "
        "outages={} fail_users={} fail_machines={}",
        faults_.seed(), format_duration(f.latency), format_duration(f.latency_jitter),
        f.transient_error_rate, f.permanent_error_rate, f.ambiguous_rate, f.outages.size(),
        f.fail_users.size(), f.fail_machines.size());
  }
}

Expected<std::unique_ptr<SimulatedProvider>> SimulatedProvider::create(
    const SimulatedOptions& options, const TimeSource& time) {
  auto fixture = load_fixture(options.fixture);
  if (!fixture) return fixture.error();
  auto site = SimulatedSite::open(options.state_path, *fixture, time);
  if (!site) return site.error();
  spdlog::info("simulated: site state {} (fixture {})",
               options.state_path.empty() ? std::string("in memory") : options.state_path.string(),
               options.fixture.string());
  return std::make_unique<SimulatedProvider>(std::move(*site), options.faults, time);
}

Awaitable<void> SimulatedProvider::delay(Millis d) {
  if (d.count() <= 0) co_return;
  asio::steady_timer timer(co_await asio::this_coro::executor);
  timer.expires_after(d);
  co_await timer.async_wait(asio::use_awaitable);
}

std::string SimulatedProvider::machine_name(std::uint32_t resource_id) {
  if (faults_.options().fail_machines.empty()) return {};
  auto d = site_->device(resource_id);
  if (!d || !*d) return {};
  return (*d)->name;
}

Awaitable<CreateResult> SimulatedProvider::create_relationship(const RelationshipRequest& request) {
  const RelationshipRequest req = request;  // the caller's object may not outlive the call
  const auto source = static_cast<std::uint32_t>(req.source);
  const auto type = static_cast<std::uint32_t>(req.type);
  const auto fault = faults_.next(
      {req.machine_resource_id, machine_name(req.machine_resource_id), req.user_account_name});
  co_await delay(fault.latency);

  CreateResult r;
  std::uint32_t code = 0;
  std::string_view effect = "-";
  if (fault.kind == FaultKind::None || fault.kind == FaultKind::Ambiguous) {
    auto s = site_->create_relationship(req.machine_resource_id, req.user_account_name, source,
                                        type, req.trigger_id);
    code = s.code;
    r.status = std::move(s.status);
    r.already_existed = s.already_existed;
    if (s.effect) effect = to_string(*s.effect);
    if (fault.kind == FaultKind::Ambiguous && r.status.outcome == CallOutcome::Ok) {
      code = fault.code;
      r.status = wmi::to_status(fault.code, fault.message, /*may_have_run=*/true);
      r.already_existed = false;
    }
  } else {
    code = fault.code;
    r.status = wmi::to_status(fault.code, fault.message);
  }
  spdlog::info(
      "simulated: CreateRelationship trigger={} machine={} user=\"{}\" source={} type={} "
      "outcome={} "
      "code={} ambiguous={} effect={} latency={}ms fault={} detail={}",
      log_value(req.trigger_id), req.machine_resource_id, req.user_account_name, source, type,
      to_string(r.status.outcome), code_of(code), r.status.ambiguous, effect, fault.latency.count(),
      to_string(fault.kind), r.status.detail);
  co_return r;
}

Awaitable<FindResult> SimulatedProvider::find_relationship(std::uint32_t resource_id,
                                                           const std::string& unique_user_name) {
  const std::string user = unique_user_name;
  const auto fault = faults_.next({resource_id, machine_name(resource_id), user});
  co_await delay(fault.latency);

  FindResult r;
  std::uint32_t code = 0;
  if (fault.kind == FaultKind::None) {
    auto s = site_->find_relationship(resource_id, user);
    code = s.code;
    r.status = std::move(s.status);
    r.relationship = std::move(s.relationship);
  } else {
    // A read has no effect: an ambiguous fault is a plain transient failure here.
    code = fault.code;
    r.status = wmi::to_status(fault.code, fault.message);
  }
  spdlog::debug(
      "simulated: FindRelationship machine={} user=\"{}\" outcome={} code={} found={} latency={}ms "
      "fault={} detail={}",
      resource_id, user, to_string(r.status.outcome), code_of(code), r.relationship.has_value(),
      fault.latency.count(), to_string(fault.kind), r.status.detail);
  co_return r;
}

Awaitable<ResolveResult> SimulatedProvider::resolve_machine(const std::string& machine) {
  const std::string name = machine;
  const auto fault = faults_.next({std::nullopt, name, {}});
  co_await delay(fault.latency);

  ResolveResult r;
  std::uint32_t code = 0;
  if (fault.kind == FaultKind::None) {
    auto s = site_->resolve_machine(name);
    code = s.code;
    r.status = std::move(s.status);
    r.resource_id = s.resource_id;
  } else {
    code = fault.code;
    r.status = wmi::to_status(fault.code, fault.message);
  }
  spdlog::debug(
      "simulated: ResolveMachine name={} outcome={} code={} resource_id={} latency={}ms fault={} "
      "detail={}",
      name, to_string(r.status.outcome), code_of(code),
      r.resource_id ? std::to_string(*r.resource_id) : std::string("-"), fault.latency.count(),
      to_string(fault.kind), r.status.detail);
  co_return r;
}

Awaitable<UserResolveResult> SimulatedProvider::resolve_user(const std::string& user_upn) {
  const std::string upn = user_upn;
  // fail_users names DOMAIN\user accounts; a UPN look-up names none.
  const auto fault = faults_.next({std::nullopt, {}, {}});
  co_await delay(fault.latency);

  UserResolveResult r;
  std::uint32_t code = 0;
  if (fault.kind == FaultKind::None) {
    auto s = site_->resolve_user(upn);
    code = s.code;
    r.status = std::move(s.status);
    r.unique_user_name = std::move(s.unique_user_name);
  } else {
    code = fault.code;
    r.status = wmi::to_status(fault.code, fault.message);
  }
  spdlog::debug(
      "simulated: ResolveUser upn=\"{}\" outcome={} code={} user=\"{}\" latency={}ms fault={} "
      "detail={}",
      upn, to_string(r.status.outcome), code_of(code),
      log_printable(r.unique_user_name.value_or("-")), fault.latency.count(), to_string(fault.kind),
      r.status.detail);
  co_return r;
}

Awaitable<UsagePage> SimulatedProvider::console_usage(std::uint32_t after_resource_id,
                                                      std::size_t limit) {
  const auto fault = faults_.next({});
  co_await delay(fault.latency);

  UsagePage r;
  std::uint32_t code = 0;
  if (fault.kind == FaultKind::None) {
    auto s = site_->console_usage(after_resource_id, limit);
    code = s.code;
    r.status = std::move(s.status);
    r.rows = std::move(s.rows);
    r.more = s.more;
  } else {
    code = fault.code;
    r.status = wmi::to_status(fault.code, fault.message);
  }
  spdlog::debug(
      "simulated: ConsoleUsage after={} limit={} outcome={} code={} rows={} more={} latency={}ms "
      "fault={} detail={}",
      after_resource_id, limit, to_string(r.status.outcome), code_of(code), r.rows.size(), r.more,
      fault.latency.count(), to_string(fault.kind), r.status.detail);
  co_return r;
}

}  // namespace uda
