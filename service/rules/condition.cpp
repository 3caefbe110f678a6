#include "rules/condition.hpp"

#include <fmt/format.h>

namespace uda {
namespace {

template <class T, class F>
std::string list(const std::vector<T>& items, F&& text) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ", ";
    out += text(items[i]);
  }
  return out + "]";
}

std::string_view field_name(NameField f) {
  switch (f) {
    case NameField::MachineName:
      return "machine name";
    case NameField::UserDomain:
      return "user domain";
    case NameField::UserName:
      return "user name";
    case NameField::UserAccount:
      return "user";
  }
  return "?";
}

constexpr std::array<std::string_view, 7> kDays{"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

std::string quoted(const Glob& g) {
  return "'" + g.pattern() + "'";
}

}  // namespace

KindIs::KindIs(std::vector<TriggerKind> kinds)
    : kinds_(std::move(kinds)),
      listed_(list(kinds_, [](TriggerKind x) { return std::string(to_string(x)); })) {
  for (const auto k : kinds_) mask_ |= 1U << static_cast<unsigned>(k);
}

bool KindIs::eval(const EvalContext& ctx, std::string* why) const {
  const auto k = ctx.trigger.kind;
  const bool ok = accepts(k);
  if (why != nullptr) {
    *why = fmt::format("kind {} is {}one of {}", to_string(k), ok ? "" : "not ", listed_);
  }
  return ok;
}

OriginMatches::OriginMatches(std::vector<Glob> globs)
    : globs_(std::move(globs)), listed_(list(globs_, quoted)) {}

bool OriginMatches::eval(const EvalContext& ctx, std::string* why) const {
  const auto& o = ctx.trigger.origin;
  for (const auto& g : globs_) {
    if (g.matches(o)) {
      if (why != nullptr) *why = fmt::format("origin '{}' matches '{}'", o, g.pattern());
      return true;
    }
  }
  if (why != nullptr) {
    *why = fmt::format("origin '{}' matches none of {}", o, listed_);
  }
  return false;
}

NameMatches::NameMatches(NameField field, std::vector<Glob> globs, std::vector<Regex> regexes)
    : field_(field), globs_(std::move(globs)), regexes_(std::move(regexes)) {
  if (!globs_.empty()) wanted_ = list(globs_, quoted);
  if (!regexes_.empty()) {
    if (!wanted_.empty()) wanted_ += " or ";
    wanted_ += list(regexes_, [](const Regex& r) { return "/" + r.pattern + "/"; });
  }
}

std::string NameMatches::leads() const {
  if (!regexes_.empty() || globs_.empty()) return {};
  std::string out;
  for (const auto& g : globs_) {
    if (g.lead() == '\0') return {};
    out += g.lead();
  }
  return out;
}

bool NameMatches::eval(const EvalContext& ctx, std::string* why) const {
  std::string_view value;
  switch (field_) {
    case NameField::MachineName:
      if (!ctx.trigger.machine.name) {
        if (why != nullptr) {
          *why = fmt::format("machine name is not known (the trigger gave only resource id {})",
                             ctx.trigger.machine.resource_id.value_or(0));
        }
        return false;
      }
      value = *ctx.trigger.machine.name;
      break;
    case NameField::UserDomain:
      value = ctx.user.domain;
      break;
    case NameField::UserName:
      value = ctx.user.user;
      break;
    case NameField::UserAccount:
      value = ctx.account;
      break;
  }
  for (const auto& g : globs_) {
    if (g.matches(value)) {
      if (why != nullptr) {
        *why = fmt::format("{} '{}' matches '{}'", field_name(field_), value, g.pattern());
      }
      return true;
    }
  }
  for (const auto& r : regexes_) {
    bool hit = false;
    try {
      hit = std::regex_search(value.begin(), value.end(), r.re);
    } catch (const std::regex_error&) {
      hit = false;  // too complex for this input: counts as no match
    }
    if (hit) {
      if (why != nullptr) {
        *why = fmt::format("{} '{}' matches regex /{}/", field_name(field_), value, r.pattern);
      }
      return true;
    }
  }
  if (why != nullptr) {
    *why = fmt::format("{} '{}' matches none of {}", field_name(field_), value, wanted_);
  }
  return false;
}

bool ResourceIdIn::eval(const EvalContext& ctx, std::string* why) const {
  const auto& id = ctx.trigger.machine.resource_id;
  auto range_text = [](const Range& r) {
    return r.first == r.second ? std::to_string(r.first) : fmt::format("{}-{}", r.first, r.second);
  };
  if (!id) {
    if (why != nullptr) {
      *why = fmt::format("resource id is not known (the trigger gave only the name '{}')",
                         ctx.trigger.machine.name.value_or(""));
    }
    return false;
  }
  for (const auto& r : ranges_) {
    if (*id >= r.first && *id <= r.second) {
      if (why != nullptr) *why = fmt::format("resource id {} is in {}", *id, range_text(r));
      return true;
    }
  }
  if (why != nullptr) {
    *why = fmt::format("resource id {} is not in {}", *id, list(ranges_, range_text));
  }
  return false;
}

bool AttributeHolds::eval(const EvalContext& ctx, std::string* why) const {
  return evaluate(expr_, ctx.trigger.attributes, why);
}

bool ReceivedWithin::eval(const EvalContext& ctx, std::string* why) const {
  const std::int64_t ms = to_unix_ms(ctx.trigger.received_at) +
                          static_cast<std::int64_t>(w_.utc_offset_minutes) * 60'000;
  constexpr std::int64_t kDayMs = 86'400'000;
  std::int64_t day = ms / kDayMs;
  std::int64_t in_day = ms % kDayMs;
  if (in_day < 0) {
    in_day += kDayMs;
    --day;
  }
  // 1970-01-01 was a Thursday (index 3 with Monday = 0).
  const auto weekday = static_cast<std::size_t>(((day % 7) + 7 + 3) % 7);
  const int minute = static_cast<int>(in_day / 60'000);
  const bool in_time = w_.start_minute <= w_.end_minute
                           ? (minute >= w_.start_minute && minute < w_.end_minute)
                           : (minute >= w_.start_minute || minute < w_.end_minute);
  const bool ok = w_.days[weekday] && in_time;
  if (why != nullptr) {
    const int off = w_.utc_offset_minutes;
    *why = fmt::format("received {} {:02}:{:02} (UTC{}{:02}:{:02}) is {}within {}", kDays[weekday],
                       minute / 60, minute % 60, off < 0 ? '-' : '+', std::abs(off) / 60,
                       std::abs(off) % 60, ok ? "" : "not ", w_.text);
  }
  return ok;
}

}  // namespace uda
