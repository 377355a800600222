// No acknowledged report is lost: a real `wangge serve` child while its database restarts,
// while it is killed with SIGKILL mid-ingest, and while it drains on SIGTERM.

#include "core/principal.hpp"
#include "data/db.hpp"
#include "data/demo.hpp"
#include "data/migrate.hpp"
#include "data/token_store.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/ingest_load.hpp"
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

using test::batch_acknowledged;
using test::batch_body;
using test::command_token;
using test::grid_points;
using test::Ledger;
using test::load_small_demo;
using test::stored_per_batch;
using test::unique_run;

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

    test::PostingClients clients(server.base(), token, points, run);
    auto& ledger = clients.ledger();
    // Traffic flows first (the server loads its grid index on the first report).
    clients.wait_acknowledged(8, 60);
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    const auto before_outage = ledger.acknowledged();
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
    clients.stop();

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

    const auto losses = test::check_losses(db, run, ledger);
    EXPECT_EQ(losses.missing_singles, 0) << "of " << losses.acknowledged_singles << " acknowledged single reports: " << losses.sample;
    EXPECT_EQ(losses.missing_batches, 0) << losses.sample;
    EXPECT_EQ(losses.half_batches, 0) << "half-written batches";
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

// /readyz tells the truth: 503 not-ready, naming what is missing, while the node cannot
// answer every route at full speed (here: no grids to build an index from), and 200 once
// the warm-up has everything, without a restart.
TEST(Reliability, ReadyOnlyOnceEveryCopyIsLoaded) {
    test::TestDatabase t("readiness");
    data::migrate(t.db(), data::data_dir());
    test::ServeProcess server(t.conninfo());
    const auto early = fetch(server.base() + "/readyz");
    EXPECT_EQ(early.status, 503) << early.body;
    EXPECT_TRUE(early.has_header("application/problem+json")) << early.headers;
    const auto problem = json::parse(early.body);
    EXPECT_EQ(problem.at("type"), "/problems/not-ready");
    EXPECT_NE(problem.at("detail").get<std::string>().find("grid index"), std::string::npos) << early.body;
    EXPECT_EQ(fetch(server.base() + "/healthz").status, 200) << "the process itself is fine";

    load_small_demo(t.db());
    int status = 0;
    for (int i = 0; i < 600 && status != 200; ++i) {
        status = static_cast<int>(fetch(server.base() + "/readyz").status);
        if (status != 200) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_EQ(status, 200) << server.log();
    EXPECT_NE(server.log().find("warm-up: ready after"), std::string::npos) << server.log();
    // Ready means the copies are in: the first report needs no index build.
    const auto token = command_token(t.db());
    const auto points = grid_points(t.db());
    const auto r = fetch(server.base() + "/api/v1/reports", token, "POST", test::report_body(points.front(), "ready-1"));
    EXPECT_EQ(r.status, 201) << r.body;
}

// A node of this build on a database that lacks one of its migrations (a rolling upgrade
// started the new binary before `wangge migrate`) is not ready, says which migration and
// what to run, and becomes ready once it is applied, without a restart.
TEST(Reliability, NotReadyWhileTheDatabaseLacksAMigration) {
    test::TestDatabase t("schema_pending");
    load_small_demo(t.db());
    const auto name = t.scalar("SELECT max(name) FROM schema_migrations");
    const auto sum = t.scalar("SELECT sha256 FROM schema_migrations WHERE name = '" + name + "'");
    t.scalar("DELETE FROM schema_migrations WHERE name = '" + name + "' RETURNING name");
    EXPECT_EQ(data::pending_migrations(t.db()), std::vector<std::string>{name});

    test::ServeProcess server(t.conninfo());
    std::string detail;
    for (int i = 0; i < 300 && detail.find("lacks migration") == std::string::npos; ++i) {
        const auto r = fetch(server.base() + "/readyz");
        ASSERT_EQ(r.status, 503) << r.body;
        detail = json::parse(r.body).at("detail").get<std::string>();
        if (detail.find("lacks migration") == std::string::npos) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_NE(detail.find(name), std::string::npos) << detail;
    EXPECT_NE(detail.find("wangge migrate"), std::string::npos) << detail;
    EXPECT_EQ(fetch(server.base() + "/healthz").status, 200);

    t.scalar("INSERT INTO schema_migrations (name, sha256) VALUES ('" + name + "', '" + sum + "') RETURNING name");
    EXPECT_TRUE(data::pending_migrations(t.db()).empty());
    int status = 0;
    for (int i = 0; i < 600 && status != 200; ++i) {
        status = static_cast<int>(fetch(server.base() + "/readyz").status);
        if (status != 200) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_EQ(status, 200) << server.log();
}

// Overload: a full queue answers at once with 503 problem+json /problems/overloaded and
// Retry-After, the other classes (probes here) go on, and nothing else goes wrong.
TEST(Reliability, AFullQueueIsAQuick503AndProbesStayFast) {
    test::TestDatabase t("overload");
    load_small_demo(t.db());
    const auto token = command_token(t.db());
    // Two heavy workers, one place in their queue: the fourth meeting pack at once is shed.
    test::ServeProcess server(t.conninfo(), {"--threads", "4", "--queue", "heavy=1"});
    for (int i = 0; i < 600 && fetch(server.base() + "/readyz").status != 200; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::vector<test::HttpResult> answers(12);
    std::vector<std::thread> clients;
    for (std::size_t i = 0; i < answers.size(); ++i)
        clients.emplace_back([&, i] { answers[i] = fetch(server.base() + "/api/v1/meetings/tashi/2026-05?f=xlsx", token, "GET", {}, 120); });
    int probes_ok = 0;
    for (int i = 0; i < 10; ++i) probes_ok += fetch(server.base() + "/healthz", {}, "GET", {}, 5).status == 200 ? 1 : 0;
    for (auto& c : clients) c.join();
    int ok = 0, shed = 0, other = 0;
    for (const auto& a : answers) {
        if (a.status == 200) {
            ++ok;
        } else if (a.status == 503 && a.has_header("application/problem+json") &&
                   a.body.find("/problems/overloaded") != std::string::npos &&
                   (a.has_header("Retry-After: 1") || a.has_header("retry-after: 1"))) {
            ++shed;
        } else {
            ++other;
        }
    }
    EXPECT_GE(ok, 1);
    EXPECT_GE(shed, 1) << "twelve packs at once on one worker and a queue of one";
    EXPECT_EQ(other, 0);
    EXPECT_EQ(probes_ok, 10) << "probes have their own queue";
    const auto metrics = fetch(server.base() + "/metrics").body;
    EXPECT_NE(metrics.find("wangge_queue_shed_total{class=\"heavy\"} " + std::to_string(shed)), std::string::npos) << metrics;
    std::cerr << "overload: " << ok << " packs answered, " << shed << " shed with 503\n";
}
