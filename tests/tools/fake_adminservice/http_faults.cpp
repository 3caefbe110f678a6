#include "fake_adminservice/http_faults.hpp"

#include <fmt/format.h>

#include <array>
#include <utility>

namespace uda::fake {
namespace {

constexpr Millis kMaxSleep{10 * 60 * 1000};

// Uniform double in [0, 1) from 53 random bits.
double unit(std::uint64_t bits) {
  return static_cast<double>(bits >> 11U) * 0x1.0p-53;
}

}  // namespace

Status validate(const HttpFaultOptions& o) {
  const std::pair<const char*, double> rates[] = {
      {"error-rate-5xx", o.error_5xx_rate}, {"rate-429", o.rate_429},
      {"timeout-rate", o.timeout_rate},     {"reset-rate", o.reset_rate},
      {"ambiguous-rate", o.ambiguous_rate},
  };
  double sum = 0;
  for (const auto& [name, r] : rates) {
    if (!(r >= 0.0 && r <= 1.0)) return Error{fmt::format("{} must be 0..1, got {}", name, r)};
    sum += r;
  }
  if (sum > 1.0 + 1e-9) {
    return Error{fmt::format("the fault rates add up to {:g}; at most 1", sum)};
  }
  if (o.latency < Millis(0) || o.latency > kMaxSleep) {
    return Error{"latency must be 0..600000 ms"};
  }
  if (o.timeout_sleep < Millis(1) || o.timeout_sleep > kMaxSleep) {
    return Error{"the timeout sleep must be 1..600000 ms"};
  }
  if (o.retry_after_s > 3600) return Error{"retry-after must be 0..3600 s"};
  for (const auto& w : o.outages) {
    if (w.start < Millis(0) || w.duration <= Millis(0)) {
      return Error{"an outage needs a start >= 0 and a duration > 0"};
    }
  }
  return Status::Ok();
}

std::string_view to_string(HttpFault f) {
  switch (f) {
    case HttpFault::None:
      return "none";
    case HttpFault::Outage:
      return "outage";
    case HttpFault::ServerError:
      return "5xx";
    case HttpFault::TooManyRequests:
      return "429";
    case HttpFault::Timeout:
      return "timeout";
    case HttpFault::Reset:
      return "reset";
    case HttpFault::AmbiguousError:
      return "ambiguous-500";
    case HttpFault::AmbiguousReset:
      return "ambiguous-reset";
  }
  return "unknown";
}

HttpFaultInjector::HttpFaultInjector(HttpFaultOptions options, const TimeSource& time)
    : options_(std::move(options)),
      time_(time),
      created_(time.now()),
      seed_(options_.seed ? *options_.seed : std::random_device{}()),
      rng_(seed_) {}

HttpFaultDecision HttpFaultInjector::next() {
  std::uint64_t r_kind = 0;
  std::uint64_t r_pick = 0;
  {
    std::lock_guard lock(mu_);
    r_kind = rng_();
    r_pick = rng_();
    (void)rng_();  // reserved: keeps three draws per request
  }
  HttpFaultDecision d;
  const auto since = time_.now() - created_;
  for (const auto& o : options_.outages) {
    if (since >= o.start && since < o.start + o.duration) {
      d.kind = HttpFault::Outage;
      d.status = 503;
      return d;
    }
  }
  const double u = unit(r_kind);
  double edge = options_.error_5xx_rate;
  if (u < edge) {
    constexpr std::array<unsigned, 3> kStatuses{500, 502, 503};
    d.kind = HttpFault::ServerError;
    d.status = kStatuses[r_pick % kStatuses.size()];
    return d;
  }
  if (u < (edge += options_.rate_429)) {
    d.kind = HttpFault::TooManyRequests;
    d.status = 429;
    return d;
  }
  if (u < (edge += options_.timeout_rate)) {
    d.kind = HttpFault::Timeout;
    d.status = 504;
    return d;
  }
  if (u < (edge += options_.reset_rate)) {
    d.kind = HttpFault::Reset;
    return d;
  }
  if (u < (edge += options_.ambiguous_rate)) {
    if (r_pick % 2 == 0) {
      d.kind = HttpFault::AmbiguousError;
      d.status = 500;
    } else {
      d.kind = HttpFault::AmbiguousReset;
    }
    return d;
  }
  return d;
}

}  // namespace uda::fake
