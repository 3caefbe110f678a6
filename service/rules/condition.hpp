#pragma once
// One test a rule makes of a trigger (a `when:` entry). Conditions are pure:
// they read the trigger and the normalised user, nothing else. Each can say
// in one sentence why it held or did not, which is what `rules explain` and
// the stored decision trace show.

#include <array>
#include <cstdint>
#include <memory>
#include <regex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/trigger.hpp"
#include "core/user_account.hpp"
#include "rules/attribute_expr.hpp"
#include "rules/glob.hpp"

namespace uda {

struct EvalContext {
  const Trigger& trigger;
  const DomainUser& user;    // after users: normalisation
  std::string_view account;  // user.str(), made once per decision
};

class Condition {
 public:
  virtual ~Condition() = default;
  // True when the condition holds. When `why` is not null it receives the
  // sentence: "kind osd is one of [osd, enrollment]".
  virtual bool eval(const EvalContext& ctx, std::string* why) const = 0;
};

using ConditionPtr = std::shared_ptr<const Condition>;

// when.kind
class KindIs final : public Condition {
 public:
  explicit KindIs(std::vector<TriggerKind> kinds);
  bool eval(const EvalContext& ctx, std::string* why) const override;
  [[nodiscard]] bool accepts(TriggerKind k) const {
    return (mask_ & (1U << static_cast<unsigned>(k))) != 0;
  }

 private:
  std::vector<TriggerKind> kinds_;
  std::uint32_t mask_ = 0;  // bit k: TriggerKind k is listed
  std::string listed_;      // "[osd, enrollment]", for the sentence
};

// when.origin (wildcards: 'http:osd-*', 'spool', 'wmi:*')
class OriginMatches final : public Condition {
 public:
  explicit OriginMatches(std::vector<Glob> globs);
  bool eval(const EvalContext& ctx, std::string* why) const override;

 private:
  std::vector<Glob> globs_;
  std::string listed_;  // "['http:osd-*', 'spool']"
};

// A regular expression compiled once (ECMAScript, case-insensitive), with the
// text it came from.
struct Regex {
  std::string pattern;
  std::regex re;
};

// Which text of the trigger a name condition looks at.
enum class NameField {
  MachineName,  // SMS_R_System.Name as the trigger gave it
  UserDomain,   // DOMAIN of the normalised user
  UserName,     // user part (sAMAccountName) of the normalised user
  UserAccount,  // DOMAIN\user
};

// when.machine.name / name_regex, when.user.domain / name / account / regex:
// true when the field matches any wildcard or any regex.
class NameMatches final : public Condition {
 public:
  NameMatches(NameField field, std::vector<Glob> globs, std::vector<Regex> regexes);
  bool eval(const EvalContext& ctx, std::string* why) const override;
  [[nodiscard]] NameField field() const { return field_; }
  // The (lowercased) first characters a matching value can start with, when
  // every pattern is a wildcard with a literal first character; empty when
  // any value could match.
  [[nodiscard]] std::string leads() const;

 private:
  NameField field_;
  std::vector<Glob> globs_;
  std::vector<Regex> regexes_;
  std::string wanted_;  // "['LAB-*'] or [/^kiosk/]"
};

// when.machine.resource_id: single ids and inclusive ranges.
class ResourceIdIn final : public Condition {
 public:
  using Range = std::pair<std::uint32_t, std::uint32_t>;
  explicit ResourceIdIn(std::vector<Range> ranges) : ranges_(std::move(ranges)) {}
  bool eval(const EvalContext& ctx, std::string* why) const override;

 private:
  std::vector<Range> ranges_;
};

// when.attributes: each entry is its own condition.
class AttributeHolds final : public Condition {
 public:
  explicit AttributeHolds(AttributeExpr expr) : expr_(std::move(expr)) {}
  bool eval(const EvalContext& ctx, std::string* why) const override;

 private:
  AttributeExpr expr_;
};

// when.time: days of the week and a time of day, at a fixed UTC offset,
// tested against the moment the trigger was received (not "now": the decision
// is the same whenever it is replayed or explained).
struct TimeWindow {
  std::array<bool, 7> days{true, true, true, true, true, true, true};  // Monday first
  int start_minute = 0;      // minute of the day, inclusive
  int end_minute = 24 * 60;  // exclusive; below start = the window wraps past midnight
  int utc_offset_minutes = 0;
  std::string text;  // as written, for messages
};

class ReceivedWithin final : public Condition {
 public:
  explicit ReceivedWithin(TimeWindow w) : w_(std::move(w)) {}
  bool eval(const EvalContext& ctx, std::string* why) const override;

 private:
  TimeWindow w_;
};

}  // namespace uda
