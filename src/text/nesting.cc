#include "text/nesting.h"

#include <string>

namespace deja::text {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

bool OpensBlock(std::string_view token) {
  return token == "block" || token == "loop" || token == "if" || token == "try" ||
         token == "try_table";
}

}  // namespace

Status CheckTextNesting(std::string_view text, std::string_view filename, u32 max_depth) {
  u64 parens = 0, blocks = 0;  // blocks: plain syntax, closed by `end`
  size_t line = 1, line_start = 0;
  bool after_open = false;  // the last token was '(': a keyword there is folded syntax
  const size_t n = text.size();
  size_t i = 0;
  auto too_deep = [&](size_t at) {
    return Status::Malformed(std::string(filename) + ":" + std::to_string(line) + ":" +
                             std::to_string(at - line_start + 1) + ": text nested deeper than " +
                             std::to_string(max_depth) +
                             " levels (parentheses and blocks); deja's text parser refuses it "
                             "(a binary module has no such limit)");
  };
  auto newline = [&](size_t at) {
    ++line;
    line_start = at + 1;
  };
  while (i < n) {
    const char c = text[i];
    if (c == '\n') {
      newline(i);
      ++i;
    } else if (IsSpace(c)) {
      ++i;
    } else if (c == ';' && i + 1 < n && text[i + 1] == ';') {  // line comment
      while (i < n && text[i] != '\n') ++i;
    } else if (c == '(' && i + 1 < n && text[i + 1] == ';') {  // block comment, nestable
      u64 depth = 0;
      do {
        if (text[i] == '(' && i + 1 < n && text[i + 1] == ';') {
          ++depth;
          i += 2;
        } else if (text[i] == ';' && i + 1 < n && text[i + 1] == ')') {
          --depth;
          i += 2;
        } else {
          if (text[i] == '\n') newline(i);
          ++i;
        }
      } while (depth > 0 && i < n);
    } else if (c == '"') {  // string: skip escapes, stop at the closing quote
      for (++i; i < n && text[i] != '"'; ++i) {
        if (text[i] == '\\') ++i;
        else if (text[i] == '\n') newline(i);
      }
      ++i;
      after_open = false;
    } else if (c == '(') {
      if (++parens + blocks > max_depth) return too_deep(i);
      after_open = true;
      ++i;
    } else if (c == ')') {
      if (parens > 0) --parens;
      after_open = false;
      ++i;
    } else {
      size_t start = i;
      while (i < n && !IsSpace(text[i]) && text[i] != '(' && text[i] != ')' && text[i] != '"' &&
             !(text[i] == ';' && i + 1 < n && text[i + 1] == ';')) {
        ++i;
      }
      std::string_view token = text.substr(start, i - start);
      if (!after_open && OpensBlock(token)) {
        if (parens + ++blocks > max_depth) return too_deep(start);
      } else if (token == "end" && blocks > 0) {
        --blocks;
      }
      after_open = false;
    }
  }
  return Status();
}

}  // namespace deja::text
