#pragma once
// Parsing report requests into the typed calls of data/reports.hpp. Pure functions:
// JSON and query strings in, typed values or wangge::Error out.

#include "api/http.hpp"
#include "core/error.hpp"
#include "data/reports.hpp"

#include <nlohmann/json.hpp>

#include <variant>

namespace wangge::api {

inline constexpr std::size_t k_max_batch = 10000;

/// The body of a POST as JSON. @throws Error(unsupported_media_type) unless the
/// Content-Type is JSON (application/json, application/geo+json); Error(bad_request) for
/// malformed JSON
nlohmann::json parse_json_body(const Request& request);

/// One report: a GeoJSON Feature with a Point, or {"lon","lat",…} (API.md). Never throws:
/// a bad item becomes its Error so a batch can answer item by item.
std::variant<data::ReportInput, Error> parse_report(const nlohmann::json& item);

/// A FeatureCollection of reports. @throws Error(bad_request) when it is not one,
/// Error(payload_too_large) beyond k_max_batch features
std::vector<std::variant<data::ReportInput, Error>> parse_report_batch(const nlohmann::json& body);

/// GET /api/v1/reports query. @throws Error(bad_request) naming the parameter (whether
/// the town exists is the town directory's to say: the route checks it)
data::ReportFilter parse_report_filter(const std::map<std::string, std::string>& query);

/// The opaque paging cursor (a pair of integers).
std::string encode_cursor(std::pair<long long, long long> position);
/// @throws Error(bad_request) naming "cursor" when it is not one encode_cursor made
std::pair<long long, long long> decode_cursor(const std::string& cursor);

/// POST /api/v1/reports/{id}/events body. @throws Error(bad_request) naming the field
data::ActionInput parse_action(const nlohmann::json& body);

/// A report id in a path. @throws Error(not_found) when it cannot be one
long long parse_report_id(const std::string& text);

}  // namespace wangge::api
