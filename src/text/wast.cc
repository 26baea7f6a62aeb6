#include "text/wast.h"

#include <cctype>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <utility>

#include "text/nesting.h"
#include "text/wast_runner.h"
#include "wabt/cast.h"
#include "wabt/error-formatter.h"
#include "wabt/feature.h"
#include "wabt/wast-lexer.h"
#include "wabt/wast-parser.h"

namespace deja::text {
namespace {

std::string DescribeScriptModule(const char* assertion, const wabt::ScriptModule& module) {
  switch (module.type()) {
    case wabt::ScriptModuleType::Text:
      return std::string(assertion) + " (module ...)";
    case wabt::ScriptModuleType::Binary:
      return std::string(assertion) + " (module binary ...)";
    case wabt::ScriptModuleType::Quoted:
      return std::string(assertion) + " (module quote ...)";
  }
  return assertion;
}

// How a command reads in a report: its kind and what it acts on.
std::string DescribeCommand(const wabt::Command& command) {
  using wabt::cast;
  switch (command.type) {
    case wabt::CommandType::Module: {
      const std::string& name = cast<wabt::ModuleCommand>(&command)->module.name;
      return name.empty() ? "module" : "module " + name;
    }
    case wabt::CommandType::ScriptModule:
      return DescribeScriptModule("module",
                                  *cast<wabt::ScriptModuleCommand>(&command)->script_module);
    case wabt::CommandType::Action:
      return DescribeAction(*cast<wabt::ActionCommand>(&command)->action);
    case wabt::CommandType::Register:
      return "register \"" + cast<wabt::RegisterCommand>(&command)->module_name + "\"";
    case wabt::CommandType::AssertReturn:
      return "assert_return (" +
             DescribeAction(*cast<wabt::AssertReturnCommand>(&command)->action) + ")";
    case wabt::CommandType::AssertTrap:
      return "assert_trap (" + DescribeAction(*cast<wabt::AssertTrapCommand>(&command)->action) +
             ")";
    case wabt::CommandType::AssertExhaustion:
      return "assert_exhaustion (" +
             DescribeAction(*cast<wabt::AssertExhaustionCommand>(&command)->action) + ")";
    case wabt::CommandType::AssertMalformed:
      return DescribeScriptModule("assert_malformed",
                                  *cast<wabt::AssertMalformedCommand>(&command)->module);
    case wabt::CommandType::AssertInvalid:
      return DescribeScriptModule("assert_invalid",
                                  *cast<wabt::AssertInvalidCommand>(&command)->module);
    case wabt::CommandType::AssertUnlinkable:
      return DescribeScriptModule("assert_unlinkable",
                                  *cast<wabt::AssertUnlinkableCommand>(&command)->module);
    case wabt::CommandType::AssertUninstantiable:
      return DescribeScriptModule("assert_uninstantiable/assert_trap",
                                  *cast<wabt::AssertUninstantiableCommand>(&command)->module);
    case wabt::CommandType::AssertException:
      return "assert_exception";
  }
  return "command";
}

// Where the block comment opening at `i` ends (the index of its ')').
size_t SkipBlockComment(std::string_view text, size_t i, int* line) {
  int nesting = 0;
  for (; i + 1 < text.size(); ++i) {
    if (text[i] == '\n') ++*line;
    if (text[i] == '(' && text[i + 1] == ';') {
      ++nesting;
      ++i;
    } else if (text[i] == ';' && text[i + 1] == ')' && --nesting == 0) {
      return i + 1;
    }
  }
  return text.size();
}

// Where the string opening at `i` ends (the index of its closing quote).
size_t SkipString(std::string_view text, size_t i, int* line) {
  for (++i; i < text.size() && text[i] != '"'; ++i) {
    if (text[i] == '\\') {
      ++i;
    } else if (text[i] == '\n') {
      ++*line;
    }
  }
  return i;
}

// The keyword or $name after any spaces at `pos`, and the index past it.
std::pair<std::string_view, size_t> WordAt(std::string_view text, size_t pos) {
  auto is_space = [&](size_t p) { return std::isspace(static_cast<unsigned char>(text[p])); };
  while (pos < text.size() && is_space(pos)) ++pos;
  size_t end = pos;
  while (end < text.size() && !is_space(end) && text[end] != '(' && text[end] != ')' &&
         text[end] != '"') {
    ++end;
  }
  return {text.substr(pos, end - pos), end};
}

// libwabt 1.0.32 aborts (a failed assert) on a top-level (module quote ...)
// command, so such scripts are refused before parsing. Returns the line of the
// first one, or 0. Skips strings and comments; looks only at top-level forms.
int FindTopLevelQuotedModule(std::string_view text) {
  int line = 1;
  int depth = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char next = i + 1 < text.size() ? text[i + 1] : '\0';
    if (text[i] == '\n') {
      ++line;
    } else if (text[i] == ';' && next == ';') {
      while (i + 1 < text.size() && text[i + 1] != '\n') ++i;
    } else if (text[i] == '(' && next == ';') {
      i = SkipBlockComment(text, i, &line);
    } else if (text[i] == '"') {
      i = SkipString(text, i, &line);
    } else if (text[i] == '(') {
      auto [keyword, after_keyword] = WordAt(text, i + 1);
      if (depth++ == 0 && keyword == "module") {
        auto [word, end] = WordAt(text, after_keyword);
        if (word.starts_with("$")) word = WordAt(text, end).first;
        if (word == "quote") return line;
      }
    } else if (text[i] == ')') {
      --depth;
    }
  }
  return 0;
}

// A parsed script. Its locations point into the lexer, which must outlive it.
struct ParsedScript {
  std::unique_ptr<wabt::WastLexer> lexer;
  std::unique_ptr<wabt::Script> script;
};

// Parses a whole script. On failure, returns libwabt's errors as text.
Result<ParsedScript> ParseScript(std::string_view text, std::string_view filename) {
  DEJA_TRY(CheckTextNesting(text, filename));
  wabt::Errors errors;
  ParsedScript parsed;
  parsed.lexer = wabt::WastLexer::CreateBufferLexer(filename, text.data(), text.size(), &errors);
  wabt::Features features;  // WebAssembly 2.0, SIMD included
  features.enable_relaxed_simd();  // deja decides per --wasm whether a module may use it
  wabt::WastParseOptions options(features);
  if (wabt::Failed(wabt::ParseWastScript(parsed.lexer.get(), &parsed.script, &errors, &options))) {
    std::string message = wabt::FormatErrorsToString(errors, wabt::Location::Type::Text);
    while (!message.empty() && message.back() == '\n') message.pop_back();
    return Status::Malformed(message);
  }
  return parsed;
}

}  // namespace

WastCounts RunWastScript(std::string_view text, std::string_view filename,
                         const WastOptions& options, std::ostream& out) {
  WastCounts counts;
  std::string name(filename);
  if (int line = FindTopLevelQuotedModule(text); line != 0) {
    out << name << ":" << line
        << ": a (module quote ...) command outside assertions is not supported "
           "(libwabt cannot parse it)\n";
    counts.failed = 1;
    return counts;
  }
  Result<ParsedScript> parsed = ParseScript(text, name);
  if (!parsed.ok()) {
    out << name << ": cannot parse the script:\n" << parsed.status().message() << "\n";
    counts.failed = 1;
    return counts;
  }
  WastRunner runner(options.verbose ? &out : nullptr, options.timeout);
  runner.set_features(options.features);
  if (Status s = runner.Init(); !s.ok()) {
    out << name << ": cannot create the spectest module: " << s.ToString() << "\n";
    counts.failed = 1;
    return counts;
  }
  uint64_t hidden = 0;
  const wabt::Script& script = *parsed->script;
  for (wabt::Index i = 0; i < script.commands.size(); ++i) {
    CommandResult result = runner.Run(script, i);
    (result.passed ? counts.passed : counts.failed)++;
    if (!result.passed && !options.verbose && counts.failed > options.max_failures_shown) {
      ++hidden;
      continue;
    }
    if (!result.passed || options.verbose) {
      const wabt::Command& command = *script.commands[i];
      out << name << ":" << CommandLine(command) << ": " << DescribeCommand(command) << ": "
          << (result.passed ? "ok: " : "FAILED: ") << result.detail << "\n";
    }
  }
  if (hidden > 0) out << name << ": " << hidden << " more failures not shown (see --verbose)\n";
  return counts;
}

WastCounts RunWastFile(const std::string& path, const WastOptions& options, std::ostream& out) {
  WastCounts counts;
  // Only regular files: reading a directory through a stream throws.
  std::error_code ec;
  std::ifstream in;
  if (std::filesystem::is_regular_file(path, ec)) in.open(path, std::ios::binary);
  std::string text;
  if (in.is_open()) text.assign(std::istreambuf_iterator<char>(in), {});
  if (!in.is_open() || in.bad()) {
    out << path << ": cannot read the file\n";
    counts.failed = 1;
  } else {
    counts = RunWastScript(text, path, options, out);
  }
  out << path << ": " << counts.passed << " passed, " << counts.failed << " failed\n";
  return counts;
}

}  // namespace deja::text
