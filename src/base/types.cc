#include "deja/types.h"

#include <cinttypes>
#include <cstdio>

namespace deja {

const char* ValTypeName(ValType t) {
  switch (t) {
    case ValType::kI32: return "i32";
    case ValType::kI64: return "i64";
    case ValType::kF32: return "f32";
    case ValType::kF64: return "f64";
    case ValType::kV128: return "v128";
    case ValType::kFuncRef: return "funcref";
    case ValType::kExternRef: return "externref";
  }
  return "?";
}

const char* ExternKindName(ExternKind k) {
  switch (k) {
    case ExternKind::kFunc: return "func";
    case ExternKind::kTable: return "table";
    case ExternKind::kMemory: return "memory";
    case ExternKind::kGlobal: return "global";
    case ExternKind::kTag: return "tag";
  }
  return "?";
}

std::string FuncType::ToString() const {
  // Appends rather than operator+ (g++ 12 -O3 reports a false -Wrestrict there).
  auto list = [](std::string& out, const std::vector<ValType>& types) {
    for (size_t i = 0; i < types.size(); ++i) {
      if (i) out.push_back(' ');
      out.append(ValTypeName(types[i]));
    }
  };
  std::string s = "(";
  list(s, params);
  s.append(") -> (");
  list(s, results);
  s.push_back(')');
  return s;
}

std::string Value::ToString() const {
  char buf[96];
  switch (type) {
    case ValType::kI32: std::snprintf(buf, sizeof buf, "i32:%" PRIu32, i32()); break;
    case ValType::kI64: std::snprintf(buf, sizeof buf, "i64:%" PRIu64, i64()); break;
    case ValType::kF32: std::snprintf(buf, sizeof buf, "f32:%.9g", static_cast<double>(f32())); break;
    case ValType::kF64: std::snprintf(buf, sizeof buf, "f64:%.17g", f64()); break;
    case ValType::kV128:
      std::snprintf(buf, sizeof buf, "v128:0x%016" PRIx64 "%016" PRIx64, hi, lo);
      break;
    case ValType::kFuncRef:
    case ValType::kExternRef:
      if (is_null()) {
        std::snprintf(buf, sizeof buf, "%s:null", ValTypeName(type));
      } else {
        std::snprintf(buf, sizeof buf, "%s:%" PRIu64, ValTypeName(type), lo - 1);
      }
      break;
  }
  return buf;
}

}  // namespace deja
