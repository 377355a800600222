// The analytics endpoints against the demo towns in the real PostGIS, through
// Service::handle: shapes of API.md, roles, and a 400 naming the field for every bad
// parameter.

#include "api/service.hpp"
#include "data/token_store.hpp"
#include "tests/support/test_db.hpp"

#include "tests/support/api_fixture.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>

using namespace wangge;
using nlohmann::json;

namespace {

class AnalyticsApiTest : public test::ApiFixture {
protected:

    api::Response get(const std::string& path, const std::string& bearer, std::map<std::string, std::string> query = {},
                      std::map<std::string, std::string> headers = {}) {
        api::Request r;
        r.method = "GET";
        r.path = path;
        r.query = std::move(query);
        r.headers = std::move(headers);
        r.headers["authorization"] = "Bearer " + bearer;
        return service.handle(r);
    }

    static void expect_bad_field(const api::Response& r, const std::string& field) {
        EXPECT_EQ(r.status, 400) << r.body;
        EXPECT_EQ(r.content_type, "application/problem+json");
        const auto j = json::parse(r.body);
        EXPECT_EQ(j.contains("field") ? j.at("field") : json(), json(field)) << r.body;
    }

    static void expect_status(const api::Response& r, int status) {
        EXPECT_EQ(r.status, status) << r.body;
        EXPECT_EQ(r.content_type, "application/problem+json");
    }

    const std::map<std::string, std::string> may{{"town", "chengdong"}, {"from", "2026-05"}, {"to", "2026-06"}};
};

std::map<std::string, std::string> with(std::map<std::string, std::string> q, const std::string& k, const std::string& v) {
    q[k] = v;
    return q;
}

}  // namespace

TEST_F(AnalyticsApiTest, CompletionRowsCarryEveryIndicatorOfStatsMd) {
    auto q = may;
    q["as_of"] = "2026-06-20T12:00:00+08:00";
    q["by"] = "platform";
    const auto r = get("/api/v1/analytics/completion", token(Role::leader), q);
    ASSERT_EQ(r.status, 200) << r.body;
    const auto j = json::parse(r.body);
    ASSERT_EQ(j.at("rows").size(), 4u) << "the four platforms, even when empty";
    long dispatched = 0;
    for (const auto& row : j.at("rows")) {
        for (const char* f : {"key", "name", "reported", "accepted", "dispatched", "due", "closed", "closed_on_time",
                              "completion_rate", "on_time_rate", "closed_share", "overdue_open", "in_time_open",
                              "rework_rate", "supervised", "median_hours", "p90_hours"})
            EXPECT_TRUE(row.contains(f)) << f;
        EXPECT_EQ(row.at("due").get<long>(), row.at("closed").get<long>() + row.at("overdue_open").get<long>());
        EXPECT_EQ(row.at("dispatched").get<long>(), row.at("due").get<long>() + row.at("in_time_open").get<long>());
        dispatched += row.at("dispatched").get<long>();
    }
    EXPECT_EQ(dispatched, j.at("total").at("dispatched").get<long>());
    EXPECT_GT(dispatched, 0);
    // The same cohort agrees with SQL over the reports' current columns (no reopen
    // after the cutoff can differ: the demo's events stop at the cutoff).
    EXPECT_EQ(std::to_string(dispatched),
              t.scalar("SELECT count(*) FROM reports WHERE town = 'chengdong' AND dispatched_at >= '2026-05-01T00:00:00+08' "
                       "AND dispatched_at < '2026-06-01T00:00:00+08'"));
    EXPECT_EQ(std::to_string(j.at("total").at("closed").get<long>()),
              t.scalar("SELECT count(*) FROM reports WHERE town = 'chengdong' AND dispatched_at >= '2026-05-01T00:00:00+08' "
                       "AND dispatched_at < '2026-06-01T00:00:00+08' AND status = 'closed'"));
    EXPECT_EQ(std::to_string(j.at("total").at("reported").get<long>()),
              t.scalar("SELECT count(*) FROM reports WHERE town = 'chengdong' AND reported_at >= '2026-05-01T00:00:00+08' "
                       "AND reported_at < '2026-06-01T00:00:00+08'"));
}

TEST_F(AnalyticsApiTest, CompletionAsOfInThePastClosesFewer) {
    const auto tok = token(Role::command, {"chengdong"});
    auto late = json::parse(get("/api/v1/analytics/completion", tok, with(may, "as_of", "2026-06-20T12:00:00+08:00")).body);
    auto early = json::parse(get("/api/v1/analytics/completion", tok, with(may, "as_of", "2026-05-20T00:00:00+08:00")).body);
    EXPECT_LT(early.at("total").at("dispatched").get<long>(), late.at("total").at("dispatched").get<long>());
    EXPECT_LE(early.at("total").at("closed").get<long>(), late.at("total").at("closed").get<long>());
}

TEST_F(AnalyticsApiTest, CompletionByGridListsEveryGridAndByMonthItsMonths) {
    const auto tok = token(Role::leader);
    auto grid = json::parse(get("/api/v1/analytics/completion", tok, with(may, "by", "grid")).body);
    ASSERT_EQ(grid.at("rows").size(), 39u);
    EXPECT_EQ(grid.at("rows")[0].at("key"), "chengdong-001");
    EXPECT_FALSE(grid.at("rows")[0].at("name").get<std::string>().empty());
    auto year = json::parse(get("/api/v1/analytics/completion", tok,
                                {{"town", "all"}, {"from", "2025-07"}, {"to", "2026-07"}, {"by", "month"}})
                                .body);
    EXPECT_EQ(year.at("rows").size(), 12u);
    auto worker = get("/api/v1/analytics/completion", tok, with(may, "by", "worker"));
    ASSERT_EQ(worker.status, 200);
    EXPECT_FALSE(json::parse(worker.body).at("rows").empty());
}

TEST_F(AnalyticsApiTest, CompletionRejectsBadParametersNamingTheField) {
    const auto tok = token(Role::leader);
    const std::string path = "/api/v1/analytics/completion";
    expect_bad_field(get(path, tok, {{"from", "2026-05"}, {"to", "2026-06"}}), "town");
    expect_bad_field(get(path, tok, with(may, "town", "atlantis")), "town");
    expect_bad_field(get(path, tok, with(may, "from", "May")), "from");
    expect_bad_field(get(path, tok, with(may, "to", "2026-13")), "to");
    expect_bad_field(get(path, tok, with(may, "to", "2026-04")), "to");
    expect_bad_field(get(path, tok, with(may, "by", "person")), "by");
    expect_bad_field(get(path, tok, with(may, "as_of", "now")), "as_of");
    expect_bad_field(get(path, tok, with(may, "from", "1900-01")), "from");
    expect_bad_field(get(path, tok, with(may, "colour", "red")), "colour");
}

TEST_F(AnalyticsApiTest, RolesAndTowns) {
    const std::string path = "/api/v1/analytics/completion";
    expect_status(get(path, token(Role::grid_worker), may), 403);
    expect_status(get(path, token(Role::platform), may), 403);
    expect_status(get(path, token(Role::gis_admin), may), 403);
    expect_status(get(path, token(Role::leader, {"tashi"}), may), 403);
    expect_status(get(path, token(Role::leader, {"chengdong"}), with(may, "town", "all")), 403);
    EXPECT_EQ(get(path, token(Role::leader, {"chengdong"}), may).status, 200);
    EXPECT_EQ(get(path, token(Role::admin, {"tashi"}), may).status, 200) << "admin: every town";
    expect_status(get("/api/v1/analytics/hotspots", token(Role::grid_worker), may), 403);
    expect_status(get("/api/v1/analytics/trends", token(Role::grid_worker), {{"town", "tashi"}}), 403);
    expect_status(get("/api/v1/meetings/tashi/2026-05", token(Role::grid_worker)), 403);
    expect_status(get("/api/v1/meetings/tashi/2026-05", token(Role::leader, {"chengdong"})), 403);
    api::Request none;
    none.method = "GET";
    none.path = path;
    none.query = may;
    expect_status(service.handle(none), 401);
}

TEST_F(AnalyticsApiTest, HotspotsHaveTheShapeOfApiMdAndNoNaN) {
    const auto tok = token(Role::leader);
    for (const char* weights : {"queen", "rook"}) {
        auto q = with(may, "weights", weights);
        q["fdr"] = "true";
        const auto r = get("/api/v1/analytics/hotspots", tok, q);
        ASSERT_EQ(r.status, 200) << r.body;
        EXPECT_EQ(r.body.find("NaN"), std::string::npos);
        const auto j = json::parse(r.body);
        ASSERT_EQ(j.at("grids").size(), 39u);
        for (const auto& g : j.at("grids")) {
            for (const char* f : {"grid", "count", "gi_z", "gi_p", "bin", "lisa"}) EXPECT_TRUE(g.contains(f)) << f;
            for (const char* f : {"Ii", "p_sim", "quadrant"}) EXPECT_TRUE(g.at("lisa").contains(f)) << f;
            EXPECT_LE(std::abs(g.at("bin").get<int>()), 3);
        }
        for (const char* f : {"I", "expected", "variance", "z", "p", "p_sim"}) EXPECT_TRUE(j.at("moran").contains(f)) << f;
        EXPECT_NEAR(j.at("moran").at("expected").get<double>(), -1.0 / 38, 1e-12);
    }
}

TEST_F(AnalyticsApiTest, HotspotsOverNothingAreNullsAndBinZero) {
    // A category nobody reported in that month: all counts 0, Gi* undefined.
    auto q = with(may, "category", "tezhong_shebei");
    q["platform"] = "bianmin";
    const auto r = get("/api/v1/analytics/hotspots", token(Role::leader), q);
    ASSERT_EQ(r.status, 200) << r.body;
    const auto j = json::parse(r.body);
    for (const auto& g : j.at("grids")) {
        EXPECT_EQ(g.at("count"), 0);
        EXPECT_TRUE(g.at("gi_z").is_null());
        EXPECT_EQ(g.at("bin"), 0);
        EXPECT_EQ(g.at("lisa").at("quadrant"), "ns");
    }
    EXPECT_TRUE(j.at("moran").is_null());
}

TEST_F(AnalyticsApiTest, HotspotsRejectBadParameters) {
    const auto tok = token(Role::leader);
    const std::string path = "/api/v1/analytics/hotspots";
    expect_bad_field(get(path, tok, with(may, "weights", "king")), "weights");
    expect_bad_field(get(path, tok, with(may, "fdr", "yes")), "fdr");
    expect_bad_field(get(path, tok, with(may, "platform", "police")), "platform");
    expect_bad_field(get(path, tok, with(may, "category", "no_such_thing")), "category");
    expect_bad_field(get(path, tok, with(may, "category", "DROP TABLE")), "category");
    expect_bad_field(get(path, tok, {{"town", "tashi"}, {"from", "2026-05"}}), "to");
}

TEST_F(AnalyticsApiTest, TrendsGiveSeriesMannKendallAndACategoryPerGrid) {
    const auto r = get("/api/v1/analytics/trends", token(Role::leader),
                       {{"town", "jiangtang"}, {"end", "2026-06"}, {"months", "12"}});
    ASSERT_EQ(r.status, 200) << r.body;
    const auto j = json::parse(r.body);
    ASSERT_EQ(j.at("months").size(), 12u);
    EXPECT_EQ(j.at("months")[0], "2025-07");
    EXPECT_EQ(j.at("months")[11], "2026-06");
    ASSERT_EQ(j.at("grids").size(), 57u);
    long total = 0;
    for (const auto& g : j.at("grids")) {
        ASSERT_EQ(g.at("counts").size(), 12u);
        ASSERT_EQ(g.at("change").size(), 12u);
        EXPECT_TRUE(g.at("change")[0].is_null());
        for (const char* f : {"S", "var_s", "z", "p", "tau"}) EXPECT_TRUE(g.at("mann_kendall").contains(f)) << f;
        EXPECT_FALSE(g.at("category").get<std::string>().empty());
        for (const auto& c : g.at("counts")) total += c.get<long>();
    }
    EXPECT_EQ(std::to_string(total), t.scalar("SELECT count(*) FROM reports WHERE town = 'jiangtang'"));
    // The demo has one rising grid per town: its series trends up significantly.
    bool rising = false;
    for (const auto& g : j.at("grids"))
        rising |= !g.at("mann_kendall").at("z").is_null() && g.at("mann_kendall").at("z").get<double>() > 3;
    EXPECT_TRUE(rising);
}

TEST_F(AnalyticsApiTest, TrendsRejectBadParameters) {
    const auto tok = token(Role::leader);
    const std::string path = "/api/v1/analytics/trends";
    expect_bad_field(get(path, tok, {{"town", "tashi"}, {"end", "2026-6"}}), "end");
    expect_bad_field(get(path, tok, {{"town", "tashi"}, {"months", "12abc"}}), "months");
    expect_bad_field(get(path, tok, {{"town", "tashi"}, {"months", "2"}}), "months");
    expect_bad_field(get(path, tok, {{"town", "tashi"}, {"months", "61"}}), "months");
    expect_bad_field(get(path, tok, {{"town", "tashi"}, {"months", "-5"}}), "months");
    expect_bad_field(get(path, tok, {{"town", "tashi"}, {"weights", "bishop"}}), "weights");
    expect_bad_field(get(path, tok, {}), "town");
}

TEST_F(AnalyticsApiTest, MeetingPackAsHtmlJsonAndXlsx) {
    const auto tok = token(Role::leader, {"tashi"});
    const auto html = get("/api/v1/meetings/tashi/2026-05", tok);
    ASSERT_EQ(html.status, 200) << html.body;
    EXPECT_EQ(html.content_type, "text/html; charset=utf-8");
    EXPECT_NE(html.body.find("塔石乡 网格化管理月度会商材料"), std::string::npos);
    // The heatmap and hotspot maps, rendered by the tiles module and embedded.
    const auto first_map = html.body.find("data:image/png;base64,");
    ASSERT_NE(first_map, std::string::npos);
    EXPECT_NE(html.body.find("data:image/png;base64,", first_map + 1), std::string::npos);
    EXPECT_EQ(html.body.find("地图暂不可用"), std::string::npos);

    const auto data = get("/api/v1/meetings/tashi/2026-05", tok, {{"f", "json"}});
    ASSERT_EQ(data.status, 200) << data.body;
    const auto j = json::parse(data.body);
    EXPECT_EQ(j.at("month"), "2026-05");
    EXPECT_EQ(j.at("as_of"), "2026-06-01T00:00:00+08:00") << "default: the end of the month";
    EXPECT_EQ(j.at("by_platform").size(), 4u);
    EXPECT_EQ(j.at("maps").size(), 2u);
    EXPECT_TRUE(j.at("maps")[0].at("available").get<bool>());
    EXPECT_TRUE(j.at("maps")[1].at("available").get<bool>());
    for (const char* f : {"month_total", "previous_total", "top_grids", "lowest_grids", "emerging", "overdue", "trend_months"})
        EXPECT_TRUE(j.contains(f)) << f;
    const auto by_accept = get("/api/v1/meetings/tashi/2026-05", tok, {}, {{"accept", "application/json"}});
    EXPECT_EQ(by_accept.content_type, "application/json");

    const auto xlsx = get("/api/v1/meetings/tashi/2026-05", tok, {{"f", "xlsx"}});
    ASSERT_EQ(xlsx.status, 200);
    EXPECT_EQ(xlsx.content_type, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    EXPECT_EQ(xlsx.body.substr(0, 2), "PK");
}

TEST_F(AnalyticsApiTest, MeetingPackRejectsBadInput) {
    const auto tok = token(Role::leader);
    expect_bad_field(get("/api/v1/meetings/tashi/2026-13", tok), "month");
    expect_bad_field(get("/api/v1/meetings/tashi/May", tok), "month");
    expect_bad_field(get("/api/v1/meetings/tashi/2026-05", tok, {{"f", "pdf"}}), "f");
    expect_bad_field(get("/api/v1/meetings/tashi/2026-05", tok, {{"as_of", "x"}}), "as_of");
    expect_status(get("/api/v1/meetings/atlantis/2026-05", tok), 404);
}
