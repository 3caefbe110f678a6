// Crash safety: the real agent under load (HTTP clients and a spool writer),
// with the simulated site injecting faults, killed with SIGKILL at random
// points again and again and restarted each time; then it drains with the
// faults off and an audit reads the store and the site straight from SQLite.
//
// Seeded: UDA_CRASH_SEED=<n> replays the same kill schedule, fault seeds and
// client choices (thread interleavings still differ from run to run).
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "agent_harness.hpp"
#include "http_client.hpp"
#include "site_reader.hpp"
#include "sqlite_audit.hpp"

namespace uda::test::crash {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr std::uint64_t kDefaultSeed = 6001;
constexpr int kKills = 30;         // kill -9 per run (at least 20)
constexpr int kEarlyKillPct = 20;  // of them, while the agent starts up (before "ready")
constexpr int kCleanStopPct = 10;  // lives that end with SIGTERM instead (not counted as kills)
constexpr int kMaxCleanStops = 4;
constexpr int kMaxAttempts = 4;              // dispatcher.max_attempts (low: runs into the limit)
constexpr std::int64_t kBackoffBaseMs = 10;  // AgentHarness's dispatcher.backoff
constexpr std::int64_t kBackoffCapMs = 200;
constexpr int kHttpClients = 4;
constexpr int kMaxRequestsPerClient = 400;  // bounds the load whatever the kill phase lasts
constexpr int kMaxSpoolFiles = 400;
constexpr std::uint32_t kFirstDevice = 16777220;   // WKS-0001 in tests/data/integration/site.yaml
constexpr int kDevices = 40;                       // WKS-0001..WKS-0040
constexpr int kUsers = 39;                         // CONTOSO\user001..user039
const char* const kFailUser = "CONTOSO\\user040";  // provider.simulated.fail_users

std::uint64_t crash_seed() {
  const char* s = std::getenv("UDA_CRASH_SEED");
  if (s == nullptr || *s == '\0') return kDefaultSeed;
  char* end = nullptr;
  const auto v = std::strtoull(s, &end, 10);
  if (end == nullptr || *end != '\0') {
    ADD_FAILURE() << "UDA_CRASH_SEED='" << s << "' is not a number; using " << kDefaultSeed;
    return kDefaultSeed;
  }
  return v;
}

std::string rerun_hint(std::uint64_t seed) {
  return "re-run this seed with: UDA_CRASH_SEED=" + std::to_string(seed) +
         " ctest --test-dir build/dev -L reliability -R CrashSafety --output-on-failure";
}

// min(cap, base * 2^(attempt-1)): the most a full-jitter retry may wait.
std::int64_t backoff_ceiling_ms(int attempt) {
  std::int64_t v = kBackoffBaseMs;
  for (int i = 1; i < attempt && v < kBackoffCapMs; ++i) v *= 2;
  return std::min(v, kBackoffCapMs);
}

// "1s57ms" (format_duration) -> 1057.
std::optional<std::int64_t> parse_duration_ms(const std::string& s) {
  if (s == "0s") return 0;
  std::int64_t total = 0;
  std::size_t i = 0;
  while (i < s.size()) {
    std::size_t j = i;
    while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j])) != 0) ++j;
    if (j == i) return std::nullopt;
    const auto n = std::stoll(s.substr(i, j - i));
    std::size_t k = j;
    while (k < s.size() && std::isalpha(static_cast<unsigned char>(s[k])) != 0) ++k;
    const auto unit = s.substr(j, k - j);
    const std::map<std::string, std::int64_t> mult{
        {"d", 86'400'000}, {"h", 3'600'000}, {"m", 60'000}, {"s", 1000}, {"ms", 1}};
    const auto m = mult.find(unit);
    if (m == mult.end()) return std::nullopt;
    total += n * m->second;
    i = k;
  }
  return total;
}

int pct(std::mt19937_64& rng) {
  return std::uniform_int_distribution<int>(0, 99)(rng);
}
int between(std::mt19937_64& rng, int lo, int hi) {
  return std::uniform_int_distribution<int>(lo, hi)(rng);
}

// The URL of the agent that is up right now ("" while it is down).
class Endpoint {
 public:
  void set(std::string url) {
    std::lock_guard lock(mu_);
    url_ = std::move(url);
  }
  std::string get() const {
    std::lock_guard lock(mu_);
    return url_;
  }

 private:
  mutable std::mutex mu_;
  std::string url_;
};

// Everything the clients sent and what they were told, by trigger tag (the
// `test.tag` attribute every trigger carries).
struct Sent {
  std::string way;        // http-key | http-id | http-plain | spool
  std::string client_id;  // the id the client gave ("" = none)
  std::string acked_id;   // the id a 202 answer named
  bool acked = false;     // HTTP 202 (spool files are judged at the end)
  bool refused = false;   // a 503: "nothing was stored"
};

class Ledger {
 public:
  void sent(const std::string& tag, const std::string& way, const std::string& id) {
    std::lock_guard lock(mu_);
    sent_[tag] = Sent{way, id, "", false, false};
  }
  void acked(const std::string& tag, const std::string& id) {
    std::lock_guard lock(mu_);
    auto& s = sent_[tag];
    if (s.acked && s.acked_id != id) {
      add_problem("trigger " + tag + " was acknowledged as '" + s.acked_id + "' and later as '" +
                  id + "'");
    }
    if (!s.client_id.empty() && s.client_id != id) {
      add_problem("trigger " + tag + " was sent with id '" + s.client_id +
                  "' but acknowledged as '" + id + "'");
    }
    s.acked = true;
    s.acked_id = id;
  }
  void refused(const std::string& tag) {
    std::lock_guard lock(mu_);
    sent_[tag].refused = true;
  }
  void problem(const std::string& p) {
    std::lock_guard lock(mu_);
    add_problem(p);
  }
  std::map<std::string, Sent> snapshot() const {
    std::lock_guard lock(mu_);
    return sent_;
  }
  std::vector<std::string> problems() const {
    std::lock_guard lock(mu_);
    return problems_;
  }

  std::atomic<bool> abort{false};  // the test failed: stop at once
  std::atomic<int> requests{0}, answered_202{0}, replays{0}, resets{0}, refused_conn{0},
      timeouts{0}, unavailable{0}, duplicates_sent{0};

 private:
  void add_problem(const std::string& p) {
    if (problems_.size() < 40) problems_.push_back(p);
  }
  mutable std::mutex mu_;
  std::map<std::string, Sent> sent_;
  std::vector<std::string> problems_;
};

// One trigger for a small pool of devices, users and kinds, so that many
// triggers share an idempotency key (machine, user, source, type).
json make_trigger(std::mt19937_64& rng, const std::string& tag, const std::string& id) {
  const int k = pct(rng);
  const char* kind = k < 50 ? "osd" : k < 70 ? "enrollment" : k < 90 ? "manual" : "discovery";
  const int dev = between(rng, 0, kDevices - 1);
  json machine;
  if (pct(rng) < 15) {
    char name[32];
    std::snprintf(name, sizeof(name), "WKS-%04d", dev + 1);
    machine = {{"name", name}};  // resolved by the dispatcher
  } else {
    machine = {{"resource_id", kFirstDevice + static_cast<std::uint32_t>(dev)}};
  }
  const std::string u = pct(rng) < 5 ? std::string(kFailUser) : user(between(rng, 1, kUsers));
  json t{{"kind", kind}, {"machine", machine}, {"user", u}, {"attributes", {{"test.tag", tag}}}};
  if (!id.empty()) t["id"] = id;
  return t;
}

using Headers = std::vector<std::pair<std::string, std::string>>;

// POSTs until an answer arrives. A refused connection never reached the agent
// and is always tried again; a reset or timeout may have been stored, so it
// is tried again only when `retry` (the request is safe to repeat: an
// Idempotency-Key or client ids). 503 is retried when `retry`.
std::optional<HttpReply> post(const Endpoint& ep, const std::string& body, const Headers& headers,
                              bool retry, Clock::time_point give_up, Ledger& ledger,
                              std::mt19937_64& rng) {
  while (Clock::now() < give_up && !ledger.abort) {
    const auto url = ep.get();
    if (!url.empty()) {
      ++ledger.requests;
      auto r = http_request(url, "POST", "/v1/triggers", headers, body, std::chrono::seconds(10));
      if (r.error == HttpError::None) {
        if (r.status == 503) ++ledger.unavailable;
        if (r.status != 503 || !retry) return r;
      } else if (r.error == HttpError::Refused) {
        ++ledger.refused_conn;
      } else {
        (r.error == HttpError::Timeout ? ledger.timeouts : ledger.resets)++;
        if (!retry) return std::nullopt;  // unknown: may or may not be stored
      }
    }
    std::this_thread::sleep_for(milliseconds(between(rng, 20, 60)));
  }
  return std::nullopt;
}

std::vector<std::string> ids_of(const json& answer) {
  std::vector<std::string> out;
  if (!answer.is_object() || !answer.contains("triggers") || !answer["triggers"].is_array()) {
    return out;
  }
  for (const auto& t : answer["triggers"]) out.push_back(t.value("id", ""));
  return out;
}

void http_client(int c, std::uint64_t seed, const Endpoint& ep, Ledger& ledger,
                 const std::atomic<bool>& stop, Clock::time_point give_up) {
  std::mt19937_64 rng(seed * 1'000'003 + static_cast<std::uint64_t>(c));
  for (int n = 0; n < kMaxRequestsPerClient && !stop; ++n) {
    const int m = pct(rng);
    const std::string mode = m < 40 ? "http-key" : m < 75 ? "http-id" : "http-plain";
    const int count = between(rng, 1, 4);
    const bool single = count == 1 && pct(rng) < 50;
    json batch = json::array();
    std::vector<std::string> tags;
    for (int i = 0; i < count; ++i) {
      const std::string tag =
          "c" + std::to_string(c) + "-" + std::to_string(n) + "-" + std::to_string(i);
      const bool with_id = mode == "http-id" || (mode == "http-key" && pct(rng) < 30);
      const std::string id = with_id ? "h" + std::to_string(seed) + "-" + tag : "";
      batch.push_back(make_trigger(rng, tag, id));
      ledger.sent(tag, mode, id);
      tags.push_back(tag);
    }
    const std::string body = single ? batch[0].dump() : batch.dump();
    Headers headers{{"Content-Type", "application/json"}};
    if (mode == "http-key") {
      headers.emplace_back("Idempotency-Key", "k" + std::to_string(seed) + "-" + std::to_string(c) +
                                                  "-" + std::to_string(n));
    }
    const bool retry = mode != "http-plain";
    const auto where = "request " + std::to_string(c) + "-" + std::to_string(n) + " (" + mode + ")";

    auto reply = post(ep, body, headers, retry, give_up, ledger, rng);
    if (!reply) {
      if (retry) ledger.problem(where + " was never acknowledged (gave up at the deadline)");
      continue;  // http-plain after a reset: unknown, may or may not be stored
    }
    if (reply->status == 503) {
      for (const auto& t : tags) ledger.refused(t);
      continue;
    }
    if (reply->status != 202) {
      ledger.problem(where + ": HTTP " + std::to_string(reply->status) + " " + reply->body);
      continue;
    }
    ++ledger.answered_202;
    if (reply->has_header("Idempotent-Replayed", "true")) ++ledger.replays;
    const auto answer = json::parse(reply->body, nullptr, false);
    const auto ids = ids_of(answer);
    if (ids.size() != tags.size()) {
      ledger.problem(where + ": 202 names " + std::to_string(ids.size()) + " triggers for " +
                     std::to_string(tags.size()) + " sent: " + reply->body);
      continue;
    }
    for (std::size_t i = 0; i < tags.size(); ++i) ledger.acked(tags[i], ids[i]);

    // A deliberate duplicate of an acknowledged request: a keyed one must be
    // replayed with the first answer's ids, one with client ids must be
    // reported as duplicates; neither may store anything new.
    if (retry && pct(rng) < 25) {
      ++ledger.duplicates_sent;
      auto again = post(ep, body, headers, true, give_up, ledger, rng);
      if (!again || again->status != 202) {
        ledger.problem(where + ": the repeat was not acknowledged" +
                       (again ? ": HTTP " + std::to_string(again->status) + " " + again->body
                              : std::string()));
      } else {
        const auto doc = json::parse(again->body, nullptr, false);
        if (ids_of(doc) != ids) {
          ledger.problem(where + ": the repeat named other ids: " + again->body);
        }
        if (mode == "http-key" && !again->has_header("Idempotent-Replayed", "true")) {
          ledger.problem(where + ": the repeat with the same Idempotency-Key was not replayed: " +
                         again->headers);
        }
        if (mode == "http-id" && doc.value("accepted", -1) != 0) {
          ledger.problem(where + ": the repeat with the same ids stored something: " + again->body);
        }
      }
    }
    std::this_thread::sleep_for(milliseconds(between(rng, 40, 160)));
  }
}

// Writes spool files the documented way: under a temporary name elsewhere,
// then renamed into inbox/. Returns the file names in `files`.
void spool_writer(std::uint64_t seed, const fs::path& spool, const fs::path& staging,
                  Ledger& ledger, const std::atomic<bool>& stop, std::vector<std::string>& files) {
  std::mt19937_64 rng(seed * 7919 + 17);
  for (int n = 0; n < kMaxSpoolFiles && !stop; ++n) {
    char name[64];
    std::snprintf(name, sizeof(name), "%05d-s%llu.json", n, static_cast<unsigned long long>(seed));
    const int count = between(rng, 1, 3);
    const bool with_ids = pct(rng) < 50;  // without: ids derived from the file name and content
    json batch = json::array();
    for (int i = 0; i < count; ++i) {
      const std::string tag = "s" + std::to_string(n) + "-" + std::to_string(i);
      const std::string id = with_ids ? "sp" + std::to_string(seed) + "-" + tag : "";
      batch.push_back(make_trigger(rng, tag, id));
      ledger.sent(tag, "spool", id);
    }
    const auto tmp = staging / (std::string(name) + ".tmp");
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      out << (count == 1 ? batch[0].dump() : batch.dump());
    }
    std::error_code ec;
    fs::rename(tmp, spool / "inbox" / name, ec);
    if (ec) {
      ledger.problem(std::string("spool: cannot rename ") + name + " into inbox/: " + ec.message());
      continue;
    }
    files.emplace_back(name);
    std::this_thread::sleep_for(milliseconds(between(rng, 60, 180)));
  }
}

// Collects audit failures by category, with a few examples each.
class Findings {
 public:
  void add(const std::string& category, const std::string& what) {
    auto& c = by_category_[category];
    ++c.first;
    if (c.second.size() < 12) c.second.push_back(what);
  }
  void expect_none(const std::string& category, const std::string& hint) const {
    const auto it = by_category_.find(category);
    if (it == by_category_.end()) return;
    std::string msg = category + ": " + std::to_string(it->second.first) + " case(s); " + hint;
    for (const auto& e : it->second.second) msg += "\n    " + e;
    if (it->second.first > static_cast<int>(it->second.second.size())) msg += "\n    ...";
    ADD_FAILURE() << msg;
  }
  std::vector<std::string> categories() const {
    std::vector<std::string> out;
    for (const auto& [k, v] : by_category_) out.push_back(k);
    return out;
  }

 private:
  std::map<std::string, std::pair<int, std::vector<std::string>>> by_category_;
};

std::string opt(const SqliteFile::Row& r, std::size_t i) {
  return i < r.size() && r[i] ? *r[i] : std::string();
}
std::int64_t num(const SqliteFile::Row& r, std::size_t i) {
  const auto s = opt(r, i);
  return s.empty() ? 0 : std::stoll(s);
}

// Every log file of the agent (the current one, rotated ones, stderr).
std::string all_logs(const AgentHarness& h) {
  std::string out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(h.dir() / "var", ec)) {
    const auto name = e.path().filename().string();
    if (name.rfind("uda-agent.", 0) == 0 && name.find(".log") != std::string::npos &&
        name != "uda-agent.log") {
      std::ifstream in(e.path(), std::ios::binary);
      out.append(std::istreambuf_iterator<char>(in), {});
    }
  }
  return out + h.log();
}

// The end of the agent's log, for failure messages (the harness prints the
// whole log when a test fails).
std::string log_tail(const AgentHarness& h) {
  const std::string log = h.log();
  return log.size() <= 3000 ? log : "..." + log.substr(log.size() - 3000);
}

std::string faults_yaml(std::uint64_t seed, int life) {
  return "seed: " + std::to_string(seed * 100 + static_cast<std::uint64_t>(life)) +
         "\nlatency: 2ms\nlatency_jitter: 25ms\ntransient_error_rate: 0.15\n"
         "ambiguous_rate: 0.1\nfail_users: ['" +
         kFailUser + "']\n";
}

const char* const kDispatcher =
    "max_attempts: 4\n"
    "circuit_breaker: {failure_threshold: 25, open_for: 100ms, max_open_for: 400ms}\n";

const char* const kSections =
    "http:\n  listen: 127.0.0.1:0\n  allow_anonymous: true\n  rate_limit: {per_second: 0}\n"
    "spool:\n  dir: var/spool\n  poll_interval: 100ms\n  settle: 2s\n";

TEST(CrashSafety, KillDashNineUnderLoadLosesNothingAcknowledgedAndDuplicatesNoEffect) {
  static_assert(kMaxAttempts == 4, "kDispatcher says max_attempts: 4");
  const auto t0 = Clock::now();
  const std::uint64_t seed = crash_seed();
  std::printf("[crash-safety] seed=%llu; %s\n", static_cast<unsigned long long>(seed),
              rerun_hint(seed).c_str());
  std::fflush(stdout);
  RecordProperty("seed", std::to_string(seed));
  SCOPED_TRACE("seed " + std::to_string(seed) + "; " + rerun_hint(seed));

  AgentHarness h("crash");
  h.set_sections(kSections);
  const auto spool = h.dir() / "var/spool";
  const auto staging = h.dir() / "spool-staging";
  fs::create_directories(spool / "inbox");
  fs::create_directories(staging);

  Endpoint ep;
  Ledger ledger;
  std::atomic<bool> stop_producing{false};
  const auto give_up = t0 + std::chrono::seconds(85);  // clients' bound for one request
  std::vector<std::string> spool_files;
  std::vector<std::thread> producers;
  for (int c = 0; c < kHttpClients; ++c) {
    producers.emplace_back(http_client, c, seed, std::cref(ep), std::ref(ledger),
                           std::cref(stop_producing), give_up);
  }
  producers.emplace_back(spool_writer, seed, spool, staging, std::ref(ledger),
                         std::cref(stop_producing), std::ref(spool_files));
  // Whatever happens below, the producers stop and are joined.
  struct Joiner {
    std::atomic<bool>& stop;
    std::atomic<bool>& abort;
    std::vector<std::thread>& threads;
    ~Joiner() {
      stop = true;
      abort = true;  // no-op after a normal end: every thread has been joined
      for (auto& t : threads) {
        if (t.joinable()) t.join();
      }
    }
  } joiner{stop_producing, ledger.abort, producers};

  // --- the kill phase --------------------------------------------------------
  // Each life ends with kill -9 at a random point (some while the agent still
  // starts up), or now and then with a clean stop (SIGTERM: calls in flight
  // are released), until kKills kills have been made.
  std::mt19937_64 rng(seed);
  int kills = 0;
  int early_kills = 0;
  int clean_stops = 0;
  for (int life = 0; kills < kKills; ++life) {
    h.write_config(faults_yaml(seed, life), kDispatcher);
    const bool early = pct(rng) < kEarlyKillPct;
    const bool clean = !early && clean_stops < kMaxCleanStops && pct(rng) < kCleanStopPct;
    ASSERT_TRUE(h.launch()) << "cannot start the agent (life " << life << ")";
    if (early) {
      std::this_thread::sleep_for(milliseconds(between(rng, 0, 150)));
    } else {
      ASSERT_TRUE(h.wait_ready()) << "restart " << life << " after " << kills
                                  << " kill(s) did not become ready; log (end):\n"
                                  << log_tail(h);
      ep.set(h.http_url());
      std::this_thread::sleep_for(milliseconds(between(rng, 100, 1500)));
    }
    const int code = h.stop(clean ? SIGTERM : SIGKILL);
    ep.set("");
    ASSERT_EQ(code, clean ? 0 : 128 + SIGKILL)
        << "life " << life << ": the agent exited with code " << code
        << (clean ? " after SIGTERM" : " before it was killed") << "; log (end):\n"
        << log_tail(h);
    if (clean) {
      ++clean_stops;
    } else {
      ++kills;
      early_kills += early ? 1 : 0;
    }
  }
  ASSERT_GE(kills, 20);

  // --- drain with the faults off (fail_users is the site's data: it stays) ---
  stop_producing = true;
  h.write_config("fail_users: ['" + std::string(kFailUser) + "']\n", kDispatcher);
  h.start();
  ASSERT_TRUE(h.running()) << "the agent did not start after the last kill";
  ep.set(h.http_url());
  for (auto& t : producers) t.join();  // bounded: every request gives up at give_up
  const auto store_path = h.dir() / "var/uda-agent.db";
  const bool drained = AgentHarness::wait_for(
      [&] {
        std::error_code ec;
        if (!fs::is_empty(spool / "inbox", ec)) return false;
        SqliteFile db(store_path);
        return db.count("SELECT count(*) FROM triggers WHERE state = 'received'") == 0 &&
               db.count("SELECT count(*) FROM jobs WHERE state IN ('pending', 'leased')") == 0;
      },
      std::chrono::seconds(40));
  EXPECT_TRUE(drained) << "the agent did not drain within 40 s after the last restart";
  ASSERT_EQ(h.stop(SIGTERM), 0) << "clean stop after the drain failed";
  const double took = std::chrono::duration<double>(Clock::now() - t0).count();

  // --- audit -----------------------------------------------------------------
  Findings f;
  for (const auto& p : ledger.problems()) f.add("client-visible protocol errors", p);

  SqliteFile store(store_path);
  ASSERT_TRUE(store.ok());
  SqliteFile site(h.dir() / "var/site.db");
  ASSERT_TRUE(site.ok());
  EXPECT_EQ(store.integrity_check(), "ok") << "PRAGMA integrity_check on the store";
  EXPECT_EQ(site.integrity_check(), "ok") << "PRAGMA integrity_check on the simulated site";
  for (const auto& r : store.rows("PRAGMA foreign_key_check")) {
    f.add("store foreign keys", "table " + opt(r, 0) + " rowid " + opt(r, 1) + " -> " + opt(r, 2));
  }

  // Triggers, by tag.
  const auto sent = ledger.snapshot();
  struct Stored {
    std::string id, state, decision, origin;
    std::optional<std::int64_t> job_id;
  };
  std::map<std::string, std::vector<Stored>> stored_by_tag;
  std::map<std::string, std::string> tag_of_id;
  const auto trigger_rows =
      store.rows("SELECT id, state, decision, job_id, attributes_json, origin FROM triggers");
  for (const auto& r : trigger_rows) {
    Stored s{opt(r, 0), opt(r, 1), opt(r, 2), opt(r, 5), std::nullopt};
    if (r[3]) s.job_id = num(r, 3);
    const auto attrs = json::parse(opt(r, 4), nullptr, false);
    const std::string tag =
        attrs.is_object() && attrs.contains("test.tag") && attrs["test.tag"].is_string()
            ? attrs["test.tag"].get<std::string>()
            : std::string();
    if (tag.empty() || !sent.contains(tag)) {
      f.add("stored triggers nobody sent", s.id + " attributes " + opt(r, 4));
      continue;
    }
    tag_of_id[s.id] = tag;
    stored_by_tag[tag].push_back(s);
  }

  std::set<std::string> processed;
  {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(spool / "processed", ec)) {
      processed.insert(e.path().filename().string());
    }
    for (const auto& e : fs::directory_iterator(spool / "inbox", ec)) {
      f.add("spool files left in inbox/", e.path().filename().string());
    }
    for (const auto& e : fs::directory_iterator(spool / "rejected", ec)) {
      f.add("spool files rejected", e.path().filename().string());
    }
  }
  for (const auto& name : spool_files) {
    if (!processed.contains(name)) f.add("spool files never moved to processed/", name);
  }
  if (processed.size() != spool_files.size()) {
    f.add("spool files never moved to processed/",
          std::to_string(processed.size()) + " files in processed/ for " +
              std::to_string(spool_files.size()) + " written");
  }

  int acked = 0;
  int unknown = 0;
  for (const auto& [tag, s] : sent) {
    const auto it = stored_by_tag.find(tag);
    const std::size_t n = it == stored_by_tag.end() ? 0 : it->second.size();
    if (n > 1) {
      std::string ids;
      for (const auto& x : it->second) ids += " " + x.id;
      f.add("triggers stored more than once", tag + " (" + s.way + "):" + ids);
    }
    const bool must_exist = s.acked || s.way == "spool";  // all spool files were processed
    if (must_exist) ++acked;
    if (must_exist && n == 0) {
      f.add("acknowledged triggers missing from the store",
            tag + " (" + s.way + ", acknowledged as '" + s.acked_id + "')");
    }
    if (s.acked && n >= 1 && it->second.front().id != s.acked_id) {
      f.add("acknowledged triggers missing from the store",
            tag + " was acknowledged as '" + s.acked_id + "' but is stored as '" +
                it->second.front().id + "'");
    }
    if (s.refused && !s.acked && n > 0) {
      f.add("triggers stored after a 503 said nothing was stored", tag);
    }
    if (!s.acked && s.way != "spool") ++unknown;
    if (n >= 1) {
      const auto& st = it->second.front();
      const bool spool_origin = st.origin == "spool";
      if (spool_origin != (s.way == "spool")) {
        f.add("triggers with the wrong origin", tag + " (" + s.way + ") has origin " + st.origin);
      }
      if (st.state == "received") {
        f.add("triggers never decided", st.id);
      } else if (st.state == "decided" && !st.job_id) {
        f.add("decided triggers without a job", st.id);
      }
    }
  }

  // Jobs.
  struct JobRow {
    std::int64_t id = 0;
    std::string trigger_id, machine_name, user, state, last_error, outcome;
    std::int64_t rid = 0, source = 0, type = 0;
    int attempts = 0;
  };
  std::map<std::int64_t, JobRow> jobs;
  std::map<std::string, int> jobs_by_state;
  for (const auto& r : store.rows(
           "SELECT id, trigger_id, machine_resource_id, machine_name, user, source_id, type_id, "
           "state, attempts, last_error, outcome FROM jobs")) {
    JobRow j;
    j.id = num(r, 0);
    j.trigger_id = opt(r, 1);
    j.rid = num(r, 2);
    j.machine_name = opt(r, 3);
    j.user = opt(r, 4);
    j.source = num(r, 5);
    j.type = num(r, 6);
    j.state = opt(r, 7);
    j.attempts = static_cast<int>(num(r, 8));
    j.last_error = opt(r, 9);
    j.outcome = opt(r, 10);
    ++jobs_by_state[j.state];
    jobs[j.id] = j;
  }
  const auto lower = [](std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  for (const auto& [id, j] : jobs) {
    const auto what = "job " + std::to_string(id) + " (trigger " + j.trigger_id + ", " + j.user +
                      ", source " + std::to_string(j.source) + ")";
    if (j.state != "done" && j.state != "dead") {
      f.add("jobs not in a terminal state (done or dead)", what + " is " + j.state);
    }
    if (j.attempts > kMaxAttempts) {
      f.add("jobs with more attempts than max_attempts",
            what + ": " + std::to_string(j.attempts) + " attempts (max " +
                std::to_string(kMaxAttempts) + "), " + j.state + ", last error: " + j.last_error);
    }
    const bool fail_user = lower(j.user) == lower(kFailUser);
    if (fail_user && j.state != "dead") {
      f.add("jobs for a fail_users user that did not fail", what + " is " + j.state);
    }
    if (j.state == "dead" && !fail_user) {
      const bool gave_up = j.last_error.find("gave up after " + std::to_string(kMaxAttempts) +
                                             " attempts") != std::string::npos;
      if (!gave_up) f.add("jobs dead-lettered for no good reason", what + ": " + j.last_error);
    }
  }
  for (const auto& r : trigger_rows) {
    if (!r[3]) continue;
    if (!jobs.contains(num(r, 3))) f.add("triggers linked to a missing job", opt(r, 0));
  }

  // Attempt history and backoff.
  const std::string logs = all_logs(h);
  std::map<std::pair<std::int64_t, int>, std::int64_t> retry_delay_ms;  // (job, attempt) -> delay
  {
    static const std::regex re(
        R"(job=(\d+) trigger=\S+ attempt=(\d+)/(\d+) outcome=retry next_in=(\S+) )");
    std::istringstream in(logs);
    for (std::string line; std::getline(in, line);) {
      std::smatch m;
      if (!std::regex_search(line, m, re)) continue;
      const auto job = std::stoll(m[1]);
      const int attempt = std::stoi(m[2]);
      const int max = std::stoi(m[3]);
      const auto delay = parse_duration_ms(m[4]);
      if (max != kMaxAttempts) f.add("retry log lines with another max_attempts", line);
      if (!delay) {
        f.add("retry log lines that do not parse", line);
        continue;
      }
      if (*delay > backoff_ceiling_ms(attempt)) {
        f.add("retries that waited longer than the backoff policy allows",
              line + " (ceiling " + std::to_string(backoff_ceiling_ms(attempt)) + "ms)");
      }
      retry_delay_ms[{job, attempt}] = *delay;
    }
  }
  struct AttemptRow {
    int attempt = 0;
    std::int64_t started = 0, finished = 0;
    std::string outcome, detail;
  };
  std::map<std::int64_t, std::vector<AttemptRow>> attempts;
  for (const auto& r : store.rows("SELECT job_id, attempt, started_at_ms, finished_at_ms, outcome, "
                                  "detail FROM attempts ORDER BY job_id, id")) {
    attempts[num(r, 0)].push_back(
        {static_cast<int>(num(r, 1)), num(r, 2), num(r, 3), opt(r, 4), opt(r, 5)});
  }
  int backoff_checked = 0;
  int backoff_unlogged = 0;
  for (const auto& [id, j] : jobs) {
    const auto& rows = attempts[id];
    const auto what = "job " + std::to_string(id);
    std::string last_counted_outcome;
    std::vector<int> numbers;
    for (const auto& a : rows) {
      if (a.attempt > kMaxAttempts) {
        f.add("attempts rows numbered past max_attempts",
              what + " attempt " + std::to_string(a.attempt) + " (" + a.outcome + ")");
      }
      // After the last allowed attempt was cut off (lease-expired), final
      // checks repeat its number without counting an attempt.
      if (a.outcome == "released") continue;
      if (!numbers.empty() && numbers.back() == a.attempt && a.attempt == kMaxAttempts &&
          last_counted_outcome == "lease-expired") {
        last_counted_outcome = a.outcome;
        continue;
      }
      numbers.push_back(a.attempt);
      last_counted_outcome = a.outcome;
    }
    std::vector<int> expected(static_cast<std::size_t>(j.attempts));
    for (int i = 0; i < j.attempts; ++i) expected[static_cast<std::size_t>(i)] = i + 1;
    if (numbers != expected) {
      std::string got;
      for (const auto& a : rows) got += " " + std::to_string(a.attempt) + ":" + a.outcome;
      f.add("attempt histories that do not add up",
            what + " counts " + std::to_string(j.attempts) + " attempts; history:" + got);
    }
    std::string last;
    int terminal_rows = 0;
    for (const auto& a : rows) {
      if (a.outcome != "released") last = a.outcome;
      if (a.outcome == "ok" || a.outcome == "fail") ++terminal_rows;
    }
    if (terminal_rows != 1) {
      f.add("jobs that did not end exactly once", what + " (" + j.state + ") has " +
                                                      std::to_string(terminal_rows) +
                                                      " attempts that ended it (ok or fail)");
    }
    if ((j.state == "done" && last != "ok") || (j.state == "dead" && last != "fail")) {
      f.add("attempt histories that do not add up",
            what + " is " + j.state + " but its last attempt ended '" + last + "'");
    }
    for (std::size_t i = 0; i + 1 < rows.size(); ++i) {
      const auto& a = rows[i];
      const auto& b = rows[i + 1];
      if (b.started < a.finished) {
        f.add("attempts that overlap", what + " attempt " + std::to_string(b.attempt) +
                                           " started " + std::to_string(a.finished - b.started) +
                                           "ms before attempt " + std::to_string(a.attempt) + " (" +
                                           a.outcome + ") ended");
      }
      if (a.outcome != "retry") continue;
      const auto d = retry_delay_ms.find({id, a.attempt});
      if (d == retry_delay_ms.end()) {
        ++backoff_unlogged;  // killed between the commit and the log line
        continue;
      }
      ++backoff_checked;
      if (b.started < a.finished + d->second) {
        f.add("retries that did not wait their backoff",
              what + " attempt " + std::to_string(a.attempt) + " chose to wait " +
                  std::to_string(d->second) + "ms; the next claim came after " +
                  std::to_string(b.started - a.finished) + "ms");
      }
    }
  }

  // The site: exactly-once effect.
  struct Effect {
    std::int64_t rid = 0, source = 0, type = 0;
    std::string user, trigger_id, effect;
  };
  std::vector<Effect> effects;
  for (const auto& r : site.rows("SELECT resource_id, lower(unique_user_name), source_id, "
                                 "type_id, trigger_id, effect FROM effects ORDER BY id")) {
    effects.push_back({num(r, 0), num(r, 2), num(r, 3), opt(r, 1), opt(r, 4), opt(r, 5)});
  }
  using Key = std::tuple<std::int64_t, std::string, std::int64_t, std::int64_t>;
  std::map<Key, int> applied;    // created or source-added
  std::map<Key, int> no_change;  // a CreateRelationship that changed nothing
  std::map<std::string, int> calls_by_trigger;
  for (const auto& e : effects) {
    const Key k{e.rid, e.user, e.source, e.type};
    (e.effect == "no-change" ? no_change : applied)[k]++;
    calls_by_trigger[e.trigger_id]++;
  }
  std::set<Key> keys_with_named_jobs;  // a name and a ResourceID may race (see resolve_job)
  std::map<std::string, const JobRow*> job_by_trigger;
  for (const auto& [id, j] : jobs) {
    job_by_trigger[j.trigger_id] = &j;
    if (!j.machine_name.empty()) {
      const auto rid = kFirstDevice - 1 + std::stoi(j.machine_name.substr(4));  // WKS-00NN
      keys_with_named_jobs.insert({rid, lower(j.user), j.source, j.type});
    }
  }
  for (const auto& [k, n] : applied) {
    if (n > 1) {
      f.add("relationships created more than once for one key",
            std::to_string(std::get<0>(k)) + " " + std::get<1>(k) + " source " +
                std::to_string(std::get<2>(k)) + ": " + std::to_string(n) + " effects");
    }
  }
  for (const auto& [k, n] : no_change) {
    if (!keys_with_named_jobs.contains(k)) {
      f.add("redundant CreateRelationship calls that reached the site",
            std::to_string(std::get<0>(k)) + " " + std::get<1>(k) + " source " +
                std::to_string(std::get<2>(k)) + ": " + std::to_string(n) + " no-change call(s)");
    }
  }
  for (const auto& [trigger, n] : calls_by_trigger) {
    if (!job_by_trigger.contains(trigger)) {
      f.add("site effects no job asked for", trigger);
    } else if (n > 1) {
      f.add("jobs whose CreateRelationship reached the site more than once",
            "job " + std::to_string(job_by_trigger[trigger]->id) + " (trigger " + trigger +
                "): " + std::to_string(n) + " calls took effect");
    }
  }
  {
    SiteReader reader(h.dir() / "var/site.db");
    const auto rels = site.rows(
        "SELECT resource_id, lower(unique_user_name), sources, types, is_active FROM "
        "relationships");
    for (const auto& [id, j] : jobs) {
      if (j.state != "done") continue;
      // Done: the relationship (device, user, type) exists; its sources may be
      // others (an existing relationship is not created again).
      bool found = false;
      for (const auto& r : rels) {
        if (num(r, 0) != j.rid || opt(r, 1) != lower(j.user) || opt(r, 4) != "1") continue;
        found =
            ("," + opt(r, 3) + ",").find("," + std::to_string(j.type) + ",") != std::string::npos;
      }
      if (!found) {
        f.add("done jobs whose relationship the site does not have",
              "job " + std::to_string(id) + " " + std::to_string(j.rid) + " " + j.user + " type " +
                  std::to_string(j.type));
      }
      if (j.outcome == "created" && reader.effects_for(static_cast<std::uint32_t>(j.rid), j.user,
                                                       static_cast<int>(j.source)) != 1) {
        f.add("done jobs whose relationship the site does not have",
              "job " + std::to_string(id) + " says created; the site has no effect for it");
      }
    }
  }

  // The test did what it says.
  const auto rearmed = h.log_count("were in flight when the agent last stopped");
  const auto final_checks =
      h.log_count("the last attempt, cut off, had taken effect") + h.log_count("no attempt left");
  const auto ambiguous = h.log_count("fault=ambiguous");
  EXPECT_GE(rearmed, 1U) << "no kill landed while a call was in flight; the run proved little";
  EXPECT_GE(ambiguous, 1U) << "no ambiguous failure was injected";
  EXPECT_GE(acked, 100) << "too few triggers were acknowledged for the run to mean much";

  std::printf(
      "[crash-safety] seed=%llu kills=%d (%d during start-up) clean-stops=%d restarts=%d "
      "took=%.1fs\n"
      "[crash-safety] http: requests=%d 202=%d retries-answered-by-replay=%d deliberate-repeats=%d "
      "resets=%d "
      "timeouts=%d refused=%d 503=%d; spool files=%zu\n"
      "[crash-safety] triggers: sent=%zu acknowledged=%d unknown-fate=%d stored=%zu; jobs: "
      "done=%d dead=%d other=%zu; lives with leases re-armed=%zu; ambiguous faults=%zu; final "
      "checks=%zu\n"
      "[crash-safety] site effects=%zu; retries checked against the chosen backoff=%d (%d "
      "without a log line); agent log %.1f MiB\n",
      static_cast<unsigned long long>(seed), kills, early_kills, clean_stops,
      kills + clean_stops + 1, took, ledger.requests.load(), ledger.answered_202.load(),
      ledger.replays.load(), ledger.duplicates_sent.load(), ledger.resets.load(),
      ledger.timeouts.load(), ledger.refused_conn.load(), ledger.unavailable.load(),
      spool_files.size(), sent.size(), acked, unknown, trigger_rows.size(), jobs_by_state["done"],
      jobs_by_state["dead"],
      jobs.size() - static_cast<std::size_t>(jobs_by_state["done"] + jobs_by_state["dead"]),
      rearmed, ambiguous, final_checks, effects.size(), backoff_checked, backoff_unlogged,
      static_cast<double>(logs.size()) / (1024.0 * 1024.0));
  std::fflush(stdout);

  const std::map<std::string, std::string> hints{
      {"client-visible protocol errors", "answers a client must never get"},
      {"store foreign keys", "the store's references are broken"},
      {"stored triggers nobody sent", "the store holds triggers the clients never sent"},
      {"spool files left in inbox/", "every spool file must be taken after the drain"},
      {"spool files rejected", "the spool writer only writes valid files"},
      {"spool files never moved to processed/", "a spool file was lost"},
      {"triggers stored more than once", "a retry or a re-read spool file stored a trigger twice"},
      {"acknowledged triggers missing from the store",
       "a 202 (or a file moved to processed/) promised the trigger was durable"},
      {"triggers stored after a 503 said nothing was stored", "503 must mean nothing was stored"},
      {"triggers with the wrong origin", "HTTP triggers have origin http:<token>, spool 'spool'"},
      {"triggers never decided", "every trigger must be decided after the drain"},
      {"decided triggers without a job", "a decided trigger names its job"},
      {"triggers linked to a missing job", "a trigger names a job that does not exist"},
      {"jobs not in a terminal state (done or dead)", "every job must finish after the drain"},
      {"jobs with more attempts than max_attempts", "dispatcher.max_attempts bounds the attempts"},
      {"attempts rows numbered past max_attempts", "dispatcher.max_attempts bounds the attempts"},
      {"jobs for a fail_users user that did not fail", "fail_users always answer access denied"},
      {"jobs dead-lettered for no good reason",
       "only fail_users and exhausted attempts may dead-letter here"},
      {"attempt histories that do not add up",
       "one attempts row per counted attempt, numbered 1..attempts, ending as the job did"},
      {"attempts that overlap", "a job runs one attempt at a time"},
      {"jobs that did not end exactly once", "one terminal attempt (ok or fail) per job"},
      {"retry log lines with another max_attempts", "the agent runs with max_attempts 4"},
      {"retry log lines that do not parse", "the retry log line changed"},
      {"retries that waited longer than the backoff policy allows",
       "full jitter: random(0, min(cap, base * 2^(attempt-1)))"},
      {"retries that did not wait their backoff", "a job was claimed before next_attempt_at"},
      {"relationships created more than once for one key", "exactly-once effect"},
      {"redundant CreateRelationship calls that reached the site",
       "verify-first must find an earlier effect before calling again"},
      {"site effects no job asked for", "the site changed for a trigger that has no job"},
      {"jobs whose CreateRelationship reached the site more than once",
       "after an ambiguous failure or a crash the job must verify before calling again"},
      {"done jobs whose relationship the site does not have", "done means the relationship exists"},
  };
  for (const auto& c : f.categories()) {
    const auto h_it = hints.find(c);
    f.expect_none(c, h_it == hints.end() ? "" : h_it->second);
  }
}

}  // namespace
}  // namespace uda::test::crash
