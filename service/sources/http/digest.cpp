#include "sources/http/digest.hpp"

#include <fmt/format.h>

#include "sources/http/crypto.hpp"

namespace uda::http {

std::string sha256_hex(std::string_view data) {
  const auto md = crypto::sha256({data});
  std::string out;
  out.reserve(md.size() * 2);
  for (const unsigned char b : md) out += fmt::format("{:02x}", b);
  return out;
}

}  // namespace uda::http
