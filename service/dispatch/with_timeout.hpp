#pragma once
// Runs a provider call with a deadline. The call cannot be cancelled (a WMI or
// HTTP request may already be on the wire), so on timeout it keeps running
// detached and its late result is dropped; the caller treats the timeout as
// an ambiguous transient failure. `make_call` must own everything the call
// refers to (capture by value): it outlives this function on timeout.

#include <memory>
#include <optional>

#include "core/asio.hpp"
#include "core/time.hpp"

namespace uda {

template <class Result, class MakeCall>
Awaitable<std::optional<Result>> with_timeout(MakeCall make_call, Millis timeout) {
  struct State {
    explicit State(asio::any_io_executor ex) : timer(ex) {}
    asio::steady_timer timer;
    std::optional<Result> result;
    bool finished = false;
  };
  auto ex = co_await asio::this_coro::executor;
  auto state = std::make_shared<State>(ex);
  state->timer.expires_after(timeout);
  asio::co_spawn(
      ex,
      [state, call = std::move(make_call)]() mutable -> Awaitable<void> {
        auto r = co_await call();
        if (!state->finished) {
          state->result = std::move(r);
          state->finished = true;
          state->timer.cancel();
        }
      },
      asio::detached);
  boost::system::error_code ec;
  co_await state->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  state->finished = true;
  co_return std::move(state->result);
}

}  // namespace uda
