// Reports through the API against the demo towns in the real PostGIS: intake and
// assignment, idempotency (also under a race), batches, bad input, listing, and the
// closed loop with every illegal transition.

#include "api/service.hpp"
#include "core/calendar.hpp"
#include "core/workflow.hpp"
#include "data/reports.hpp"
#include "data/token_store.hpp"
#include "geo/china_coords.hpp"
#include "tests/support/test_db.hpp"

#include "tests/support/api_fixture.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <set>
#include <thread>

using namespace wangge;
using nlohmann::json;

namespace {

std::string precise(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    return buf;
}

class Reports : public test::ApiFixture {
protected:    std::string admin = token(Role::admin);
    std::string command = token(Role::command);


    api::Response call(const std::string& method, const std::string& path, const std::string& bearer,
                       const std::string& body = {}, std::map<std::string, std::string> query = {},
                       const std::string& content_type = "application/json") {
        api::Request r;
        r.method = method;
        r.path = path;
        r.query = std::move(query);
        r.headers["authorization"] = "Bearer " + bearer;
        if (!body.empty()) r.headers["content-type"] = content_type;
        r.body = body;
        return service.handle(r);
    }

    static std::string unique_id() {
        static int n = 0;
        return "test-" + std::to_string(::getpid()) + "-" + std::to_string(++n);
    }

    json post(double lon, double lat, std::string client_id = {}, json extra = json::object(), int expect = 201) {
        json body = {{"lon", lon}, {"lat", lat}, {"client_id", client_id.empty() ? unique_id() : client_id},
                     {"category", "huanjing_weisheng"}};
        body.update(extra);
        auto r = call("POST", "/api/v1/reports", command, body.dump());
        EXPECT_EQ(r.status, expect) << r.body;
        return json::parse(r.body);
    }

    // A point well inside a grid, from PostGIS.
    std::pair<double, double> inside(const std::string& grid) {
        const auto x = t.scalar("SELECT ST_X(ST_PointOnSurface(geom)) FROM grids WHERE id = '" + grid + "' AND valid_to IS NULL");
        const auto y = t.scalar("SELECT ST_Y(ST_PointOnSurface(geom)) FROM grids WHERE id = '" + grid + "' AND valid_to IS NULL");
        return {std::stod(x), std::stod(y)};
    }

    std::string count(const std::string& where) { return t.scalar("SELECT count(*) FROM reports WHERE " + where); }

    json act(long long id, const json& body, const std::string& bearer, int expect) {
        auto r = call("POST", "/api/v1/reports/" + std::to_string(id) + "/events", bearer, body.dump());
        EXPECT_EQ(r.status, expect) << body.dump() << " → " << r.body;
        return json::parse(r.body);
    }
};

}  // namespace

TEST_F(Reports, APointInsideAGridIsAssignedToItAndItsStaff) {
    const auto [x, y] = inside("tashi-007");
    const auto a = post(x, y);
    EXPECT_EQ(a.at("grid").at("id"), "tashi-007");
    EXPECT_EQ(a.at("grid").at("version"), 1);
    EXPECT_EQ(a.at("town"), "tashi");
    EXPECT_EQ(a.at("platform"), "zhifa");
    EXPECT_EQ(a.at("status"), "reported");
    EXPECT_EQ(a.at("assignment").at("method"), "contains");
    EXPECT_EQ(a.at("responsible").at("leader").at("id"),
              t.scalar("SELECT worker FROM grid_staff WHERE grid = 'tashi-007' AND role = 'leader'"));
    EXPECT_EQ(a.at("responsible").at("worker").at("id"),
              t.scalar("SELECT worker FROM grid_staff WHERE grid = 'tashi-007' AND role = 'worker'"));
    // Committed before the answer: it is in the table, with the grid version it fell in.
    const auto id = std::to_string(a.at("id").get<long long>());
    EXPECT_EQ(count("id = " + id + " AND grid = 'tashi-007' AND grid_version = 1 AND status = 'reported'"), "1");
    EXPECT_EQ(t.scalar("SELECT action FROM report_events WHERE report = " + id + " AND seq = 1"), "report");
}

TEST_F(Reports, TheSameClientIdGetsTheFirstAnswerAndWritesNothing) {
    const auto [x, y] = inside("chengdong-010");
    const std::string key = unique_id();
    auto first = call("POST", "/api/v1/reports", command,
                      json{{"lon", x}, {"lat", y}, {"client_id", key}, {"category", "shehui_zhian"}}.dump());
    ASSERT_EQ(first.status, 201);
    // A retry, even with a moved point, is answered with the first answer.
    auto again = call("POST", "/api/v1/reports", command,
                      json{{"lon", x + 0.01}, {"lat", y}, {"client_id", key}, {"category", "shehui_zhian"}}.dump());
    EXPECT_EQ(again.status, 200);
    EXPECT_EQ(again.body, first.body);
    EXPECT_EQ(count("client_id = '" + key + "'"), "1");
}

TEST_F(Reports, TwoRequestsRacingWithOneClientIdStoreOneReport) {
    const auto [x, y] = inside("jiangtang-020");
    for (int round = 0; round < 5; ++round) {
        const std::string key = unique_id();
        const auto body = json{{"lon", x}, {"lat", y}, {"client_id", key}, {"category", "shehui_zhian"}}.dump();
        std::vector<api::Response> answers(6);
        std::vector<std::thread> threads;
        for (std::size_t i = 0; i < answers.size(); ++i)
            threads.emplace_back([&, i] { answers[i] = call("POST", "/api/v1/reports", command, body); });
        for (auto& th : threads) th.join();
        int created = 0;
        for (const auto& a : answers) {
            EXPECT_TRUE(a.status == 201 || a.status == 200) << a.body;
            created += a.status == 201;
            EXPECT_EQ(a.body, answers[0].body);
        }
        EXPECT_EQ(created, 1);
        EXPECT_EQ(count("client_id = '" + key + "'"), "1");
        EXPECT_EQ(t.scalar("SELECT count(*) FROM report_keys WHERE client_id = '" + key + "'"), "1");
    }
}

TEST_F(Reports, PhonesInGcj02AndBd09LandInTheSameGrid) {
    const auto [x, y] = inside("bailongqiao-030");
    const auto gcj = geo::wgs84_to_gcj02({x, y});
    const auto bd = geo::gcj02_to_bd09(gcj);
    const auto a = post(gcj.x, gcj.y, {}, {{"crs", "GCJ02"}});
    const auto b = post(bd.x, bd.y, {}, {{"crs", "BD09"}});
    const auto c = post(x, y, {}, {{"crs", "EPSG:4490"}});
    for (const auto& r : {a, b, c}) EXPECT_EQ(r.at("grid").at("id"), "bailongqiao-030");
    // Stored in EPSG:4490 within a millimetre of the WGS84 point.
    const auto id = std::to_string(b.at("id").get<long long>());
    EXPECT_LT(std::stod(t.scalar("SELECT ST_Distance(ST_Transform(geom, 4549), ST_Transform(ST_SetSRID(ST_MakePoint(" +
                                 precise(x) + "," + precise(y) + "), 4490), 4549)) FROM reports WHERE id = " + id)),
              0.001);
    EXPECT_EQ(t.scalar("SELECT input_crs FROM reports WHERE id = " + id), "BD09");
}

TEST_F(Reports, SharedVertexNearestAndNoneMethods) {
    // A vertex shared by two grids: boundary, to the smaller id.
    const auto vx = t.scalar(R"sql(
SELECT ST_X(p) || ' ' || ST_Y(p) || ' ' || min(id) FROM (
  SELECT id, (ST_DumpPoints(geom)).geom AS p FROM grids WHERE town = 'tashi' AND valid_to IS NULL) d
GROUP BY p HAVING count(DISTINCT id) = 2 ORDER BY 1 LIMIT 1)sql");
    std::istringstream in(vx);
    double lon = 0, lat = 0;
    std::string smallest;
    in >> lon >> lat >> smallest;
    const auto a = post(lon, lat);
    EXPECT_EQ(a.at("assignment").at("method"), "boundary");
    EXPECT_EQ(a.at("grid").at("id"), smallest);

    // 100 m outside the town's northernmost point: nearest.
    const auto north = std::stod(t.scalar("SELECT ST_YMax(geom) FROM towns WHERE town = 'tashi'"));
    const auto north_x = std::stod(t.scalar(
        "SELECT ST_X(p) FROM (SELECT (ST_DumpPoints(geom)).geom p FROM towns WHERE town = 'tashi') d ORDER BY ST_Y(p) DESC LIMIT 1"));
    const auto b = post(north_x, north + 100.0 / 110900.0);
    EXPECT_EQ(b.at("assignment").at("method"), "nearest");
    EXPECT_NEAR(b.at("assignment").at("distance_m").get<double>(), 100.0, 2.0);
    EXPECT_EQ(b.at("town"), "tashi");

    // Kilometres from any grid: kept, unassigned, routed to the nearest town.
    const auto c = post(north_x, north + 0.05);
    EXPECT_EQ(c.at("assignment").at("method"), "none");
    EXPECT_TRUE(c.at("grid").is_null());
    EXPECT_TRUE(c.at("unassigned").get<bool>());
    EXPECT_EQ(c.at("town"), "tashi");
    EXPECT_EQ(count("id = " + std::to_string(c.at("id").get<long long>()) + " AND grid IS NULL AND assign_method = 'none'"), "1");
}

TEST_F(Reports, ABatchAnswersItemByItemAndBadItemsDoNotSinkGoodOnes) {
    const auto [x, y] = inside("chengdong-005");
    const std::string k1 = unique_id(), k2 = unique_id();
    json features = json::array({
        {{"type", "Feature"}, {"geometry", {{"type", "Point"}, {"coordinates", {x, y}}}},
         {"properties", {{"client_id", k1}, {"category", "shehui_zhian"}}}},
        {{"type", "Feature"}, {"geometry", {{"type", "Point"}, {"coordinates", {x, 95.0}}}},
         {"properties", {{"client_id", unique_id()}, {"category", "shehui_zhian"}}}},
        {{"type", "Feature"}, {"geometry", {{"type", "Point"}, {"coordinates", {x, y}}}},
         {"properties", {{"client_id", k2}, {"category", "no_such_thing"}}}},
        {{"type", "Feature"}, {"geometry", {{"type", "Point"}, {"coordinates", {x, y}}}},
         {"properties", {{"client_id", k1}, {"category", "shehui_zhian"}}}},
    });
    auto r = call("POST", "/api/v1/reports:batch", command, json{{"type", "FeatureCollection"}, {"features", features}}.dump());
    ASSERT_EQ(r.status, 200) << r.body;
    const auto results = json::parse(r.body).at("results");
    ASSERT_EQ(results.size(), 4u);
    for (int i = 0; i < 4; ++i) EXPECT_EQ(results[static_cast<std::size_t>(i)].at("index"), i);
    EXPECT_EQ(results[0].at("http_status"), 201);
    EXPECT_EQ(results[0].at("report").at("grid").at("id"), "chengdong-005");
    EXPECT_EQ(results[1].at("http_status"), 400);
    EXPECT_EQ(results[1].at("problem").at("field"), "geometry.coordinates[1]");
    EXPECT_EQ(results[2].at("http_status"), 400);
    EXPECT_EQ(results[2].at("problem").at("field"), "category");
    EXPECT_EQ(results[3].at("http_status"), 200) << "a repeated key in one batch is the first item's answer";
    EXPECT_EQ(results[3].at("report"), results[0].at("report"));
    EXPECT_EQ(count("client_id IN ('" + k1 + "', '" + k2 + "')"), "1");
}

TEST_F(Reports, ABatchOfTenThousandIsStoredAndOneMoreIsRefused) {
    const auto [x, y] = inside("bailongqiao-050");
    const std::string prefix = unique_id();
    json features = json::array();
    for (int i = 0; i < 10000; ++i)
        features.push_back({{"type", "Feature"},
                            {"geometry", {{"type", "Point"}, {"coordinates", {x + (i % 100) * 1e-6, y + (i / 100) * 1e-6}}}},
                            {"properties", {{"client_id", prefix + "-" + std::to_string(i)}, {"category", "laji_fenlei"}}}});
    auto r = call("POST", "/api/v1/reports:batch", command, json{{"type", "FeatureCollection"}, {"features", features}}.dump());
    ASSERT_EQ(r.status, 200);
    const auto results = json::parse(r.body).at("results");
    ASSERT_EQ(results.size(), 10000u);
    for (const auto& item : results) ASSERT_EQ(item.at("http_status"), 201);
    EXPECT_EQ(count("client_id LIKE '" + prefix + "-%'"), "10000");

    features.push_back(features[0]);
    auto too_many = call("POST", "/api/v1/reports:batch", command, json{{"type", "FeatureCollection"}, {"features", features}}.dump());
    EXPECT_EQ(too_many.status, 413);
    EXPECT_EQ(too_many.content_type, "application/problem+json");
}

TEST_F(Reports, BadInputIsAClearProblemAndWritesNothing) {
    const auto before = count("true");
    const auto [x, y] = inside("tashi-002");
    struct Case {
        std::string body;
        int status;
        std::string field;
    };
    const std::string ok_tail = R"(,"client_id":"bad-1","category":"shehui_zhian"})";
    const std::vector<Case> cases{
        {"{not json", 400, ""},
        {R"({"lon":119.5,"lat":28.8,"category":"shehui_zhian"})", 400, "client_id"},
        {R"({"lon":119.5,"lat":28.8,"client_id":"x"})", 400, "category"},
        {R"({"lat":28.8)" + ok_tail, 400, "lon"},
        {R"({"lon":"119.5","lat":28.8)" + ok_tail, 400, "lon"},
        {R"({"lon":119.5,"lat":91)" + ok_tail, 400, "lat"},
        {R"({"lon":181,"lat":28.8)" + ok_tail, 400, "lon"},
        {R"({"lon":NaN,"lat":28.8)" + ok_tail, 400, ""},
        {R"({"lon":Infinity,"lat":28.8)" + ok_tail, 400, ""},
        {R"({"lon":1e999,"lat":28.8)" + ok_tail, 400, ""},
        {R"({"lon":119.5,"lat":28.8,"client_id":"x","category":"no_such"})", 400, "category"},
        {R"({"lon":119.5,"lat":28.8,"client_id":"x","category":"shehui_zhian","crs":"EPSG:3857"})", 400, "crs"},
        {R"({"lon":119.5,"lat":28.8,"client_id":"x","category":"shehui_zhian","source":"pigeon"})", 400, "source"},
        {R"({"lon":119.5,"lat":28.8,"client_id":"x","category":"shehui_zhian","reported_at":"yesterday"})", 400, "reported_at"},
        {R"({"lon":119.5,"lat":28.8,"client_id":"x","category":"shehui_zhian","reported_at":"2099-01-01T00:00:00Z"})", 400,
         "reported_at"},
        {R"({"lon":119.5,"lat":28.8,"client_id":"","category":"shehui_zhian"})", 400, "client_id"},
        {R"({"type":"Feature","geometry":{"type":"LineString","coordinates":[[1,2],[3,4]]},"properties":{}})", 400, "geometry"},
        {R"([1,2,3])", 400, "report"},
    };
    for (const auto& c : cases) {
        auto r = call("POST", "/api/v1/reports", command, c.body);
        EXPECT_EQ(r.status, c.status) << c.body << " → " << r.body;
        EXPECT_EQ(r.content_type, "application/problem+json") << c.body;
        if (!c.field.empty()) {
            const auto problem = json::parse(r.body);
            EXPECT_TRUE(problem.contains("field") && problem["field"] == c.field) << c.body << " → " << r.body;
        }
    }
    auto wrong_type = call("POST", "/api/v1/reports", command,
                           json{{"lon", x}, {"lat", y}, {"client_id", "x"}, {"category", "shehui_zhian"}}.dump(), {},
                           "text/plain");
    EXPECT_EQ(wrong_type.status, 415);
    auto not_collection = call("POST", "/api/v1/reports:batch", command, R"({"type":"Feature"})");
    EXPECT_EQ(not_collection.status, 400);
    EXPECT_EQ(count("true"), before) << "nothing was written";
}

TEST_F(Reports, RolesAndTownsAreEnforced) {
    const auto [x, y] = inside("tashi-003");
    const auto body = json{{"lon", x}, {"lat", y}, {"client_id", unique_id()}, {"category", "shehui_zhian"}}.dump();
    EXPECT_EQ(call("POST", "/api/v1/reports", token(Role::leader), body).status, 403);
    EXPECT_EQ(call("POST", "/api/v1/reports", token(Role::grid_worker, {"chengdong"}), body).status, 403)
        << "the point lies in another town";
    EXPECT_EQ(call("POST", "/api/v1/reports", token(Role::grid_worker, {"tashi"}), body).status, 201);
    EXPECT_EQ(call("POST", "/api/v1/reports", "", body).status, 401);
}

TEST_F(Reports, ListingFiltersAndCursorPagingVisitEachReportOnce) {
    // Several statuses (a page of each, merged), open ones (the open reports' index), one.
    for (const std::string statuses :
         {"closed,rejected", "reported,dispatched,in_progress", "in_progress", "in_progress,dispatched,in_progress"}) {
        SCOPED_TRACE(statuses);
        std::set<std::string> wanted;
        std::string sql_list;
        for (std::size_t start = 0; start <= statuses.size();) {
            auto end = statuses.find(',', start);
            if (end == std::string::npos) end = statuses.size();
            wanted.insert(statuses.substr(start, end - start));
            sql_list += (sql_list.empty() ? "'" : ", '") + statuses.substr(start, end - start) + "'";
            start = end + 1;
        }
        std::set<long long> seen;
        std::map<std::string, std::string> query{{"town", "tashi"}, {"limit", "97"}, {"status", statuses}};
        std::pair<long long, long long> last{std::numeric_limits<long long>::max(), 0};
        for (int pages = 0; pages < 1000; ++pages) {
            auto r = call("GET", "/api/v1/reports", admin, "", query);
            ASSERT_EQ(r.status, 200) << r.body;
            const auto page = json::parse(r.body);
            for (const auto& f : page.at("features")) {
                const auto id = f.at("id").get<long long>();
                EXPECT_TRUE(seen.insert(id).second) << "seen twice: " << id;
                EXPECT_EQ(f.at("properties").at("town"), "tashi");
                EXPECT_TRUE(wanted.contains(f.at("properties").at("status").get<std::string>()));
                const auto at = parse_rfc3339(f.at("properties").at("reported_at").get<std::string>())->time_since_epoch().count();
                const std::pair<long long, long long> key{at, id};
                if (last.second != 0) {
                    EXPECT_TRUE(key < last) << "newest first, then by id";
                }
                last = key;
            }
            if (!page.contains("next_cursor")) break;
            query["cursor"] = page.at("next_cursor");
        }
        EXPECT_GT(seen.size(), 0u);
        EXPECT_EQ(std::to_string(seen.size()), count("town = 'tashi' AND status IN (" + sql_list + ")"));
    }

    auto overdue = json::parse(call("GET", "/api/v1/reports", admin, "", {{"overdue", "true"}, {"limit", "10000"}}).body);
    EXPECT_EQ(std::to_string(overdue.at("features").size()),
              count("status NOT IN ('closed', 'rejected') AND due_at < to_timestamp(" +
                    std::to_string(now_seconds().time_since_epoch().count()) + ")"));
    for (const auto& f : overdue.at("features")) EXPECT_TRUE(f.at("properties").at("overdue").get<bool>());

    auto boxed = json::parse(
        call("GET", "/api/v1/reports", admin, "", {{"bbox", "119.5,29.0,119.55,29.05"}, {"limit", "10000"}}).body);
    EXPECT_EQ(std::to_string(boxed.at("features").size()),
              count("geom && ST_MakeEnvelope(119.5, 29.0, 119.55, 29.05, 4490)"));

    for (const auto& [k, v] : std::vector<std::pair<std::string, std::string>>{
             {"limit", "0"}, {"limit", "10001"}, {"limit", "ten"}, {"status", "lost"}, {"platform", "police"},
             {"bbox", "1,2,3"}, {"bbox", "5,5,1,1"}, {"from", "May"}, {"cursor", "zz"}, {"overdue", "yes"}, {"town", "atlantis"}})
        EXPECT_EQ(call("GET", "/api/v1/reports", admin, "", {{k, v}}).status, 400) << k << '=' << v;
    EXPECT_EQ(call("GET", "/api/v1/reports", token(Role::leader, {"tashi"}), "", {{"town", "chengdong"}}).status, 403);
}

TEST_F(Reports, OneReportComesWithItsTimeline) {
    const auto id = t.scalar("SELECT report FROM report_events GROUP BY report HAVING count(*) >= 6 ORDER BY report LIMIT 1");
    auto r = call("GET", "/api/v1/reports/" + id, admin);
    ASSERT_EQ(r.status, 200) << r.body;
    const auto f = json::parse(r.body);
    EXPECT_EQ(f.at("type"), "Feature");
    EXPECT_EQ(f.at("geometry").at("type"), "Point");
    const auto& timeline = f.at("properties").at("timeline");
    ASSERT_GE(timeline.size(), 6u);
    EXPECT_EQ(timeline[0].at("action"), "report");
    for (std::size_t i = 1; i < timeline.size(); ++i) {
        EXPECT_EQ(timeline[i].at("seq"), static_cast<int>(i) + 1);
        EXPECT_EQ(timeline[i].at("from"), timeline[i - 1].at("to"));
    }
    EXPECT_EQ(call("GET", "/api/v1/reports/999999999", admin).status, 404);
    EXPECT_EQ(call("GET", "/api/v1/reports/abc", admin).status, 404);
}

TEST_F(Reports, TheClosedLoopWithDeadlineReworkAndSupervision) {
    const auto [x, y] = inside("jiangtang-005");
    const auto id = post(x, y, {}, {{"category", "wushui_gongzhi"}}).at("id").get<long long>();
    act(id, {{"action", "accept"}}, command, 201);
    const auto platform_staff = t.scalar("SELECT id FROM workers WHERE town = 'jiangtang' AND platform = 'zhifa'");
    auto d = act(id, {{"action", "dispatch"}, {"platform", "zhifa"}, {"assignees", {platform_staff}}, {"handling", "xietiao"},
                      {"mode", "lianban"}},
                 command, 201);
    const auto& props = d.at("report").at("properties");
    EXPECT_EQ(props.at("status"), "dispatched");
    EXPECT_EQ(props.at("handling"), "xietiao");
    EXPECT_EQ(props.at("assignees"), json::array({platform_staff}));
    // due_at = dispatch + 7 working days (五水共治) on the shipped calendar.
    std::ifstream csv(std::string(WANGGE_TEST_DATA_DIR) + "/calendar/holidays.csv");
    const WorkCalendar calendar(WorkCalendar::read_csv(csv));
    const auto dispatched = *parse_rfc3339(props.at("dispatched_at").get<std::string>());
    EXPECT_EQ(props.at("due_at"), format_rfc3339(calendar.add_working_days(dispatched, 7)));

    const auto zhifa = token(Role::platform, {}, {}, "zhifa");
    const auto shichang = token(Role::platform, {}, {}, "shichang");
    act(id, {{"action", "start"}}, shichang, 403);
    act(id, {{"action", "start"}}, zhifa, 201);
    act(id, {{"action", "supervise"}, {"note", "请加快"}}, token(Role::leader), 201);
    act(id, {{"action", "resolve"}}, zhifa, 201);
    act(id, {{"action", "close"}}, command, 201);
    auto reopened = act(id, {{"action", "reopen"}, {"note", "返工"}}, command, 201);
    const auto& rp = reopened.at("report").at("properties");
    EXPECT_EQ(rp.at("status"), "dispatched");
    EXPECT_EQ(rp.at("reopen_count"), 1);
    EXPECT_EQ(rp.at("supervise_count"), 1);
    EXPECT_TRUE(rp.at("closed_at").is_null());
    EXPECT_EQ(rp.at("dispatched_at"), props.at("dispatched_at")) << "the cohort is the first dispatch";
    EXPECT_EQ(rp.at("timeline").size(), 8u);
    // The intake and the seven actions.
    EXPECT_EQ(t.scalar("SELECT count(*) FROM audit_log WHERE target = '" + std::to_string(id) + "'"), "8");
    act(id, {{"action", "dispatch"}, {"assignees", {"nobody"}}}, command, 409);
    act(id, {{"action", "fly"}}, command, 400);
    act(id, {{"action", "accept"}, {"platform", "zhifa"}}, command, 400);
    act(999999999, {{"action", "accept"}}, command, 404);
    act(id, {{"action", "start"}}, token(Role::grid_worker), 403);
}

TEST_F(Reports, EveryIllegalTransitionIs409NamingTheStateAndTheAllowedActions) {
    // The legal path to each state, from a fresh report.
    const std::map<Status, std::vector<std::string>> path{
        {Status::reported, {}},
        {Status::accepted, {"accept"}},
        {Status::dispatched, {"accept", "dispatch"}},
        {Status::in_progress, {"accept", "dispatch", "start"}},
        {Status::resolved, {"accept", "dispatch", "start", "resolve"}},
        {Status::closed, {"resolve_on_site"}},
        {Status::rejected, {"reject"}},
    };
    const auto [x, y] = inside("chengdong-020");
    int checked = 0;
    for (const auto& [state, steps] : path) {
        const auto id = post(x, y).at("id").get<long long>();
        for (const auto& step : steps) act(id, {{"action", step}}, admin, 201);
        const auto allowed = allowed_actions(state);
        for (const auto action : {Action::resolve_on_site, Action::accept, Action::reject, Action::dispatch, Action::start,
                                  Action::supervise, Action::resolve, Action::close, Action::reopen}) {
            if (std::find(allowed.begin(), allowed.end(), action) != allowed.end()) continue;
            const auto p = act(id, {{"action", action_name(action)}}, admin, 409);
            EXPECT_EQ(p.at("current_status"), status_name(state));
            json expected = json::array();
            for (auto a : allowed) expected.push_back(action_name(a));
            EXPECT_EQ(p.at("allowed_actions"), expected);
            ++checked;
        }
        EXPECT_EQ(t.scalar("SELECT status FROM reports WHERE id = " + std::to_string(id)), status_name(state))
            << "refused actions change nothing";
    }
    // 7 states × 9 actions, less the 15 legal moves out of them.
    EXPECT_EQ(checked, 7 * 9 - 15) << "every (state, action) pair outside the transition table";
}
