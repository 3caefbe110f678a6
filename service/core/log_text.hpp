#pragma once
// Text from outside (file names, user names, site data) made safe for one
// structured log line: a line per decision must stay one line, and a value
// must not be mistaken for another key.

#include <string>
#include <string_view>

namespace uda {

// Control characters as \xNN; quotes and backslashes escaped (the result may
// go between double quotes).
std::string log_printable(std::string_view s);

// For key=value: the printable text, quoted when it is empty or holds
// anything a reader would split on (space, '=', '"', '\').
std::string log_value(std::string_view s);

}  // namespace uda
