#include "app/provider_factory.hpp"

#include "providers/adminservice/adminservice_provider.hpp"
#include "providers/simulated/simulated_provider.hpp"
#ifdef _WIN32
#include "providers/wmi/com_session.hpp"
#include "providers/wmi/wmi_provider.hpp"
#endif

namespace uda {

Expected<std::unique_ptr<Provider>> make_provider(const ProviderConfig& config,
                                                  asio::io_context& /*io*/,
                                                  const TimeSource& time) {
  switch (config.type) {
    case ProviderType::Simulated: {
      auto p = SimulatedProvider::create(config.simulated, time);
      if (!p) return p.error();
      return std::unique_ptr<Provider>(std::move(*p));
    }
    case ProviderType::AdminService: {
      auto p = adminservice::AdminServiceProvider::create(config.adminservice, time);
      if (!p) return p.error();
      return std::unique_ptr<Provider>(std::move(*p));
    }
    case ProviderType::Wmi:
#ifdef _WIN32
      return std::unique_ptr<Provider>(std::make_unique<wmi::WmiProvider>(
          config.wmi, wmi::com_session_factory(config.wmi.timeout)));
#else
      break;
#endif
  }
  return Error{"provider.type: not supported by this build"};
}

}  // namespace uda
