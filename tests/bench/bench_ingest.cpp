// Durable report ingest over HTTP: batch throughput and single-POST latency, against
// the database in WANGGE_DB / var/wangge.env (the demo towns), with an in-process server.
//   build/tests/bench/bench_ingest [total_batch_reports=100000]
// Baselines in the same run: a plain COPY of the same rows (the columns intake COPYs into
// reports, geometry included) into a logged scratch table with a GiST index on geom and a
// unique key, committed (issue 14 item 7: what the database alone costs), and GET
// /healthz at the same pace (what HTTP alone costs).
// Writes real reports (client ids prefixed "bench-"); not a test: it asserts nothing.

#include "api/server.hpp"
#include "api/service.hpp"
#include "core/time.hpp"
#include "data/copy.hpp"
#include "data/db.hpp"
#include "data/reports.hpp"
#include "data/token_store.hpp"
#include "geo/grid_index.hpp"

#include <curl/curl.h>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include <algorithm>
#include <fstream>
#include <map>
#include <sys/resource.h>
#include <unistd.h>
#include <array>
#include <chrono>
#include <cstdio>
#include <random>
#include <sstream>
#include <thread>

using namespace wangge;
using clock_type = std::chrono::steady_clock;
using nlohmann::json;

namespace {

std::size_t discard(char*, std::size_t size, std::size_t n, void*) { return size * n; }

struct Client {
    CURL* curl = curl_easy_init();
    curl_slist* headers = nullptr;
    explicit Client(const std::string& token) {
        headers = curl_slist_append(headers, ("Authorization: Bearer " + token).c_str());
        headers = curl_slist_append(headers, "Content-Type: application/json");
        headers = curl_slist_append(headers, "Connection: keep-alive");
        // libcurl asks a body over 1 MB to wait for "100 Continue", which Pistache 0.0.5
        // never sends: every batch then stalled for curl's 1 s timeout (half the time of a
        // 5,000-report batch). An empty Expect sends the body at once.
        headers = curl_slist_append(headers, "Expect:");
        curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
        curl_easy_setopt(curl, CURLOPT_TIMEOUT, 120L);
    }
    ~Client() {
        curl_slist_free_all(headers);
        curl_easy_cleanup(curl);
    }
    long request(const std::string& url, const std::string* body) {
        curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
        if (body) {
            curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body->c_str());
            curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body->size()));
        } else {
            curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
        }
        long status = 0;
        if (curl_easy_perform(curl) == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
        return status;
    }
};

double percentile(std::vector<double> v, double p) {
    std::sort(v.begin(), v.end());
    return v[static_cast<std::size_t>(p * static_cast<double>(v.size() - 1))];
}

// Paced requests, one every 10 ms; latency in ms.
std::vector<double> paced(Client& c, const std::string& url, const std::function<const std::string*(int)>& body, int n) {
    std::vector<double> ms;
    auto next = clock_type::now();
    for (int i = 0; i < n; ++i) {
        std::this_thread::sleep_until(next);
        next += std::chrono::milliseconds(10);
        const auto t0 = clock_type::now();
        const long status = c.request(url, body(i));
        ms.push_back(std::chrono::duration<double, std::milli>(clock_type::now() - t0).count());
        if (status != 200 && status != 201) std::fprintf(stderr, "unexpected HTTP %ld\n", status);
    }
    return ms;
}

// CPU seconds used so far by every PostgreSQL process (backends and auxiliary ones),
// from /proc: the database's share of the work, whatever else runs on the machine. The
// server runs on this host (the bench's database is the local one).
std::map<int, double> database_cpu(data::Database& db) {
    std::map<int, double> out;
    std::vector<int> pids;
    db.run([&](pqxx::connection_base& c) {
        pqxx::read_transaction tx(c);
        for (const auto& r : tx.exec("SELECT pid FROM pg_stat_activity")) pids.push_back(r[0].as<int>());
    });
    const double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
    for (int pid : pids) {
        std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
        std::string text;
        std::getline(in, text);
        const auto close = text.rfind(')');
        if (close == std::string::npos) continue;
        std::istringstream rest(text.substr(close + 2));
        std::string field;
        double utime = 0, stime = 0;
        for (int i = 3; i <= 15 && rest >> field; ++i) {
            if (i == 14) utime = std::stod(field);
            if (i == 15) stime = std::stod(field);
        }
        out[pid] = (utime + stime) / tick;
    }
    return out;
}

double cpu_since(const std::map<int, double>& before, const std::map<int, double>& after) {
    double sum = 0;
    for (const auto& [pid, t] : after) {
        const auto it = before.find(pid);
        sum += t - (it == before.end() ? 0.0 : it->second);
    }
    return sum;
}

double process_cpu() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

}  // namespace

int main(int argc, char** argv) {
    const int total = argc > 1 ? std::stoi(argv[1]) : 100000;
    const int batch = 5000, clients = 2;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    data::Database db(data::resolve_conninfo(argv[0]), 16);
    api::Service service(db);
    api::HttpServer server(service, "127.0.0.1:0", 8);
    server.start();
    const std::string base = "http://127.0.0.1:" + std::to_string(server.port());
    data::TokenSpec spec;
    spec.role = Role::command;
    const auto token = data::create_token(db, spec);
    const auto index = service.reports().grid_index();
    const std::string run = "bench-" + std::to_string(std::chrono::system_clock::now().time_since_epoch().count());

    // Points inside the towns, as reports come.
    std::mt19937_64 rng(7);
    std::uniform_real_distribution<double> ux(119.40, 119.70), uy(28.78, 29.15);
    auto point = [&] {
        for (;;) {
            const double x = ux(rng), y = uy(rng);
            if (index->assign(x, y).grid) return std::pair{x, y};
        }
    };
    std::vector<std::string> bodies;
    std::vector<std::pair<double, double>> points;  // the batches' points, for the COPY baseline
    for (int b = 0; b < total / batch; ++b) {
        json features = json::array();
        for (int i = 0; i < batch; ++i) {
            const auto [x, y] = point();
            points.emplace_back(x, y);
            features.push_back({{"type", "Feature"},
                                {"geometry", {{"type", "Point"}, {"coordinates", {x, y}}}},
                                {"properties",
                                 {{"client_id", run + "-" + std::to_string(b) + "-" + std::to_string(i)},
                                  {"category", "huanjing_weisheng"},
                                  {"description", "基准测试"}}}});
        }
        bodies.push_back(json{{"type", "FeatureCollection"}, {"features", features}}.dump());
    }

    // 1. Batch ingest, `clients` connections in parallel.
    const auto db_cpu0 = database_cpu(db);
    const double app_cpu0 = process_cpu();
    auto t0 = clock_type::now();
    std::vector<std::thread> threads;
    for (int c = 0; c < clients; ++c)
        threads.emplace_back([&, c] {
            Client client(token);
            for (std::size_t b = static_cast<std::size_t>(c); b < bodies.size(); b += clients)
                if (client.request(base + "/api/v1/reports:batch", &bodies[b]) != 200) std::fprintf(stderr, "batch failed\n");
        });
    for (auto& th : threads) th.join();
    const double http_rate = total / std::chrono::duration<double>(clock_type::now() - t0).count();
    const double http_app_us = (process_cpu() - app_cpu0) / total * 1e6;
    const double http_db_us = cpu_since(db_cpu0, database_cpu(db)) / total * 1e6;

    // Baseline: the same rows, as intake's COPY into reports writes them, COPYed in one
    // transaction into a table with reports' columns, a GiST index on geom and a unique
    // key; logged like reports, so the WAL is paid for the same way.
    const auto now_text = format_rfc3339(now_seconds());
    std::vector<std::array<data::CopyField, 19>> copy_rows;
    for (std::size_t i = 0; i < points.size(); ++i) {
        const auto [x, y] = points[i];
        const auto a = index->assign(x, y);
        const auto& g = index->grids()[*a.grid];
        char geom[96], number[32], lon[32], lat[32];
        std::snprintf(geom, sizeof geom, "SRID=4490;POINT(%.17g %.17g)", x, y);
        std::snprintf(number, sizeof number, "%.17g", a.distance_m);
        std::snprintf(lon, sizeof lon, "%.17g", x);
        std::snprintf(lat, sizeof lat, "%.17g", y);
        copy_rows.push_back({g.town, std::to_string(i + 1), run + "-copy-" + std::to_string(i), "huanjing_weisheng", "zhifa",
                             "基准测试", "app", std::nullopt, std::string(geom), "EPSG:4326", std::string(lon),
                             std::string(lat), g.id, std::to_string(g.version),
                             std::string(geo::assign_method_name(a.method)), std::string(number), "reported", now_text,
                             now_text});
    }
    db.run([](pqxx::connection_base& c) {
        pqxx::work tx(c);
        tx.exec("DROP TABLE IF EXISTS bench_copy_baseline");
        tx.exec("CREATE TABLE bench_copy_baseline (LIKE reports INCLUDING DEFAULTS, UNIQUE (town, client_id))");
        tx.exec("CREATE INDEX ON bench_copy_baseline USING gist (geom)");
        tx.commit();
    });
    double copy_rate = 0;
    const auto copy_db_cpu0 = database_cpu(db);
    const double copy_app_cpu0 = process_cpu();
    db.run([&](pqxx::connection_base& c) {
        const auto t1 = clock_type::now();
        pqxx::work tx(c);
        pqxx::stream_to out(tx, "bench_copy_baseline",
                            std::vector<std::string>{"town", "id", "client_id", "category", "platform", "description",
                                                     "source", "reporter", "geom", "input_crs", "input_lon", "input_lat",
                                                     "grid", "grid_version", "assign_method", "assign_distance_m", "status",
                                                     "reported_at", "received_at"});
        for (const auto& row : copy_rows) data::copy_row<19>(out, row);
        out.complete();
        tx.commit();
        copy_rate = static_cast<double>(copy_rows.size()) / std::chrono::duration<double>(clock_type::now() - t1).count();
    });
    const double copy_app_us = (process_cpu() - copy_app_cpu0) / static_cast<double>(copy_rows.size()) * 1e6;
    const double copy_db_us = cpu_since(copy_db_cpu0, database_cpu(db)) / static_cast<double>(copy_rows.size()) * 1e6;
    db.run([](pqxx::connection_base& c) {
        pqxx::work tx(c);
        tx.exec("DROP TABLE bench_copy_baseline");
        tx.commit();
    });

    // 2. Single POSTs at 100 requests/s, and GET /healthz at the same pace.
    Client single(token);
    std::vector<std::string> one;
    for (int i = 0; i < 1000; ++i) {
        const auto [x, y] = point();
        one.push_back(json{{"lon", x}, {"lat", y}, {"client_id", run + "-single-" + std::to_string(i)}, {"category", "shehui_zhian"}}.dump());
    }
    const auto post_ms = paced(single, base + "/api/v1/reports", [&](int i) { return &one[static_cast<std::size_t>(i)]; }, 1000);
    const auto health_ms = paced(single, base + "/healthz", [](int) -> const std::string* { return nullptr; }, 1000);

    std::printf("batch ingest over HTTP (%d reports, batches of %d, %d clients): %10.0f reports/s\n", total, batch, clients, http_rate);
    std::printf("baseline: COPY of the same rows into a table with GiST + unique key: %10.0f rows/s  (HTTP/COPY %.2f)\n",
                copy_rate, http_rate / copy_rate);
    // CPU per row does not move with what else the shared machine runs; the rates do.
    std::printf("CPU per report over HTTP: %.1f us in PostgreSQL + %.1f us in this process (server and clients)\n",
                http_db_us, http_app_us);
    std::printf("CPU per row of the COPY:  %.1f us in PostgreSQL + %.1f us in this process  (COPY/HTTP CPU %.2f)\n",
                copy_db_us, copy_app_us, (copy_db_us + copy_app_us) / (http_db_us + http_app_us));
    std::printf("single POST at 100/s: p50 %.2f ms, p99 %.2f ms, max %.2f ms\n", percentile(post_ms, 0.5),
                percentile(post_ms, 0.99), percentile(post_ms, 1.0));
    std::printf("baseline GET /healthz at 100/s: p50 %.2f ms, p99 %.2f ms\n", percentile(health_ms, 0.5),
                percentile(health_ms, 0.99));
    server.stop();
    curl_global_cleanup();
    return 0;
}
