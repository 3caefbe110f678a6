#pragma once
// Text from outside (file names, user names, site data) made safe for one
// structured log line: a line per decision must stay one line, and a value
// must not be mistaken for another key.

#include <string>
#include <string_view>

namespace uda {

// Control characters as \xNN; quotes and backslashes escaped (the result may
// go between double quotes). The UTF-8 forms of the C1 controls (U+0080..
// U+009F: U+0085 is a line break, U+009B a terminal's CSI), of the line and
// paragraph separators and of the bidirectional overrides are escaped byte by
// byte as well: a reader's terminal or viewer would act on them.
std::string log_printable(std::string_view s);

// The number of bytes of such a Unicode control (C1, U+2028/U+2029, U+202A..
// U+202E, U+2066..U+2069) starting at s[i], or 0. Trigger validation refuses
// them in every text field.
std::size_t unicode_control_at(std::string_view s, std::size_t i);

// For key=value: the printable text, quoted when it is empty or holds
// anything a reader would split on (space, '=', '"', '\').
std::string log_value(std::string_view s);

}  // namespace uda
