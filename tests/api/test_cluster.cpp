// Chaos on the real HA stack of scripts/cluster.sh (issue 13): 3 etcd, 3 PostgreSQL +
// PostGIS under Patroni in synchronous mode, HAProxy to the leader, two `wangge serve`
// nodes behind a front HAProxy. Reports keep coming through the front while the
// PostgreSQL leader, then a service node, is SIGKILLed. Every acknowledged report must be
// stored, every batch whole or absent, every answer a success or a 503 problem+json with
// Retry-After, and re-posting the unanswered ones stores each exactly once.

#include "core/principal.hpp"
#include "data/db.hpp"
#include "data/token_store.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/ingest_load.hpp"
#include "tests/support/process.hpp"

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

using namespace wangge;
using test::fetch;

namespace {

using Clock = std::chrono::steady_clock;

bool port_free(int port) {
    // Nobody listens: a connect is refused.
    return fetch("http://127.0.0.1:" + std::to_string(port) + "/", {}, "GET", {}, 1).status == 0;
}

// The stack in a directory and on ports of its own, so it never meets a developer's
// var/cluster or another test run.
class Stack {
public:
    Stack() {
        m_dir = "/tmp/wangge-test-cluster-" + std::to_string(::getpid());
        std::filesystem::remove_all(m_dir);
        // Ten port ranges of three from one random base: etcd client and peer, Patroni,
        // PostgreSQL members, the write and read ports, two stats pages, nodes, front.
        std::mt19937 rng(static_cast<unsigned>(::getpid()) ^ static_cast<unsigned>(Clock::now().time_since_epoch().count()));
        for (int attempt = 0;; ++attempt) {
            const int base = 20000 + static_cast<int>(rng() % 30000) / 10 * 10;
            bool ok = true;
            for (int p = base; p < base + 40 && ok; ++p) ok = port_free(p);
            if (ok) {
                m_base = base;
                break;
            }
            if (attempt == 20) throw std::runtime_error("no 40 free ports in a row");
        }
        m_env = {{"WANGGE_CLUSTER_DIR", m_dir},
                 {"WANGGE_BIN", test::wangge_binary()},
                 {"WANGGE_CLUSTER_ETCD_PORT", std::to_string(m_base)},
                 {"WANGGE_CLUSTER_ETCD_PEER_PORT", std::to_string(m_base + 3)},
                 {"WANGGE_CLUSTER_PATRONI_PORT", std::to_string(m_base + 6)},
                 {"WANGGE_CLUSTER_PG_MEMBER_PORT", std::to_string(m_base + 9)},
                 {"WANGGE_CLUSTER_PG_PORT", std::to_string(m_base + 12)},
                 {"WANGGE_CLUSTER_PG_READ_PORT", std::to_string(m_base + 13)},
                 {"WANGGE_CLUSTER_DB_STATS_PORT", std::to_string(m_base + 14)},
                 {"WANGGE_CLUSTER_FRONT_STATS_PORT", std::to_string(m_base + 15)},
                 {"WANGGE_CLUSTER_NODE_PORT", std::to_string(m_base + 16)},
                 {"WANGGE_CLUSTER_FRONT_PORT", std::to_string(m_base + 18)},
                 // Every client thread posts with one token: the per-token limiter (tested
                 // in test_access) would answer 429.
                 {"WANGGE_CLUSTER_SERVE_ARGS", "--rate-limit 0"},
                 // Fixed data, so the run does not depend on today's date.
                 {"WANGGE_CLUSTER_DEMO_ARGS", "--seed 11 --reports 300 --until 2026-06 --cutoff 2026-06-20T12:00:00+08:00"}};
        if (cluster({"up"}) != 0) throw std::runtime_error("scripts/cluster.sh up failed:\n" + log());
    }
    ~Stack() { cluster({"down", "--purge"}); }

    int cluster(const std::vector<std::string>& args) {
        std::vector<std::string> argv{test::scripts_dir() + "/cluster.sh"};
        argv.insert(argv.end(), args.begin(), args.end());
        return test::run_command(argv, m_env, log_path());
    }
    std::string front() const { return "http://127.0.0.1:" + std::to_string(m_base + 18); }
    std::string node(int n) const { return "http://127.0.0.1:" + std::to_string(m_base + 16 + n - 1); }
    std::string conninfo() const { return "host=127.0.0.1 port=" + std::to_string(m_base + 12) + " dbname=wangge user=postgres"; }
    std::string log_path() const { return m_dir + ".log"; }
    std::string log() const {
        std::ifstream in(log_path());
        std::ostringstream out;
        out << in.rdbuf();
        const auto s = out.str();
        return s.size() > 6000 ? s.substr(s.size() - 6000) : s;
    }

private:
    std::string m_dir;
    int m_base = 0;
    std::map<std::string, std::string> m_env;
};

class Cluster : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        stack = new Stack();
        db = new data::Database(stack->conninfo(), 2);
        data::TokenSpec spec;
        spec.role = Role::command;
        token = data::create_token(*db, spec);
        points = test::grid_points(*db);
    }
    static void TearDownTestSuite() {
        delete db;
        delete stack;
    }
    static inline Stack* stack = nullptr;
    static inline data::Database* db = nullptr;
    static inline std::string token;
    static inline std::vector<std::pair<double, double>> points;

    // Seconds from `since` until the ledger's 201 count passes `created`; -1 if never.
    static double until_created(test::Ledger& ledger, int created, Clock::time_point since, double limit = 90) {
        while (ledger.count(201) <= created) {
            if (Clock::now() - since > std::chrono::duration<double>(limit)) return -1;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        return std::chrono::duration<double>(Clock::now() - since).count();
    }

    // After the clients stopped: nothing acknowledged lost, no batch half-stored, only 2xx
    // and 503 problem+json; then every unanswered request re-posted is stored once.
    static void expect_nothing_lost(const std::string& run, test::Ledger& ledger, const std::string& what) {
        const auto losses = test::check_losses(*db, run, ledger);
        EXPECT_EQ(losses.missing_singles, 0) << what << ": " << losses.sample;
        EXPECT_EQ(losses.missing_batches, 0) << what << ": " << losses.sample;
        EXPECT_EQ(losses.half_batches, 0) << what;
        EXPECT_EQ(ledger.unexpected, 0) << what << ": " << ledger.unexpected_sample;
        EXPECT_EQ(ledger.count(0), 0) << what << ": requests without an answer";
        EXPECT_EQ(test::repost_unanswered(stack->front(), token, points, ledger), 0) << what;
        // Now every attempt is stored, each client id once (the key is unique, and every
        // batch is exactly its size).
        const auto ids = test::stored_ids(*db, run);
        const auto batches = test::stored_per_batch(*db, run);
        std::lock_guard lock(ledger.mutex);
        int absent = 0, wrong = 0;
        for (const auto& id : ledger.attempted_singles) absent += ids.contains(id) ? 0 : 1;
        for (const auto& [prefix, n] : ledger.attempted_batches) {
            auto it = batches.find(prefix);
            wrong += (it != batches.end() && it->second == n) ? 0 : 1;
        }
        EXPECT_EQ(absent, 0) << what << ": singles absent after re-posting";
        EXPECT_EQ(wrong, 0) << what << ": batches not stored whole once after re-posting";
        std::cerr << what << ": " << losses.acknowledged_singles << " singles and " << losses.acknowledged_batches
                  << " batches acknowledged, missing " << losses.missing_singles + losses.missing_batches << ", "
                  << ledger.statuses[503] << " answered 503, "
                  << ledger.unexpected << " other errors, " << ledger.statuses[0] << " unanswered\n";
    }
};

}  // namespace

TEST_F(Cluster, KillingTheDatabaseLeaderUnderLoadLosesNoAcknowledgedReport) {
    const std::string run = test::unique_run("failover");
    test::PostingClients clients(stack->front(), token, points, run, 4, 50, 20, 30);
    ASSERT_TRUE(clients.wait_acknowledged(20, 60)) << stack->log();
    auto& ledger = clients.ledger();
    const int created = ledger.count(201);
    const auto killed = Clock::now();
    ASSERT_EQ(stack->cluster({"kill", "leader"}), 0) << stack->log();  // returns once Patroni has a new leader
    const double leader_s = std::chrono::duration<double>(Clock::now() - killed).count();
    const int created_at_new_leader = ledger.count(201);
    const double back_s = until_created(ledger, std::max(created, created_at_new_leader), killed);
    EXPECT_GT(back_s, 0) << "no report was stored after the failover\n" << stack->log();
    std::this_thread::sleep_for(std::chrono::seconds(3));
    clients.stop();
    expect_nothing_lost(run, ledger, "leader killed");
    std::cerr << "leader killed: new leader after " << leader_s << " s, first 201 through the front " << back_s
              << " s after the kill\n";
    // The stack heals: the old leader comes back as a replica.
    EXPECT_EQ(stack->cluster({"up"}), 0) << stack->log();
}

TEST_F(Cluster, KillingAServiceNodeUnderLoadLosesNothing) {
    const std::string run = test::unique_run("nodekill");
    test::PostingClients clients(stack->front(), token, points, run, 4, 50, 20, 30);
    ASSERT_TRUE(clients.wait_acknowledged(20, 60)) << stack->log();
    auto& ledger = clients.ledger();
    const auto killed = Clock::now();
    ASSERT_EQ(stack->cluster({"kill", "node", "1"}), 0) << stack->log();
    const int created = ledger.count(201);
    const double back_s = until_created(ledger, created, killed);
    EXPECT_GT(back_s, 0) << "the front did not move to node 2\n" << stack->log();
    std::this_thread::sleep_for(std::chrono::seconds(3));
    clients.stop();
    EXPECT_EQ(fetch(stack->node(1) + "/healthz", {}, "GET", {}, 2).status, 0) << "node 1 must be gone";
    EXPECT_EQ(fetch(stack->front() + "/readyz").status, 200);
    expect_nothing_lost(run, ledger, "node 1 killed");
    std::cerr << "node 1 killed: reports stored through the front again " << back_s << " s after the kill\n";
}
