// WmiEventWatcher over a fake EventSource, a fake committer and an in-memory
// bookmark store: resume, bookmarks, reconnects, lookups, back-pressure.
// The io_context runs until a condition holds (bounded); no timing assertions.

#include "sources/wmi_events/wmi_event_watcher.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <sstream>

#include "recorded_instances.hpp"
#include "sources/wmi_events/wmi_instance_json.hpp"

namespace uda {
namespace {

namespace fs = std::filesystem;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr auto kLimit = std::chrono::seconds(10);
using test::recorded;

TimePoint at(const char* iso) {
  return *parse_iso8601(iso);
}

// A new-device creation event for another device.
WmiInstance new_device(std::int64_t id, const std::string& created) {
  auto e = recorded("new_device_event.json");
  e.properties.insert_or_assign("TargetInstance.ResourceID", id);
  e.properties.insert_or_assign("TargetInstance.Name", "WKS-" + std::to_string(id));
  e.properties.insert_or_assign("TargetInstance.CreationDate", created);
  return e;
}

class FakeTime final : public TimeSource {
 public:
  [[nodiscard]] TimePoint now() const override { return from_unix_ms(ms_.load()); }
  void set(TimePoint t) { ms_ = to_unix_ms(t); }

 private:
  std::atomic<std::int64_t> ms_{0};
};

class FakeSource final : public EventSource {
 public:
  using Handler = std::function<Expected<std::vector<WmiInstance>>(const std::string& ns,
                                                                   const std::string& wql)>;

  Status subscribe(const Subscription& sub, OnEvent on_event, OnLost on_lost) override {
    std::unique_lock lock(mu_);
    subscribes_.push_back(sub.name + "@" + sub.ns);
    if (!subscribe_failures_.empty()) {
      Error e = subscribe_failures_.front();
      subscribe_failures_.pop_front();
      return e;
    }
    live_[sub.name] = {std::move(on_event), std::move(on_lost)};
    if (lose_during_subscribe_ > 0) {
      --lose_during_subscribe_;
      auto lost = live_[sub.name].on_lost;
      lock.unlock();
      lost(Error{"0x80041001 WBEM_E_FAILED: the sink was released"});
    }
    return Status::Ok();
  }

  void cancel(const std::string& name) override {
    std::lock_guard lock(mu_);
    cancels_.push_back(name);
    live_.erase(name);
  }

  Expected<std::vector<WmiInstance>> query(const std::string& ns, const std::string& wql) override {
    Handler h;
    {
      std::lock_guard lock(mu_);
      queries_.push_back(ns + "|" + wql);
      if (!query_failures_.empty()) {
        Error e = query_failures_.front();
        query_failures_.pop_front();
        return e;
      }
      h = handler_;
    }
    if (h) return h(ns, wql);
    return std::vector<WmiInstance>{};
  }

  // ---- test side ----
  void fail_subscribes(std::vector<std::string> messages) {
    std::lock_guard lock(mu_);
    for (auto& m : messages) subscribe_failures_.push_back(Error{std::move(m)});
  }
  void fail_queries(std::vector<std::string> messages) {
    std::lock_guard lock(mu_);
    for (auto& m : messages) query_failures_.push_back(Error{std::move(m)});
  }
  void lose_during_subscribe(int n) {
    std::lock_guard lock(mu_);
    lose_during_subscribe_ = n;
  }
  void on_query(Handler h) {
    std::lock_guard lock(mu_);
    handler_ = std::move(h);
  }
  bool emit(const std::string& name, WmiInstance event) {
    OnEvent cb;
    {
      std::lock_guard lock(mu_);
      auto it = live_.find(name);
      if (it == live_.end()) return false;
      cb = it->second.on_event;
    }
    cb(std::move(event));
    return true;
  }
  bool lose(const std::string& name, std::string message) {
    OnLost cb;
    {
      std::lock_guard lock(mu_);
      auto it = live_.find(name);
      if (it == live_.end()) return false;
      cb = it->second.on_lost;
    }
    cb(Error{std::move(message)});
    return true;
  }
  OnLost lost_callback(const std::string& name) const {
    std::lock_guard lock(mu_);
    auto it = live_.find(name);
    return it == live_.end() ? OnLost{} : it->second.on_lost;
  }
  bool live(const std::string& name) const {
    std::lock_guard lock(mu_);
    return live_.count(name) != 0;
  }
  std::vector<std::string> subscribes() const {
    std::lock_guard lock(mu_);
    return subscribes_;
  }
  std::vector<std::string> cancels() const {
    std::lock_guard lock(mu_);
    return cancels_;
  }
  std::vector<std::string> queries() const {
    std::lock_guard lock(mu_);
    return queries_;
  }

 private:
  struct Live {
    OnEvent on_event;
    OnLost on_lost;
  };
  mutable std::mutex mu_;
  std::map<std::string, Live> live_;
  std::deque<Error> subscribe_failures_;
  std::deque<Error> query_failures_;
  int lose_during_subscribe_ = 0;
  Handler handler_;
  std::vector<std::string> subscribes_;
  std::vector<std::string> cancels_;
  std::vector<std::string> queries_;
};

// Stands in for the GroupCommitter: stores ids, answers duplicates, can fail
// or hold submissions.
class FakeCommitter {
 public:
  using Done = WmiEventWatcher::Done;

  void submit(std::vector<Trigger> triggers, Done done) {
    std::unique_lock lock(mu_);
    batches_.push_back(triggers);
    if (hold_) {
      held_.emplace_back(std::move(triggers), std::move(done));
      return;
    }
    if (fail_next_ > 0) {
      --fail_next_;
      lock.unlock();
      done(Error{"store: database is locked"});
      return;
    }
    auto answer = store(triggers);
    lock.unlock();
    done(std::move(answer));
  }

  void fail_next(int n) {
    std::lock_guard lock(mu_);
    fail_next_ = n;
  }
  void hold(bool h) {
    std::lock_guard lock(mu_);
    hold_ = h;
  }
  // Answers every held submission (stored) and stops holding.
  void release() {
    std::vector<std::pair<std::vector<Trigger>, Done>> held;
    std::vector<std::vector<bool>> answers;
    {
      std::lock_guard lock(mu_);
      hold_ = false;
      held.swap(held_);
      for (auto& [t, _] : held) answers.push_back(store(t));
    }
    for (std::size_t i = 0; i < held.size(); ++i) held[i].second(answers[i]);
  }
  std::size_t held() const {
    std::lock_guard lock(mu_);
    return held_.size();
  }
  std::vector<std::vector<Trigger>> batches() const {
    std::lock_guard lock(mu_);
    return batches_;
  }
  std::map<std::string, Trigger> stored() const {
    std::lock_guard lock(mu_);
    return stored_;
  }

 private:
  std::vector<bool> store(const std::vector<Trigger>& triggers) {
    std::vector<bool> out;
    for (const auto& t : triggers) out.push_back(stored_.emplace(t.id, t).second);
    return out;
  }
  mutable std::mutex mu_;
  bool hold_ = false;
  int fail_next_ = 0;
  std::vector<std::pair<std::vector<Trigger>, Done>> held_;
  std::vector<std::vector<Trigger>> batches_;
  std::map<std::string, Trigger> stored_;
};

// A bookmark store whose saves can fail.
class FlakyBookmarks final : public BookmarkStore {
 public:
  Expected<std::optional<TimePoint>> load(const std::string& s) override { return inner.load(s); }
  Status save(const std::string& s, TimePoint t) override {
    if (fail_saves > 0) {
      --fail_saves;
      return Error{"store: disk I/O error"};
    }
    return inner.save(s, t);
  }
  InMemoryBookmarkStore inner;
  std::atomic<int> fail_saves{0};
};

constexpr std::string_view kNewDevice = R"(wmi_events:
  namespace: root\sms\site_PS1
  subscriptions:
    - {name: new-device, preset: new-device}
)";

class WatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    time_.set(at("2026-11-20T08:00:00Z"));
    use_config(std::string(kNewDevice));
  }
  void TearDown() override {
    committer_.release();
    if (watcher_) watcher_->stop();
    watcher_.reset();
    io_.restart();
    io_.poll();
  }

  void use_config(const std::string& text) {
    auto root = yaml::load_text(text, "agent.yaml");
    ASSERT_TRUE(root) << root.error().message;
    auto o = parse_wmi_events_options(yaml::Doc{"agent.yaml"}, (*root)["wmi_events"]);
    ASSERT_TRUE(o) << o.error().message;
    options_ = std::move(*o);
    options_.reconnect_base = Millis(1);
    options_.reconnect_cap = Millis(4);
    options_.seed = 7;
  }

  WmiEventWatcher& start() {
    watcher_ = std::make_unique<WmiEventWatcher>(
        io_, options_, source_, *bookmarks_,
        [this](std::vector<Trigger> t, WmiEventWatcher::Done done) {
          committer_.submit(std::move(t), std::move(done));
        },
        time_);
    auto st = watcher_->start();
    EXPECT_TRUE(st) << st.error().message;
    return *watcher_;
  }

  bool run_until(const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + kLimit;
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      if (io_.stopped()) io_.restart();
      io_.run_for(std::chrono::milliseconds(5));
    }
    return true;
  }

  WmiEventWatcher::SubscriptionStats stats(const std::string& name = "new-device") const {
    for (auto& s : watcher_->stats()) {
      if (s.name == name) return s;
    }
    ADD_FAILURE() << "no subscription " << name;
    return {};
  }

  std::optional<TimePoint> bookmark(const std::string& name = "new-device") const {
    auto b = bookmarks_->load(name);
    return b ? *b : std::nullopt;
  }

  bool up(const std::string& name = "new-device") {
    return run_until([&] { return stats(name).state == WmiEventWatcher::State::Up; });
  }

  asio::io_context io_;
  FakeTime time_;
  FakeSource source_;
  FakeCommitter committer_;
  std::unique_ptr<InMemoryBookmarkStore> own_bookmarks_ = std::make_unique<InMemoryBookmarkStore>();
  FlakyBookmarks flaky_;
  BookmarkStore* bookmarks_ = own_bookmarks_.get();
  WmiEventsOptions options_;
  std::unique_ptr<WmiEventWatcher> watcher_;
};

TEST_F(WatcherTest, FirstStartSubscribesAndBookmarksTheStart) {
  start();
  ASSERT_TRUE(run_until([&] { return bookmark().has_value(); }));
  EXPECT_EQ(*bookmark(), at("2026-11-20T08:00:00Z"));
  EXPECT_THAT(source_.subscribes(), ElementsAre("new-device@root\\sms\\site_PS1"));
  EXPECT_THAT(source_.queries(), IsEmpty());  // no bookmark yet: nothing to catch up on
  const auto s = stats();
  EXPECT_EQ(s.state, WmiEventWatcher::State::Up);
  EXPECT_EQ(s.connects, 1U);
  EXPECT_EQ(s.ns, "root\\sms\\site_PS1");
  EXPECT_THAT(committer_.batches(), IsEmpty());
}

TEST_F(WatcherTest, LiveEventBecomesATriggerAndMovesTheBookmark) {
  start();
  ASSERT_TRUE(up());
  time_.set(at("2026-11-20T08:20:00Z"));
  ASSERT_TRUE(source_.emit("new-device", recorded("new_device_event.json")));
  // The store has it first; the stats once the answer is back on the strand.
  ASSERT_TRUE(run_until([&] {
    return stats().inserted == 1 && bookmark() == at("2026-11-20T08:12:00Z") &&
           stats().bookmark == at("2026-11-20T08:12:00Z");
  }));
  const auto stored = committer_.stored();
  ASSERT_EQ(stored.size(), 1U);
  const Trigger& t = stored.begin()->second;
  EXPECT_EQ(t.id, "wmi-new-device-586c4534f748db84");
  EXPECT_EQ(t.user, "CONTOSO\\jdoe");
  EXPECT_EQ(t.origin, "wmi:new-device");
  EXPECT_EQ(t.received_at, at("2026-11-20T08:20:00Z"));
  const auto s = stats();
  EXPECT_EQ(s.events, 1U);
  EXPECT_EQ(s.triggers, 1U);
  EXPECT_EQ(s.queued, 0U);
}

TEST_F(WatcherTest, SkippedEventsAreCountedAndStillMoveTheBookmark) {
  start();
  ASSERT_TRUE(up());
  ASSERT_TRUE(source_.emit("new-device", recorded("new_device_no_user_event.json")));
  ASSERT_TRUE(run_until([&] { return bookmark() == at("2026-11-20T08:13:00Z"); }));
  const auto s = stats();
  EXPECT_EQ(s.skipped, 1U);
  EXPECT_EQ(s.triggers, 0U);
  EXPECT_THAT(committer_.batches(), IsEmpty());
}

TEST_F(WatcherTest, ResumeRunsFromTheBookmarkMinusTheOverlap) {
  own_bookmarks_->set("new-device", at("2026-11-20T08:00:00Z"));
  time_.set(at("2026-11-20T09:00:00Z"));
  source_.on_query(
      [](const std::string&, const std::string& wql) -> Expected<std::vector<WmiInstance>> {
        if (wql.find("FROM SMS_R_System WHERE CreationDate >") == std::string::npos) {
          return std::vector<WmiInstance>{};
        }
        return std::vector<WmiInstance>{recorded("sms_r_system_row.json")};
      });
  start();
  ASSERT_TRUE(run_until([&] { return bookmark() == at("2026-11-20T09:00:00Z"); }));
  EXPECT_THAT(source_.queries(),
              ElementsAre("root\\sms\\site_PS1|SELECT * FROM SMS_R_System WHERE CreationDate > "
                          "'20261120075000.000000+000'"));
  auto s = stats();
  EXPECT_EQ(s.resumed, 1U);
  EXPECT_EQ(s.inserted, 1U);
  EXPECT_THAT(committer_.stored(), Contains(::testing::Key("wmi-new-device-586c4534f748db84")));

  // The same instance arriving live (the polls overlap the catch-up) is stored once.
  ASSERT_TRUE(source_.emit("new-device", recorded("new_device_event.json")));
  ASSERT_TRUE(run_until([&] { return stats().duplicates == 1; }));
  EXPECT_EQ(stats().inserted, 1U);
  EXPECT_EQ(committer_.stored().size(), 1U);
}

TEST_F(WatcherTest, TheBookmarkWaitsForTheCatchUpToCommit) {
  own_bookmarks_->set("new-device", at("2026-11-20T08:00:00Z"));
  time_.set(at("2026-11-20T09:00:00Z"));
  source_.on_query(
      [](const std::string&, const std::string&) -> Expected<std::vector<WmiInstance>> {
        return std::vector<WmiInstance>{recorded("sms_r_system_row.json")};
      });
  committer_.hold(true);
  start();
  ASSERT_TRUE(run_until([&] { return committer_.held() == 1; }));
  // A live event queued behind the catch-up does not move it either.
  ASSERT_TRUE(source_.emit("new-device", new_device(16777300, "20261120085900.000000+***")));
  ASSERT_TRUE(run_until([&] { return stats().queued == 3; }));  // row, barrier, live event
  io_.run_for(std::chrono::milliseconds(20));
  EXPECT_EQ(bookmark(), at("2026-11-20T08:00:00Z"));
  committer_.release();
  ASSERT_TRUE(
      run_until([&] { return stats().inserted == 2 && bookmark() == at("2026-11-20T09:00:00Z"); }));
}

TEST_F(WatcherTest, ReconnectsAfterTransientSubscribeFailures) {
  source_.fail_subscribes({"0x80041015 WBEM_E_TRANSPORT_FAILURE: the connection broke",
                           "0x800706BA RPC_S_SERVER_UNAVAILABLE: the RPC server is unavailable"});
  start();
  ASSERT_TRUE(run_until([&] { return stats().connects == 1; }));
  const auto s = stats();
  EXPECT_EQ(s.failures, 2U);
  EXPECT_THAT(s.last_error, HasSubstr("subscribing: 0x800706BA"));
  EXPECT_EQ(source_.subscribes().size(), 3U);
  EXPECT_TRUE(source_.live("new-device"));
}

TEST_F(WatcherTest, PermanentFailuresAreRetriedToo) {
  source_.fail_subscribes({"0x80041003 WBEM_E_ACCESS_DENIED: access denied",
                           "0x80041010 WBEM_E_INVALID_CLASS: SMS_R_System",
                           "0x80041003 WBEM_E_ACCESS_DENIED: access denied"});
  start();
  ASSERT_TRUE(run_until([&] { return stats().connects == 1; }));
  EXPECT_EQ(stats().failures, 3U);
  EXPECT_EQ(source_.subscribes().size(), 4U);
}

TEST_F(WatcherTest, LostSubscriptionReconnectsAndCatchesUp) {
  source_.on_query(
      [](const std::string&, const std::string&) -> Expected<std::vector<WmiInstance>> {
        return std::vector<WmiInstance>{recorded("sms_r_system_row.json")};
      });
  start();
  ASSERT_TRUE(up());
  time_.set(at("2026-11-20T08:30:00Z"));
  ASSERT_TRUE(source_.emit("new-device", recorded("new_device_event.json")));
  ASSERT_TRUE(run_until([&] { return bookmark() == at("2026-11-20T08:12:00Z"); }));

  time_.set(at("2026-11-20T10:00:00Z"));
  ASSERT_TRUE(source_.lose("new-device", "0x80041001 WBEM_E_FAILED: SetStatus"));
  ASSERT_TRUE(
      run_until([&] { return stats().connects == 2 && bookmark() == at("2026-11-20T10:00:00Z"); }));
  EXPECT_THAT(source_.cancels(), Contains("new-device"));
  EXPECT_THAT(source_.queries(),
              ElementsAre("root\\sms\\site_PS1|SELECT * FROM SMS_R_System WHERE CreationDate > "
                          "'20261120080200.000000+000'"));
  const auto s = stats();
  EXPECT_EQ(s.failures, 1U);
  EXPECT_THAT(s.last_error, HasSubstr("the subscription was lost: 0x80041001 WBEM_E_FAILED"));
  EXPECT_EQ(s.inserted, 1U);
  EXPECT_EQ(s.duplicates, 1U);  // the catch-up re-delivered the committed instance
  EXPECT_TRUE(source_.live("new-device"));
}

TEST_F(WatcherTest, ALateLossOfAnOldConnectionIsIgnored) {
  start();
  ASSERT_TRUE(up());
  auto old_lost = source_.lost_callback("new-device");
  ASSERT_TRUE(source_.lose("new-device", "0x80041001 WBEM_E_FAILED: first"));
  ASSERT_TRUE(run_until([&] { return stats().connects == 2; }));
  // The first connection reports again (a sink released late): nothing changes.
  old_lost(Error{"0x80041001 WBEM_E_FAILED: late"});
  io_.run_for(std::chrono::milliseconds(30));
  EXPECT_EQ(stats().connects, 2U);
  EXPECT_EQ(stats().failures, 1U);
  EXPECT_EQ(stats().state, WmiEventWatcher::State::Up);
  EXPECT_EQ(source_.subscribes().size(), 2U);
}

TEST_F(WatcherTest, LossWhileConnectingIsAFailure) {
  source_.lose_during_subscribe(1);
  start();
  ASSERT_TRUE(run_until([&] { return stats().connects == 1; }));
  EXPECT_EQ(stats().failures, 1U);
  EXPECT_THAT(stats().last_error, HasSubstr("lost while connecting"));
  EXPECT_EQ(source_.subscribes().size(), 2U);
  EXPECT_THAT(source_.cancels(), Contains("new-device"));
}

TEST_F(WatcherTest, FailedResumeQueryCancelsAndRetries) {
  own_bookmarks_->set("new-device", at("2026-11-20T08:00:00Z"));
  source_.fail_queries({"0x80041045 WBEM_E_SERVER_TOO_BUSY: busy"});
  start();
  ASSERT_TRUE(run_until([&] { return stats().connects == 1; }));
  EXPECT_EQ(source_.subscribes().size(), 2U);
  EXPECT_EQ(source_.queries().size(), 2U);
  EXPECT_THAT(source_.cancels(), Contains("new-device"));
  EXPECT_THAT(stats().last_error, HasSubstr("running the resume query: 0x80041045"));
}

TEST_F(WatcherTest, FailedCommitsRetryTheSameBatch) {
  committer_.fail_next(2);
  start();
  ASSERT_TRUE(up());
  ASSERT_TRUE(source_.emit("new-device", recorded("new_device_event.json")));
  ASSERT_TRUE(run_until([&] { return stats().inserted == 1; }));
  const auto batches = committer_.batches();
  ASSERT_EQ(batches.size(), 3U);
  for (const auto& b : batches) {
    ASSERT_EQ(b.size(), 1U);
    EXPECT_EQ(b[0].id, "wmi-new-device-586c4534f748db84");
  }
  EXPECT_EQ(stats().commit_failures, 2U);
  ASSERT_TRUE(run_until([&] { return bookmark() == at("2026-11-20T08:12:00Z"); }));
}

TEST_F(WatcherTest, EventsAreSubmittedInOrderOneBatchAtATime) {
  committer_.hold(true);
  start();
  ASSERT_TRUE(up());
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(source_.emit("new-device", new_device(16777300 + i, "20261120081200.000000+***")));
  }
  ASSERT_TRUE(run_until([&] { return stats().queued == 5 && committer_.held() == 1; }));
  committer_.release();
  ASSERT_TRUE(run_until([&] { return stats().inserted == 5; }));
  std::vector<std::uint32_t> order;
  for (const auto& b : committer_.batches()) {
    for (const auto& t : b) order.push_back(*t.machine.resource_id);
  }
  EXPECT_THAT(order, ElementsAre(16777300, 16777301, 16777302, 16777303, 16777304));
  EXPECT_EQ(committer_.batches().size(), 2U);  // the first alone, the other four together
}

TEST_F(WatcherTest, AFullQueueDropsEventsAndFreezesTheBookmark) {
  options_.max_queue = 2;
  start();
  ASSERT_TRUE(run_until([&] { return bookmark() == at("2026-11-20T08:00:00Z"); }));
  committer_.hold(true);
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(source_.emit("new-device", new_device(16777300 + i, "20261120081200.000000+***")));
  }
  ASSERT_TRUE(run_until([&] { return stats().dropped == 2; }));
  committer_.release();
  ASSERT_TRUE(run_until([&] { return stats().inserted == 2 && stats().queued == 0; }));
  io_.run_for(std::chrono::milliseconds(20));
  // Dropped events are delivered again by the next start's catch-up, from here:
  EXPECT_EQ(bookmark(), at("2026-11-20T08:00:00Z"));
}

TEST_F(WatcherTest, NamespaceAutoIsResolvedOnce) {
  use_config(R"(wmi_events:
  subscriptions:
    - {name: new-device, preset: new-device}
    - {name: mdm, preset: mdm-enrollment}
)");
  source_.on_query(
      [](const std::string& ns, const std::string& wql) -> Expected<std::vector<WmiInstance>> {
        if (ns == "root\\sms" && wql.find("SMS_ProviderLocation") != std::string::npos) {
          return std::vector<WmiInstance>{recorded("provider_location_row.json")};
        }
        return std::vector<WmiInstance>{};
      });
  start();
  ASSERT_TRUE(run_until([&] { return stats().connects == 1 && stats("mdm").connects == 1; }));
  EXPECT_THAT(
      source_.subscribes(),
      ::testing::UnorderedElementsAre("new-device@root\\sms\\site_PS1", "mdm@root\\sms\\site_PS1"));
  EXPECT_THAT(source_.queries(),
              ElementsAre("root\\sms|SELECT SiteCode FROM SMS_ProviderLocation WHERE "
                          "ProviderForLocalSite = TRUE"));
  EXPECT_EQ(stats("mdm").ns, "root\\sms\\site_PS1");
}

TEST_F(WatcherTest, NamespaceAutoWithoutAProviderKeepsRetrying) {
  use_config(R"(wmi_events:
  subscriptions:
    - {name: new-device, preset: new-device}
)");
  start();
  ASSERT_TRUE(run_until([&] { return stats().failures >= 2; }));
  EXPECT_THAT(stats().last_error,
              HasSubstr("resolving namespace auto: no SMS Provider for the local site"));
  EXPECT_THAT(source_.subscribes(), IsEmpty());
}

constexpr std::string_view kOsd = R"(wmi_events:
  namespace: root\sms\site_PS1
  subscriptions:
    - {name: osd, preset: osd-success}
)";

TEST_F(WatcherTest, OsdSuccessLooksUpTheLastLogonUser) {
  use_config(std::string(kOsd));
  source_.fail_queries({"0x80041069 WBEM_E_TIMED_OUT: timed out"});  // the first lookup
  source_.on_query(
      [](const std::string&, const std::string& wql) -> Expected<std::vector<WmiInstance>> {
        if (wql.find("FROM SMS_R_System WHERE Name = 'WKS-0042'") != std::string::npos) {
          return std::vector<WmiInstance>{recorded("last_logon_row.json")};
        }
        return std::vector<WmiInstance>{};
      });
  start();
  ASSERT_TRUE(up("osd"));
  ASSERT_TRUE(source_.emit("osd", recorded("osd_success_11171_event.json")));
  ASSERT_TRUE(run_until([&] { return stats("osd").inserted == 1; }));
  const auto stored = committer_.stored();
  ASSERT_EQ(stored.size(), 1U);
  const Trigger& t = stored.begin()->second;
  EXPECT_EQ(t.kind, TriggerKind::Osd);
  EXPECT_EQ(t.user, "CONTOSO\\jdoe");
  EXPECT_EQ(t.machine.resource_id, 16777242U);
  EXPECT_EQ(t.machine.name, "WKS-0042");
  EXPECT_EQ(std::get<std::string>(t.attributes.at("user.source")), "last-logon");
  EXPECT_EQ(stats("osd").lookups, 2U);
  EXPECT_EQ(source_.queries().size(), 2U);
}

TEST_F(WatcherTest, LookupsThatFindNoUserSkipTheEvent) {
  use_config(std::string(kOsd));
  source_.on_query(
      [](const std::string&, const std::string&) -> Expected<std::vector<WmiInstance>> {
        WmiInstance row = recorded("last_logon_row.json");
        row.properties["LastLogonUserName"] = WmiValue{};
        return std::vector<WmiInstance>{row};
      });
  start();
  ASSERT_TRUE(up("osd"));
  ASSERT_TRUE(source_.emit("osd", recorded("osd_success_11171_event.json")));
  ASSERT_TRUE(run_until([&] { return stats("osd").skipped == 1; }));
  ASSERT_TRUE(run_until([&] { return bookmark("osd") == at("2026-11-20T10:15:00Z"); }));
  EXPECT_THAT(committer_.batches(), IsEmpty());
}

TEST_F(WatcherTest, LookupsGiveUpAfterTheirAttempts) {
  use_config(std::string(kOsd));
  options_.lookup_attempts = 2;
  source_.fail_queries({"0x80041069 WBEM_E_TIMED_OUT: 1", "0x80041069 WBEM_E_TIMED_OUT: 2"});
  start();
  ASSERT_TRUE(up("osd"));
  ASSERT_TRUE(source_.emit("osd", recorded("osd_success_11171_event.json")));
  ASSERT_TRUE(run_until([&] { return stats("osd").skipped == 1; }));
  EXPECT_EQ(stats("osd").lookups, 2U);
  EXPECT_THAT(stats("osd").last_error, HasSubstr("user lookup: 0x80041069"));
}

TEST_F(WatcherTest, TheBookmarkDoesNotPassAnEventWaitingForItsLookup) {
  use_config(R"(wmi_events:
  namespace: root\sms\site_PS1
  subscriptions:
    - name: osd
      preset: osd-success
      where: {TargetInstance.MessageID: 11171}
)");
  // Opened at the latest when the test ends, so the worker never stays blocked.
  struct Gate {
    std::promise<void> promise;
    bool opened = false;
    void open() {
      if (!opened) promise.set_value();
      opened = true;
    }
    ~Gate() { open(); }
  } gate;
  auto opened = gate.promise.get_future().share();
  source_.on_query(
      [opened](const std::string&, const std::string&) -> Expected<std::vector<WmiInstance>> {
        opened.wait();
        return std::vector<WmiInstance>{recorded("last_logon_row.json")};
      });
  start();
  ASSERT_TRUE(run_until([&] { return bookmark("osd") == at("2026-11-20T08:00:00Z"); }));
  // 10:15:00 waits for its lookup; 10:14:58 (11143) is skipped by `where` at once.
  auto later = recorded("osd_success_11143_event.json");
  later.properties["TargetInstance.Time"] = std::string("20261120103000.000000+***");
  ASSERT_TRUE(source_.emit("osd", recorded("osd_success_11171_event.json")));
  ASSERT_TRUE(source_.emit("osd", later));
  ASSERT_TRUE(run_until([&] { return stats("osd").skipped == 1; }));
  io_.run_for(std::chrono::milliseconds(20));
  EXPECT_EQ(bookmark("osd"), at("2026-11-20T08:00:00Z"));
  gate.open();
  ASSERT_TRUE(run_until([&] { return bookmark("osd") == at("2026-11-20T10:30:00Z"); }));
  EXPECT_EQ(stats("osd").inserted, 1U);
}

TEST_F(WatcherTest, AFailedBookmarkSaveIsTriedAgain) {
  flaky_.fail_saves = 1;
  bookmarks_ = &flaky_;
  start();
  ASSERT_TRUE(up());
  ASSERT_TRUE(run_until([&] { return !stats().last_error.empty(); }));
  EXPECT_THAT(stats().last_error, HasSubstr("bookmark: store: disk I/O error"));
  EXPECT_FALSE(bookmark());
  ASSERT_TRUE(source_.emit("new-device", recorded("new_device_event.json")));
  ASSERT_TRUE(run_until([&] { return bookmark() == at("2026-11-20T08:12:00Z"); }));
}

TEST_F(WatcherTest, DisabledSubscriptionsAreLeftAloneAndStopCancels) {
  use_config(R"(wmi_events:
  namespace: root\sms\site_PS1
  subscriptions:
    - {name: new-device, preset: new-device}
    - {name: osd, preset: osd-success, enabled: false}
)");
  start();
  ASSERT_TRUE(up());
  EXPECT_EQ(stats("osd").state, WmiEventWatcher::State::Stopped);
  EXPECT_THAT(source_.subscribes(), ElementsAre("new-device@root\\sms\\site_PS1"));
  EXPECT_FALSE(watcher_->start());  // only once
  watcher_->stop();
  EXPECT_THAT(source_.cancels(), Contains("new-device"));
  EXPECT_FALSE(source_.live("new-device"));
  EXPECT_EQ(stats().state, WmiEventWatcher::State::Stopped);
  watcher_->stop();  // idempotent
  // Events after stop are ignored.
  EXPECT_FALSE(source_.emit("new-device", recorded("new_device_event.json")));
}

TEST(WmiEventWatcherState, Names) {
  EXPECT_EQ(to_string(WmiEventWatcher::State::Up), "up");
  EXPECT_EQ(to_string(WmiEventWatcher::State::Waiting), "waiting");
  EXPECT_EQ(to_string(WmiEventWatcher::State::Connecting), "connecting");
  EXPECT_EQ(to_string(WmiEventWatcher::State::Stopped), "stopped");
}

TEST(WmiFailures, CodesAndClasses) {
  EXPECT_EQ(wmi_failure_code(Error{"0x80041001 WBEM_E_FAILED: x"}), 0x80041001U);
  EXPECT_EQ(wmi_failure_code(Error{"0x800706ba: x"}), 0x800706BAU);
  EXPECT_EQ(wmi_failure_code(Error{"0x80041001"}), 0x80041001U);
  EXPECT_FALSE(wmi_failure_code(Error{"failed 0x80041001"}));
  EXPECT_FALSE(wmi_failure_code(Error{"0x8004100"}));
  EXPECT_FALSE(wmi_failure_code(Error{"0x800410011 x"}));
  EXPECT_FALSE(is_permanent_wmi_failure(Error{"0x80041001 WBEM_E_FAILED: x"}));
  EXPECT_FALSE(is_permanent_wmi_failure(Error{"0x80041015 WBEM_E_TRANSPORT_FAILURE: x"}));
  EXPECT_FALSE(is_permanent_wmi_failure(Error{"something broke"}));
  EXPECT_TRUE(is_permanent_wmi_failure(Error{"0x80041003 WBEM_E_ACCESS_DENIED: x"}));
  EXPECT_TRUE(is_permanent_wmi_failure(Error{"0x8004100E WBEM_E_INVALID_NAMESPACE: x"}));
  EXPECT_TRUE(is_permanent_wmi_failure(Error{"0x80041017 WBEM_E_INVALID_QUERY: x"}));
  EXPECT_THAT(wmi_failure_hint(Error{"0x80041003 x"}), HasSubstr("SMS Admins"));
  EXPECT_EQ(wmi_failure_hint(Error{"0x80041001 x"}), "");
}

}  // namespace
}  // namespace uda
