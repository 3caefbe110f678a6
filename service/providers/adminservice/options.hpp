#pragma once
// `provider.adminservice:` in the agent config — how to reach ConfigMgr's
// AdminService (REST on the SMS Provider) and how to authenticate.
//
// provider:
//   type: adminservice
//   adminservice:
//     url: https://sccm01.contoso.com        # the SMS Provider; /AdminService/wmi/ is added
//     auth: negotiate                        # negotiate (Kerberos, from the service's ticket
//                                            # cache or keytab) | ntlm | bearer
//     username: 'CONTOSO\svc_uda'            # ntlm: the account
//     password_file: /etc/uda-agent/adminservice.password   # ntlm: its password (one line)
//     token_file: /etc/uda-agent/cmg.token   # bearer: CMG / Entra ID access token
//     ca_file: /etc/uda-agent/ca.pem         # PEM CA bundle; default: the system's CAs
//     verify_tls: true                       # false is for labs only (logged at every start)
//     timeout: 30s                           # one HTTP exchange, connection included
//     workers: 8                             # exchanges at once (HTTP connections)

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <string>

#include "core/result.hpp"
#include "core/time.hpp"
#include "core/yaml_util.hpp"

namespace uda::adminservice {

enum class Auth { Negotiate, Ntlm, Bearer };
std::string_view to_string(Auth a);

struct Options {
  std::string url;  // https://host[:port], no trailing slash, no path
  Auth auth = Auth::Negotiate;
  std::string username;
  std::filesystem::path password_file;
  std::filesystem::path token_file;
  std::filesystem::path ca_file;
  bool verify_tls = true;
  Millis timeout{30'000};
  int workers = 8;
};

Expected<Options> parse_options(const yaml::Doc& doc, const YAML::Node& node,
                                const std::filesystem::path& base_dir);

// Reads a secret file (password or token): one line, surrounding whitespace
// trimmed, at most 16 KiB. The error names the file, never the content.
Expected<std::string> read_secret(const std::filesystem::path& path);

}  // namespace uda::adminservice
