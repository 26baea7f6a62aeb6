// Every WASI function deja implements, once: its import name, its
// parameters' witx names and kinds, and whether it returns an errno. The
// Wasm signature is derived from the kinds, so dispatch (the type each
// import is linked with), the area tables (FuncDef, checked against this
// table when compiled), recording and `deja trace` (how each argument is
// decoded for people) cannot disagree. Names follow
// wasi_snapshot_preview1.witx; the socket extension's follow WasmEdge's
// headers, and its "_v2" names share the plain names' entries.
#pragma once

#include <initializer_list>
#include <span>
#include <string_view>

#include "base/types.h"

namespace deja::wasi {

enum class ArgKind : u8 {
  kFd,      // descriptor, decimal
  kU32,     // plain number
  kI32,     // signed number (exit codes)
  kU64,     // 64-bit number (sizes, timestamps, cookies): an i64 slot
  kI64,     // signed 64-bit (fd_seek's offset): an i64 slot
  kPtr,     // an input pointer
  kOut,     // a pointer the call writes through
  kString,  // (ptr, len): guest bytes; two i32 slots
  kIovs,    // (ptr, count): an iovec array; two i32 slots
  kOflags,
  kFdflags,
  kLookup,
  kRights,  // 64-bit rights: an i64 slot
  kClock,
  kWhence,
  kAdvice,
  kFstflags,
  kRiflags,
  kSdflags,
  kAf,
  kSockType,
  kSockAddr,  // pointer to the WasmEdge {buf, buf_len} address struct
};

struct ArgSpec {
  const char* name = "";
  ArgKind kind = ArgKind::kU32;
};

// Slots an argument takes: a (ptr, len) pair is one entry but two slots.
constexpr int ArgSlots(ArgKind k) { return k == ArgKind::kString || k == ArgKind::kIovs ? 2 : 1; }
// 'l' (i64) or 'i' (i32) for each slot.
constexpr char ArgType(ArgKind k) {
  return k == ArgKind::kU64 || k == ArgKind::kI64 || k == ArgKind::kRights ? 'l' : 'i';
}

struct FuncSpec {
  static constexpr int kMaxArgs = 8;
  const char* module = "wasi_snapshot_preview1";  // or "deja": the durable guest API
  const char* name = "";
  bool returns_errno = true;  // false only for proc_exit
  int arg_count = 0;
  ArgSpec args[kMaxArgs] = {};
  char params[2 * kMaxArgs + 1] = {};  // "iil": one letter per slot, derived

  constexpr std::span<const ArgSpec> arg_list() const {
    return {args, static_cast<size_t>(arg_count)};
  }
  constexpr const char* results() const { return returns_errno ? "i" : ""; }
};

namespace internal {
constexpr FuncSpec Fn(const char* name, bool returns_errno, std::initializer_list<ArgSpec> args,
                     const char* module = "wasi_snapshot_preview1") {
  FuncSpec f;
  f.module = module;
  f.name = name;
  f.returns_errno = returns_errno;
  int slot = 0;
  for (const ArgSpec& a : args) {
    f.args[f.arg_count++] = a;
    for (int i = 0; i < ArgSlots(a.kind); ++i) f.params[slot++] = ArgType(a.kind);
  }
  return f;
}
using A = ArgKind;

inline constexpr FuncSpec kFuncSpecs[] = {
    Fn("args_get", true, {{"argv", A::kOut}, {"argv_buf", A::kOut}}),
    Fn("args_sizes_get", true, {{"argc", A::kOut}, {"argv_buf_size", A::kOut}}),
    Fn("environ_get", true, {{"environ", A::kOut}, {"environ_buf", A::kOut}}),
    Fn("environ_sizes_get", true, {{"environc", A::kOut}, {"environ_buf_size", A::kOut}}),
    Fn("clock_res_get", true, {{"id", A::kClock}, {"resolution", A::kOut}}),
    Fn("clock_time_get", true, {{"id", A::kClock}, {"precision", A::kU64}, {"time", A::kOut}}),
    Fn("random_get", true, {{"buf", A::kOut}, {"buf_len", A::kU32}}),
    Fn("proc_exit", false, {{"rval", A::kI32}}),
    Fn("proc_raise", true, {{"sig", A::kU32}}),
    Fn("sched_yield", true, {}),
    Fn("poll_oneoff", true,
       {{"in", A::kPtr}, {"out", A::kOut}, {"nsubscriptions", A::kU32}, {"nevents", A::kOut}}),
    Fn("fd_advise", true,
       {{"fd", A::kFd}, {"offset", A::kU64}, {"len", A::kU64}, {"advice", A::kAdvice}}),
    Fn("fd_allocate", true, {{"fd", A::kFd}, {"offset", A::kU64}, {"len", A::kU64}}),
    Fn("fd_close", true, {{"fd", A::kFd}}),
    Fn("fd_datasync", true, {{"fd", A::kFd}}),
    Fn("fd_fdstat_get", true, {{"fd", A::kFd}, {"stat", A::kOut}}),
    Fn("fd_fdstat_set_flags", true, {{"fd", A::kFd}, {"flags", A::kFdflags}}),
    Fn("fd_fdstat_set_rights", true,
       {{"fd", A::kFd}, {"fs_rights_base", A::kRights}, {"fs_rights_inheriting", A::kRights}}),
    Fn("fd_filestat_get", true, {{"fd", A::kFd}, {"buf", A::kOut}}),
    Fn("fd_filestat_set_size", true, {{"fd", A::kFd}, {"size", A::kU64}}),
    Fn("fd_filestat_set_times", true,
       {{"fd", A::kFd}, {"atim", A::kU64}, {"mtim", A::kU64}, {"fst_flags", A::kFstflags}}),
    Fn("fd_pread", true,
       {{"fd", A::kFd}, {"iovs", A::kIovs}, {"offset", A::kU64}, {"nread", A::kOut}}),
    Fn("fd_pwrite", true,
       {{"fd", A::kFd}, {"iovs", A::kIovs}, {"offset", A::kU64}, {"nwritten", A::kOut}}),
    Fn("fd_read", true, {{"fd", A::kFd}, {"iovs", A::kIovs}, {"nread", A::kOut}}),
    Fn("fd_renumber", true, {{"fd", A::kFd}, {"to", A::kFd}}),
    Fn("fd_seek", true,
       {{"fd", A::kFd}, {"offset", A::kI64}, {"whence", A::kWhence}, {"newoffset", A::kOut}}),
    Fn("fd_sync", true, {{"fd", A::kFd}}),
    Fn("fd_tell", true, {{"fd", A::kFd}, {"offset", A::kOut}}),
    Fn("fd_write", true, {{"fd", A::kFd}, {"iovs", A::kIovs}, {"nwritten", A::kOut}}),
    Fn("fd_prestat_get", true, {{"fd", A::kFd}, {"buf", A::kOut}}),
    Fn("fd_prestat_dir_name", true, {{"fd", A::kFd}, {"path", A::kOut}, {"path_len", A::kU32}}),
    Fn("fd_readdir", true,
       {{"fd", A::kFd},
        {"buf", A::kOut},
        {"buf_len", A::kU32},
        {"cookie", A::kU64},
        {"bufused", A::kOut}}),
    Fn("path_create_directory", true, {{"fd", A::kFd}, {"path", A::kString}}),
    Fn("path_filestat_get", true,
       {{"fd", A::kFd}, {"flags", A::kLookup}, {"path", A::kString}, {"buf", A::kOut}}),
    Fn("path_filestat_set_times", true,
       {{"fd", A::kFd},
        {"flags", A::kLookup},
        {"path", A::kString},
        {"atim", A::kU64},
        {"mtim", A::kU64},
        {"fst_flags", A::kFstflags}}),
    Fn("path_link", true,
       {{"old_fd", A::kFd},
        {"old_flags", A::kLookup},
        {"old_path", A::kString},
        {"new_fd", A::kFd},
        {"new_path", A::kString}}),
    Fn("path_open", true,
       {{"fd", A::kFd},
        {"dirflags", A::kLookup},
        {"path", A::kString},
        {"oflags", A::kOflags},
        {"rights_base", A::kRights},
        {"rights_inheriting", A::kRights},
        {"fdflags", A::kFdflags},
        {"fd_out", A::kOut}}),
    Fn("path_readlink", true,
       {{"fd", A::kFd},
        {"path", A::kString},
        {"buf", A::kOut},
        {"buf_len", A::kU32},
        {"bufused", A::kOut}}),
    Fn("path_remove_directory", true, {{"fd", A::kFd}, {"path", A::kString}}),
    Fn("path_rename", true,
       {{"fd", A::kFd}, {"old_path", A::kString}, {"new_fd", A::kFd}, {"new_path", A::kString}}),
    Fn("path_symlink", true, {{"old_path", A::kString}, {"fd", A::kFd}, {"new_path", A::kString}}),
    Fn("path_unlink_file", true, {{"fd", A::kFd}, {"path", A::kString}}),
    Fn("sock_accept", true, {{"fd", A::kFd}, {"flags", A::kFdflags}, {"fd_out", A::kOut}}),
    Fn("sock_recv", true,
       {{"fd", A::kFd},
        {"ri_data", A::kIovs},
        {"ri_flags", A::kRiflags},
        {"ro_datalen", A::kOut},
        {"ro_flags", A::kOut}}),
    Fn("sock_send", true,
       {{"fd", A::kFd}, {"si_data", A::kIovs}, {"si_flags", A::kU32}, {"so_datalen", A::kOut}}),
    Fn("sock_shutdown", true, {{"fd", A::kFd}, {"how", A::kSdflags}}),
    Fn("sock_open", true, {{"af", A::kAf}, {"socktype", A::kSockType}, {"fd_out", A::kOut}}),
    Fn("sock_bind", true, {{"fd", A::kFd}, {"addr", A::kSockAddr}, {"port", A::kU32}}),
    Fn("sock_listen", true, {{"fd", A::kFd}, {"backlog", A::kU32}}),
    Fn("sock_connect", true, {{"fd", A::kFd}, {"addr", A::kSockAddr}, {"port", A::kU32}}),
    Fn("sock_recv_from", true,
       {{"fd", A::kFd},
        {"ri_data", A::kIovs},
        {"addr", A::kOut},
        {"ri_flags", A::kRiflags},
        {"port", A::kOut},
        {"ro_datalen", A::kOut},
        {"ro_flags", A::kOut}}),
    Fn("sock_send_to", true,
       {{"fd", A::kFd},
        {"si_data", A::kIovs},
        {"addr", A::kSockAddr},
        {"port", A::kU32},
        {"si_flags", A::kU32},
        {"so_datalen", A::kOut}}),
    Fn("sock_getlocaladdr", true, {{"fd", A::kFd}, {"addr", A::kOut}, {"port", A::kOut}}),
    Fn("sock_getpeeraddr", true, {{"fd", A::kFd}, {"addr", A::kOut}, {"port", A::kOut}}),
    Fn("sock_getsockopt", true,
       {{"fd", A::kFd},
        {"level", A::kU32},
        {"name", A::kU32},
        {"flag", A::kOut},
        {"flag_size", A::kPtr}}),
    Fn("sock_setsockopt", true,
       {{"fd", A::kFd},
        {"level", A::kU32},
        {"name", A::kU32},
        {"flag", A::kPtr},
        {"flag_size", A::kU32}}),
    Fn("sock_getaddrinfo", true,
       {{"node", A::kString},
        {"service", A::kString},
        {"hints", A::kPtr},
        {"res", A::kPtr},
        {"max_len", A::kU32},
        {"res_len", A::kOut}}),
    // Module "deja": the durable guest API (include/deja/guest/durable.h,
    // docs/DURABLE.md "Guest API"). None blocks in the host: a call that
    // would wait returns EAGAIN, and the wait_* calls park the instance.
    Fn("signal_take", true,
       {{"name", A::kString}, {"buf", A::kOut}, {"cap", A::kU32}, {"len", A::kOut}}, "deja"),
    Fn("wait_signal", true, {{"name", A::kString}}, "deja"),
    Fn("spawn", true,
       {{"module", A::kString}, {"argv", A::kString}, {"input", A::kString}, {"child", A::kOut}},
       "deja"),
    Fn("child_status", true, {{"child", A::kU64}, {"status", A::kOut}}, "deja"),
    Fn("child_output", true,
       {{"child", A::kU64},
        {"offset", A::kU64},
        {"buf", A::kOut},
        {"cap", A::kU32},
        {"len", A::kOut}},
       "deja"),
    Fn("wait_children", true, {{"children", A::kPtr}, {"n", A::kU32}, {"all", A::kU32}}, "deja"),
    Fn("send", true, {{"instance", A::kString}, {"payload", A::kString}}, "deja"),
    Fn("recv", true, {{"buf", A::kOut}, {"cap", A::kU32}, {"len", A::kOut}}, "deja"),
    Fn("wait_message", true, {}, "deja"),
};
}  // namespace internal

inline constexpr std::span<const FuncSpec> kWasiFuncs = internal::kFuncSpecs;

// "sock_open_v2" -> "sock_open": the extension's newer names.
constexpr std::string_view BaseFuncName(std::string_view name) {
  constexpr std::string_view kV2 = "_v2";
  if (name.size() > kV2.size() && name.substr(name.size() - kV2.size()) == kV2) {
    name.remove_suffix(kV2.size());
  }
  return name;
}

// The index in kWasiFuncs of `name` (or of its plain name for a "_v2" one);
// -1 when deja implements no such function.
constexpr int FindFuncIndex(std::string_view name) {
  name = BaseFuncName(name);
  for (size_t i = 0; i < kWasiFuncs.size(); ++i) {
    if (name == kWasiFuncs[i].name) return static_cast<int>(i);
  }
  return -1;
}

// The entry of `name`; nullptr when deja implements no such function.
inline const FuncSpec* FindFuncSpec(std::string_view name) {
  int i = FindFuncIndex(name);
  return i < 0 ? nullptr : &kWasiFuncs[static_cast<size_t>(i)];
}

namespace internal {
// Not constexpr: reaching it while compiling a FuncDef fails the build.
const FuncSpec& NoSuchWasiFunction(std::string_view name);
// By index, not by comparing pointers: GCC's UBSan instrumentation makes a
// pointer test against null no constant expression.
consteval const FuncSpec& SpecOf(std::string_view name) {
  int i = FindFuncIndex(name);
  return i >= 0 ? kFuncSpecs[i] : NoSuchWasiFunction(name);
}
}  // namespace internal

}  // namespace deja::wasi
