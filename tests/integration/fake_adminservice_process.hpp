#pragma once
// Runs tests/tools/fake_adminservice as a child process for integration
// tests: a loopback AdminService (HTTPS with a throwaway certificate) over a
// simulated site whose state file the test reads with SiteReader.

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace uda::test {

class FakeAdminService {
 public:
  // Makes cert.pem/key.pem in `dir` (openssl), starts the fake with
  // --fixture <fixture> --state <dir>/fake-site.db --token <token> and the
  // extra arguments (faults), and waits for its "listening on" line.
  FakeAdminService(const std::filesystem::path& dir, const std::filesystem::path& fixture,
                   const std::string& token, const std::vector<std::string>& extra);
  ~FakeAdminService();  // SIGKILL
  FakeAdminService(const FakeAdminService&) = delete;
  FakeAdminService& operator=(const FakeAdminService&) = delete;

  // "https://127.0.0.1:PORT", or "" when it did not start (see log()).
  [[nodiscard]] const std::string& url() const { return url_; }
  [[nodiscard]] std::filesystem::path ca_file() const { return dir_ / "cert.pem"; }
  [[nodiscard]] std::filesystem::path state_path() const { return dir_ / "fake-site.db"; }
  [[nodiscard]] std::string log() const;
  // SIGTERM and wait; the exit code (-1 when killed or it did not exit).
  int stop();

 private:
  std::filesystem::path dir_;
  pid_t pid_ = -1;
  std::string url_;
};

std::filesystem::path fake_adminservice_binary();

}  // namespace uda::test
