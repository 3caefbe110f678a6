#pragma once
// The few cryptographic primitives the HTTP API needs: SHA-256, random bytes,
// wiping secrets and a constant-time comparison. OpenSSL where it is part of
// the build (Linux); Windows CNG (bcrypt.dll) in the Windows build, which has
// no OpenSSL yet. Failures throw std::runtime_error naming `what`.

#include <array>
#include <cstddef>
#include <initializer_list>
#include <string_view>

namespace uda::http::crypto {

using Sha256 = std::array<unsigned char, 32>;

// SHA-256 of the parts, concatenated (fed one after the other, never copied).
Sha256 sha256(std::initializer_list<std::string_view> parts);
// Cryptographically secure random bytes.
void random_bytes(unsigned char* out, std::size_t n);
// Overwrites n bytes with zeros in a way the optimiser keeps.
void cleanse(void* p, std::size_t n);
// a[0..n) == b[0..n) in time independent of the contents.
bool equal_constant_time(const void* a, const void* b, std::size_t n);

}  // namespace uda::http::crypto
