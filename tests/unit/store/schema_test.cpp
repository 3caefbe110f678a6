// Opening the store: schema creation and migration, version checks, the
// read-only mode the CLI uses while the agent writes.

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#ifndef _WIN32
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#endif

#include <csignal>
#include <fstream>
#include <set>
#include <string>

#include "store/job_store.hpp"
#include "store/migrations.hpp"
#include "store/sqlite.hpp"
#include "test_support.hpp"

namespace uda {
namespace {

using test::make_trigger;
using test::open_store;
using test::t0;
using ::testing::HasSubstr;

std::set<std::string> schema_objects(const std::filesystem::path& path, const char* type) {
  auto db = sqlite::Connection::open(path, sqlite::Connection::Mode::ReadOnly);
  auto st =
      db.prepare("SELECT name FROM sqlite_schema WHERE type = ?1 AND name NOT LIKE 'sqlite_%'");
  st.bind(1, type);
  std::set<std::string> out;
  while (st.step()) out.insert(st.text(0));
  return out;
}

std::string pragma_text(const std::filesystem::path& path, const char* sql) {
  auto db = sqlite::Connection::open(path, sqlite::Connection::Mode::ReadOnly);
  auto st = db.prepare(sql);
  return st.step() ? st.text(0) : "";
}

TEST(StoreSchemaTest, MigratesAnEmptyFileToTheLatestVersion) {
  test::TempDir dir;
  const auto path = dir.path() / "sub" / "dir" / "uda.db";  // parents are created
  auto store = open_store(path);
  ASSERT_TRUE(store);
  EXPECT_EQ(store->schema_version(), store::latest_schema_version());
  EXPECT_GE(store::latest_schema_version(), 1);

  EXPECT_EQ(schema_objects(path, "table"),
            (std::set<std::string>{"triggers", "jobs", "attempts", "idempotency"}));
  const auto indexes = schema_objects(path, "index");
  for (const char* name :
       {"jobs_due", "jobs_key", "jobs_active_created", "jobs_finished", "triggers_received",
        "triggers_skipped", "triggers_job", "attempts_job"}) {
    EXPECT_TRUE(indexes.contains(name)) << name;
  }
  // Replaced by version 3.
  for (const char* name : {"jobs_active_key", "jobs_done_key", "triggers_state_received"}) {
    EXPECT_FALSE(indexes.contains(name)) << name;
  }
  EXPECT_EQ(schema_objects(path, "trigger"), (std::set<std::string>{"jobs_one_active_per_key"}));
  EXPECT_EQ(pragma_text(path, "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(pragma_text(path, "PRAGMA user_version"),
            std::to_string(store::latest_schema_version()));
}

// A store written by an older uda-agent (schema 1) is migrated in place and
// keeps its rows.
TEST(StoreSchemaTest, MigratesAVersionOneStoreKeepingItsRows) {
  test::TempDir dir;
  const auto path = dir.path() / "uda.db";
  {
    auto db = sqlite::Connection::open(path, sqlite::Connection::Mode::ReadWriteCreate);
    db.exec(std::string(store::migrations()[0].sql));
    db.exec("PRAGMA user_version = 1");
    db.exec(
        "INSERT INTO triggers (id, kind, machine_resource_id, user, origin, received_at_ms) "
        "VALUES ('old-1', 'osd', 16777220, 'CONTOSO\\jdoe', 'cli', 1800000000000)");
  }
  auto store = open_store(path);
  ASSERT_TRUE(store);
  EXPECT_EQ(store->schema_version(), store::latest_schema_version());
  auto t = store->get_trigger("old-1");
  ASSERT_TRUE(t && *t);
  EXPECT_EQ((*t)->trigger.user, "CONTOSO\\jdoe");
  auto none = store->find_idempotency("x", "y");
  ASSERT_TRUE(none) << none.error().message;
  EXPECT_FALSE(none->has_value());
}

// A version 2 store with jobs in every state is migrated to version 3 in
// place: rows kept, the new indexes answer the same questions, and a second
// active job with a key is still refused by the database.
TEST(StoreSchemaTest, MigratesAVersionTwoStoreToKeyIndexesThatStateChangesDoNotMove) {
  test::TempDir dir;
  const auto path = dir.path() / "uda.db";
  {
    auto db = sqlite::Connection::open(path, sqlite::Connection::Mode::ReadWriteCreate);
    db.exec(std::string(store::migrations()[0].sql));
    db.exec(std::string(store::migrations()[1].sql));
    db.exec("PRAGMA user_version = 2");
    db.exec(
        "INSERT INTO jobs (id, trigger_id, machine_resource_id, user, source_id, type_id, "
        "idempotency_key, state, next_attempt_at_ms, created_at_ms, updated_at_ms, "
        "finished_at_ms) VALUES "
        "(1, 't1', 16777220, 'C\\a', 4, 1, 'k-pending', 'pending', 0, 0, 0, NULL), "
        "(2, 't2', 16777221, 'C\\b', 4, 1, 'k-done', 'done', 0, 0, 0, 4102444800000), "
        "(3, 't3', 16777222, 'C\\c', 4, 1, 'k-dead', 'dead', 0, 0, 0, 1)");
    db.exec(
        "INSERT INTO triggers (id, kind, machine_resource_id, user, received_at_ms, state) "
        "VALUES ('r1', 'osd', 16777220, 'C\\a', 5, 'received'), "
        "('s1', 'osd', 16777220, 'C\\a', 6, 'skipped')");
  }
  auto store = open_store(path);
  ASSERT_TRUE(store);
  EXPECT_EQ(store->schema_version(), store::latest_schema_version());
  auto received = store->received_triggers(10);
  ASSERT_TRUE(received) << received.error().message;
  ASSERT_EQ(received->size(), 1U);
  EXPECT_EQ(received->front().id, "r1");
  auto job = store->get_job(2);
  ASSERT_TRUE(job && *job);
  EXPECT_EQ((*job)->state, JobState::Done);

  auto db = sqlite::Connection::open(path, sqlite::Connection::Mode::ReadWriteCreate);
  // A job with a key of its own may become active again...
  db.exec("UPDATE jobs SET state = 'pending' WHERE id = 3");
  db.exec("UPDATE jobs SET state = 'dead' WHERE id = 3");
  // ...but not as a second active job with k-pending: refused, row unchanged.
  try {
    db.exec("UPDATE jobs SET idempotency_key = 'k-pending', state = 'pending' WHERE id = 3");
    ADD_FAILURE() << "a second active job with one key was accepted";
  } catch (const sqlite::Error& e) {
    EXPECT_EQ(e.primary(), SQLITE_CONSTRAINT);
    EXPECT_THAT(e.what(), HasSubstr("another pending or leased job has this idempotency key"));
  }
  auto st = db.prepare("SELECT state, idempotency_key FROM jobs WHERE id = 3");
  ASSERT_TRUE(st.step());
  EXPECT_EQ(st.text(0), "dead");
  EXPECT_EQ(st.text(1), "k-dead");
}

TEST(StoreSchemaTest, MigrationsAreOrderedAndContiguous) {
  int expected = 1;
  for (const auto& m : store::migrations()) {
    EXPECT_EQ(m.version, expected++) << m.name;
    EXPECT_FALSE(m.sql.empty());
  }
}

TEST(StoreSchemaTest, ReopenIsIdempotentAndKeepsData) {
  test::TempDir dir;
  const auto path = dir.path() / "uda.db";
  {
    auto store = open_store(path);
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->insert_triggers(std::vector{make_trigger("a", 16777220, "C\\u")}));
  }
  for (int i = 0; i < 2; ++i) {
    auto store = open_store(path);
    ASSERT_TRUE(store);
    EXPECT_EQ(store->schema_version(), store::latest_schema_version());
    auto t = store->get_trigger("a");
    ASSERT_TRUE(t && *t);
  }
}

TEST(StoreSchemaTest, RefusesAStoreFromANewerAgent) {
  test::TempDir dir;
  const auto path = dir.path() / "uda.db";
  { ASSERT_TRUE(open_store(path)); }
  const int newer = store::latest_schema_version() + 7;
  {
    auto db = sqlite::Connection::open(path, sqlite::Connection::Mode::ReadWriteCreate);
    db.exec("PRAGMA user_version = " + std::to_string(newer));
  }
  for (bool read_only : {false, true}) {
    StoreOptions so;
    so.path = path;
    so.read_only = read_only;
    auto s = JobStore::open(so);
    ASSERT_FALSE(s);
    EXPECT_THAT(s.error().message,
                HasSubstr(fmt::format("has schema version {}; this uda-agent knows up to {}; "
                                      "upgrade uda-agent",
                                      newer, store::latest_schema_version())));
    EXPECT_THAT(s.error().message, HasSubstr(path.string()));
  }
  // Untouched.
  EXPECT_EQ(pragma_text(path, "PRAGMA user_version"), std::to_string(newer));
}

TEST(StoreSchemaTest, ReadOnlyOpenOfAMissingFileSaysHowToFixIt) {
  test::TempDir dir;
  const auto path = dir.path() / "nothing-here.db";
  StoreOptions so;
  so.path = path;
  so.read_only = true;
  auto s = JobStore::open(so);
  ASSERT_FALSE(s);
  EXPECT_THAT(s.error().message, HasSubstr("does not exist"));
  EXPECT_THAT(s.error().message, HasSubstr("start the agent or submit a trigger first"));
  EXPECT_FALSE(std::filesystem::exists(path)) << "a read-only open must not create the file";
}

TEST(StoreSchemaTest, ReadOnlyOpenOfAnUninitialisedFileIsAnError) {
  test::TempDir dir;
  const auto path = dir.path() / "empty.db";
  { auto db = sqlite::Connection::open(path, sqlite::Connection::Mode::ReadWriteCreate); }
  StoreOptions so;
  so.path = path;
  so.read_only = true;
  auto s = JobStore::open(so);
  ASSERT_FALSE(s);
  EXPECT_THAT(s.error().message, HasSubstr("not initialised"));
}

TEST(StoreSchemaTest, NotADatabaseIsAClearError) {
  test::TempDir dir;
  const auto path = dir.path() / "junk.db";
  {
    std::ofstream f(path);
    f << std::string(4096, 'j');
  }
  StoreOptions so;
  so.path = path;
  auto s = JobStore::open(so);
  ASSERT_FALSE(s);
  EXPECT_THAT(s.error().message, HasSubstr("not a database"));
  EXPECT_THAT(s.error().message, HasSubstr(path.string()));
}

TEST(StoreSchemaTest, ReadOnlyStoreSeesWritesOfAnotherConnectionAndNeverWrites) {
  test::TempDir dir;
  const auto path = dir.path() / "uda.db";
  auto writer = open_store(path);
  ASSERT_TRUE(writer);
  ASSERT_TRUE(writer->insert_triggers(std::vector{make_trigger("first", 16777220, "C\\u")}));

  auto reader = open_store(path, /*read_only=*/true);  // the WAL is live: the agent runs
  ASSERT_TRUE(reader);
  EXPECT_TRUE(reader->options().read_only);
  auto first = reader->get_trigger("first");
  ASSERT_TRUE(first && *first) << (first ? "" : first.error().message);

  // The writer keeps writing while the reader is open; the reader sees it.
  ASSERT_TRUE(writer->insert_triggers(std::vector{make_trigger("second", 16777221, "C\\v")}));
  std::vector<std::pair<std::string, Decision>> ds{{"second", test::create_decision()}};
  ASSERT_TRUE(writer->record_decisions(ds, t0()));
  auto second = reader->get_trigger("second");
  ASSERT_TRUE(second && *second);
  EXPECT_EQ((*second)->state, "decided");
  EXPECT_EQ((*second)->job_state, JobState::Pending);
  auto counts = reader->counts();
  ASSERT_TRUE(counts) << counts.error().message;
  EXPECT_EQ(counts->triggers_received, 1);
  EXPECT_EQ(counts->jobs_by_state["pending"], 1);

  // Writes through the read-only store are refused, clearly.
  auto ins = reader->insert_triggers(std::vector{make_trigger("third", 1, "C\\w")});
  ASSERT_FALSE(ins);
  EXPECT_THAT(ins.error().message, HasSubstr("read-only"));
  auto claim = reader->claim_due(10, t0(), Millis(1000), "cli");
  ASSERT_FALSE(claim);
  EXPECT_THAT(claim.error().message, HasSubstr("read-only"));
}

// The CLI (read-only) reads while the agent (another process) keeps the store
// open in WAL mode and writes.
TEST(StoreSchemaTest, ReadOnlyOpenWhileAnotherProcessWrites) {
#ifdef _WIN32
  GTEST_SKIP() << "the second process is made with fork(); the integration tests cover it";
#else
  test::TempDir dir;
  const auto path = dir.path() / "uda.db";
  int to_child[2];
  int to_parent[2];
  ASSERT_EQ(::pipe(to_child), 0);
  ASSERT_EQ(::pipe(to_parent), 0);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    // The "agent": writes, tells the parent, waits, writes again, waits, exits.
    int rc = 1;
    StoreOptions so;
    so.path = path;
    if (auto s = JobStore::open(so)) {
      auto& store = **s;
      char c = 0;
      if (store.insert_triggers(std::vector{make_trigger("one", 1, "C\\u")}) &&
          ::write(to_parent[1], "1", 1) == 1 && ::read(to_child[0], &c, 1) == 1 &&
          store.insert_triggers(std::vector{make_trigger("two", 2, "C\\u")}) &&
          ::write(to_parent[1], "2", 1) == 1 && ::read(to_child[0], &c, 1) == 1) {
        rc = 0;
      }
    }
    ::_exit(rc);
  }
  char c = 0;
  ASSERT_EQ(::read(to_parent[0], &c, 1), 1);
  {
    auto reader = open_store(path, /*read_only=*/true);
    ASSERT_TRUE(reader);
    auto one = reader->get_trigger("one");
    ASSERT_TRUE(one) << one.error().message;
    EXPECT_TRUE(*one);
    ASSERT_EQ(::write(to_child[1], "a", 1), 1);
    ASSERT_EQ(::read(to_parent[0], &c, 1), 1);
    auto list = reader->list_triggers(10);
    ASSERT_TRUE(list) << list.error().message;
    EXPECT_EQ(list->size(), 2U);
  }
  ASSERT_EQ(::write(to_child[1], "b", 1), 1);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  for (int fd : {to_child[0], to_child[1], to_parent[0], to_parent[1]}) ::close(fd);
  // The writer is gone; the file is still readable.
  auto reader = open_store(path, /*read_only=*/true);
  ASSERT_TRUE(reader);
  EXPECT_EQ(reader->list_triggers(10)->size(), 2U);
#endif
}

TEST(StoreSchemaTest, ReadOnlyOpenWorksAfterTheWriterClosed) {
  test::TempDir dir;
  const auto path = dir.path() / "uda.db";
  {
    auto writer = open_store(path);
    ASSERT_TRUE(writer);
    ASSERT_TRUE(writer->insert_triggers(std::vector{make_trigger("a", 16777220, "C\\u")}));
  }
  auto reader = open_store(path, /*read_only=*/true);
  ASSERT_TRUE(reader);
  auto list = reader->list_triggers(10);
  ASSERT_TRUE(list) << list.error().message;
  EXPECT_EQ(list->size(), 1U);
  // And a writer can open again next to it.
  auto writer = open_store(path);
  ASSERT_TRUE(writer);
  ASSERT_TRUE(writer->insert_triggers(std::vector{make_trigger("b", 16777221, "C\\u")}));
  auto again = reader->list_triggers(10);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->size(), 2U);
}

TEST(StoreSchemaTest, BusyStoreIsAnErrorNotAHang) {
  test::TempDir dir;
  const auto path = dir.path() / "uda.db";
  StoreOptions so;
  so.path = path;
  so.busy_timeout = Millis(0);
  auto s = JobStore::open(so);
  ASSERT_TRUE(s) << s.error().message;
  auto& store = **s;
  // Another process holds the write lock (e.g. a CLI command in a transaction).
  auto other = sqlite::Connection::open(path, sqlite::Connection::Mode::ReadWriteCreate);
  sqlite::Transaction hold(other);
  auto r = store.insert_triggers(std::vector{make_trigger("a", 16777220, "C\\u")});
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message, HasSubstr("SQLITE_BUSY"));
  EXPECT_THAT(r.error().message, HasSubstr("busy_timeout"));
  EXPECT_THAT(r.error().message, HasSubstr("insert 1 trigger(s)"));
  // Reads still work in WAL mode.
  EXPECT_TRUE(store.counts());
}

// A disk that fills up mid-batch (simulated with RLIMIT_FSIZE): an error that
// names the problem, nothing half-written, and the store keeps working.
TEST(StoreSchemaTest, DiskFullIsAnErrorAndNothingIsHalfWritten) {
#ifdef _WIN32
  GTEST_SKIP() << "a full disk is simulated with RLIMIT_FSIZE, which Windows does not have";
#else
  test::TempDir dir;
  const auto path = dir.path() / "uda.db";
  auto store = open_store(path);
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->insert_triggers(std::vector{make_trigger("before", 1, "C\\u")}));

  std::vector<Trigger> big;
  for (int i = 0; i < 2'000; ++i) {
    Trigger t = make_trigger("big-" + std::to_string(i), 1, "C\\u");
    t.attributes = {{"blob", std::string(2'000, 'x')}};
    big.push_back(std::move(t));
  }
  std::uintmax_t largest = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    largest = std::max(largest, e.file_size());
  }
  rlimit saved{};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &saved), 0);
  const auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  rlimit small = saved;
  small.rlim_cur = static_cast<rlim_t>(largest + 64 * 1024);
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  auto r = store->insert_triggers(big);
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &saved), 0);
  std::signal(SIGXFSZ, old_handler);

  ASSERT_FALSE(r) << "the batch cannot fit";
  EXPECT_THAT(r.error().message, HasSubstr("could not insert 2000 trigger(s)"));
  EXPECT_THAT(r.error().message,
              ::testing::AnyOf(HasSubstr("SQLITE_FULL"), HasSubstr("SQLITE_IOERR")));
  auto counts = store->counts();
  ASSERT_TRUE(counts) << counts.error().message;
  EXPECT_EQ(counts->triggers_received, 1) << "all or nothing";
  // The store remembers the fault until a write commits again; taking the
  // write lock (what a health check does) proves nothing about the disk.
  ASSERT_TRUE(store->write_fault());
  EXPECT_THAT(*store->write_fault(), HasSubstr("could not insert 2000 trigger(s)"));
  EXPECT_TRUE(store->check_writable());
  EXPECT_TRUE(store->write_fault());
  ASSERT_TRUE(store->insert_triggers(std::vector{make_trigger("after", 2, "C\\u")}));
  EXPECT_FALSE(store->write_fault());
  EXPECT_TRUE(*store->get_trigger("before"));
  EXPECT_TRUE(*store->get_trigger("after"));
#endif
}

}  // namespace
}  // namespace uda
