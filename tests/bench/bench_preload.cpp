#include "bench_preload.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "core/decision.hpp"
#include "core/time.hpp"
#include "core/trigger.hpp"
#include "store/job_store.hpp"

namespace uda::bench {

PreloadResult preload_jobs(const std::filesystem::path& store_path, const BenchSite& site,
                           std::int64_t first, std::int64_t count, std::int64_t chunk) {
  const auto t0 = std::chrono::steady_clock::now();
  spdlog::set_level(spdlog::level::warn);  // stdout carries only the benchmark's JSON
  StoreOptions so;
  so.path = store_path;
  auto store = JobStore::open(so);
  if (!store) throw std::runtime_error(store.error().message);

  PreloadResult result;
  for (std::int64_t begin = first; begin < first + count; begin += chunk) {
    const std::int64_t end = std::min(first + count, begin + chunk);
    const TimePoint now = now_ms();
    std::vector<Trigger> triggers;
    triggers.reserve(static_cast<std::size_t>(end - begin));
    std::vector<std::pair<std::string, Decision>> decisions;
    decisions.reserve(triggers.capacity());
    for (std::int64_t i = begin; i < end; ++i) {
      Trigger t;
      t.id = fmt::format("bench-{:09}", i);
      t.kind = TriggerKind::Osd;
      t.machine.resource_id = site.resource_id(i);
      t.user = site.user(i);
      t.attributes["ts.name"] = std::string("benchmark");
      t.received_at = now;
      t.origin = "bench";
      Decision d;
      d.action = DecisionAction::Create;
      d.rule = "osd-primary-user";
      d.reason = "benchmark preload";
      d.user = DomainUser{"CONTOSO", site.user_name(i)};
      d.source = SourceId::Osd;
      d.type = TypeId::Primary;
      decisions.emplace_back(t.id, std::move(d));
      triggers.push_back(std::move(t));
    }
    if (auto r = (*store)->insert_triggers(triggers); !r) {
      throw std::runtime_error(r.error().message);
    }
    auto out = (*store)->record_decisions(decisions, now);
    if (!out) throw std::runtime_error(out.error().message);
    for (const auto& o : *out) result.jobs += o.decision == "create" ? 1 : 0;
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return result;
}

}  // namespace uda::bench
