// The store's own SQLite wrapper: binds and columns, transactions, errors.

#include "store/sqlite.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "test_support.hpp"

namespace uda {
namespace {

using ::testing::HasSubstr;

class StoreSqliteTest : public ::testing::Test {
 protected:
  void SetUp() override { db_.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER, s TEXT)"); }
  int count() {
    auto st = db_.prepare("SELECT COUNT(*) FROM t");
    EXPECT_TRUE(st.step());
    return static_cast<int>(st.int64(0));
  }
  test::TempDir dir_;
  sqlite::Connection db_ =
      sqlite::Connection::open(dir_.path() / "w.db", sqlite::Connection::Mode::ReadWriteCreate);
};

TEST_F(StoreSqliteTest, TypedBindsAndColumnsRoundTrip) {
  const std::string tricky = std::string("x'); DROP TABLE t;--\0tail", 25);
  db_.prepare("INSERT INTO t (id, n, s) VALUES (?1, ?2, ?3)")
      .bind(1, 1)
      .bind(2, std::int64_t{-9'000'000'000})
      .bind(3, tricky)
      .run();
  db_.prepare("INSERT INTO t (id, n, s) VALUES (?1, ?2, ?3)")
      .bind(1, 2)
      .bind(2, std::optional<std::uint32_t>{})
      .bind(3, std::optional<std::string>{})
      .run();
  db_.prepare("INSERT INTO t (id, n, s) VALUES (?1, ?2, ?3)")
      .bind(1, 3)
      .bind(2, test::t0())
      .bind(3, "")
      .run();

  auto st = db_.prepare("SELECT n, s FROM t ORDER BY id");
  ASSERT_TRUE(st.step());
  EXPECT_EQ(st.int64(0), -9'000'000'000);
  EXPECT_EQ(st.text(1), tricky);  // embedded NUL kept: lengths are explicit
  ASSERT_TRUE(st.step());
  EXPECT_TRUE(st.is_null(0));
  EXPECT_EQ(st.opt_int64(0), std::nullopt);
  EXPECT_EQ(st.opt_text(1), std::nullopt);
  ASSERT_TRUE(st.step());
  EXPECT_EQ(st.time(0), test::t0());
  EXPECT_EQ(st.opt_text(1), std::optional<std::string>(""));
  EXPECT_FALSE(st.step());
}

TEST_F(StoreSqliteTest, TransactionRollsBackUnlessCommitted) {
  {
    sqlite::Transaction tx(db_);
    db_.exec("INSERT INTO t (n) VALUES (1)");
  }
  EXPECT_EQ(count(), 0);
  {
    sqlite::Transaction tx(db_);
    db_.exec("INSERT INTO t (n) VALUES (1)");
    tx.commit();
  }
  EXPECT_EQ(count(), 1);
}

TEST_F(StoreSqliteTest, ErrorsCarryCodeAndMessage) {
  try {
    (void)db_.prepare("SELECT * FROM missing_table");
    FAIL() << "prepare should have thrown";
  } catch (const sqlite::Error& e) {
    EXPECT_EQ(e.primary(), SQLITE_ERROR);
    EXPECT_THAT(e.what(), HasSubstr("no such table: missing_table"));
  }
  db_.exec("CREATE UNIQUE INDEX t_n ON t (n)");
  db_.exec("INSERT INTO t (n) VALUES (5)");
  try {
    db_.prepare("INSERT INTO t (n) VALUES (?1)").bind(1, 5).run();
    FAIL() << "a duplicate should have thrown";
  } catch (const sqlite::Error& e) {
    EXPECT_EQ(e.primary(), SQLITE_CONSTRAINT);
    EXPECT_THAT(e.what(), HasSubstr("SQLITE_CONSTRAINT"));
  }
}

TEST_F(StoreSqliteTest, DiskFullIsAnErrorAndRollsBack) {
  db_.exec("PRAGMA max_page_count = 3");  // about as full as a disk can be
  bool threw = false;
  try {
    sqlite::Transaction tx(db_);
    for (int i = 0; i < 10'000; ++i) {
      db_.cached("INSERT INTO t (n, s) VALUES (?1, ?2)")
          .bind(1, i)
          .bind(2, std::string(200, 'x'))
          .run();
    }
    tx.commit();
  } catch (const sqlite::Error& e) {
    threw = true;
    EXPECT_EQ(e.primary(), SQLITE_FULL) << e.what();
  }
  EXPECT_TRUE(threw);
  EXPECT_EQ(count(), 0);
  // The connection is still usable.
  db_.exec("PRAGMA max_page_count = 1000000");
  db_.cached("INSERT INTO t (n) VALUES (?1)").bind(1, 1).run();
  EXPECT_EQ(count(), 1);
}

TEST_F(StoreSqliteTest, CachedStatementsAreReusedAndNestedUseIsSafe) {
  for (int i = 0; i < 3; ++i) db_.cached("INSERT INTO t (n) VALUES (?1)").bind(1, i).run();
  EXPECT_EQ(count(), 3);
  const char* sql = "SELECT n FROM t WHERE n >= ?1 ORDER BY n";
  auto outer = db_.cached(sql);
  outer.bind(1, 0);
  int rows = 0;
  while (outer.step()) {
    auto inner = db_.cached(sql);  // same SQL while the cached one is busy
    inner.bind(1, outer.int64(0));
    int inner_rows = 0;
    while (inner.step()) ++inner_rows;
    EXPECT_EQ(inner_rows, 3 - rows);
    ++rows;
  }
  EXPECT_EQ(rows, 3);
}

TEST_F(StoreSqliteTest, ReadOnlyConnectionCannotWrite) {
  db_.exec("INSERT INTO t (n) VALUES (1)");
  auto ro = sqlite::Connection::open(dir_.path() / "w.db", sqlite::Connection::Mode::ReadOnly);
  EXPECT_TRUE(ro.read_only());
  try {
    ro.exec("INSERT INTO t (n) VALUES (2)");
    FAIL() << "write through a read-only connection";
  } catch (const sqlite::Error& e) {
    EXPECT_EQ(e.primary(), SQLITE_READONLY);
  }
}

TEST(StoreSqliteOpenTest, MissingFileReadOnlyFailsWithMessage) {
  test::TempDir dir;
  try {
    (void)sqlite::Connection::open(dir.path() / "nope.db", sqlite::Connection::Mode::ReadOnly);
    FAIL() << "opened a missing file read-only";
  } catch (const sqlite::Error& e) {
    EXPECT_EQ(e.primary(), SQLITE_CANTOPEN);
    EXPECT_THAT(e.what(), HasSubstr("unable to open database file"));
  }
}

TEST(StoreSqliteOpenTest, CodeNames) {
  EXPECT_EQ(sqlite::code_name(SQLITE_BUSY), "SQLITE_BUSY");
  EXPECT_EQ(sqlite::code_name(SQLITE_IOERR_FSYNC), "SQLITE_IOERR[1034]");
  EXPECT_EQ(sqlite::code_name(SQLITE_FULL), "SQLITE_FULL");
}

}  // namespace
}  // namespace uda
