// The web client (docs/web.md): `/` is the single page, `/assets/*` the files Vite built
// for it, read from the dist directory given to `wangge serve --web-dir`.

#include "api/service.hpp"
#include "core/error.hpp"

#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace wangge::api {

namespace {

namespace fs = std::filesystem;

// Vite names assets "name-<hash>.ext": one path segment of these characters. Anything
// else ("..", ".hidden", a backslash) is not a file we built, so it is not looked up.
bool is_asset_name(const std::string& name) {
    if (name.empty() || name.front() == '.' || name.size() > 200) return false;
    for (unsigned char c : name)
        if (!(std::isalnum(c) || c == '.' || c == '-' || c == '_')) return false;
    return true;
}

std::string content_type_of(const fs::path& file) {
    static const std::pair<const char*, const char*> k_types[] = {
        {".js", "text/javascript; charset=utf-8"}, {".mjs", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},       {".html", "text/html; charset=utf-8"},
        {".json", "application/json"},             {".map", "application/json"},
        {".svg", "image/svg+xml"},                 {".png", "image/png"},
        {".jpg", "image/jpeg"},                    {".webp", "image/webp"},
        {".ico", "image/x-icon"},                  {".woff2", "font/woff2"},
        {".woff", "font/woff"},                    {".txt", "text/plain; charset=utf-8"},
    };
    const auto ext = file.extension().string();
    for (const auto& [e, type] : k_types)
        if (ext == e) return type;
    return "application/octet-stream";
}

std::optional<std::string> read_file(const fs::path& file) {
    std::error_code ec;
    if (!fs::is_regular_file(file, ec)) return std::nullopt;
    std::ifstream in(file, std::ios::binary);
    if (!in) return std::nullopt;
    std::ostringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
}

}  // namespace

void add_web_routes(Router& router, const std::string& web_dir) {
    const fs::path dist = web_dir;

    router.add({"GET", "/", Access::open, {}, [dist](Context& ctx) {
                    auto page = dist.empty() ? std::nullopt : read_file(dist / "index.html");
                    if (!page)
                        return problem(503, "web-client-not-built", "Web client not built",
                                       "the web client is not built: run scripts/build-web.sh (looked in '" +
                                           dist.string() + "')");
                    Response r;
                    r.content_type = "text/html; charset=utf-8";
                    r.body = std::move(*page);
                    // The page names the current hashed assets, so it must be revalidated.
                    // Its Content-Security-Policy (scripts from this origin only) is the one
                    // every answer gets: security_headers() in service.cpp.
                    r.headers.emplace_back("Cache-Control", "no-cache");
                    apply_content_etag(r, ctx.request);
                    return r;
                }});

    router.add({"GET", "/assets/{file}", Access::open, {}, [dist](Context& ctx) {
                    const auto& name = ctx.path.at("file");
                    auto bytes = dist.empty() || !is_asset_name(name) ? std::nullopt : read_file(dist / "assets" / name);
                    if (!bytes) throw Error(ErrorCode::not_found, "no web asset '" + name + "'");
                    Response r;
                    r.content_type = content_type_of(name);
                    r.body = std::move(*bytes);
                    // Content-hashed names never change meaning: keep them for a year.
                    r.headers.emplace_back("Cache-Control", "public, max-age=31536000, immutable");
                    apply_content_etag(r, ctx.request);
                    return r;
                }});
}

}  // namespace wangge::api
