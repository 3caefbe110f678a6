#pragma once
// The inbound queue's HTTP API (version 1):
//
//   POST /v1/triggers          one JSON trigger or an array (at most max_batch);
//                              202 once durably committed, with each trigger's id
//   GET  /v1/triggers/{id}     the trigger, its decision and its job's outcome
//   GET  /v1/jobs?state=&limit=  jobs, newest first
//   GET  /healthz              store writable? provider and breaker state (no token needed)
//   GET  /metrics              Prometheus text exposition
//
// Every /v1 and /metrics request needs `Authorization: Bearer <token>` (unless
// anonymous access is allowed on loopback); a token may be limited to some
// trigger kinds. Errors are JSON {"error": {"code", "message"[, "field", "index"]}}
// and say nothing about tokens beyond "a valid bearer token is required".
// Triggers are all-or-nothing per request: one invalid trigger rejects the
// request and nothing is stored.

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "metrics/registry.hpp"
#include "sources/http/rate_limiter.hpp"
#include "sources/http/server.hpp"
#include "sources/http/token_auth.hpp"
#include "store/group_commit.hpp"
#include "store/job_store.hpp"

namespace uda::http {

struct ApiOptions {
  bool allow_anonymous = false;
  std::size_t max_batch = 1000;
  std::size_t max_json_depth = 32;  // nesting of the request body
};

class TriggerApi final : public Handler {
 public:
  // What /healthz reports about the provider: {"name": ..., "breaker": ...}.
  using ProviderHealth = std::function<nlohmann::json()>;

  TriggerApi(JobStore& store, GroupCommitter& committer, const TokenVerifier& tokens,
             RateLimiter& limiter, metrics::Registry& metrics, ProviderHealth provider_health,
             ApiOptions options);

  void handle(Request request, const ClientInfo& client, Respond respond) override;

 private:
  struct Caller {
    std::string scope;                                // token name, or "anonymous"
    const std::vector<std::string>* kinds = nullptr;  // allowed kinds; null or empty = all
  };
  void post_triggers(const Request& req, const ClientInfo& client, const Caller& caller,
                     Respond respond);
  Response get_trigger(const std::string& id);
  Response get_jobs(std::string_view query);
  Response healthz();
  Response metrics_text();

  JobStore& store_;
  GroupCommitter& committer_;
  const TokenVerifier& tokens_;
  RateLimiter& limiter_;
  metrics::Registry& metrics_;
  ProviderHealth provider_health_;
  ApiOptions options_;

  metrics::CounterFamily& requests_;   // uda_http_requests_total{route, code}
  metrics::CounterFamily& received_;   // uda_triggers_received_total{kind, origin}
  metrics::CounterFamily& accepted_;   // uda_triggers_accepted_total{kind, origin}
  metrics::CounterFamily& duplicate_;  // uda_triggers_duplicate_total{kind, origin}
  metrics::CounterFamily& rejected_;   // uda_triggers_rejected_total{reason, origin}
};

// Helpers shared with tests.
Response json_response(bhttp::status status, const nlohmann::json& body);
Response error_response(bhttp::status status, std::string_view code, std::string_view message);
// The field named at the start of a validation message ("machine.resource_id: must ...").
std::string field_of(std::string_view message);
// Nesting depth of a JSON text (strings skipped); stops counting past `limit`.
std::size_t json_depth(std::string_view text, std::size_t limit);

}  // namespace uda::http
