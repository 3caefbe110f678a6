#include "providers/adminservice/status_map.hpp"

#include <gtest/gtest.h>

namespace uda::adminservice {
namespace {

HttpResponse answer(int status, std::string body = "", std::string retry_after = "") {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.retry_after = std::move(retry_after);
  return r;
}

HttpResponse broken(TransportError e) {
  HttpResponse r;
  r.error = e;
  r.error_text = "curl said so";
  return r;
}

const TimePoint kNow = *parse_iso8601("2026-11-25T10:00:00Z");

TEST(StatusMap, SuccessRetryAndFailAsDesignSays) {
  for (int s : {200, 201, 204})
    EXPECT_EQ(to_status(answer(s), "x", true, kNow).outcome, CallOutcome::Ok);
  for (int s : {408, 429, 500, 502, 503, 504}) {
    EXPECT_EQ(to_status(answer(s), "x", false, kNow).outcome, CallOutcome::Retry) << s;
  }
  for (int s : {400, 403, 404, 405, 409, 422}) {
    EXPECT_EQ(to_status(answer(s), "x", true, kNow).outcome, CallOutcome::Fail) << s;
  }
  // Refused credentials are the site's (or the config's) problem, not the
  // job's: retried (the breaker opens), never ambiguous. 403 (role or scope
  // does not cover the object) fails the job, above.
  const auto st401 = to_status(answer(401), "x", true, kNow);
  EXPECT_EQ(st401.outcome, CallOutcome::Retry);
  EXPECT_FALSE(st401.ambiguous);
  EXPECT_NE(st401.detail.find("authentication refused"), std::string::npos) << st401.detail;
  const auto st = to_status(answer(404, R"({"error":{"code":"NotFound","message":"no device"}})"),
                            "CreateRelationship", true, kNow);
  EXPECT_EQ(st.detail, "CreateRelationship: HTTP 404 NotFound: no device");
}

TEST(StatusMap, AmbiguityOnlyForWritesThatMayHaveRun) {
  EXPECT_TRUE(to_status(answer(500), "x", true, kNow).ambiguous);
  EXPECT_FALSE(to_status(answer(500), "x", false, kNow).ambiguous);
  EXPECT_FALSE(to_status(answer(429), "x", true, kNow).ambiguous);
  EXPECT_FALSE(to_status(answer(408), "x", true, kNow).ambiguous);
  for (auto e : {TransportError::Resolve, TransportError::Connect, TransportError::Tls}) {
    const auto st = to_status(broken(e), "x", true, kNow);
    EXPECT_EQ(st.outcome, CallOutcome::Retry);
    EXPECT_FALSE(st.ambiguous) << "nothing reached the site";
  }
  for (auto e : {TransportError::Timeout, TransportError::Interrupted}) {
    const auto st = to_status(broken(e), "x", true, kNow);
    EXPECT_EQ(st.outcome, CallOutcome::Retry);
    EXPECT_TRUE(st.ambiguous);
  }
}

TEST(StatusMap, RetryAfterIsHonouredAndBounded) {
  EXPECT_EQ(to_status(answer(429, "", "7"), "x", false, kNow).retry_after, Millis(7000));
  EXPECT_EQ(parse_retry_after("Wed, 25 Nov 2026 10:00:30 GMT", kNow), Millis(30'000));
  EXPECT_EQ(parse_retry_after("Wed, 25 Nov 2026 09:00:00 GMT", kNow), Millis(0));
  EXPECT_EQ(parse_retry_after("999999", kNow), Millis(3'600'000));
  EXPECT_FALSE(parse_retry_after("soon", kNow));
  EXPECT_FALSE(parse_retry_after("-5", kNow));
  EXPECT_FALSE(parse_retry_after("", kNow));
}

}  // namespace
}  // namespace uda::adminservice
