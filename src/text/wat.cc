#include "text/wat.h"

#include <fstream>
#include <iterator>
#include <memory>

#include "wabt/binary-writer.h"
#include "wabt/error-formatter.h"
#include "wabt/feature.h"
#include "wabt/ir.h"
#include "wabt/resolve-names.h"
#include "wabt/stream.h"
#include "wabt/wast-lexer.h"
#include "wabt/wast-parser.h"

namespace deja::text {

Result<std::vector<u8>> WatToWasm(std::string_view wat, std::string_view filename) {
  wabt::Errors errors;
  std::unique_ptr<wabt::WastLexer> lexer =
      wabt::WastLexer::CreateBufferLexer(filename, wat.data(), wat.size(), &errors);
  wabt::Features features;  // wabt's defaults are the WebAssembly 2.0 feature set
  wabt::WastParseOptions options(features);
  std::unique_ptr<wabt::Module> module;
  if (wabt::Failed(wabt::ParseWatModule(lexer.get(), &module, &errors, &options))) {
    std::string message = wabt::FormatErrorsToString(errors, wabt::Location::Type::Text);
    while (!message.empty() && message.back() == '\n') message.pop_back();
    return Status::Malformed(message);
  }
  wabt::MemoryStream stream;
  wabt::WriteBinaryOptions write_options(features, /*canonicalize_lebs=*/true,
                                         /*relocatable=*/false, /*write_debug_names=*/true);
  if (wabt::Failed(wabt::WriteBinaryModule(&stream, module.get(), write_options))) {
    return Status::Malformed(std::string(filename) + ": cannot encode module");
  }
  return std::move(stream.output_buffer().data);
}

bool IsBinaryModule(std::span<const u8> bytes) {
  return bytes.size() >= 4 && bytes[0] == 0 && bytes[1] == 'a' && bytes[2] == 's' &&
         bytes[3] == 'm';
}

Result<std::vector<u8>> LoadModuleFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IoError("cannot open " + path);
  std::vector<u8> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return Status::IoError("cannot read " + path);
  if (IsBinaryModule(bytes)) return bytes;
  std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  return WatToWasm(text, path);
}

}  // namespace deja::text
