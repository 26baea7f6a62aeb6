// Built as C++17 (see wabt_side.h).
#include "wabt_side.h"

#include <cstring>
#include <utility>

#include "wabt/binary-reader.h"
#include "wabt/error.h"
#include "wabt/feature.h"
#include "wabt/interp/binary-reader-interp.h"
#include "wabt/interp/interp.h"

namespace deja::fuzz {
namespace {

namespace wi = wabt::interp;

uint8_t TypeCode(wabt::Type t) {
  switch (t) {
    case wabt::Type::I32: return 0x7f;
    case wabt::Type::I64: return 0x7e;
    case wabt::Type::F32: return 0x7d;
    case wabt::Type::F64: return 0x7c;
    case wabt::Type::V128: return 0x7b;
    case wabt::Type::FuncRef: return 0x70;
    case wabt::Type::ExternRef: return 0x6f;
    default: return 0;
  }
}

WabtValue FromWabt(wabt::Type t, const wi::Value& v) {
  WabtValue out;
  out.type = TypeCode(t);
  switch (t) {
    case wabt::Type::I32: out.bits = v.Get<uint32_t>(); break;
    case wabt::Type::I64: out.bits = v.Get<uint64_t>(); break;
    case wabt::Type::F32: {
      float f = v.Get<float>();
      uint32_t b;
      std::memcpy(&b, &f, 4);
      out.bits = b;
      break;
    }
    case wabt::Type::F64: {
      double d = v.Get<double>();
      std::memcpy(&out.bits, &d, 8);
      break;
    }
    default: out.bits = v.Get<wi::Ref>() == wi::Ref::Null ? 0 : 1; break;
  }
  return out;
}

wi::Value ToWabt(const WabtValue& v) {
  switch (v.type) {
    case 0x7f: return wi::Value::Make(static_cast<uint32_t>(v.bits));
    case 0x7e: return wi::Value::Make(static_cast<uint64_t>(v.bits));
    case 0x7d: {
      uint32_t b = static_cast<uint32_t>(v.bits);
      float f;
      std::memcpy(&f, &b, 4);
      return wi::Value::Make(f);
    }
    case 0x7c: {
      double d;
      std::memcpy(&d, &v.bits, 8);
      return wi::Value::Make(d);
    }
    default: return wi::Value::Make(wi::Ref::Null);  // only null references are passed in
  }
}

wi::Value Zero(wabt::Type t) {
  WabtValue z;
  z.type = TypeCode(t);
  return ToWabt(z);
}

// Reads an unsigned LEB128 of at most 5 bytes at *pos; false if it runs off.
bool ReadU32(const uint8_t* data, size_t size, size_t* pos, uint64_t* out) {
  uint64_t v = 0;
  for (int shift = 0; shift < 35; shift += 7) {
    if (*pos >= size) return false;
    uint8_t b = data[(*pos)++];
    v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) {
      *out = v;
      return true;
    }
  }
  return false;
}

// wabt 1.0.32 reserves the data count section's count up front: a forged
// count (found by fuzz_spec) makes it allocate hundreds of GiB and die.
// A module cannot hold more data segments than it has bytes, so such a
// module is invalid anyway; it is treated as rejected without asking wabt.
bool DataCountExceedsModule(const uint8_t* data, size_t size) {
  size_t pos = 8;  // magic and version
  while (pos < size) {
    uint8_t id = data[pos++];
    uint64_t len = 0;
    if (!ReadU32(data, size, &pos, &len) || len > size - pos) return false;
    if (id == 12) {
      uint64_t count = 0;
      size_t at = pos;
      return ReadU32(data, size, &at, &count) && count > size;
    }
    pos += len;
  }
  return false;
}

}  // namespace

struct WabtSide::Impl {
  wabt::Features features;
  wi::Store store{features};
  wi::Module::Ptr module;
  wi::Instance::Ptr instance;
};

WabtSide::WabtSide() : impl_(std::make_unique<Impl>()) {}
WabtSide::~WabtSide() = default;

bool WabtSide::Load(const uint8_t* data, size_t size, std::string* error) {
  if (DataCountExceedsModule(data, size)) {
    *error = "data count exceeds the module's size (not given to wabt, which would reserve it)";
    return false;
  }
  wabt::Errors errors;
  wi::ModuleDesc desc;
  wabt::ReadBinaryOptions options(impl_->features, nullptr, false, true, true);
  if (!wabt::Succeeded(wi::ReadBinaryInterp("module.wasm", data, size, options, &errors, &desc))) {
    *error = errors.empty() ? "rejected" : errors[0].message;
    return false;
  }
  impl_->module = wi::Module::New(impl_->store, std::move(desc));
  return true;
}

bool WabtSide::Instantiate(WabtHostLog log, std::string* trap) {
  wi::RefVec imports;
  const auto& import_types = impl_->module->import_types();
  for (uint32_t i = 0; i < import_types.size(); ++i) {
    const auto* type = wabt::cast<wi::FuncType>(import_types[i].type.get());
    wi::FuncType ftype = *type;
    auto callback = [i, ftype, log](wi::Thread&, const wi::Values& params, wi::Values& results,
                                    wi::Trap::Ptr*) -> wabt::Result {
      std::vector<WabtValue> args;
      for (size_t k = 0; k < params.size(); ++k) args.push_back(FromWabt(ftype.params[k], params[k]));
      log(i, args);
      results.resize(ftype.results.size());
      for (size_t k = 0; k < ftype.results.size(); ++k) results[k] = Zero(ftype.results[k]);
      return wabt::Result::Ok;
    };
    imports.push_back(wi::HostFunc::New(impl_->store, ftype, callback).ref());
  }
  wi::Trap::Ptr out_trap;
  impl_->instance = wi::Instance::Instantiate(impl_->store, impl_->module.ref(), imports, &out_trap);
  if (!impl_->instance) {
    *trap = out_trap ? out_trap->message() : "instantiation failed";
    return false;
  }
  return true;
}

size_t WabtSide::export_count() const { return impl_->module->export_types().size(); }

std::string WabtSide::export_name(size_t index) const {
  return impl_->module->export_types()[index].name;
}

bool WabtSide::Call(size_t index, const std::vector<WabtValue>& args, std::vector<WabtValue>* results,
                    std::string* trap) {
  auto func = impl_->store.UnsafeGet<wi::Func>(impl_->instance->exports()[index]);
  wi::Values params;
  for (const WabtValue& a : args) params.push_back(ToWabt(a));
  wi::Values out;
  wi::Trap::Ptr out_trap;
  wi::Thread thread(impl_->store);
  if (!wabt::Succeeded(func->Call(thread, params, out, &out_trap))) {
    *trap = out_trap ? out_trap->message() : "call failed";
    return false;
  }
  results->clear();
  const wi::FuncType& type = func->type();
  for (size_t k = 0; k < out.size() && k < type.results.size(); ++k) {
    results->push_back(FromWabt(type.results[k], out[k]));
  }
  return true;
}

size_t WabtSide::memory_count() const { return impl_->instance->memories().size(); }

const uint8_t* WabtSide::memory0_data(size_t* size) {
  auto memory = impl_->store.UnsafeGet<wi::Memory>(impl_->instance->memories()[0]);
  *size = memory->ByteSize();
  return memory->UnsafeData();
}

std::vector<uint32_t> WabtSide::table_sizes() {
  std::vector<uint32_t> out;
  for (wi::Ref ref : impl_->instance->tables()) out.push_back(impl_->store.UnsafeGet<wi::Table>(ref)->size());
  return out;
}

std::vector<WabtValue> WabtSide::globals() {
  std::vector<WabtValue> out;
  for (wi::Ref ref : impl_->instance->globals()) {
    auto global = impl_->store.UnsafeGet<wi::Global>(ref);
    out.push_back(FromWabt(global->type().type, global->Get()));
  }
  return out;
}

}  // namespace deja::fuzz
