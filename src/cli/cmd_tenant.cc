// `deja tenant create|ls` and `deja token create|ls|revoke`: clients of a
// `deja serve` (docs/SERVER.md). Exit codes: 0 done, 1 the server refused
// (its message is printed), 2 usage, 3 the server cannot be reached.
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/duration.h"
#include "cli/exit_codes.h"
#include "cli/server_client.h"
#include "server/client.h"

namespace deja::cli {

std::vector<Subcommand> AddTenantCommands(CLI::App& app, const CliStreams& io) {
  std::vector<Subcommand> out;
  CLI::App* tenant = app.add_subcommand("tenant", "Tenants of a deja serve (admin token)");
  tenant->require_subcommand(1);

  auto create = std::make_shared<std::pair<ClientFlags, std::string>>();
  CLI::App* c = tenant->add_subcommand("create", "Create a tenant; prints its token (deploy, invoke, read) alone");
  c->add_option("NAME", create->second, "tenant name (a-z, 0-9, '-', '_')")->required();
  AddClientFlags(c, create->first);

  auto ls = std::make_shared<ClientFlags>();
  CLI::App* l = tenant->add_subcommand("ls", "List tenants");
  AddClientFlags(l, *ls);

  out.push_back({tenant, [=] {
    int exit = kExitOk;
    if (c->parsed()) {
      nlohmann::json body = {{"name", create->second}};
      auto j = Call("deja tenant create: ", create->first, "POST", "/v1/tenants", body.dump(), io, &exit);
      if (j) io.out << (*j)["token"].get<std::string>() << "\n";
    } else if (l->parsed()) {
      auto j = Call("deja tenant ls: ", *ls, "GET", "/v1/tenants", "", io, &exit);
      if (j) {
        for (const auto& t : (*j)["tenants"]) io.out << t["id"] << "\t" << t["name"].get<std::string>() << "\n";
      }
    }
    return exit;
  }});

  CLI::App* token = app.add_subcommand("token", "API tokens of a deja serve");
  token->require_subcommand(1);
  struct TokenArgs {
    ClientFlags flags;
    std::vector<std::string> scopes;
    std::string expires_in;
    std::string tenant;
    std::string label;
    int64_t id = 0;
  };
  auto targs = std::make_shared<TokenArgs>();
  CLI::App* tc = token->add_subcommand("create", "Create a token; prints it alone");
  tc->add_option("--scope", targs->scopes, "admin, deploy, invoke or read (repeatable)")
      ->required()
      ->allow_extra_args(false);
  tc->add_option("--expires-in", targs->expires_in, "lifetime (e.g. 1h, 30d)");
  tc->add_option("--tenant", targs->tenant, "with an admin token: the tenant the token is for");
  tc->add_option("--label", targs->label, "a note shown by token ls");
  AddClientFlags(tc, targs->flags);
  CLI::App* tl = token->add_subcommand("ls", "List tokens (never their secrets)");
  tl->add_option("--tenant", targs->tenant, "with an admin token: that tenant's tokens");
  AddClientFlags(tl, targs->flags);
  CLI::App* tr = token->add_subcommand("revoke", "Revoke a token by id");
  tr->add_option("ID", targs->id, "token id (token ls)")->required();
  tr->add_option("--tenant", targs->tenant, "with an admin token: the token's tenant");
  AddClientFlags(tr, targs->flags);
  out.push_back({token, [=] {
    int exit = kExitOk;
    std::string query = targs->tenant.empty() ? "" : "?tenant=" + server::UrlEncode(targs->tenant);
    if (tc->parsed()) {
      nlohmann::json body = {{"scopes", targs->scopes}, {"label", targs->label}};
      if (!targs->expires_in.empty()) {
        Result<std::chrono::nanoseconds> d = ParseDuration(targs->expires_in);
        if (!d.ok() || d->count() < 1'000'000'000) {
          io.err << "deja token create: --expires-in " << targs->expires_in << ": not a duration of 1s or more\n";
          return kExitUsage;
        }
        body["expires_in"] = std::chrono::duration_cast<std::chrono::seconds>(*d).count();
      }
      auto j = Call("deja token create: ", targs->flags, "POST", "/v1/tokens" + query, body.dump(), io, &exit);
      if (j) io.out << (*j)["token"].get<std::string>() << "\n";
    } else if (tl->parsed()) {
      auto j = Call("deja token ls: ", targs->flags, "GET", "/v1/tokens" + query, "", io, &exit);
      if (j) {
        for (const auto& t : (*j)["tokens"]) {
          std::string scopes;
          for (const auto& s : t["scopes"]) scopes += (scopes.empty() ? "" : ",") + s.get<std::string>();
          io.out << t["id"] << "\t" << scopes << "\t" << (t["revoked_at"].is_null() ? "live" : "revoked") << "\t"
                 << t["label"].get<std::string>() << "\n";
        }
      }
    } else if (tr->parsed()) {
      Call("deja token revoke: ", targs->flags, "DELETE", "/v1/tokens/" + std::to_string(targs->id) + query, "",
           io, &exit);
    }
    return exit;
  }});
  return out;
}

}  // namespace deja::cli
