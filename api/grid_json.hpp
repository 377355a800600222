#pragma once
// A grid as a GeoJSON Feature (API.md: GET /api/v1/grids/{grid}).

#include "data/records.hpp"

#include <nlohmann/json.hpp>

namespace wangge::api {

nlohmann::json grid_feature(const data::GridRecord& g);

}  // namespace wangge::api
