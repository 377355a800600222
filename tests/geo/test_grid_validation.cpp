// geo::validate_town on input no database has seen: what a client sends is a finding (422),
// never an internal error.

#include "core/error.hpp"
#include "geo/geos.hpp"
#include "geo/grid_validation.hpp"

#include <gtest/gtest.h>

#include <algorithm>

using namespace wangge;

TEST(GridValidation, CoordinatesThatCannotBeProjectedAreAFinding) {
    // fuzz_grid_json: longitude 923.6 made PROJ fail inside the overlay, a 500.
    geo::Geos geos;
    const auto town = geos.to_ewkb_hex(
        geos.from_wkt("POLYGON((119.50 29.05,119.60 29.05,119.60 29.13,119.50 29.13,119.50 29.05))").get(), 4490);
    const std::string far =
        R"({"type":"Polygon","coordinates":[[[119.55,29.09],[119.6,29.09],[923.6,29.13],[119.55,29.13],[119.55,29.09]]]})";
    const auto v = geo::validate_town(town, {{"bailongqiao-002", far, std::nullopt}});
    // Its own finding (the town it leaves uncovered may add a gap).
    const auto it = std::find_if(v.findings.begin(), v.findings.end(),
                                 [](const geo::Finding& f) { return f.grid == "bailongqiao-002"; });
    ASSERT_NE(it, v.findings.end());
    EXPECT_EQ(it->kind, "invalid_geometry");
    EXPECT_NE(it->detail.find("longitude, latitude"), std::string::npos) << it->detail;
}
