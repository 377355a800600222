// Grid files uploaded for import (API.md: POST …/grids/import): the first byte picks the
// file name GDAL sees (its extension picks the driver), the rest is the file, read by
// geo::read_grids from /vsimem/. Every grid read must be a usable geometry.

#include "geo/geos.hpp"
#include "geo/ogr_io.hpp"
#include "tests/fuzz/fuzz_support.hpp"

#include <array>

using namespace wangge;

// PROJ's first transformation from a projected CRS reads proj.db and takes seconds under
// ASan; done once before fuzzing so -timeout=10 measures the inputs, not the warm-up.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
    const std::string utm = R"({"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4549"}},
        "features":[{"type":"Feature","properties":{"id":"w"},"geometry":{"type":"Polygon",
        "coordinates":[[[454000,3218000],[455000,3218000],[455000,3219000],[454000,3218000]]]}}]})";
    const std::string lonlat = "WKT,id\n\"POLYGON((119.5 29.05,119.6 29.05,119.6 29.13,119.5 29.05))\",w\n";
    for (const auto& [bytes, name] : {std::pair{utm, "warm.geojson"}, std::pair{lonlat, "warm.csv"}}) {
        try {
            (void)geo::read_grids(bytes, name);
        } catch (const Error&) {
        }
    }
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static constexpr std::array<const char*, 6> names{"grids.geojson", "grids.gpkg", "grids.zip",
                                                      "grids.kml",     "grids.csv",  "grids.json"};
    if (size == 0) return 0;
    const std::string name = names[data[0] % names.size()];
    const std::string bytes(fuzz::as_text(data + 1, size - 1));
    fuzz::expect_client_error_only([&] {
        const auto grids = geo::read_grids(bytes, name);
        geo::Geos geos;
        for (const auto& g : grids) {
            fuzz::check(!g.geometry_wkb_hex.empty() || g.retired.value_or(false), "a live grid without geometry");
            if (!g.geometry_wkb_hex.empty()) (void)geos.from_wkb_hex(g.geometry_wkb_hex);
        }
    });
    return 0;
}
