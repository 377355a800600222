#pragma once
// The API as a function from Request to Response: routing, authentication, the one
// place errors become problem+json, and metrics. No sockets here, so tests can drive it
// directly; api/server.cpp puts it behind Pistache.

#include "api/http.hpp"
#include "api/metrics.hpp"

#include <memory>

namespace wangge::data {
class Database;
class ReportDesk;
}

namespace wangge::api {

struct ServiceOptions {
    std::size_t max_body_bytes = 64u << 20;
};

class Service {
public:
    explicit Service(data::Database& db, ServiceOptions options = {});
    ~Service();

    data::ReportDesk& reports() noexcept { return *m_reports; }

    /// Never throws: every failure is a problem+json response.
    Response handle(const Request& request);

    const Router& router() const noexcept { return m_router; }

private:
    Response dispatch(const Request& request, std::string& route_name);
    Principal authenticate(const Request& request);

    data::Database& m_db;
    ServiceOptions m_options;
    std::unique_ptr<data::ReportDesk> m_reports;
    Router m_router;
    Metrics m_metrics;
};

// Route groups, one file each.
void add_service_routes(Router& router, data::Database& db, Metrics& metrics, data::ReportDesk& reports);
void add_town_routes(Router& router, data::Database& db);
void add_report_routes(Router& router, data::ReportDesk& reports);
void add_ogc_routes(Router& router, data::Database& db);
void add_grid_export_routes(Router& router, data::Database& db);

}  // namespace wangge::api
