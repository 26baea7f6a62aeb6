#include "text/wast_runner.h"

#include "text/spectest.h"
#include "text/wast_values.h"
#include "text/wat.h"
#include "wabt/cast.h"

namespace deja::text {
namespace {

std::string_view AsText(const std::vector<u8>& data) {
  return {reinterpret_cast<const char*>(data.data()), data.size()};
}

// The $name a module command binds, if any.
std::string ModuleName(const wabt::Command& command) {
  if (auto* mc = wabt::dyn_cast<wabt::ModuleCommand>(&command)) return mc->module.name;
  auto* smc = wabt::cast<wabt::ScriptModuleCommand>(&command);
  if (!smc->module.name.empty()) return smc->module.name;
  if (auto* b = wabt::dyn_cast<wabt::BinaryScriptModule>(smc->script_module.get())) return b->name;
  if (auto* q = wabt::dyn_cast<wabt::QuotedScriptModule>(smc->script_module.get())) return q->name;
  return "";
}

std::string VarName(const wabt::Var& var) {
  return var.is_name() ? var.name() : "#" + std::to_string(var.index());
}

}  // namespace

std::string ActionResult::Describe() const {
  if (!error.ok()) return "error: " + error.ToString();
  switch (outcome) {
    case Outcome::kReturned:
      return "returned " + FormatValues(values);
    case Outcome::kTrapped:
      return "trapped: " + trap.message;
    case Outcome::kSuspended:
      return "suspended (no host function here may suspend)";
    case Outcome::kExited:
      return "exited";
  }
  return "?";
}

Result<std::vector<u8>> EncodeScriptModule(const wabt::ScriptModule& module) {
  if (auto* t = wabt::dyn_cast<wabt::TextScriptModule>(&module)) return EncodeModule(t->module);
  if (auto* b = wabt::dyn_cast<wabt::BinaryScriptModule>(&module)) return b->data;
  auto* q = wabt::cast<wabt::QuotedScriptModule>(&module);
  std::string filename =
      std::string(q->loc.filename) + ":" + std::to_string(q->loc.line) + " (quoted module)";
  return WatToWasm(AsText(q->data), filename);
}

std::string DescribeAction(const wabt::Action& action) {
  std::string s = action.type() == wabt::ActionType::Invoke ? "invoke " : "get ";
  if (action.module_var.is_name()) s += action.module_var.name() + " ";
  s += "\"" + action.name + "\"";
  if (auto* invoke = wabt::dyn_cast<wabt::InvokeAction>(&action)) {
    s += " " + FormatConsts(invoke->args);
  }
  return s;
}

int CommandLine(const wabt::Command& command) {
  using wabt::dyn_cast;
  if (auto* c = dyn_cast<wabt::ModuleCommand>(&command)) return c->module.loc.line;
  if (auto* c = dyn_cast<wabt::ScriptModuleCommand>(&command)) {
    return c->script_module->location().line;
  }
  if (auto* c = dyn_cast<wabt::ActionCommand>(&command)) return c->action->loc.line;
  if (auto* c = dyn_cast<wabt::RegisterCommand>(&command)) return c->var.loc.line;
  if (auto* c = dyn_cast<wabt::AssertReturnCommand>(&command)) return c->action->loc.line;
  if (auto* c = dyn_cast<wabt::AssertTrapCommand>(&command)) return c->action->loc.line;
  if (auto* c = dyn_cast<wabt::AssertExhaustionCommand>(&command)) return c->action->loc.line;
  if (auto* c = dyn_cast<wabt::AssertExceptionCommand>(&command)) return c->action->loc.line;
  if (auto* c = dyn_cast<wabt::AssertMalformedCommand>(&command)) return c->module->location().line;
  if (auto* c = dyn_cast<wabt::AssertInvalidCommand>(&command)) return c->module->location().line;
  if (auto* c = dyn_cast<wabt::AssertUnlinkableCommand>(&command)) {
    return c->module->location().line;
  }
  if (auto* c = dyn_cast<wabt::AssertUninstantiableCommand>(&command)) {
    return c->module->location().line;
  }
  return 0;
}

WastRunner::WastRunner(std::ostream* print_to, std::chrono::nanoseconds timeout)
    : print_to_(print_to),
      timeout_(timeout),
      watchdog_(timeout.count() > 0 ? std::make_unique<Watchdog>(store_) : nullptr) {}

Status WastRunner::Init() { return DefineSpectest(store_, linker_, print_to_); }

CommandResult WastRunner::Run(const wabt::Script& script, wabt::Index index) {
  using wabt::cast;
  const wabt::Command& command = *script.commands[index];
  switch (command.type) {
    case wabt::CommandType::Module:
    case wabt::CommandType::ScriptModule:
      return RunModule(command, index);
    case wabt::CommandType::Register:
      return RunRegister(*cast<wabt::RegisterCommand>(&command));
    case wabt::CommandType::Action:
      return RunAction(*cast<wabt::ActionCommand>(&command)->action);
    case wabt::CommandType::AssertReturn:
      return AssertReturn(*cast<wabt::AssertReturnCommand>(&command));
    case wabt::CommandType::AssertTrap: {
      auto& c = *cast<wabt::AssertTrapCommand>(&command);
      return AssertTrap(*c.action, c.text);
    }
    case wabt::CommandType::AssertExhaustion: {
      auto& c = *cast<wabt::AssertExhaustionCommand>(&command);
      return AssertExhaustion(*c.action, c.text);
    }
    case wabt::CommandType::AssertMalformed: {
      auto& c = *cast<wabt::AssertMalformedCommand>(&command);
      return AssertMalformed(*c.module, c.text);
    }
    case wabt::CommandType::AssertInvalid: {
      auto& c = *cast<wabt::AssertInvalidCommand>(&command);
      return AssertInvalid(*c.module, c.text);
    }
    case wabt::CommandType::AssertUnlinkable: {
      auto& c = *cast<wabt::AssertUnlinkableCommand>(&command);
      return AssertNotInstantiable(*c.module, Status::Code::kUnlinkable, c.text);
    }
    case wabt::CommandType::AssertUninstantiable: {
      auto& c = *cast<wabt::AssertUninstantiableCommand>(&command);
      return AssertNotInstantiable(*c.module, Status::Code::kUninstantiable, c.text);
    }
    case wabt::CommandType::AssertException:
      return AssertException(*cast<wabt::AssertExceptionCommand>(&command)->action);
  }
  return {false, "unknown command"};
}

CommandResult WastRunner::RunModule(const wabt::Command& command, wabt::Index index) {
  Result<std::vector<u8>> wasm =
      command.type == wabt::CommandType::Module
          ? EncodeModule(wabt::cast<wabt::ModuleCommand>(&command)->module)
          : EncodeScriptModule(*wabt::cast<wabt::ScriptModuleCommand>(&command)->script_module);
  Result<InstanceId> instance = wasm.ok() ? Instantiate(*wasm) : Result<InstanceId>(wasm.status());
  std::string name = ModuleName(command);
  if (!instance.ok()) {
    std::string why = "module of line " + std::to_string(CommandLine(command)) +
                      " failed: " + instance.status().ToString();
    module_failures_[index] = why;
    if (!name.empty()) by_name_.erase(name);
    return {false, "expected the module to instantiate, got " + instance.status().ToString()};
  }
  by_command_[index] = *instance;
  if (!name.empty()) by_name_[name] = *instance;
  return {true, "instantiated"};
}

CommandResult WastRunner::RunRegister(const wabt::RegisterCommand& command) {
  Result<InstanceId> instance = FindInstance(command.var);
  if (!instance.ok()) return {false, "cannot register: " + instance.status().ToString()};
  linker_.DefineInstance(store_, command.module_name, *instance);
  return {true, "registered as \"" + command.module_name + "\""};
}

CommandResult WastRunner::RunAction(const wabt::Action& action) {
  ActionResult result = Perform(action);
  bool passed = result.error.ok() && result.outcome == Outcome::kReturned;
  return {passed, result.Describe()};
}

Result<InstanceId> WastRunner::Instantiate(std::span<const u8> wasm) {
  DEJA_ASSIGN_OR_RETURN(Module module, Module::Compile(wasm, compile_options_));
  if (watchdog_) watchdog_->Arm(timeout_);
  Result<InstanceId> instance = linker_.Instantiate(store_, module);
  if (watchdog_ && watchdog_->Disarm() && !instance.ok()) {
    return instance.status().WithContext("timed out");
  }
  return instance;
}

Result<InstanceId> WastRunner::FindInstance(const wabt::Var& module_var) const {
  if (module_var.is_name()) {
    auto it = by_name_.find(module_var.name());
    if (it != by_name_.end()) return it->second;
    return Status::NotFound("no instantiated module named " + module_var.name());
  }
  if (module_var.index() == wabt::kInvalidIndex) {
    return Status::NotFound("no module is defined before this command");
  }
  if (auto it = by_command_.find(module_var.index()); it != by_command_.end()) return it->second;
  if (auto it = module_failures_.find(module_var.index()); it != module_failures_.end()) {
    return Status::NotFound(it->second);
  }
  return Status::NotFound("no module " + VarName(module_var));
}

ActionResult WastRunner::Perform(const wabt::Action& action) {
  ActionResult result;
  Result<InstanceId> instance = FindInstance(action.module_var);
  if (!instance.ok()) {
    result.error = instance.status();
    return result;
  }
  if (auto* invoke = wabt::dyn_cast<wabt::InvokeAction>(&action)) return Invoke(*instance, *invoke);
  std::optional<Extern> global = store_.GetExport(*instance, action.name);
  if (!global || global->kind != ExternKind::kGlobal) {
    result.error = Status::NotFound("no exported global \"" + action.name + "\"");
    return result;
  }
  result.values.push_back(store_.GetGlobal(*global));
  return result;
}

ActionResult WastRunner::Invoke(InstanceId instance, const wabt::InvokeAction& action) {
  ActionResult result;
  std::optional<Extern> func = store_.GetExport(instance, action.name);
  if (!func || func->kind != ExternKind::kFunc) {
    result.error = Status::NotFound("no exported function \"" + action.name + "\"");
    return result;
  }
  std::vector<Value> args;
  for (const wabt::Const& c : action.args) {
    Result<Value> v = ConstToValue(c);
    if (!v.ok()) {
      result.error = v.status();
      return result;
    }
    args.push_back(*v);
  }
  if (watchdog_) watchdog_->Arm(timeout_);
  result.outcome = store_.Call(*func, args, &result.values);
  if (watchdog_) watchdog_->Disarm();
  if (result.outcome == Outcome::kTrapped) result.trap = store_.trap();
  return result;
}

}  // namespace deja::text
