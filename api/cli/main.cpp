// `wangge`: one binary, one subcommand per task (API.md: The command line).

#include "api/server.hpp"
#include "api/service.hpp"
#include "data/backup.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "data/audit.hpp"
#include "data/db.hpp"
#include "data/demo.hpp"
#include "data/grid_export.hpp"
#include "data/grid_import.hpp"
#include "data/migrate.hpp"
#include "data/reports.hpp"
#include "data/token_store.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <csignal>
#include <fstream>
#include <sstream>
#include <iostream>
#include <thread>

namespace {

using namespace wangge;

int run_serve(const std::string& argv0, const std::string& listen, int threads, int pool, int drain_seconds,
              api::ServiceOptions options, api::WorkLimits limits) {
    api::tune_allocator_for_serving();
    data::Database db(data::resolve_conninfo(argv0), static_cast<std::size_t>(pool));
    api::Service service(db, std::move(options));
    api::HttpServer server(service, listen, threads, limits);
    // Block the stop signals in every thread, then wait for one here.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
    service.start_warm_up();
    service.start_change_feed();
    service.start_housekeeping();
    server.start();
    log_line("wangge: serving on http://" + listen.substr(0, listen.rfind(':')) + ':' + std::to_string(server.port()) + '/' +
             (db.ping() ? "" : " (database not reachable yet: /readyz answers 503)"));
    int sig = 0;
    sigwait(&stop_signals, &sig);
    // Graceful: requests already started are answered (a batch being stored commits and
    // its client hears so); new ones get 503 with Retry-After until the port closes.
    std::cerr << "wangge: " << (sig == SIGTERM ? "SIGTERM" : "SIGINT") << ", draining " << server.in_flight()
              << " request(s) in flight (up to " << drain_seconds << " s)" << std::endl;
    const bool drained = server.drain(std::chrono::seconds(drain_seconds));
    if (!drained)
        std::cerr << "wangge: " << server.in_flight() << " request(s) still running after " << drain_seconds
                  << " s; stopping anyway (their transactions roll back unless already committed)" << std::endl;
    server.stop();
    std::cerr << "wangge: stopped" << std::endl;
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    std::signal(SIGPIPE, SIG_IGN);  // a client hanging up must not kill the server
    const std::string argv0 = argv[0];
    CLI::App app{"wangge — grid governance GIS service (网格化管理)"};
    app.require_subcommand(1);

    auto* serve = app.add_subcommand("serve", "Serve the HTTP API");
    std::string listen = "127.0.0.1:8080";
    int threads = static_cast<int>(std::max(4u, std::thread::hardware_concurrency() * 2));
    int pool = 16;
    serve->add_option("--listen", listen, "host:port to listen on")->capture_default_str();
    serve->add_option("--threads", threads, "HTTP worker threads")->capture_default_str()->check(CLI::Range(1, 256));
    serve->add_option("--db-pool", pool, "database connections")->capture_default_str()->check(CLI::Range(1, 256));
    // Per token: a person at a screen or an app syncing makes a few calls a second; a map
    // view asks for dozens of tiles at once and cached tiles are cheap, so tiles have
    // their own, much larger budget (docs/security.md). 0 switches a limit off.
    std::string rate_text = "100/s", tile_rate_text = "10000/s";
    double burst = 200, tile_burst = 20000;
    api::ServiceOptions serve_options;
    const auto rate_check = [](const std::string& v) {
        return api::parse_rate(v) ? std::string() : std::string("must be N/s, N/m or 0");
    };
    serve->add_option("--rate-limit", rate_text, "API requests per token (or client address without one): N/s, N/m, 0 = off")
        ->capture_default_str()
        ->check(rate_check);
    serve->add_option("--burst", burst, "API requests allowed at once above the rate")->capture_default_str()->check(CLI::Range(1.0, 1e9));
    serve->add_option("--tile-rate-limit", tile_rate_text, "tile and TileJSON requests per token: N/s, N/m, 0 = off")
        ->capture_default_str()
        ->check(rate_check);
    serve->add_option("--tile-burst", tile_burst, "tile requests allowed at once above the rate")
        ->capture_default_str()
        ->check(CLI::Range(1.0, 1e9));
    serve->add_option("--trusted-proxy", serve_options.trusted_proxies,
                      "address of a reverse proxy whose X-Forwarded-For names the client (repeatable)");
    std::vector<std::string> queue_texts;
    // The classes and their default bounds as api/ defines them, so a class added there is
    // named here too.
    std::string queue_defaults, class_names;
    for (std::size_t c = 0; c < api::k_work_classes; ++c) {
        const std::string name(api::work_class_name(static_cast<api::WorkClass>(c)));
        queue_defaults += (c == 0 ? "" : " ") + name + "=" + std::to_string(api::WorkLimits{}.queue[c]);
        class_names += (c == 0 ? "" : c + 1 == api::k_work_classes ? " or " : ", ") + name;
    }
    serve->add_option("--queue", queue_texts,
                      "requests that may wait per class before 503 overloaded, CLASS=N (repeatable; defaults " +
                          queue_defaults + ")")
        ->check([](const std::string& v) {
            const auto eq = v.find('=');
            if (eq == std::string::npos || eq + 1 == v.size() || v.size() - eq > 7 ||
                v.find_first_not_of("0123456789", eq + 1) != std::string::npos || v.substr(eq + 1).find_first_not_of('0') == std::string::npos)
                return std::string("must be CLASS=N with N from 1 to 999999");
            return std::string();
        });
    int drain_seconds = 30;
    serve->add_option("--drain-seconds", drain_seconds, "on SIGTERM/SIGINT, how long in-flight requests may finish")
        ->capture_default_str()
        ->check(CLI::Range(0, 3600));
    serve_options.web_dir = WANGGE_WEB_DIST;
    serve->add_option("--web-dir", serve_options.web_dir, "the built web client (scripts/build-web.sh) served at /")->capture_default_str();

    auto* migrate = app.add_subcommand("migrate", "Apply schema migrations and sync the category catalogue and holiday calendar");

    auto* demo = app.add_subcommand("demo-data", "Load the four towns' demo data, or with --province the whole province's (deterministic for --seed and --until)");
    data::DemoOptions demo_options;
    std::string until_text, cutoff_text;
    bool replace = false, if_empty = false, province = false;
    demo->add_option("--seed", demo_options.seed, "random seed")->capture_default_str();
    auto* demo_reports = demo->add_option("--reports", demo_options.reports,
                                          "total reports over the twelve months (--province: 1000000)")
                             ->capture_default_str()
                             ->check(CLI::Range(0, 50'000'000));
    demo->add_flag("--province", province,
                   "the whole province around the four towns: 90 counties, ~1,300 towns, ~63,000 grids");
    demo->add_option("--threads", demo_options.threads, "threads for the province's layout and reports (0: one per core)")
        ->capture_default_str()
        ->check(CLI::Range(0, 256));
    demo->add_option("--until", until_text, "last month of the twelve, YYYY-MM (default: the current month)");
    demo->add_option("--cutoff", cutoff_text, "events after this RFC 3339 instant have not happened yet (default: now)");
    demo->add_flag("--replace", replace, "delete existing town data first");
    demo->add_flag("--if-empty", if_empty, "do nothing when town data exists");

    auto* token = app.add_subcommand("token", "Manage API tokens");
    token->require_subcommand(1);
    auto* token_create = token->add_subcommand("create", "Create a token and print it (one line)");
    data::TokenSpec spec;
    std::string role_text;
    std::string platform_text, worker_text;
    token_create->add_option("--role", role_text, "grid_worker|command|platform|leader|gis_admin|admin")->required();
    token_create->add_option("--town", spec.towns, "town code (repeatable); none: all towns");
    token_create->add_option("--name", spec.name, "a name for the audit log (default: generated)");
    token_create->add_option("--platform", platform_text, "for --role platform: zongzhi|shichang|zhifa|bianmin");
    token_create->add_option("--worker", worker_text, "for --role grid_worker: the worker id");
    auto* token_list = token->add_subcommand("list", "List tokens (never the tokens themselves)");
    auto* token_revoke = token->add_subcommand("revoke", "Revoke a token by --name or by the token itself");
    std::string revoke_name, revoke_token;
    token_revoke->add_option("--name", revoke_name, "the token's name");
    token_revoke->add_option("token", revoke_token, "the token");

    auto* export_grids = app.add_subcommand("export-grids", "Write a town's grids to a file with GDAL (shp: a zip)");
    std::string export_town, export_format = "geojson", export_file, export_at;
    export_grids->add_option("--town", export_town, "town code")->required();
    export_grids->add_option("-f,--format", export_format, "geojson|gpkg|shp|kml|csv")->capture_default_str();
    export_grids->add_option("-o,--output", export_file, "the file to write")->required();
    export_grids->add_option("--at", export_at, "the grids valid at this RFC 3339 instant (default: the current ones)");

    auto* import_grids = app.add_subcommand("import-grids", "Replace a town's grids with those of a GIS file (validated, all or nothing)");
    std::string import_file, import_town;
    bool import_dry_run = false;
    import_grids->add_option("file", import_file, "GeoJSON, GeoPackage, zipped Shapefile, KML or CSV (any CRS GDAL knows)")
        ->required()
        ->check(CLI::ExistingFile);
    import_grids->add_option("--town", import_town, "town code")->required();
    import_grids->add_flag("--dry-run", import_dry_run, "report what would change and every problem; write nothing");

    auto* backup = app.add_subcommand("backup", "Write the database to an archive (pg_dump -Fc of the server's version)");
    std::string backup_file;
    backup->add_option("-o,--output", backup_file, "the archive to write")->required();
    auto* restore = app.add_subcommand("restore", "Replace the database with an archive from `wangge backup` (one transaction)");
    std::string restore_file;
    bool restore_force = false;
    restore->add_option("file", restore_file, "the archive")->required()->check(CLI::ExistingFile);
    restore->add_flag("--force", restore_force, "restore over a database that holds tables (they are replaced)");

    CLI11_PARSE(app, argc, argv);

    try {
        if (serve->parsed()) {
            serve_options.api_rate = {*api::parse_rate(rate_text), burst};
            serve_options.tile_rate = {*api::parse_rate(tile_rate_text), tile_burst};
            api::WorkLimits limits;
            for (const auto& q : queue_texts) {
                const auto eq = q.find('=');
                bool found = false;
                for (std::size_t c = 0; c < api::k_work_classes && eq != std::string::npos; ++c)
                    if (q.substr(0, eq) == api::work_class_name(static_cast<api::WorkClass>(c))) {
                        limits.queue[c] = static_cast<std::size_t>(std::stoul(q.substr(eq + 1)));
                        found = true;
                    }
                if (!found) throw Error(ErrorCode::bad_request, "--queue takes CLASS=N with CLASS " + class_names);
            }
            return run_serve(argv0, listen, threads, pool, drain_seconds, std::move(serve_options), limits);
        }

        data::Database db(data::resolve_conninfo(argv0), 2);
        if (backup->parsed()) {
            const auto out = data::backup(db, backup_file);
            std::cerr << "backup: " << backup_file << " (" << out.bytes << " bytes, PostgreSQL " << out.server_version
                      << ", " << out.tool << ")\n";
            return 0;
        }
        if (restore->parsed()) {
            const auto out = data::restore(db, restore_file, restore_force);
            std::cerr << "restore: " << restore_file << " restored (PostgreSQL " << out.server_version << ", " << out.tool
                      << "); restart running servers so they reload grids and caches\n";
            return 0;
        }
        if (migrate->parsed()) {
            const auto result = data::migrate(db, data::data_dir());
            for (const auto& name : result.applied) std::cerr << "applied " << name << '\n';
            std::cerr << "migrate: " << result.applied.size() << " migration(s) applied, " << result.categories_changed
                      << " category and " << result.holidays_changed << " calendar row(s) changed\n";
            return 0;
        }
        if (demo->parsed()) {
            if (if_empty && data::has_town_data(db)) {
                std::cerr << "demo-data: town data exists, nothing to do\n";
                return 0;
            }
            const auto now = now_seconds();
            if (until_text.empty()) {
                const std::chrono::year_month_day today{shanghai_day(now)};
                demo_options.until = today.year() / today.month();
            } else {
                auto ym = parse_year_month(until_text);
                if (!ym) throw Error(ErrorCode::bad_request, "--until must be YYYY-MM");
                demo_options.until = *ym;
            }
            if (cutoff_text.empty()) {
                demo_options.cutoff = std::min(now, shanghai_month_start(demo_options.until + std::chrono::months{1}));
            } else {
                auto t = parse_instant(cutoff_text);
                if (!t) throw Error(ErrorCode::bad_request, "--cutoff must be an RFC 3339 instant");
                demo_options.cutoff = *t;
            }
            if (province) {
                if (demo_reports->count() == 0) demo_options.reports = data::k_province_default_reports;
                const auto p = data::load_demo_province(db, demo_options, data::data_dir(), replace);
                long towns = 0, grids = 0, staff = 0;
                long long reports = 0, events = 0;
                for (const auto& c : p.counties) {
                    std::cerr << c.code << " " << c.name << " (" << c.city << "): " << c.towns << " towns, " << c.grids
                              << " grids, " << c.reports << " reports\n";
                    towns += c.towns, grids += c.grids, staff += c.staff, reports += c.reports, events += c.events;
                }
                auto rate = [](double n, double s) { return s > 0 ? static_cast<long long>(n / s) : 0LL; };
                std::cerr << p.counties.size() << " counties, " << towns << " towns, " << grids << " grids, " << staff
                          << " staff, " << reports << " reports, " << events << " events\n"
                          << "plan " << p.plan_seconds << " s, layout " << p.layout_seconds << " s ("
                          << rate(static_cast<double>(grids), p.layout_seconds) << " grids/s), towns and grids written "
                          << p.write_seconds << " s, reports " << p.report_seconds << " s ("
                          << rate(static_cast<double>(reports), p.report_seconds) << " reports/s), total " << p.total_seconds
                          << " s; database " << p.database_size << "\n";
                return 0;
            }
            const auto summary = data::load_demo_data(db, demo_options, data::data_dir(), replace);
            for (const auto& s : summary)
                std::cerr << s.town << ": " << s.grids << " grids, " << s.workers << " staff, " << s.reports << " reports, "
                          << s.events << " events, " << static_cast<int>(s.area_km2 * 10) / 10.0 << " km²\n";
            return 0;
        }
        if (export_grids->parsed()) {
            const auto format = geo::parse_grid_format(export_format);
            if (!format) throw Error(ErrorCode::bad_request, "-f must be geojson, gpkg, shp, kml or csv");
            std::optional<Timestamp> at;
            if (!export_at.empty()) {
                at = parse_instant(export_at);
                if (!at) throw Error(ErrorCode::bad_request, "--at must be an RFC 3339 instant");
            }
            const auto bytes = data::export_grids(db, export_town, at, *format);
            std::ofstream out(export_file, std::ios::binary | std::ios::trunc);
            out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
            out.close();
            if (!out) throw Error(ErrorCode::bad_request, "cannot write " + export_file);
            std::cerr << "export-grids: " << export_town << " → " << export_file << " (" << bytes.size() << " bytes)\n";
            return 0;
        }
        if (import_grids->parsed()) {
            std::ifstream in(import_file, std::ios::binary);
            std::ostringstream buffer;
    buffer << in.rdbuf();
    const std::string bytes = buffer.str();
            data::ReportDesk desk(db);
            const auto cli = data::cli_principal();
            const auto out = data::import_grids(db, desk, import_town, bytes, import_file, cli, import_dry_run);
            std::cerr << "import-grids: " << out.changed.size() << " changed, " << out.created.size() << " new, "
                      << out.retired.size() << " retired, " << out.unchanged.size() << " unchanged (file CRS "
                      << out.source_crs << (out.crs_assumed ? ", assumed" : "") << ")\n";
            if (import_dry_run) {
                for (const auto& f : out.edit.findings)
                    std::cerr << "  " << (f.grid.empty() ? "-" : f.grid) << ": " << f.kind << ": " << f.detail << '\n';
                return out.edit.findings.empty() ? 0 : 1;
            }
            std::cerr << "  " << out.edit.reassigned_reports << " open report(s) re-assigned, " << out.staff_changed
                      << " staff change(s)\n";
            return 0;
        }
        if (token_create->parsed()) {
            auto role = parse_role(role_text);
            if (!role) throw Error(ErrorCode::bad_request, "unknown role " + role_text);
            spec.role = *role;
            if (!platform_text.empty()) spec.platform = platform_text;
            if (!worker_text.empty()) spec.worker = worker_text;
            std::cout << data::create_token(db, spec) << std::endl;
            return 0;
        }
        if (token_list->parsed()) {
            for (const auto& t : data::list_tokens(db)) {
                std::string towns;
                for (const auto& town : t.principal.towns) towns += (towns.empty() ? "" : ",") + town;
                std::cout << t.principal.name << '\t' << role_name(t.principal.role) << '\t'
                          << (towns.empty() ? "*" : towns) << '\t' << format_rfc3339(t.created_at) << '\t'
                          << (t.revoked_at ? "revoked " + format_rfc3339(*t.revoked_at) : "active") << '\n';
            }
            return 0;
        }
        if (token_revoke->parsed()) {
            if (revoke_name.empty() == revoke_token.empty())
                throw Error(ErrorCode::bad_request, "give either --name NAME or the token");
            const int n = revoke_name.empty() ? data::revoke_token(db, revoke_token) : data::revoke_token_by_name(db, revoke_name);
            if (n == 0) {
                std::cerr << "token revoke: no active token matched\n";
                return 1;
            }
            std::cerr << "token revoke: revoked\n";
            return 0;
        }
    } catch (const Error& e) {
        std::cerr << "wangge: " << e.detail() << '\n';
        // Validation findings: one line each.
        if (auto extra = nlohmann::json::parse(e.extra_json(), nullptr, false); extra.is_object() && extra.contains("problems"))
            for (const auto& p : extra["problems"])
                std::cerr << "  " << p.value("grid", std::string("-")) << ": " << p.value("kind", std::string()) << ": "
                          << p.value("detail", std::string()) << '\n';
        return describe(e.code()).http_status == 503 ? 3 : 2;
    } catch (const std::exception& e) {
        std::cerr << "wangge: " << e.what() << '\n';
        return 2;
    }
    return 0;
}
