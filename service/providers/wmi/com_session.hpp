#pragma once
// The COM WmiSession (Windows): IWbemLocator::ConnectServer with packet
// privacy and impersonation on every proxy, semisynchronous ExecQuery whose
// wait for each row is bounded by the timeout, synchronous ExecMethod (the
// dispatcher's call_timeout bounds it), and the error object
// (__ExtendedStatus / SMS_ExtendedStatus) of a failed call.
//
// Each call makes sure its thread is in the multithreaded apartment
// (com::ensure_mta), so a session may move between the provider's worker
// threads; it is never used by two threads at once.

#ifndef _WIN32
#error "com_session.hpp is Windows-only"
#endif

#include <memory>

#include "core/time.hpp"
#include "providers/wmi/session.hpp"

namespace uda::wmi {

class ComWmiSession final : public WmiSession {
 public:
  explicit ComWmiSession(Millis timeout);
  ~ComWmiSession() override;
  ComWmiSession(const ComWmiSession&) = delete;
  ComWmiSession& operator=(const ComWmiSession&) = delete;

  WmiCall connect(const std::string& ns) override;
  QueryResult exec_query(const std::string& wql) override;
  MethodResult exec_static_method(const std::string& class_name, const std::string& method,
                                  const WmiProperties& in) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Makes ComWmiSessions with this per-call timeout.
SessionFactory com_session_factory(Millis timeout);

}  // namespace uda::wmi
