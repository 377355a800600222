// Re-drawing grids against the real PostGIS: a shared edge moved in one batch, the same
// change refused as two single PUTs, split, merge, retire, invalid drawings, If-Match,
// history and ?at=, re-assignment of open reports and the switch of the grid index.

#include "api/service.hpp"
#include "data/token_store.hpp"
#include "tests/support/test_db.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using namespace wangge;
using nlohmann::json;

namespace {

class Grids : public ::testing::Test {
protected:
    test::TestDatabase& t = test::demo_database();
    api::Service service{t.db()};
    static inline int instances = 0;
    std::string gis_name = "gis-li-" + std::to_string(++instances);
    std::string gis = token(Role::gis_admin, gis_name);
    std::string command = token(Role::command, {});

    std::string token(Role role, const std::string& name) {
        data::TokenSpec spec;
        spec.role = role;
        spec.name = name;
        return data::create_token(t.db(), spec);
    }

    api::Response call(const std::string& method, const std::string& path, const std::string& body = {},
                       std::map<std::string, std::string> headers = {}, const std::string& bearer = {}) {
        api::Request r;
        r.method = method;
        r.path = path;
        r.headers = std::move(headers);
        r.headers["authorization"] = "Bearer " + (bearer.empty() ? gis : bearer);
        if (!body.empty()) r.headers["content-type"] = "application/json";
        r.body = body;
        return service.handle(r);
    }

    json geometry(const std::string& sql) { return json::parse(t.scalar("SELECT ST_AsGeoJSON(" + sql + ", 15)")); }

    static json feature(const std::string& id, const json& geom, std::optional<int> version, bool retired = false) {
        json props = json::object();
        if (!id.empty()) props["id"] = id;
        if (version) props["version"] = *version;
        if (retired) props["retired"] = true;
        return {{"type", "Feature"}, {"geometry", geom}, {"properties", props}};
    }

    // Two grids of a town that share an edge of some length, smallest ids first.
    std::pair<std::string, std::string> neighbours(const std::string& town, int skip = 0) {
        const auto pair = t.scalar(
            "SELECT a.id || ' ' || b.id FROM grids a JOIN grids b ON a.town = b.town AND a.id < b.id "
            "AND a.valid_to IS NULL AND b.valid_to IS NULL AND ST_Intersects(a.geom, b.geom) "
            "WHERE a.town = '" + town + "' AND ST_Length(ST_Transform(ST_Intersection(a.geom, b.geom), 4549)) > 300 "
            "ORDER BY a.id, b.id OFFSET " + std::to_string(skip) + " LIMIT 1");
        const auto space = pair.find(' ');
        return {pair.substr(0, space), pair.substr(space + 1)};
    }

    // The strip of grid a within ~40 m of its edge with b: what moving that edge hands to b.
    std::string strip(const std::string& a, const std::string& b) {
        return "ST_Intersection((SELECT geom FROM grids WHERE id = '" + a + "' AND valid_to IS NULL), "
               "ST_Buffer((SELECT ST_Intersection(x.geom, y.geom) FROM grids x, grids y WHERE x.id = '" + a +
               "' AND y.id = '" + b + "' AND x.valid_to IS NULL AND y.valid_to IS NULL), 0.0004))";
    }
    std::string current(const std::string& id) { return "(SELECT geom FROM grids WHERE id = '" + id + "' AND valid_to IS NULL)"; }
};

}  // namespace

TEST_F(Grids, MovingASharedEdgeInOneBatchBumpsBothVersionsAndReassignsOpenReports) {
    const auto [a, b] = neighbours("tashi");
    const auto x = strip(a, b);
    const auto new_a = geometry("ST_Difference(" + current(a) + ", " + x + ")");
    const auto new_b = geometry("ST_Union(" + current(b) + ", " + x + ")");
    // Open reports of a inside the strip: they must follow it to b.
    const auto open_in_strip = t.scalar("SELECT count(*) FROM reports WHERE grid = '" + a + "' AND status NOT IN ('closed', 'rejected') "
                                        "AND ST_Covers(" + x + ", geom) AND ST_Distance(ST_Transform(geom, 4549), "
                                        "ST_Transform(ST_Boundary(" + x + "), 4549)) > 0.1");
    // Put an open report and a closed one in the strip first.
    const auto px = t.scalar("SELECT ST_X(ST_PointOnSurface(" + x + "))"), py = t.scalar("SELECT ST_Y(ST_PointOnSurface(" + x + "))");
    auto post = [&](const std::string& key) {
        return json::parse(call("POST", "/api/v1/reports",
                                json{{"lon", std::stod(px)}, {"lat", std::stod(py)}, {"client_id", key}, {"category", "shehui_zhian"}}.dump(),
                                {}, command)
                               .body);
    };
    const auto open = post("grid-edit-open-" + std::to_string(::getpid()));
    const auto closed = post("grid-edit-closed-" + std::to_string(::getpid()));
    ASSERT_EQ(open.at("grid").at("id"), a);
    ASSERT_EQ(call("POST", "/api/v1/reports/" + std::to_string(closed.at("id").get<long long>()) + "/events",
                   R"({"action":"resolve_on_site"})", {}, command).status, 201);

    const json body{{"type", "FeatureCollection"}, {"features", {feature(a, new_a, 1), feature(b, new_b, 1)}}};
    auto r = call("PUT", "/api/v1/towns/tashi/grids", body.dump());
    ASSERT_EQ(r.status, 200) << r.body;
    const auto out = json::parse(r.body);
    ASSERT_EQ(out.at("grids").size(), 2u);
    for (const auto& g : out.at("grids")) EXPECT_EQ(g.at("properties").at("version"), 2);
    EXPECT_EQ(out.at("reassigned_reports"), std::stoi(open_in_strip) + 1);

    // The open report followed the edge; the closed one keeps the version it was handled in.
    const auto open_id = std::to_string(open.at("id").get<long long>());
    const auto closed_id = std::to_string(closed.at("id").get<long long>());
    EXPECT_EQ(t.scalar("SELECT grid || ' ' || grid_version FROM reports WHERE id = " + open_id), b + " 2");
    EXPECT_EQ(t.scalar("SELECT grid || ' ' || grid_version FROM reports WHERE id = " + closed_id), a + " 1");
    // A report posted right after the edit lands in the new grid.
    const auto after = post("grid-edit-after-" + std::to_string(::getpid()));
    EXPECT_EQ(after.at("grid").at("id"), b);
    EXPECT_EQ(after.at("grid").at("version"), 2);

    // History and ?at= still have the old drawing.
    const auto history = json::parse(call("GET", "/api/v1/grids/" + a + "/history").body);
    ASSERT_EQ(history.at("features").size(), 2u);
    EXPECT_EQ(history.at("features")[0].at("properties").at("version"), 2);
    EXPECT_EQ(history.at("features")[1].at("properties").at("version"), 1);
    EXPECT_FALSE(history.at("features")[1].at("properties").at("valid_to").is_null());
    api::Request at;
    at.method = "GET";
    at.path = "/api/v1/towns/tashi/grids";
    at.query = {{"at", "2026-01-01T00:00:00+08:00"}};
    at.headers["authorization"] = "Bearer " + gis;
    const auto then = json::parse(service.handle(at).body);
    for (const auto& f : then.at("features"))
        if (f.at("id") == a) {
            EXPECT_EQ(f.at("properties").at("version"), 1);
        }
    EXPECT_EQ(t.scalar("SELECT count(*) FROM audit_log WHERE actor = '" + gis_name + "' AND role = 'gis_admin' AND action = 'grids.edit'"),
              "1");
}

TEST_F(Grids, TheSameChangeAsTwoSinglePutsIsRefusedAtTheFirst) {
    const auto [a, b] = neighbours("chengdong");
    const auto x = strip(a, b);
    const auto strip_m2 = std::stod(t.scalar("SELECT ST_Area(ST_Transform(" + x + ", 4549))"));
    const auto new_a = geometry("ST_Difference(" + current(a) + ", " + x + ")");
    auto r = call("PUT", "/api/v1/grids/" + a, feature("", new_a, std::nullopt).dump(), {{"if-match", "\"1\""}});
    ASSERT_EQ(r.status, 422) << r.body;
    const auto problem = json::parse(r.body);
    ASSERT_FALSE(problem.at("problems").empty());
    const auto& gap = problem.at("problems")[0];
    EXPECT_EQ(gap.at("kind"), "gap");
    EXPECT_EQ(gap.at("grid"), a);
    EXPECT_NEAR(gap.at("area_m2").get<double>(), strip_m2, 2.0);
    EXPECT_TRUE(gap.at("location").contains("type"));
    EXPECT_EQ(t.scalar("SELECT version FROM grids WHERE id = '" + a + "' AND valid_to IS NULL"), "1") << "nothing written";

    const auto new_b = geometry("ST_Union(" + current(b) + ", " + x + ")");
    auto rb = call("PUT", "/api/v1/grids/" + b, feature("", new_b, std::nullopt).dump(), {{"if-match", "1"}});
    ASSERT_EQ(rb.status, 422);
    EXPECT_EQ(json::parse(rb.body).at("problems")[0].at("kind"), "overlap");
    EXPECT_NEAR(json::parse(rb.body).at("problems")[0].at("area_m2").get<double>(), strip_m2, 2.0);
}

TEST_F(Grids, SplitMergeAndRetire) {
    const auto before = std::stoi(t.scalar("SELECT count(*) FROM grids WHERE town = 'jiangtang' AND valid_to IS NULL"));
    // Split the first grid along a chord between two of its own vertices, so the two
    // parts share that chord exactly and together are exactly the grid.
    const std::string g = "jiangtang-001";
    const auto ring = geometry(current(g)).at("coordinates")[0];
    const std::size_t n = ring.size() - 1, half = n / 2;
    json west_ring = json::array(), east_ring = json::array();
    for (std::size_t i = 0; i <= half; ++i) west_ring.push_back(ring[i]);
    west_ring.push_back(ring[0]);
    for (std::size_t i = half; i <= n; ++i) east_ring.push_back(ring[i]);
    east_ring.push_back(ring[half]);
    const json west{{"type", "Polygon"}, {"coordinates", {west_ring}}};
    const json east{{"type", "Polygon"}, {"coordinates", {east_ring}}};
    auto split = call("PUT", "/api/v1/towns/jiangtang/grids",
                      json{{"type", "FeatureCollection"}, {"features", {feature(g, west, 1), feature("", east, std::nullopt)}}}.dump());
    ASSERT_EQ(split.status, 200) << split.body;
    const auto new_id = json::parse(split.body).at("grids")[1].at("id").get<std::string>();
    EXPECT_EQ(new_id, "jiangtang-058");
    EXPECT_EQ(std::stoi(t.scalar("SELECT count(*) FROM grids WHERE town = 'jiangtang' AND valid_to IS NULL")), before + 1);

    // Merge the new grid back into its parent: one grows, one retires.
    auto merge = call("PUT", "/api/v1/towns/jiangtang/grids",
                      json{{"type", "FeatureCollection"},
                           {"features", {feature(g, geometry("ST_Union(" + current(g) + ", " + current(new_id) + ")"), 2),
                                         feature(new_id, nullptr, 1, true)}}}
                          .dump());
    ASSERT_EQ(merge.status, 200) << merge.body;
    EXPECT_EQ(std::stoi(t.scalar("SELECT count(*) FROM grids WHERE town = 'jiangtang' AND valid_to IS NULL")), before);
    EXPECT_EQ(t.scalar("SELECT count(*) FROM grids WHERE id = '" + new_id + "' AND valid_to IS NULL"), "0");

    // Retiring a grid on its own leaves a hole.
    auto retire = call("DELETE", "/api/v1/grids/jiangtang-030");
    ASSERT_EQ(retire.status, 422) << retire.body;
    EXPECT_EQ(json::parse(retire.body).at("problems")[0].at("kind"), "gap");
}

TEST_F(Grids, InvalidDrawingsAreRefusedWithGeosReasonAndLocation) {
    const auto [a, b] = neighbours("bailongqiao");
    (void)b;
    const auto bbox = t.scalar("SELECT ST_XMin(g.geom) || ' ' || ST_YMin(g.geom) || ' ' || ST_XMax(g.geom) || ' ' || ST_YMax(g.geom) FROM " + current(a) + " g");
    std::istringstream in(bbox);
    double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
    in >> x0 >> y0 >> x1 >> y1;
    // A bow tie.
    const json bowtie{{"type", "Polygon"}, {"coordinates", {{{x0, y0}, {x1, y1}, {x1, y0}, {x0, y1}, {x0, y0}}}}};
    auto r = call("PUT", "/api/v1/grids/" + a, feature("", bowtie, std::nullopt).dump(), {{"if-match", "\"1\""}});
    ASSERT_EQ(r.status, 422) << r.body;
    const auto p = json::parse(r.body).at("problems")[0];
    EXPECT_EQ(p.at("kind"), "invalid_geometry");
    EXPECT_NE(p.at("detail").get<std::string>().find("Self-intersection"), std::string::npos) << p.dump();
    EXPECT_EQ(p.at("location").at("type"), "Point");

    const json line{{"type", "LineString"}, {"coordinates", {{x0, y0}, {x1, y1}}}};
    EXPECT_EQ(json::parse(call("PUT", "/api/v1/grids/" + a, feature("", line, std::nullopt).dump(), {{"if-match", "1"}}).body)
                  .at("problems")[0].at("kind"),
              "not_polygon");

    // Reaching 1 km out of the town.
    const json far{{"type", "Polygon"}, {"coordinates", {{{x0, y0}, {x1 + 0.05, y0}, {x1 + 0.05, y1}, {x0, y1}, {x0, y0}}}}};
    const auto outside = json::parse(call("PUT", "/api/v1/grids/" + a, feature("", far, std::nullopt).dump(), {{"if-match", "1"}}).body);
    bool found = false;
    for (const auto& q : outside.at("problems")) found |= q.at("kind") == "outside_town" && q.at("area_m2").get<double>() > 1000;
    EXPECT_TRUE(found) << outside.dump();
}

TEST_F(Grids, StaleOrMissingVersionsAre412AndWrongRolesAre403) {
    const auto g = geometry(current("tashi-010"));
    EXPECT_EQ(call("PUT", "/api/v1/grids/tashi-010", feature("", g, std::nullopt).dump(), {{"if-match", "\"7\""}}).status, 412);
    EXPECT_EQ(call("PUT", "/api/v1/grids/tashi-010", feature("", g, std::nullopt).dump()).status, 412);
    EXPECT_EQ(call("PUT", "/api/v1/towns/tashi/grids",
                   json{{"type", "FeatureCollection"}, {"features", {feature("tashi-010", g, 3)}}}.dump())
                  .status,
              412);
    EXPECT_EQ(call("PUT", "/api/v1/grids/tashi-010", feature("", g, std::nullopt).dump(), {{"if-match", "1"}},
                   token(Role::leader, "boss-" + gis_name))
                  .status,
              403);
    EXPECT_EQ(call("PUT", "/api/v1/grids/tashi-999", feature("", g, std::nullopt).dump(), {{"if-match", "1"}}).status, 404);
    EXPECT_EQ(call("PUT", "/api/v1/towns/tashi/grids", R"({"type":"Feature"})").status, 400);
    // Same geometry, new name: a new version.
    auto renamed = call("PUT", "/api/v1/grids/tashi-010",
                        json{{"type", "Feature"}, {"geometry", nullptr}, {"properties", {{"name", "新名字网格"}}}}.dump(),
                        {{"if-match", "1"}});
    ASSERT_EQ(renamed.status, 200) << renamed.body;
    EXPECT_EQ(json::parse(renamed.body).at("grids")[0].at("properties").at("name"), "新名字网格");
    EXPECT_EQ(json::parse(renamed.body).at("grids")[0].at("properties").at("version"), 2);
}
