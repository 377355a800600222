// GCJ-02 and BD-09 against published vectors, and the inverses to < 1 mm.

#include "geo/china_coords.hpp"
#include "geo/crs.hpp"

#include <gtest/gtest.h>

#include <cmath>

using namespace wangge::geo;

namespace {
// 1e-8° is about 1 mm.
constexpr double k_mm = 1e-8;
}  // namespace

TEST(ChinaCoords, Wgs84ToGcj02MatchesEviltransform) {
    // googollee/eviltransform: WGS (39.911954, 116.377817) → GCJ (39.91334545536069, 116.38404722455657)
    const auto g = wgs84_to_gcj02({116.377817, 39.911954});
    EXPECT_NEAR(g.x, 116.38404722455657, 1e-12);
    EXPECT_NEAR(g.y, 39.91334545536069, 1e-12);
}

TEST(ChinaCoords, MatchesWandergisCoordtransform) {
    // wandergis/coordtransform (and hutool's tests): (116.404, 39.915)
    const auto g = wgs84_to_gcj02({116.404, 39.915});
    EXPECT_NEAR(g.x, 116.41024449916938, 1e-12);
    EXPECT_NEAR(g.y, 39.91640428150164, 1e-12);
    const auto b = gcj02_to_bd09({116.404, 39.915});
    EXPECT_NEAR(b.x, 116.41036949371029, 1e-12);
    EXPECT_NEAR(b.y, 39.92133699351021, 1e-12);
    // Their BD-09 → GCJ-02 is the one-step approximation; ours iterates, so it agrees to
    // the approximation's error (well under a metre) and is exact on its own terms.
    const auto back = bd09_to_gcj02({116.404, 39.915});
    EXPECT_NEAR(back.x, 116.39762729119315, 5e-6);
    EXPECT_NEAR(back.y, 39.90865673957631, 5e-6);
}

TEST(ChinaCoords, InversesAreBelowAMillimetre) {
    for (const XY wgs : {XY{119.56, 29.09}, XY{119.68, 29.09}, XY{116.377817, 39.911954}, XY{87.6, 43.8}}) {
        const auto back = gcj02_to_wgs84(wgs84_to_gcj02(wgs));
        EXPECT_NEAR(back.x, wgs.x, k_mm);
        EXPECT_NEAR(back.y, wgs.y, k_mm);
        const auto via_bd = to_storage(InputCrs::bd09, gcj02_to_bd09(wgs84_to_gcj02(wgs)));
        EXPECT_NEAR(via_bd.x, wgs.x, k_mm);
        EXPECT_NEAR(via_bd.y, wgs.y, k_mm);
    }
}

TEST(ChinaCoords, OutsideChinaIsUnchanged) {
    const XY paris{2.35, 48.85};
    EXPECT_EQ(wgs84_to_gcj02(paris), paris);
    EXPECT_EQ(gcj02_to_wgs84(paris), paris);
}

TEST(ChinaCoords, ParsesCrsNames) {
    EXPECT_EQ(parse_input_crs("EPSG:4326"), InputCrs::wgs84);
    EXPECT_EQ(parse_input_crs("epsg:4490"), InputCrs::cgcs2000);
    EXPECT_EQ(parse_input_crs("GCJ02"), InputCrs::gcj02);
    EXPECT_EQ(parse_input_crs("gcj-02"), InputCrs::gcj02);
    EXPECT_EQ(parse_input_crs("BD09"), InputCrs::bd09);
    EXPECT_FALSE(parse_input_crs("EPSG:3857"));
    EXPECT_FALSE(parse_input_crs(""));
}

TEST(ChinaCoords, Wgs84AndCgcs2000AreTheSameHereAsPROJSays) {
    // to_storage takes EPSG:4326 as EPSG:4490: PROJ 9.1's transformation is a null shift.
    const Transformer t("EPSG:4326", "EPSG:4490");
    const auto p = t.forward({119.56, 29.09});
    EXPECT_NEAR(p.x, 119.56, 1e-12);
    EXPECT_NEAR(p.y, 29.09, 1e-12);
}
