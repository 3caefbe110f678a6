#include "sources/wmi_events/wql.hpp"

#include <fmt/format.h>

#include <cctype>
#include <cstdlib>
#include <vector>

#include "sources/wmi_events/wmi_instance.hpp"

namespace uda {
namespace {

enum class Tok { Word, Number, String, Punct };

struct Token {
  Tok kind;
  std::string text;  // strings: the unquoted content
};

bool word_start(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '_';
}
bool word_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
}

Expected<std::vector<Token>> tokenize(std::string_view s) {
  std::vector<Token> out;
  std::size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (word_start(c)) {
      std::size_t j = i + 1;
      while (j < s.size() && word_char(s[j])) ++j;
      out.push_back({Tok::Word, std::string(s.substr(i, j - i))});
      i = j;
    } else if (std::isdigit(static_cast<unsigned char>(c))) {
      std::size_t j = i + 1;
      while (j < s.size() && (std::isdigit(static_cast<unsigned char>(s[j])) || s[j] == '.')) ++j;
      out.push_back({Tok::Number, std::string(s.substr(i, j - i))});
      i = j;
    } else if (c == '\'' || c == '"') {
      std::string text;
      std::size_t j = i + 1;
      bool closed = false;
      while (j < s.size()) {
        if (s[j] == '\\' && j + 1 < s.size()) {
          text += s[j + 1];
          j += 2;
        } else if (s[j] == c) {
          closed = true;
          ++j;
          break;
        } else {
          text += s[j++];
        }
      }
      if (!closed) {
        return Error{
            fmt::format("the string starting at character {} is not closed (add {})", i + 1, c)};
      }
      out.push_back({Tok::String, std::move(text)});
      i = j;
    } else {
      out.push_back({Tok::Punct, std::string(1, c)});
      ++i;
    }
  }
  return out;
}

bool is_word(const Token& t, std::string_view w) {
  return t.kind == Tok::Word && iequals(t.text, w);
}

}  // namespace

Expected<WqlSelect> parse_wql_select(std::string_view wql) {
  auto toks = tokenize(wql);
  if (!toks) return toks.error();
  const auto& t = *toks;
  if (t.empty() || !is_word(t[0], "SELECT")) {
    return Error{"must be a WQL SELECT statement (SELECT ... FROM <class> ...)"};
  }
  std::size_t from = 0;
  for (std::size_t i = 1; i < t.size(); ++i) {
    if (is_word(t[i], "FROM")) {
      from = i;
      break;
    }
  }
  if (from == 0) return Error{"has no FROM <class>: SELECT ... FROM <class> ..."};
  if (from == 1)
    return Error{"names no properties: SELECT * FROM ... or SELECT Name, ... FROM ..."};
  if (from + 1 >= t.size() || t[from + 1].kind != Tok::Word) {
    return Error{"FROM must be followed by a class name"};
  }
  WqlSelect out;
  out.from_class = t[from + 1].text;
  std::size_t i = from + 2;
  if (i < t.size() && is_word(t[i], "WITHIN")) {
    if (i + 1 >= t.size() || t[i + 1].kind != Tok::Number) {
      return Error{"WITHIN must be followed by the polling interval in seconds (WITHIN 300)"};
    }
    char* end = nullptr;
    const double secs = std::strtod(t[i + 1].text.c_str(), &end);
    if (end != t[i + 1].text.c_str() + t[i + 1].text.size() || !(secs > 0)) {
      return Error{fmt::format("WITHIN {}: not a number of seconds", t[i + 1].text)};
    }
    out.within_seconds = secs;
    i += 2;
  }
  if (i < t.size() && !is_word(t[i], "WHERE") && !is_word(t[i], "GROUP")) {
    return Error{fmt::format("unexpected '{}' after FROM {}{}: expected WHERE", t[i].text,
                             out.from_class, out.within_seconds ? " WITHIN n" : "")};
  }
  for (std::size_t k = i; k < t.size(); ++k) {
    if (is_word(t[k], "WITHIN") && !(k > 0 && is_word(t[k - 1], "GROUP"))) {
      return Error{
          "WITHIN belongs right after FROM <class> (FROM __InstanceCreationEvent "
          "WITHIN 300 WHERE ...)"};
    }
    if (k >= 1 && is_word(t[k], "ISA") && is_word(t[k - 1], "TargetInstance")) {
      if (k + 1 >= t.size() || t[k + 1].kind != Tok::String) {
        return Error{"TargetInstance ISA must be followed by a quoted class name ('SMS_R_System')"};
      }
      out.isa_class = t[k + 1].text;
    }
  }
  return out;
}

bool is_intrinsic_instance_event(std::string_view c) {
  return iequals(c, kInstanceCreationEvent) || iequals(c, kInstanceModificationEvent) ||
         iequals(c, kInstanceDeletionEvent) || iequals(c, kInstanceOperationEvent);
}

bool has_previous_instance(std::string_view c) {
  return iequals(c, kInstanceModificationEvent) || iequals(c, kInstanceOperationEvent);
}

std::string wql_quote(std::string_view text) {
  std::string out = "'";
  for (const char c : text) {
    if (c == '\\' || c == '\'') out += '\\';
    out += c;
  }
  return out + "'";
}

}  // namespace uda
