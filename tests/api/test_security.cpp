// Rate limits, body limits, database deadlines, security headers and the audit log
// (issue 8), through Service::handle and over real sockets.

#include "api/rate_limit.hpp"
#include "api/server.hpp"
#include "data/audit.hpp"
#include "tests/support/api_fixture.hpp"
#include "tests/support/db_digest.hpp"
#include "tests/support/http_client.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include <algorithm>

#include <set>

using namespace wangge;
using nlohmann::json;

namespace {

api::Request get(const std::string& path, const std::string& bearer, std::map<std::string, std::string> query = {}) {
    api::Request r;
    r.method = "GET";
    r.path = path;
    r.query = std::move(query);
    if (!bearer.empty()) r.headers["authorization"] = "Bearer " + bearer;
    return r;
}

std::optional<std::string> header(const api::Response& r, const std::string& name) {
    for (const auto& [k, v] : r.headers)
        if (k == name) return v;
    return std::nullopt;
}

std::pair<double, double> inside(test::TestDatabase& t, const std::string& grid) {
    return {std::stod(t.scalar("SELECT ST_X(ST_PointOnSurface(geom)) FROM grids WHERE id = '" + grid + "' AND valid_to IS NULL")),
            std::stod(t.scalar("SELECT ST_Y(ST_PointOnSurface(geom)) FROM grids WHERE id = '" + grid + "' AND valid_to IS NULL"))};
}

}  // namespace

TEST(RateLimiter, ABucketAllowsItsBurstThenRefillsAtItsRate) {
    api::RateLimiter limiter({2.0, 3.0});
    const auto t0 = api::RateLimiter::Clock::time_point{} + std::chrono::hours(1);
    for (int i = 0; i < 3; ++i) EXPECT_FALSE(limiter.take("a", t0)) << i;
    const auto wait = limiter.take("a", t0);
    ASSERT_TRUE(wait);
    EXPECT_EQ(wait->count(), 500);  // one request at 2/s
    EXPECT_FALSE(limiter.take("b", t0)) << "buckets are per key";
    EXPECT_FALSE(limiter.take("a", t0 + std::chrono::milliseconds(500)));
    EXPECT_TRUE(limiter.take("a", t0 + std::chrono::milliseconds(500)));
    EXPECT_FALSE(api::RateLimiter({0, 0}).take("x")) << "0 is unlimited";
}

TEST(RateLimiter, MemoryStaysBoundedByDroppingRefilledBucketsAndSharingBeyondTheCap) {
    api::RateLimiter limiter({10.0, 10.0}, 1000);
    auto now = api::RateLimiter::Clock::time_point{} + std::chrono::hours(1);
    for (int i = 0; i < 5000; ++i) limiter.take(std::to_string(i), now);
    EXPECT_LE(limiter.size(), 1001u) << "newcomers beyond the cap share one bucket";
    now += std::chrono::seconds(30);  // everyone has refilled: the same as never seen
    limiter.take("late", now);
    EXPECT_EQ(limiter.size(), 1u);
}

TEST(RateLimiter, RatesParse) {
    EXPECT_EQ(api::parse_rate("100/s"), 100.0);
    EXPECT_EQ(api::parse_rate("120/m"), 2.0);
    EXPECT_EQ(api::parse_rate("0"), 0.0);
    EXPECT_FALSE(api::parse_rate("-1/s"));
    EXPECT_FALSE(api::parse_rate("ten/s"));
    EXPECT_FALSE(api::parse_rate("5/h"));
}

class Limits : public test::ApiFixture {};

TEST_F(Limits, ATokenOverItsBudgetGets429WithRetryAfterAndOthersDoNot) {
    api::ServiceOptions options;
    options.api_rate = {0.5, 2};
    options.tile_rate = {0.5, 1};
    api::Service limited(t.db(), options);
    const auto a = token(Role::leader), b = token(Role::leader);
    EXPECT_EQ(limited.handle(get("/api/v1/categories", a)).status, 200);
    EXPECT_EQ(limited.handle(get("/api/v1/categories", a)).status, 200);
    const auto refused = limited.handle(get("/api/v1/categories", a));
    ASSERT_EQ(refused.status, 429) << refused.body;
    EXPECT_EQ(refused.content_type, "application/problem+json");
    const auto retry = header(refused, "Retry-After");
    ASSERT_TRUE(retry);
    EXPECT_GE(std::stoi(*retry), 1);
    EXPECT_LE(std::stoi(*retry), 2);
    EXPECT_EQ(json::parse(refused.body).at("type"), "/problems/too-many-requests");
    EXPECT_EQ(limited.handle(get("/api/v1/categories", b)).status, 200) << "another token has its own bucket";
    // Tiles draw on their own budget.
    EXPECT_EQ(limited.handle(get("/tiles/grids/12/3430/1705.png", a, {{"town", "tashi"}})).status, 200);
    EXPECT_EQ(limited.handle(get("/tiles/grids/12/3430/1705.png", a, {{"town", "tashi"}})).status, 429);
    // Without a token: by client address; wrong tokens are charged to the address too.
    api::Request open = get("/healthz", "");
    open.remote = "198.51.100.9";
    EXPECT_EQ(limited.handle(open).status, 200);
    auto guess = get("/api/v1/towns", "wg_0000000000000000000000000000000000000000");
    guess.remote = "198.51.100.9";
    EXPECT_EQ(limited.handle(guess).status, 401);
    EXPECT_EQ(limited.handle(guess).status, 429);
    open.remote = "198.51.100.10";
    EXPECT_EQ(limited.handle(open).status, 200) << "another address";
}

TEST_F(Limits, ABodyOverTheRoutesLimitIs413BeforeAnythingReadsIt) {
    const auto command = token(Role::command);
    const auto before = test::database_digest(t);
    api::Request r;
    r.method = "POST";
    r.path = "/api/v1/reports";
    r.headers["authorization"] = "Bearer " + command;
    r.headers["content-type"] = "application/json";
    r.body = std::string(api::k_default_max_body + 1, '{');  // not JSON: a parser would say 400
    auto answer = service.handle(r);
    EXPECT_EQ(answer.status, 413) << answer.body;
    EXPECT_EQ(answer.content_type, "application/problem+json");
    EXPECT_EQ(json::parse(answer.body).at("max_bytes"), api::k_default_max_body);
    // Without a token as well: the size is checked first.
    r.headers.erase("authorization");
    EXPECT_EQ(service.handle(r).status, 413);
    EXPECT_EQ(test::database_digest(t), before);
    // The batch route takes more: the same bytes get as far as the JSON parser.
    r.headers["authorization"] = "Bearer " + command;
    r.path = "/api/v1/reports:batch";
    EXPECT_EQ(service.handle(r).status, 400);
    // Every route declares a limit no larger than the import's.
    for (const auto& route : service.router().routes()) EXPECT_LE(route.max_body, api::k_import_max_body) << route.pattern;
}

TEST_F(Limits, AStatementPastTheDeadlineIs503AndTheConnectionStaysUsable) {
    api::ServiceOptions options;
    options.standard_deadline = std::chrono::milliseconds(300);
    api::Service service_with_deadline(t.db(), options);
    const auto leader = token(Role::leader);
    const auto id = t.scalar("SELECT id FROM reports ORDER BY id LIMIT 1");
    {
        // Another session holds the reports table: the request's query waits for the lock
        // until statement_timeout cancels it.
        pqxx::connection blocker(t.conninfo());
        pqxx::work tx(blocker);
        tx.exec("LOCK TABLE reports IN ACCESS EXCLUSIVE MODE");
        const auto started = std::chrono::steady_clock::now();
        const auto r = service_with_deadline.handle(get("/api/v1/reports/" + id, leader));
        const auto waited = std::chrono::steady_clock::now() - started;
        EXPECT_EQ(r.status, 503) << r.body;
        EXPECT_EQ(r.content_type, "application/problem+json");
        const auto body = json::parse(r.body);
        EXPECT_EQ(body.at("type"), "/problems/deadline-exceeded");
        EXPECT_EQ(body.at("title"), "Request deadline exceeded");
        EXPECT_EQ(body.at("deadline_ms"), 300);
        EXPECT_LT(waited, std::chrono::seconds(10)) << "the deadline, not a lock wait for ever";
    }
    EXPECT_EQ(service_with_deadline.handle(get("/api/v1/reports/" + id, leader)).status, 200);
    // Connections used outside a request (the CLI, background loads) have no deadline.
    EXPECT_EQ(data::StatementDeadline::current().count(), 0);
    std::string timeout;
    t.db().run([&](pqxx::connection_base& c) { timeout = pqxx::nontransaction(c).exec("SHOW statement_timeout")[0][0].c_str(); });
    EXPECT_EQ(timeout, "0");
}

TEST(SecurityHeaders, EveryAnswerCarriesThemOverRealSockets) {
    auto& t = test::demo_database();
    api::ServiceOptions options;
    options.api_rate = {0.2, 1};
    api::Service service(t.db(), options);
    api::HttpServer server(service, "127.0.0.1:0", 2);
    server.start();
    const std::string base = "http://127.0.0.1:" + std::to_string(server.port());
    data::TokenSpec spec;
    spec.role = Role::leader;
    const auto leader = data::create_token(t.db(), spec);
    for (const auto& r : {test::fetch(base + "/api/v1/towns", leader), test::fetch(base + "/no/such/page"),
                          test::fetch(base + "/tiles/grids/12/3430/1705.png?town=tashi", leader)}) {
        EXPECT_TRUE(r.has_header("X-Content-Type-Options: nosniff\r\n")) << r.headers;
        EXPECT_TRUE(r.has_header("X-Frame-Options: DENY\r\n")) << r.headers;
        EXPECT_TRUE(r.has_header("Referrer-Policy: no-referrer\r\n")) << r.headers;
        const auto csp = r.headers.find("Content-Security-Policy: ");
        ASSERT_NE(csp, std::string::npos) << r.headers;
        const auto line = r.headers.substr(csp, r.headers.find("\r\n", csp) - csp);
        EXPECT_NE(line.find("script-src 'self';"), std::string::npos) << line;
        EXPECT_NE(line.find("frame-ancestors 'none'"), std::string::npos) << line;
        EXPECT_NE(line.find("object-src 'none'"), std::string::npos) << line;
        const auto script = line.substr(line.find("script-src"));
        EXPECT_EQ(script.substr(0, script.find(';')).find("unsafe"), std::string::npos) << "no inline or eval scripts: " << line;
    }
    // The second call within five seconds is over the budget: 429 and Retry-After reach the client.
    const auto second = test::fetch(base + "/api/v1/categories", leader);
    const auto third = test::fetch(base + "/api/v1/categories", leader);
    EXPECT_EQ(second.status, 429) << second.body;
    EXPECT_EQ(third.status, 429);
    EXPECT_TRUE(third.has_header("Retry-After: ")) << third.headers;
    EXPECT_TRUE(third.has_header("Content-Type: application/problem+json")) << third.headers;
}

namespace {

struct AuditServer {
    explicit AuditServer(test::TestDatabase& t, std::vector<std::string> trusted = {}) : service(t.db(), options(trusted)) {
        server.start();
        base = "http://127.0.0.1:" + std::to_string(server.port());
    }
    static api::ServiceOptions options(std::vector<std::string> trusted) {
        api::ServiceOptions o;
        o.trusted_proxies = std::move(trusted);
        return o;
    }
    api::Service service;
    api::HttpServer server{service, "127.0.0.1:0", 2};
    std::string base;
};

}  // namespace

class Audit : public test::ApiFixture {
protected:
    json audit(const std::string& admin, std::map<std::string, std::string> query) {
        const auto r = service.handle(get("/api/v1/audit", admin, std::move(query)));
        EXPECT_EQ(r.status, 200) << r.body;
        return json::parse(r.body);
    }
};

TEST_F(Audit, EveryKindOfWriteIsLoggedWithWhoWhatAndFromWhere) {
    AuditServer s(t);
    const auto command = token(Role::command, {}, "audit-command");
    const auto gis = token(Role::gis_admin, {}, "audit-gis");
    const auto admin = token(Role::admin, {}, "audit-admin");
    const auto [x, y] = inside(t, "tashi-010");

    auto single = test::fetch(s.base + "/api/v1/reports", command, "POST",
                              json{{"lon", x}, {"lat", y}, {"client_id", "audit-1"}, {"category", "huanjing_weisheng"}}.dump());
    ASSERT_EQ(single.status, 201) << single.body;
    const auto id = json::parse(single.body).at("id").get<long long>();
    json f{{"type", "Feature"},
           {"geometry", {{"type", "Point"}, {"coordinates", {x, y}}}},
           {"properties", {{"client_id", "audit-2"}, {"category", "huanjing_weisheng"}}}};
    ASSERT_EQ(test::fetch(s.base + "/api/v1/reports:batch", command, "POST", json{{"type", "FeatureCollection"}, {"features", {f}}}.dump()).status, 200);
    ASSERT_EQ(test::fetch(s.base + "/api/v1/reports/" + std::to_string(id) + "/events", command, "POST", R"({"action":"accept"})").status, 201);
    const auto version = t.scalar("SELECT version FROM grids WHERE id = 'tashi-010' AND valid_to IS NULL");
    ASSERT_EQ(test::fetch(s.base + "/api/v1/grids/tashi-010", gis, "PUT", R"({"type":"Feature","properties":{"name":"审计网格"},"geometry":null})",
                          {"If-Match: \"" + version + "\""}).status, 200);
    const auto worker = t.scalar("SELECT worker FROM grid_staff WHERE grid = 'tashi-010'");
    ASSERT_EQ(test::fetch(s.base + "/api/v1/grids/tashi-010/staff", gis, "PUT", json{{"worker", worker}}.dump()).status, 200);
    const auto exported = test::fetch(s.base + "/api/v1/towns/chengdong/grids/export?f=geojson", gis);
    ASSERT_EQ(exported.status, 200);
    auto file = json::parse(exported.body);
    file.at("features").at(0).at("properties")["name"] = "导入改名";  // an unchanged file writes nothing
    const auto imported = test::fetch(s.base + "/api/v1/towns/chengdong/grids/import?f=geojson", gis, "POST", file.dump());
    ASSERT_EQ(imported.status, 200) << imported.body.substr(0, 300);
    token(Role::leader, {"tashi"}, "audit-cli-made");
    ASSERT_EQ(data::revoke_token_by_name(t.db(), "audit-cli-made"), 1);

    const auto cli_source = data::cli_principal().source;
    ASSERT_EQ(cli_source.rfind("cli:", 0), 0u);
    struct Want {
        std::string action, actor, target, source;
    };
    for (const auto& w : std::vector<Want>{{"report.create", "audit-command", std::to_string(id), "127.0.0.1"},
                                          {"report.accept", "audit-command", std::to_string(id), "127.0.0.1"},
                                          {"grids.edit", "audit-gis", "tashi", "127.0.0.1"},
                                          {"grid.staff", "audit-gis", "tashi-010", "127.0.0.1"},
                                          {"grids.edit", "audit-gis", "chengdong", "127.0.0.1"},
                                          {"token.create", "cli", "audit-cli-made", cli_source},
                                          {"token.revoke", "cli", "audit-cli-made", cli_source}}) {
        const auto page = audit(admin, {{"action", w.action}, {"actor", w.actor}});
        bool found = false;
        for (const auto& e : page.at("entries")) {
            if (e.at("target") != w.target) continue;
            found = true;
            EXPECT_EQ(e.at("source"), w.source) << e.dump();
            EXPECT_FALSE(e.at("at").get<std::string>().empty());
            EXPECT_FALSE(e.at("role").get<std::string>().empty());
        }
        EXPECT_TRUE(found) << w.action << " " << w.target << ": " << page.dump().substr(0, 800);
    }
    // The batch: one row for the call, the ids in its details.
    const auto batch = audit(admin, {{"action", "report.create"}, {"actor", "audit-command"}, {"limit", "1"}});
    ASSERT_EQ(batch.at("entries").size(), 1u);
    EXPECT_EQ(batch.at("entries")[0].at("details").at("ids").size(), 1u);
    EXPECT_EQ(batch.at("entries")[0].at("source"), "127.0.0.1");
    EXPECT_EQ(batch.at("entries")[0].at("town"), "tashi");
}

TEST_F(Audit, OnlyAdminsReadItAndItPagesNewestFirstWithFilters) {
    const auto admin = token(Role::admin);
    for (auto role : {Role::grid_worker, Role::command, Role::platform, Role::leader, Role::gis_admin}) {
        const auto r = service.handle(get("/api/v1/audit", token(role)));
        EXPECT_EQ(r.status, 403) << r.body;
    }
    for (int i = 0; i < 5; ++i) token(Role::leader, {}, "audit-page-" + std::to_string(i));
    std::vector<long long> ids;
    std::map<std::string, std::string> query{{"action", "token.create"}, {"limit", "2"}};
    for (int pages = 0; pages < 100; ++pages) {
        const auto page = audit(admin, query);
        for (const auto& e : page.at("entries")) {
            EXPECT_EQ(e.at("action"), "token.create");
            ids.push_back(e.at("id"));
        }
        if (!page.contains("next_cursor")) break;
        query["cursor"] = page.at("next_cursor");
    }
    EXPECT_EQ(std::to_string(ids.size()), t.scalar("SELECT count(*) FROM audit_log WHERE action = 'token.create'"));
    EXPECT_TRUE(std::is_sorted(ids.rbegin(), ids.rend())) << "newest first";
    EXPECT_EQ(std::set<long long>(ids.begin(), ids.end()).size(), ids.size()) << "each entry once";
    EXPECT_EQ(audit(admin, {{"from", "2999-01-01"}}).at("entries").size(), 0u);
    EXPECT_EQ(audit(admin, {{"town", "tashi"}, {"action", "token.create"}}).at("entries").size(), 0u);
    for (auto [k, v] : std::vector<std::pair<std::string, std::string>>{
             {"limit", "0"}, {"limit", "x"}, {"from", "yesterday"}, {"cursor", "zz"}, {"town", "atlantis"}, {"sort", "id"}}) {
        const auto r = service.handle(get("/api/v1/audit", admin, {{k, v}}));
        EXPECT_EQ(r.status, 400) << k << "=" << v << ": " << r.body;
        EXPECT_EQ(r.content_type, "application/problem+json");
    }
}

TEST_F(Audit, ForwardedForCountsOnlyBehindATrustedProxy) {
    const auto command = token(Role::command, {}, "audit-proxy");
    const auto admin = token(Role::admin);
    const auto [x, y] = inside(t, "tashi-011");
    auto post = [&](AuditServer& s, const std::string& client_id) {
        const auto r = test::fetch(s.base + "/api/v1/reports", command, "POST",
                                   json{{"lon", x}, {"lat", y}, {"client_id", client_id}, {"category", "huanjing_weisheng"}}.dump(),
                                   {"X-Forwarded-For: 192.0.2.1, 203.0.113.7"});
        EXPECT_EQ(r.status, 201) << r.body;
        return std::to_string(json::parse(r.body).at("id").get<long long>());
    };
    auto source_of = [&](const std::string& id) {
        const auto page = audit(admin, {{"actor", "audit-proxy"}});  // kept: a loop over a temporary's member dangles
        for (const auto& e : page.at("entries"))
            if (e.at("target") == id) return e.at("source").get<std::string>();
        return "(none among " + page.dump() + ")";
    };
    {
        AuditServer direct(t);
        EXPECT_EQ(source_of(post(direct, "proxy-1")), "127.0.0.1") << "a client cannot choose its address";
    }
    {
        AuditServer proxied(t, {"127.0.0.1"});
        EXPECT_EQ(source_of(post(proxied, "proxy-2")), "203.0.113.7") << "the hop the trusted proxy saw";
    }
}
