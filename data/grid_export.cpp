#include "data/grid_export.hpp"

#include "core/error.hpp"
#include "data/town_store.hpp"

namespace wangge::data {

std::vector<geo::GridFeature> grid_features(const std::vector<GridRecord>& grids) {
    std::vector<geo::GridFeature> out;
    out.reserve(grids.size());
    for (const auto& g : grids) {
        out.push_back({g.id, g.code, g.name, g.town, g.version,
                       g.leader ? std::optional<std::string>(g.leader->id) : std::nullopt,
                       g.worker ? std::optional<std::string>(g.worker->id) : std::nullopt, format_rfc3339(g.valid_from),
                       g.geometry_wkb_hex});
    }
    return out;
}

std::string export_grids(Database& db, const std::string& town, std::optional<Timestamp> at, geo::GridFormat format) {
    if (!find_town_record(db, town)) throw Error(ErrorCode::not_found, "no town " + town);
    return geo::write_grids(grid_features(list_grids(db, town, at)), format);
}

}  // namespace wangge::data
