// `deja signal ID NAME [PAYLOAD|-]`: queues signal NAME with PAYLOAD (empty
// without one; stdin for "-") for durable instance ID, and wakes it if it is
// parked. A signal sent before the guest waits for it is kept, in order
// (docs/DURABLE.md, "Guest API").
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "durable/instance_store.h"
#include "durable/signals.h"
#include "registry/database.h"
#include "registry/registry.h"
#include "wasi/deja_api.h"

namespace deja::cli {
namespace {

constexpr const char* kPrefix = "deja signal: ";

struct SignalArgs {
  std::string id;
  std::string name;
  std::string payload;
  bool has_payload = false;
};

// Why `name` cannot be a signal's name, or empty when it can.
std::string BadName(const std::string& name) {
  if (name.empty()) return "NAME is empty";
  if (name.size() > wasi::kMaxSignalName) {
    return "NAME is " + std::to_string(name.size()) + " bytes, more than " +
           std::to_string(wasi::kMaxSignalName);
  }
  for (unsigned char c : name) {
    if (c < 0x21 || c == 0x7f) return "NAME has a space or control character";
  }
  if (name.rfind("deja:", 0) == 0) return "NAME may not start with \"deja:\" (deja's own waits)";
  return "";
}

// All of stdin, up to the payload cap.
bool ReadStdin(std::string* out, std::string* error) {
  char buf[65536];
  for (;;) {
    ssize_t n = read(0, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      *error = std::string("cannot read the payload from stdin: ") + std::strerror(errno);
      return false;
    }
    if (n == 0) return true;
    if (out->size() + static_cast<size_t>(n) > wasi::kMaxPayload) {
      *error = "the payload on stdin is larger than " + std::to_string(wasi::kMaxPayload) +
               " bytes";
      return false;
    }
    out->append(buf, static_cast<size_t>(n));
  }
}

int RunSignal(SignalArgs args, const CliStreams& io) {
  if (std::string why = BadName(args.name); !why.empty()) {
    io.err << kPrefix << why << "\n";
    return kExitUsage;
  }
  if (args.has_payload && args.payload == "-") {
    args.payload.clear();
    std::string error;
    if (!ReadStdin(&args.payload, &error)) {
      io.err << kPrefix << error << "\n";
      return error.find("larger") != std::string::npos ? kExitUsage : kExitIoError;
    }
  } else if (args.payload.size() > wasi::kMaxPayload) {
    io.err << kPrefix << "PAYLOAD is larger than " << wasi::kMaxPayload << " bytes\n";
    return kExitUsage;
  }
  std::string home = registry::Registry::DefaultHome();
  auto store = durable::OpenSqliteStore(home);
  if (!store.ok()) {
    io.err << kPrefix << "cannot open the instance store in " << home << ": "
           << store.status().ToString() << "\n";
    return kExitIoError;
  }
  auto instance = (*store)->Get(args.id);
  if (!instance.ok()) {
    io.err << kPrefix << instance.status().message() << "\n";
    return instance.status().code() == Status::Code::kNotFound ||
                   instance.status().code() == Status::Code::kInvalidArgument
               ? kExitUsage
               : kExitIoError;
  }
  if (durable::IsFinal(instance->state)) {
    io.err << kPrefix << "instance " << instance->id << " has ended ("
           << durable::StateName(instance->state) << "): nothing would take the signal\n";
    return kExitFailed;
  }
  auto db = registry::Database::Open(home + "/durable.db");
  if (!db.ok()) {
    io.err << kPrefix << db.status().ToString() << "\n";
    return kExitIoError;
  }
  auto mailbox = durable::Mailbox::Open(db->get());
  Status s = mailbox.ok() ? mailbox->Signal(instance->id, args.name, args.payload)
                          : mailbox.status();
  if (!s.ok()) {
    io.err << kPrefix << "cannot queue the signal: " << s.ToString() << "\n";
    return kExitIoError;
  }
  // After the row is committed: a worker that parks it later sees the
  // signal when it checks the condition again.
  if (auto woken = (*store)->MarkRunnable(instance->id); !woken.ok()) {
    io.err << kPrefix << "queued, but cannot wake " << instance->id << ": "
           << woken.status().ToString() << "\n";
    return kExitIoError;
  }
  return kExitOk;
}

}  // namespace

Subcommand AddSignalCommand(CLI::App& app, const CliStreams& io) {
  auto args = std::make_shared<SignalArgs>();
  CLI::App* cmd = app.add_subcommand(
      "signal",
      "Send signal NAME to durable instance ID, with PAYLOAD (\"-\": read it from stdin); "
      "kept in order until the guest takes it (deja_signal_wait)");
  cmd->add_option("ID", args->id, "instance id (or a unique prefix)")->required();
  cmd->add_option("NAME", args->name, "signal name (no spaces; not \"deja:...\")")->required();
  cmd->add_option("PAYLOAD", args->payload, "bytes delivered with it; \"-\" reads stdin")
      ->each([args](const std::string&) { args->has_payload = true; });
  return {cmd, [args, &io] { return RunSignal(*args, io); }};
}

}  // namespace deja::cli
