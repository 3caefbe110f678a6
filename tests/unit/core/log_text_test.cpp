#include "core/log_text.hpp"

#include <gtest/gtest.h>

namespace uda {
namespace {

TEST(LogText, ControlCharactersQuotesAndBackslashesAreEscaped) {
  EXPECT_EQ(log_printable("a\nb\x01"), "a\\x0ab\\x01");
  EXPECT_EQ(log_printable("CONTOSO\\jdoe \"x\""), "CONTOSO\\\\jdoe \\\"x\\\"");
  EXPECT_EQ(log_printable("plain"), "plain");
}

TEST(LogText, ValuesAreQuotedOnlyWhenAReaderWouldSplitThem) {
  EXPECT_EQ(log_value("osd-1.json"), "osd-1.json");
  EXPECT_EQ(log_value("a b"), "\"a b\"");
  EXPECT_EQ(log_value("k=v"), "\"k=v\"");
  EXPECT_EQ(log_value(""), "\"\"");
  EXPECT_EQ(log_value("bad\nname"), "\"bad\\x0aname\"");
}

}  // namespace
}  // namespace uda
