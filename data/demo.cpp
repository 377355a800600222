#include "data/demo.hpp"

#include "core/error.hpp"
#include "data/copy.hpp"
#include "data/db.hpp"
#include "data/demo_reports.hpp"
#include "data/demo_rows.hpp"
#include "data/demo_world.hpp"
#include "geo/crs.hpp"

#include <pqxx/pqxx>

#include <map>

namespace wangge::data {

namespace {

using demo::Report;
using demo::Town;

std::string iso(Timestamp t) { return format_rfc3339(t); }

// A county's outline is the union of its demo towns (real ones are not public either).
void write_counties(pqxx::work& tx, const geo::Geos& geos, const std::vector<demo::CountySpec>& counties,
                    const std::vector<Town>& towns) {
    for (const auto& county : counties) {
        std::vector<const GEOSGeometry*> parts;
        for (const auto& town : towns)
            if (town.spec.county == county.code) parts.push_back(town.lonlat.get());
        if (parts.empty()) continue;
        const auto outline = geos.union_all(parts);
        tx.exec_params("INSERT INTO counties (code, name, kind, city, geom) VALUES ($1,$2,$3,$4, ST_Multi($5::geometry))",
                       county.code, county.name, county.kind, county.city, geos.to_ewkb_hex(outline.get(), geo::k_storage_srid));
    }
}

void write_towns(pqxx::work& tx, const geo::Geos& geos, const std::vector<Town>& towns, Timestamp valid_from) {
    for (const auto& town : towns) {
        const std::string& code = town.spec.code;
        tx.exec_params("INSERT INTO towns (town, name, kind, admin_code, county, geom) "
                       "VALUES ($1,$2,$3,$4,$5, ST_Multi($6::geometry))",
                       code, town.spec.name, town.spec.kind, town.spec.admin_code, town.spec.county,
                       geos.to_ewkb_hex(town.lonlat.get(), geo::k_storage_srid));
        {
            pqxx::stream_to workers(tx, "workers", std::vector<std::string>{"town", "id", "name", "phone", "role", "platform"});
            for (const auto& s : town.staff)
                copy_row<6>(workers, {code, s.id, s.name, s.phone, s.role, s.platform});
            workers.complete();
        }
        {
            pqxx::stream_to grids(tx, "grids", std::vector<std::string>{"town", "id", "version", "code", "name", "geom",
                                                                        "valid_from", "created_by"});
            for (const auto& g : town.grids)
                copy_row<8>(grids, {code, g.id, "1", g.code, g.name, geos.to_ewkb_hex(g.lonlat.get(), geo::k_storage_srid),
                                    iso(valid_from), "demo-data"});
            grids.complete();
        }
        {
            pqxx::stream_to staff(tx, "grid_staff", std::vector<std::string>{"town", "grid", "role", "worker", "since"});
            for (const auto& g : town.grids) {
                copy_row<5>(staff, {code, g.id, "leader", g.leader, iso(valid_from)});
                copy_row<5>(staff, {code, g.id, "worker", g.worker, iso(valid_from)});
            }
            staff.complete();
        }
    }
}

void write_reports(pqxx::work& tx, const std::vector<Town>& towns, const std::vector<Report>& reports) {
    {
        pqxx::stream_to out(tx, "reports", demo::report_columns());
        for (const auto& r : reports) demo::copy_report(out, towns[r.town].spec.code, towns[r.town].grids[r.grid].id, r);
        out.complete();
    }
    pqxx::stream_to out(tx, "report_events", demo::event_columns());
    for (const auto& r : reports) demo::copy_events(out, towns[r.town].spec.code, r);
    out.complete();
}

}  // namespace

bool has_town_data(Database& db) {
    bool any = false;
    db.run([&](pqxx::connection_base& c) {
        pqxx::read_transaction tx(c);
        any = tx.exec("SELECT EXISTS (SELECT 1 FROM towns)")[0][0].as<bool>();
    });
    return any;
}

std::vector<DemoTownSummary> load_demo_data(Database& db, const DemoOptions& options, const std::filesystem::path& data_dir,
                                            bool replace) {
    if (options.reports < 0) throw Error(ErrorCode::bad_request, "--reports must not be negative");
    const geo::Geos geos;
    const auto pilots = demo::read_pilots(data_dir / "demo" / "pilots.json");
    const auto names = demo::NameBook::read(data_dir / "demo" / "names.json");
    const auto towns = demo::build_towns(geos, names, pilots.towns, options.seed);
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
    const auto reports = demo::simulate_reports(geos, towns, categories, calendar, options);

    db.run([&](pqxx::connection_base& c) {
        pqxx::work tx(c);
        tx.exec("LOCK TABLE towns IN EXCLUSIVE MODE");
        if (tx.exec("SELECT EXISTS (SELECT 1 FROM towns)")[0][0].as<bool>()) {
            if (!replace) throw Error(ErrorCode::conflict, "the database already has town data (use --replace)");
            tx.exec("TRUNCATE report_keys, report_events, reports, grid_staff, grids, workers, towns, counties");
        }
        write_counties(tx, geos, pilots.counties, towns);
        write_towns(tx, geos, towns, valid_from);
        write_reports(tx, towns, reports);
        // Their idempotency keys, so a phone that replays a demo client_id is answered.
        tx.exec("INSERT INTO report_keys (client_id, town, report, answer) "
                "SELECT client_id, town, id, json_build_object('id', id, 'status', 'reported', 'town', town)::text "
                "FROM reports ON CONFLICT DO NOTHING");
        tx.exec_params("SELECT setval('reports_id_seq', $1::bigint, $2)",
                       static_cast<long long>(std::max<std::size_t>(reports.size(), 1)), !reports.empty());
        tx.exec("INSERT INTO audit_log (actor, role, action, target, details) VALUES "
                "('cli', 'admin', 'demo-data.load', 'towns', '{}')");
        tx.commit();
    });

    std::vector<DemoTownSummary> out;
    for (std::size_t t = 0; t < towns.size(); ++t) {
        DemoTownSummary s{towns[t].spec.code, static_cast<int>(towns[t].grids.size()),
                          static_cast<int>(towns[t].staff.size()), 0, 0, geos.area(towns[t].metric.get()) / 1e6};
        for (const auto& r : reports)
            if (r.town == t) ++s.reports, s.events += static_cast<int>(r.events.size());
        out.push_back(s);
    }
    return out;
}

}  // namespace wangge::data
