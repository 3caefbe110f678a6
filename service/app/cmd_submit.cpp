#include <fmt/format.h>

#include <charconv>
#include <iostream>
#include <sstream>

#include "app/cli_support.hpp"
#include "app/commands.hpp"
#include "core/trigger_json.hpp"
#include "core/yaml_util.hpp"

namespace uda::cli {
namespace {

// "usage.minutes=3120" -> number; "osd.success=true" -> bool; else string.
Expected<std::pair<std::string, AttributeValue>> parse_attribute(const std::string& kv) {
  const auto eq = kv.find('=');
  if (eq == std::string::npos || eq == 0) {
    return Error{fmt::format("--attr '{}': expected key=value", kv)};
  }
  std::string key = kv.substr(0, eq);
  std::string value = kv.substr(eq + 1);
  if (value == "true") return std::pair{key, AttributeValue{true}};
  if (value == "false") return std::pair{key, AttributeValue{false}};
  double d = 0;
  auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), d);
  if (!value.empty() && ec == std::errc{} && p == value.data() + value.size()) {
    return std::pair{key, AttributeValue{d}};
  }
  return std::pair{key, AttributeValue{value}};
}

Expected<std::vector<Trigger>> triggers_from_args(const SubmitArgs& a) {
  std::vector<Trigger> out;
  if (!a.file.empty()) {
    std::string text;
    if (a.file == "-") {
      std::ostringstream ss;
      ss << std::cin.rdbuf();
      text = ss.str();
    } else {
      auto doc = yaml::read_document(a.file);
      if (!doc) return doc.error();
      text = std::move(*doc);
    }
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(text);
    } catch (const nlohmann::json::parse_error& e) {
      return Error{fmt::format("{}: not valid JSON at byte {}: {}", a.file, e.byte, e.what())};
    }
    constexpr std::size_t kMaxBatch = 100'000;
    if (j.is_array() && j.size() > kMaxBatch) {
      return Error{
          fmt::format("{}: {} triggers; at most {} per submit", a.file, j.size(), kMaxBatch)};
    }
    const auto items = j.is_array() ? j : nlohmann::json::array({j});
    for (std::size_t i = 0; i < items.size(); ++i) {
      auto t = trigger_from_json(items[i], a.origin);
      if (!t) {
        return Error{j.is_array()
                         ? fmt::format("{}: trigger [{}]: {}", a.file, i, t.error().message)
                         : fmt::format("{}: {}", a.file, t.error().message)};
      }
      out.push_back(std::move(*t));
    }
    return out;
  }
  if (a.kind.empty()) return Error{"--kind is required (or give --file)"};
  auto kind = parse_trigger_kind(a.kind);
  if (!kind) {
    return Error{fmt::format("--kind '{}' is not one of {}", a.kind, trigger_kind_choices())};
  }
  Trigger t;
  t.id = a.id.empty() ? new_trigger_id() : a.id;
  t.kind = *kind;
  if (a.machine_id) {
    if (*a.machine_id <= 0 || *a.machine_id > static_cast<std::int64_t>(kMaxResourceId)) {
      return Error{fmt::format("--machine {}: a ResourceID is 1..4294967295", *a.machine_id)};
    }
    t.machine.resource_id = static_cast<std::uint32_t>(*a.machine_id);
  }
  if (!a.machine_name.empty()) t.machine.name = a.machine_name;
  t.user = a.user;
  t.origin = a.origin;
  t.received_at = now_ms();
  for (const auto& kv : a.attributes) {
    auto attr = parse_attribute(kv);
    if (!attr) return attr.error();
    t.attributes.insert_or_assign(attr->first, attr->second);
  }
  if (auto st = validate(t); !st) {
    std::string msg = st.error().message;
    if (msg.rfind("machine:", 0) == 0) msg = "give --machine <ResourceID> and/or --machine-name";
    if (msg.rfind("user:", 0) == 0) msg = "--user " + msg.substr(6);
    return Error{msg};
  }
  out.push_back(std::move(t));
  return out;
}

}  // namespace

int cmd_submit(const Global& g, const SubmitArgs& a) {
  auto triggers = triggers_from_args(a);
  if (!triggers) {
    report_error(triggers.error().message);
    return kBadInput;
  }
  auto cfg = load_config_or_report(g);
  if (!cfg) return kBadInput;
  auto store = open_store_or_report(*cfg, /*read_only=*/false);
  if (!store) return kFailed;
  auto inserted = store->insert_triggers(*triggers);
  if (!inserted) {
    report_error("nothing was accepted: " + inserted.error().message);
    return kFailed;
  }
  nlohmann::json out = nlohmann::json::array();
  for (std::size_t i = 0; i < triggers->size(); ++i) {
    const auto& t = (*triggers)[i];
    const bool fresh = (*inserted)[i];
    if (g.json) {
      out.push_back({{"id", t.id}, {"accepted", fresh}, {"duplicate", !fresh}});
    } else {
      fmt::print("{} trigger {} ({} {} {})\n", fresh ? "accepted" : "already present:", t.id,
                 to_string(t.kind), t.machine.describe(), t.user);
    }
  }
  if (g.json) fmt::print("{}\n", out.dump());
  return kOk;
}

}  // namespace uda::cli
