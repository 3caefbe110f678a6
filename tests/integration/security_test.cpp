// Security checks, end to end: the real agent gets hostile input through
// every way in (HTTP API, tokens, TLS, spool folder) and hostile names on the
// way out (OData to the AdminService). For each: a clear refusal, nothing
// stored, the agent still alive and serving, and a log that stays one escaped
// line per event with no secret in it. See SECURITY_CHECKS.md for the map.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "agent_harness.hpp"
#include "fake_adminservice_process.hpp"
#include "site_reader.hpp"

namespace uda::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// ---------------------------------------------------------------------------
// Clients and readers (small copies; the harness stays as it is).

struct HttpResult {
  int status = 0;
  std::string headers;
  std::string body;
  json doc;  // parsed body (discarded when not JSON)
};

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// curl against the agent; `url` overrides the agent's own base URL + path.
HttpResult curl(const AgentHarness& h, const std::string& method, const std::string& path,
                const std::vector<std::string>& extra = {}, const std::string& body = "",
                const std::string& url = "") {
  static std::atomic<int> n{0};
  const auto tag = std::to_string(::getpid()) + "-" + std::to_string(++n);
  const auto body_file = (h.dir() / ("sec-body-" + tag)).string();
  const auto head_file = (h.dir() / ("sec-head-" + tag)).string();
  std::vector<std::string> argv{"curl", "-s",      "-S", "--max-time", "20", "-X",          method,
                                "-o",   body_file, "-D", head_file,    "-w", "%{http_code}"};
  if (!body.empty()) {
    const auto data_file = (h.dir() / ("sec-data-" + tag)).string();
    std::ofstream(data_file, std::ios::binary) << body;
    argv.insert(argv.end(), {"--data-binary", "@" + data_file});
  }
  argv.insert(argv.end(), extra.begin(), extra.end());
  argv.push_back(url.empty() ? h.http_url() + path : url);
  auto r = h.run_tool(argv);
  HttpResult out;
  out.status = std::atoi(r.out.c_str());
  out.body = read_file(body_file);
  out.headers = read_file(head_file);
  out.doc = json::parse(out.body, nullptr, false);
  return out;
}

HttpResult post_text(const AgentHarness& h, const std::string& body,
                     std::vector<std::string> extra = {}) {
  extra.insert(extra.begin(), {"-H", "Content-Type: application/json"});
  return curl(h, "POST", "/v1/triggers", extra, body);
}

HttpResult post(const AgentHarness& h, const json& body, std::vector<std::string> extra = {}) {
  return post_text(h, body.dump(), std::move(extra));
}

// A valid trigger; without an id when `id` is empty.
json good_trigger(const std::string& id, std::uint32_t machine, int u) {
  json t{{"kind", "osd"}, {"machine", {{"resource_id", machine}}}, {"user", user(u)}};
  if (!id.empty()) t["id"] = id;
  return t;
}

// %XX for everything but RFC 3986 unreserved characters: an independent
// copy of what a correct client must send.
std::string percent_encode(const std::string& s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if ((u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 15];
    }
  }
  return out;
}

// An OData string literal: quotes doubled.
std::string odata_literal(const std::string& s) {
  std::string out = "'";
  for (const char c : s) {
    out += c;
    if (c == '\'') out += '\'';
  }
  return out + "'";
}

// A YAML single-quoted scalar.
std::string yaml_sq(const std::string& s) {
  std::string out = "'";
  for (const char c : s) {
    out += c;
    if (c == '\'') out += '\'';
  }
  return out + "'";
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// The key=value pairs of one log line, as a reader splits them: values are
// bare words or "quoted" with backslash escapes. A value that broke out of
// its quotes shows up as extra keys.
std::vector<std::pair<std::string, std::string>> pairs_of(const std::string& line) {
  std::vector<std::pair<std::string, std::string>> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && line[i] == ' ') ++i;
    const std::size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '=' && line[i] != '"') ++i;
    if (i < line.size() && line[i] == '=' && i > start) {
      std::string key = line.substr(start, i - start);
      ++i;
      std::string value;
      if (i < line.size() && line[i] == '"') {
        ++i;
        while (i < line.size() && line[i] != '"') {
          if (line[i] == '\\' && i + 1 < line.size()) {
            value += line[i + 1];
            i += 2;
          } else {
            value += line[i++];
          }
        }
        ++i;  // the closing quote
      } else {
        while (i < line.size() && line[i] != ' ') value += line[i++];
      }
      out.emplace_back(std::move(key), std::move(value));
    } else {
      if (i < line.size() && line[i] == '"') {  // a bare quoted word: skip to its end
        ++i;
        while (i < line.size() && line[i] != '"') i += line[i] == '\\' ? 2 : 1;
        ++i;
      }
      while (i < line.size() && line[i] != ' ') ++i;
    }
  }
  return out;
}

std::size_t key_count(const std::string& line, const std::string& key) {
  std::size_t n = 0;
  for (const auto& [k, v] : pairs_of(line)) n += k == key ? 1 : 0;
  return n;
}

// True for the UTF-8 form of a C1 control (U+0080..U+009F), a line or
// paragraph separator or a bidirectional override/isolate at line[i].
bool unicode_control(const std::string& line, std::size_t i) {
  const auto at = [&](std::size_t k) {
    return i + k < line.size() ? static_cast<unsigned char>(line[i + k]) : 0U;
  };
  return (at(0) == 0xC2 && at(1) >= 0x80 && at(1) <= 0x9F) ||
         (at(0) == 0xE2 && at(1) == 0x80 && at(2) >= 0xA8 && at(2) <= 0xAE) ||
         (at(0) == 0xE2 && at(1) == 0x81 && at(2) >= 0xA6 && at(2) <= 0xA9);
}

// Lines of the log holding a raw control character (tab and the line end
// aside), DEL or a Unicode control: a hostile value that was not escaped.
std::vector<std::string> raw_control_lines(const std::string& log) {
  std::vector<std::string> bad;
  for (const auto& line : split_lines(log)) {
    for (std::size_t i = 0; i < line.size(); ++i) {
      const auto u = static_cast<unsigned char>(line[i]);
      if ((u < 0x20 && line[i] != '\t') || u == 0x7f || unicode_control(line, i)) {
        bad.push_back(line);
        break;
      }
    }
  }
  return bad;
}

// Every line that starts with a timestamp the way the agent writes them; a
// hostile newline would start a line with something else.
std::vector<std::string> lines_not_from_the_logger(const AgentHarness& h) {
  std::vector<std::string> bad;
  for (const auto& line : split_lines(read_file(h.log_path()))) {
    if (line.size() < 25 || line[4] != '-' || line[10] != 'T' || line[23] != 'Z') {
      bad.push_back(line);
    }
  }
  return bad;
}

std::vector<std::string> lines_with(const std::string& log, const std::string& needle) {
  std::vector<std::string> out;
  for (const auto& line : split_lines(log)) {
    if (line.find(needle) != std::string::npos) out.push_back(line);
  }
  return out;
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += s + "\n";
  return out;
}

// The checks every hostile test ends with.
void expect_clean_log(const AgentHarness& h) {
  const auto log = read_file(h.log_path());
  EXPECT_TRUE(raw_control_lines(log).empty()) << join(raw_control_lines(log));
  EXPECT_TRUE(lines_not_from_the_logger(h).empty()) << join(lines_not_from_the_logger(h));
  for (const auto& line : split_lines(log)) {
    EXPECT_NE(line.rfind("FORGED", 0), 0U) << "a forged line: " << line;
  }
}

std::size_t count_files(const fs::path& dir, const std::string& suffix = "") {
  std::size_t n = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const auto name = e.path().filename().string();
    if (suffix.empty() || (name.size() >= suffix.size() &&
                           name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)) {
      ++n;
    }
  }
  return n;
}

// How many relationship changes the fake site recorded in all.
int all_effects(const fs::path& state) {
  sqlite3* db = nullptr;
  int n = -1;
  if (sqlite3_open_v2(state.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_busy_timeout(db, 5000);
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db,
                           "SELECT count(*) FROM effects WHERE effect IN ('created', "
                           "'source-added')",
                           -1, &st, nullptr) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
      n = sqlite3_column_int(st, 0);
    }
    sqlite3_finalize(st);
  }
  sqlite3_close_v2(db);
  return n;
}

const char* kAnonymous =
    "http:\n  listen: 127.0.0.1:0\n  allow_anonymous: true\n  rate_limit: {per_second: 0}\n";

// ---------------------------------------------------------------------------
// HTTP bodies: oversize, wrong type, invalid JSON, bad UTF-8, out of range,
// unknown and server-set fields, injection strings in every text field.

struct Refusal {
  std::string what;
  std::string body;
  int status;
  std::string code;
  std::string field;  // "" = not checked
  std::vector<std::string> headers = {};
};

TEST(Security, HostileBodiesAreRefusedStoreNothingAndLogOneEscapedLine) {
  AgentHarness h("sec-bodies");
  h.set_sections(std::string(kAnonymous) +
                 "  max_batch: 5\n  max_body: 8KiB\n  max_header: 2KiB\n");
  h.write_config();
  h.start();
  ASSERT_FALSE(h.http_url().empty()) << h.log();
  std::string raw_nul = R"({"kind":"osd","machine":1,"user":"C\\u)";
  raw_nul += '\0';
  raw_nul += "\"}";
  json many_attributes = json::object();
  for (int i = 0; i < 65; ++i) many_attributes["a" + std::to_string(i)] = i;

  const std::string ok_user = R"("user":"CONTOSO\\user001")";
  const std::string esc = "\\u001b";  // ESC, as JSON writes it
  const std::vector<Refusal> cases{
      // Not JSON, or not what a trigger is.
      {"empty body", " ", 400, "invalid_json", ""},
      {"not JSON", "{\"kind\":", 400, "invalid_json", ""},
      {"a string", "\"osd\"", 400, "invalid_json", ""},
      {"null", "null", 400, "invalid_json", ""},
      {"empty array", "[]", 400, "invalid_json", ""},
      {"deep nesting", std::string(33, '[') + std::string(33, ']'), 400, "invalid_json", ""},
      {"invalid UTF-8", "{\"kind\":\"osd\",\"machine\":1,\"user\":\"CONTOSO\\\\\xff\xfe\"}", 400,
       "invalid_json", ""},
      {"overlong UTF-8 slash", "{\"kind\":\"osd\",\"machine\":1,\"user\":\"C\xc0\xafu\"}", 400,
       "invalid_json", ""},
      {"lone surrogate", R"({"kind":"osd","machine":1,"user":"C\\u\ud800"})", 400, "invalid_json",
       ""},
      {"raw NUL byte", raw_nul, 400, "invalid_json", ""},
      {"escaped NUL", R"({"kind":"osd","machine":1,"user":"CONTOSO\\a\u0000"})", 400,
       "invalid_trigger", "user"},
      {"1e400", R"({"kind":"osd","machine":{"resource_id":1e400},)" + ok_user + "}", 400,
       "invalid_json", ""},
      {"-1e400 attribute",
       R"({"kind":"osd","machine":1,"attributes":{"n":-1e400},)" + ok_user + "}", 400,
       "invalid_json", ""},
      // Wrong types and ranges.
      {"kind number", R"({"kind":1,"machine":1,)" + ok_user + "}", 400, "invalid_trigger", "kind"},
      {"machine array", R"({"kind":"osd","machine":[1],)" + ok_user + "}", 400, "invalid_trigger",
       "machine"},
      {"machine bool", R"({"kind":"osd","machine":true,)" + ok_user + "}", 400, "invalid_trigger",
       "machine"},
      {"resource_id string", R"({"kind":"osd","machine":{"resource_id":"1"},)" + ok_user + "}", 400,
       "invalid_trigger", "machine.resource_id"},
      {"resource_id float", R"({"kind":"osd","machine":{"resource_id":1.5},)" + ok_user + "}", 400,
       "invalid_trigger", "machine.resource_id"},
      {"resource_id 0", R"({"kind":"osd","machine":0,)" + ok_user + "}", 400, "invalid_trigger",
       "machine.resource_id"},
      {"resource_id negative", R"({"kind":"osd","machine":-16777220,)" + ok_user + "}", 400,
       "invalid_trigger", "machine.resource_id"},
      {"resource_id 2^32", R"({"kind":"osd","machine":4294967296,)" + ok_user + "}", 400,
       "invalid_trigger", "machine.resource_id"},
      {"resource_id 2^64", R"({"kind":"osd","machine":18446744073709551616,)" + ok_user + "}", 400,
       "invalid_trigger", "machine.resource_id"},
      {"machine.name number", R"({"kind":"osd","machine":{"name":7},)" + ok_user + "}", 400,
       "invalid_trigger", "machine.name"},
      {"user object", R"({"kind":"osd","machine":1,"user":{"name":"x"}})", 400, "invalid_trigger",
       "user"},
      {"id number", R"({"id":5,"kind":"osd","machine":1,)" + ok_user + "}", 400, "invalid_trigger",
       "id"},
      {"attributes array", R"({"kind":"osd","machine":1,"attributes":[1],)" + ok_user + "}", 400,
       "invalid_trigger", "attributes"},
      {"attribute object",
       R"({"kind":"osd","machine":1,"attributes":{"a":{"b":1}},)" + ok_user + "}", 400,
       "invalid_trigger", "attributes.a"},
      // Unknown and server-set fields.
      {"unknown field", R"({"kind":"osd","machine":1,"admin":true,)" + ok_user + "}", 400,
       "invalid_trigger", "admin"},
      {"unknown machine field",
       R"({"kind":"osd","machine":{"resource_id":1,"site":"X"},)" + ok_user + "}", 400,
       "invalid_trigger", "machine.site"},
      {"origin", R"({"kind":"osd","machine":1,"origin":"cli",)" + ok_user + "}", 400,
       "invalid_trigger", "origin"},
      {"received_at",
       R"({"kind":"osd","machine":1,"received_at":"2020-01-01T00:00:00Z",)" + ok_user + "}", 400,
       "invalid_trigger", "received_at"},
      // Oversize fields (each is one field over its limit; the body stays small).
      {"user 300 chars",
       R"({"kind":"osd","machine":1,"user":"CONTOSO\\)" + std::string(300, 'u') + "\"}", 400,
       "invalid_trigger", "user"},
      {"device name 300 chars",
       R"({"kind":"osd","machine":{"name":")" + std::string(300, 'n') + "\"}," + ok_user + "}", 400,
       "invalid_trigger", "machine.name"},
      {"id 200 chars",
       R"({"id":")" + std::string(200, 'i') + R"(","kind":"osd","machine":1,)" + ok_user + "}", 400,
       "invalid_trigger", "id"},
      {"attribute 4097 chars",
       R"({"kind":"osd","machine":1,"attributes":{"a":")" + std::string(4097, 'v') + "\"}," +
           ok_user + "}",
       400, "invalid_trigger", "attributes.a"},
      {"65 attributes",
       R"({"kind":"osd","machine":1,"attributes":)" + many_attributes.dump() + "," + ok_user + "}",
       400, "invalid_trigger", "attributes"},
      // Injection strings: never valid users, and the message that quotes
      // them must not break the log line.
      {"kind with newline and ANSI",
       R"({"kind":"osd\nFORGED info  http: status=202 )" + esc + R"([31mred",)" +
           R"("machine":1,)" + ok_user + "}",
       400, "invalid_trigger", "kind"},
      {"field name with newline", R"({"kind":"osd","machine":1,"x\nFORGED":1,)" + ok_user + "}",
       400, "invalid_trigger", ""},
      {"attribute key with BEL and ESC",
       R"({"kind":"osd","machine":1,"attributes":{"k\u0007)" + esc + R"([2J":"v"},)" + ok_user +
           "}",
       400, "invalid_trigger", ""},
      {"user with quotes forging keys",
       R"({"kind":"osd","machine":1,"user":"jdoe\" status=202 token=\"admin"})", 400,
       "invalid_trigger", "user"},
      {"user ' OR 1=1 --", R"({"kind":"osd","machine":1,"user":"CONTOSO\\x' OR 1=1 --"})", 400,
       "invalid_trigger", "user"},
      {"user \"; DROP TABLE",
       R"({"kind":"osd","machine":1,"user":"CONTOSO\\\"; DROP TABLE jobs; --"})", 400,
       "invalid_trigger", "user"},
      {"user with newline", R"({"kind":"osd","machine":1,"user":"CONTOSO\\a\nFORGED"})", 400,
       "invalid_trigger", "user"},
      {"user with ESC", R"({"kind":"osd","machine":1,"user":"CONTOSO\\)" + esc + R"([31mred"})",
       400, "invalid_trigger", "user"},
      {"user with CR", R"({"kind":"osd","machine":1,"user":"CONTOSO\\a\rFORGED"})", 400,
       "invalid_trigger", "user"},
      {"user with DEL", R"({"kind":"osd","machine":1,"user":"CONTOSO\\a\u007f"})", 400,
       "invalid_trigger", "user"},
      {"user with U+009B (CSI)", R"({"kind":"osd","machine":1,"user":"CONTOSO\\a\u009b31m"})", 400,
       "invalid_trigger", "user"},
      {"device name with U+2028", R"({"kind":"osd","machine":"WKS\u2028FORGED",)" + ok_user + "}",
       400, "invalid_trigger", "machine.name"},
      {"id with U+202E", R"({"id":"a\u202egnp","kind":"osd","machine":1,)" + ok_user + "}", 400,
       "invalid_trigger", "id"},
      {"kind with U+0085 (NEL)", R"({"kind":"osd\u0085FORGED","machine":1,)" + ok_user + "}", 400,
       "invalid_trigger", "kind"},
      {"two backslashes", R"({"kind":"osd","machine":1,"user":"CONTOSO\\a\\b"})", 400,
       "invalid_trigger", "user"},
      {"device name with newline", R"({"kind":"osd","machine":"WKS\nFORGED",)" + ok_user + "}", 400,
       "invalid_trigger", "machine.name"},
      {"device name with ESC", R"({"kind":"osd","machine":"WKS)" + esc + R"([0m",)" + ok_user + "}",
       400, "invalid_trigger", "machine.name"},
      {"id with newline", R"({"id":"a\nFORGED","kind":"osd","machine":1,)" + ok_user + "}", 400,
       "invalid_trigger", "id"},
      // Batches: one bad trigger refuses the request; too many is refused whole.
      {"bad trigger at index 3",
       json::array({good_trigger("sec-batch-0", 16777220, 1),
                    good_trigger("sec-batch-1", 16777221, 2),
                    good_trigger("sec-batch-2", 16777222, 3),
                    json{{"kind", "osd"}, {"machine", 1}, {"user", "CONTOSO\\a\nFORGED"}}})
           .dump(),
       400, "invalid_trigger", "user"},
      {"six triggers (max_batch 5)",
       [] {
         json a = json::array();
         for (int i = 0; i < 6; ++i)
           a.push_back(good_trigger("sec-six-" + std::to_string(i), 16777220 + i, i + 1));
         return a.dump();
       }(),
       413, "too_many_triggers", ""},
      // Oversize body (max_body 8 KiB), also when chunked (no Content-Length).
      {"10 KiB body", std::string(10 * 1024, ' ') + good_trigger("sec-big", 16777220, 1).dump(),
       413, "body_too_large", ""},
      {"10 KiB chunked",
       std::string(10 * 1024, ' ') + good_trigger("sec-chunk", 16777220, 1).dump(),
       413,
       "body_too_large",
       "",
       {"-H", "Transfer-Encoding: chunked"}},
      // Other media types; an invalid token even though anonymous use is on.
      {"text/plain",
       good_trigger("sec-text", 16777220, 1).dump(),
       415,
       "unsupported_media_type",
       "",
       {"-H", "Content-Type: text/plain"}},
      {"wrong token with anonymous on",
       good_trigger("sec-tok", 16777220, 1).dump(),
       401,
       "unauthorized",
       "",
       {"-H", "Authorization: Bearer uda_wrong"}},
      {"Idempotency-Key with a space",
       good_trigger("sec-idem", 16777220, 1).dump(),
       400,
       "invalid_idempotency_key",
       "",
       {"-H", "Idempotency-Key: a b"}},
      {"Idempotency-Key 200 chars",
       good_trigger("sec-idem2", 16777220, 1).dump(),
       400,
       "invalid_idempotency_key",
       "",
       {"-H", "Idempotency-Key: " + std::string(200, 'k')}},
  };
  std::size_t logged_rejections = 0;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    std::vector<std::string> extra = c.headers;
    if (std::find(extra.begin(), extra.end(), "Content-Type: text/plain") == extra.end()) {
      extra.insert(extra.begin(), {"-H", "Content-Type: application/json"});
    }
    auto r = curl(h, "POST", "/v1/triggers", extra, c.body);
    EXPECT_EQ(r.status, c.status) << r.body;
    ASSERT_FALSE(r.doc.is_discarded()) << "errors are JSON: " << r.body;
    EXPECT_EQ(r.doc["error"]["code"], c.code) << r.body;
    EXPECT_FALSE(r.doc["error"]["message"].get<std::string>().empty()) << r.body;
    if (!c.field.empty()) {
      EXPECT_EQ(r.doc["error"].value("field", ""), c.field) << r.body;
    }
    if (c.what == "bad trigger at index 3") {
      EXPECT_EQ(r.doc["error"]["index"], 3) << r.body;
    }
    // The error never holds a raw ASCII control character either (JSON
    // escapes them; it may quote the client's own non-ASCII text as it is).
    EXPECT_TRUE(std::none_of(r.body.begin(), r.body.end() - 1, [](char ch) {
      const auto u = static_cast<unsigned char>(ch);
      return u < 0x20 || u == 0x7f;
    })) << r.body;
    // Refused by the API (not by the HTTP parser): logged, one line each.
    if (c.code != "body_too_large") ++logged_rejections;
  }

  // Headers over max_header (2 KiB).
  auto fat =
      curl(h, "POST", "/v1/triggers",
           {"-H", "Content-Type: application/json", "-H", "X-Pad: " + std::string(4096, 'p')},
           good_trigger("sec-fat", 16777220, 1).dump());
  EXPECT_EQ(fat.status, 431);
  EXPECT_EQ(fat.doc["error"]["code"], "headers_too_large");

  // Reads with hostile paths and queries.
  EXPECT_EQ(curl(h, "GET", "/v1/triggers/..%2F..%2Fetc%2Fpasswd").status, 404);
  EXPECT_EQ(curl(h, "GET", "/v1/triggers/%ZZ").status, 400);
  EXPECT_EQ(curl(h, "GET", "/v1/triggers/x'%20OR%20'1'='1").status, 404);
  EXPECT_EQ(curl(h, "GET", "/v1/triggers/" + std::string(300, 'a')).status, 400);
  EXPECT_EQ(curl(h, "GET", "/v1/jobs?state=dead'%20OR%201=1%20--").status, 400);
  EXPECT_EQ(curl(h, "GET", "/v1/jobs?limit=1e400").status, 400);
  EXPECT_EQ(curl(h, "GET", "/v1/jobs?limit=-1").status, 400);
  EXPECT_EQ(curl(h, "GET", "/v1/jobs?limit=99999999999999999999999").status, 400);

  // Nothing of any of that was stored.
  EXPECT_EQ(h.triggers().size(), 0U);
  for (const char* id : {"sec-batch-0", "sec-six-0", "sec-big", "sec-chunk", "sec-tok"}) {
    EXPECT_EQ(curl(h, "GET", std::string("/v1/triggers/") + id).status, 404) << id;
  }

  // Valid but hostile-looking text is stored exactly as sent, never run:
  // SQL, format specifiers and quotes in ids, device names, users, attributes.
  const json literal = {
      {"id", "x'); DELETE FROM jobs; -- {} %s"},
      {"kind", "osd"},
      {"machine",
       {{"resource_id", 16777230}, {"name", "WKS\" decision=skip rule=FORGED \\ %n{0}"}}},
      {"user", "CONTOSO\\x' OR 'a' LIKE 'a {}%s%n"},
      {"attributes",
       {{"k'); DROP TABLE triggers; --", "'; DROP TABLE jobs; --"}, {"fmt", "{:>99999}%99999s"}}}};
  auto stored = post(h, literal);
  ASSERT_EQ(stored.status, 202) << stored.body;
  auto back = curl(h, "GET", "/v1/triggers/" + percent_encode(literal["id"]));
  ASSERT_EQ(back.status, 200) << back.body;
  EXPECT_EQ(back.doc["id"], literal["id"]);
  EXPECT_EQ(back.doc["machine"]["name"], literal["machine"]["name"]);
  EXPECT_EQ(back.doc["user"], literal["user"]);
  EXPECT_EQ(back.doc["attributes"], literal["attributes"]);
  auto shown = h.cli_json({"triggers", "show", literal["id"]});
  EXPECT_EQ(shown["user"], literal["user"]);

  // The agent is alive and takes a good trigger; the store still works.
  auto good = post(h, good_trigger("sec-after", 16777220, 1));
  ASSERT_EQ(good.status, 202) << good.body;
  ASSERT_TRUE(AgentHarness::wait_for([&] { return h.all_triggers_terminal(2); })) << h.log();
  EXPECT_EQ(h.triggers().size(), 2U);
  EXPECT_EQ(curl(h, "GET", "/healthz").status, 200);

  // The log: one line per refusal, every value inside its quotes.
  const auto log = read_file(h.log_path());
  expect_clean_log(h);
  auto refusals = lines_with(log, "route=/v1/triggers status=4");
  EXPECT_EQ(refusals.size(), logged_rejections) << join(refusals);
  for (const auto& line : refusals) {
    EXPECT_EQ(key_count(line, "status"), 1U) << line;
    EXPECT_LE(key_count(line, "token"), 1U) << line;
    EXPECT_LE(key_count(line, "reason"), 1U) << line;
  }
  EXPECT_NE(log.find(R"(reason="kind: 'osd\x0aFORGED info  http: status=202 \x1b[31mred')"),
            std::string::npos)
      << join(refusals);
  EXPECT_NE(log.find(R"(user: 'jdoe\" status=202 token=\"admin')"), std::string::npos)
      << join(refusals);
  EXPECT_NE(log.find(R"(kind: 'osd\xc2\x85FORGED')"), std::string::npos) << join(refusals);
  // The decision line for the literal trigger: the id and device name stay
  // in their quotes (no second `decision` or `rule` key).
  auto decided = lines_with(log, "decision=");
  ASSERT_FALSE(decided.empty());
  for (const auto& line : decided) {
    EXPECT_EQ(key_count(line, "decision"), 1U) << line;
    EXPECT_EQ(key_count(line, "rule"), 1U) << line;
    EXPECT_EQ(key_count(line, "trigger"), 1U) << line;
  }
  bool found_literal = false;
  for (const auto& line : decided) {
    for (const auto& [k, v] : pairs_of(line)) {
      if (k == "trigger" && v == literal["id"]) found_literal = true;
    }
  }
  EXPECT_TRUE(found_literal) << join(decided);
  // Format specifiers were printed as they are, not expanded.
  EXPECT_NE(log.find("x' OR 'a' LIKE 'a {}%s%n"), std::string::npos);

  // Prometheus: every sample line is well formed; no client text in labels.
  auto metrics = curl(h, "GET", "/metrics");
  ASSERT_EQ(metrics.status, 200);
  for (const auto& line : split_lines(metrics.body)) {
    if (line.empty() || line[0] == '#') continue;
    EXPECT_EQ(line.find("FORGED"), std::string::npos) << line;
    EXPECT_EQ(line.find("DROP"), std::string::npos) << line;
    const auto brace = line.find('{');
    const auto space = line.rfind(' ');
    ASSERT_NE(space, std::string::npos) << line;
    if (brace != std::string::npos) {
      EXPECT_EQ(line[space - 1], '}') << line;
    }
    EXPECT_EQ(line.find('\r'), std::string::npos) << line;
  }
  EXPECT_NE(
      metrics.body.find(
          "uda_triggers_rejected_total{reason=\"invalid_trigger\",origin=\"http:anonymous\"}"),
      std::string::npos);
  EXPECT_EQ(h.stop(SIGTERM), 0);
}

// A repeated Idempotency-Key is logged on replay: quotes and backslashes in
// it (printable, so allowed) stay inside the quoted value.
TEST(Security, IdempotencyKeyWithQuotesIsLoggedEscaped) {
  AgentHarness h("sec-idem");
  h.set_sections(kAnonymous);
  h.write_config();
  h.start();
  const std::string key = R"(k"status=500\x)";
  const auto body = good_trigger("", 16777220, 1);
  auto first = post(h, body, {"-H", "Idempotency-Key: " + key});
  ASSERT_EQ(first.status, 202) << first.body;
  auto again = post(h, body, {"-H", "Idempotency-Key: " + key});
  ASSERT_EQ(again.status, 202) << again.body;
  const auto log = read_file(h.log_path());
  auto replays = lines_with(log, "replay=true");
  ASSERT_EQ(replays.size(), 1U) << log;
  EXPECT_EQ(key_count(replays[0], "status"), 1U) << replays[0];
  bool found = false;
  for (const auto& [k, v] : pairs_of(replays[0])) found = found || (k == "key" && v == key);
  EXPECT_TRUE(found) << replays[0];
  expect_clean_log(h);
  EXPECT_EQ(h.triggers().size(), 1U);
  EXPECT_EQ(h.stop(SIGTERM), 0);
}

// Sends `bytes` on a fresh loopback connection; everything answered until the
// agent closes it (or 10 s pass).
std::string raw_exchange(const std::string& port, const std::string& bytes) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(std::stoi(port)));
  ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  std::string out;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
    timeval tv{10, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    (void)::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    char buf[4096];
    for (;;) {
      const auto n = ::recv(fd, buf, sizeof(buf), 0);
      if (n <= 0) break;
      out.append(buf, static_cast<std::size_t>(n));
    }
  }
  ::close(fd);
  return out;
}

// Raw bytes that are not HTTP: a clear 400, the connection closed, nothing
// stored, the agent still serving.
TEST(Security, MalformedHttpIsRefusedAndTheAgentKeepsServing) {
  AgentHarness h("sec-raw");
  h.set_sections(kAnonymous);
  h.write_config();
  h.start();
  const auto url = h.http_url();
  const auto port = url.substr(url.rfind(':') + 1);
  const std::vector<std::string> raws{
      "GARBAGE\r\n\r\n",
      std::string("POST /v1/triggers HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n"),
      std::string("POST /v1/triggers HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  "Content-Length: 999999999999999999999\r\n\r\n{}"),
      std::string("GET /healthz HTTP/1.1\r\nHost: x\r\nX-A\x01: \x1b[31m\r\n\r\n"),
      std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11),  // a TLS hello to plain HTTP
  };
  for (const auto& raw : raws) {
    const auto answer = raw_exchange(port, raw);
    // A clear 4xx (the agent answers what it could read), never a 2xx.
    EXPECT_EQ(answer.rfind("HTTP/1.1 4", 0), 0U) << answer;
    EXPECT_EQ(answer.find("202 Accepted"), std::string::npos) << answer;
  }
  EXPECT_EQ(h.triggers().size(), 0U);
  EXPECT_EQ(post(h, good_trigger("sec-raw-after", 16777220, 1)).status, 202);
  expect_clean_log(h);
  EXPECT_EQ(h.stop(SIGTERM), 0);
}

// ---------------------------------------------------------------------------
// Tokens: missing, malformed, wrong, overlong, in the query string, for
// another kind. All refused alike; no token ever reaches the log.

TEST(Security, BadTokensAreRefusedAlikeAndNeverLogged) {
  AgentHarness h("sec-tokens");
  auto osd = h.cli_json({"token", "new", "--name", "osd-ts", "--kinds", "osd"});
  auto all = h.cli_json({"token", "new", "--name", "automation"});
  const std::string osd_token = osd["token"];
  const std::string all_token = all["token"];
  h.set_sections(
      "http:\n  listen: 127.0.0.1:0\n  rate_limit: {per_second: 0}\n  tokens:\n"
      "    - {name: osd-ts, hash: '" +
      osd["hash"].get<std::string>() +
      "', kinds: [osd]}\n"
      "    - {name: automation, hash: '" +
      all["hash"].get<std::string>() + "'}\n");
  h.write_config();
  h.start();
  const auto body = good_trigger("sec-tok-1", 16777220, 1);
  const std::string wrong = "uda_" + std::string(43, 'A');
  struct Case {
    std::string what;
    std::vector<std::string> headers;
    std::string path = "/v1/triggers";
  };
  const std::vector<Case> cases{
      {"no header", {}},
      {"empty header", {"-H", "Authorization;"}},
      {"scheme only", {"-H", "Authorization: Bearer"}},
      {"wrong token", {"-H", "Authorization: Bearer " + wrong}},
      {"valid token plus a char", {"-H", "Authorization: Bearer " + osd_token + "x"}},
      {"valid token cut short", {"-H", "Authorization: Bearer " + osd_token.substr(0, 20)}},
      {"two tokens", {"-H", "Authorization: Bearer " + osd_token + " " + osd_token}},
      {"Basic", {"-H", "Authorization: Basic b3NkOnRz"}},
      {"token as the scheme", {"-H", "Authorization: " + osd_token}},
      {"illegal characters", {"-H", "Authorization: Bearer " + osd_token.substr(0, 10) + "\"'<>"}},
      {"overlong (6000 chars)", {"-H", "Authorization: Bearer " + std::string(6000, 'A')}},
      {"in the query string", {}, "/v1/triggers?access_token=" + osd_token},
      {"in another header", {"-H", "X-Api-Key: " + osd_token}},
  };
  HttpResult reference;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    std::vector<std::string> extra{"-H", "Content-Type: application/json"};
    extra.insert(extra.end(), c.headers.begin(), c.headers.end());
    auto r = curl(h, "POST", c.path, extra, body.dump());
    EXPECT_EQ(r.status, 401) << r.body;
    EXPECT_EQ(r.doc["error"]["code"], "unauthorized") << r.body;
    EXPECT_NE(r.headers.find("WWW-Authenticate: Bearer"), std::string::npos) << r.headers;
    if (reference.status == 0) reference = r;
    EXPECT_EQ(r.body, reference.body) << "every refusal looks the same";
  }
  // Reads need a token as well; nothing leaks without one.
  for (const char* path : {"/v1/triggers/sec-tok-1", "/v1/jobs", "/metrics"}) {
    EXPECT_EQ(curl(h, "GET", path, {"-H", "Authorization: Bearer " + wrong}).status, 401) << path;
  }
  // Too long for the headers at all.
  auto huge = curl(h, "POST", "/v1/triggers",
                   {"-H", "Content-Type: application/json", "-H",
                    "Authorization: Bearer " + std::string(10 * 1024, 'A')},
                   body.dump());
  EXPECT_EQ(huge.status, 431);
  // A token for another kind: 403, for a single trigger and inside a batch.
  auto manual =
      json{{"id", "sec-tok-manual"}, {"kind", "manual"}, {"machine", 16777221}, {"user", user(2)}};
  auto forbidden = post(h, manual, {"-H", "Authorization: Bearer " + osd_token});
  EXPECT_EQ(forbidden.status, 403);
  EXPECT_EQ(forbidden.doc["error"]["code"], "forbidden");
  auto batch = post(h, json::array({body, manual}), {"-H", "Authorization: Bearer " + osd_token});
  EXPECT_EQ(batch.status, 403);
  EXPECT_EQ(batch.doc["error"]["index"], 1);
  EXPECT_EQ(h.triggers().size(), 0U) << "nothing stored for any refused request";

  // The right token still works; the other token may send the other kind.
  EXPECT_EQ(post(h, body, {"-H", "Authorization: Bearer " + osd_token}).status, 202);
  EXPECT_EQ(post(h, manual, {"-H", "Authorization: Bearer " + all_token}).status, 202);
  EXPECT_EQ(h.triggers().size(), 2U);

  const auto log = read_file(h.log_path());
  EXPECT_EQ(log.find(osd_token), std::string::npos);
  EXPECT_EQ(log.find(all_token), std::string::npos);
  EXPECT_EQ(log.find(osd_token.substr(4, 16)), std::string::npos) << "not even a part of it";
  EXPECT_EQ(log.find(wrong), std::string::npos);
  EXPECT_EQ(log.find("AAAAAAAAAAAAAAAAAAAA"), std::string::npos);
  EXPECT_EQ(log.find("access_token"), std::string::npos);
  EXPECT_GE(lines_with(log, "status=401 reason=\"missing or invalid bearer token\"").size(),
            cases.size());
  expect_clean_log(h);
  EXPECT_EQ(h.stop(SIGTERM), 0);
}

// ---------------------------------------------------------------------------
// TLS on the API: clients that do not trust the certificate, a wrong host
// name, plain HTTP to the TLS port: no request gets through, nothing stored.

std::string make_cert(const AgentHarness& h, const std::string& stem, const std::string& san) {
  auto gen = h.run_tool({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                         "-subj", "/CN=" + stem, "-addext", "subjectAltName=" + san, "-keyout",
                         stem + ".key", "-out", stem + ".pem"});
  EXPECT_EQ(gen.exit_code, 0) << gen.err;
  return stem + ".pem";
}

TEST(Security, TlsApiRefusesUntrustingClientsWrongHostsAndPlainHttp) {
  AgentHarness h("sec-tls");
  make_cert(h, "server", "IP:127.0.0.1");
  make_cert(h, "other", "IP:127.0.0.1");
  h.set_sections(std::string(kAnonymous) + "  tls: {cert: server.pem, key: server.key}\n");
  h.write_config();
  h.start();
  const auto url = h.http_url();
  ASSERT_EQ(url.rfind("https://", 0), 0U) << url;
  const auto port = url.substr(url.rfind(':') + 1);
  const auto body = good_trigger("sec-tls-1", 16777220, 1).dump();
  const std::vector<std::string> json_ct{"-H", "Content-Type: application/json"};

  auto with = [&](std::vector<std::string> a) {
    a.insert(a.begin(), json_ct.begin(), json_ct.end());
    return a;
  };
  // The system CAs do not know the agent's certificate.
  EXPECT_EQ(curl(h, "POST", "/v1/triggers", with({}), body).status, 0);
  // Another CA.
  EXPECT_EQ(curl(h, "POST", "/v1/triggers", with({"--cacert", "other.pem"}), body).status, 0);
  // The right CA, but a host name the certificate does not name.
  EXPECT_EQ(
      curl(h, "POST", "/v1/triggers",
           with({"--cacert", "server.pem", "--resolve", "uda.example:" + port + ":127.0.0.1"}),
           body, "https://uda.example:" + port + "/v1/triggers")
          .status,
      0);
  // Plain HTTP to the TLS port.
  EXPECT_NE(
      curl(h, "POST", "/v1/triggers", json_ct, body, "http://127.0.0.1:" + port + "/v1/triggers")
          .status,
      202);
  // The CLI with a CA that does not match.
  auto refused =
      h.cli({"submit", "--url", url, "--ca-file", "other.pem", "--kind", "osd", "--machine",
             "16777221", "--user", user(2), "--id", "sec-tls-2", "--wait", "2s"});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_EQ(h.triggers().size(), 0U) << "no handshake, no request, nothing stored";

  // The agent still serves a client that trusts it.
  auto ok = curl(h, "POST", "/v1/triggers", with({"--cacert", "server.pem"}), body);
  EXPECT_EQ(ok.status, 202) << ok.body;
  EXPECT_EQ(h.triggers().size(), 1U);
  expect_clean_log(h);
  EXPECT_EQ(h.stop(SIGTERM), 0);
}

// ---------------------------------------------------------------------------
// The AdminService client: a provider whose certificate is not trusted, or
// names another host, is never sent a request (nor the token).

const std::string kSiteToken = "cmg-token-security-9d1e";

fs::path integration_site() {
  return fs::path(UDA_SOURCE_DIR) / "tests/data/integration/site.yaml";
}

std::string adminservice_provider(const std::string& url, const std::string& ca_file) {
  return "provider:\n  type: adminservice\n  adminservice:\n    url: " + url +
         "\n    auth: bearer\n    token_file: cmg.token\n    ca_file: " + ca_file +
         "\n    timeout: 5s\n    workers: 2\n";
}

std::size_t fake_requests(const FakeAdminService& fake) {
  std::size_t n = 0;
  // "fake-adminservice: #12 127.0.0.1:5000 GET /AdminService/... -> 200 ..."
  for (const auto& line : split_lines(fake.log())) {
    n += line.rfind("fake-adminservice: #", 0) == 0 ? 1 : 0;
  }
  return n;
}

TEST(Security, AdminServiceWithAnUntrustedOrWrongHostCertificateIsNeverCalled) {
  AgentHarness h("sec-as-tls");
  FakeAdminService fake(h.dir() / "fake", integration_site(), kSiteToken, {"--seed", "7"});
  ASSERT_FALSE(fake.url().empty()) << fake.log();
  const auto port = fake.url().substr(fake.url().rfind(':') + 1);
  make_cert(h, "other", "IP:127.0.0.1");
  h.write_file("cmg.token", kSiteToken + "\n");
  const std::string dispatcher =
      "max_attempts: 1000\ncircuit_breaker: {failure_threshold: 1000, open_for: 100ms}\n";
  h.set_provider(adminservice_provider(fake.url(), fake.ca_file().string()));
  h.write_config("", dispatcher);
  auto submitted = h.cli(
      {"submit", "--kind", "osd", "--machine", "16777225", "--user", user(6), "--id", "sec-as-1"});
  ASSERT_EQ(submitted.exit_code, 0) << submitted.err;

  struct Phase {
    std::string what;
    std::string url;
    std::string ca;
  };
  for (const Phase& p :
       {Phase{"untrusted CA", fake.url(), (h.dir() / "other.pem").string()},
        Phase{"wrong host name", "https://localhost:" + port, fake.ca_file().string()}}) {
    SCOPED_TRACE(p.what);
    h.set_provider(adminservice_provider(p.url, p.ca));
    h.write_config("", dispatcher);
    const auto retries_before = h.log_count("outcome=retry");
    const auto tls_errors_before = h.log_count("SSL");
    h.start();
    ASSERT_TRUE(AgentHarness::wait_for([&] {
      return h.log_count("outcome=retry") >= retries_before + 3;
    })) << h.log();
    EXPECT_EQ(h.stop(SIGTERM), 0);
    // Refused for the certificate (not, say, for no connection).
    EXPECT_GT(h.log_count("SSL"), tls_errors_before) << h.log();
    EXPECT_EQ(fake_requests(fake), 0U) << fake.log();
    const auto job = h.jobs().at(0);
    EXPECT_EQ(job["state"], "pending") << job.dump() << " (retried, never dead-lettered)";
  }
  {
    SiteReader site(fake.state_path());
    EXPECT_EQ(site.effects_for(16777225, user(6), 6), 0);
  }
  EXPECT_EQ(h.log().find(kSiteToken), std::string::npos);

  // The same agent with the right CA and host goes through: the refusals
  // above were the certificate checks, not a broken setup.
  h.set_provider(adminservice_provider(fake.url(), fake.ca_file().string()));
  h.write_config("", dispatcher);
  h.start();
  ASSERT_TRUE(AgentHarness::wait_for([&] { return h.all_triggers_terminal(1); })) << h.log();
  EXPECT_EQ(h.stop(SIGTERM), 0);
  EXPECT_EQ(h.jobs().at(0)["state"], "done");
  SiteReader site(fake.state_path());
  EXPECT_EQ(site.effects_for(16777225, user(6), 6), 1);
  EXPECT_GT(fake_requests(fake), 0U);
  expect_clean_log(h);
}

// ---------------------------------------------------------------------------
// OData injection: device and user names full of quotes, URL delimiters and
// format specifiers reach the AdminService as exact literals, and the
// relationship is created for exactly that user on exactly that device.

TEST(Security, HostileNamesReachTheAdminServiceAsExactODataLiterals) {
  AgentHarness h("sec-odata");
  struct Device {
    std::uint32_t id;
    std::string name;
  };
  const std::vector<Device> devices{
      {16777220, "WKS-0001"},           {16777221, "WKS-'1'"},
      {16777222, "WKS' or Name ne 'x"},  // would match every device if it escaped
      {16777223, "WKS&$top=1#%41+b"},    // would split the query if not encoded
      {16777224, "WKS-0005"},           {16777225, "x"},
  };
  const std::string obrien = "CONTOSO\\o'brien";
  const std::string inj = "CONTOSO\\x' or UniqueUserName ne 'y";
  const std::string url_user = "CONTOSO\\a&$filter%27#{}";
  const std::string utf8 = "CONTOSO\\m\xc3\xbcller";
  const std::string oneil_upn = "o'neil@contoso.com";
  const std::string oneil = "CONTOSO\\oneil";
  std::ostringstream site;
  site << "description: security test site\ndevices:\n";
  for (const auto& d : devices)
    site << "  - {resource_id: " << d.id << ", name: " << yaml_sq(d.name) << "}\n";
  site << "users:\n";
  for (const auto& u : {obrien, inj, url_user, utf8}) site << "  - {name: " << yaml_sq(u) << "}\n";
  site << "  - {name: " << yaml_sq(oneil) << ", upn: " << yaml_sq(oneil_upn) << "}\n";
  site << "  - {name: 'CONTOSO\\y'}\nrelationships: []\n";
  h.write_file("hostile-site.yaml", site.str());

  FakeAdminService fake(h.dir() / "fake", h.dir() / "hostile-site.yaml", kSiteToken,
                        {"--seed", "9"});
  ASSERT_FALSE(fake.url().empty()) << fake.log();
  h.write_file("cmg.token", kSiteToken + "\n");
  // UPNs are resolved in the site (SMS_R_User), as in adminservice_test.
  std::string rules = read_file(h.dir() / "rules.yaml");
  const std::string suffixes =
      "  upn_suffixes:                    # UPN suffix -> NetBIOS domain\n"
      "    contoso.com: CONTOSO\n";
  const auto at = rules.find(suffixes);
  ASSERT_NE(at, std::string::npos) << "rules/default.yaml changed; update this test";
  rules.replace(at, suffixes.size(), "  unmapped_upn: resolve_in_site\n");
  h.write_file("rules.yaml", rules);
  h.set_provider(adminservice_provider(fake.url(), fake.ca_file().string()));
  // Check before create: the existence query carries the user literal too.
  h.write_config("", "verify_before_create: true\n");

  struct Want {
    std::string id;
    json machine;
    std::string user;  // as sent
    std::uint32_t resource_id;
    std::string site_user;  // as created
  };
  const std::vector<Want> wants{
      {"odata-quote", json{{"name", devices[1].name}}, obrien, 16777221, obrien},
      {"odata-inject", json{{"name", devices[2].name}}, inj, 16777222, inj},
      {"odata-url", json{{"name", devices[3].name}}, url_user, 16777223, url_user},
      {"odata-utf8", json{{"resource_id", 16777224}}, utf8, 16777224, utf8},
      {"odata-upn", json{{"resource_id", 16777220}}, oneil_upn, 16777220, oneil},
  };
  json batch = json::array();
  for (const auto& w : wants) {
    batch.push_back(json{{"id", w.id}, {"kind", "osd"}, {"machine", w.machine}, {"user", w.user}});
  }
  h.write_file("batch.json", batch.dump());
  auto submitted = h.cli({"submit", "--file", "batch.json"});
  ASSERT_EQ(submitted.exit_code, 0) << submitted.err;
  // Not a valid user ('=' is not allowed in an account name): refused at the
  // door, nothing stored, nothing sent.
  h.write_file("bad.json", json{{"id", "odata-bad"},
                                {"kind", "osd"},
                                {"machine", 16777225},
                                {"user", "CONTOSO\\x' or 1=1 --"}}
                               .dump());
  auto bad = h.cli({"submit", "--file", "bad.json"});
  EXPECT_EQ(bad.exit_code, 2) << bad.out << bad.err;
  EXPECT_NE(bad.err.find("user"), std::string::npos) << bad.err;

  h.start();
  ASSERT_TRUE(AgentHarness::wait_for([&] { return h.all_triggers_terminal(wants.size()); }))
      << h.log() << "\n--- fake ---\n"
      << fake.log();
  EXPECT_EQ(h.stop(SIGTERM), 0);

  std::map<std::string, json> by_trigger;
  for (const auto& j : h.jobs()) by_trigger[j["trigger_id"].get<std::string>()] = j;
  EXPECT_EQ(by_trigger.count("odata-bad"), 0U);
  SiteReader site_db(fake.state_path());
  for (const auto& w : wants) {
    SCOPED_TRACE(w.id);
    ASSERT_EQ(by_trigger.count(w.id), 1U);
    const auto& j = by_trigger[w.id];
    EXPECT_EQ(j["state"], "done") << j.dump();
    EXPECT_EQ(j["machine_resource_id"], w.resource_id) << j.dump();
    EXPECT_EQ(j["user"], w.site_user) << j.dump();
    EXPECT_EQ(site_db.effects_for(w.resource_id, w.site_user, 6), 1);
  }
  EXPECT_EQ(all_effects(fake.state_path()), static_cast<int>(wants.size()))
      << "no relationship for anyone else";

  // What the fake received: each name as one literal, percent-encoded.
  const auto fake_log = fake.log();
  auto expect_query = [&](const std::string& filter) {
    const auto encoded = "$filter=" + percent_encode(filter);
    EXPECT_NE(fake_log.find(encoded), std::string::npos) << filter << "\n" << fake_log;
  };
  for (int i : {1, 2, 3}) expect_query("Name eq " + odata_literal(devices[i].name));
  for (const auto& w : wants) {
    expect_query("ResourceID eq " + std::to_string(w.resource_id) + " and UniqueUserName eq " +
                 odata_literal(w.site_user));
  }
  expect_query("UserPrincipalName eq " + odata_literal(oneil_upn));
  EXPECT_EQ(fake_log.find("$top=1"), std::string::npos) << fake_log;
  EXPECT_EQ(fake_log.find("-> 400"), std::string::npos) << fake_log;
  EXPECT_EQ(h.log().find(kSiteToken), std::string::npos);
  expect_clean_log(h);
}

// ---------------------------------------------------------------------------
// The spool folder: links pointing outside, hard links, folders, FIFOs,
// hidden and temporary names, control characters and very long names,
// oversize files. Nothing outside inbox/ is read, nothing is followed, and
// no such entry keeps the good files behind it from being read.

void drop(const fs::path& inbox, const std::string& name, const std::string& content) {
  const auto tmp = inbox / ("incoming-" + std::to_string(::getpid()) + ".tmp");
  std::ofstream(tmp, std::ios::binary) << content;
  fs::rename(tmp, inbox / name);
}

TEST(Security, HostileSpoolEntriesAreNeverFollowedAndNeverBlockGoodFiles) {
  AgentHarness h("sec-spool");
  h.set_sections(
      "spool:\n  dir: var/spool\n  poll_interval: 100ms\n  settle: 300ms\n  max_file_size: 4KiB\n"
      "  max_triggers_per_file: 3\n  max_files_per_scan: 3\n");
  h.write_config();
  h.start();
  const auto spool = h.dir() / "var/spool";
  const auto inbox = spool / "inbox";
  ASSERT_TRUE(fs::is_directory(inbox));

  // Valid triggers outside the spool, reachable only through links.
  const auto outside = h.dir() / "outside";
  fs::create_directories(outside);
  const std::string secret = good_trigger("sec-outside-link", 16777230, 11).dump();
  std::ofstream(outside / "secret.json") << secret;
  std::ofstream(outside / "hard.json") << good_trigger("sec-outside-hard", 16777231, 12).dump();

  // Entries sorted before the good files; more than max_files_per_scan.
  fs::create_symlink(outside / "secret.json", inbox / "a-link-outside.json");
  fs::create_symlink("../../../outside/secret.json", inbox / "a-link-relative.json");
  fs::create_symlink(outside, inbox / "a-link-to-dir.json");
  fs::create_symlink("/nonexistent/nowhere.json", inbox / "a-dangling.json");
  fs::create_hard_link(outside / "hard.json", inbox / "a-hardlink.json");
  fs::create_directories(inbox / "a-dir.json");
  ASSERT_EQ(::mkfifo((inbox / "a-fifo.json").c_str(), 0600), 0);
  // Never read: hidden and temporary names.
  std::ofstream(inbox / ".hidden.json") << good_trigger("sec-hidden", 16777232, 13).dump();
  std::ofstream(inbox / "x.json.tmp") << good_trigger("sec-tmp", 16777233, 14).dump();
  std::ofstream(inbox / "x.json.partial") << good_trigger("sec-partial", 16777234, 15).dump();

  // Odd names with good content: taken, and logged escaped.
  const std::string evil_name = "b-evil\nFORGED \x1b[31mred.json";
  drop(inbox, evil_name, good_trigger("sec-evil-name", 16777235, 16).dump());
  // A Windows path in a name: never taken as a spool file (left, logged once).
  drop(inbox, "b-..\\..\\windows.json", good_trigger("sec-backslash", 16777236, 17).dump());
  drop(inbox, "b-%s%n{}.json", good_trigger("sec-fmt-name", 16777237, 18).dump());
  const std::string long_good = "c-" + std::string(248, 'g') + ".json";  // 255 bytes
  drop(inbox, long_good, good_trigger("sec-long-good", 16777238, 19).dump());
  // Hostile or oversize content: rejected with an explanation.
  const std::string long_bad = "d-" + std::string(248, 'b') + ".json";  // 255 bytes
  drop(inbox, long_bad, "{\"kind\":");
  drop(inbox, "e-oversize.json",
       std::string(5000, ' ') + good_trigger("sec-oversize", 1, 1).dump());
  json four = json::array();
  for (int i = 0; i < 4; ++i)
    four.push_back(good_trigger("sec-four-" + std::to_string(i), 16777240 + i, 20 + i));
  drop(inbox, "e-four.json", four.dump());
  drop(inbox, "e-kind.json",
       R"({"kind":"osd\nFORGED \u001b[2J","machine":16777239,"user":"CONTOSO\\user020"})");
  drop(inbox, "e-user.json", R"({"kind":"osd","machine":16777239,"user":"CONTOSO\\a' OR 1=1 --"})");
  // Valid, with hostile-looking id, origin and device name: stored as is.
  drop(inbox, "f-origin.json",
       json{{"id", "sp id=FORGED"},
            {"kind", "osd"},
            {"machine", {{"resource_id", 16777239}, {"name", "WKS\" decision=skip"}}},
            {"user", user(24)},
            {"origin", "x\" rule=FORGED"}}
           .dump());
  // Last by name: must not wait behind the entries above.
  drop(inbox, "z-good.json", good_trigger("sec-z-good", 16777229, 10).dump());

  ASSERT_TRUE(AgentHarness::wait_for([&] {
    return count_files(spool / "processed") == 5 && count_files(spool / "rejected", ".txt") == 5;
  })) << h.log();
  ASSERT_TRUE(AgentHarness::wait_for([&] { return h.all_triggers_terminal(5); })) << h.log();

  std::set<std::string> ids;
  for (const auto& t : h.triggers()) ids.insert(t["id"].get<std::string>());
  EXPECT_EQ(ids, (std::set<std::string>{"sec-evil-name", "sec-fmt-name", "sec-long-good",
                                        "sp id=FORGED", "sec-z-good"}));
  auto odd = h.cli_json({"triggers", "show", "sp id=FORGED"});
  EXPECT_EQ(odd["origin"], "x\" rule=FORGED");
  EXPECT_EQ(odd["machine"]["name"], "WKS\" decision=skip");

  // Links, folders and FIFOs: left alone, never followed, never moved; the
  // files they point to are untouched.
  for (const char* name :
       {"a-link-outside.json", "a-link-relative.json", "a-link-to-dir.json", "a-dangling.json",
        "a-hardlink.json", "a-dir.json", "a-fifo.json", ".hidden.json", "x.json.tmp",
        "x.json.partial", "b-..\\..\\windows.json"}) {
    EXPECT_TRUE(fs::exists(fs::symlink_status(inbox / name))) << name;
  }
  EXPECT_EQ(read_file(outside / "secret.json"), secret);
  EXPECT_TRUE(fs::exists(outside / "hard.json"));
  EXPECT_EQ(count_files(outside), 2U);
  // Odd names moved under their own names; the long rejected one under a
  // shortened name that leaves room for its .error.txt.
  EXPECT_TRUE(fs::exists(spool / "processed" / evil_name));
  EXPECT_TRUE(fs::exists(spool / "processed" / long_good));
  EXPECT_FALSE(fs::exists(inbox / long_bad)) << "a long name must not keep a file in inbox/";
  std::size_t long_rejected = 0;
  for (const auto& e : fs::directory_iterator(spool / "rejected")) {
    const auto name = e.path().filename().string();
    EXPECT_LE(name.size(), 255U);
    if (name.rfind("d-bbbb", 0) == 0 && name.ends_with(".json.error.txt")) {
      ++long_rejected;
      EXPECT_NE(read_file(e.path()).find(long_bad), std::string::npos)
          << "the explanation names the file in full";
    }
  }
  EXPECT_EQ(long_rejected, 1U);
  const auto oversize = read_file(spool / "rejected/e-oversize.json.error.txt");
  EXPECT_NE(oversize.find("max_file_size"), std::string::npos) << oversize;
  const auto too_many = read_file(spool / "rejected/e-four.json.error.txt");
  EXPECT_NE(too_many.find("3"), std::string::npos) << too_many;

  // The log: each entry once, escaped; no second key from a name or value.
  const auto log = read_file(h.log_path());
  expect_clean_log(h);
  EXPECT_NE(log.find(R"(file="b-evil\x0aFORGED \x1b[31mred.json")"), std::string::npos) << log;
  EXPECT_EQ(lines_with(log, "a-link-outside.json").size(), 1U) << "logged once, not per scan";
  for (const auto& line : lines_with(log, "spool: file=")) {
    EXPECT_EQ(key_count(line, "file"), 1U) << line;
    EXPECT_EQ(key_count(line, "outcome"), 1U) << line;
  }
  for (const auto& line : lines_with(log, "decision=")) {
    EXPECT_EQ(key_count(line, "decision"), 1U) << line;
    EXPECT_EQ(key_count(line, "rule"), 1U) << line;
  }
  EXPECT_EQ(h.stop(SIGTERM), 0);
}

// A client-given trigger id holding " outcome=done" must stay one value in
// the dispatcher's job lines (log_value), as in the decider, API and spool.
TEST(Security, DispatcherLinesKeepAClientIdInOneValue) {
  AgentHarness h("sec-dispatch-ids");
  h.set_sections(kAnonymous);
  h.write_config();
  h.start();
  // CONTOSO\user999 is not in the site: the job is dead-lettered and logged.
  auto r = post(h, json{{"id", "x outcome=done detail=created"},
                        {"kind", "osd"},
                        {"machine", 16777220},
                        {"user", "CONTOSO\\user999"}});
  ASSERT_EQ(r.status, 202) << r.body;
  ASSERT_TRUE(AgentHarness::wait_for([&] { return h.all_triggers_terminal(1); })) << h.log();
  EXPECT_EQ(h.stop(SIGTERM), 0);
  for (const auto& line : lines_with(read_file(h.log_path()), "job=")) {
    EXPECT_LE(key_count(line, "outcome"), 1U) << line;
    EXPECT_LE(key_count(line, "detail"), 1U) << line;
  }
}

}  // namespace
}  // namespace uda::test
