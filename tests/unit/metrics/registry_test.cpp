#include "metrics/registry.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

namespace uda::metrics {
namespace {

TEST(Registry, RendersAGoldenExposition) {
  Registry r;
  auto& triggers = r.counter("uda_triggers_received_total",
                             "Triggers received, by kind and origin.", {"kind", "origin"});
  triggers.add({"osd", "http:osd-ts"});
  triggers.add({"osd", "http:osd-ts"}, 2);
  triggers.add({"enrollment", "cli"});
  r.gauge("uda_jobs_in_flight", "Jobs being dispatched now.").set({}, 3);
  r.gauge_family_fn("uda_jobs", "Jobs by state.", {"state"}, [] {
    return std::vector<GaugeSample>{{{"pending"}, 4}, {{"done"}, 10}};
  });
  r.gauge_fn("uda_queue_oldest_pending_seconds", "Age of the oldest pending job.",
             [] { return 12.5; });
  auto& latency = r.histogram("uda_http_request_duration_seconds", "HTTP request latency.",
                              {"route"}, {0.1, 0.5, 1});
  latency.observe({"/v1/triggers"}, 0.25);
  latency.observe({"/v1/triggers"}, 0.5);
  latency.observe({"/v1/triggers"}, 4);
  r.counter("uda_unused_total", "Registered, never incremented.");

  EXPECT_EQ(r.render(),
            "# HELP uda_http_request_duration_seconds HTTP request latency.\n"
            "# TYPE uda_http_request_duration_seconds histogram\n"
            "uda_http_request_duration_seconds_bucket{route=\"/v1/triggers\",le=\"0.1\"} 0\n"
            "uda_http_request_duration_seconds_bucket{route=\"/v1/triggers\",le=\"0.5\"} 2\n"
            "uda_http_request_duration_seconds_bucket{route=\"/v1/triggers\",le=\"1\"} 2\n"
            "uda_http_request_duration_seconds_bucket{route=\"/v1/triggers\",le=\"+Inf\"} 3\n"
            "uda_http_request_duration_seconds_sum{route=\"/v1/triggers\"} 4.75\n"
            "uda_http_request_duration_seconds_count{route=\"/v1/triggers\"} 3\n"
            "# HELP uda_jobs Jobs by state.\n"
            "# TYPE uda_jobs gauge\n"
            "uda_jobs{state=\"done\"} 10\n"
            "uda_jobs{state=\"pending\"} 4\n"
            "# HELP uda_jobs_in_flight Jobs being dispatched now.\n"
            "# TYPE uda_jobs_in_flight gauge\n"
            "uda_jobs_in_flight 3\n"
            "# HELP uda_queue_oldest_pending_seconds Age of the oldest pending job.\n"
            "# TYPE uda_queue_oldest_pending_seconds gauge\n"
            "uda_queue_oldest_pending_seconds 12.5\n"
            "# HELP uda_triggers_received_total Triggers received, by kind and origin.\n"
            "# TYPE uda_triggers_received_total counter\n"
            "uda_triggers_received_total{kind=\"enrollment\",origin=\"cli\"} 1\n"
            "uda_triggers_received_total{kind=\"osd\",origin=\"http:osd-ts\"} 3\n"
            "# HELP uda_unused_total Registered, never incremented.\n"
            "# TYPE uda_unused_total counter\n");
}

TEST(Registry, EmptyRegistryRendersNothing) {
  EXPECT_EQ(Registry().render(), "");
}

TEST(Registry, HelpTextIsEscaped) {
  Registry r;
  r.counter("c_total", "back\\slash\nnewline \"quotes\"").add({});
  EXPECT_EQ(r.render(),
            "# HELP c_total back\\\\slash\\nnewline \"quotes\"\n"
            "# TYPE c_total counter\n"
            "c_total 1\n");
}

TEST(Registry, CompatibleRegistrationReturnsTheSameFamily) {
  Registry r;
  auto& a = r.counter("x_total", "X.", {"kind"});
  auto& b = r.counter("x_total", "Other help text is not a conflict.", {"kind"});
  EXPECT_EQ(&a, &b);
  auto& g1 = r.gauge("g", "G.");
  EXPECT_EQ(&g1, &r.gauge("g", "G."));
  auto& h1 = r.histogram("h_seconds", "H.", {}, {1, 2});
  EXPECT_EQ(&h1,
            &r.histogram("h_seconds", "H.", {}, {1, 2, std::numeric_limits<double>::infinity()}));
  a.add({"osd"});
  b.add({"osd"});
  EXPECT_NE(r.render().find("x_total{kind=\"osd\"} 2\n"), std::string::npos);
  EXPECT_NE(r.render().find("# HELP x_total X.\n"), std::string::npos);
}

TEST(Registry, IncompatibleRegistrationIsAProgrammingError) {
  Registry r;
  r.counter("x_total", "X.", {"kind"});
  EXPECT_THROW(r.counter("x_total", "X.", {"origin"}), std::logic_error);
  EXPECT_THROW(r.counter("x_total", "X.", {"kind", "origin"}), std::logic_error);
  EXPECT_THROW(r.counter("x_total", "X."), std::logic_error);
  EXPECT_THROW(r.gauge("x_total", "X.", {"kind"}), std::logic_error);
  EXPECT_THROW(r.histogram("x_total", "X.", {"kind"}, {1}), std::logic_error);
  EXPECT_THROW(r.gauge_fn("x_total", "X.", [] { return 1.0; }), std::logic_error);

  r.histogram("h", "H.", {}, {1, 2});
  EXPECT_THROW(r.histogram("h", "H.", {}, {1, 3}), std::logic_error);

  r.gauge_fn("cb", "CB.", [] { return 1.0; });
  EXPECT_THROW(r.gauge_fn("cb", "CB.", [] { return 2.0; }), std::logic_error);
  EXPECT_THROW(r.gauge("cb", "CB."), std::logic_error);
}

TEST(Registry, HistogramSeriesNamesCannotBeTakenTwice) {
  Registry r;
  r.histogram("lat", "L.", {}, {1});
  EXPECT_THROW(r.counter("lat_count", "C."), std::logic_error);
  EXPECT_THROW(r.gauge("lat_sum", "S."), std::logic_error);
  EXPECT_THROW(r.gauge("lat_bucket", "B."), std::logic_error);
  r.counter("other_count", "Fine: 'other' is no histogram.");
  EXPECT_THROW(r.histogram("other", "O.", {}, {1}), std::logic_error);
}

TEST(Registry, NamesAreValidated) {
  Registry r;
  EXPECT_THROW(r.counter("bad-name", "B."), std::invalid_argument);
  EXPECT_THROW(r.counter("", "B."), std::invalid_argument);
  EXPECT_THROW(r.counter("0starts_with_digit", "B."), std::invalid_argument);
  EXPECT_THROW(r.counter("ok", "B.", {"bad-label"}), std::invalid_argument);
  EXPECT_THROW(r.counter("ok", "B.", {"__name__"}), std::invalid_argument);
  EXPECT_THROW(r.counter("ok", "B.", {"kind", "kind"}), std::invalid_argument);
  EXPECT_THROW(r.gauge_fn("ok gauge", "B.", [] { return 1.0; }), std::invalid_argument);
  EXPECT_EQ(r.render(), "");  // nothing half-registered
  r.counter("ok", "Fine now.", {"kind"});
}

TEST(Registry, RemoveForgetsAFamily) {
  Registry r;
  r.gauge_fn("cb", "CB.", [] { return 1.0; });
  EXPECT_TRUE(r.remove("cb"));
  EXPECT_FALSE(r.remove("cb"));
  EXPECT_EQ(r.render(), "");
  r.gauge_fn("cb", "CB.", [] { return 2.0; });
  EXPECT_EQ(r.render(), "# HELP cb CB.\n# TYPE cb gauge\ncb 2\n");
}

TEST(Registry, CallbacksRunAtEveryScrape) {
  Registry r;
  double depth = 1;
  r.gauge_fn("uda_queue_depth", "Pending jobs.", [&] { return depth; });
  EXPECT_NE(r.render().find("uda_queue_depth 1\n"), std::string::npos);
  depth = 7;
  EXPECT_NE(r.render().find("uda_queue_depth 7\n"), std::string::npos);
}

TEST(Registry, CallbackFamilyOutputIsCleanedSortedAndBounded) {
  Registry r(RegistryOptions{3});
  r.gauge_family_fn("uda_breaker_state", "Breaker state by provider.", {"provider", "state"}, [] {
    return std::vector<GaugeSample>{
        {{"sim", "open"}, 1},         {{"adminservice", "closed"}, 1},
        {{"sim", "open"}, 2},          // same label set: summed
        {{"only-one-value"}, 99},      // wrong number of values: dropped
        {{"wmi", "half\"open\n"}, 1},  // escaped
        {{"p4", "closed"}, 5},         // past the cap of 3: into _other
        {{"p5", "closed"}, 6},
    };
  });
  EXPECT_EQ(r.render(),
            "# HELP uda_breaker_state Breaker state by provider.\n"
            "# TYPE uda_breaker_state gauge\n"
            "uda_breaker_state{provider=\"_other\",state=\"_other\"} 11\n"
            "uda_breaker_state{provider=\"adminservice\",state=\"closed\"} 1\n"
            "uda_breaker_state{provider=\"sim\",state=\"open\"} 3\n"
            "uda_breaker_state{provider=\"wmi\",state=\"half\\\"open\\n\"} 1\n");
}

TEST(Registry, ThrowingCallbackYieldsNoSamples) {
  Registry r;
  r.gauge_fn("broken", "Throws.", []() -> double { throw std::runtime_error("store closed"); });
  r.gauge_fn("fine", "Works.", [] { return 1.0; });
  EXPECT_EQ(r.render(),
            "# HELP broken Throws.\n# TYPE broken gauge\n"
            "# HELP fine Works.\n# TYPE fine gauge\nfine 1\n");
}

}  // namespace
}  // namespace uda::metrics
