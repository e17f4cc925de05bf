// SPDX-License-Identifier: Apache-2.0
//
// The `octet` command-line tool: one binary, one file per subcommand.
#pragma once

#include <CLI/CLI.hpp>

namespace octet::cli {

/// Each subcommand registers its options on `app` and returns the code to
/// exit with once parsing succeeded.
void add_run(CLI::App& app, int* exit_code);
void add_inspect(CLI::App& app, int* exit_code);
void add_embed(CLI::App& app, int* exit_code);
void add_convert(CLI::App& app, int* exit_code);
void add_quantize(CLI::App& app, int* exit_code);
void add_eval(CLI::App& app, int* exit_code);
void add_analyze(CLI::App& app, int* exit_code);
void add_bench(CLI::App& app, int* exit_code);

/// Prints "octet: error: <message>" to stderr; returns 1.
int fail(const std::string& message);

}  // namespace octet::cli
