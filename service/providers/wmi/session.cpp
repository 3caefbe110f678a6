#include "providers/wmi/session.hpp"

namespace uda::wmi {

WmiSession::~WmiSession() = default;

}  // namespace uda::wmi
