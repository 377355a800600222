#pragma once
// Query strings of the analytics endpoints → the typed …Params of analytics/, parsed once
// and checked before any arithmetic (STYLE.md "Typed parameters, parsed once"). Pure:
// no database; every failure is Error(bad_request) naming the field. Town and category
// codes are checked for their form only: whether they exist is for the handler to ask
// (the town directory, the catalogue).

#include "analytics/completion.hpp"
#include "analytics/meeting.hpp"
#include "analytics/spatial_report.hpp"

#include <map>
#include <optional>
#include <string>

namespace wangge::api {

using QueryMap = std::map<std::string, std::string>;

/// town (code or "all", required), from, to (required; RFC 3339, YYYY-MM-DD or YYYY-MM,
/// Shanghai), by (default town), as_of (default now).
analytics::CompletionParams parse_completion_params(const QueryMap& query, Timestamp now);

/// town, from, to as completion; platform, category, weights=queen|rook, fdr=true|false.
analytics::HotspotParams parse_hotspot_params(const QueryMap& query);

/// town; end=YYYY-MM (default: the month of now), months 3…60 (default 12); platform,
/// category; weights.
analytics::TrendParams parse_trend_params(const QueryMap& query, Timestamp now);

/// Path {town}/{YYYY-MM}; f=html|xlsx|json (else the Accept header: application/json,
/// the XLSX media type, default HTML); as_of.
analytics::MeetingParams parse_meeting_params(const std::string& town, const std::string& month, const QueryMap& query,
                                              const std::optional<std::string>& accept);

/// The XLSX media type.
inline constexpr const char* k_xlsx_media_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

}  // namespace wangge::api
