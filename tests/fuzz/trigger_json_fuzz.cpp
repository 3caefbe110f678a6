// libFuzzer target: the JSON form of a trigger (core/trigger_json.hpp), as
// `rules explain --trigger`, `uda-agent submit` and the spool folder read it.
//
// Properties: no crash, sanitizer report or exception on any bytes; a refused
// input says why; an accepted trigger passes validate(), carries the fields
// as given (id, user, origin; the default origin when none is given) and its
// JSON form reads back as the same trigger.

#include <nlohmann/json.hpp>

#include "core/trigger_json.hpp"
#include "fuzz_support.hpp"

namespace {

constexpr std::string_view kDefaultOrigin = "fuzz";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace uda;
  const auto text = fuzz::as_text(data, size);
  auto t = trigger_from_json_text(text, kDefaultOrigin);
  // The same text through nlohmann's non-throwing parser, to compare fields.
  const auto j = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
  if (!t) {
    fuzz::check(!t.error().message.empty(), "a refused trigger says why");
    return 0;
  }
  fuzz::check(!j.is_discarded() && j.is_object(), "accepted text that is not a JSON object");
  fuzz::check_accepted_trigger(*t);

  if (const auto it = j.find("id"); it != j.end() && it->is_string()) {
    fuzz::check(t->id == it->get<std::string>(), "id is not the one given");
  }
  fuzz::check(t->user == j.at("user").get<std::string>(), "user is not the one given");
  if (const auto it = j.find("origin"); it != j.end() && it->is_string()) {
    fuzz::check(t->origin == it->get<std::string>(), "origin is not the one given");
  } else {
    fuzz::check(t->origin == kDefaultOrigin, "a trigger without origin has not the default one");
  }
  const auto kind = j.at("kind").get<std::string>();
  fuzz::check(parse_trigger_kind(kind) == t->kind, "kind is not the one given");
  // The JSON object form gives the same trigger as the text form (ids aside:
  // one without an id gets a fresh one each time).
  auto again = trigger_from_json(j, kDefaultOrigin);
  fuzz::check(again.ok(), "the parsed JSON object is refused where its text was accepted");
  again->id = t->id;
  if (!j.contains("received_at") || j.at("received_at").is_null()) {
    again->received_at = t->received_at;
  }
  fuzz::check(fuzz::same_trigger(*t, *again), "text and object forms give different triggers");
  return 0;
}
