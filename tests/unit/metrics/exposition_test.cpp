#include "metrics/exposition.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <string>

namespace uda::metrics {
namespace {

std::string escaped(std::string_view v) {
  std::string out;
  append_escaped_label_value(out, v);
  return out;
}

std::string escaped_help(std::string_view v) {
  std::string out;
  append_escaped_help(out, v);
  return out;
}

TEST(Exposition, MetricNames) {
  EXPECT_TRUE(is_valid_metric_name("uda_triggers_received_total"));
  EXPECT_TRUE(is_valid_metric_name("_x"));
  EXPECT_TRUE(is_valid_metric_name(":recorded:rule"));
  EXPECT_TRUE(is_valid_metric_name("a1:b2_C3"));
  EXPECT_FALSE(is_valid_metric_name(""));
  EXPECT_FALSE(is_valid_metric_name("1abc"));
  EXPECT_FALSE(is_valid_metric_name("uda-triggers"));
  EXPECT_FALSE(is_valid_metric_name("uda triggers"));
  EXPECT_FALSE(is_valid_metric_name("uda.triggers"));
  EXPECT_FALSE(is_valid_metric_name("caf\xC3\xA9"));
}

TEST(Exposition, LabelNames) {
  EXPECT_TRUE(is_valid_label_name("kind"));
  EXPECT_TRUE(is_valid_label_name("_origin2"));
  EXPECT_FALSE(is_valid_label_name(""));
  EXPECT_FALSE(is_valid_label_name("__reserved"));
  EXPECT_FALSE(is_valid_label_name("a:b"));
  EXPECT_FALSE(is_valid_label_name("9lives"));
  EXPECT_FALSE(is_valid_label_name("with space"));
}

TEST(Exposition, LabelValueEscaping) {
  EXPECT_EQ(escaped("plain"), "plain");
  EXPECT_EQ(escaped(R"(C:\path)"), R"(C:\\path)");
  EXPECT_EQ(escaped(R"(say "hi")"), R"(say \"hi\")");
  EXPECT_EQ(escaped("two\nlines"), R"(two\nlines)");
  EXPECT_EQ(escaped("\\\"\n"), R"(\\\"\n)");
  EXPECT_EQ(escaped("tab\tcr\r"), "tab\tcr\r");  // only the three escapes exist
}

TEST(Exposition, HelpEscapingLeavesQuotes) {
  EXPECT_EQ(escaped_help("a \"b\" \\ c\nd"), R"(a "b" \\ c\nd)");
}

TEST(Exposition, Values) {
  EXPECT_EQ(format_value(0), "0");
  EXPECT_EQ(format_value(1), "1");
  EXPECT_EQ(format_value(-3), "-3");
  EXPECT_EQ(format_value(0.25), "0.25");
  EXPECT_EQ(format_value(0.001), "0.001");
  EXPECT_EQ(format_value(2.5), "2.5");
  EXPECT_EQ(format_value(1234567), "1234567");
  EXPECT_EQ(format_value(0.1), "0.1");
  EXPECT_EQ(format_value(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(format_value(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(format_value(std::numeric_limits<double>::quiet_NaN()), "NaN");
  EXPECT_EQ(std::stod(format_value(1e300)), 1e300);
}

TEST(Exposition, CleanValuesAreKeptAsTheyAre) {
  EXPECT_TRUE(is_clean_label_value("http:osd-ts"));
  EXPECT_TRUE(is_clean_label_value("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"));
  EXPECT_EQ(sanitize_label_value("caf\xC3\xA9"), "caf\xC3\xA9");
  EXPECT_TRUE(is_clean_label_value("quote\" and \\ and \n are fine before escaping"));
}

TEST(Exposition, InvalidUtf8IsReplaced) {
  const std::string replacement = "\xEF\xBF\xBD";
  EXPECT_FALSE(
      is_clean_label_value("a\xFF"
                           "b"));
  EXPECT_EQ(sanitize_label_value("a\xFF"
                                 "b"),
            "a" + replacement + "b");
  // Truncated sequence, overlong encoding, UTF-16 surrogate.
  EXPECT_EQ(sanitize_label_value("x\xE2\x82"), "x" + replacement + replacement);
  EXPECT_EQ(sanitize_label_value("\xC0\xAF"), replacement + replacement);
  EXPECT_EQ(sanitize_label_value("\xED\xA0\x80"), replacement + replacement + replacement);
  EXPECT_TRUE(is_clean_label_value(sanitize_label_value("\xFE\xFF\x80junk\xC3")));
}

TEST(Exposition, LongValuesAreCutAtACharacterBoundary) {
  const std::string huge(std::size_t{10} * 1024, 'x');
  EXPECT_FALSE(is_clean_label_value(huge));
  EXPECT_EQ(sanitize_label_value(huge), std::string(kMaxLabelValueBytes, 'x'));

  // 127 ASCII bytes then a 2-byte character: it does not fit and is dropped whole.
  const std::string edge = std::string(kMaxLabelValueBytes - 1, 'y') + "\xC3\xA9";
  const std::string cut = sanitize_label_value(edge);
  EXPECT_EQ(cut, std::string(kMaxLabelValueBytes - 1, 'y'));
  EXPECT_TRUE(is_clean_label_value(cut));
  EXPECT_EQ(sanitize_label_value("abcdef", 4), "abcd");
}

}  // namespace
}  // namespace uda::metrics
