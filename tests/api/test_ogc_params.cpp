// The OGC /items query parser on its own: what GDAL and QGIS send is accepted, the rest
// is a 400 naming the parameter.

#include "api/ogc_params.hpp"
#include "core/error.hpp"

#include <gtest/gtest.h>

using namespace wangge;
using data::OgcCollection;

namespace {

data::OgcItemsQuery parse(std::map<std::string, std::string> q) { return api::parse_ogc_items(OgcCollection::grids, q); }

std::string bad_field(std::map<std::string, std::string> q) {
    try {
        parse(std::move(q));
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::bad_request);
        return e.extra_json();
    }
    return "accepted";
}

}  // namespace

TEST(OgcParams, DefaultsAreTheFirstTenCurrentFeatures) {
    const auto q = parse({});
    EXPECT_EQ(q.limit, 10);
    EXPECT_EQ(q.offset, 0);
    EXPECT_FALSE(q.bbox);
    EXPECT_FALSE(q.datetime);
}

TEST(OgcParams, LimitAboveTheMaximumIsTheMaximum) {
    EXPECT_EQ(parse({{"limit", "10000"}}).limit, 10000);
    EXPECT_EQ(parse({{"limit", "99999999999"}}).limit, 10000);
    EXPECT_EQ(bad_field({{"limit", "0"}}), R"({"field":"limit"})");
    EXPECT_EQ(bad_field({{"limit", "12abc"}}), R"({"field":"limit"})");
    EXPECT_EQ(bad_field({{"offset", "-1"}}), R"({"field":"offset"})");
}

TEST(OgcParams, BboxTakesGdalsSeventeenDigitDoubles) {
    const auto q = parse({{"bbox", "119.5,29,119.599999999999994,29.1000000000000014"}});
    ASSERT_TRUE(q.bbox);
    EXPECT_DOUBLE_EQ((*q.bbox)[2], 119.6);
    EXPECT_DOUBLE_EQ((*q.bbox)[3], 29.1);
    EXPECT_TRUE(parse({{"bbox", "1e2,-1.5E1,120,30"}, {"bbox-crs", api::k_crs84}}).bbox);
    for (const char* b : {"", "1,2,3", "1,2,3,4,5", "1,,3,4", "a,b,c,d", "nan,1,2,3", "10,0,5,1", "0,0,181,1"})
        EXPECT_EQ(bad_field({{"bbox", b}}), R"({"field":"bbox"})") << b;
    EXPECT_EQ(bad_field({{"bbox", "1,2,0,3,4,5"}}), R"({"field":"bbox"})");
    EXPECT_EQ(bad_field({{"bbox-crs", "http://www.opengis.net/def/crs/EPSG/0/3857"}}), R"({"field":"bbox-crs"})");
}

TEST(OgcParams, DatetimeInstantsAndIntervalsWithOpenEnds) {
    const auto instant = api::parse_ogc_datetime("2026-03-01T00:00:00Z");
    EXPECT_TRUE(instant.is_instant);
    EXPECT_EQ(instant.start, instant.end);
    EXPECT_EQ(format_rfc3339_utc(*instant.start), "2026-03-01T00:00:00Z");

    const auto closed = api::parse_ogc_datetime("2026-01-01T00:00:00+08:00/2026-02-01T00:00:00+08:00");
    EXPECT_FALSE(closed.is_instant);
    EXPECT_EQ(format_rfc3339_utc(*closed.start), "2025-12-31T16:00:00Z");
    EXPECT_EQ(format_rfc3339_utc(*closed.end), "2026-01-31T16:00:00Z");

    const auto open_start = api::parse_ogc_datetime("../2026-02-01T00:00:00Z");
    EXPECT_FALSE(open_start.start);
    EXPECT_TRUE(open_start.end);
    const auto open_end = api::parse_ogc_datetime("2026-02-01/");
    EXPECT_TRUE(open_end.start);
    EXPECT_FALSE(open_end.end);
    EXPECT_FALSE(api::parse_ogc_datetime("../..").start) << "everything, ever";

    for (const char* d : {"", "..", "tomorrow", "2026-13-01T00:00:00Z", "2026-02-01T00:00:00Z/2026-01-01T00:00:00Z",
                          "a/b/c", "2026-01-01T00:00:00Z/x"})
        EXPECT_EQ(bad_field({{"datetime", d}}), R"({"field":"datetime"})") << d;
}

TEST(OgcParams, FormatIsJsonOrGeoJson) {
    EXPECT_NO_THROW(parse({{"f", "json"}}));
    EXPECT_NO_THROW(parse({{"f", "geojson"}}));
    EXPECT_EQ(bad_field({{"f", "html"}}), R"({"field":"f"})");
    EXPECT_THROW(api::check_ogc_format({{"f", "geojson"}}), Error) << "not for the landing page";
    EXPECT_NO_THROW(api::check_ogc_format({{"f", "json"}}));
}
