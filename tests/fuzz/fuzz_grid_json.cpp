// Grid edits (API.md: POST/PUT grids): a Feature or a FeatureCollection parsed as the
// routes parse it (api/grid_json.hpp), then every geometry through GEOS's GeoJSON reader
// and the town's validation (geo/grid_validation.hpp) — the same path as edit_grids
// before it touches the database.

#include "api/grid_json.hpp"
#include "api/report_params.hpp"
#include "geo/geos.hpp"
#include "geo/grid_validation.hpp"
#include "tests/fuzz/fuzz_support.hpp"

#include <set>

using namespace wangge;

namespace {

// A town near bailongqiao (core/domain.cpp) and one unchanged grid on its western half.
struct Town {
    std::string boundary;
    std::string west_grid;
    Town() {
        geo::Geos geos;
        auto town = geos.from_wkt("POLYGON((119.50 29.05,119.60 29.05,119.60 29.13,119.50 29.13,119.50 29.05))");
        auto west = geos.from_wkt("POLYGON((119.50 29.05,119.55 29.05,119.55 29.13,119.50 29.13,119.50 29.05))");
        boundary = geos.to_ewkb_hex(town.get(), 4490);
        west_grid = geos.to_ewkb_hex(west.get(), 4490);
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const Town town;
    api::Request request;
    request.method = "PUT";
    request.headers["content-type"] = "application/geo+json";
    request.body.assign(fuzz::as_text(data, size));
    fuzz::expect_client_error_only([&] {
        const auto body = api::parse_json_body(request);
        std::vector<data::GridEdit> edits;
        const bool collection = body.is_object() && body.contains("type") && body["type"] == "FeatureCollection";
        if (collection) edits = api::parse_grid_collection(body);
        else edits.push_back(api::parse_grid_feature(body, true));
        // A version is taken as sent, never wrapped into another grid's version.
        const auto features = collection ? body.at("features") : nlohmann::json::array({body});
        for (std::size_t i = 0; i < edits.size(); ++i)
            if (edits[i].expected_version)
                fuzz::check(features.at(i).at("properties").at("version").get<std::int64_t>() == *edits[i].expected_version,
                            "properties.version changed on the way in");
        std::vector<geo::GridCandidate> candidates{{"bailongqiao-001", std::nullopt, town.west_grid}};
        // As edit_grids resolves them: new grids get an id, an id twice is refused before validation.
        std::set<std::string> ids{"bailongqiao-001"};
        for (std::size_t i = 0; i < edits.size(); ++i) {
            const auto id = edits[i].id.empty() ? "bailongqiao-n" + std::to_string(i) : edits[i].id;
            if (edits[i].geojson && ids.insert(id).second) candidates.push_back({id, edits[i].geojson, std::nullopt});
        }
        const auto validated = geo::validate_town(town.boundary, candidates);
        // Either findings (nothing is stored) or one stored geometry per changed grid.
        if (validated.findings.empty())
            fuzz::check(validated.changed_wkb.size() + 1 == candidates.size(), "validated grids lost");
    });
    return 0;
}
