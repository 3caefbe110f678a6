#include <fmt/format.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <sstream>

#include "app/cli_support.hpp"
#include "app/commands.hpp"
#include "core/os.hpp"
#include "core/trigger_json.hpp"
#include "core/user_account.hpp"
#include "core/yaml_util.hpp"
#include "sources/http/client.hpp"

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
    } catch (const nlohmann::json::exception& e) {
      // Not every parse failure is a parse_error: a number beyond a double
      // (1e400) is an out_of_range.
      return Error{fmt::format("{}: not valid JSON: {}", a.file, e.what())};
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

void print_results(const Global& g, const std::vector<Trigger>& triggers,
                   const std::vector<bool>& inserted) {
  nlohmann::json out = nlohmann::json::array();
  for (std::size_t i = 0; i < triggers.size(); ++i) {
    const auto& t = triggers[i];
    const bool fresh = inserted[i];
    if (g.json) {
      out.push_back({{"id", t.id}, {"accepted", fresh}, {"duplicate", !fresh}});
    } else {
      fmt::print("{} trigger {} ({} {} {})\n", fresh ? "accepted" : "already present:", t.id,
                 to_string(t.kind), t.machine.describe(), t.user);
    }
  }
  if (g.json) fmt::print("{}\n", out.dump());
}

// Straight into the store (the agent need not run; it picks them up).
int submit_direct(const Global& g, const AgentConfig& cfg, const std::vector<Trigger>& triggers) {
  auto store = open_store_or_report(cfg, /*read_only=*/false);
  if (!store) return kFailed;
  auto inserted = store->insert_triggers(triggers);
  if (!inserted) {
    report_error("nothing was accepted: " + inserted.error().message);
    return kFailed;
  }
  print_results(g, triggers, *inserted);
  return kOk;
}

// A spool file in <dir>/inbox/, written under a temporary name, flushed to
// disk and renamed, so the agent never sees half of it.
int submit_spool(const Global& g, const std::filesystem::path& dir,
                 const std::vector<Trigger>& triggers, bool keep_origin) {
  namespace fs = std::filesystem;
  const fs::path inbox = dir / "inbox";
  std::error_code ec;
  if (!fs::is_directory(inbox, ec)) {
    report_error(
        fmt::format("{} has no inbox/ folder: give the agent's spool.dir (the folder "
                    "that holds inbox/, processed/ and rejected/)",
                    dir.string()));
    return kBadInput;
  }
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& t : triggers) {
    auto j = to_json(t);
    j.erase("received_at");               // the agent records when it took the file
    if (!keep_origin) j.erase("origin");  // the spool's origin applies
    arr.push_back(std::move(j));
  }
  const std::string name = fmt::format("{}-{}.json", to_unix_ms(now_ms()), triggers.front().id);
  const fs::path tmp = inbox / ("." + name + ".tmp");
  const fs::path final_path = inbox / name;
  {
    const std::string text = arr.dump(2) + "\n";
    std::FILE* f = os::open_file(tmp, "wb");
    if (f == nullptr) {
      report_error(fmt::format("cannot write {}: {}", tmp.string(), std::strerror(errno)));
      return kFailed;
    }
    const bool ok =
        std::fwrite(text.data(), 1, text.size(), f) == text.size() && os::flush_to_disk(f);
    std::fclose(f);
    if (!ok) {
      fs::remove(tmp, ec);
      report_error(fmt::format("cannot write {} (disk full?)", tmp.string()));
      return kFailed;
    }
  }
  fs::rename(tmp, final_path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    report_error(fmt::format("cannot rename into {}: {}", final_path.string(), ec.message()));
    return kFailed;
  }
  if (g.json) {
    nlohmann::json out{{"file", final_path.string()}, {"triggers", nlohmann::json::array()}};
    for (const auto& t : triggers) out["triggers"].push_back(t.id);
    fmt::print("{}\n", out.dump());
  } else {
    fmt::print("wrote {} trigger(s) to {}; the agent takes the file at its next scan\n",
               triggers.size(), final_path.string());
  }
  return kOk;
}

Expected<std::string> read_token(const SubmitArgs& a) {
  if (!a.token_file.empty()) {
    auto text = yaml::read_document(a.token_file);
    if (!text) return text.error();
    return std::string(trim(*text));
  }
  if (const char* env = std::getenv("UDA_AGENT_TOKEN"); env != nullptr) {
    return std::string(trim(env));
  }
  return std::string();
}

// Through the agent's HTTP API, in requests of at most kChunk triggers, each
// with its own Idempotency-Key so a retried request is answered, not repeated.
int submit_http(const Global& g, const http::ClientOptions& options,
                const std::vector<Trigger>& triggers) {
  constexpr std::size_t kChunk = 1000;
  std::vector<bool> inserted;
  inserted.reserve(triggers.size());
  for (std::size_t at = 0; at < triggers.size(); at += kChunk) {
    const std::size_t end = std::min(triggers.size(), at + kChunk);
    nlohmann::json arr = nlohmann::json::array();
    for (std::size_t i = at; i < end; ++i) {
      auto j = to_json(triggers[i]);
      j.erase("origin");  // the agent sets both: http:<token name>, time of receipt
      j.erase("received_at");
      arr.push_back(std::move(j));
    }
    auto r = http::send_request(options, "POST", "/v1/triggers", arr.dump(),
                                {{"Idempotency-Key", new_trigger_id()}});
    if (!r) {
      report_error(fmt::format(
          "{}{}", r.error().message,
          at > 0 ? fmt::format(" ({} trigger(s) before were accepted)", at) : std::string()));
      return kFailed;
    }
    const auto body = nlohmann::json::parse(r->body, nullptr, false);
    if (r->status != 202) {
      std::string msg = fmt::format("the agent refused the triggers (HTTP {})", r->status);
      if (body.is_object() && body.contains("error")) {
        msg += ": " + body["error"].value("message", std::string());
        if (body["error"].contains("index")) {
          msg += fmt::format(" (trigger [{}])", at + body["error"]["index"].get<std::size_t>());
        }
      }
      if (at > 0) msg += fmt::format("; {} trigger(s) before were accepted", at);
      report_error(msg);
      return r->status == 400 || r->status == 413 || r->status == 422 ? kBadInput : kFailed;
    }
    if (!body.is_object() || !body.contains("triggers") || body["triggers"].size() != end - at) {
      report_error("the agent's answer could not be read");
      return kFailed;
    }
    for (const auto& t : body["triggers"]) inserted.push_back(t.value("status", "") == "accepted");
  }
  print_results(g, triggers, inserted);
  return kOk;
}

}  // namespace

int cmd_submit(const Global& g, const SubmitArgs& a) {
  auto triggers = triggers_from_args(a);
  if (!triggers) {
    report_error(triggers.error().message);
    return kBadInput;
  }
  if (triggers->empty()) {
    report_error("no triggers to submit");
    return kBadInput;
  }
  if (!a.spool_dir.empty()) return submit_spool(g, a.spool_dir, *triggers, a.origin_given);

  std::optional<AgentConfig> cfg;
  if (a.url.empty() || a.direct) {
    cfg = load_config_or_report(g);
    if (!cfg) return kBadInput;
  }
  if (a.direct || (a.url.empty() && !cfg->http.enabled)) return submit_direct(g, *cfg, *triggers);

  if (a.origin_given) {
    report_error(
        "--origin cannot be used over HTTP: the agent sets it from the token's name "
        "(http:<name>); use --direct to write the store with your own origin");
    return kBadInput;
  }
  http::ClientOptions options;
  auto url = http::parse_url(a.url.empty() ? cfg->http.local_url() : a.url);
  if (!url) {
    report_error("--url: " + url.error().message);
    return kBadInput;
  }
  options.url = *url;
  options.ca_file = a.ca_file;
  auto token = read_token(a);
  if (!token) {
    report_error("--token-file: " + token.error().message);
    return kBadInput;
  }
  options.token = std::move(*token);
  if (!a.wait.empty()) {
    auto w = parse_duration(a.wait);
    if (!w || *w > Millis(3'600'000)) {
      report_error(fmt::format("--wait '{}': give a duration up to 1h such as 30s or 5m", a.wait));
      return kBadInput;
    }
    options.total_wait = *w;
  }
  return submit_http(g, options, *triggers);
}

}  // namespace uda::cli
