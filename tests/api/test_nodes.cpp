// Two `wangge serve` nodes on one database (issue 13): what one node, the CLI or psql
// changes reaches the other node's in-process copies, and no report is ever stored
// against a grid version that a committed edit had already superseded.

#include "core/principal.hpp"
#include "data/db.hpp"
#include "data/token_store.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/ingest_load.hpp"
#include "tests/support/process.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include <atomic>
#include <chrono>
#include <thread>

using namespace wangge;
using nlohmann::json;
using test::fetch;

namespace {

using Clock = std::chrono::steady_clock;

std::string scalar(data::Database& db, const std::string& sql) {
    std::string out;
    db.run([&](pqxx::connection_base& c) {
        pqxx::nontransaction tx(c);
        auto r = tx.exec(sql);
        if (!r.empty() && !r[0][0].is_null()) out = r[0][0].as<std::string>();
    });
    return out;
}

std::string token(data::Database& db, Role role, const std::string& name = {}) {
    data::TokenSpec spec;
    spec.role = role;
    spec.name = name;
    return data::create_token(db, spec);
}

// Seconds until `ok()` holds, polled every 20 ms; -1 when it did not within `limit`.
template <class F>
double seconds_until(F ok, double limit = 20) {
    const auto start = Clock::now();
    while (!ok()) {
        if (std::chrono::duration<double>(Clock::now() - start).count() > limit) return -1;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return std::chrono::duration<double>(Clock::now() - start).count();
}

// A private cluster that keeps commit timestamps, so the test can tell which commit came
// first; the demo data loaded after the switch.
struct TwoNodeSetup {
    test::PrivateCluster cluster;
    std::unique_ptr<data::Database> db;
    TwoNodeSetup() {
        {
            data::Database admin(cluster.conninfo(), 1);
            admin.run([](pqxx::connection_base& c) { pqxx::nontransaction(c).exec("ALTER SYSTEM SET track_commit_timestamp = on"); });
        }
        cluster.stop();
        cluster.start();
        db = std::make_unique<data::Database>(cluster.conninfo(), 4);
        test::load_small_demo(*db);
    }
};

}  // namespace

// Node A moves a shared edge while node B keeps taking reports inside the moved strip.
// Every stored report's grid version must have been the current one when the report's
// transaction committed, and open reports end up where PostGIS puts them.
TEST(TwoNodes, ARedrawOnOneNodeNeverLetsTheOtherStoreReportsInTheOldGrid) {
    TwoNodeSetup s;
    auto& db = *s.db;
    const auto gis = token(db, Role::gis_admin);
    const auto command = token(db, Role::command);
    // One token posts for every client thread: the per-token limiter (tested on its own in
    // test_access) would answer 429.
    test::ServeProcess a(s.cluster.conninfo(), {"--rate-limit", "0"}), b(s.cluster.conninfo(), {"--rate-limit", "0"});

    // Two tashi grids with a long shared edge; the strip of the first along it moves over.
    const auto pair = scalar(db,
        "SELECT x.id || ' ' || y.id FROM grids x JOIN grids y ON x.town = y.town AND x.id < y.id "
        "AND x.valid_to IS NULL AND y.valid_to IS NULL AND ST_Intersects(x.geom, y.geom) "
        "WHERE x.town = 'tashi' AND ST_Length(ST_Transform(ST_Intersection(x.geom, y.geom), 4549)) > 300 "
        "ORDER BY x.id, y.id LIMIT 1");
    ASSERT_FALSE(pair.empty());
    const auto ga = pair.substr(0, pair.find(' ')), gb = pair.substr(pair.find(' ') + 1);
    const auto cur = [](const std::string& id) { return "(SELECT geom FROM grids WHERE id = '" + id + "' AND valid_to IS NULL)"; };
    const auto strip = "ST_Intersection(" + cur(ga) + ", ST_Buffer(ST_Intersection(" + cur(ga) + ", " + cur(gb) + "), 0.0004))";
    const auto geojson = [&](const std::string& sql) { return json::parse(scalar(db, "SELECT ST_AsGeoJSON(" + sql + ", 15)")); };
    const auto new_a = geojson("ST_Difference(" + cur(ga) + ", " + strip + ")");
    const auto new_b = geojson("ST_Union(" + cur(gb) + ", " + strip + ")");
    // Points well inside the strip (1 m from its edges): grid a before, grid b after.
    std::vector<std::pair<double, double>> points;
    db.run([&](pqxx::connection_base& c) {
        pqxx::nontransaction tx(c);
        for (const auto& r : tx.exec("SELECT ST_X(p.geom), ST_Y(p.geom) FROM ST_Dump(ST_GeneratePoints(ST_Buffer(" + strip +
                                     ", -0.00001), 40, 7)) p"))
            points.emplace_back(r[0].as<double>(), r[1].as<double>());
    });
    ASSERT_EQ(points.size(), 40u);

    // Node B learns its index (first report), then reports keep coming into the strip.
    ASSERT_EQ(fetch(b.base() + "/api/v1/reports", command, "POST", test::report_body(points[0], "warm-up")).status, 201) << b.log();
    const std::string run = test::unique_run("nodes");
    test::PostingClients clients(b.base(), command, points, run, 3, 20, 5);
    ASSERT_TRUE(clients.wait_acknowledged(10, 60)) << b.log();

    const json body{{"type", "FeatureCollection"},
                    {"features",
                     {{{"type", "Feature"}, {"geometry", new_a}, {"properties", {{"id", ga}, {"version", 1}}}},
                      {{"type", "Feature"}, {"geometry", new_b}, {"properties", {{"id", gb}, {"version", 1}}}}}}};
    const auto edit = fetch(a.base() + "/api/v1/towns/tashi/grids", gis, "PUT", body.dump(), 60);
    ASSERT_EQ(edit.status, 200) << edit.body << a.log();
    const auto acked_at_edit = clients.ledger().acknowledged();
    ASSERT_TRUE(clients.wait_acknowledged(acked_at_edit + 20, 60)) << b.log();
    clients.stop();

    // Every acknowledged report stored, nothing else went wrong.
    const auto losses = test::check_losses(db, run, clients.ledger());
    EXPECT_EQ(losses.missing_singles + losses.missing_batches + losses.half_batches, 0) << losses.sample;
    EXPECT_EQ(clients.ledger().unexpected, 0) << clients.ledger().unexpected_sample;

    // The rule, by commit order: a report committed after the edit must not point at a
    // version the edit superseded (nor, trivially, at one committed after it).
    const auto where = "r.client_id LIKE '" + run + "%'";
    const auto violations = scalar(db,
        "SELECT count(*) FROM reports r JOIN grids g ON g.town = r.town AND g.id = r.grid AND g.version = r.grid_version "
        "LEFT JOIN grids n ON n.town = g.town AND n.id = g.id AND n.version = g.version + 1 WHERE " + where +
        " AND (pg_xact_commit_timestamp(r.xmin) < pg_xact_commit_timestamp(g.xmin) "
        "     OR (n.id IS NOT NULL AND pg_xact_commit_timestamp(r.xmin) > pg_xact_commit_timestamp(n.xmin)))");
    EXPECT_EQ(violations, "0") << "node B:\n" << b.log();
    // Both sides of the edit were exercised: at least ten acknowledged before it (and
    // re-assigned by it), and reports that node B assigned itself after it, to the new b.
    const auto after_edit = scalar(db,
        "SELECT count(*) FROM reports r WHERE " + where + " AND r.grid = '" + gb + "' AND r.grid_version = 2 "
        "AND pg_xact_commit_timestamp(r.xmin) > (SELECT pg_xact_commit_timestamp(xmin) FROM grids WHERE id = '" + gb +
        "' AND version = 2)");
    EXPECT_GT(std::stoi(after_edit), 0);
    // Open reports agree with PostGIS on the current grids.
    EXPECT_EQ(scalar(db,
                     "SELECT count(*) FROM reports r WHERE " + where + " AND NOT EXISTS (SELECT 1 FROM grids g WHERE "
                     "g.valid_to IS NULL AND g.town = r.town AND g.id = r.grid AND g.version = r.grid_version "
                     "AND ST_Covers(g.geom, r.geom))"),
              "0");
    const auto metrics = fetch(b.base() + "/metrics").body;
    EXPECT_NE(metrics.find("wangge_grid_index_refreshes_total"), std::string::npos);
    std::cerr << "two nodes: " << losses.acknowledged_singles << " singles and " << losses.acknowledged_batches
              << " batches acknowledged by node B around the edit on node A; " << after_edit
              << " stored after the edit, all in the new grid\n";
}

// Categories, the calendar and revocations written elsewhere reach node B, also after its
// listening connection was cut (a lost notification must not leave it stale).
TEST(TwoNodes, CatalogueCalendarAndRevocationsReachTheOtherNode) {
    TwoNodeSetup s;
    auto& db = *s.db;
    const auto command = token(db, Role::command);
    test::ServeProcess b(s.cluster.conninfo(), {"--rate-limit", "0"});
    const auto p = test::grid_points(db, 1).front();
    auto post = [&](const std::string& id, const std::string& category) {
        auto body = json::parse(test::report_body(p, id));
        body["category"] = category;
        return fetch(b.base() + "/api/v1/reports", command, "POST", body.dump());
    };
    ASSERT_EQ(post("warm", "shehui_zhian").status, 201) << b.log();  // B has loaded its copies
    ASSERT_EQ(post("before", "ceshi_leibie").status, 400);

    // A category added with psql, as an operator would.
    scalar(db, "INSERT INTO categories (code, name, platform, time_limit_workdays) "
               "VALUES ('ceshi_leibie', '测试类别', 'bianmin', 2)");
    int n = 0;
    const double category_s = seconds_until([&] { return post("cat" + std::to_string(n++), "ceshi_leibie").status == 201; });
    EXPECT_GE(category_s, 0) << "the new category never reached node B";

    // The calendar: the next 40 days become holidays; a dispatch on B must skip them.
    scalar(db, "INSERT INTO holidays (day, kind, name) SELECT d::date, 'holiday', '测试假期' FROM generate_series("
               "(now() AT TIME ZONE 'Asia/Shanghai')::date, (now() AT TIME ZONE 'Asia/Shanghai')::date + 40, '1 day') d "
               "ON CONFLICT (day) DO UPDATE SET kind = 'holiday', name = EXCLUDED.name");
    const auto holidays_end = scalar(db, "SELECT extract(epoch FROM ((now() AT TIME ZONE 'Asia/Shanghai')::date + 41) "
                                         "AT TIME ZONE 'Asia/Shanghai')::bigint");
    int k = 0;
    const double calendar_s = seconds_until([&] {
        const auto created = json::parse(post("cal" + std::to_string(k++), "shehui_zhian").body);
        const auto id = std::to_string(created.at("id").get<long long>());
        const auto events = b.base() + "/api/v1/reports/" + id + "/events";
        if (fetch(events, command, "POST", R"({"action":"accept"})").status != 201) return false;
        const auto d = fetch(events, command, "POST", R"({"action":"dispatch","platform":"zongzhi"})");
        if (d.status != 201) return false;
        const auto due = scalar(db, "SELECT extract(epoch FROM due_at)::bigint FROM reports WHERE id = " + id);
        return std::stoll(due) >= std::stoll(holidays_end);
    });
    EXPECT_GE(calendar_s, 0) << "node B kept the old calendar";

    // A token revoked by the CLI's code path is refused by B.
    const auto doomed = token(db, Role::command, "doomed");
    ASSERT_EQ(fetch(b.base() + "/api/v1/me", doomed).status, 200);
    ASSERT_EQ(data::revoke_token_by_name(db, "doomed"), 1);
    const double revoke_s = seconds_until([&] { return fetch(b.base() + "/api/v1/me", doomed).status == 401; });
    EXPECT_GE(revoke_s, 0);

    // Cut B's listening connection and change something at once: the reconnect hands every
    // topic out again, so the change is seen although its notification went nowhere.
    const auto killed = scalar(db, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                   "WHERE application_name = 'wangge-change-feed'");
    EXPECT_EQ(killed, "1");
    scalar(db, "INSERT INTO categories (code, name, platform, time_limit_workdays) "
               "VALUES ('ceshi_leibie_er', '测试类别二', 'bianmin', 2)");
    int m = 0;
    const double reconnect_s = seconds_until([&] { return post("again" + std::to_string(m++), "ceshi_leibie_er").status == 201; });
    EXPECT_GE(reconnect_s, 0) << "node B missed a category added while its feed was reconnecting";
    EXPECT_EQ(fetch(b.base() + "/metrics").body.find("wangge_change_feed_events_total{by=\"reconnect\"} 0"), std::string::npos)
        << "the feed never noticed it was cut";
    EXPECT_EQ(fetch(b.base() + "/readyz").status, 200);
    std::cerr << "two nodes: category seen by node B after " << category_s << " s, calendar after " << calendar_s
              << " s, revocation after " << revoke_s << " s, a change during a feed reconnect after " << reconnect_s << " s\n";
}

// Every writer moves a town's grid generation: a grid edit through SQL (psql, the CLI)
// and a new town outline, each under the town's advisory lock, and only that town's.
TEST(TwoNodes, EveryWriteOfAGridOrAnOutlineMovesOnlyItsTownsGeneration) {
    TwoNodeSetup s;
    auto& db = *s.db;
    auto gen = [&](const std::string& town) {
        return std::stoll(scalar(db, "SELECT grid_generation FROM towns WHERE town = '" + town + "'"));
    };
    const auto tashi = gen("tashi"), chengdong = gen("chengdong");
    scalar(db, "UPDATE grids SET name = name || '' WHERE town = 'tashi' AND valid_to IS NULL AND id = 'tashi-001'");
    const auto tashi2 = gen("tashi");
    EXPECT_GT(tashi2, tashi);
    EXPECT_EQ(gen("chengdong"), chengdong);
    scalar(db, "UPDATE towns SET geom = geom WHERE town = 'chengdong'");
    EXPECT_GT(gen("chengdong"), chengdong);
    EXPECT_EQ(gen("tashi"), tashi2);
    const auto counter = std::stoll(scalar(db, "SELECT seq FROM change_counters WHERE topic = 'grids'"));
    scalar(db, "INSERT INTO categories (code, name, platform, time_limit_workdays) VALUES ('gen_test', '测试', 'bianmin', 1)");
    EXPECT_EQ(std::stoll(scalar(db, "SELECT seq FROM change_counters WHERE topic = 'grids'")), counter);
}
