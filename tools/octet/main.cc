// SPDX-License-Identifier: Apache-2.0
#include <cstdio>
#include <string>

#include "octet/octet.h"
#include "tools/octet/commands.h"

namespace octet::cli {

int fail(const std::string& message) {
  fprintf(stderr, "octet: error: %s\n", message.c_str());
  return 1;
}

}  // namespace octet::cli

int main(int argc, char** argv) {
  CLI::App app{"octet: int8 inference runtime and model tools"};
  app.set_version_flag("--version", std::string("octet ") + octet_version());
  app.require_subcommand(1);
  int exit_code = 0;
  octet::cli::add_run(app, &exit_code);
  octet::cli::add_inspect(app, &exit_code);
  octet::cli::add_embed(app, &exit_code);
  octet::cli::add_convert(app, &exit_code);
  octet::cli::add_quantize(app, &exit_code);
  octet::cli::add_eval(app, &exit_code);
  octet::cli::add_analyze(app, &exit_code);
  octet::cli::add_bench(app, &exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const std::exception& e) {
    return octet::cli::fail(e.what());
  }
  return exit_code;
}
