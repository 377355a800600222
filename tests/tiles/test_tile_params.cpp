// Parsing tile requests (api/routes_tiles.hpp) and matching their routes, apart from
// drawing: z/x/y grammar and ranges, filters, ETag matching.

#include "api/http.hpp"
#include "api/routes_tiles.hpp"
#include "core/error.hpp"
#include "tiles/tile_service.hpp"

#include <gtest/gtest.h>

using namespace wangge;

TEST(TileNumber, DigitsOnlyWithinTheLimit) {
    EXPECT_EQ(api::parse_tile_number("0", 0), 0u);
    EXPECT_EQ(api::parse_tile_number("13633", (1u << 14) - 1), 13633u);
    EXPECT_EQ(api::parse_tile_number("4194303", (1u << 22) - 1), 4194303u);
    for (const char* bad : {"", "-1", "+1", "1a", "12abc", " 1", "1.0", "0x10", "99999999999", "１"})
        EXPECT_FALSE(api::parse_tile_number(bad, 1u << 22)) << bad;
    EXPECT_FALSE(api::parse_tile_number("16384", (1u << 14) - 1)) << "x = 2^z is off the map";
    EXPECT_FALSE(api::parse_tile_number("23", 22));
}

TEST(TileRoutes, SegmentsWithASuffixMatch) {
    api::Router router;
    auto none = [](api::Context&) { return api::Response{}; };
    router.add({"GET", "/tiles/{layer}/{z}/{x}/{y}@2x.png", api::Access::open, {}, none});
    router.add({"GET", "/tiles/{layer}/{z}/{x}/{y}.png", api::Access::open, {}, none});
    router.add({"GET", "/tiles/{layer}.json", api::Access::open, {}, none});
    auto m = router.match("GET", "/tiles/heatmap/14/13633/6807@2x.png");
    ASSERT_TRUE(m.route);
    EXPECT_EQ(m.route->pattern, "/tiles/{layer}/{z}/{x}/{y}@2x.png");
    EXPECT_EQ(m.params.at("y"), "6807");
    m = router.match("GET", "/tiles/heatmap/14/13633/6807.png");
    ASSERT_TRUE(m.route);
    EXPECT_EQ(m.params.at("y"), "6807");
    m = router.match("GET", "/tiles/grids.json");
    ASSERT_TRUE(m.route);
    EXPECT_EQ(m.params.at("layer"), "grids");
    EXPECT_FALSE(router.match("GET", "/tiles/.json").route) << "an empty value does not match";
    EXPECT_FALSE(router.match("GET", "/tiles/heatmap/14/1/2.jpg").route);
    EXPECT_FALSE(router.match("GET", "/tiles/heatmap/14/1/.png").route);
}

TEST(TileFilter, KnownValuesOnlyAndTheTokensTowns) {
    Principal tashi_worker{"w", Role::grid_worker, {"tashi"}, std::nullopt, std::nullopt, {}};
    Principal admin{"a", Role::admin, {}, std::nullopt, std::nullopt, {}};
    auto is_category = [](const std::string& c) { return c == "shehui_zhian"; };
    auto is_town = [](const std::string& t) { return t == "tashi" || t == "bailongqiao"; };
    api::Request r;
    auto f = api::parse_report_filter(r, tashi_worker, is_category, is_town);
    EXPECT_EQ(f.towns, std::vector<std::string>{"tashi"}) << "a town token sees its towns only";
    EXPECT_TRUE(api::parse_report_filter(r, admin, is_category, is_town).towns.empty());

    r.query = {{"platform", "zhifa,bianmin"}, {"status", "closed"}, {"category", "shehui_zhian"},
               {"from", "2026-01-01"}, {"to", "2026-02-01T00:00:00+08:00"}, {"town", "tashi"}};
    f = api::parse_report_filter(r, tashi_worker, is_category, is_town);
    EXPECT_EQ(f.platforms, (std::vector<std::string>{"zhifa", "bianmin"}));
    EXPECT_EQ(f.statuses, std::vector<std::string>{"closed"});
    EXPECT_TRUE(f.from && f.to);

    auto code_of = [&](std::map<std::string, std::string> q, const Principal& who) {
        api::Request bad;
        bad.query = std::move(q);
        try {
            api::parse_report_filter(bad, who, is_category, is_town);
        } catch (const Error& e) {
            return describe(e.code()).http_status;
        }
        return 200;
    };
    EXPECT_EQ(code_of({{"platform", "police"}}, admin), 400);
    EXPECT_EQ(code_of({{"platform", "zhifa,"}}, admin), 400);
    EXPECT_EQ(code_of({{"status", "open"}}, admin), 400);
    EXPECT_EQ(code_of({{"category", "nothing"}}, admin), 400);
    EXPECT_EQ(code_of({{"town", "atlantis"}}, admin), 400);
    EXPECT_EQ(code_of({{"from", "yesterday"}}, admin), 400);
    EXPECT_EQ(code_of({{"from", "2026-02-01"}, {"to", "2026-01-01"}}, admin), 400);
    EXPECT_EQ(code_of({{"town", "bailongqiao"}}, tashi_worker), 403);
    EXPECT_EQ(code_of({{"town", "atlantis"}}, tashi_worker), 400) << "unknown before not covered";
}

TEST(ETagMatch, ListsWeakAndStar) {
    EXPECT_TRUE(tiles::etag_matches("\"abc\"", "\"abc\""));
    EXPECT_TRUE(tiles::etag_matches("W/\"abc\"", "\"abc\""));
    EXPECT_TRUE(tiles::etag_matches("\"x\", \"abc\"", "\"abc\""));
    EXPECT_TRUE(tiles::etag_matches("*", "\"abc\""));
    EXPECT_FALSE(tiles::etag_matches("\"abd\"", "\"abc\""));
    EXPECT_FALSE(tiles::etag_matches("", "\"abc\""));
}
