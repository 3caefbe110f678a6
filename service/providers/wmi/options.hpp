#pragma once
// `provider.wmi:` in the agent config — how the WMI provider reaches the SMS
// Provider (Windows build only; the options are parsed on every platform so
// that check-config can vet a Windows config).
//
// provider:
//   type: wmi
//   wmi:
//     server: sccm01.contoso.com   # the SMS Provider; default: this machine (".")
//     site_code: PS1               # default: read SMS_ProviderLocation WHERE
//                                  # ProviderForLocalSite = TRUE in \\<server>\root\sms
//     namespace: root\sms\site_PS1 # override the whole namespace (rarely needed)
//     timeout: 60s                 # a query's wait for its next row (methods are bounded
//                                  # by dispatcher.call_timeout)
//     workers: 4                   # WMI calls at once (COM worker threads)

#include <yaml-cpp/yaml.h>

#include <string>

#include "core/result.hpp"
#include "core/time.hpp"
#include "core/yaml_util.hpp"

namespace uda::wmi {

struct Options {
  std::string server{"."};  // host name, FQDN or "." (local)
  std::string site_code;    // "" = discovered
  std::string ns;           // "" = root\sms\site_<site_code>
  Millis timeout{60'000};
  int workers = 4;
};

Expected<Options> parse_options(const yaml::Doc& doc, const YAML::Node& node);

// "\\<server>\root\sms"
std::string sms_namespace(const Options& o);
// The namespace to use once the site code is known: the override, else
// "\\<server>\root\sms\site_<code>". An override without a server gets one.
std::string site_namespace(const Options& o, std::string_view site_code);

}  // namespace uda::wmi
