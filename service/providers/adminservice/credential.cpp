#include "providers/adminservice/credential.hpp"

namespace uda::adminservice {

namespace {

struct FileStamp {
  std::filesystem::file_time_type mtime{};
  std::uintmax_t size = 0;
  bool ok = false;
};

FileStamp stamp(const std::filesystem::path& p) {
  std::error_code ec;
  FileStamp s;
  s.mtime = std::filesystem::last_write_time(p, ec);
  if (ec) return s;
  s.size = std::filesystem::file_size(p, ec);
  s.ok = !ec;
  return s;
}

}  // namespace

Expected<std::unique_ptr<Credential>> Credential::load(const Options& options) {
  switch (options.auth) {
    case Auth::Negotiate:
      return std::unique_ptr<Credential>(new Credential({}, {}));
    case Auth::Ntlm: {
      auto s = read_secret(options.password_file);
      if (!s) return Error{"provider.adminservice.password_file: " + s.error().message};
      return std::unique_ptr<Credential>(new Credential({}, std::move(*s)));
    }
    case Auth::Bearer: {
      auto s = read_secret(options.token_file);
      if (!s) return Error{"provider.adminservice.token_file: " + s.error().message};
      return std::unique_ptr<Credential>(new Credential(options.token_file, std::move(*s)));
    }
  }
  return Error{"provider.adminservice.auth: unknown method"};
}

Credential::Credential(std::filesystem::path reload_from, std::string secret)
    : reload_from_(std::move(reload_from)), secret_(std::move(secret)) {
  if (!reload_from_.empty()) {
    const auto st = stamp(reload_from_);
    mtime_ = st.mtime;
    size_ = st.size;
  }
}

std::string Credential::current() {
  std::lock_guard lock(mu_);
  if (!reload_from_.empty()) {
    const auto st = stamp(reload_from_);
    if (st.ok && (st.mtime != mtime_ || st.size != size_)) {
      if (auto s = read_secret(reload_from_); s && !s->empty()) {
        secret_ = std::move(*s);
        mtime_ = st.mtime;
        size_ = st.size;
      }
    }
  }
  return secret_;
}

}  // namespace uda::adminservice
