#pragma once
// Report traffic for fault tests (database restarts, SIGKILL, failover, node kills): a
// small demo load, clients that keep posting single reports and batches to a real
// server and write down every answer, and the checks that nothing acknowledged is lost
// and no batch is half-stored.

#include "tests/support/http_client.hpp"

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace wangge::data {
class Database;
}

namespace wangge::test {

/// The migrated schema and a small demo load (grids, staff, a few reports; seed 11,
/// fixed --until 2026-06 and cutoff) in `db`.
void load_small_demo(data::Database& db, int reports = 200);

/// A new command-room token for every town.
std::string command_token(data::Database& db);

/// Points inside the first current grids (PointOnSurface), to spread reports.
std::vector<std::pair<double, double>> grid_points(data::Database& db, int grids = 20);

/// A report Feature at a point with a client id.
std::string report_body(const std::pair<double, double>& p, const std::string& client_id);
/// A FeatureCollection of n reports "<prefix>.<i>" cycling over `points`.
std::string batch_body(const std::vector<std::pair<double, double>>& points, const std::string& prefix, int n);
/// True when every item of a 200 batch answer is stored (201 new, 200 known).
bool batch_acknowledged(const HttpResult& r, int n);

/// Reports stored per batch prefix ("<prefix>.<i>" → prefix), of client ids starting with `run`.
std::map<std::string, int> stored_per_batch(data::Database& db, const std::string& run);
std::set<std::string> stored_ids(data::Database& db, const std::string& run);
/// A prefix no earlier run used.
std::string unique_run(const std::string& what);

/// What the clients saw, shared between their threads.
struct Ledger {
    std::mutex mutex;
    std::set<std::string> acknowledged_singles;
    std::set<std::string> attempted_singles;
    std::map<std::string, int> acknowledged_batches;  // prefix → size
    std::map<std::string, int> attempted_batches;
    std::map<long, int> statuses;
    std::vector<double> latencies_503;
    int unexpected = 0;  // answers that are neither success nor a 503 problem+json with Retry-After
    std::string unexpected_sample;

    void saw(const HttpResult& r);
    int count(long status);
    std::size_t acknowledged();
};

/// Threads that post to `base` until stopped: each alternates a single report and a
/// batch of `batch` reports, waits `pause_ms` between requests, and records everything
/// in the ledger. Answers that are neither 2xx nor 503 count as unexpected.
class PostingClients {
public:
    PostingClients(std::string base, std::string token, std::vector<std::pair<double, double>> points, std::string run,
                   int threads = 4, int batch = 50, int pause_ms = 20, long timeout_seconds = 20);
    ~PostingClients();  // stops
    void stop();
    Ledger& ledger() { return m_ledger; }
    /// Waits until at least n requests were acknowledged (or `seconds` passed).
    bool wait_acknowledged(std::size_t n, double seconds);

private:
    Ledger m_ledger;
    std::atomic<bool> m_stop{false};
    std::vector<std::thread> m_threads;
};

struct LossCheck {
    int missing_singles = 0;       // acknowledged and not stored
    int missing_batches = 0;       // acknowledged and not stored whole
    int half_batches = 0;          // stored partly
    int duplicated = 0;            // a client id stored twice (must be impossible: unique key)
    std::size_t acknowledged_singles = 0, acknowledged_batches = 0;
    std::string sample;
};
/// Compares what the ledger says was acknowledged with what `db` holds for `run`.
LossCheck check_losses(data::Database& db, const std::string& run, Ledger& ledger);

/// Posts every attempted-but-unacknowledged single and batch again to `base` and says how
/// many did not come back 200/201; afterwards each must be stored exactly once.
int repost_unanswered(const std::string& base, const std::string& token, const std::vector<std::pair<double, double>>& points,
                      Ledger& ledger);

}  // namespace wangge::test
