// Event Log sink and the line -> event id mapping, through a mock EventLogApi.
#include "platform/service_host/event_log_sink.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "platform/service_host/event_ids.hpp"

namespace uda::svc {
namespace {

using ::testing::_;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::InSequence;
using ::testing::NiceMock;
using ::testing::Return;
using ::testing::StrictMock;

class MockEventLogApi : public EventLogApi {
 public:
  MOCK_METHOD(EventSourceHandle, register_source, (const std::string&), (override));
  MOCK_METHOD(bool, report,
              (EventSourceHandle, EventType, std::uint16_t, std::uint32_t,
               const std::vector<std::string>&),
              (override));
  MOCK_METHOD(void, deregister, (EventSourceHandle), (override));
};

constexpr EventSourceHandle kSource = 0xe1;

std::optional<EventId> id_of(LogLevel level, std::string_view line) {
  auto c = classify(level, line);
  if (!c) return std::nullopt;
  return c->id;
}

// Lines as the agent writes them (README "Logs", dispatcher.cpp, agent.cpp).
TEST(EventClassify, DocumentedLinesMapToTheirEvents) {
  EXPECT_EQ(id_of(LogLevel::Info,
                  "service: started (running; accepts stop, preshutdown, "
                  "paramchange)"),
            EventId::ServiceStarted);
  EXPECT_EQ(id_of(LogLevel::Info, "service: stopped exit=0"), EventId::ServiceStopped);
  EXPECT_EQ(id_of(LogLevel::Error, "service: failed exit=3 (store or provider error)"),
            EventId::ServiceFailed);
  EXPECT_EQ(id_of(LogLevel::Info, "service: reload requested (paramchange)"),
            EventId::ServiceReload);
  EXPECT_EQ(id_of(LogLevel::Critical, "rules: rules/default.yaml:12:3: unknown key 'whne'"),
            EventId::ConfigError);
  EXPECT_EQ(id_of(LogLevel::Critical,
                  "config: C:\\ProgramData\\UdaAgent\\uda-agent.yaml:4:1: "
                  "unknown key"),
            EventId::ConfigError);
  EXPECT_EQ(id_of(LogLevel::Error, "rules reload rejected, keeping the current rules: x"),
            EventId::ConfigError);
  EXPECT_EQ(id_of(LogLevel::Error,
                  "job=3 trigger=01a2 machine=16777299 user=\"CONTOSO\\jdoe\" attempt=1 "
                  "outcome=dead error=\"0x80041002 WBEM_E_NOT_FOUND: no device\""),
            EventId::DeadLetter);
  EXPECT_EQ(id_of(LogLevel::Warn,
                  "breaker provider=simulated state=open failures=5 reopens_at=x reason=\"y\""),
            EventId::BreakerOpen);
  EXPECT_EQ(id_of(LogLevel::Info, "breaker provider=simulated state=closed (probe answered)"),
            EventId::BreakerClosed);
  EXPECT_EQ(id_of(LogLevel::Warn, "job=4 trigger=t attempt=2/8 outcome=retry next_in=3s"),
            EventId::OtherWarning);
  EXPECT_EQ(id_of(LogLevel::Critical, "store is locked by another agent (pid 12)"),
            EventId::OtherError);
  EXPECT_EQ(id_of(LogLevel::Error, "store: purge of finished rows failed: disk I/O"),
            EventId::OtherError);
}

TEST(EventClassify, OrdinaryInfoLinesStayOutOfTheEventLog) {
  EXPECT_EQ(id_of(LogLevel::Info, "job=1 trigger=t machine=1 outcome=done detail=\"created\""),
            std::nullopt);
  EXPECT_EQ(id_of(LogLevel::Info, "uda-agent 0.1.0 ready: store=x rules=y"), std::nullopt);
  EXPECT_EQ(id_of(LogLevel::Debug, "anything"), std::nullopt);
  // Config and dead-letter keys need their level: an info line that merely
  // mentions them is not an event.
  EXPECT_EQ(id_of(LogLevel::Info, "rules: 12 rules loaded"), std::nullopt);
  EXPECT_EQ(id_of(LogLevel::Info, "job=1 note outcome=dead earlier"), std::nullopt);
}

TEST(EventClassify, TypesAndCategories) {
  EXPECT_EQ(classify(LogLevel::Warn, "breaker provider=p state=open"),
            (EventClass{EventId::BreakerOpen, EventType::Warning, EventCategory::Dispatch}));
  EXPECT_EQ(classify(LogLevel::Critical, "rules: bad"),
            (EventClass{EventId::ConfigError, EventType::Error, EventCategory::Configuration}));
  EXPECT_EQ(classify(LogLevel::Info, "service: started"),
            (EventClass{EventId::ServiceStarted, EventType::Information, EventCategory::Service}));
  EXPECT_EQ(classify(LogLevel::Warn, "x"),
            (EventClass{EventId::OtherWarning, EventType::Warning, EventCategory::Other}));
}

// The message file has a text for every id and category the code uses.
TEST(EventMessageFile, DefinesEveryEventIdAndCategory) {
  std::ifstream in(std::string(UDA_SOURCE_DIR) + "/installer/eventlog/uda-agent-messages.mc");
  ASSERT_TRUE(in.good());
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  std::map<std::uint32_t, std::string> defined;
  const std::regex re(R"(MessageId=(\d+)\s*\nSeverity=Success\s*\nFacility=UdaAgent\s*\n)"
                      R"(SymbolicName=(\w+))");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), re); it != std::sregex_iterator();
       ++it) {
    defined[static_cast<std::uint32_t>(std::stoul((*it)[1]))] = (*it)[2];
  }
  for (auto id : kAllEventIds) {
    EXPECT_TRUE(defined.count(static_cast<std::uint32_t>(id)))
        << "event id " << static_cast<std::uint32_t>(id) << " missing in the .mc";
  }
  for (std::uint32_t c = 1; c <= kCategoryCount; ++c) {
    EXPECT_TRUE(defined.count(c)) << "category " << c << " missing in the .mc";
  }
  EXPECT_EQ(defined.size(), std::size(kAllEventIds) + kCategoryCount);
  EXPECT_EQ(defined[100], "UDA_EVENT_SERVICE_STARTED");
  EXPECT_EQ(defined[300], "UDA_EVENT_DEAD_LETTER");
}

std::shared_ptr<spdlog::logger> logger_with(std::shared_ptr<EventLogSink> sink) {
  auto l = std::make_shared<spdlog::logger>("event-log-test", std::move(sink));
  l->set_level(spdlog::level::trace);
  return l;
}

TEST(EventLogSink, WritesClassifiedLinesWithTheirIdTypeCategoryAndText) {
  auto api = std::make_shared<StrictMock<MockEventLogApi>>();
  {
    InSequence seq;
    EXPECT_CALL(*api, register_source("UdaAgent")).WillOnce(Return(kSource));
    EXPECT_CALL(*api, report(kSource, EventType::Information, 1, 100,
                             ElementsAre("service: started (running)")))
        .WillOnce(Return(true));
    EXPECT_CALL(*api, report(kSource, EventType::Warning, 3, 400,
                             ElementsAre("breaker provider=wmi state=open failures=5")))
        .WillOnce(Return(true));
    EXPECT_CALL(*api, report(kSource, EventType::Error, 3, 300,
                             ElementsAre(HasSubstr("job=9 trigger=t outcome=dead"))))
        .WillOnce(Return(true));
    EXPECT_CALL(*api, report(kSource, EventType::Error, 2, 200, ElementsAre("rules: bad rule")))
        .WillOnce(Return(true));
    EXPECT_CALL(*api, report(kSource, EventType::Warning, 4, 900, ElementsAre("slow disk 42 ms")))
        .WillOnce(Return(true));
    EXPECT_CALL(*api, report(kSource, EventType::Information, 1, 101,
                             ElementsAre("service: stopped exit=0")))
        .WillOnce(Return(true));
    EXPECT_CALL(*api, deregister(kSource));
  }
  auto sink = std::make_shared<EventLogSink>(api);
  auto log = logger_with(sink);
  log->info("service: started (running)");
  log->info("job={} outcome=done", 1);  // not an event
  log->warn("breaker provider=wmi state=open failures=5");
  log->error("job=9 trigger=t outcome=dead error=\"x\"");
  log->critical("rules: bad rule");
  log->warn("slow disk {} ms", 42);
  log->debug("nothing");
  log->info("service: stopped exit=0");
  EXPECT_EQ(sink->written(), 6u);
  log.reset();
  sink.reset();  // deregisters
}

TEST(EventLogSink, RetriesRegistrationAndDropsEventsWhileThereIsNoSource) {
  auto api = std::make_shared<StrictMock<MockEventLogApi>>();
  InSequence seq;
  EXPECT_CALL(*api, register_source("UdaAgent")).WillOnce(Return(0));
  EXPECT_CALL(*api, register_source("UdaAgent")).WillOnce(Return(0));
  EXPECT_CALL(*api, register_source("UdaAgent")).WillOnce(Return(kSource));
  EXPECT_CALL(*api, report(kSource, EventType::Error, 4, 901, _)).WillOnce(Return(true));
  EXPECT_CALL(*api, deregister(kSource));
  auto sink = std::make_shared<EventLogSink>(api);
  auto log = logger_with(sink);
  log->error("first");   // no source yet: dropped
  log->error("second");  // registered now
  EXPECT_EQ(sink->written(), 1u);
}

TEST(EventLogSink, NoDeregisterWhenNeverRegistered) {
  auto api = std::make_shared<StrictMock<MockEventLogApi>>();
  EXPECT_CALL(*api, register_source(_)).WillOnce(Return(0));
  auto sink = std::make_shared<EventLogSink>(api);
}

TEST(EventLogSink, CutsLongLines) {
  auto api = std::make_shared<NiceMock<MockEventLogApi>>();
  ON_CALL(*api, register_source(_)).WillByDefault(Return(kSource));
  EXPECT_CALL(*api, report(_, _, _, _, ElementsAre("0123456789 ..."))).WillOnce(Return(true));
  EventLogSinkOptions o;
  o.max_message = 10;
  auto sink = std::make_shared<EventLogSink>(api, o);
  logger_with(sink)->error("0123456789abcdef");
}

TEST(EventLogSink, LimitsEventsPerMinuteAndSaysHowManyWereLeftOut) {
  auto api = std::make_shared<NiceMock<MockEventLogApi>>();
  ON_CALL(*api, register_source(_)).WillByDefault(Return(kSource));
  std::vector<std::string> texts;
  ON_CALL(*api, report(_, _, _, _, _))
      .WillByDefault([&](EventSourceHandle, EventType, std::uint16_t, std::uint32_t,
                         const std::vector<std::string>& s) {
        texts.push_back(s.at(0));
        return true;
      });
  auto now = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
  EventLogSinkOptions o;
  o.max_per_minute = 2;
  o.now = [&] { return now; };
  auto sink = std::make_shared<EventLogSink>(api, o);
  auto log = logger_with(sink);
  for (int i = 0; i < 5; ++i) log->error("job={} trigger=t outcome=dead", i);
  EXPECT_EQ(texts.size(), 2u);
  EXPECT_EQ(sink->suppressed_total(), 3u);
  now += std::chrono::seconds(61);
  log->error("job=5 trigger=t outcome=dead");
  ASSERT_EQ(texts.size(), 3u);
  EXPECT_THAT(texts[2], HasSubstr("job=5"));
  EXPECT_THAT(texts[2], HasSubstr("(3 earlier event(s) were not written: more than 2 per minute)"));
}

TEST(EventLogSink, MapsSpdlogLevels) {
  EXPECT_EQ(to_log_level(spdlog::level::trace), LogLevel::Trace);
  EXPECT_EQ(to_log_level(spdlog::level::info), LogLevel::Info);
  EXPECT_EQ(to_log_level(spdlog::level::warn), LogLevel::Warn);
  EXPECT_EQ(to_log_level(spdlog::level::err), LogLevel::Error);
  EXPECT_EQ(to_log_level(spdlog::level::critical), LogLevel::Critical);
}

}  // namespace
}  // namespace uda::svc
