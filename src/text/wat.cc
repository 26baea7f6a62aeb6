#include "text/wat.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "text/nesting.h"
#include "text/wabt_features.h"
#include "wabt/binary-writer.h"
#include "wabt/cast.h"
#include "wabt/error-formatter.h"
#include "wabt/feature.h"
#include "wabt/ir.h"
#include "wabt/resolve-names.h"
#include "wabt/stream.h"
#include "wabt/wast-lexer.h"
#include "wabt/wast-parser.h"

namespace deja::text {
namespace {

constexpr u8 kCodeSectionId = 10;
constexpr u8 kDataCountSectionId = 12;

bool UsesDataSegmentIndex(const wabt::ExprList& exprs) {
  for (const wabt::Expr& expr : exprs) {
    switch (expr.type()) {
      case wabt::ExprType::DataDrop:
      case wabt::ExprType::MemoryInit:
        return true;
      case wabt::ExprType::Block:
        if (UsesDataSegmentIndex(wabt::cast<wabt::BlockExpr>(&expr)->block.exprs)) return true;
        break;
      case wabt::ExprType::Loop:
        if (UsesDataSegmentIndex(wabt::cast<wabt::LoopExpr>(&expr)->block.exprs)) return true;
        break;
      case wabt::ExprType::If: {
        auto* if_expr = wabt::cast<wabt::IfExpr>(&expr);
        if (UsesDataSegmentIndex(if_expr->true_.exprs)) return true;
        if (UsesDataSegmentIndex(if_expr->false_)) return true;
        break;
      }
      default:
        break;
    }
  }
  return false;
}

// The binary format requires a data count section before code that uses
// data.drop or memory.init. libwabt writes one only when there are data
// segments, so a text module using them with no segments (invalid, "unknown
// data segment") would come out malformed instead; add the section (count 0).
void AddMissingDataCount(const wabt::Module& module, std::vector<u8>* wasm) {
  if (!module.data_segments.empty()) return;
  bool used = false;
  for (const wabt::Func* func : module.funcs) used = used || UsesDataSegmentIndex(func->exprs);
  if (!used) return;
  size_t pos = 8;  // after magic and version
  while (pos < wasm->size()) {
    u8 id = (*wasm)[pos];
    if (id == kCodeSectionId) {
      const u8 section[] = {kDataCountSectionId, 1, 0};
      wasm->insert(wasm->begin() + static_cast<std::ptrdiff_t>(pos), std::begin(section),
                   std::end(section));
      return;
    }
    u64 size = 0;
    size_t leb = pos + 1;
    for (int shift = 0; leb < wasm->size(); shift += 7) {
      u8 byte = (*wasm)[leb++];
      size |= u64{byte & 0x7fu} << shift;
      if ((byte & 0x80) == 0 || shift > 28) break;
    }
    pos = leb + size;
  }
}

}  // namespace

Result<std::vector<u8>> WatToWasm(std::string_view wat, std::string_view filename) {
  DEJA_TRY(CheckTextNesting(wat, filename));
  wabt::Errors errors;
  std::unique_ptr<wabt::WastLexer> lexer =
      wabt::WastLexer::CreateBufferLexer(filename, wat.data(), wat.size(), &errors);
  wabt::Features features = TextFeatures();
  wabt::WastParseOptions options(features);
  std::unique_ptr<wabt::Module> module;
  if (wabt::Failed(wabt::ParseWatModule(lexer.get(), &module, &errors, &options))) {
    std::string message = wabt::FormatErrorsToString(errors, wabt::Location::Type::Text);
    while (!message.empty() && message.back() == '\n') message.pop_back();
    return Status::Malformed(message);
  }
  Result<std::vector<u8>> wasm = EncodeModule(*module);
  if (!wasm.ok()) return wasm.status().WithContext(filename);
  return wasm;
}

Result<std::vector<u8>> EncodeModule(const wabt::Module& module) {
  wabt::Features features = TextFeatures();
  wabt::MemoryStream stream;
  wabt::WriteBinaryOptions write_options(features, /*canonicalize_lebs=*/true,
                                         /*relocatable=*/false, /*write_debug_names=*/true);
  if (wabt::Failed(wabt::WriteBinaryModule(&stream, &module, write_options))) {
    return Status::Malformed("libwabt cannot encode the module");
  }
  std::vector<u8> wasm = std::move(stream.output_buffer().data);
  AddMissingDataCount(module, &wasm);
  return wasm;
}

bool IsBinaryModule(std::span<const u8> bytes) {
  return bytes.size() >= 4 && bytes[0] == 0 && bytes[1] == 'a' && bytes[2] == 's' &&
         bytes[3] == 'm';
}

Result<std::vector<u8>> LoadModuleFile(const std::string& path) {
  // One open, one fstat and one read: a byte-wise stream read cost ~15
  // instructions per byte, a visible share of a small guest's start-up.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::IoError("cannot open " + path + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    std::string why = errno != 0 && st.st_mode == 0 ? std::strerror(errno)
                      : S_ISDIR(st.st_mode)         ? "is a directory"
                                                    : "not a regular file";
    ::close(fd);
    return Status::IoError("cannot open " + path + ": " + why);
  }
  std::vector<u8> bytes(static_cast<size_t>(st.st_size));
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::read(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = n < 0 ? errno : 0;
      ::close(fd);
      return Status::IoError("cannot read " + path + ": " +
                             (err != 0 ? std::strerror(err) : "file shrank while reading"));
    }
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  if (IsBinaryModule(bytes)) return bytes;
  std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  return WatToWasm(text, path);
}

}  // namespace deja::text
