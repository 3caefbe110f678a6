#include "sources/http/api.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <chrono>

#include "core/log_text.hpp"
#include "core/trigger_json.hpp"
#include "sources/http/digest.hpp"
#include "store/record_json.hpp"

namespace uda::http {

using nlohmann::json;

Response json_response(bhttp::status status, const json& body) {
  Response res{status, 11};
  res.set(bhttp::field::content_type, "application/json");
  res.set(bhttp::field::cache_control, "no-store");
  res.body() = body.dump(-1, ' ', false, json::error_handler_t::replace);
  res.body() += '\n';
  return res;
}

Response error_response(bhttp::status status, std::string_view code, std::string_view message) {
  return json_response(status, json{{"error", {{"code", code}, {"message", message}}}});
}

std::string field_of(std::string_view message) {
  const auto colon = message.find(": ");
  if (colon == std::string_view::npos || colon == 0) return {};
  const auto field = message.substr(0, colon);
  const bool plain = std::all_of(field.begin(), field.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '_' || c == '-';
  });
  return plain ? std::string(field) : std::string();
}

std::size_t json_depth(std::string_view text, std::size_t limit) {
  std::size_t depth = 0;
  std::size_t max_depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      max_depth = std::max(max_depth, ++depth);
      if (max_depth > limit) return max_depth;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return max_depth;
}

namespace {

constexpr std::size_t kMaxIdempotencyKey = 128;
constexpr std::size_t kMaxListLimit = 1000;

std::string_view header(const Request& req, bhttp::field f) {
  const auto it = req.find(f);
  return it == req.end() ? std::string_view{}
                         : std::string_view(it->value().data(), it->value().size());
}

std::string_view header(const Request& req, std::string_view name) {
  const auto it = req.find(boost::beast::string_view(name.data(), name.size()));
  return it == req.end() ? std::string_view{}
                         : std::string_view(it->value().data(), it->value().size());
}

bool printable(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u >= 0x21 && u < 0x7f;
  });
}

// "%2F" -> "/"; false on a malformed escape.
bool percent_decode(std::string_view in, std::string& out) {
  out.clear();
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out += in[i];
      continue;
    }
    if (i + 2 >= in.size()) return false;
    unsigned v = 0;
    auto [p, ec] = std::from_chars(in.data() + i + 1, in.data() + i + 3, v, 16);
    if (ec != std::errc{} || p != in.data() + i + 3) return false;
    out += static_cast<char>(v);
    i += 2;
  }
  return true;
}

// "state=dead&limit=10" -> value of `key` (percent-decoded), or nullopt.
std::optional<std::string> query_param(std::string_view query, std::string_view key) {
  while (!query.empty()) {
    const auto amp = query.find('&');
    const auto pair = query.substr(0, amp);
    const auto eq = pair.find('=');
    if (pair.substr(0, eq) == key) {
      std::string v;
      if (eq == std::string_view::npos) return v;
      if (!percent_decode(pair.substr(eq + 1), v)) return std::nullopt;
      return v;
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

bool kind_allowed(const std::vector<std::string>* kinds, TriggerKind k) {
  if (kinds == nullptr || kinds->empty()) return true;
  return std::find(kinds->begin(), kinds->end(), to_string(k)) != kinds->end();
}

}  // namespace

TriggerApi::TriggerApi(JobStore& store, GroupCommitter& committer, const TokenVerifier& tokens,
                       RateLimiter& limiter, metrics::Registry& metrics,
                       ProviderHealth provider_health, ApiOptions options)
    : store_(store),
      committer_(committer),
      tokens_(tokens),
      limiter_(limiter),
      metrics_(metrics),
      provider_health_(std::move(provider_health)),
      options_(options),
      requests_(metrics.counter("uda_http_requests_total",
                                "HTTP requests answered, by route and "
                                "status code",
                                {"route", "code"})),
      received_(metrics.counter("uda_triggers_received_total",
                                "Triggers received (valid ones, before the commit)",
                                {"kind", "origin"})),
      accepted_(metrics.counter("uda_triggers_accepted_total", "Triggers durably accepted (new)",
                                {"kind", "origin"})),
      duplicate_(metrics.counter("uda_triggers_duplicate_total",
                                 "Triggers whose id was already stored (resubmissions)",
                                 {"kind", "origin"})),
      rejected_(metrics.counter("uda_triggers_rejected_total",
                                "Requests to submit triggers that were refused, by reason",
                                {"reason", "origin"})) {}

void TriggerApi::handle(Request req, const ClientInfo& client, Respond respond) {
  const std::string_view target(req.target().data(), req.target().size());
  const auto qmark = target.find('?');
  const std::string_view path = target.substr(0, qmark);
  const std::string_view query =
      qmark == std::string_view::npos ? std::string_view{} : target.substr(qmark + 1);

  std::string route = "other";
  if (path == "/v1/triggers") {
    route = "/v1/triggers";
  } else if (path.rfind("/v1/triggers/", 0) == 0) {
    route = "/v1/triggers/{id}";
  } else if (path == "/v1/jobs" || path == "/healthz" || path == "/metrics") {
    route = std::string(path);
  }
  auto answer = [this, route, respond](Response res) {
    requests_.add({route, std::to_string(res.result_int())});
    respond(std::move(res));
  };

  const auto limit = limiter_.allow(client.address, std::chrono::steady_clock::now());
  if (!limit.allowed) {
    auto res = error_response(bhttp::status::too_many_requests, "rate_limited",
                              "too many requests from this address; slow down");
    const auto secs = std::max<std::int64_t>(
        1, (std::chrono::duration_cast<Millis>(limit.retry_after).count() + 999) / 1000);
    res.set(bhttp::field::retry_after, std::to_string(secs));
    return answer(std::move(res));
  }

  if (route == "/healthz") {
    if (req.method() != bhttp::verb::get) {
      auto res = error_response(bhttp::status::method_not_allowed, "method_not_allowed", "use GET");
      res.set(bhttp::field::allow, "GET");
      return answer(std::move(res));
    }
    return answer(healthz());
  }

  // Everything else needs a caller.
  Caller caller;
  const auto auth = header(req, bhttp::field::authorization);
  const ApiToken* token = nullptr;
  if (!auth.empty()) {
    if (auto bearer = bearer_from_header(auth)) token = tokens_.verify(*bearer);
  }
  if (token != nullptr) {
    caller.scope = token->name;
    caller.kinds = &token->kinds;
  } else if (auth.empty() && options_.allow_anonymous) {
    caller.scope = "anonymous";
  } else {
    rejected_.add({"unauthorized", "http"});
    spdlog::info("http: client={} route={} status=401 reason=\"missing or invalid bearer token\"",
                 client.address, route);
    auto res = error_response(bhttp::status::unauthorized, "unauthorized",
                              "a valid bearer token is required");
    res.set(bhttp::field::www_authenticate, "Bearer realm=\"uda-agent\"");
    return answer(std::move(res));
  }

  const auto method = req.method();
  auto only = [&](bhttp::verb verb, std::string_view allow) -> std::optional<Response> {
    if (method == verb) return std::nullopt;
    auto res = error_response(bhttp::status::method_not_allowed, "method_not_allowed",
                              fmt::format("use {}", allow));
    res.set(bhttp::field::allow, std::string(allow));
    return res;
  };
  if (route == "/v1/triggers") {
    if (auto r = only(bhttp::verb::post, "POST")) return answer(std::move(*r));
    return post_triggers(req, client, caller, answer);
  }
  if (route == "/v1/triggers/{id}") {
    if (auto r = only(bhttp::verb::get, "GET")) return answer(std::move(*r));
    std::string id;
    if (!percent_decode(path.substr(std::string_view("/v1/triggers/").size()), id) || id.empty() ||
        id.size() > kMaxIdLength) {
      return answer(error_response(bhttp::status::bad_request, "invalid_id",
                                   "the trigger id in the path is not valid"));
    }
    return answer(get_trigger(id));
  }
  if (route == "/v1/jobs") {
    if (auto r = only(bhttp::verb::get, "GET")) return answer(std::move(*r));
    return answer(get_jobs(query));
  }
  if (route == "/metrics") {
    if (auto r = only(bhttp::verb::get, "GET")) return answer(std::move(*r));
    return answer(metrics_text());
  }
  return answer(error_response(bhttp::status::not_found, "not_found",
                               "no such resource; see the API in README.md"));
}

void TriggerApi::post_triggers(const Request& req, const ClientInfo& client, const Caller& caller,
                               Respond respond) {
  const std::string origin = "http:" + caller.scope;
  // index < 0: the error is not about one trigger of an array.
  auto reject = [&](bhttp::status status, std::string_view code, const std::string& message,
                    std::ptrdiff_t index = -1) {
    rejected_.add({code, origin});
    json err{{"code", code}, {"message", message}};
    if (auto f = field_of(message); !f.empty() && code == "invalid_trigger") err["field"] = f;
    if (index >= 0) err["index"] = index;
    // The message may quote what the client sent (a kind, a field name, a
    // user): escaped, so it stays inside its quotes on one line.
    spdlog::info("http: client={} token={} route=/v1/triggers status={} reason=\"{}\"",
                 client.address, caller.scope, static_cast<unsigned>(status),
                 log_printable(message));
    respond(json_response(status, json{{"error", err}}));
  };

  const auto content_type = header(req, bhttp::field::content_type);
  if (content_type.substr(0, 16) != "application/json") {
    return reject(bhttp::status::unsupported_media_type, "unsupported_media_type",
                  "send the triggers as Content-Type: application/json");
  }
  const std::string& body = req.body();
  if (json_depth(body, options_.max_json_depth) > options_.max_json_depth) {
    return reject(bhttp::status::bad_request, "invalid_json",
                  fmt::format("the JSON is nested deeper than {} levels", options_.max_json_depth));
  }
  json doc;
  try {
    doc = json::parse(body);
  } catch (const json::parse_error& e) {
    return reject(bhttp::status::bad_request, "invalid_json",
                  fmt::format("the body is not valid JSON (at byte {})", e.byte));
  } catch (const json::exception&) {
    // Not every parse failure is a parse_error: a number beyond a double
    // (1e400) is an out_of_range, which would end the agent's I/O thread.
    return reject(bhttp::status::bad_request, "invalid_json",
                  "the body is not valid JSON (a number is out of range)");
  }
  if (!doc.is_object() && !doc.is_array()) {
    return reject(bhttp::status::bad_request, "invalid_json",
                  "send one trigger (a JSON object) or an array of triggers");
  }
  const bool single = doc.is_object();
  if (doc.is_array() && doc.empty()) {
    return reject(bhttp::status::bad_request, "invalid_json", "the array of triggers is empty");
  }
  if (doc.is_array() && doc.size() > options_.max_batch) {
    return reject(bhttp::status::payload_too_large, "too_many_triggers",
                  fmt::format("{} triggers in one request; at most {} (http.max_batch)", doc.size(),
                              options_.max_batch));
  }

  // Idempotency-Key: a repeat of a request gets the first answer.
  const auto idem_key = header(req, "Idempotency-Key");
  std::optional<IdempotencyClaim> claim;
  std::string key_digest;
  if (!idem_key.empty()) {
    if (idem_key.size() > kMaxIdempotencyKey || !printable(idem_key)) {
      return reject(bhttp::status::bad_request, "invalid_idempotency_key",
                    fmt::format("Idempotency-Key must be 1..{} printable characters without "
                                "spaces",
                                kMaxIdempotencyKey));
    }
    claim = IdempotencyClaim{caller.scope, std::string(idem_key), sha256_hex(body), 0, 0};
    key_digest = sha256_hex(caller.scope + "\n" + std::string(idem_key)).substr(0, 32);
  }

  const TimePoint now = now_ms();
  std::vector<Trigger> triggers;
  const auto items = single ? json::array({doc}) : std::move(doc);
  triggers.reserve(items.size());
  for (std::size_t i = 0; i < items.size(); ++i) {
    json item = items[i];
    const std::ptrdiff_t index = single ? -1 : static_cast<std::ptrdiff_t>(i);
    if (item.is_object()) {
      for (const char* server_field : {"origin", "received_at"}) {
        if (item.contains(server_field)) {
          return reject(bhttp::status::bad_request, "invalid_trigger",
                        fmt::format("{}: is set by the agent (origin is http:<token name>, "
                                    "received_at the time of receipt); remove it",
                                    server_field),
                        index);
        }
      }
      // Without its own id, a trigger sent with an Idempotency-Key gets one
      // derived from the key, so even two racing repeats store it once.
      if (claim && !item.contains("id")) item["id"] = fmt::format("idem-{}-{}", key_digest, i);
    }
    auto t = trigger_from_json(item, origin);
    if (!t) return reject(bhttp::status::bad_request, "invalid_trigger", t.error().message, index);
    if (!kind_allowed(caller.kinds, t->kind)) {
      return reject(bhttp::status::forbidden, "forbidden",
                    fmt::format("this token may not submit {} triggers", to_string(t->kind)),
                    index);
    }
    t->origin = origin;
    t->received_at = now;
    triggers.push_back(std::move(*t));
  }

  if (claim) {
    auto rec = store_.find_idempotency(claim->scope, claim->key);
    if (!rec) {
      return reject(bhttp::status::service_unavailable, "unavailable",
                    "the store cannot be read right now; try again shortly");
    }
    if (*rec) {
      if ((*rec)->fingerprint != claim->fingerprint) {
        return reject(bhttp::status::unprocessable_entity, "idempotency_key_reused",
                      "this Idempotency-Key was used with a different request; use a new key");
      }
      json out{{"accepted", 0}, {"duplicates", 0}, {"triggers", json::array()}};
      int accepted = 0;
      for (std::size_t i = 0; i < (*rec)->trigger_ids.size(); ++i) {
        const bool fresh = (*rec)->inserted[i];
        accepted += fresh ? 1 : 0;
        out["triggers"].push_back({{"id", (*rec)->trigger_ids[i]},
                                   {"status", fresh ? "accepted" : "duplicate"},
                                   {"url", "/v1/triggers/" + (*rec)->trigger_ids[i]}});
      }
      out["accepted"] = accepted;
      out["duplicates"] = static_cast<int>((*rec)->trigger_ids.size()) - accepted;
      if (single && !(*rec)->trigger_ids.empty()) out["id"] = (*rec)->trigger_ids.front();
      spdlog::info("http: client={} token={} route=/v1/triggers status=202 replay=true key=\"{}\"",
                   client.address, caller.scope, log_printable(claim->key));
      auto res = json_response(bhttp::status::accepted, out);
      res.set("Idempotent-Replayed", "true");
      return respond(std::move(res));
    }
  }

  for (const auto& t : triggers) received_.add({to_string(t.kind), origin});
  struct Summary {
    std::string kind;
    std::string id;
  };
  std::vector<Summary> summary;
  summary.reserve(triggers.size());
  for (const auto& t : triggers) summary.push_back({std::string(to_string(t.kind)), t.id});

  committer_.submit(
      std::move(triggers),
      [this, respond, summary = std::move(summary), single, origin, client = client.address,
       scope = caller.scope](Expected<std::vector<bool>> result) {
        // On the committer's thread: the triggers are durable (or not at all).
        if (!result) {
          rejected_.add({"unavailable", origin});
          spdlog::warn("http: client={} token={} route=/v1/triggers status=503 reason=\"{}\"",
                       client, scope, log_printable(result.error().message));
          auto res = error_response(bhttp::status::service_unavailable, "unavailable",
                                    "the triggers could not be stored right now and were not "
                                    "accepted; try again shortly");
          res.set(bhttp::field::retry_after, "1");
          return respond(std::move(res));
        }
        json out{{"triggers", json::array()}};
        int accepted = 0;
        std::string ids;
        for (std::size_t i = 0; i < summary.size(); ++i) {
          const bool fresh = (*result)[i];
          accepted += fresh ? 1 : 0;
          (fresh ? accepted_ : duplicate_).add({summary[i].kind, origin});
          out["triggers"].push_back({{"id", summary[i].id},
                                     {"status", fresh ? "accepted" : "duplicate"},
                                     {"url", "/v1/triggers/" + summary[i].id}});
          if (i < 20) ids += (ids.empty() ? "" : ",") + log_value(summary[i].id);
        }
        if (summary.size() > 20) ids += fmt::format(",... ({} more)", summary.size() - 20);
        out["accepted"] = accepted;
        out["duplicates"] = static_cast<int>(summary.size()) - accepted;
        if (single) out["id"] = summary.front().id;
        spdlog::info(
            "http: client={} token={} route=/v1/triggers status=202 triggers={} "
            "accepted={} duplicate={} ids={}",
            client, scope, summary.size(), accepted, static_cast<int>(summary.size()) - accepted,
            ids);
        respond(json_response(bhttp::status::accepted, out));
      },
      claim);
}

Response TriggerApi::get_trigger(const std::string& id) {
  auto r = store_.get_trigger(id);
  if (!r) {
    return error_response(bhttp::status::service_unavailable, "unavailable",
                          "the store cannot be read right now; try again shortly");
  }
  if (!*r) return error_response(bhttp::status::not_found, "not_found", "no trigger with this id");
  json out = to_json(**r);
  if ((*r)->job_id) {
    if (auto job = store_.get_job(*(*r)->job_id); job && *job) out["job"] = to_json(**job);
  }
  return json_response(bhttp::status::ok, out);
}

Response TriggerApi::get_jobs(std::string_view query) {
  std::optional<JobState> state;
  if (auto s = query_param(query, "state"); s && !s->empty()) {
    state = parse_job_state(*s);
    if (!state) {
      return error_response(bhttp::status::bad_request, "invalid_query",
                            "state must be one of pending, leased, done, dead, cancelled");
    }
  }
  std::size_t limit = 50;
  if (auto l = query_param(query, "limit"); l && !l->empty()) {
    std::size_t n = 0;
    auto [p, ec] = std::from_chars(l->data(), l->data() + l->size(), n);
    if (ec != std::errc{} || p != l->data() + l->size() || n == 0 || n > kMaxListLimit) {
      return error_response(bhttp::status::bad_request, "invalid_query",
                            fmt::format("limit must be 1..{}", kMaxListLimit));
    }
    limit = n;
  }
  auto jobs = store_.list_jobs(state, limit);
  if (!jobs) {
    return error_response(bhttp::status::service_unavailable, "unavailable",
                          "the store cannot be read right now; try again shortly");
  }
  json arr = json::array();
  for (const auto& j : *jobs) arr.push_back(to_json(j));
  return json_response(bhttp::status::ok, json{{"jobs", arr}});
}

Response TriggerApi::healthz() {
  // Writable = the write lock can be taken AND the last write that touched
  // the disk did not fail (a full disk still grants the lock).
  const auto lock = store_.check_writable();
  const auto fault = store_.write_fault();
  const bool writable = lock && !fault;
  json out{{"status", writable ? "ok" : "degraded"},
           {"store", {{"writable", writable}}},
           {"intake", {{"queued", committer_.queued()}, {"max_queue", committer_.max_queue()}}}};
  if (!writable) {
    // The details (paths, SQLite codes) go to the log, not to an unauthenticated client.
    spdlog::warn("http: /healthz: the store is not writable: {}",
                 log_printable(lock ? *fault : lock.error().message));
    out["store"]["error"] = "the store cannot be written; see the agent's log";
  }
  if (provider_health_) out["provider"] = provider_health_();
  return json_response(writable ? bhttp::status::ok : bhttp::status::service_unavailable, out);
}

Response TriggerApi::metrics_text() {
  Response res{bhttp::status::ok, 11};
  res.set(bhttp::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
  res.set(bhttp::field::cache_control, "no-store");
  res.body() = metrics_.render();
  return res;
}

}  // namespace uda::http
