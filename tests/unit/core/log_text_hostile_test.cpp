// Hostile text in log values: whatever a client puts in a name, the value
// stays on its line and inside its quotes, and is printed, never formatted.
#include <gtest/gtest.h>

#include "core/log_text.hpp"

namespace uda {
namespace {

TEST(LogTextHostile, LineBreaksAndTerminalEscapesBecomeVisibleText) {
  EXPECT_EQ(log_printable("a\r\nFORGED"), "a\\x0d\\x0aFORGED");
  EXPECT_EQ(log_printable("\x1b[31mred\x1b[0m"), "\\x1b[31mred\\x1b[0m");
  EXPECT_EQ(log_printable("\x1b]0;title\x07"), "\\x1b]0;title\\x07");
  EXPECT_EQ(log_printable(std::string("nul\0byte", 8)), "nul\\x00byte");
  EXPECT_EQ(log_printable("del\x7f"), "del\\x7f");
  EXPECT_EQ(log_printable("tab\there"), "tab\\x09here");
}

TEST(LogTextHostile, QuotesCannotCloseTheValueOrForgeAKey) {
  // A reader splitting on spaces outside quotes sees one value.
  EXPECT_EQ(log_value("jdoe\" status=202 token=\"admin"),
            "\"jdoe\\\" status=202 token=\\\"admin\"");
  EXPECT_EQ(log_value("trailing\\"), "\"trailing\\\\\"");
  EXPECT_EQ(log_value("id decision=skip"), "\"id decision=skip\"");
  EXPECT_EQ(log_value("x=1"), "\"x=1\"");
}

TEST(LogTextHostile, FormatSpecifiersAndSqlAreLeftAsText) {
  EXPECT_EQ(log_printable("{} {0} {:>99999} %s %n %99999d"), "{} {0} {:>99999} %s %n %99999d");
  EXPECT_EQ(log_printable("x' OR 1=1 --"), "x' OR 1=1 --");
  EXPECT_EQ(log_value("'; DROP TABLE jobs; --"), "\"'; DROP TABLE jobs; --\"");
}

TEST(LogTextHostile, UnicodeControlsAreEscapedByteByByte) {
  EXPECT_EQ(log_printable("a\xc2\x9b"
                          "31mred"),
            "a\\xc2\\x9b31mred");  // U+009B CSI
  EXPECT_EQ(log_printable("a\xc2\x85"
                          "FORGED"),
            "a\\xc2\\x85FORGED");  // U+0085 NEL
  EXPECT_EQ(log_printable("a\xe2\x80\xa8"
                          "b"),
            "a\\xe2\\x80\\xa8b");                                             // U+2028
  EXPECT_EQ(log_printable("\xe2\x80\xaegnp.exe"), "\\xe2\\x80\\xaegnp.exe");  // U+202E
  EXPECT_EQ(log_printable("\xe2\x81\xa6x"), "\\xe2\\x81\\xa6x");              // U+2066
  EXPECT_EQ(log_value("\xc2\x9b"), "\"\\xc2\\x9b\"");
  // Neighbours that are ordinary characters stay: U+00A0, U+2027, U+202F, U+2065.
  for (const char* ok : {"\xc2\xa0", "\xe2\x80\xa7", "\xe2\x80\xaf", "\xe2\x81\xa5", "\xc2"}) {
    EXPECT_EQ(log_printable(ok), ok);
  }
  EXPECT_EQ(unicode_control_at("\xc2\x80", 0), 2U);
  EXPECT_EQ(unicode_control_at("x\xe2\x80\xa9", 1), 3U);
  EXPECT_EQ(unicode_control_at("\xe2\x80", 0), 0U);  // cut short: not one
}

TEST(LogTextHostile, NonAsciiIsKeptAndLongValuesStayWhole) {
  EXPECT_EQ(log_printable("M\xc3\xbcller"), "M\xc3\xbcller");
  const std::string big(100'000, 'a');
  EXPECT_EQ(log_value(big), big);
  const std::string lines(1000, '\n');
  const auto escaped = log_printable(lines);
  EXPECT_EQ(escaped.size(), 4000U);
  EXPECT_EQ(escaped.find('\n'), std::string::npos);
}

}  // namespace
}  // namespace uda
