// No acknowledged report is lost: a real `wangge serve` child while its database restarts,
// while it is killed with SIGKILL mid-ingest, and while it drains on SIGTERM.

#include "core/principal.hpp"
#include "data/db.hpp"
#include "data/demo.hpp"
#include "data/migrate.hpp"
#include "data/token_store.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/process.hpp"
#include "tests/support/test_db.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>

using namespace wangge;
using nlohmann::json;
using test::fetch;

namespace {

// The migrated schema and a small demo load (grids, staff, a few reports) in `db`.
void load_small_demo(data::Database& db) {
    data::migrate(db, data::data_dir());
    data::DemoOptions options;
    options.seed = 11;
    options.reports = 200;
    options.until = std::chrono::year{2026} / std::chrono::month{6};
    options.cutoff = *parse_rfc3339("2026-06-20T12:00:00+08:00");
    data::load_demo_data(db, options, data::data_dir(), false);
}

std::string command_token(data::Database& db) {
    data::TokenSpec spec;
    spec.role = Role::command;
    return data::create_token(db, spec);
}

// Points inside some current grids (PointOnSurface), to spread reports over towns.
std::vector<std::pair<double, double>> grid_points(data::Database& db) {
    std::vector<std::pair<double, double>> out;
    db.run([&](pqxx::connection_base& c) {
        pqxx::nontransaction tx(c);
        for (const auto& r : tx.exec("SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM grids "
                                     "WHERE valid_to IS NULL ORDER BY id LIMIT 20) s"))
            out.emplace_back(r[0].as<double>(), r[1].as<double>());
    });
    return out;
}

json feature(const std::pair<double, double>& p, const std::string& client_id) {
    return {{"type", "Feature"},
            {"geometry", {{"type", "Point"}, {"coordinates", {p.first, p.second}}}},
            {"properties", {{"client_id", client_id}, {"category", "shehui_zhian"}}}};
}

std::string batch_body(const std::vector<std::pair<double, double>>& points, const std::string& prefix, int n) {
    json features = json::array();
    for (int i = 0; i < n; ++i) features.push_back(feature(points[static_cast<std::size_t>(i) % points.size()], prefix + "." + std::to_string(i)));
    return json{{"type", "FeatureCollection"}, {"features", features}}.dump();
}

// True when every item of a 200 batch answer is stored (201 new, 200 known).
bool batch_acknowledged(const test::HttpResult& r, int n) {
    if (r.status != 200) return false;
    const auto results = json::parse(r.body, nullptr, false);
    if (!results.is_object() || results.value("results", json::array()).size() != static_cast<std::size_t>(n)) return false;
    for (const auto& item : results["results"]) {
        const int s = item.value("http_status", 0);
        if (s != 201 && s != 200) return false;
    }
    return true;
}

// Reports stored per batch prefix ("<prefix>.<i>" → prefix), for ids starting with `run`.
std::map<std::string, int> stored_per_batch(data::Database& db, const std::string& run) {
    std::map<std::string, int> out;
    db.run([&](pqxx::connection_base& c) {
        pqxx::nontransaction tx(c);
        for (const auto& r : tx.exec_params("SELECT split_part(client_id, '.', 1), count(*) FROM reports "
                                            "WHERE client_id LIKE $1 || '%' GROUP BY 1",
                                            run))
            out[r[0].as<std::string>()] = r[1].as<int>();
    });
    return out;
}

std::set<std::string> stored_ids(data::Database& db, const std::string& run) {
    std::set<std::string> out;
    db.run([&](pqxx::connection_base& c) {
        pqxx::nontransaction tx(c);
        for (const auto& r : tx.exec_params("SELECT client_id FROM reports WHERE client_id LIKE $1 || '%'", run))
            out.insert(r[0].as<std::string>());
    });
    return out;
}

std::string unique_run(const std::string& what) {
    return what + std::to_string(::getpid()) + "x" + std::to_string(std::chrono::steady_clock::now().time_since_epoch().count() % 1000000);
}

// What the clients saw, shared between their threads.
struct Ledger {
    std::mutex mutex;
    std::set<std::string> acknowledged_singles;
    std::map<std::string, int> acknowledged_batches;  // prefix → size
    std::map<std::string, int> attempted_batches;
    std::map<long, int> statuses;
    std::vector<double> latencies_503;
    int unexpected = 0;  // answers that are neither success nor a 503 problem+json
    std::string unexpected_sample;

    void saw(const test::HttpResult& r) {
        std::lock_guard lock(mutex);
        ++statuses[r.status];
        if (r.status == 503) {
            latencies_503.push_back(r.seconds);
            if (r.headers.find("application/problem+json") == std::string::npos) ++unexpected;
        } else if (r.status != 200 && r.status != 201) {
            ++unexpected;
            if (unexpected_sample.empty()) unexpected_sample = std::to_string(r.status) + " " + r.body.substr(0, 300);
        }
    }
    int count(long status) {
        std::lock_guard lock(mutex);
        return statuses[status];
    }
};

}  // namespace

// The private cluster is stopped and started again under a running server: requests get a
// quick 503 meanwhile, the server recovers by itself, and every acknowledged report (single
// or batch) is stored, each batch all or nothing.
TEST(Reliability, DatabaseRestartLosesNoAcknowledgedReportAndTheServiceRecovers) {
    test::PrivateCluster cluster;
    data::Database db(cluster.conninfo(), 2);
    load_small_demo(db);
    const auto token = command_token(db);
    const auto points = grid_points(db);
    ASSERT_FALSE(points.empty());
    test::ServeProcess server(cluster.conninfo(), {"--threads", "8", "--db-pool", "8"});
    const std::string run = unique_run("rs");

    Ledger ledger;
    std::atomic<bool> stop{false};
    constexpr int k_batch = 50;
    std::vector<std::thread> clients;
    for (int t = 0; t < 4; ++t)
        clients.emplace_back([&, t] {
            for (int n = 0; !stop; ++n) {
                if (n % 2 == 0) {
                    const std::string id = run + "s" + std::to_string(t) + "n" + std::to_string(n);
                    const auto& p = points[static_cast<std::size_t>(n) % points.size()];
                    const auto body = json{{"lon", p.first}, {"lat", p.second}, {"client_id", id}, {"category", "shehui_zhian"}};
                    auto r = fetch(server.base() + "/api/v1/reports", token, "POST", body.dump(), 20);
                    ledger.saw(r);
                    if (r.status == 201 || r.status == 200) {
                        std::lock_guard lock(ledger.mutex);
                        ledger.acknowledged_singles.insert(id);
                    }
                } else {
                    const std::string prefix = run + "b" + std::to_string(t) + "n" + std::to_string(n);
                    {
                        std::lock_guard lock(ledger.mutex);
                        ledger.attempted_batches[prefix] = k_batch;
                    }
                    auto r = fetch(server.base() + "/api/v1/reports:batch", token, "POST", batch_body(points, prefix, k_batch), 20);
                    ledger.saw(r);
                    if (batch_acknowledged(r, k_batch)) {
                        std::lock_guard lock(ledger.mutex);
                        ledger.acknowledged_batches[prefix] = k_batch;
                    }
                }
                // A client that hears 503 waits as Retry-After says (a fraction here).
                std::this_thread::sleep_for(std::chrono::milliseconds(20));
            }
        });

    // Traffic flows first (the server loads its grid index on the first report).
    const auto acknowledged = [&] {
        std::lock_guard lock(ledger.mutex);
        return ledger.acknowledged_singles.size() + ledger.acknowledged_batches.size();
    };
    for (int i = 0; i < 600 && acknowledged() < 8; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    const auto before_outage = acknowledged();
    cluster.stop();
    std::this_thread::sleep_for(std::chrono::milliseconds(2500));
    const auto ready_down = fetch(server.base() + "/readyz", {}, "GET", {}, 10);
    const auto refused_during_outage = ledger.count(503);
    cluster.start();

    // Recovery without a restart: a new report is acknowledged again within seconds.
    const auto back = std::chrono::steady_clock::now();
    const auto created_at_restart = ledger.count(201);
    while (ledger.count(201) == created_at_restart && std::chrono::steady_clock::now() - back < std::chrono::seconds(20))
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const double recovery_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - back).count();
    std::this_thread::sleep_for(std::chrono::milliseconds(1000));
    stop = true;
    for (auto& c : clients) c.join();

    EXPECT_GE(before_outage, 8u) << server.log();
    EXPECT_EQ(ready_down.status, 503);
    EXPECT_GT(refused_during_outage, 0) << "requests during the outage must get 503";
    // Quickly, not after a hang: most at once, none near the clients' 20 s timeout (the
    // bounds leave room for a loaded 2-core CI machine).
    auto& l503 = ledger.latencies_503;
    std::sort(l503.begin(), l503.end());
    const double p90_503 = l503.empty() ? 0 : l503[l503.size() * 9 / 10];
    const double slowest_503 = l503.empty() ? 0 : l503.back();
    EXPECT_LT(p90_503, 2.5) << "503s must come quickly";
    EXPECT_LT(slowest_503, 10.0) << "a 503 must not hang";
    EXPECT_GT(ledger.count(201), created_at_restart) << "the service did not recover: " << server.log();
    EXPECT_LT(recovery_s, 10.0);
    EXPECT_EQ(ledger.unexpected, 0) << ledger.unexpected_sample << '\n' << server.log();
    EXPECT_EQ(ledger.count(0), 0) << "the server must answer every request, down database or not";
    EXPECT_EQ(fetch(server.base() + "/readyz").status, 200);
    EXPECT_EQ(server.process().wait(0), -1) << "the server must still run";

    const auto ids = stored_ids(db, run);
    const auto batches = stored_per_batch(db, run);
    int missing = 0;
    for (const auto& id : ledger.acknowledged_singles) missing += ids.contains(id) ? 0 : 1;
    EXPECT_EQ(missing, 0) << "of " << ledger.acknowledged_singles.size() << " acknowledged single reports";
    for (const auto& [prefix, n] : ledger.acknowledged_batches) {
        auto it = batches.find(prefix);
        EXPECT_EQ(it == batches.end() ? 0 : it->second, n) << "acknowledged batch " << prefix;
    }
    for (const auto& [prefix, n] : ledger.attempted_batches) {
        auto it = batches.find(prefix);
        const int stored = it == batches.end() ? 0 : it->second;
        EXPECT_TRUE(stored == 0 || stored == n) << "half-written batch " << prefix << ": " << stored << " of " << n;
    }
    std::cerr << "restart: " << ledger.acknowledged_singles.size() << " singles and " << ledger.acknowledged_batches.size()
              << " batches acknowledged, " << refused_during_outage << " answered 503 during the outage (p90 " << p90_503
              << " s, slowest " << slowest_503 << " s), recovered in " << recovery_s << " s\n";
}

// SIGKILL in the middle of batch ingest: every acknowledged batch is complete, every other
// batch is complete or absent, and a client retrying the lost ones gets them stored once.
TEST(Reliability, SigkillDuringBatchIngestLosesNoAcknowledgedBatch) {
    test::TestDatabase t("sigkill");
    load_small_demo(t.db());
    const auto token = command_token(t.db());
    const auto points = grid_points(t.db());
    const std::string run = unique_run("rk");
    Ledger ledger;
    {
        test::ServeProcess server(t.conninfo(), {"--threads", "4"});
        std::atomic<bool> stop{false};
        std::atomic<int> acked{0};
        std::vector<std::thread> clients;
        for (int c = 0; c < 3; ++c)
            clients.emplace_back([&, c] {
                for (int n = 0; !stop; ++n) {
                    const int size = 1000 + 1000 * ((c + n) % 5);  // 1,000 … 5,000
                    const std::string prefix = run + "c" + std::to_string(c) + "n" + std::to_string(n);
                    {
                        std::lock_guard lock(ledger.mutex);
                        ledger.attempted_batches[prefix] = size;
                    }
                    auto r = fetch(server.base() + "/api/v1/reports:batch", token, "POST", batch_body(points, prefix, size), 60);
                    if (batch_acknowledged(r, size)) {
                        std::lock_guard lock(ledger.mutex);
                        ledger.acknowledged_batches[prefix] = size;
                        ++acked;
                    } else if (r.status == 0) {
                        return;  // the server is gone
                    }
                }
            });
        const auto started = std::chrono::steady_clock::now();
        while (acked < 3 && std::chrono::steady_clock::now() - started < std::chrono::seconds(120))
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        // Mid-ingest: the other clients' batches are on their way or being stored.
        server.process().signal(SIGKILL);
        EXPECT_EQ(server.process().wait(10), 128 + SIGKILL);
        stop = true;
        for (auto& c : clients) c.join();
        ASSERT_GE(acked, 3) << server.log();
    }

    auto batches = stored_per_batch(t.db(), run);
    int unacknowledged = 0;
    for (const auto& [prefix, n] : ledger.attempted_batches) {
        auto it = batches.find(prefix);
        const int stored = it == batches.end() ? 0 : it->second;
        if (ledger.acknowledged_batches.contains(prefix)) {
            EXPECT_EQ(stored, n) << "acknowledged batch " << prefix;
        } else {
            ++unacknowledged;
            EXPECT_TRUE(stored == 0 || stored == n) << "half-written batch " << prefix << ": " << stored << " of " << n;
        }
    }
    EXPECT_GT(unacknowledged, 0) << "the kill should have caught batches in flight";

    // A fresh server; the clients send their unanswered batches again: stored once, whole.
    test::ServeProcess again(t.conninfo());
    for (const auto& [prefix, n] : ledger.attempted_batches) {
        if (ledger.acknowledged_batches.contains(prefix)) continue;
        auto r = fetch(again.base() + "/api/v1/reports:batch", token, "POST", batch_body(points, prefix, n), 60);
        EXPECT_TRUE(batch_acknowledged(r, n)) << r.status << ' ' << r.body.substr(0, 300);
    }
    batches = stored_per_batch(t.db(), run);
    for (const auto& [prefix, n] : ledger.attempted_batches) EXPECT_EQ(batches[prefix], n) << prefix;
    std::cerr << "sigkill: " << ledger.acknowledged_batches.size() << " batches acknowledged, " << unacknowledged
              << " in flight at the kill\n";
}

// SIGTERM while a big batch is being stored: the batch completes and is answered, later
// requests are refused with 503, and the process exits 0.
TEST(Reliability, SigtermDrainsTheInFlightBatchAndExitsZero) {
    test::TestDatabase t("sigterm");
    load_small_demo(t.db());
    const auto token = command_token(t.db());
    const auto points = grid_points(t.db());
    const std::string run = unique_run("rt");
    test::ServeProcess server(t.conninfo());
    constexpr int k_size = 10000;
    const auto body = batch_body(points, run + "big", k_size);

    test::HttpResult answer;
    std::thread client([&] { answer = fetch(server.base() + "/api/v1/reports:batch", token, "POST", body, 120); });
    // Wait until the server is working on it: /metrics counts itself plus the batch.
    bool in_flight = false;
    for (int i = 0; i < 2000 && !in_flight; ++i) {
        const auto m = fetch(server.base() + "/metrics", {}, "GET", {}, 5).body;
        in_flight = m.find("wangge_http_requests_in_flight 2") != std::string::npos;
        if (!in_flight) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    ASSERT_TRUE(in_flight) << "the batch never reached the server";
    server.process().signal(SIGTERM);
    const int exit_status = server.process().wait(60);
    client.join();
    EXPECT_EQ(exit_status, 0) << server.log();
    EXPECT_TRUE(batch_acknowledged(answer, k_size)) << answer.status << ' ' << answer.body.substr(0, 300);
    EXPECT_EQ(stored_per_batch(t.db(), run)[run + "big"], k_size);
    EXPECT_NE(server.log().find("draining "), std::string::npos) << server.log();
    EXPECT_EQ(server.log().find("draining 0 "), std::string::npos) << server.log();
    EXPECT_EQ(fetch(server.base() + "/healthz", {}, "GET", {}, 5).status, 0) << "the port must be closed after exit";
}
