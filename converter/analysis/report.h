// SPDX-License-Identifier: Apache-2.0
//
// Three views of one Analysis: a compact terminal table (worst layers
// first), JSON for tooling (the same content), and one self-contained HTML
// file whose charts are inline SVG (no network, no scripts, no fonts).
#pragma once

#include <string>

#include "converter/analysis/analysis.h"

namespace octet::analysis {

/// The terminal table: summary, the `max_rows` worst layers (all when 0),
/// and the advice.
std::string format_table(const Analysis& a, size_t max_rows = 0);

/// Everything as JSON (2-space indent). SQNR of an exact layer is null
/// with "exact": true.
std::string to_json(const Analysis& a);

/// The HTML report.
std::string to_html(const Analysis& a);

/// The --precision arguments of the suggestion, e.g.
/// "--precision conv1=fp32 --precision fc=fp32" ("" when none).
std::string suggestion_args(const Analysis& a);

}  // namespace octet::analysis
