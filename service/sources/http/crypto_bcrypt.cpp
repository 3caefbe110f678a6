// Windows CNG (bcrypt.dll): SHA-256 and the system's preferred RNG.
#include <windows.h>
// <bcrypt.h> needs the types from <windows.h> first.
#include <bcrypt.h>
#include <fmt/format.h>

#include <limits>
#include <stdexcept>

#include "sources/http/crypto.hpp"

namespace uda::http::crypto {
namespace {

[[noreturn]] void throw_status(const char* what, NTSTATUS status) {
  throw std::runtime_error(fmt::format("crypto: {} failed: NTSTATUS 0x{:08X}", what,
                                       static_cast<unsigned long>(status)));
}

bool ok(NTSTATUS s) {
  return s >= 0;
}

ULONG to_ulong(std::size_t n, const char* what) {
  if (n > std::numeric_limits<ULONG>::max())
    throw std::runtime_error(fmt::format("crypto: {}: too large", what));
  return static_cast<ULONG>(n);
}

// The SHA-256 provider, opened once; hash objects made from it are per call.
BCRYPT_ALG_HANDLE sha256_provider() {
  static const BCRYPT_ALG_HANDLE handle = [] {
    BCRYPT_ALG_HANDLE h = nullptr;
    const NTSTATUS s = BCryptOpenAlgorithmProvider(&h, BCRYPT_SHA256_ALGORITHM, nullptr, 0);
    if (!ok(s)) throw_status("BCryptOpenAlgorithmProvider(SHA256)", s);
    return h;
  }();
  return handle;
}

}  // namespace

Sha256 sha256(std::initializer_list<std::string_view> parts) {
  BCRYPT_HASH_HANDLE hash = nullptr;
  NTSTATUS s = BCryptCreateHash(sha256_provider(), &hash, nullptr, 0, nullptr, 0, 0);
  if (!ok(s)) throw_status("BCryptCreateHash", s);
  for (const auto part : parts) {
    // BCryptHashData takes a non-const pointer but does not write through it.
    auto* data = reinterpret_cast<PUCHAR>(const_cast<char*>(part.data()));
    s = BCryptHashData(hash, data, to_ulong(part.size(), "SHA-256"), 0);
    if (!ok(s)) {
      BCryptDestroyHash(hash);
      throw_status("BCryptHashData", s);
    }
  }
  Sha256 out{};
  s = BCryptFinishHash(hash, out.data(), static_cast<ULONG>(out.size()), 0);
  BCryptDestroyHash(hash);
  if (!ok(s)) throw_status("BCryptFinishHash", s);
  return out;
}

void random_bytes(unsigned char* out, std::size_t n) {
  const NTSTATUS s =
      BCryptGenRandom(nullptr, out, to_ulong(n, "random bytes"), BCRYPT_USE_SYSTEM_PREFERRED_RNG);
  if (!ok(s)) throw_status("BCryptGenRandom", s);
}

void cleanse(void* p, std::size_t n) {
  SecureZeroMemory(p, n);
}

bool equal_constant_time(const void* a, const void* b, std::size_t n) {
  const auto* x = static_cast<const volatile unsigned char*>(a);
  const auto* y = static_cast<const volatile unsigned char*>(b);
  unsigned char diff = 0;
  for (std::size_t i = 0; i < n; ++i) diff |= static_cast<unsigned char>(x[i] ^ y[i]);
  return diff == 0;
}

}  // namespace uda::http::crypto
