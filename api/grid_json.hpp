#pragma once
// A grid as a GeoJSON Feature (API.md: GET /api/v1/grids/{grid}), and the parsers of the
// grid edit requests: pure, so the fuzz targets reach them without a database.

#include "api/http.hpp"
#include "data/grid_edit.hpp"
#include "data/records.hpp"

#include <nlohmann/json.hpp>

#include <optional>

namespace wangge::api {

nlohmann::json grid_feature(const data::GridRecord& g);

/// If-Match: "3", W/"3" or 3. nullopt without the header.
/// @throws Error(precondition_failed) when it is not a version
std::optional<int> if_match(const Request& r);

/// One grid of a request: a GeoJSON Feature; properties id, version, name, code, retired.
/// The geometry is kept as sent (serialised) for geo::validate_town.
/// @throws Error(bad_request) naming the field
data::GridEdit parse_grid_feature(const nlohmann::json& f, bool geometry_required);

/// The batch redraw: a FeatureCollection of changed, new and retired grids.
/// @throws Error(bad_request)
std::vector<data::GridEdit> parse_grid_collection(const nlohmann::json& body);

}  // namespace wangge::api
