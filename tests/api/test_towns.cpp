// Towns are data (issue 14): a town loaded by SQL, with its county, is a town on every
// route that names one, at once and without a restart; an unknown code is refused the
// same way everywhere (400 in a parameter, 404 in a path), without a list of towns.

#include "api/service.hpp"
#include "data/migrate.hpp"
#include "data/token_store.hpp"
#include "tests/support/test_db.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <thread>

using namespace wangge;
using nlohmann::json;

namespace {

class TownsAreData : public ::testing::Test {
protected:
    test::TestDatabase t{"towns_api"};
    std::unique_ptr<api::Service> service;
    std::string admin;

    void SetUp() override {
        data::migrate(t.db(), data::data_dir());
        t.scalar("INSERT INTO counties (code, name, kind, city, geom) VALUES ('330781', '兰溪市', 'city', '金华市', "
                 "ST_Multi(ST_MakeEnvelope(119.3, 29.1, 119.7, 29.4, 4490)))");
        service = std::make_unique<api::Service>(t.db());
        data::TokenSpec spec;
        spec.role = Role::admin;
        admin = data::create_token(t.db(), spec);
    }

    void load_town() {
        t.scalar("INSERT INTO towns (town, name, kind, admin_code, county, geom) VALUES ('youbu', '游埠镇', 'town', "
                 "'330781100', '330781', ST_Multi(ST_MakeEnvelope(119.40, 29.20, 119.45, 29.25, 4490)))");
    }

    api::Response get(const std::string& path, std::map<std::string, std::string> query = {}) {
        api::Request r;
        r.method = "GET";
        r.path = path;
        r.query = std::move(query);
        r.headers["authorization"] = "Bearer " + admin;
        return service->handle(r);
    }

    // A refusal that names no town but the one asked for, and says where the list is.
    static void expect_refusal(const api::Response& r, int status, const char* field = nullptr) {
        EXPECT_EQ(r.status, status) << r.body;
        EXPECT_EQ(r.content_type, "application/problem+json");
        const auto j = json::parse(r.body);
        const auto detail = j.at("detail").get<std::string>();
        EXPECT_NE(detail.find("nowhere"), std::string::npos) << detail;
        EXPECT_NE(detail.find("GET /api/v1/towns"), std::string::npos) << detail;
        for (const char* pilot : {"bailongqiao", "tashi", "chengdong", "jiangtang"})
            EXPECT_EQ(detail.find(pilot), std::string::npos) << detail;
        if (field) {
            EXPECT_EQ(j.value("field", ""), field) << r.body;
        }
    }
};

}  // namespace

TEST_F(TownsAreData, ATownLoadedBySqlIsServedAtOnce) {
    // The service has already looked the code up (and found nothing) before psql loads it.
    EXPECT_EQ(get("/api/v1/towns/youbu/grids").status, 404);
    load_town();

    auto r = get("/api/v1/towns/youbu/grids");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(json::parse(r.body), (json{{"type", "FeatureCollection"}, {"features", json::array()}}));

    r = get("/api/v1/towns/youbu");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(json::parse(r.body).at("county"), (json{{"code", "330781"}, {"name", "兰溪市"}, {"kind", "city"}, {"city", "金华市"}}));
    EXPECT_EQ(json::parse(r.body).at("grid_count"), 0);

    r = get("/tiles/grids/14/13630/6790.png", {{"town", "youbu"}});
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.content_type, "image/png");
    r = get("/api/v1/reports", {{"town", "youbu"}});
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(json::parse(r.body).at("features").size(), 0u);
    EXPECT_EQ(get("/api/v1/audit", {{"town", "youbu"}}).status, 200);
    EXPECT_EQ(get("/api/v1/analytics/completion", {{"town", "youbu"}, {"from", "2026-05"}, {"to", "2026-06"}}).status, 200);
}

TEST_F(TownsAreData, AnUnknownTownIsRefusedTheSameWayOnEveryRoute) {
    load_town();
    expect_refusal(get("/api/v1/towns/nowhere"), 404);
    expect_refusal(get("/api/v1/towns/nowhere/grids"), 404);
    expect_refusal(get("/api/v1/meetings/nowhere/2026-05", {{"f", "json"}}), 404);
    expect_refusal(get("/tiles/grids/14/13630/6790.png", {{"town", "nowhere"}}), 400, "town");
    expect_refusal(get("/tiles/reports.json", {{"town", "nowhere"}}), 400, "town");
    expect_refusal(get("/api/v1/reports", {{"town", "nowhere"}}), 400, "town");
    expect_refusal(get("/api/v1/audit", {{"town", "nowhere"}}), 400, "town");
    expect_refusal(get("/api/v1/analytics/completion", {{"town", "nowhere"}, {"from", "2026-05"}, {"to", "2026-06"}}), 400,
                   "town");
    expect_refusal(get("/api/v1/analytics/trends", {{"town", "nowhere"}}), 400, "town");
}

TEST_F(TownsAreData, ATownRemovedBySqlIsGoneWithinASecondWithoutTheFeed) {
    load_town();
    ASSERT_EQ(get("/api/v1/towns/youbu/grids").status, 200);
    t.scalar("DELETE FROM towns WHERE town = 'youbu'");
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(3);
    int status = 200;
    while (status == 200 && std::chrono::steady_clock::now() < until) {
        status = get("/api/v1/towns/youbu/grids").status;
        if (status == 200) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    EXPECT_EQ(status, 404);
}
