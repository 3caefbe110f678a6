#pragma once
// The small print of the Prometheus text exposition format 0.0.4: which metric
// and label names are legal, how label values and HELP text are escaped, and
// how sample values are written. Label values often come from untrusted input
// (a trigger's kind or origin), so they are also cleaned before they are kept:
// invalid UTF-8 would make Prometheus reject the whole scrape, and a 10 KiB
// value should not cost 10 KiB per series.

#include <cstddef>
#include <string>
#include <string_view>

namespace uda::metrics {

// Content-Type of what Registry::render() returns.
inline constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

// Label values longer than this (in bytes) are cut at a character boundary.
inline constexpr std::size_t kMaxLabelValueBytes = 128;

// [a-zA-Z_:][a-zA-Z0-9_:]*
bool is_valid_metric_name(std::string_view name);
// [a-zA-Z_][a-zA-Z0-9_]*, and not starting with "__" (reserved by Prometheus).
bool is_valid_label_name(std::string_view name);

// True when `value` is valid UTF-8 and at most `max_bytes` long, i.e. when
// sanitize_label_value() would return it unchanged.
bool is_clean_label_value(std::string_view value, std::size_t max_bytes = kMaxLabelValueBytes);
// Invalid UTF-8 bytes become U+FFFD; the result is cut to at most `max_bytes`
// without splitting a character.
std::string sanitize_label_value(std::string_view value,
                                 std::size_t max_bytes = kMaxLabelValueBytes);

// Label value inside double quotes: \ -> \\, " -> \", newline -> \n.
void append_escaped_label_value(std::string& out, std::string_view value);
// HELP text: \ -> \\, newline -> \n.
void append_escaped_help(std::string& out, std::string_view help);
// Shortest form that reads back to the same double; "+Inf", "-Inf", "NaN".
void append_value(std::string& out, double value);
std::string format_value(double value);

}  // namespace uda::metrics
