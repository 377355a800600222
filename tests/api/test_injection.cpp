// SQL injection attempts through every text parameter: path ids, query filters, JSON
// string fields and headers. Each answer is a normal result or a 4xx problem, never a
// 500, and the database is exactly as before (tables, row counts and contents).

#include "tests/support/api_fixture.hpp"
#include "tests/support/db_digest.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using namespace wangge;
using nlohmann::json;

namespace {

std::vector<std::string> payloads() {
    return {"' OR 1=1--",
            "'; DROP TABLE reports;--",
            "tashi'; DELETE FROM grids WHERE '1'='1",
            "1; SELECT pg_sleep(5)",
            std::string("tashi\0' OR '1'='1", 17),
            "\xE2\x80\x99 OR \xE2\x80\x99" "1\xE2\x80\x99=\xE2\x80\x99" "1",     // ’ OR ’1’=’1
            "\xEF\xBC\x87\xEF\xBC\x9B DROP TABLE reports\xEF\xBC\x9B--",          // ＇；DROP TABLE reports；--
            "\" OR \"\"=\"",
            "\\'; TRUNCATE audit_log; --",
            "$1",
            "%27%20OR%201%3D1",
            std::string(5000, '\'')};
}

class Injection : public test::ApiFixture {
protected:
    std::string admin = token(Role::admin);
    std::vector<std::string> failures;

    void check(api::Request r, const std::string& what) {
        if (r.headers.find("authorization") == r.headers.end()) r.headers["authorization"] = "Bearer " + admin;
        const auto answer = service.handle(r);
        if (answer.status >= 500) failures.push_back(what + " → " + std::to_string(answer.status) + " " + answer.body.substr(0, 200));
        if (answer.status >= 400 && answer.content_type != "application/problem+json")
            failures.push_back(what + " → " + std::to_string(answer.status) + " without problem+json");
    }
};

}  // namespace

TEST_F(Injection, ClassicPayloadsInEveryTextParameterChangeNothing) {
    const auto before = test::database_digest(t);
    const auto report = t.scalar("SELECT id FROM reports WHERE town = 'tashi' ORDER BY id LIMIT 1");
    int sent = 0;
    for (const auto& p : payloads()) {
        // Path ids: every {param} of every route.
        for (const auto& route : service.router().routes()) {
            std::string path = route.pattern;
            for (auto open = path.find('{'); open != std::string::npos; open = path.find('{')) {
                const auto close = path.find('}', open);
                path.replace(open, close - open + 1, p);
            }
            api::Request r;
            r.method = route.method;
            r.path = path;
            if (route.method != "GET" && route.method != "DELETE") {
                r.headers["content-type"] = "application/json";
                r.body = "{}";
            }
            check(r, route.method + " " + route.pattern + " with path '" + p.substr(0, 40) + "'");
            // Every query parameter the route takes.
            for (const auto& key : route.query_keys) {
                api::Request q;
                q.method = "GET";
                q.path = route.method == "GET" && route.pattern.find('{') == std::string::npos ? route.pattern : "/api/v1/reports";
                if (q.path != route.pattern) continue;
                q.query[key] = p;
                check(q, "GET " + route.pattern + "?" + key + "='" + p.substr(0, 40) + "'");
                ++sent;
            }
            ++sent;
        }
        // Query parameters of routes with path parameters, at a real id.
        for (const auto& [path, keys] : std::vector<std::pair<std::string, std::vector<std::string>>>{
                 {"/api/v1/towns/tashi/grids", {"at"}},
                 {"/api/v1/towns/tashi/grids/export", {"f", "at"}},
                 {"/tiles/reports/12/3430/1705.png", {"town", "from", "to", "platform", "category", "status", "max", "radius"}},
                 {"/tiles/reports.json", {"town", "category"}},
                 {"/api/v1/meetings/tashi/2026-01", {"f", "as_of"}},
                 {"/ogc/collections/reports/items", {"bbox", "datetime", "limit", "offset", "f"}}}) {
            for (const auto& key : keys) {
                api::Request q;
                q.method = "GET";
                q.path = path;
                q.query[key] = p;
                check(q, "GET " + path + "?" + key + "='" + p.substr(0, 40) + "'");
                ++sent;
            }
        }
        // JSON string fields. Identifiers must be refused; free text is stored verbatim
        // (checked below on its own database state).
        const json report_body{{"lon", 119.5}, {"lat", 29.0}, {"client_id", "inj-fixed"}, {"category", p},
                               {"source", p}, {"crs", p}, {"reporter", p}};
        for (const char* field : {"category", "source", "crs"}) {
            json b{{"lon", 119.5}, {"lat", 29.0}, {"client_id", "inj-" + std::to_string(sent)}, {"category", "huanjing_weisheng"}};
            b[field] = p;
            api::Request r;
            r.method = "POST";
            r.path = "/api/v1/reports";
            r.headers["content-type"] = "application/json";
            r.body = b.dump();
            check(r, std::string("POST report ") + field + "='" + p.substr(0, 40) + "'");
            ++sent;
        }
        for (const json& action : {json{{"action", p}}, json{{"action", "dispatch"}, {"platform", p}},
                                   json{{"action", "dispatch"}, {"platform", "zhifa"}, {"assignees", {p}}, {"handling", p}},
                                   json{{"action", "dispatch"}, {"platform", "zhifa"}, {"mode", p}}}) {
            api::Request r;
            r.method = "POST";
            r.path = "/api/v1/reports/" + report + "/events";
            r.headers["content-type"] = "application/json";
            r.body = action.dump();
            check(r, "POST event " + action.dump().substr(0, 60));
            ++sent;
        }
        for (const json& staff : {json{{"leader", p}}, json{{"worker", p}}}) {
            api::Request r;
            r.method = "PUT";
            r.path = "/api/v1/grids/tashi-001/staff";
            r.headers["content-type"] = "application/json";
            r.body = staff.dump();
            check(r, "PUT staff " + staff.dump().substr(0, 60));
            ++sent;
        }
        // Headers.
        for (const auto& [name, path, method] : std::vector<std::tuple<std::string, std::string, std::string>>{
                 {"if-match", "/api/v1/grids/tashi-001", "PUT"},
                 {"if-match", "/api/v1/grids/tashi-001", "DELETE"},
                 {"if-none-match", "/tiles/grids/12/3430/1705.png", "GET"},
                 {"authorization", "/api/v1/towns", "GET"},
                 {"content-type", "/api/v1/reports", "POST"},
                 {"x-forwarded-for", "/api/v1/towns", "GET"}}) {
            api::Request r;
            r.method = method;
            r.path = path;
            r.headers[name] = name == "authorization" ? "Bearer " + p : p;
            if (method == "PUT" || method == "POST") {
                if (name != "content-type") r.headers["content-type"] = "application/json";
                r.body = R"({"type":"Feature","properties":{"name":"x"},"geometry":null})";
            }
            check(r, method + " " + path + " with " + name + ": '" + p.substr(0, 40) + "'");
            ++sent;
        }
        (void)report_body;
    }
    for (const auto& f : failures) ADD_FAILURE() << f;
    EXPECT_GT(sent, 1000);
    EXPECT_EQ(test::database_digest(t), before) << "an attempt changed the database";
}

TEST_F(Injection, FreeTextIsStoredVerbatimAndChangesNothingElse) {
    const auto command = token(Role::command);
    const auto tables = t.scalar("SELECT string_agg(table_name, ',' ORDER BY table_name) FROM information_schema.tables WHERE table_schema = 'public'");
    const auto grids = t.scalar("SELECT md5(string_agg(g::text, '|' ORDER BY g::text)) FROM grids g");
    const auto x = t.scalar("SELECT ST_X(ST_PointOnSurface(geom)) FROM grids WHERE id = 'tashi-002' AND valid_to IS NULL");
    const auto y = t.scalar("SELECT ST_Y(ST_PointOnSurface(geom)) FROM grids WHERE id = 'tashi-002' AND valid_to IS NULL");
    int n = 0;
    for (const auto& p : payloads()) {
        if (p.find('\0') != std::string::npos) continue;  // below
        const std::string client_id = "inj-" + std::to_string(++n) + p.substr(0, 100);
        json body{{"lon", std::stod(x)}, {"lat", std::stod(y)}, {"client_id", client_id}, {"category", "huanjing_weisheng"},
                  {"description", p.substr(0, 2000)}};
        api::Request r;
        r.method = "POST";
        r.path = "/api/v1/reports";
        r.headers["authorization"] = "Bearer " + command;
        r.headers["content-type"] = "application/json";
        r.body = body.dump();
        const auto answer = service.handle(r);
        ASSERT_EQ(answer.status, 201) << answer.body;
        const auto id = json::parse(answer.body).at("id").get<long long>();
        api::Request g;
        g.method = "GET";
        g.path = "/api/v1/reports/" + std::to_string(id);
        g.headers["authorization"] = "Bearer " + command;
        const auto got = json::parse(service.handle(g).body);
        EXPECT_EQ(got.at("properties").at("description"), p.substr(0, 2000));
        EXPECT_EQ(got.at("properties").at("client_id"), client_id);
    }
    // A NUL cannot be stored in PostgreSQL text: refused as bad input, not a 500.
    json nul{{"lon", std::stod(x)}, {"lat", std::stod(y)}, {"client_id", "inj-nul"}, {"category", "huanjing_weisheng"},
             {"description", std::string("a\0b", 3)}};
    api::Request r;
    r.method = "POST";
    r.path = "/api/v1/reports";
    r.headers["authorization"] = "Bearer " + command;
    r.headers["content-type"] = "application/json";
    r.body = nul.dump();
    const auto answer = service.handle(r);
    EXPECT_EQ(answer.status, 400) << answer.body;
    EXPECT_EQ(t.scalar("SELECT string_agg(table_name, ',' ORDER BY table_name) FROM information_schema.tables WHERE table_schema = 'public'"), tables);
    EXPECT_EQ(t.scalar("SELECT md5(string_agg(g::text, '|' ORDER BY g::text)) FROM grids g"), grids);
    EXPECT_EQ(t.scalar("SELECT count(*) FROM reports WHERE client_id LIKE 'inj-%'"), std::to_string(n));
}
