// Runs the real fake-adminservice executable on port 0 and talks to it with
// curl, over plain HTTP and TLS (a throwaway certificate from openssl).

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "providers/simulated/site.hpp"
#include "temp_dir.hpp"

namespace uda::fake {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

const std::string kToken = "t0ken-for-tests";

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (const char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

std::string url_encode(const std::string& s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (const unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4U];
      out += kHex[c & 15U];
    }
  }
  return out;
}

// One running fake-adminservice.
class FakeProcess {
 public:
  FakeProcess(const fs::path& dir, const std::vector<std::string>& extra) : log_(dir / "fake.log") {
    std::vector<std::string> args = {FAKE_ADMINSERVICE_BIN,
                                     "--fixture",
                                     std::string(UDA_SOURCE_DIR) + "/tests/data/sites/small.yaml",
                                     "--state",
                                     (dir / "site.db").string(),
                                     "--listen",
                                     "127.0.0.1:0",
                                     "--token",
                                     kToken};
    args.insert(args.end(), extra.begin(), extra.end());
    int out[2];
    if (::pipe(out) != 0) throw std::runtime_error("pipe");
    const int log_fd = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(out[1], 1);
      ::dup2(log_fd, 2);
      ::close(out[0]);
      ::close(out[1]);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    ::close(out[1]);
    ::close(log_fd);
    out_ = out[0];
    line_ = read_line(std::chrono::seconds(15));
  }

  ~FakeProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (out_ >= 0) ::close(out_);
  }
  FakeProcess(const FakeProcess&) = delete;
  FakeProcess& operator=(const FakeProcess&) = delete;

  // The first stdout line ("" when none arrived).
  [[nodiscard]] const std::string& line() const { return line_; }
  [[nodiscard]] std::string url() const {
    const std::string prefix = "fake-adminservice listening on ";
    return line_.rfind(prefix, 0) == 0 ? line_.substr(prefix.size()) : std::string();
  }
  [[nodiscard]] std::string log() const { return read_file(log_); }

  // SIGTERM, then the exit code (-1: did not exit within the deadline, or by a signal).
  int stop(std::chrono::milliseconds deadline = std::chrono::seconds(10)) {
    ::kill(pid_, SIGTERM);
    return wait(deadline);
  }

  // Waits for the process to exit by itself.
  int wait(std::chrono::milliseconds deadline) {
    const auto until = std::chrono::steady_clock::now() + deadline;
    while (std::chrono::steady_clock::now() < until) {
      int status = 0;
      const pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return -1;
  }

  // Whatever else the process wrote to stdout (after it exited).
  std::string rest_of_stdout() {
    std::string out;
    char buf[256];
    ssize_t n = 0;
    while ((n = ::read(out_, buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
    return out;
  }

 private:
  std::string read_line(std::chrono::milliseconds timeout) {
    std::string out;
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < until) {
      pollfd p{out_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      char c = 0;
      if (::read(out_, &c, 1) != 1) break;  // EOF: the process ended
      if (c == '\n') return out;
      out += c;
    }
    return out;
  }

  fs::path log_;
  pid_t pid_ = -1;
  int out_ = -1;
  std::string line_;
};

struct CurlResult {
  int exit_code = -1;
  int status = 0;
  std::string headers;
  std::string body;
};

CurlResult curl(const fs::path& dir, const std::string& args) {
  const auto headers = dir / "curl-headers.txt";
  const auto body = dir / "curl-body.txt";
  fs::remove(headers);
  fs::remove(body);
  const std::string cmd = "curl -sS --max-time 10 -o " + shell_quote(body.string()) + " -D " +
                          shell_quote(headers.string()) + " -w '%{http_code}' " + args +
                          " 2>/dev/null";
  CurlResult r;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  std::string out;
  char buf[64];
  while (std::fgets(buf, sizeof buf, p) != nullptr) out += buf;
  const int rc = ::pclose(p);
  r.exit_code = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  r.status = std::atoi(out.c_str());
  r.headers = read_file(headers);
  r.body = read_file(body);
  return r;
}

std::string bearer() {
  return "-H " + shell_quote("Authorization: Bearer " + kToken);
}

std::size_t count_request_lines(const std::string& log) {
  std::size_t n = 0;
  for (auto pos = log.find(" -> "); pos != std::string::npos; pos = log.find(" -> ", pos + 1)) ++n;
  return n;
}

int effects_for(const fs::path& state, std::uint32_t device, const std::string& user, int source) {
  auto site = SimulatedSite::open_read_only(state);
  EXPECT_TRUE(site) << site.error().message;
  if (!site) return -1;
  auto n = (*site)->effect_count(device, user, static_cast<std::uint32_t>(source));
  return n ? *n : -1;
}

const std::string kCreateBody =
    R"({"MachineResourceId":16777220,"UserAccountName":"CONTOSO\\jdoe","SourceId":6,"TypeId":1})";

std::string post_create(const fs::path& dir, const std::string& url) {
  std::ofstream(dir / "body.json") << kCreateBody;
  return "-X POST -H 'Content-Type: application/json' --data-binary @" +
         shell_quote((dir / "body.json").string()) + " " +
         shell_quote(url + "/AdminService/wmi/SMS_UserMachineRelationship.CreateRelationship");
}

TEST(FakeAdminServiceBinary, PlainHttpEndToEnd) {
  test::TempDir dir;
  FakeProcess fake(dir.path(), {"--basic", "CONTOSO\\svc:pa ss", "--seed", "1"});
  ASSERT_TRUE(std::regex_match(
      fake.line(), std::regex(R"(fake-adminservice listening on http://127\.0\.0\.1:\d+)")))
      << "stdout: '" << fake.line() << "'\nlog:\n"
      << fake.log();
  const auto url = fake.url();

  // No credentials: 401 with both challenges.
  auto anon = curl(dir.path(), shell_quote(url + "/AdminService/wmi/SMS_R_System(16777220)"));
  EXPECT_EQ(anon.status, 401) << anon.body;
  EXPECT_NE(anon.headers.find("WWW-Authenticate: Negotiate"), std::string::npos) << anon.headers;
  EXPECT_NE(anon.headers.find("WWW-Authenticate: Bearer"), std::string::npos) << anon.headers;
  EXPECT_EQ(Json::parse(anon.body)["error"]["code"], "Unauthorized");
  auto wrong = curl(dir.path(), "-H 'Authorization: Bearer nope' " +
                                    shell_quote(url + "/AdminService/wmi/SMS_R_System(16777220)"));
  EXPECT_EQ(wrong.status, 401);

  auto device = curl(
      dir.path(), bearer() + " " + shell_quote(url + "/AdminService/wmi/SMS_R_System(16777220)"));
  ASSERT_EQ(device.status, 200) << device.body;
  EXPECT_NE(device.headers.find("application/json"), std::string::npos) << device.headers;
  auto j = Json::parse(device.body);
  EXPECT_EQ(j["value"][0]["Name"], "WKS-0001");
  EXPECT_EQ(j["value"][0]["Active"], 1);

  // Basic auth, and a filter URL-encoded by curl itself.
  auto basic = curl(dir.path(), "-u " + shell_quote("CONTOSO\\svc:pa ss") + " -G " +
                                    shell_quote(url + "/AdminService/wmi/SMS_R_User") +
                                    " --data-urlencode " +
                                    shell_quote("$filter=UserPrincipalName eq 'JDOE@contoso.com'"));
  ASSERT_EQ(basic.status, 200) << basic.body;
  EXPECT_EQ(Json::parse(basic.body)["value"][0]["UniqueUserName"], "CONTOSO\\jdoe");

  // Create, then find it; the state file shows the effect.
  auto created = curl(dir.path(), bearer() + " " + post_create(dir.path(), url));
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(Json::parse(created.body)["ReturnValue"], 0);
  const std::string filter = "ResourceID eq 16777220 and UniqueUserName eq 'CONTOSO\\jdoe'";
  auto found = curl(dir.path(), bearer() + " " +
                                    shell_quote(url +
                                                "/AdminService/wmi/SMS_UserMachineRelationship"
                                                "?$filter=" +
                                                url_encode(filter)));
  ASSERT_EQ(found.status, 200) << found.body;
  auto rel = Json::parse(found.body)["value"];
  ASSERT_EQ(rel.size(), 1U) << found.body;
  EXPECT_EQ(rel[0]["Sources"], Json::array({6}));
  EXPECT_EQ(effects_for(dir.path() / "site.db", 16777220, "CONTOSO\\jdoe", 6), 1);

  auto bad = curl(
      dir.path(),
      bearer() + " " +
          shell_quote(url + "/AdminService/wmi/SMS_R_System?$filter=" + url_encode("Name ne 'x'")));
  EXPECT_EQ(bad.status, 400);
  auto missing = curl(dir.path(), bearer() + " " + shell_quote(url + "/nothing/here"));
  EXPECT_EQ(missing.status, 404);

  EXPECT_EQ(fake.stop(), 0) << fake.log();
  EXPECT_EQ(fake.rest_of_stdout(), "") << "exactly one line on stdout";
  const auto log = fake.log();
  EXPECT_EQ(count_request_lines(log), 8U) << log;
  EXPECT_NE(log.find("127.0.0.1 GET /AdminService/wmi/SMS_R_System(16777220) -> 401 fault=none"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("signal 15: stopping"), std::string::npos) << log;
}

TEST(FakeAdminServiceBinary, TlsEndToEnd) {
  test::TempDir dir;
  const auto cert = dir.path() / "cert.pem";
  const auto key = dir.path() / "key.pem";
  const std::string gen =
      "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 "
      "-addext subjectAltName=IP:127.0.0.1 -keyout " +
      shell_quote(key.string()) + " -out " + shell_quote(cert.string()) + " >/dev/null 2>&1";
  ASSERT_EQ(std::system(gen.c_str()), 0) << "openssl could not make a test certificate";
  FakeProcess fake(dir.path(), {"--tls-cert", cert.string(), "--tls-key", key.string()});
  ASSERT_TRUE(std::regex_match(
      fake.line(), std::regex(R"(fake-adminservice listening on https://127\.0\.0\.1:\d+)")))
      << "stdout: '" << fake.line() << "'\nlog:\n"
      << fake.log();
  const auto url = fake.url();

  auto ok = curl(dir.path(), "--cacert " + shell_quote(cert.string()) + " " + bearer() + " " +
                                 shell_quote(url + "/AdminService/wmi/SMS_R_System?$filter=" +
                                             url_encode("Name eq 'lab-01'")));
  ASSERT_EQ(ok.status, 200) << ok.body << "\n" << fake.log();
  EXPECT_EQ(Json::parse(ok.body)["value"].size(), 2U);
  auto created = curl(dir.path(), "--cacert " + shell_quote(cert.string()) + " " + bearer() + " " +
                                      post_create(dir.path(), url));
  EXPECT_EQ(created.status, 201) << created.body;

  // Unverified certificate and plain HTTP on the TLS port both fail.
  auto untrusted =
      curl(dir.path(), bearer() + " " + shell_quote(url + "/AdminService/wmi/SMS_R_User"));
  EXPECT_NE(untrusted.exit_code, 0);
  std::string plain_url = url;
  plain_url.replace(0, 5, "http");
  auto plain =
      curl(dir.path(), bearer() + " " + shell_quote(plain_url + "/AdminService/wmi/SMS_R_User"));
  EXPECT_NE(plain.status, 200);

  EXPECT_EQ(fake.stop(), 0) << fake.log();
  EXPECT_EQ(effects_for(dir.path() / "site.db", 16777220, "CONTOSO\\jdoe", 6), 1);
}

TEST(FakeAdminServiceBinary, InjectedFaultsOverTheWire) {
  {
    test::TempDir dir;
    FakeProcess fake(dir.path(), {"--reset-rate", "1"});
    ASSERT_FALSE(fake.url().empty()) << fake.log();
    auto r = curl(dir.path(), bearer() + " " + post_create(dir.path(), fake.url()));
    EXPECT_TRUE(r.exit_code == 52 || r.exit_code == 56) << "curl exit " << r.exit_code;
    EXPECT_EQ(r.status, 0);
    EXPECT_EQ(fake.stop(), 0);
    EXPECT_EQ(effects_for(dir.path() / "site.db", 16777220, "CONTOSO\\jdoe", 6), 0);
    EXPECT_NE(fake.log().find("-> reset fault=reset"), std::string::npos) << fake.log();
  }
  {
    test::TempDir dir;
    FakeProcess fake(dir.path(), {"--rate-429", "1", "--retry-after", "7"});
    auto r = curl(dir.path(), bearer() + " " + post_create(dir.path(), fake.url()));
    EXPECT_EQ(r.status, 429);
    EXPECT_NE(r.headers.find("Retry-After: 7"), std::string::npos) << r.headers;
    EXPECT_EQ(Json::parse(r.body)["error"]["code"], "TooManyRequests");
    EXPECT_EQ(fake.stop(), 0);
    EXPECT_EQ(effects_for(dir.path() / "site.db", 16777220, "CONTOSO\\jdoe", 6), 0);
  }
  {
    test::TempDir dir;
    FakeProcess fake(dir.path(), {"--error-rate-5xx", "1", "--latency-ms", "200"});
    const auto start = std::chrono::steady_clock::now();
    auto r = curl(dir.path(), bearer() + " " + post_create(dir.path(), fake.url()));
    EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(200));
    EXPECT_TRUE(r.status == 500 || r.status == 502 || r.status == 503) << r.status;
    EXPECT_EQ(fake.stop(), 0);
    EXPECT_EQ(effects_for(dir.path() / "site.db", 16777220, "CONTOSO\\jdoe", 6), 0);
  }
  {
    // Applied, then lost: 500 or a reset, but the relationship exists.
    test::TempDir dir;
    FakeProcess fake(dir.path(), {"--ambiguous-rate", "1", "--seed", "3"});
    auto r = curl(dir.path(), bearer() + " " + post_create(dir.path(), fake.url()));
    EXPECT_TRUE(r.status == 500 || r.exit_code == 52 || r.exit_code == 56)
        << r.status << " / curl exit " << r.exit_code;
    EXPECT_EQ(fake.stop(), 0);
    EXPECT_EQ(effects_for(dir.path() / "site.db", 16777220, "CONTOSO\\jdoe", 6), 1);
    EXPECT_NE(fake.log().find("applied=201"), std::string::npos) << fake.log();
  }
  {
    // A hang longer than the client's timeout; nothing applied; SIGTERM ends it at once.
    test::TempDir dir;
    FakeProcess fake(dir.path(), {"--timeout-rate", "1", "--timeout-sleep-ms", "60000"});
    auto r =
        curl(dir.path(), "--max-time 0.5 " + bearer() + " " + post_create(dir.path(), fake.url()));
    EXPECT_EQ(r.exit_code, 28) << "curl timed out";
    std::thread slow([&] {
      curl(dir.path(), "--max-time 20 " + bearer() + " " +
                           shell_quote(fake.url() + "/AdminService/wmi/SMS_R_User"));
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(fake.stop(), 0) << fake.log();
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
    slow.join();
    EXPECT_EQ(effects_for(dir.path() / "site.db", 16777220, "CONTOSO\\jdoe", 6), 0);
  }
  {
    test::TempDir dir;
    FakeProcess fake(dir.path(), {"--outage", "0:60000"});
    auto r = curl(dir.path(), bearer() + " " + post_create(dir.path(), fake.url()));
    EXPECT_EQ(r.status, 503);
    EXPECT_EQ(Json::parse(r.body)["error"]["code"], "ServiceUnavailable");
    EXPECT_EQ(fake.stop(), 0);
  }
}

TEST(FakeAdminServiceBinary, RefusesBadCommandLines) {
  const std::vector<std::vector<std::string>> cases = {
      {"--tls-cert", std::string(UDA_SOURCE_DIR) + "/README.md"},  // without --tls-key
      {"--outage", "soon"},
      {"--error-rate-5xx", "0.6", "--reset-rate", "0.6"},
      {"--rate-429", "2"},
      {"--listen", "nowhere"},
      {"--basic", "nocolon"},
      {"--frobnicate"},
  };
  for (const auto& extra : cases) {
    test::TempDir dir;
    FakeProcess fake(dir.path(), extra);
    EXPECT_EQ(fake.line(), "") << extra[0];
    EXPECT_EQ(fake.wait(std::chrono::seconds(10)), 2) << extra[0] << "\n" << fake.log();
  }
  // Start-up failure (not usage): a TLS key that is not a key.
  test::TempDir dir;
  std::ofstream(dir.path() / "junk.pem") << "not a pem\n";
  const auto junk = (dir.path() / "junk.pem").string();
  FakeProcess fake(dir.path(), {"--tls-cert", junk, "--tls-key", junk});
  EXPECT_EQ(fake.line(), "");
  EXPECT_EQ(fake.wait(std::chrono::seconds(10)), 1) << fake.log();
  EXPECT_NE(fake.log().find("--tls-cert: cannot load"), std::string::npos) << fake.log();
}

}  // namespace
}  // namespace uda::fake
