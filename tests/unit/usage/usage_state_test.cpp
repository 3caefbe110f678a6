// UsageState: the poller's watermarks and pass cursor in SQLite.

#include "sources/usage/usage_state.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "store/sqlite.hpp"
#include "temp_dir.hpp"

namespace uda {
namespace {

using ::testing::HasSubstr;

const TimePoint kStateT0 = from_unix_ms(1'800'000'000'000);

UsageWatermark mark(std::uint32_t resource, std::string user, std::string minutes = "10") {
  UsageWatermark w;
  w.values.resource_id = resource;
  w.values.user_lc = std::move(user);
  w.values.minutes = std::move(minutes);
  w.values.logons = 2;
  w.values.last_use_ms = to_unix_ms(kStateT0);
  w.trigger_id = usage_trigger_id(w.values);
  w.sent_at = kStateT0;
  return w;
}

std::unique_ptr<UsageState> open_state(const std::filesystem::path& p) {
  auto s = UsageState::open(p);
  EXPECT_TRUE(s) << (s ? "" : s.error().message);
  return s ? std::move(*s) : nullptr;
}

TEST(UsageState, CreatesFolderFileAndSchema) {
  test::TempDir dir;
  const auto path = dir.path() / "var" / "usage.db";
  auto s = open_state(path);
  ASSERT_TRUE(s);
  EXPECT_TRUE(std::filesystem::exists(path));
  EXPECT_EQ(s->schema_version(), usage_state_schema_version());
  auto c = s->cursor();
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->state, PassState::None);
  EXPECT_EQ(*s->watermark_count(), 0U);
  // WAL and synchronous=FULL.
  auto db = sqlite::Connection::open(path, sqlite::Connection::Mode::ReadOnly);
  auto mode = db.prepare("PRAGMA journal_mode");
  ASSERT_TRUE(mode.step());
  EXPECT_EQ(mode.text(0), "wal");
}

TEST(UsageState, PassCursorLifecycle) {
  test::TempDir dir;
  const auto path = dir.path() / "usage.db";
  {
    auto s = open_state(path);
    ASSERT_TRUE(s);
    ASSERT_TRUE(s->begin_pass(kStateT0));
    UsagePageRecord page;
    page.after = 0;
    page.last = 16777230;
    page.at = kStateT0 + Millis(10);
    page.sent = {mark(16777221, "contoso\\a"), mark(16777230, "contoso\\b")};
    ASSERT_TRUE(s->record_page(page));
  }
  {
    // Reopened ("restart"): the pass is still running at its cursor.
    auto s = open_state(path);
    ASSERT_TRUE(s);
    auto c = s->cursor();
    ASSERT_TRUE(c);
    EXPECT_EQ(c->state, PassState::Running);
    EXPECT_EQ(c->after_resource_id, 16777230U);
    EXPECT_EQ(c->started_at, kStateT0);
    EXPECT_FALSE(c->finished_at);
    EXPECT_EQ(*s->watermark_count(), 2U);

    UsagePageRecord last;
    last.after = 16777230;
    last.last = 16777240;
    last.last_page = true;
    last.at = kStateT0 + Millis(20);
    ASSERT_TRUE(s->record_page(last));
    c = s->cursor();
    ASSERT_TRUE(c);
    EXPECT_EQ(c->state, PassState::Complete);
    EXPECT_EQ(c->finished_at, kStateT0 + Millis(20));

    ASSERT_TRUE(s->begin_pass(kStateT0 + Millis(1000)));
    c = s->cursor();
    EXPECT_EQ(c->state, PassState::Running);
    EXPECT_EQ(c->after_resource_id, 0U);
    EXPECT_EQ(c->started_at, kStateT0 + Millis(1000));
    ASSERT_TRUE(s->fail_pass(kStateT0 + Millis(2000)));
    c = s->cursor();
    EXPECT_EQ(c->state, PassState::Failed);
    EXPECT_EQ(c->finished_at, kStateT0 + Millis(2000));
  }
}

TEST(UsageState, WatermarksByRangeUpsertAndGone) {
  test::TempDir dir;
  auto s = open_state(dir.path() / "usage.db");
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->begin_pass(kStateT0));
  UsagePageRecord page;
  page.after = 0;
  page.last = 30;
  page.at = kStateT0;
  page.sent = {mark(10, "d\\a"), mark(10, "d\\b"), mark(20, "d\\a"), mark(30, "d\\c")};
  ASSERT_TRUE(s->record_page(page));

  auto w = s->watermarks(10, 30);
  ASSERT_TRUE(w) << w.error().message;
  ASSERT_EQ(w->size(), 2U);  // (10, 30]: devices 20 and 30
  EXPECT_EQ((*w)[0].values, mark(20, "d\\a").values);
  EXPECT_EQ((*w)[0].trigger_id, mark(20, "d\\a").trigger_id);
  EXPECT_EQ((*w)[0].sent_at, kStateT0);
  EXPECT_EQ((*w)[1].values.user_lc, "d\\c");

  // Upsert changes values; `gone` deletes.
  UsagePageRecord again;
  again.after = 0;
  again.last = 30;
  again.at = kStateT0;
  again.sent = {mark(10, "d\\a", "11")};
  again.gone = {{10, "d\\b"}};
  ASSERT_TRUE(s->record_page(again));
  w = s->watermarks(0, 10);
  ASSERT_TRUE(w);
  ASSERT_EQ(w->size(), 1U);
  EXPECT_EQ((*w)[0].values.minutes, "11");

  // The last page drops every watermark above its last device.
  UsagePageRecord last;
  last.after = 0;
  last.last = 20;
  last.last_page = true;
  last.at = kStateT0;
  ASSERT_TRUE(s->record_page(last));
  EXPECT_EQ(*s->watermark_count(), 2U);  // 10/a, 20/a
}

TEST(UsageState, NewerSchemaIsRefused) {
  test::TempDir dir;
  const auto path = dir.path() / "usage.db";
  {
    auto db = sqlite::Connection::open(path, sqlite::Connection::Mode::ReadWriteCreate);
    db.exec("PRAGMA user_version = 99");
  }
  auto s = UsageState::open(path);
  ASSERT_FALSE(s);
  EXPECT_THAT(s.error().message, HasSubstr("schema version 99"));
}

TEST(UsageState, UnusablePathIsAnError) {
  test::TempDir dir;
  const auto file = dir.path() / "file";
  std::ofstream(file) << "x";
  auto s = UsageState::open(file / "usage.db");  // a folder that is a file
  ASSERT_FALSE(s);
  EXPECT_THAT(s.error().message, HasSubstr("usage state"));
  EXPECT_FALSE(UsageState::open(""));
}

}  // namespace
}  // namespace uda
