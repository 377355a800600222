// The API against the demo towns in the real PostGIS, through Service::handle: the
// contract of API.md for towns, grids, staff, auth and errors.

#include "api/service.hpp"
#include "data/token_store.hpp"
#include "tests/support/test_db.hpp"

#include "tests/support/api_fixture.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using namespace wangge;
using nlohmann::json;

namespace {

class ApiTest : public test::ApiFixture {
protected:

    api::Response call(const std::string& method, const std::string& path, const std::string& bearer = {},
                       std::map<std::string, std::string> query = {}, std::string body = {}) {
        api::Request r;
        r.method = method;
        r.path = path;
        r.query = std::move(query);
        if (!bearer.empty()) r.headers["authorization"] = "Bearer " + bearer;
        r.body = std::move(body);
        return service.handle(r);
    }

    static void expect_problem(const api::Response& r, int status) {
        EXPECT_EQ(r.status, status) << r.body;
        EXPECT_EQ(r.content_type, "application/problem+json");
        const auto j = json::parse(r.body);
        for (const char* member : {"type", "title", "status", "detail"}) EXPECT_TRUE(j.contains(member)) << member;
        EXPECT_EQ(j.at("status"), status);
    }
};

}  // namespace

TEST_F(ApiTest, HealthNeedsNoToken) {
    auto r = call("GET", "/healthz");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(json::parse(r.body).at("status"), "ok");
    EXPECT_EQ(call("GET", "/readyz").status, 200);
}

TEST_F(ApiTest, TownsListsTheFourTownsWithTheirGridCounts) {
    auto r = call("GET", "/api/v1/towns", token(Role::leader));
    ASSERT_EQ(r.status, 200) << r.body;
    const auto towns = json::parse(r.body);
    ASSERT_EQ(towns.size(), 4u);
    std::map<std::string, int> counts;
    for (const auto& town : towns) {
        counts[town.at("code")] = town.at("grid_count");
        const auto bbox = town.at("bbox");
        ASSERT_EQ(bbox.size(), 4u);
        EXPECT_LT(bbox[0].get<double>(), bbox[2].get<double>());
        EXPECT_GT(bbox[0].get<double>(), 119.3);
        EXPECT_LT(bbox[2].get<double>(), 119.8);
        EXPECT_GT(bbox[1].get<double>(), 28.7);
        EXPECT_LT(bbox[3].get<double>(), 29.25);
    }
    EXPECT_EQ(counts, (std::map<std::string, int>{{"bailongqiao", 75}, {"tashi", 41}, {"chengdong", 39}, {"jiangtang", 57}}));
    EXPECT_EQ(json::parse(towns.dump())[0].at("name").get<std::string>().empty(), false);
    for (const auto& town : towns) {
        EXPECT_EQ(town.at("county"), (json{{"code", "330702"}, {"name", "婺城区"}, {"kind", "district"}, {"city", "金华市"}}))
            << town.at("code");
        EXPECT_EQ(town.at("admin_code").get<std::string>().substr(0, 6), "330702");
    }
}

TEST_F(ApiTest, OneTownWithItsCountyOr404Or403) {
    const auto tashi = token(Role::grid_worker, {"tashi"});
    auto r = call("GET", "/api/v1/towns/tashi", tashi);
    ASSERT_EQ(r.status, 200) << r.body;
    const auto town = json::parse(r.body);
    EXPECT_EQ(town.at("name"), "塔石乡");
    EXPECT_EQ(town.at("kind"), "township");
    EXPECT_EQ(town.at("admin_code"), "330702205");
    EXPECT_EQ(town.at("grid_count"), 41);
    EXPECT_EQ(town.at("county").at("name"), "婺城区");
    EXPECT_EQ(town, json::parse(call("GET", "/api/v1/towns", tashi).body).at(0)) << "the same as in the list";
    expect_problem(call("GET", "/api/v1/towns/bailongqiao", tashi), 403);
    expect_problem(call("GET", "/api/v1/towns/atlantis", tashi), 404);
}

TEST_F(ApiTest, NoTokenIs401AndABadTokenToo) {
    expect_problem(call("GET", "/api/v1/towns"), 401);
    expect_problem(call("GET", "/api/v1/towns", "wg_0000000000000000000000000000000000000000"), 401);
    expect_problem(call("GET", "/api/v1/towns", "not-even-a-token"), 401);
    api::Request basic;
    basic.method = "GET";
    basic.path = "/api/v1/towns";
    basic.headers["authorization"] = "Basic dXNlcjpwYXNz";
    expect_problem(service.handle(basic), 401);
}

TEST_F(ApiTest, ARevokedTokenIs401) {
    const auto tok = token(Role::leader, {}, "to-revoke");
    EXPECT_EQ(call("GET", "/api/v1/towns", tok).status, 200);
    data::revoke_token_by_name(t.db(), "to-revoke");
    expect_problem(call("GET", "/api/v1/towns", tok), 401);
}

TEST_F(ApiTest, ATownTokenSeesOnlyItsTown) {
    const auto tok = token(Role::grid_worker, {"tashi"});
    const auto towns = json::parse(call("GET", "/api/v1/towns", tok).body);
    ASSERT_EQ(towns.size(), 1u);
    EXPECT_EQ(towns[0].at("code"), "tashi");
    EXPECT_EQ(call("GET", "/api/v1/towns/tashi/grids", tok).status, 200);
    expect_problem(call("GET", "/api/v1/towns/bailongqiao/grids", tok), 403);
    expect_problem(call("GET", "/api/v1/grids/bailongqiao-001", tok), 403);
}

TEST_F(ApiTest, WrongRoleIs403) {
    expect_problem(call("GET", "/api/v1/towns/tashi/workers", token(Role::grid_worker)), 403);
    expect_problem(call("PUT", "/api/v1/grids/tashi-001/staff", token(Role::leader), {}, R"({"leader":"tashi-s0001"})"), 403);
    EXPECT_EQ(call("GET", "/api/v1/towns/tashi/workers", token(Role::leader)).status, 200);
}

TEST_F(ApiTest, UnknownThingsAre404) {
    const auto tok = token(Role::admin);
    expect_problem(call("GET", "/api/v1/grids/bailongqiao-999", tok), 404);
    expect_problem(call("GET", "/api/v1/towns/atlantis/grids", tok), 404);
    expect_problem(call("GET", "/api/v1/nothing-here", tok), 404);
    expect_problem(call("GET", "/nothing"), 404);
}

TEST_F(ApiTest, WrongMethodIs405WithAllow) {
    auto r = call("DELETE", "/api/v1/towns", token(Role::admin));
    expect_problem(r, 405);
    ASSERT_FALSE(r.headers.empty());
    EXPECT_EQ(r.headers[0].first, "Allow");
    EXPECT_EQ(r.headers[0].second, "GET");
}

TEST_F(ApiTest, GridsOfATownAreAFeatureCollection) {
    auto r = call("GET", "/api/v1/towns/chengdong/grids", token(Role::command));
    ASSERT_EQ(r.status, 200) << r.body;
    const auto fc = json::parse(r.body);
    EXPECT_EQ(fc.at("type"), "FeatureCollection");
    ASSERT_EQ(fc.at("features").size(), 39u);
    const auto& f = fc.at("features")[0];
    EXPECT_EQ(f.at("id"), "chengdong-001");
    EXPECT_EQ(f.at("geometry").at("type"), "Polygon");
    const auto first = f.at("geometry").at("coordinates")[0][0];
    EXPECT_GT(first[0].get<double>(), 119.6) << "lon first (RFC 7946)";
    EXPECT_LT(first[1].get<double>(), 29.2);
    for (const char* p : {"id", "code", "name", "town", "version", "valid_from", "leader", "worker", "area_m2"})
        EXPECT_TRUE(f.at("properties").contains(p)) << p;
}

TEST_F(ApiTest, GridsAtAnInstant) {
    const auto tok = token(Role::command);
    auto before = json::parse(call("GET", "/api/v1/towns/tashi/grids", tok, {{"at", "2020-01-01T00:00:00+08:00"}}).body);
    EXPECT_TRUE(before.at("features").empty()) << "the demo grids were drawn later";
    auto now = json::parse(call("GET", "/api/v1/towns/tashi/grids", tok, {{"at", "2026-06-01"}}).body);
    EXPECT_EQ(now.at("features").size(), 41u);
    expect_problem(call("GET", "/api/v1/towns/tashi/grids", tok, {{"at", "yesterday"}}), 400);
    expect_problem(call("GET", "/api/v1/towns/tashi/grids", tok, {{"bogus", "1"}}), 400);
}

TEST_F(ApiTest, OneGridWithStaffAreaAndETag) {
    auto r = call("GET", "/api/v1/grids/bailongqiao-001", token(Role::leader));
    ASSERT_EQ(r.status, 200) << r.body;
    const auto f = json::parse(r.body);
    const auto& p = f.at("properties");
    EXPECT_EQ(p.at("town"), "bailongqiao");
    EXPECT_EQ(p.at("version"), 1);
    EXPECT_GT(p.at("area_m2").get<double>(), 1e4);
    EXPECT_FALSE(p.at("leader").at("name").get<std::string>().empty());
    EXPECT_EQ(p.at("worker").at("phone").get<std::string>().size(), 11u);
    bool etag = false;
    for (const auto& [k, v] : r.headers) etag |= k == "ETag" && v == "\"1\"";
    EXPECT_TRUE(etag);
}

TEST_F(ApiTest, ChangingGridStaffIsAuditedAndValidated) {
    const auto admin = token(Role::gis_admin, {}, "gis-anna");
    const auto grid = json::parse(call("GET", "/api/v1/grids/jiangtang-010", admin).body);
    const std::string old_worker = grid.at("properties").at("worker").at("id");
    const std::string other_worker =
        json::parse(call("GET", "/api/v1/grids/jiangtang-011", admin).body).at("properties").at("worker").at("id");

    auto r = call("PUT", "/api/v1/grids/jiangtang-010/staff", admin, {}, json{{"worker", other_worker}}.dump());
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(json::parse(r.body).at("properties").at("worker").at("id"), other_worker);
    EXPECT_EQ(t.scalar("SELECT count(*) FROM audit_log WHERE actor = 'gis-anna' AND role = 'gis_admin' AND "
                       "action = 'grid.staff' AND target = 'jiangtang-010'"),
              "1");

    expect_problem(call("PUT", "/api/v1/grids/jiangtang-010/staff", admin, {}, "{not json"), 400);
    expect_problem(call("PUT", "/api/v1/grids/jiangtang-010/staff", admin, {}, R"({"worker": 5})"), 400);
    expect_problem(call("PUT", "/api/v1/grids/jiangtang-010/staff", admin, {}, R"({"boss": "x"})"), 400);
    expect_problem(call("PUT", "/api/v1/grids/jiangtang-010/staff", admin, {}, R"({})"), 400);
    expect_problem(call("PUT", "/api/v1/grids/jiangtang-010/staff", admin, {}, R"({"worker": "tashi-s0001"})"), 422);
    expect_problem(call("PUT", "/api/v1/grids/jiangtang-999/staff", admin, {}, R"({"worker": "x"})"), 404);

    // Put things back for the other tests.
    EXPECT_EQ(call("PUT", "/api/v1/grids/jiangtang-010/staff", admin, {}, json{{"worker", old_worker}}.dump()).status, 200);
}

TEST_F(ApiTest, CategoriesCoverTheFourPlatforms) {
    const auto cats = json::parse(call("GET", "/api/v1/categories", token(Role::grid_worker)).body);
    std::set<std::string> platforms;
    for (const auto& c : cats) {
        platforms.insert(c.at("platform"));
        EXPECT_GE(c.at("time_limit_workdays").get<int>(), 1);
    }
    EXPECT_EQ(platforms, (std::set<std::string>{"zongzhi", "shichang", "zhifa", "bianmin"}));
}

TEST_F(ApiTest, MetricsAndOpenApiAreServed) {
    call("GET", "/healthz");
    auto m = call("GET", "/metrics");
    EXPECT_EQ(m.status, 200);
    EXPECT_NE(m.body.find("wangge_http_requests_total{route=\"/healthz\",method=\"GET\",status=\"200\"}"), std::string::npos);
    EXPECT_NE(m.body.find("wangge_db_pool_connections"), std::string::npos);
    auto doc = call("GET", "/api");
    ASSERT_EQ(doc.status, 200);
    const auto j = json::parse(doc.body);
    EXPECT_EQ(j.at("openapi").get<std::string>().substr(0, 2), "3.");
    // Every route the service answers is documented.
    for (const auto& route : service.router().routes()) {
        std::string method = route.method;
        std::transform(method.begin(), method.end(), method.begin(), ::tolower);
        EXPECT_TRUE(j.at("paths").contains(route.pattern) && j.at("paths").at(route.pattern).contains(method))
            << route.method << ' ' << route.pattern;
    }
}

TEST(ApiWithoutDatabase, ReadyzAndDataRoutesAre503) {
    data::Database down("host=/nonexistent-wangge port=1 dbname=none connect_timeout=1", 1);
    api::Service service(down);
    api::Request r;
    r.method = "GET";
    r.path = "/readyz";
    auto ready = service.handle(r);
    EXPECT_EQ(ready.status, 503);
    EXPECT_EQ(ready.content_type, "application/problem+json");
    EXPECT_NE(std::find(ready.headers.begin(), ready.headers.end(), std::pair<std::string, std::string>{"Retry-After", "1"}),
              ready.headers.end());
    r.path = "/api/v1/towns";
    r.headers["authorization"] = "Bearer wg_0000000000000000000000000000000000000000";
    EXPECT_EQ(service.handle(r).status, 503);
    r.path = "/healthz";
    EXPECT_EQ(service.handle(r).status, 200) << "the process itself is healthy";
}

// Each request waits in the queue of what it costs: one town's analytics with the reads,
// the whole province's, meeting packs and batches with the heavy work, tiles with tiles.
TEST_F(ApiTest, RequestsQueueByWhatTheyCost) {
    auto klass = [&](const std::string& method, const std::string& path, std::map<std::string, std::string> query = {}) {
        api::Request r;
        r.method = method;
        r.path = path;
        r.query = std::move(query);
        return service.work_class(r);
    };
    for (const char* path : {"/api/v1/analytics/completion", "/api/v1/analytics/hotspots", "/api/v1/analytics/trends"}) {
        SCOPED_TRACE(path);
        EXPECT_EQ(klass("GET", path, {{"town", "tashi"}}), api::WorkClass::analytics);
        EXPECT_EQ(klass("GET", path, {{"town", "all"}}), api::WorkClass::heavy);
        EXPECT_EQ(klass("GET", path), api::WorkClass::heavy);
    }
    EXPECT_EQ(klass("GET", "/api/v1/meetings/tashi/2026-05", {{"town", "tashi"}}), api::WorkClass::heavy);
    EXPECT_EQ(klass("POST", "/api/v1/reports:batch"), api::WorkClass::heavy);
    EXPECT_EQ(klass("POST", "/api/v1/reports"), api::WorkClass::write);
    EXPECT_EQ(klass("GET", "/api/v1/reports", {{"town", "tashi"}}), api::WorkClass::read);
    EXPECT_EQ(klass("GET", "/tiles/reports/12/3421/1712.png"), api::WorkClass::tiles);
    EXPECT_EQ(klass("GET", "/healthz"), api::WorkClass::probe);
}
