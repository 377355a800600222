// Grid files uploaded for import (API.md: POST …/grids/import): the first byte picks the
// file name GDAL sees (its extension picks the driver), the rest is the file, read by
// geo::read_grids from /vsimem/. Every grid read must be a usable geometry.

#include "geo/geos.hpp"
#include "geo/ogr_io.hpp"
#include "tests/fuzz/fuzz_support.hpp"

#include <array>

using namespace wangge;

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
