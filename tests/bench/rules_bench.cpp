// Rules engine throughput (issue 6, item 8): decisions per second for a
// 200-rule set on one core. A figure, not a test: nothing here passes or fails
// on time. Run with scripts/bench.sh, or
//   build/release/tests/bench/uda_rules_bench --benchmark_min_time=1
//
// The rule set is the shape an admin's grows into: the shipped user policy,
// 196 rules that look at device names, OUs of attributes and kinds and do not
// match the benchmark triggers, and the shipped OSD / usage rules at the end,
// so every decision walks (nearly) the whole list.

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "rules/engine.hpp"
#include "rules/rules_loader.hpp"

namespace uda {
namespace {

constexpr int kFillerRules = 196;

std::string rules_yaml() {
  std::string y = R"(version: 1
users:
  upn_suffixes: {contoso.com: CONTOSO, fabrikam.com: FABRIKAM}
  domain_case: upper
  reject_machine_accounts: true
  reject:
    - {pattern: '*\svc_*', reason: service account}
    - {pattern: '*\administrator', reason: built-in administrator account}
rules:
)";
  for (int i = 0; i < kFillerRules; ++i) {
    switch (i % 4) {
      case 0:
        y += fmt::format(
            "  - name: site-{0}-lab\n    when:\n      machine: {{name: ['LAB{0:03}-*', "
            "'KIOSK{0:03}-*']}}\n    action: skip\n    reason: shared device in site {0}\n",
            i);
        break;
      case 1:
        y += fmt::format(
            "  - name: ts-{0}\n    when:\n      kind: osd\n      attributes:\n        - "
            "ts.name == 'Build {0}'\n    action: skip\n    reason: reference build {0}\n",
            i);
        break;
      case 2:
        y += fmt::format(
            "  - name: usage-branch-{0}\n    when:\n      kind: usage\n      machine: {{name: "
            "['BR{0:03}-*']}}\n      attributes:\n        - usage.minutes >= {1}\n    action: "
            "create\n    source: UsageAgent\n",
            i, 1000 + i);
        break;
      default:
        y += fmt::format(
            "  - name: vip-{0}\n    when:\n      kind: manual\n      user: {{name: 'vip{0}_*'}}\n  "
            "  "
            "action: create\n    source: Administrator\n",
            i);
        break;
    }
  }
  y += R"(  - name: osd-primary-user
    when: {kind: osd}
    action: create
    source: OSD
  - name: enrollment
    when: {kind: enrollment}
    action: create
    source: DeviceManagement
  - name: usage-threshold
    when:
      kind: usage
      attributes: [usage.minutes >= 2880, usage.days <= 30]
    action: create
    source: UsageAgent
  - name: usage-below-threshold
    when: {kind: usage}
    action: skip
    reason: below the threshold
default:
  action: skip
  reason: no rule matched
)";
  return y;
}

const RuleSet& rule_set() {
  static const RuleSet rules = [] {
    auto r = load_rules_text(rules_yaml(), "bench-200.yaml");
    if (!r) {
      std::fprintf(stderr, "rules_bench: %s\n", r.error().message.c_str());
      std::abort();
    }
    if (r->rules.size() != kFillerRules + 4) {
      std::fprintf(stderr, "rules_bench: expected %d rules, loaded %zu\n", kFillerRules + 4,
                   r->rules.size());
      std::abort();
    }
    return std::move(*r);
  }();
  return rules;
}

std::vector<Trigger> triggers() {
  std::vector<Trigger> out;
  for (int i = 0; i < 64; ++i) {
    Trigger t;
    t.id = fmt::format("bench-{}", i);
    t.machine.resource_id = 16777220u + static_cast<unsigned>(i);
    t.machine.name = fmt::format("WKS-{:04}", i);
    switch (i % 3) {
      case 0:
        t.kind = TriggerKind::Osd;
        t.user = fmt::format("CONTOSO\\user{:03}", i);
        t.attributes["ts.name"] = std::string("Windows 11 23H2");
        break;
      case 1:
        t.kind = TriggerKind::Usage;
        t.user = fmt::format("user{:03}@contoso.com", i);
        t.attributes["usage.minutes"] = 3000.0 + i;
        t.attributes["usage.days"] = 21.0;
        break;
      default:
        t.kind = TriggerKind::Enrollment;
        t.user = fmt::format("contoso\\user{:03}", i);
        break;
    }
    out.push_back(std::move(t));
  }
  return out;
}

void decide_with(benchmark::State& state, TraceLevel trace) {
  const RuleSet& rules = rule_set();
  const auto ts = triggers();
  std::size_t i = 0;
  std::size_t created = 0;
  for (auto _ : state) {
    const Decision d = decide(rules, ts[i++ % ts.size()], trace);
    created += d.action == DecisionAction::Create ? 1 : 0;
    benchmark::DoNotOptimize(d);
  }
  // Every benchmark trigger is one the rules create a relationship for: a
  // decision that skipped would mean the set did not do what this measures.
  if (created != static_cast<std::size_t>(state.iterations())) {
    state.SkipWithError("a trigger was not decided 'create'");
  }
  state.counters["decisions/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["rules"] = static_cast<double>(rules.rules.size());
}

void BM_Decide200Rules_NoTrace(benchmark::State& state) {
  decide_with(state, TraceLevel::None);
}
void BM_Decide200Rules_FullTrace(benchmark::State& state) {
  decide_with(state, TraceLevel::Full);
}
BENCHMARK(BM_Decide200Rules_NoTrace);
BENCHMARK(BM_Decide200Rules_FullTrace);

}  // namespace
}  // namespace uda

BENCHMARK_MAIN();
