// OGC API – Features Part 1 Core under /ogc (API.md: Standard interfaces; docs/ogc.md).
// Links are absolute URLs built from the request's Host header: GDAL's OAPIF driver and
// QGIS follow them verbatim.

#include "api/ogc_params.hpp"
#include "api/service.hpp"
#include "core/error.hpp"
#include "data/ogc_store.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>

namespace wangge::api {

namespace {

using nlohmann::json;

constexpr const char* k_geojson = "application/geo+json";
constexpr const char* k_json = "application/json";

// "http://host:port" of the request. A Host header with anything but host-name
// characters (a header injection attempt) falls back to the default listen address.
std::string origin(const Request& r) {
    auto host = r.header("host").value_or("");
    const bool clean = !host.empty() && host.size() < 256 && std::all_of(host.begin(), host.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '.' || c == '-' || c == ':' || c == '[' || c == ']';
    });
    if (!clean) host = "127.0.0.1:8080";
    const bool https = r.header("x-forwarded-proto").value_or("") == "https";
    return (https ? "https://" : "http://") + host;
}

std::string query_string(const std::map<std::string, std::string>& query) {
    std::string out;
    // Appended piece by piece: GCC 12 warns falsely (-Wrestrict) on "literal" + std::string.
    for (const auto& [k, v] : query) out.append(out.empty() ? "?" : "&").append(percent_encode(k)).append("=").append(percent_encode(v));
    return out;
}

json link(const std::string& href, const char* rel, const char* type, const std::string& title = {}) {
    json l{{"href", href}, {"rel", rel}, {"type", type}};
    if (!title.empty()) l["title"] = title;
    return l;
}

data::OgcCollection collection_of(const Context& ctx) {
    const auto& id = ctx.path.at("collection");
    auto c = data::parse_ogc_collection(id);
    if (!c) throw Error(ErrorCode::not_found, "no collection " + id + " (there are grids and reports)");
    return *c;
}

std::string rfc3339_or_null(const std::optional<Timestamp>& t) { return t ? format_rfc3339_utc(*t) : std::string(); }

json collection_json(const std::string& base, data::OgcCollection c, const data::OgcExtent& extent) {
    const std::string id(data::collection_id(c));
    const bool grids = c == data::OgcCollection::grids;
    json out{{"id", id},
             {"title", grids ? "网格 Grids" : "事件 Reports"},
             {"description", grids ? "Grid boundaries with their leader and worker; ?datetime selects the versions "
                                     "valid then"
                                   : "Reports (事件) collected in the grids, with their workflow status"},
             {"itemType", "feature"},
             {"crs", json::array({k_crs84})},
             {"links",
              {link(base + "/collections/" + id, "self", k_json),
               link(base + "/collections/" + id + "/items", "items", k_geojson, "Features as GeoJSON")}}};
    json ext = json::object();
    if (extent.bbox) {
        const auto& b = *extent.bbox;
        ext["spatial"] = {{"bbox", json::array({json::array({b[0], b[1], b[2], b[3]})})}, {"crs", k_crs84}};
    }
    json begin = extent.begin ? json(rfc3339_or_null(extent.begin)) : json(nullptr);
    json end = extent.end ? json(rfc3339_or_null(extent.end)) : json(nullptr);
    // json::array: a braced {string, x} pair would become an object member.
    ext["temporal"] = {{"interval", json::array({json::array({begin, end})})}, {"trs", "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"}};
    out["extent"] = ext;
    return out;
}

Response json_response(const json& body, const char* type = k_json) {
    Response r = Response::json(200, body.dump());
    r.content_type = type;
    return r;
}

}  // namespace

void add_ogc_routes(Router& router, data::Database& db) {
    router.add({"GET", "/ogc", Access::token, {"f"}, [](Context& ctx) {
                    check_ogc_format(ctx.request.query);
                    const auto root = origin(ctx.request);
                    const auto base = root + "/ogc";
                    return json_response(
                        {{"title", "wangge 网格 — OGC API – Features"},
                         {"description", "Grids and reports of the township grid-governance service"},
                         {"links",
                          {link(base, "self", k_json, "This document"),
                           link(root + "/api", "service-desc", "application/vnd.oai.openapi+json;version=3.0",
                                "The OpenAPI 3 definition"),
                           link(base + "/conformance", "conformance", k_json, "Conformance classes"),
                           link(base + "/collections", "data", k_json, "Collections")}}});
                }});

    router.add({"GET", "/ogc/conformance", Access::token, {"f"}, [](Context& ctx) {
                    check_ogc_format(ctx.request.query);
                    return json_response({{"conformsTo",
                                           {"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
                                            "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
                                            "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30"}}});
                }});

    router.add({"GET", "/ogc/collections", Access::token, {"f"}, [&db](Context& ctx) {
                    check_ogc_format(ctx.request.query);
                    const auto base = origin(ctx.request) + "/ogc";
                    json collections = json::array();
                    for (auto c : {data::OgcCollection::grids, data::OgcCollection::reports})
                        collections.push_back(collection_json(base, c, data::ogc_extent(db, c, ctx.caller())));
                    return json_response(
                        {{"links", {link(base + "/collections", "self", k_json)}}, {"collections", collections}});
                }});

    router.add({"GET", "/ogc/collections/{collection}", Access::token, {"f"}, [&db](Context& ctx) {
                    const auto c = collection_of(ctx);
                    check_ogc_format(ctx.request.query);
                    return json_response(collection_json(origin(ctx.request) + "/ogc", c,
                                                         data::ogc_extent(db, c, ctx.caller())));
                }});

    router.add({"GET", "/ogc/collections/{collection}/items", Access::token,
                {"limit", "offset", "bbox", "bbox-crs", "datetime", "f"}, [&db](Context& ctx) {
                    const auto c = collection_of(ctx);
                    const auto query = parse_ogc_items(c, ctx.request.query);
                    const auto page = data::ogc_items(db, query, ctx.caller());
                    const auto items = origin(ctx.request) + "/ogc/collections/" + std::string(data::collection_id(c));

                    json links = json::array({link(items + "/items" + query_string(ctx.request.query), "self", k_geojson),
                                              link(items, "collection", k_json)});
                    const auto returned = static_cast<long long>(page.features.size());
                    if (query.offset + returned < page.number_matched) {
                        auto next = ctx.request.query;
                        next["offset"] = std::to_string(query.offset + returned);
                        next["limit"] = std::to_string(query.limit);
                        links.push_back(link(items + "/items" + query_string(next), "next", k_geojson, "Next page"));
                    }
                    if (query.offset > 0) {
                        auto prev = ctx.request.query;
                        prev["offset"] = std::to_string(std::max(0LL, query.offset - query.limit));
                        prev["limit"] = std::to_string(query.limit);
                        links.push_back(link(items + "/items" + query_string(prev), "prev", k_geojson, "Previous page"));
                    }
                    // The features are GeoJSON texts from PostGIS: spliced, not re-parsed.
                    std::string body = R"({"type":"FeatureCollection","features":[)";
                    for (std::size_t i = 0; i < page.features.size(); ++i) {
                        if (i > 0) body += ',';
                        body += page.features[i];
                    }
                    body += "],\"numberMatched\":" + std::to_string(page.number_matched) +
                            ",\"numberReturned\":" + std::to_string(returned) + ",\"timeStamp\":\"" +
                            format_rfc3339_utc(now_seconds()) + "\",\"links\":" + links.dump() + "}";
                    Response r = Response::json(200, std::move(body));
                    r.content_type = k_geojson;
                    return r;
                }});

    router.add({"GET", "/ogc/collections/{collection}/items/{featureId}", Access::token, {"f"}, [&db](Context& ctx) {
                    const auto c = collection_of(ctx);
                    check_ogc_format(ctx.request.query, true);
                    const auto& id = ctx.path.at("featureId");
                    auto feature = data::ogc_item(db, c, id, ctx.caller());
                    if (!feature) throw Error(ErrorCode::not_found, "no feature " + id + " in " + std::string(data::collection_id(c)));
                    const auto items = origin(ctx.request) + "/ogc/collections/" + std::string(data::collection_id(c));
                    const json links = {link(items + "/items/" + percent_encode(id), "self", k_geojson),
                                        link(items, "collection", k_json)};
                    // Splice the links into the Feature object PostGIS built.
                    feature->pop_back();
                    *feature += ",\"links\":" + links.dump() + "}";
                    Response r = Response::json(200, std::move(*feature));
                    r.content_type = k_geojson;
                    return r;
                }});
}

}  // namespace wangge::api
