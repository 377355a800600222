// The web client's side of the API: /api/v1/me for sign-in, the static files of the
// built client (types, caching, ETags, path traversal, not built), and the report list's
// ETag that the client polls with.

#include "api/service.hpp"
#include "tests/support/api_fixture.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <unistd.h>

using namespace wangge;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

std::string header_of(const api::Response& r, const std::string& name) {
    for (const auto& [k, v] : r.headers)
        if (k == name) return v;
    return {};
}

void write(const fs::path& file, const std::string& text) {
    fs::create_directories(file.parent_path());
    std::ofstream(file, std::ios::binary) << text;
}

// A dist directory with one page and one asset, and a secret next to it that no URL may reach.
class WebDir {
public:
    WebDir() : root(fs::temp_directory_path() / ("wangge-web-" + std::to_string(::getpid()))) {
        fs::remove_all(root);
        write(root / "dist/index.html", "<!doctype html><title>网格</title><script type=module src=/assets/index-AbC123.js></script>");
        write(root / "dist/assets/index-AbC123.js", "console.log('网格')");
        write(root / "dist/assets/index-AbC123.css", "body{}");
        write(root / "secret.txt", "do not serve");
    }
    ~WebDir() { fs::remove_all(root); }
    fs::path root;
};

class Web : public test::ApiFixture {
protected:
    static api::ServiceOptions with_web(const std::string& dir) {
        api::ServiceOptions o;
        o.web_dir = dir;
        return o;
    }
    WebDir dir;
    api::Service web{t.db(), with_web((dir.root / "dist").string())};

    static api::Response get(api::Service& s, const std::string& path, std::map<std::string, std::string> headers = {}) {
        api::Request r;
        r.method = "GET";
        r.path = path;
        r.headers = std::move(headers);
        return s.handle(r);
    }
};

}  // namespace

TEST_F(Web, MeTellsWhoTheTokenBelongsTo) {
    const auto bearer = token(Role::platform, {"tashi"}, "web-me", "shichang");
    const auto r = get(web, "/api/v1/me", {{"authorization", "Bearer " + bearer}});
    ASSERT_EQ(r.status, 200) << r.body;
    const auto j = json::parse(r.body);
    EXPECT_EQ(j.at("name"), "web-me");
    EXPECT_EQ(j.at("role"), "platform");
    EXPECT_EQ(j.at("towns"), json::array({"tashi"}));
    EXPECT_EQ(j.at("platform"), "shichang");
    EXPECT_TRUE(j.at("worker").is_null());

    const auto all = json::parse(get(web, "/api/v1/me", {{"authorization", "Bearer " + token(Role::command)}}).body);
    EXPECT_EQ(all.at("towns"), json::array()) << "no --town: every town";

    const auto none = get(web, "/api/v1/me");
    EXPECT_EQ(none.status, 401);
    EXPECT_EQ(none.content_type, "application/problem+json");
    EXPECT_EQ(get(web, "/api/v1/me", {{"authorization", "Bearer wg_unknown"}}).status, 401);
}

TEST_F(Web, ServesThePageUncachedWithACsp) {
    const auto r = get(web, "/");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.content_type, "text/html; charset=utf-8");
    EXPECT_NE(r.body.find("<title>网格</title>"), std::string::npos);
    EXPECT_EQ(header_of(r, "Cache-Control"), "no-cache");
    EXPECT_NE(header_of(r, "Content-Security-Policy").find("script-src 'self';"), std::string::npos);
    const auto etag = header_of(r, "ETag");
    ASSERT_FALSE(etag.empty());
    const auto again = get(web, "/", {{"if-none-match", etag}});
    EXPECT_EQ(again.status, 304);
    EXPECT_TRUE(again.body.empty());
    EXPECT_EQ(get(web, "/", {{"if-none-match", "\"something-else\""}}).status, 200);
}

TEST_F(Web, ServesAssetsWithTheirTypeForAYear) {
    const auto js = get(web, "/assets/index-AbC123.js");
    ASSERT_EQ(js.status, 200) << js.body;
    EXPECT_EQ(js.content_type, "text/javascript; charset=utf-8");
    EXPECT_EQ(js.body, "console.log('网格')");
    EXPECT_EQ(header_of(js, "Cache-Control"), "public, max-age=31536000, immutable");
    EXPECT_EQ(header_of(js, "X-Content-Type-Options"), "nosniff");
    EXPECT_EQ(get(web, "/assets/index-AbC123.js", {{"if-none-match", header_of(js, "ETag")}}).status, 304);
    EXPECT_EQ(get(web, "/assets/index-AbC123.css").content_type, "text/css; charset=utf-8");

    const auto missing = get(web, "/assets/nothing-here.js");
    EXPECT_EQ(missing.status, 404);
    EXPECT_EQ(missing.content_type, "application/problem+json");
}

TEST_F(Web, RefusesPathTraversal) {
    // Service sees decoded paths: the server has already turned %2e%2e into "..".
    for (const char* path : {"/assets/../secret.txt", "/assets/../../secret.txt", "/assets/..", "/assets/.",
                             "/assets/..\\secret.txt", "/assets/.hidden", "/assets/a/../../secret.txt", "/../secret.txt",
                             "/index.html/../secret.txt"}) {
        const auto r = get(web, path);
        EXPECT_EQ(r.status, 404) << path;
        EXPECT_EQ(r.body.find("do not serve"), std::string::npos) << path;
        EXPECT_EQ(r.content_type, "application/problem+json") << path;
    }
}

TEST_F(Web, AnUnbuiltClientIsAClear503) {
    for (const std::string& missing : {std::string(), (dir.root / "nowhere").string()}) {
        api::Service bare(t.db(), with_web(missing));
        const auto r = get(bare, "/");
        EXPECT_EQ(r.status, 503);
        EXPECT_EQ(r.content_type, "application/problem+json");
        EXPECT_NE(json::parse(r.body).at("detail").get<std::string>().find("not built"), std::string::npos);
        EXPECT_EQ(get(bare, "/assets/index-AbC123.js").status, 404);
    }
}

TEST_F(Web, TheReportListAnswers304UntilSomethingChanges) {
    const auto bearer = token(Role::command);
    const std::map<std::string, std::string> auth{{"authorization", "Bearer " + bearer}};
    api::Request list;
    list.method = "GET";
    list.path = "/api/v1/reports";
    list.query = {{"town", "tashi"}, {"limit", "20"}};
    list.headers = auth;
    const auto first = web.handle(list);
    ASSERT_EQ(first.status, 200) << first.body;
    const auto etag = header_of(first, "ETag");
    ASSERT_FALSE(etag.empty());

    list.headers["if-none-match"] = etag;
    const auto unchanged = web.handle(list);
    EXPECT_EQ(unchanged.status, 304);
    EXPECT_TRUE(unchanged.body.empty());

    // A new report in the town is the newest: the first page changes.
    const auto x = t.scalar("SELECT ST_X(ST_PointOnSurface(geom)) FROM grids WHERE town = 'tashi' AND valid_to IS NULL LIMIT 1");
    const auto y = t.scalar("SELECT ST_Y(ST_PointOnSurface(geom)) FROM grids WHERE town = 'tashi' AND valid_to IS NULL LIMIT 1");
    api::Request post;
    post.method = "POST";
    post.path = "/api/v1/reports";
    post.headers = auth;
    post.headers["content-type"] = "application/json";
    post.body = json{{"lon", std::stod(x)}, {"lat", std::stod(y)}, {"client_id", "web-etag-" + std::to_string(::getpid())},
                     {"category", "huanjing_weisheng"}}
                    .dump();
    ASSERT_EQ(web.handle(post).status, 201);
    const auto changed = web.handle(list);
    EXPECT_EQ(changed.status, 200);
    EXPECT_NE(header_of(changed, "ETag"), etag);
}
