// The service behind real Pistache sockets, spoken to with libcurl.

#include "api/server.hpp"
#include "api/service.hpp"
#include "data/token_store.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/test_db.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <algorithm>
#include <cstdio>
#include <unistd.h>

using namespace wangge;

using test::fetch;

TEST(HttpServer, ServesTheApiOverRealSockets) {
    auto& t = test::demo_database();
    api::Service service(t.db());
    api::HttpServer server(service, "127.0.0.1:0", 2);
    server.start();
    const std::string base = "http://127.0.0.1:" + std::to_string(server.port());

    auto health = fetch(base + "/healthz");
    EXPECT_EQ(health.status, 200);

    data::TokenSpec spec;
    spec.role = Role::leader;
    const auto token = data::create_token(t.db(), spec);
    auto towns = fetch(base + "/api/v1/towns", token);
    ASSERT_EQ(towns.status, 200) << towns.body;
    EXPECT_EQ(nlohmann::json::parse(towns.body).size(), 4u);
    EXPECT_NE(towns.headers.find("Content-Type: application/json"), std::string::npos) << towns.headers;

    // Percent-encoded path and query reach the handlers decoded.
    auto at = fetch(base + "/api/v1/towns/%74ashi/grids?at=2026-06-01T00%3A00%3A00%2B08%3A00", token);
    ASSERT_EQ(at.status, 200) << at.body;
    EXPECT_EQ(nlohmann::json::parse(at.body).at("features").size(), 41u);

    // Headers a handler sets reach the client (Pistache 0.0.5 drops raw ones).
    auto grid = fetch(base + "/api/v1/grids/tashi-001", token);
    EXPECT_NE(grid.headers.find("ETag: \""), std::string::npos) << grid.headers;

    auto missing = fetch(base + "/api/v1/grids/none", token);
    EXPECT_EQ(missing.status, 404);
    EXPECT_NE(missing.headers.find("Content-Type: application/problem+json"), std::string::npos) << missing.headers;

    auto unauthorized = fetch(base + "/api/v1/towns");
    EXPECT_EQ(unauthorized.status, 401);

    auto bad_escape = fetch(base + "/api/v1/towns/%zz/grids", token);
    EXPECT_EQ(bad_escape.status, 400);

    // A body larger than Pistache's 4 KiB default still arrives whole.
    std::string big = R"({"leader": ")" + std::string(20000, 'x') + R"("})";
    auto large = fetch(base + "/api/v1/grids/tashi-001/staff", token, "PUT", big);
    EXPECT_EQ(large.status, 403) << "read whole, then refused for the role: " << large.body;

    server.stop();
}

// A burst of clients beyond the listen queue loses SYNs, which the kernel retransmits after
// 1 s: a shed that should take a millisecond then takes a second (bench_overload). The
// kernel's own view of the listening socket (ss: Send-Q of a LISTEN socket is its backlog).
TEST(HttpServer, ListensWithAQueueForABurstOfClients) {
    auto& t = test::demo_database();
    api::Service service(t.db());
    api::HttpServer server(service, "127.0.0.1:0", 2);
    server.start();
    const std::string command = "ss -Hltn 'sport = :" + std::to_string(server.port()) + "' 2>&1";
    std::string out;
    if (FILE* p = popen(command.c_str(), "r")) {
        char buffer[512];
        while (std::fgets(buffer, sizeof buffer, p) != nullptr) out += buffer;
        pclose(p);
    }
    std::istringstream line(out);
    std::string state;
    long recv_q = -1, send_q = -1;
    line >> state >> recv_q >> send_q;
    ASSERT_EQ(state, "LISTEN") << out;
    std::ifstream somaxconn("/proc/sys/net/core/somaxconn");
    long cap = 0;
    somaxconn >> cap;
    EXPECT_EQ(send_q, std::min(static_cast<long>(api::k_listen_backlog), cap)) << "the backlog the listening socket was given: " << out;
    server.stop();
}

TEST(HttpServer, SendsTheHandlersOwnHeaders) {
    // Pistache 0.0.5 drops raw response headers; ETag and Content-Disposition must arrive.
    auto& t = test::demo_database();
    api::Service service(t.db());
    api::HttpServer server(service, "127.0.0.1:0", 2);
    server.start();
    const std::string base = "http://127.0.0.1:" + std::to_string(server.port());
    data::TokenSpec spec;
    spec.role = Role::leader;
    const auto token = data::create_token(t.db(), spec);

    auto grid = fetch(base + "/api/v1/grids/tashi-001", token);
    ASSERT_EQ(grid.status, 200) << grid.body;
    EXPECT_NE(grid.headers.find("ETag: \"1\""), std::string::npos) << grid.headers;

    auto file = fetch(base + "/api/v1/towns/tashi/grids/export?f=shp", token);
    ASSERT_EQ(file.status, 200) << file.body;
    EXPECT_NE(file.headers.find("Content-Type: application/zip"), std::string::npos) << file.headers;
    EXPECT_NE(file.headers.find("Content-Disposition: attachment; filename=\"tashi-grids.zip\""), std::string::npos)
        << file.headers;
    EXPECT_EQ(file.body.compare(0, 4, "PK\x03\x04"), 0) << "binary body intact";

    auto wrong_verb = fetch(base + "/api/v1/towns", token, "DELETE");
    EXPECT_EQ(wrong_verb.status, 405);
    EXPECT_NE(wrong_verb.headers.find("Allow: GET"), std::string::npos) << wrong_verb.headers;
    server.stop();
}

TEST(HttpServer, WebAssetsRefuseTraversalInAnyEncoding) {
    auto& t = test::demo_database();
    const auto root = std::filesystem::temp_directory_path() / ("wangge-web-srv-" + std::to_string(::getpid()));
    std::filesystem::create_directories(root / "dist/assets");
    std::ofstream(root / "dist/index.html") << "<!doctype html><title>ok</title>";
    std::ofstream(root / "dist/assets/app-1.js") << "1";
    std::ofstream(root / "secret.txt") << "do not serve";
    api::ServiceOptions options;
    options.web_dir = (root / "dist").string();
    api::Service service(t.db(), options);
    api::HttpServer server(service, "127.0.0.1:0", 2);
    server.start();
    const std::string base = "http://127.0.0.1:" + std::to_string(server.port());

    EXPECT_EQ(fetch(base + "/").status, 200);
    const auto js = fetch(base + "/assets/app-1.js");
    EXPECT_EQ(js.status, 200);
    EXPECT_NE(js.headers.find("Content-Type: text/javascript"), std::string::npos) << js.headers;
    for (const char* path : {"/assets/../../secret.txt", "/assets/../secret.txt", "/assets/%2e%2e/secret.txt",
                             "/assets/%2e%2e%2fsecret.txt", "/assets/..%2F..%2Fsecret.txt", "/assets/%2E%2E%5Csecret.txt",
                             "/assets/../../etc/passwd", "/assets/%2e%2e/%2e%2e/etc/passwd"}) {
        const auto r = fetch(base + path);
        EXPECT_TRUE(r.status == 404 || r.status == 400) << path << " → " << r.status;
        EXPECT_EQ(r.body.find("do not serve"), std::string::npos) << path;
        EXPECT_EQ(r.body.find("root:"), std::string::npos) << path;
        EXPECT_NE(r.headers.find("application/problem+json"), std::string::npos) << path;
    }
    server.stop();
    std::filesystem::remove_all(root);
}
