#include "api/grid_json.hpp"

#include "data/report_json.hpp"

#include <cmath>

namespace wangge::api {

nlohmann::json grid_feature(const data::GridRecord& g) {
    using nlohmann::json;
    using data::person_json;
    json props{{"id", g.id},
               {"code", g.code},
               {"name", g.name},
               {"town", g.town},
               {"version", g.version},
               {"valid_from", format_rfc3339(g.valid_from)},
               {"valid_to", g.valid_to ? json(format_rfc3339(*g.valid_to)) : json(nullptr)},
               {"leader", person_json(g.leader)},
               {"worker", person_json(g.worker)},
               {"area_m2", std::round(g.area_m2 * 100) / 100}};
    return {{"type", "Feature"}, {"id", g.id}, {"geometry", json::parse(g.geometry_geojson)}, {"properties", props}};
}

}  // namespace wangge::api
