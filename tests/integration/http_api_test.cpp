// The inbound queue's HTTP API, driven with real clients (curl, the CLI and
// raw sockets) against the real agent over loopback.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <set>
#include <thread>

#include "agent_harness.hpp"

namespace uda::test {
namespace {

using nlohmann::json;

struct HttpResult {
  int status = 0;
  std::string headers;
  std::string body;
  json doc;  // parsed body (discarded when not JSON)
};

// curl, as an admin or a script would run it. Extra args go before the URL.
HttpResult curl(const AgentHarness& h, const std::string& method, const std::string& path,
                const std::vector<std::string>& extra = {}, const std::string& body = "") {
  static std::atomic<int> n{0};  // clients run in parallel threads
  const auto tag = std::to_string(::getpid()) + "-" + std::to_string(++n);
  const auto body_file = (h.dir() / ("curl-body-" + tag)).string();
  const auto head_file = (h.dir() / ("curl-head-" + tag)).string();
  std::vector<std::string> argv{"curl", "-s",      "-S", "--max-time", "20", "-X",          method,
                                "-o",   body_file, "-D", head_file,    "-w", "%{http_code}"};
  if (!body.empty()) {
    const auto data_file = (h.dir() / ("curl-data-" + tag)).string();
    std::ofstream(data_file, std::ios::binary) << body;
    argv.insert(argv.end(), {"--data-binary", "@" + data_file});
  }
  argv.insert(argv.end(), extra.begin(), extra.end());
  argv.push_back((extra.empty() || extra.back().rfind("http", 0) != 0) ? h.http_url() + path
                                                                       : extra.back());
  auto r = h.run_tool(argv);
  HttpResult out;
  out.status = std::atoi(r.out.c_str());
  std::ifstream b(body_file, std::ios::binary);
  out.body.assign(std::istreambuf_iterator<char>(b), {});
  std::ifstream hd(head_file, std::ios::binary);
  out.headers.assign(std::istreambuf_iterator<char>(hd), {});
  out.doc = json::parse(out.body, nullptr, false);
  return out;
}

HttpResult post(const AgentHarness& h, const json& body, std::vector<std::string> extra = {}) {
  extra.insert(extra.begin(), {"-H", "Content-Type: application/json"});
  return curl(h, "POST", "/v1/triggers", extra, body.dump());
}

json trigger(const std::string& id, const std::string& kind, std::uint32_t machine, int user) {
  char u[32];
  std::snprintf(u, sizeof(u), "CONTOSO\\user%03d", user);
  json t{{"kind", kind}, {"machine", {{"resource_id", machine}}}, {"user", u}};
  if (!id.empty()) t["id"] = id;
  return t;
}

bool has_header(const HttpResult& r, const std::string& line) {
  return r.headers.find(line) != std::string::npos;
}

// A raw TCP connection to the agent (for slow and idle clients).
class RawConnection {
 public:
  explicit RawConnection(const std::string& url) {
    const auto colon = url.rfind(':');
    const int port = std::atoi(url.c_str() + colon + 1);
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    timeval tv{20, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  }
  ~RawConnection() { ::close(fd_); }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;
  bool connected() const { return connected_; }
  bool send(const std::string& s) { return ::send(fd_, s.data(), s.size(), MSG_NOSIGNAL) > 0; }
  // Everything the server sends until it closes (or 20 s pass).
  std::string read_until_closed() {
    std::string out;
    char buf[4096];
    for (;;) {
      const auto n = ::recv(fd_, buf, sizeof(buf), 0);
      if (n <= 0) break;
      out.append(buf, static_cast<std::size_t>(n));
    }
    return out;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

const char* kAnonymous = "http:\n  listen: 127.0.0.1:0\n  allow_anonymous: true\n";

TEST(HttpApi, PostQueryAndFollowATriggerToItsOutcome) {
  AgentHarness h("http-basic");
  h.set_sections(kAnonymous);
  h.write_config();
  h.start();
  ASSERT_FALSE(h.http_url().empty()) << h.log();

  auto one = post(h, trigger("", "osd", 16777220, 1));
  ASSERT_EQ(one.status, 202) << one.body;
  EXPECT_EQ(one.doc["accepted"], 1);
  const std::string id = one.doc["id"];
  EXPECT_EQ(one.doc["triggers"][0]["url"], "/v1/triggers/" + id);

  auto many = post(h, json::array({trigger("a-1", "manual", 16777221, 2),
                                   trigger("a-2", "enrollment", 16777222, 3)}));
  ASSERT_EQ(many.status, 202) << many.body;
  EXPECT_EQ(many.doc["accepted"], 2);
  EXPECT_EQ(many.doc["triggers"][1]["id"], "a-2");

  ASSERT_TRUE(AgentHarness::wait_for([&] {
    auto t = curl(h, "GET", "/v1/triggers/" + id);
    return t.status == 200 && t.doc["outcome"] == "done";
  })) << h.log();
  auto t = curl(h, "GET", "/v1/triggers/" + id);
  EXPECT_EQ(t.doc["origin"], "http:anonymous");
  EXPECT_EQ(t.doc["decision"], "create");
  EXPECT_EQ(t.doc["job"]["source_id"], 6);
  EXPECT_EQ(t.doc["job"]["state"], "done");

  ASSERT_TRUE(AgentHarness::wait_for([&] { return h.all_triggers_terminal(3); })) << h.log();
  auto jobs = curl(h, "GET", "/v1/jobs?state=done&limit=10");
  ASSERT_EQ(jobs.status, 200) << jobs.body;
  EXPECT_EQ(jobs.doc["jobs"].size(), 3U);
  EXPECT_EQ(curl(h, "GET", "/v1/jobs?state=sleeping").status, 400);
  EXPECT_EQ(curl(h, "GET", "/v1/jobs?limit=0").status, 400);
  EXPECT_EQ(curl(h, "GET", "/v1/triggers/no-such-id").status, 404);

  auto health = curl(h, "GET", "/healthz");
  ASSERT_EQ(health.status, 200) << health.body;
  EXPECT_EQ(health.doc["status"], "ok");
  EXPECT_EQ(health.doc["store"]["writable"], true);
  EXPECT_EQ(health.doc["provider"]["breaker"], "closed");

  auto metrics = curl(h, "GET", "/metrics");
  ASSERT_EQ(metrics.status, 200);
  EXPECT_TRUE(has_header(metrics, "text/plain; version=0.0.4"));
  for (const char* line :
       {"uda_triggers_accepted_total{kind=\"osd\",origin=\"http:anonymous\"} 1",
        "uda_jobs{state=\"done\"} 3", "uda_provider_breaker_state{state=\"closed\"} 1",
        "uda_dispatch_call_duration_seconds_count{call=\"create\"} 3", "uda_intake_queue_depth 0",
        "uda_oldest_pending_job_age_seconds 0"}) {
    EXPECT_NE(metrics.body.find(line), std::string::npos) << line << "\n" << metrics.body;
  }
  EXPECT_EQ(h.stop(SIGTERM), 0);
}

TEST(HttpApi, TokensAuthenticateAndLimitKinds) {
  AgentHarness h("http-auth");
  auto osd = h.cli_json({"token", "new", "--name", "osd-ts", "--kinds", "osd"});
  auto admin = h.cli_json({"token", "new", "--name", "automation"});
  const std::string osd_token = osd["token"];
  const std::string admin_token = admin["token"];
  h.set_sections("http:\n  listen: 127.0.0.1:0\n  tokens:\n    - {name: osd-ts, hash: '" +
                 osd["hash"].get<std::string>() + "', kinds: [osd]}\n    - {name: automation, " +
                 "hash: '" + admin["hash"].get<std::string>() + "'}\n");
  h.write_config();
  h.start();
  const auto body = trigger("", "osd", 16777220, 1);

  auto none = post(h, body);
  EXPECT_EQ(none.status, 401);
  EXPECT_TRUE(has_header(none, "WWW-Authenticate: Bearer")) << none.headers;
  auto wrong = post(h, body, {"-H", "Authorization: Bearer uda_not-the-token"});
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(wrong.body, none.body) << "no detail on why a token failed";
  auto garbage = post(h, body, {"-H", "Authorization: Basic dXNlcjpwYXNz"});
  EXPECT_EQ(garbage.status, 401);

  auto ok = post(h, body, {"-H", "Authorization: Bearer " + osd_token});
  ASSERT_EQ(ok.status, 202) << ok.body;
  auto forbidden =
      post(h, trigger("", "manual", 16777221, 2), {"-H", "Authorization: Bearer " + osd_token});
  EXPECT_EQ(forbidden.status, 403);
  EXPECT_EQ(forbidden.doc["error"]["code"], "forbidden");
  auto other =
      post(h, trigger("", "manual", 16777221, 2), {"-H", "Authorization: Bearer " + admin_token});
  EXPECT_EQ(other.status, 202) << other.body;

  auto t = curl(h, "GET", "/v1/triggers/" + ok.doc["id"].get<std::string>(),
                {"-H", "Authorization: Bearer " + osd_token});
  EXPECT_EQ(t.doc["origin"], "http:osd-ts");
  EXPECT_EQ(curl(h, "GET", "/v1/jobs").status, 401);
  EXPECT_EQ(curl(h, "GET", "/metrics").status, 401);
  EXPECT_EQ(curl(h, "GET", "/healthz").status, 200);  // for load balancers: no token

  // The CLI reads the token from a file (or $UDA_AGENT_TOKEN).
  h.write_file("osd.token", osd_token + "\n");
  auto cli = h.cli({"submit", "--kind", "osd", "--machine", "16777222", "--user",
                    "CONTOSO\\user003", "--token-file", "osd.token", "--url", h.http_url()});
  EXPECT_EQ(cli.exit_code, 0) << cli.err;
  EXPECT_NE(cli.out.find("accepted trigger"), std::string::npos) << cli.out;
  auto cli_forbidden =
      h.cli({"submit", "--kind", "manual", "--machine", "16777222", "--user", "CONTOSO\\user003",
             "--token-file", "osd.token", "--url", h.http_url()});
  EXPECT_EQ(cli_forbidden.exit_code, 1);
  EXPECT_NE(cli_forbidden.err.find("HTTP 403"), std::string::npos) << cli_forbidden.err;

  // Secrets never reach the log.
  EXPECT_EQ(h.log().find(osd_token), std::string::npos);
  EXPECT_EQ(h.log().find(admin_token), std::string::npos);
  EXPECT_EQ(h.stop(SIGTERM), 0);
}

TEST(HttpApi, BadRequestsGetAClearErrorAndStoreNothing) {
  AgentHarness h("http-bad");
  h.set_sections(std::string(kAnonymous) +
                 "  max_batch: 5\n  max_body: 4KiB\n  max_header: 2KiB\n");
  h.write_config();
  h.start();
  struct Case {
    std::string body;
    int status;
    std::string code;
    std::string field;
  };
  const std::vector<Case> cases{
      {"{not json", 400, "invalid_json", ""},
      {"42", 400, "invalid_json", ""},
      {"[]", 400, "invalid_json", ""},
      {R"({"kind":"osd","machine":"abc","user":"CONTOSO\\u","colour":"red"})", 400,
       "invalid_trigger", "colour"},
      {R"({"kind":"osd","machine":{"resource_id":"16777220"},"user":"CONTOSO\\u"})", 400,
       "invalid_trigger", "machine.resource_id"},
      {R"({"kind":"osd","machine":{"resource_id":4294967296},"user":"CONTOSO\\u"})", 400,
       "invalid_trigger", "machine.resource_id"},
      {R"({"kind":"reboot","machine":1,"user":"CONTOSO\\u"})", 400, "invalid_trigger", "kind"},
      {R"({"kind":"osd","machine":1,"user":"jdoe"})", 400, "invalid_trigger", "user"},
      {R"({"kind":"osd","machine":1,"user":42})", 400, "invalid_trigger", "user"},
      {R"({"kind":"osd","machine":1,"user":"C\\u","attributes":{"a":[1]}})", 400, "invalid_trigger",
       "attributes.a"},
      {R"({"kind":"osd","machine":1,"user":"C\\u","origin":"spoofed"})", 400, "invalid_trigger",
       "origin"},
      {std::string(40, '[') + std::string(40, ']'), 400, "invalid_json", ""},
      // A number beyond a double: nlohmann::json's out_of_range, not a
      // parse_error; it escaped the handler and ended the agent (tests/fuzz).
      {R"({"kind":"osd","machine":1,"user":"C\\u","attributes":{"n":1e400}})", 400, "invalid_json",
       ""},
      {json::array({trigger("", "osd", 1, 1), trigger("", "osd", 2, 2), trigger("", "osd", 3, 3),
                    trigger("", "osd", 4, 4), trigger("", "osd", 5, 5), trigger("", "osd", 6, 6)})
           .dump(),
       413, "too_many_triggers", ""},
  };
  for (const auto& c : cases) {
    auto r = curl(h, "POST", "/v1/triggers", {"-H", "Content-Type: application/json"}, c.body);
    EXPECT_EQ(r.status, c.status) << c.body << " -> " << r.body;
    EXPECT_EQ(r.doc["error"]["code"], c.code) << c.body << " -> " << r.body;
    if (!c.field.empty()) {
      EXPECT_EQ(r.doc["error"]["field"], c.field) << r.body;
    }
    EXPECT_FALSE(r.doc["error"]["message"].get<std::string>().empty());
  }
  // In an array, the error names the index; nothing of the array is stored.
  auto mixed = post(h, json::array({trigger("good", "osd", 1, 1), json{{"kind", "osd"}}}));
  EXPECT_EQ(mixed.status, 400);
  EXPECT_EQ(mixed.doc["error"]["index"], 1);
  auto text = curl(h, "POST", "/v1/triggers", {"-H", "Content-Type: text/plain"}, "hello");
  EXPECT_EQ(text.status, 415);
  auto big = curl(h, "POST", "/v1/triggers", {"-H", "Content-Type: application/json"},
                  std::string(8 * 1024, ' ') + "{}");
  EXPECT_EQ(big.status, 413);
  auto fat_header = curl(h, "GET", "/healthz", {"-H", "X-Padding: " + std::string(4096, 'x')});
  EXPECT_EQ(fat_header.status, 431);
  auto wrong_method = curl(h, "GET", "/v1/triggers");
  EXPECT_EQ(wrong_method.status, 405);
  EXPECT_TRUE(has_header(wrong_method, "Allow: POST")) << wrong_method.headers;
  EXPECT_EQ(curl(h, "GET", "/v2/anything").status, 404);

  EXPECT_EQ(h.triggers().size(), 0U) << "no bad request stored anything";
  // The agent is still healthy after all that.
  EXPECT_EQ(post(h, trigger("after", "osd", 16777220, 1)).status, 202);
  EXPECT_EQ(h.stop(SIGTERM), 0);
}

TEST(HttpApi, IdempotencyKeyReturnsTheFirstResult) {
  AgentHarness h("http-idem");
  h.set_sections(kAnonymous);
  h.write_config();
  h.start();
  const auto body = json::array({trigger("", "osd", 16777220, 1), trigger("", "osd", 16777221, 2)});
  auto first = post(h, body, {"-H", "Idempotency-Key: ts-run-42"});
  ASSERT_EQ(first.status, 202) << first.body;
  auto again = post(h, body, {"-H", "Idempotency-Key: ts-run-42"});
  ASSERT_EQ(again.status, 202) << again.body;
  EXPECT_EQ(again.doc["triggers"], first.doc["triggers"]) << "the first answer, again";
  EXPECT_EQ(again.doc["accepted"], 2);
  EXPECT_TRUE(has_header(again, "Idempotent-Replayed: true")) << again.headers;
  EXPECT_FALSE(has_header(first, "Idempotent-Replayed"));

  auto other_body =
      post(h, json::array({trigger("", "osd", 16777222, 3)}), {"-H", "Idempotency-Key: ts-run-42"});
  EXPECT_EQ(other_body.status, 422);
  EXPECT_EQ(other_body.doc["error"]["code"], "idempotency_key_reused");
  auto bad_key = post(h, body, {"-H", "Idempotency-Key: " + std::string(200, 'k')});
  EXPECT_EQ(bad_key.status, 400);

  // Client ids work without a key too: a resubmitted id is a duplicate.
  ASSERT_EQ(post(h, trigger("mine-1", "osd", 16777223, 4)).status, 202);
  auto dup = post(h, trigger("mine-1", "osd", 16777223, 4));
  EXPECT_EQ(dup.doc["duplicates"], 1);
  EXPECT_EQ(dup.doc["triggers"][0]["status"], "duplicate");

  EXPECT_EQ(h.triggers().size(), 3U);
  EXPECT_EQ(h.stop(SIGTERM), 0);
}

TEST(HttpApi, SlowAndIdleClientsAreCutOffAndOthersStillServed) {
  AgentHarness h("http-slow");
  h.set_sections(std::string(kAnonymous) +
                 "  read_timeout: 500ms\n  idle_timeout: 500ms\n  max_connections: 3\n");
  h.write_config();
  h.start();
  const auto url = h.http_url();
  // Slowloris: headers trickle in and never finish.
  RawConnection slow(url);
  ASSERT_TRUE(slow.connected());
  std::thread trickle([&] {
    for (const char* part : {"POST /v1/triggers HTTP/1.1\r\n", "Host: x\r\n", "X-A: 1\r\n"}) {
      if (!slow.send(part)) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
    }
  });
  // Meanwhile another client is served.
  EXPECT_EQ(curl(h, "GET", "/healthz").status, 200);
  const std::string got = slow.read_until_closed();  // returns once the agent closes it
  trickle.join();
  EXPECT_EQ(got.find("202"), std::string::npos) << got;

  // An idle connection that never sends anything is closed too.
  RawConnection idle(url);
  ASSERT_TRUE(idle.connected());
  EXPECT_EQ(idle.read_until_closed(), "");
  EXPECT_EQ(curl(h, "GET", "/healthz").status, 200);
  EXPECT_EQ(h.stop(SIGTERM), 0);
}

TEST(HttpApi, ConnectionAndRateLimitsAnswer503And429) {
  AgentHarness h("http-limits");
  h.set_sections(std::string(kAnonymous) +
                 "  max_connections: 2\n  idle_timeout: 30s\n  read_timeout: 30s\n"
                 "  rate_limit: {per_second: 1, burst: 3}\n");
  h.write_config();
  h.start();
  const auto url = h.http_url();
  {
    RawConnection a(url);
    RawConnection b(url);
    ASSERT_TRUE(a.connected() && b.connected());
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // let both be accepted
    RawConnection c(url);
    ASSERT_TRUE(c.connected());
    const auto answer = c.read_until_closed();
    EXPECT_NE(answer.find("503"), std::string::npos) << answer;
    EXPECT_NE(answer.find("too_many_connections"), std::string::npos) << answer;
  }
  // Once those are gone, requests flow again, up to the rate limit.
  ASSERT_TRUE(AgentHarness::wait_for([&] { return curl(h, "GET", "/healthz").status == 200; }));
  int limited = 0;
  HttpResult last;
  for (int i = 0; i < 6; ++i) {
    last = curl(h, "GET", "/healthz");
    if (last.status == 429) {
      ++limited;
      EXPECT_TRUE(has_header(last, "Retry-After: ")) << last.headers;
      EXPECT_EQ(last.doc["error"]["code"], "rate_limited");
    }
  }
  EXPECT_GE(limited, 1);
  EXPECT_EQ(h.stop(SIGTERM), 0);
}

TEST(HttpApi, SubmitRetriesWhileTheAgentStarts) {
  AgentHarness h("http-retry");
  h.set_sections("http:\n  listen: 127.0.0.1:18741\n  allow_anonymous: true\n");
  h.write_config();
  // The agent is not running yet: submit keeps trying (connection refused).
  CommandResult r;
  std::thread client([&] {
    r = h.cli({"submit", "--kind", "osd", "--machine", "16777220", "--user", "CONTOSO\\user001",
               "--id", "patient", "--wait", "60s"});
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  h.start();
  client.join();
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("accepted trigger patient"), std::string::npos) << r.out;
  EXPECT_EQ(h.stop(SIGTERM), 0);

  // With the agent gone for good, submit gives up after --wait with a clear error.
  auto gone = h.cli({"submit", "--kind", "osd", "--machine", "16777220", "--user",
                     "CONTOSO\\user001", "--wait", "1s"});
  EXPECT_EQ(gone.exit_code, 1);
  EXPECT_NE(gone.err.find("no answer from http://127.0.0.1:18741"), std::string::npos) << gone.err;
}

// 10,000 triggers from 10 concurrent clients, some requests sent twice: every
// trigger is stored exactly once and every answer is 202.
TEST(HttpApi, BurstOfTenThousandTriggersIsAcceptedExactlyOnce) {
  AgentHarness h("http-burst");
  h.set_sections(std::string(kAnonymous) + "  rate_limit: {per_second: 0}\n");
  // Intake only: the rules skip everything, so no dispatch load hides intake problems.
  h.write_file("skip.yaml", "rules: []\ndefault: {action: skip, reason: burst test}\n");
  h.write_config("", "", "skip.yaml");
  h.start();
  constexpr int kClients = 10;
  constexpr int kRequests = 10;
  constexpr int kPerRequest = 100;
  std::vector<std::thread> clients;
  std::vector<int> failures(kClients, 0);
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      for (int r = 0; r < kRequests; ++r) {
        json arr = json::array();
        for (int i = 0; i < kPerRequest; ++i) {
          const int n = (c * kRequests + r) * kPerRequest + i;
          arr.push_back(trigger("burst-" + std::to_string(n), "osd",
                                static_cast<std::uint32_t>(16777220 + n % 40), n % 40 + 1));
        }
        const std::string key = "c" + std::to_string(c) + "-r" + std::to_string(r);
        auto res = post(h, arr, {"-H", "Idempotency-Key: " + key});
        if (res.status != 202 || res.doc["accepted"] != kPerRequest) ++failures[c];
        if (r % 3 == 0) {  // a client that did not see the answer sends it again
          auto again = post(h, arr, {"-H", "Idempotency-Key: " + key});
          if (again.status != 202 || again.doc["accepted"] != kPerRequest) ++failures[c];
        }
      }
    });
  }
  for (auto& t : clients) t.join();
  for (int c = 0; c < kClients; ++c) EXPECT_EQ(failures[c], 0) << "client " << c;

  ASSERT_TRUE(AgentHarness::wait_for([&] { return h.all_triggers_terminal(10'000); },
                                     std::chrono::seconds(120)));
  auto all = h.triggers();
  std::set<std::string> ids;
  for (const auto& t : all) ids.insert(t["id"].get<std::string>());
  EXPECT_EQ(all.size(), 10'000U);
  EXPECT_EQ(ids.size(), 10'000U);
  auto metrics = curl(h, "GET", "/metrics");
  EXPECT_NE(metrics.body.find(
                "uda_triggers_accepted_total{kind=\"osd\",origin=\"http:anonymous\"} 10000"),
            std::string::npos);
  EXPECT_EQ(h.stop(SIGTERM), 0);
}

// TLS: clients that trust the agent's certificate get through; others fail
// the handshake and nothing is stored.
TEST(HttpApi, TlsServesTrustingClientsOnly) {
  AgentHarness h("http-tls");
  auto gen = h.run_tool({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                         "-keyout", "server.key", "-out", "server.pem"});
  ASSERT_EQ(gen.exit_code, 0) << gen.err;
  auto other = h.run_tool({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                           "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                           "-keyout", "other.key", "-out", "other.pem"});
  ASSERT_EQ(other.exit_code, 0) << other.err;
  h.set_sections(std::string(kAnonymous) + "  tls: {cert: server.pem, key: server.key}\n");
  h.write_config();
  h.start();
  const auto url = h.http_url();
  ASSERT_EQ(url.rfind("https://", 0), 0U) << url;

  auto trusted = curl(h, "GET", "/healthz", {"--cacert", "server.pem"});
  EXPECT_EQ(trusted.status, 200) << trusted.body;
  auto untrusted = curl(h, "GET", "/healthz");  // the system CAs do not know it
  EXPECT_EQ(untrusted.status, 0);
  auto wrong_ca = curl(h, "GET", "/healthz", {"--cacert", "other.pem"});
  EXPECT_EQ(wrong_ca.status, 0);
  auto plain =
      curl(h, "GET", "/healthz", {"http" + url.substr(5) + "/healthz"});  // plain HTTP to TLS
  EXPECT_NE(plain.status, 200);

  auto ok = h.cli({"submit", "--url", url, "--ca-file", "server.pem", "--kind", "osd", "--machine",
                   "16777220", "--user", "CONTOSO\\user001", "--id", "tls-1"});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  auto refused = h.cli({"submit", "--url", url, "--ca-file", "other.pem", "--kind", "osd",
                        "--machine", "16777221", "--user", "CONTOSO\\user002", "--id", "tls-2"});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("TLS handshake"), std::string::npos) << refused.err;
  EXPECT_EQ(h.triggers().size(), 1U);
  EXPECT_EQ(h.stop(SIGTERM), 0);
}

}  // namespace
}  // namespace uda::test
