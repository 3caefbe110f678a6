// libFuzzer target: spool file parsing (sources/spool/spool_file.hpp). Each
// input is read both as a .json and as a .yaml spool file, as the spool
// watcher hands a file's bytes to parse_spool_file().
//
// Properties: no crash, sanitizer report or exception on any bytes; errors
// start with the file name; binary (NUL), UTF-16 and empty files are refused;
// an accepted file holds 1..max_triggers triggers, each passing validate()
// and reading back from its JSON form; reading the same file again gives the
// same triggers with the same ids (what makes a re-read after a crash between
// the commit and the move to processed/ a no-op in the store).

#include <string>

#include "fuzz_support.hpp"
#include "sources/spool/spool_file.hpp"

namespace {

constexpr std::size_t kMaxTriggers = 64;

void check_file(std::string_view name, std::string_view content) {
  using namespace uda;
  auto triggers = parse_spool_file(name, content, "spool", kMaxTriggers);
  if (!triggers) {
    const auto& msg = triggers.error().message;
    fuzz::check(fuzz::starts_with(msg, std::string(name) + ":"),
                "a spool file error does not start with the file name", msg);
    return;
  }
  fuzz::check(content.find('\0') == std::string_view::npos, "a file with a NUL byte was accepted");
  fuzz::check(!fuzz::starts_with(content, "\xFF\xFE") && !fuzz::starts_with(content, "\xFE\xFF"),
              "a UTF-16 file was accepted");
  fuzz::check(!triggers->empty() && triggers->size() <= kMaxTriggers,
              "an accepted file holds no triggers or more than max_triggers");
  for (const auto& t : *triggers) fuzz::check_accepted_trigger(t);
  auto again = parse_spool_file(name, content, "spool", kMaxTriggers);
  fuzz::check(again.ok() && again->size() == triggers->size(),
              "reading the same file again gives another result");
  for (std::size_t i = 0; i < triggers->size(); ++i) {
    const auto& a = (*triggers)[i];
    const auto& b = (*again)[i];
    fuzz::check(a.id == b.id, "reading the same file again gives other trigger ids", a.id);
    // received_at is "now" when the file gives none; everything else is the file's.
    auto b_at_a_time = b;
    b_at_a_time.received_at = a.received_at;
    fuzz::check(fuzz::same_trigger(a, b_at_a_time),
                "reading the same file again gives other triggers", a.id);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto content = uda::fuzz::as_text(data, size);
  check_file("fuzz.json", content);
  check_file("fuzz.yaml", content);
  return 0;
}
