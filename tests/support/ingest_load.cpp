#include "tests/support/ingest_load.hpp"

#include "core/principal.hpp"
#include "core/time.hpp"
#include "data/db.hpp"
#include "data/demo.hpp"
#include "data/migrate.hpp"
#include "data/token_store.hpp"

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include <unistd.h>

#include <chrono>

namespace wangge::test {

using nlohmann::json;

void load_small_demo(data::Database& db, int reports) {
    data::migrate(db, data::data_dir());
    data::DemoOptions options;
    options.seed = 11;
    options.reports = reports;
    options.until = std::chrono::year{2026} / std::chrono::month{6};
    options.cutoff = *parse_rfc3339("2026-06-20T12:00:00+08:00");
    data::load_demo_data(db, options, data::data_dir(), false);
}

std::string command_token(data::Database& db) {
    data::TokenSpec spec;
    spec.role = Role::command;
    return data::create_token(db, spec);
}

std::vector<std::pair<double, double>> grid_points(data::Database& db, int grids) {
    std::vector<std::pair<double, double>> out;
    db.run([&](pqxx::connection_base& c) {
        pqxx::nontransaction tx(c);
        for (const auto& r : tx.exec_params("SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM grids "
                                            "WHERE valid_to IS NULL ORDER BY id LIMIT $1) s",
                                            grids))
            out.emplace_back(r[0].as<double>(), r[1].as<double>());
    });
    return out;
}

std::string report_body(const std::pair<double, double>& p, const std::string& client_id) {
    return json{{"lon", p.first}, {"lat", p.second}, {"client_id", client_id}, {"category", "shehui_zhian"}}.dump();
}

std::string batch_body(const std::vector<std::pair<double, double>>& points, const std::string& prefix, int n) {
    json features = json::array();
    for (int i = 0; i < n; ++i) {
        const auto& p = points[static_cast<std::size_t>(i) % points.size()];
        features.push_back({{"type", "Feature"},
                            {"geometry", {{"type", "Point"}, {"coordinates", {p.first, p.second}}}},
                            {"properties", {{"client_id", prefix + "." + std::to_string(i)}, {"category", "shehui_zhian"}}}});
    }
    return json{{"type", "FeatureCollection"}, {"features", features}}.dump();
}

bool batch_acknowledged(const HttpResult& r, int n) {
    if (r.status != 200) return false;
    const auto results = json::parse(r.body, nullptr, false);
    if (!results.is_object() || results.value("results", json::array()).size() != static_cast<std::size_t>(n)) return false;
    for (const auto& item : results["results"]) {
        const int s = item.value("http_status", 0);
        if (s != 201 && s != 200) return false;
    }
    return true;
}

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
    return what + std::to_string(::getpid()) + "x" +
           std::to_string(std::chrono::steady_clock::now().time_since_epoch().count() % 1000000);
}

void Ledger::saw(const HttpResult& r) {
    std::lock_guard lock(mutex);
    ++statuses[r.status];
    if (r.status == 503) {
        latencies_503.push_back(r.seconds);
        // A client must be told it is temporary and when to come back.
        const bool problem = r.headers.find("application/problem+json") != std::string::npos;
        const bool retry = r.headers.find("Retry-After:") != std::string::npos || r.headers.find("retry-after:") != std::string::npos;
        if (!problem || !retry) {
            ++unexpected;
            if (unexpected_sample.empty()) unexpected_sample = "503 without problem+json/Retry-After: " + r.headers.substr(0, 300);
        }
    } else if (r.status != 200 && r.status != 201) {
        ++unexpected;
        if (unexpected_sample.empty()) unexpected_sample = std::to_string(r.status) + " " + r.body.substr(0, 300);
    }
}

int Ledger::count(long status) {
    std::lock_guard lock(mutex);
    return statuses[status];
}

std::size_t Ledger::acknowledged() {
    std::lock_guard lock(mutex);
    return acknowledged_singles.size() + acknowledged_batches.size();
}

PostingClients::PostingClients(std::string base, std::string token, std::vector<std::pair<double, double>> points,
                               std::string run, int threads, int batch, int pause_ms, long timeout_seconds) {
    for (int t = 0; t < threads; ++t)
        m_threads.emplace_back([this, t, base, token, points, run, batch, pause_ms, timeout_seconds] {
            for (int n = 0; !m_stop; ++n) {
                if (n % 2 == 0) {
                    const std::string id = run + "s" + std::to_string(t) + "n" + std::to_string(n);
                    {
                        std::lock_guard lock(m_ledger.mutex);
                        m_ledger.attempted_singles.insert(id);
                    }
                    auto r = fetch(base + "/api/v1/reports", token, "POST", report_body(points[static_cast<std::size_t>(n) % points.size()], id),
                                   timeout_seconds);
                    m_ledger.saw(r);
                    if (r.status == 201 || r.status == 200) {
                        std::lock_guard lock(m_ledger.mutex);
                        m_ledger.acknowledged_singles.insert(id);
                    }
                } else {
                    const std::string prefix = run + "b" + std::to_string(t) + "n" + std::to_string(n);
                    {
                        std::lock_guard lock(m_ledger.mutex);
                        m_ledger.attempted_batches[prefix] = batch;
                    }
                    auto r = fetch(base + "/api/v1/reports:batch", token, "POST", batch_body(points, prefix, batch), timeout_seconds);
                    m_ledger.saw(r);
                    if (batch_acknowledged(r, batch)) {
                        std::lock_guard lock(m_ledger.mutex);
                        m_ledger.acknowledged_batches[prefix] = batch;
                    }
                }
                // A client that hears 503 waits as Retry-After says (a fraction here).
                std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms));
            }
        });
}

PostingClients::~PostingClients() { stop(); }

void PostingClients::stop() {
    m_stop = true;
    for (auto& t : m_threads)
        if (t.joinable()) t.join();
}

bool PostingClients::wait_acknowledged(std::size_t n, double seconds) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (m_ledger.acknowledged() < n) {
        if (std::chrono::steady_clock::now() > until) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return true;
}

LossCheck check_losses(data::Database& db, const std::string& run, Ledger& ledger) {
    LossCheck out;
    const auto ids = stored_ids(db, run);
    const auto batches = stored_per_batch(db, run);
    std::lock_guard lock(ledger.mutex);
    out.acknowledged_singles = ledger.acknowledged_singles.size();
    out.acknowledged_batches = ledger.acknowledged_batches.size();
    for (const auto& id : ledger.acknowledged_singles)
        if (!ids.contains(id)) {
            ++out.missing_singles;
            if (out.sample.empty()) out.sample = "single " + id;
        }
    for (const auto& [prefix, n] : ledger.attempted_batches) {
        auto it = batches.find(prefix);
        const int stored = it == batches.end() ? 0 : it->second;
        if (ledger.acknowledged_batches.contains(prefix) && stored != n) {
            ++out.missing_batches;
            if (out.sample.empty()) out.sample = "batch " + prefix + ": " + std::to_string(stored) + " of " + std::to_string(n);
        }
        if (stored != 0 && stored != n) ++out.half_batches;
        if (stored > n) ++out.duplicated;
    }
    return out;
}

int repost_unanswered(const std::string& base, const std::string& token, const std::vector<std::pair<double, double>>& points,
                      Ledger& ledger) {
    std::lock_guard lock(ledger.mutex);
    int failed = 0;
    std::size_t n = 0;
    for (const auto& id : ledger.attempted_singles) {
        if (ledger.acknowledged_singles.contains(id)) continue;
        const auto r = fetch(base + "/api/v1/reports", token, "POST", report_body(points[n++ % points.size()], id), 30);
        if (r.status != 200 && r.status != 201) ++failed;
    }
    for (const auto& [prefix, size] : ledger.attempted_batches) {
        if (ledger.acknowledged_batches.contains(prefix)) continue;
        if (!batch_acknowledged(fetch(base + "/api/v1/reports:batch", token, "POST", batch_body(points, prefix, size), 60), size))
            ++failed;
    }
    return failed;
}

}  // namespace wangge::test
