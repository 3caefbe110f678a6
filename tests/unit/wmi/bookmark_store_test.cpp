// The agent's durable WMI event bookmarks (SQLite).
#include <gtest/gtest.h>

#include "sources/wmi_events/sqlite_bookmark_store.hpp"
#include "temp_dir.hpp"

namespace uda {
namespace {

using test::TempDir;

TEST(SqliteBookmarkStore, SurvivesReopen) {
  TempDir dir("uda-bookmarks");
  const auto path = default_bookmark_path(dir.path() / "uda.db");
  EXPECT_EQ(path, dir.path() / "wmi-bookmarks.db");
  const auto t1 = from_unix_ms(1'795'000'000'123);
  const auto t2 = from_unix_ms(1'795'000'999'000);
  {
    auto s = SqliteBookmarkStore::open(path);
    ASSERT_TRUE(s) << s.error().message;
    auto none = (*s)->load("new-device");
    ASSERT_TRUE(none) << none.error().message;
    EXPECT_FALSE(*none);
    ASSERT_TRUE((*s)->save("new-device", t1));
    ASSERT_TRUE((*s)->save("osd-success", t1));
    ASSERT_TRUE((*s)->save("new-device", t2));
  }
  auto s = SqliteBookmarkStore::open(path);
  ASSERT_TRUE(s) << s.error().message;
  auto a = (*s)->load("new-device");
  ASSERT_TRUE(a && *a);
  EXPECT_EQ(to_unix_ms(**a), to_unix_ms(t2));
  auto b = (*s)->load("osd-success");
  ASSERT_TRUE(b && *b);
  EXPECT_EQ(to_unix_ms(**b), to_unix_ms(t1));
}

TEST(SqliteBookmarkStore, UnwritablePathIsAnError) {
  TempDir dir("uda-bookmarks");
  // A directory where the file should be: opening must fail with the path.
  std::filesystem::create_directories(dir.path() / "d.db");
  auto d = SqliteBookmarkStore::open(dir.path() / "d.db");
  ASSERT_FALSE(d);
  EXPECT_NE(d.error().message.find("d.db"), std::string::npos) << d.error().message;
}

}  // namespace
}  // namespace uda
