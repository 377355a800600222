// `wangge demo-data --province`: the plan of data/demo_province.hpp laid out, written and
// given its reports. At province scale (~63,000 grids, millions of reports) the layout
// runs on several threads and reports are simulated and copied town by town, so memory
// holds a few towns' reports, never all of them.

#include "data/demo.hpp"

#include "core/error.hpp"
#include "data/copy.hpp"
#include "data/db.hpp"
#include "data/demo_province.hpp"
#include "data/demo_reports.hpp"
#include "data/demo_rows.hpp"
#include "data/demo_world.hpp"
#include "geo/crs.hpp"

#include <pqxx/pqxx>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <exception>
#include <map>
#include <mutex>
#include <thread>

namespace wangge::data {

namespace {

using demo::Report;
using demo::Town;
using Clock = std::chrono::steady_clock;

// Apart from the pilots' layout stream (build_towns) and the default demo's reports.
constexpr std::uint64_t k_province_salt = 0x50524f56494e4345ULL;  // "PROVINCE"
// Reports per pair of COPY statements: the statement triggers (tile versions, report
// changes) then see a bounded transition table, and a batch's rows stay small in memory.
constexpr std::size_t k_batch_reports = 50'000;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

int thread_count(const DemoOptions& options) {
    if (options.threads > 0) return options.threads;
    return std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

// GEOS contexts and PROJ transformations are not thread-safe: one of each per thread.
struct Worker {
    geo::Geos geos;
    geo::Transformer to_lonlat{"EPSG:4549", "EPSG:4490"};
};

// fn(i, worker) for every i in [0, n), on `threads` threads (this one among them); the
// first failure stops the others and is rethrown here.
template <class Fn> void parallel_for(std::size_t n, int threads, Fn fn) {
    std::atomic<std::size_t> next{0};
    std::atomic<bool> failed{false};
    std::exception_ptr error;
    std::mutex mutex;
    auto body = [&] {
        try {
            Worker worker;
            for (std::size_t i = next++; i < n && !failed; i = next++) fn(i, worker);
        } catch (...) {
            std::lock_guard lock(mutex);
            if (!error) error = std::current_exception();
            failed = true;
        }
    };
    std::vector<std::thread> pool;
    for (int k = 1; k < threads; ++k) pool.emplace_back(body);
    body();
    for (auto& t : pool) t.join();
    if (error) std::rethrow_exception(error);
}

geo::GeomPtr to_lonlat_rounded(const geo::Geos& geos, const geo::Transformer& to_lonlat, const GEOSGeometry* metric) {
    return geos.transform(metric, [&](double& x, double& y) {
        const auto p = to_lonlat.forward({x, y});
        // As the towns' grids (data/demo_layout.cpp): 1e-9°, shared vertices identical.
        x = std::round(p.x / 1e-9) * 1e-9;
        y = std::round(p.y / 1e-9) * 1e-9;
        return true;
    });
}

// The plan's towns and counties have straight edges of 10 km and more, which EPSG:4490
// bends off their chord by up to a metre: a town whose grids put vertices on such an edge
// would not match its own outline there, nor its neighbour's grids. Splitting edges into
// pieces of at most this length keeps the difference below a millimetre.
constexpr double k_max_edge_m = 250;

// Each edge is split from its lexicographically smaller end, so a neighbour that shares
// it gets bit-identical points.
std::vector<geo::XY> densified_ring(const std::vector<geo::XY>& ring) {
    std::vector<geo::XY> out;
    for (std::size_t i = 0; i + 1 < ring.size(); ++i) {
        const geo::XY a = ring[i], b = ring[i + 1];
        out.push_back(a);
        const int n = static_cast<int>(std::ceil(std::hypot(b.x - a.x, b.y - a.y) / k_max_edge_m));
        const bool forward = a.x < b.x || (a.x == b.x && a.y < b.y);
        const geo::XY from = forward ? a : b, to = forward ? b : a;
        for (int k = 1; k < n; ++k) {
            const double f = static_cast<double>(forward ? k : n - k) / n;
            out.push_back({from.x + f * (to.x - from.x), from.y + f * (to.y - from.y)});
        }
    }
    return out;
}

// A town may enclose another (seed 7 has one): its holes, found as what its shell has
// more, are densified the same way and cut out again.
geo::GeomPtr densified(const geo::Geos& geos, const GEOSGeometry* polygon) {
    auto shell = geos.polygon(geos.exterior_ring(polygon));
    auto out = geos.polygon(densified_ring(geos.exterior_ring(polygon)));
    const double area = geos.area(polygon);
    if (geos.area(shell.get()) - area > 1e-9 * area) {
        auto holes = geos.difference(shell.get(), polygon);
        const bool single = geos.type_name(holes.get()) == "Polygon";
        for (int i = 0; i < (single ? 1 : geos.num_geometries(holes.get())); ++i) {
            auto hole = densified(geos, single ? holes.get() : geos.geometry_n(holes.get(), i).get());
            out = geos.difference(out.get(), hole.get());
        }
    }
    if (geos.type_name(out.get()) != geos.type_name(polygon) || std::abs(geos.area(out.get()) - area) > 1e-9 * area)
        throw Error(ErrorCode::internal, "demo: a planned outline changed when densified");
    return out;
}

struct Province {
    demo::ProvincePlan plan;
    std::vector<Town> towns;  // the pilots in pilots.json order, then the plan's by division code
    std::vector<demo::CountySpec> counties;
};

Province lay_out_province(const geo::Geos& geos, const DemoOptions& options, const std::filesystem::path& data_dir,
                          ProvinceSummary& summary) {
    auto start = Clock::now();
    const auto pilots = demo::read_pilots(data_dir / "demo" / "pilots.json");
    const auto names = demo::NameBook::read(data_dir / "demo" / "names.json");
    Province p;
    p.towns = demo::build_towns(geos, names, pilots.towns, options.seed);
    p.plan = demo::plan_province(geos, options.seed, p.towns);
    for (auto& town : p.plan.towns) town.metric = densified(geos, town.metric.get());
    summary.plan_seconds = seconds_since(start);

    start = Clock::now();
    const std::size_t first = p.towns.size();
    p.towns.resize(first + p.plan.towns.size());
    parallel_for(p.plan.towns.size(), thread_count(options), [&](std::size_t i, Worker& w) {
        const auto& planned = p.plan.towns[i];
        // Seeded by the town's code alone: the same towns whatever the thread count.
        Rng rng = Rng(options.seed ^ k_province_salt).fork(std::stoull(planned.admin_code));
        auto described = demo::describe_town(w.geos, w.to_lonlat, planned, rng);
        p.towns[first + i] = demo::lay_out_town(w.geos, w.to_lonlat, names, std::move(described.spec),
                                                w.geos.clone(planned.metric.get()), planned.seat, described.names, rng);
    });
    summary.layout_seconds = seconds_since(start);

    // Reports follow grids, so a town's share is its share of the grids; the pilots
    // share theirs as pilots.json does.
    long total_grids = 0, pilot_grids = 0;
    for (std::size_t t = 0; t < p.towns.size(); ++t) {
        const long g = static_cast<long>(p.towns[t].grids.size());
        total_grids += g;
        if (t < first) pilot_grids += g;
    }
    for (std::size_t t = 0; t < p.towns.size(); ++t) {
        auto& spec = p.towns[t].spec;
        spec.report_share = t < first ? spec.report_share * static_cast<double>(pilot_grids) / static_cast<double>(total_grids)
                                      : static_cast<double>(spec.grid_count) / static_cast<double>(total_grids);
    }
    for (const auto& c : p.plan.counties) p.counties.push_back({c.code, c.name, c.kind, c.city});
    return p;
}

void write_structure(pqxx::work& tx, const geo::Geos& geos, const Province& p, Timestamp valid_from) {
    const geo::Transformer to_lonlat("EPSG:4549", "EPSG:4490");
    for (const auto& c : p.plan.counties) {
        // A county may be in pieces (islands): each densified as the towns, then one
        // MULTIPOLYGON of 1e-9° text, the towns' rounding.
        std::string wkt = "SRID=4490;MULTIPOLYGON(";
        const bool single = geos.type_name(c.metric.get()) == "Polygon";
        for (int i = 0; i < (single ? 1 : geos.num_geometries(c.metric.get())); ++i) {
            auto part = densified(geos, single ? c.metric.get() : geos.geometry_n(c.metric.get(), i).get());
            const auto text = geos.to_wkt(to_lonlat_rounded(geos, to_lonlat, part.get()).get(), 9);
            wkt.append(i == 0 ? "" : ",").append(text.substr(text.find('(')));
        }
        wkt += ")";
        tx.exec_params("INSERT INTO counties (code, name, kind, city, geom) VALUES ($1,$2,$3,$4,$5::geometry)", c.code,
                       c.name, c.kind, c.city, wkt);
    }
    for (const auto& town : p.towns)
        tx.exec_params("INSERT INTO towns (town, name, kind, admin_code, county, geom) "
                       "VALUES ($1,$2,$3,$4,$5, ST_Multi($6::geometry))",
                       town.spec.code, town.spec.name, town.spec.kind, town.spec.admin_code, town.spec.county,
                       geos.to_ewkb_hex(town.lonlat.get(), geo::k_storage_srid));
    // One COPY per table for all towns: the grid triggers then run once, not per town.
    const std::string since = format_rfc3339(valid_from);
    {
        pqxx::stream_to out(tx, "workers", std::vector<std::string>{"town", "id", "name", "phone", "role", "platform"});
        for (const auto& town : p.towns)
            for (const auto& s : town.staff) copy_row<6>(out, {town.spec.code, s.id, s.name, s.phone, s.role, s.platform});
        out.complete();
    }
    {
        pqxx::stream_to out(tx, "grids", std::vector<std::string>{"town", "id", "version", "code", "name", "geom",
                                                                  "valid_from", "created_by"});
        for (const auto& town : p.towns)
            for (const auto& g : town.grids)
                copy_row<8>(out, {town.spec.code, g.id, "1", g.code, g.name,
                                  geos.to_ewkb_hex(g.lonlat.get(), geo::k_storage_srid), since, "demo-data"});
        out.complete();
    }
    {
        pqxx::stream_to out(tx, "grid_staff", std::vector<std::string>{"town", "grid", "role", "worker", "since"});
        for (const auto& town : p.towns)
            for (const auto& g : town.grids) {
                copy_row<5>(out, {town.spec.code, g.id, "leader", g.leader, since});
                copy_row<5>(out, {town.spec.code, g.id, "worker", g.worker, since});
            }
        out.complete();
    }
}

// The indexes of reports and report_events that no constraint uses: building them once
// after the load is much cheaper than keeping them up to date row by row. Constraints
// (primary keys, foreign keys, checks) stay in force throughout.
std::vector<std::string> drop_secondary_indexes(pqxx::work& tx) {
    std::vector<std::string> definitions;
    const auto rows = tx.exec(
        "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        "WHERE i.indrelid IN ('reports'::regclass, 'report_events'::regclass) "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid) ORDER BY c.relname");
    for (const auto& r : rows) {
        tx.exec("DROP INDEX " + tx.quote_name(r[0].as<std::string>()));
        definitions.push_back(r[1].as<std::string>());
    }
    return definitions;
}

// Simulates towns on worker threads, at most `window` towns ahead of the writer, and
// hands them over in town order: ids then follow from the order alone.
class ReportPipeline {
public:
    ReportPipeline(const std::vector<Town>& towns, const demo::ReportModel& model, const DemoOptions& options, int threads)
        : m_towns(towns), m_model(model), m_options(options), m_slots(towns.size()),
          m_window(static_cast<std::size_t>(2 * threads + 2)) {
        for (int k = 0; k < threads; ++k) m_pool.emplace_back([this] { work(); });
    }
    ~ReportPipeline() {
        {
            std::lock_guard lock(m_mutex);
            m_stop = true;
        }
        m_room.notify_all();
        for (auto& t : m_pool) t.join();
    }
    ReportPipeline(const ReportPipeline&) = delete;
    ReportPipeline& operator=(const ReportPipeline&) = delete;

    /// Town t's reports, sorted by reported_at; towns must be taken in order.
    std::vector<Report> take(std::size_t t) {
        std::unique_lock lock(m_mutex);
        m_done.wait(lock, [&] { return m_slots[t].ready || m_error; });
        if (m_error) std::rethrow_exception(m_error);
        auto out = std::move(m_slots[t].reports);
        m_taken = t + 1;
        lock.unlock();
        m_room.notify_all();
        return out;
    }

private:
    struct Slot {
        std::vector<Report> reports;
        bool ready = false;
    };

    void work() {
        try {
            Worker w;
            for (;;) {
                std::size_t t = 0;
                {
                    std::unique_lock lock(m_mutex);
                    m_room.wait(lock, [&] { return m_stop || m_next < std::min(m_towns.size(), m_taken + m_window); });
                    if (m_stop || m_next >= m_towns.size()) return;
                    t = m_next++;
                }
                // Seeded by the town's position alone, as the layout: thread count and
                // timing change nothing.
                Rng rng = Rng(m_options.seed ^ demo::k_reports_salt ^ k_province_salt).fork(t + 1);
                std::vector<Report> reports;
                demo::simulate_town_reports(w.geos, w.to_lonlat, m_model, m_towns[t], t,
                                            m_options.reports * m_towns[t].spec.report_share, true, rng, reports);
                std::stable_sort(reports.begin(), reports.end(), [](const Report& a, const Report& b) {
                    return a.reported_at != b.reported_at ? a.reported_at < b.reported_at : a.client_id < b.client_id;
                });
                {
                    std::lock_guard lock(m_mutex);
                    m_slots[t].reports = std::move(reports);
                    m_slots[t].ready = true;
                }
                m_done.notify_all();
            }
        } catch (...) {
            {
                std::lock_guard lock(m_mutex);
                if (!m_error) m_error = std::current_exception();
                m_stop = true;
            }
            m_done.notify_all();
            m_room.notify_all();
        }
    }

    const std::vector<Town>& m_towns;
    const demo::ReportModel& m_model;
    const DemoOptions& m_options;
    std::vector<Slot> m_slots;
    const std::size_t m_window;
    std::mutex m_mutex;
    std::condition_variable m_done, m_room;
    std::size_t m_next = 0, m_taken = 0;
    bool m_stop = false;
    std::exception_ptr m_error;
    std::vector<std::thread> m_pool;
};

struct Batch {
    std::vector<Report> reports;

    void flush(pqxx::work& tx, const std::vector<Town>& towns) {
        if (reports.empty()) return;
        {
            pqxx::stream_to out(tx, "reports", demo::report_columns());
            for (const auto& r : reports) demo::copy_report(out, towns[r.town].spec.code, towns[r.town].grids[r.grid].id, r);
            out.complete();
        }
        {
            pqxx::stream_to out(tx, "report_events", demo::event_columns());
            for (const auto& r : reports) demo::copy_events(out, towns[r.town].spec.code, r);
            out.complete();
        }
        reports.clear();
    }
};

}  // namespace

ProvinceSummary load_demo_province(Database& db, const DemoOptions& options, const std::filesystem::path& data_dir,
                                   bool replace) {
    if (options.reports < 0) throw Error(ErrorCode::bad_request, "--reports must not be negative");
    // Minutes of layout are wasted on a database that will refuse them.
    if (!replace && has_town_data(db)) throw Error(ErrorCode::conflict, "the database already has town data (use --replace)");
    const auto start = Clock::now();
    ProvinceSummary summary;
    const geo::Geos geos;
    const Province p = lay_out_province(geos, options, data_dir, summary);
    const Timestamp valid_from = shanghai_month_start(options.until - std::chrono::months{12});

    std::vector<demo::Category> categories;
    std::vector<CalendarDay> days;
    db.run([&](pqxx::connection_base& c) {
        pqxx::read_transaction tx(c);
        for (const auto& r : tx.exec("SELECT code, name, platform, time_limit_workdays FROM categories ORDER BY code"))
            categories.push_back({r[0].as<std::string>(), r[1].as<std::string>(), r[2].as<std::string>(), r[3].as<int>()});
        for (const auto& r : tx.exec("SELECT day::text, kind, name FROM holidays ORDER BY day"))
            days.push_back({*parse_date(r[0].as<std::string>()), r[1].as<std::string>() == "workday", r[2].as<std::string>()});
    });
    const WorkCalendar calendar(days);
    const demo::ReportModel model(categories, calendar, options);

    std::map<std::string, DemoCountySummary> counties;
    for (const auto& c : p.plan.counties) {
        auto& s = counties[c.code];
        s.code = c.code;
        s.name = c.name;
        s.city = c.city;
        s.area_km2 = geos.area(c.metric.get()) / 1e6;
    }
    for (const auto& t : p.towns) {
        auto& s = counties.at(t.spec.county);
        ++s.towns;
        s.grids += static_cast<long>(t.grids.size());
        s.staff += static_cast<long>(t.staff.size());
    }

    db.run([&](pqxx::connection_base& c) {
        for (auto& [code, s] : counties) s.reports = s.events = 0;  // a retried run starts over
        auto phase = Clock::now();
        pqxx::work tx(c);
        tx.exec("LOCK TABLE towns IN EXCLUSIVE MODE");
        if (tx.exec("SELECT EXISTS (SELECT 1 FROM towns)")[0][0].as<bool>()) {
            if (!replace) throw Error(ErrorCode::conflict, "the database already has town data (use --replace)");
            tx.exec("TRUNCATE report_keys, report_events, reports, grid_staff, grids, workers, towns, counties");
        }
        write_structure(tx, geos, p, valid_from);
        summary.write_seconds = seconds_since(phase);

        phase = Clock::now();
        const auto indexes = drop_secondary_indexes(tx);
        long long next_id = 1;
        {
            ReportPipeline pipeline(p.towns, model, options, thread_count(options));
            Batch batch;
            for (std::size_t t = 0; t < p.towns.size(); ++t) {
                auto reports = pipeline.take(t);
                auto& county = counties.at(p.towns[t].spec.county);
                for (auto& r : reports) {
                    r.id = next_id++;
                    county.events += static_cast<long long>(r.events.size());
                    batch.reports.push_back(std::move(r));
                }
                county.reports += static_cast<long long>(reports.size());
                if (batch.reports.size() >= k_batch_reports) batch.flush(tx, p.towns);
            }
            batch.flush(tx, p.towns);
        }
        tx.exec("SET LOCAL maintenance_work_mem = '256MB'");
        for (const auto& definition : indexes) tx.exec(definition);
        // Their idempotency keys, so a phone that replays a demo client_id is answered; in
        // key order, since millions of keys in random order would each dirty a random page
        // of an index larger than the buffer cache.
        tx.exec("SET LOCAL work_mem = '256MB'");
        tx.exec("INSERT INTO report_keys (client_id, town, report, answer) "
                "SELECT client_id, town, id, json_build_object('id', id, 'status', 'reported', 'town', town)::text "
                "FROM reports ORDER BY client_id ON CONFLICT DO NOTHING");
        const long long reports = next_id - 1;
        tx.exec_params("SELECT setval('reports_id_seq', $1::bigint, $2)", std::max(reports, 1LL), reports > 0);
        tx.exec("INSERT INTO audit_log (actor, role, action, target, details) VALUES "
                "('cli', 'admin', 'demo-data.load', 'towns', '{\"province\": true}')");
        tx.commit();
        summary.report_seconds = seconds_since(phase);
    });
    db.run([&](pqxx::connection_base& c) {
        // Fresh statistics, so the first queries on the new data plan for its size.
        pqxx::nontransaction tx(c);
        tx.exec("ANALYZE counties, towns, workers, grids, grid_staff, reports, report_events, report_keys");
        summary.database_size = tx.exec("SELECT pg_size_pretty(pg_database_size(current_database()))")[0][0].as<std::string>();
    });
    for (auto& [code, s] : counties) summary.counties.push_back(std::move(s));
    summary.total_seconds = seconds_since(start);
    return summary;
}

}  // namespace wangge::data
