#include "core/error.hpp"
#include "geo/crs.hpp"

#include <gtest/gtest.h>

using namespace wangge;
using namespace wangge::geo;

TEST(Crs, Cgcs2000ToGaussKrugerCm120) {
    // cs2cs -d 4 EPSG:4490 EPSG:4549 <<< "29.09 119.56" → 3219324.5774 457163.8480 (N, E);
    // our order is always x = easting.
    const Transformer t("EPSG:4490", "EPSG:4549");
    const auto p = t.forward({119.56, 29.09});
    EXPECT_NEAR(p.x, 457163.8480, 1e-3);
    EXPECT_NEAR(p.y, 3219324.5774, 1e-3);
    const auto back = t.inverse(p);
    EXPECT_NEAR(back.x, 119.56, 1e-10);
    EXPECT_NEAR(back.y, 29.09, 1e-10);
}

TEST(Crs, CentralMeridianHasFalseEastingOnly) {
    const Transformer t("EPSG:4490", "EPSG:4549");
    EXPECT_NEAR(t.forward({120.0, 29.0}).x, 500000.0, 1e-6);
}

TEST(Crs, UnknownCrsIsABadRequest) {
    EXPECT_THROW(Transformer("EPSG:999999", "EPSG:4326"), Error);
}
