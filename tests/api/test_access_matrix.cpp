// Who may do what (API.md: Roles), over EVERY route of the router: each role, no token
// and a revoked token, against its own town and another town. The table below has one
// row per route; a route added without a row fails the test. Refused writes must leave
// the database as it was.

#include "tests/support/api_fixture.hpp"
#include "tests/support/db_digest.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <functional>
#include <set>

using namespace wangge;
using nlohmann::json;

namespace {

constexpr const char* k_own = "tashi";
constexpr const char* k_other = "bailongqiao";

// What a caller may expect from a route in a town.
enum class Expect { allowed, forbidden, hidden };  // hidden: 403 or 404 (out-of-town ids need not be confirmed)

struct Row {
    std::string method, pattern;
    std::set<Role> roles;  // besides admin
    bool town_scoped = true;
    bool write = false;
    // The request for a town ("tashi" or "bailongqiao").
    std::function<api::Request(const std::string& town)> make;
    bool open = false;
    bool other_town_hidden = false;  // the other town's item is a 404 rather than a 403
};

const std::set<Role> k_everyone{Role::grid_worker, Role::command, Role::platform, Role::leader, Role::gis_admin};

class AccessMatrix : public test::ApiFixture {
protected:
    std::string grid_of(const std::string& town) { return std::string(town) + "-001"; }

    std::pair<double, double> inside(const std::string& grid) {
        const auto x = t.scalar("SELECT ST_X(ST_PointOnSurface(geom)) FROM grids WHERE id = '" + grid + "' AND valid_to IS NULL");
        const auto y = t.scalar("SELECT ST_Y(ST_PointOnSurface(geom)) FROM grids WHERE id = '" + grid + "' AND valid_to IS NULL");
        return {std::stod(x), std::stod(y)};
    }

    // A report of the town on platform zhifa (what the platform token handles), still
    // 'reported' so that a workflow action is possible.
    std::string report_of(const std::string& town) {
        return t.scalar("SELECT id FROM reports WHERE town = '" + town +
                        "' AND platform = 'zhifa' AND status = 'reported' ORDER BY id LIMIT 1");
    }

    static api::Request request(std::string method, std::string path, std::map<std::string, std::string> query = {},
                                std::string body = {}) {
        api::Request r;
        r.method = std::move(method);
        r.path = std::move(path);
        r.query = std::move(query);
        r.body = std::move(body);
        if (!r.body.empty()) r.headers["content-type"] = "application/json";
        return r;
    }

    std::vector<Row> rows() {
        const std::string month = t.scalar("SELECT to_char(max(reported_at) AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM') FROM reports");
        const std::string next_month =
            t.scalar("SELECT to_char(max(reported_at) AT TIME ZONE 'Asia/Shanghai' + interval '1 month', 'YYYY-MM') FROM reports");
        auto report_body = [this](const std::string& town) {
            const auto [x, y] = inside(grid_of(town));
            static int n = 0;
            return json{{"lon", x}, {"lat", y}, {"client_id", "matrix-" + std::to_string(++n)}, {"category", "huanjing_weisheng"}};
        };
        auto feature = [this](const std::string& town, bool with_version) {
            const auto g = grid_of(town);
            json props{{"name", "更名网格"}};
            if (with_version) props["version"] = std::stoi(t.scalar("SELECT version FROM grids WHERE id = '" + g + "' AND valid_to IS NULL"));
            props["id"] = g;
            return json{{"type", "Feature"}, {"properties", props}, {"geometry", nullptr}};
        };
        std::vector<Row> out;
        auto add = [&](Row r) { out.push_back(std::move(r)); };
        auto get = [](std::string path_tpl, std::map<std::string, std::string> query = {}) {
            return [path_tpl, query](const std::string& town) {
                auto path = path_tpl;
                for (std::string key : {"{town}", "{grid}"})
                    if (auto at = path.find(key); at != std::string::npos)
                        path.replace(at, key.size(), key == "{town}" ? town : town + "-001");
                auto q = query;
                for (auto& [k, v] : q)
                    if (v == "{town}") v = town;
                return request("GET", path, q);
            };
        };

        add({"GET", "/healthz", {}, false, false, get("/healthz"), true});
        add({"GET", "/readyz", {}, false, false, get("/readyz"), true});
        add({"GET", "/metrics", {}, false, false, get("/metrics"), true});
        add({"GET", "/api", {}, false, false, get("/api"), true});
        add({"GET", "/", {}, false, false, get("/"), true});
        add({"GET", "/assets/{file}", {}, false, false, get("/assets/app-test.js"), true});
        add({"GET", "/api/v1/me", k_everyone, false, false, get("/api/v1/me")});
        add({"GET", "/api/v1/towns", k_everyone, false, false, get("/api/v1/towns")});
        add({"GET", "/api/v1/towns/{town}", k_everyone, true, false, get("/api/v1/towns/{town}")});
        add({"GET", "/api/v1/towns/{town}/grids", k_everyone, true, false, get("/api/v1/towns/{town}/grids")});
        add({"GET", "/api/v1/grids/{grid}", k_everyone, true, false, get("/api/v1/grids/{grid}")});
        add({"GET", "/api/v1/towns/{town}/workers", {Role::command, Role::platform, Role::leader, Role::gis_admin}, true, false,
             get("/api/v1/towns/{town}/workers")});
        add({"PUT", "/api/v1/grids/{grid}/staff", {Role::gis_admin}, true, true, [this](const std::string& town) {
                 const auto worker = t.scalar("SELECT worker FROM grid_staff WHERE grid = '" + grid_of(town) + "' LIMIT 1");
                 return request("PUT", "/api/v1/grids/" + grid_of(town) + "/staff", {}, json{{"worker", worker}}.dump());
             }});
        add({"GET", "/api/v1/categories", k_everyone, false, false, get("/api/v1/categories")});
        add({"POST", "/api/v1/reports", {Role::grid_worker, Role::command}, true, true, [=, this](const std::string& town) {
                 return request("POST", "/api/v1/reports", {}, report_body(town).dump());
             }});
        add({"POST", "/api/v1/reports:batch", {Role::grid_worker, Role::command}, true, true, [=, this](const std::string& town) {
                 const auto r = report_body(town);
                 json f{{"type", "Feature"},
                        {"geometry", {{"type", "Point"}, {"coordinates", {r["lon"], r["lat"]}}}},
                        {"properties", {{"client_id", r["client_id"]}, {"category", r["category"]}}}};
                 return request("POST", "/api/v1/reports:batch", {}, json{{"type", "FeatureCollection"}, {"features", {f}}}.dump());
             }});
        add({"GET", "/api/v1/reports", k_everyone, true, false, get("/api/v1/reports", {{"town", "{town}"}})});
        add({"GET", "/api/v1/reports/{id}", k_everyone, true, false, [this](const std::string& town) {
                 return request("GET", "/api/v1/reports/" + report_of(town));
             }});
        add({"POST", "/api/v1/reports/{id}/events", {Role::command}, true, true, [this](const std::string& town) {
                 return request("POST", "/api/v1/reports/" + report_of(town) + "/events", {}, R"({"action":"accept"})");
             }});
        add({"POST", "/api/v1/towns/{town}/grids", {Role::gis_admin}, true, true, [this](const std::string& town) {
                 // A sliver inside grid -001: valid GeoJSON that the topology check refuses
                 // (overlap), so that even allowed callers change nothing.
                 const auto [x, y] = inside(grid_of(town));
                 const double d = 1e-4;
                 json poly{{"type", "Polygon"},
                           {"coordinates", {{{x, y}, {x + d, y}, {x + d, y + d}, {x, y + d}, {x, y}}}}};
                 return request("POST", "/api/v1/towns/" + town + "/grids", {},
                                json{{"type", "Feature"}, {"properties", {{"id", town + "-900"}, {"name", "新网格"}, {"code", "900"}}},
                                     {"geometry", poly}}
                                    .dump());
             }});
        add({"PUT", "/api/v1/grids/{grid}", {Role::gis_admin}, true, true, [=, this](const std::string& town) {
                 auto r = request("PUT", "/api/v1/grids/" + grid_of(town), {}, feature(town, false).dump());
                 r.headers["if-match"] = "\"" + t.scalar("SELECT version FROM grids WHERE id = '" + grid_of(town) + "' AND valid_to IS NULL") + "\"";
                 return r;
             }});
        add({"PUT", "/api/v1/towns/{town}/grids", {Role::gis_admin}, true, true, [=, this](const std::string& town) {
                 return request("PUT", "/api/v1/towns/" + town + "/grids", {},
                                json{{"type", "FeatureCollection"}, {"features", {feature(town, true)}}}.dump());
             }});
        add({"DELETE", "/api/v1/grids/{grid}", {Role::gis_admin}, true, true, [=, this](const std::string& town) {
                 return request("DELETE", "/api/v1/grids/" + grid_of(town));
             }});
        add({"GET", "/api/v1/grids/{grid}/history", k_everyone, true, false, get("/api/v1/grids/{grid}/history")});
        add({"POST", "/api/v1/towns/{town}/grids/import", {Role::gis_admin}, true, true, [=, this](const std::string& town) {
                 return request("POST", "/api/v1/towns/" + town + "/grids/import", {{"f", "geojson"}, {"dry_run", "true"}},
                                json{{"type", "FeatureCollection"}, {"features", json::array()}}.dump());
             }});
        add({"GET", "/api/v1/towns/{town}/grids/export", k_everyone, true, false,
             get("/api/v1/towns/{town}/grids/export", {{"f", "geojson"}})});
        for (std::string p : {"/tiles/{layer}/{z}/{x}/{y}.png", "/tiles/{layer}/{z}/{x}/{y}@2x.png"})
            add({"GET", p, k_everyone, true, false,
                 get(p.find("@2x") != std::string::npos ? "/tiles/grids/12/3430/1705@2x.png" : "/tiles/grids/12/3430/1705.png",
                     {{"town", "{town}"}})});
        add({"GET", "/tiles/{layer}.json", k_everyone, true, false, get("/tiles/reports.json", {{"town", "{town}"}})});
        add({"GET", "/api/v1/maps/static.png", k_everyone, true, false,
             get("/api/v1/maps/static.png", {{"town", "{town}"}, {"layers", "grids"}, {"width", "64"}, {"height", "64"}})});
        const std::set<Role> analysts{Role::leader, Role::command};
        add({"GET", "/api/v1/analytics/completion", analysts, true, false, get("/api/v1/analytics/completion", {{"town", "{town}"}, {"from", month}, {"to", next_month}})});
        add({"GET", "/api/v1/analytics/hotspots", analysts, true, false, get("/api/v1/analytics/hotspots", {{"town", "{town}"}, {"from", month}, {"to", next_month}})});
        add({"GET", "/api/v1/analytics/trends", analysts, true, false,
             get("/api/v1/analytics/trends", {{"town", "{town}"}, {"end", month}, {"months", "3"}})});
        add({"GET", "/api/v1/meetings/{town}/{month}", analysts, true, false,
             get("/api/v1/meetings/{town}/" + month, {{"f", "json"}})});
        add({"GET", "/ogc", k_everyone, false, false, get("/ogc")});
        add({"GET", "/ogc/conformance", k_everyone, false, false, get("/ogc/conformance")});
        add({"GET", "/ogc/collections", k_everyone, false, false, get("/ogc/collections")});
        add({"GET", "/ogc/collections/{collection}", k_everyone, false, false, get("/ogc/collections/grids")});
        // Items are filtered to the token's towns rather than refused.
        add({"GET", "/ogc/collections/{collection}/items", k_everyone, false, false,
             get("/ogc/collections/grids/items", {{"limit", "5"}})});
        Row item{"GET", "/ogc/collections/{collection}/items/{featureId}", k_everyone, true, false,
                 get("/ogc/collections/grids/items/{grid}")};
        item.other_town_hidden = true;
        add(item);
        add({"GET", "/api/v1/audit", {}, false, false, get("/api/v1/audit", {{"limit", "5"}})});
        return out;
    }
};

std::string describe(const Row& row, const std::string& who, const std::string& town) {
    return row.method + " " + row.pattern + " as " + who + " in " + town;
}

// The status that counts: a batch answers 200 and refuses item by item.
int effective_status(const Row& row, const api::Response& r) {
    if (row.pattern == "/api/v1/reports:batch" && r.status == 200) {
        const auto j = json::parse(r.body);
        return j.at("results").at(0).at("http_status").get<int>();
    }
    return r.status;
}

}  // namespace

TEST_F(AccessMatrix, EveryRouteEveryRoleEveryTown) {
    const auto table = rows();

    // Every route of the router has exactly one row, and every row a route.
    std::set<std::pair<std::string, std::string>> in_router, in_table;
    for (const auto& route : service.router().routes()) in_router.insert({route.method, route.pattern});
    for (const auto& row : table) EXPECT_TRUE(in_table.insert({row.method, row.pattern}).second) << "two rows for " << row.pattern;
    for (const auto& r : in_router) EXPECT_TRUE(in_table.count(r)) << "no access row for " << r.first << " " << r.second;
    for (const auto& r : in_table) EXPECT_TRUE(in_router.count(r)) << "a row for a route that does not exist: " << r.second;

    std::map<std::string, std::string> tokens;
    std::map<std::string, Role> roles;
    for (auto role : {Role::grid_worker, Role::command, Role::platform, Role::leader, Role::gis_admin, Role::admin}) {
        const std::string name = "matrix-" + std::string(role_name(role));
        // Admin covers every town whatever its list says; the others are tashi's.
        tokens[name] = token(role, {k_own}, name);
        roles[name] = role;
    }
    const auto revoked = token(Role::admin, {}, "matrix-revoked");
    ASSERT_EQ(data::revoke_token_by_name(t.db(), "matrix-revoked"), 1);

    int checked = 0;
    for (const auto& row : table) {
        for (const std::string town : {k_own, k_other}) {
            // No token, and a revoked one: 401 on every token route; open routes answer.
            for (const auto& bearer : {std::string(), revoked}) {
                auto req = row.make(town);
                if (!bearer.empty()) req.headers["authorization"] = "Bearer " + bearer;
                const auto before = row.write ? test::database_digest(t) : std::string();
                const auto r = service.handle(req);
                const auto who = bearer.empty() ? std::string("no token") : std::string("a revoked token");
                if (row.open) {
                    EXPECT_EQ(r.status, 200) << describe(row, who, town) << ": " << r.body;
                } else {
                    EXPECT_EQ(r.status, 401) << describe(row, who, town) << ": " << r.body;
                    EXPECT_EQ(r.content_type, "application/problem+json");
                }
                if (row.write) {
                    EXPECT_EQ(test::database_digest(t), before) << describe(row, who, town) << " wrote";
                }
                ++checked;
            }
            if (row.open) continue;
            for (const auto& [name, bearer] : tokens) {
                const auto role = roles[name];
                Expect expect = Expect::allowed;
                if (role != Role::admin && !row.roles.count(role)) expect = Expect::forbidden;
                else if (role != Role::admin && row.town_scoped && town == k_other)
                    expect = row.other_town_hidden ? Expect::hidden : Expect::forbidden;
                auto req = row.make(town);
                req.headers["authorization"] = "Bearer " + bearer;
                const bool refused = expect != Expect::allowed;
                const auto before = row.write && refused ? test::database_digest(t) : std::string();
                const auto r = service.handle(req);
                const int status = effective_status(row, r);
                const auto what = describe(row, name, town);
                switch (expect) {
                case Expect::allowed:
                    EXPECT_TRUE(status != 401 && status != 403 && status < 500) << what << ": " << status << " " << r.body;
                    break;
                case Expect::forbidden:
                    EXPECT_EQ(status, 403) << what << ": " << r.body;
                    if (role != Role::admin && !row.roles.count(role) && row.method == "GET") {
                        // The role is checked before the parameters: no query at all is
                        // still a 403, not a 400 that describes a valid request.
                        auto bare = req;
                        bare.query.clear();
                        const auto b = service.handle(bare);
                        EXPECT_EQ(b.status, 403) << what << " without parameters: " << b.body;
                    }
                    break;
                case Expect::hidden:
                    EXPECT_TRUE(status == 403 || status == 404) << what << ": " << status << " " << r.body;
                    break;
                }
                if (refused && status == r.status) {
                    EXPECT_EQ(r.content_type, "application/problem+json") << what;
                }
                if (row.write && refused) {
                    EXPECT_EQ(test::database_digest(t), before) << what << " wrote although refused";
                }
                ++checked;
            }
        }
    }
    EXPECT_GT(checked, 500);
}
