#pragma once
// The one way our code includes Boost.Asio. Boost 1.74's asio/awaitable.hpp
// uses std::exchange without including <utility>; C++20 builds need it first.
#include <utility>
// clang-format off
#include <boost/asio.hpp>
// clang-format on

namespace uda {
namespace asio = boost::asio;
template <class T>
using Awaitable = boost::asio::awaitable<T>;
}  // namespace uda
