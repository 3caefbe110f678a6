#pragma once
// UTF-8 <-> UTF-16 for the Win32 "W" calls (Windows only).

#include <string>
#include <string_view>

namespace uda::win {

std::wstring to_wide(std::string_view utf8);
std::string to_utf8(std::wstring_view wide);

}  // namespace uda::win
