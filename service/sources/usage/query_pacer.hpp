#pragma once
// Keeps queries towards the site at or below a rate: consecutive query starts
// are at least ceil(60 s / max_per_minute) apart, so no window of one minute
// ever holds more than max_per_minute of them. Evenly spaced rather than in
// bursts: the SMS Provider serves the admins' consoles too. Pure; the caller
// gives the time.

#include <optional>

#include "core/time.hpp"

namespace uda {

class QueryPacer {
 public:
  explicit QueryPacer(int max_per_minute);

  // How long to wait from `now` before the next query may start (0 = now).
  // Never more than gap(), even when the clock went back.
  [[nodiscard]] Millis wait(TimePoint now) const;
  // A query started at `now`.
  void record(TimePoint now) { last_ = now; }
  // The least time between two query starts.
  [[nodiscard]] Millis gap() const { return gap_; }

 private:
  Millis gap_;
  std::optional<TimePoint> last_;
};

}  // namespace uda
