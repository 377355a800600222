#include "geo/geos.hpp"

#include "core/error.hpp"

#include <geos_c.h>

#include <cstdarg>
#include <cstdio>
#include <iostream>

namespace wangge::geo {

namespace detail {

class ContextHolder {
public:
    ContextHolder() : m_handle(GEOS_init_r()) {
        if (m_handle == nullptr) throw Error(ErrorCode::internal, "GEOS context could not be created");
        GEOSContext_setErrorMessageHandler_r(m_handle, &ContextHolder::on_error, this);
    }
    ~ContextHolder() { GEOS_finish_r(m_handle); }
    ContextHolder(const ContextHolder&) = delete;
    ContextHolder& operator=(const ContextHolder&) = delete;

    GEOSContextHandle_t handle() const noexcept { return m_handle; }
    const std::string& last_error() const noexcept { return m_last_error; }

private:
    static void on_error(const char* message, void* user) {
        static_cast<ContextHolder*>(user)->m_last_error = message ? message : "";
    }
    GEOSContextHandle_t m_handle;
    std::string m_last_error;
};

void GeomDeleter::operator()(GEOSGeometry* g) const noexcept {
    if (g != nullptr) GEOSGeom_destroy_r(ctx->handle(), g);
}

void PreparedDeleter::operator()(const GEOSPreparedGeometry* g) const noexcept {
    if (g != nullptr) GEOSPreparedGeom_destroy_r(ctx->handle(), g);
}

}  // namespace detail

namespace {

struct WkbWriterDeleter {
    GEOSContextHandle_t h;
    void operator()(GEOSWKBWriter* w) const noexcept { GEOSWKBWriter_destroy_r(h, w); }
};
struct WktWriterDeleter {
    GEOSContextHandle_t h;
    void operator()(GEOSWKTWriter* w) const noexcept { GEOSWKTWriter_destroy_r(h, w); }
};

}  // namespace

Geos::Geos() : m_ctx(std::make_shared<detail::ContextHolder>()) {}

GEOSContextHandle_t Geos::handle() const noexcept { return m_ctx->handle(); }

GeomPtr Geos::own(GEOSGeometry* g, const char* what) const {
    if (g == nullptr) throw Error(ErrorCode::internal, std::string("geometry operation failed: ") + what + ": " + m_ctx->last_error());
    return GeomPtr(g, detail::GeomDeleter{m_ctx});
}

GeomPtr Geos::point(XY p) const { return own(GEOSGeom_createPointFromXY_r(handle(), p.x, p.y), "point"); }

GeomPtr Geos::polygon(const std::vector<XY>& shell) const {
    std::vector<XY> ring = shell;
    if (ring.empty() || !(ring.front() == ring.back())) {
        if (!ring.empty()) ring.push_back(ring.front());
    }
    if (ring.size() < 4) throw Error(ErrorCode::unprocessable, "a polygon ring needs at least 3 distinct points");
    auto* seq = GEOSCoordSeq_copyFromBuffer_r(handle(), &ring.front().x, static_cast<unsigned>(ring.size()), 0, 0);
    if (seq == nullptr) throw Error(ErrorCode::internal, "coordinate sequence");
    auto* lr = GEOSGeom_createLinearRing_r(handle(), seq);
    if (lr == nullptr) throw Error(ErrorCode::internal, "linear ring: " + m_ctx->last_error());
    return own(GEOSGeom_createPolygon_r(handle(), lr, nullptr, 0), "polygon");
}

GeomPtr Geos::multipoint(const std::vector<XY>& points) const {
    std::vector<GEOSGeometry*> parts;
    parts.reserve(points.size());
    for (const auto& p : points) parts.push_back(point(p).release());
    return own(GEOSGeom_createCollection_r(handle(), GEOS_MULTIPOINT, parts.data(), static_cast<unsigned>(parts.size())),
               "multipoint");
}

GeomPtr Geos::from_wkt(std::string_view wkt) const {
    auto* reader = GEOSWKTReader_create_r(handle());
    std::string text(wkt);
    auto* g = GEOSWKTReader_read_r(handle(), reader, text.c_str());
    GEOSWKTReader_destroy_r(handle(), reader);
    if (g == nullptr) throw Error(ErrorCode::bad_request, "not a WKT geometry: " + m_ctx->last_error());
    return GeomPtr(g, detail::GeomDeleter{m_ctx});
}

GeomPtr Geos::from_wkb_hex(std::string_view hex) const {
    auto* reader = GEOSWKBReader_create_r(handle());
    auto* g = GEOSWKBReader_readHEX_r(handle(), reader, reinterpret_cast<const unsigned char*>(hex.data()), hex.size());
    GEOSWKBReader_destroy_r(handle(), reader);
    return own(g, "WKB");
}

std::string Geos::to_ewkb_hex(const GEOSGeometry* g, int srid) const {
    auto copy = clone(g);
    GEOSSetSRID_r(handle(), copy.get(), srid);
    std::unique_ptr<GEOSWKBWriter, WkbWriterDeleter> w(GEOSWKBWriter_create_r(handle()), {handle()});
    GEOSWKBWriter_setIncludeSRID_r(handle(), w.get(), 1);
    std::size_t size = 0;
    unsigned char* hex = GEOSWKBWriter_writeHEX_r(handle(), w.get(), copy.get(), &size);
    if (hex == nullptr) throw Error(ErrorCode::internal, "WKB writer failed");
    std::string out(reinterpret_cast<char*>(hex), size);
    GEOSFree_r(handle(), hex);
    return out;
}

std::string Geos::to_wkt(const GEOSGeometry* g, int decimals) const {
    std::unique_ptr<GEOSWKTWriter, WktWriterDeleter> w(GEOSWKTWriter_create_r(handle()), {handle()});
    GEOSWKTWriter_setTrim_r(handle(), w.get(), 1);
    GEOSWKTWriter_setRoundingPrecision_r(handle(), w.get(), decimals);
    char* text = GEOSWKTWriter_write_r(handle(), w.get(), g);
    if (text == nullptr) throw Error(ErrorCode::internal, "WKT writer failed");
    std::string out(text);
    GEOSFree_r(handle(), text);
    return out;
}

GeomPtr Geos::clone(const GEOSGeometry* g) const { return own(GEOSGeom_clone_r(handle(), g), "clone"); }

GeomPtr Geos::from_geojson(std::string_view geojson) const {
    auto* reader = GEOSGeoJSONReader_create_r(handle());
    std::string text(geojson);
    auto* g = GEOSGeoJSONReader_readGeometry_r(handle(), reader, text.c_str());
    GEOSGeoJSONReader_destroy_r(handle(), reader);
    if (g == nullptr) throw Error(ErrorCode::bad_request, "geometry: not a GeoJSON geometry (" + m_ctx->last_error() + ")");
    return GeomPtr(g, detail::GeomDeleter{m_ctx});
}

std::string Geos::to_geojson(const GEOSGeometry* g, int indent) const {
    auto* writer = GEOSGeoJSONWriter_create_r(handle());
    char* text = GEOSGeoJSONWriter_writeGeometry_r(handle(), writer, g, indent);
    GEOSGeoJSONWriter_destroy_r(handle(), writer);
    if (text == nullptr) throw Error(ErrorCode::internal, "GeoJSON writer failed");
    std::string out(text);
    GEOSFree_r(handle(), text);
    return out;
}

GeomPtr Geos::snap(const GEOSGeometry* g, const GEOSGeometry* to, double tolerance) const {
    return own(GEOSSnap_r(handle(), g, to, tolerance), "snap");
}

Geos::Validity Geos::validity(const GEOSGeometry* g) const {
    char* reason = nullptr;
    GEOSGeometry* location = nullptr;
    const char ok = GEOSisValidDetail_r(handle(), g, 0, &reason, &location);
    Validity v{ok == 1, reason ? reason : "", GeomPtr(location, detail::GeomDeleter{m_ctx})};
    if (reason) GEOSFree_r(handle(), reason);
    return v;
}

GeomPtr Geos::intersection(const GEOSGeometry* a, const GEOSGeometry* b) const {
    return own(GEOSIntersection_r(handle(), a, b), "intersection");
}
GeomPtr Geos::difference(const GEOSGeometry* a, const GEOSGeometry* b) const {
    return own(GEOSDifference_r(handle(), a, b), "difference");
}
GeomPtr Geos::unite(const GEOSGeometry* a, const GEOSGeometry* b) const {
    return own(GEOSUnion_r(handle(), a, b), "union");
}
GeomPtr Geos::union_all(const std::vector<const GEOSGeometry*>& parts) const {
    std::vector<GEOSGeometry*> copies;
    copies.reserve(parts.size());
    for (const auto* p : parts) copies.push_back(clone(p).release());
    auto coll = own(GEOSGeom_createCollection_r(handle(), GEOS_GEOMETRYCOLLECTION, copies.data(),
                                                static_cast<unsigned>(copies.size())),
                    "collection");
    return own(GEOSUnaryUnion_r(handle(), coll.get()), "unary union");
}
GeomPtr Geos::boundary(const GEOSGeometry* g) const { return own(GEOSBoundary_r(handle(), g), "boundary"); }
GeomPtr Geos::centroid(const GEOSGeometry* g) const { return own(GEOSGetCentroid_r(handle(), g), "centroid"); }
GeomPtr Geos::envelope(const GEOSGeometry* g) const { return own(GEOSEnvelope_r(handle(), g), "envelope"); }

GeomPtr Geos::voronoi(const GEOSGeometry* points, const GEOSGeometry* extent) const {
    return own(GEOSVoronoiDiagram_r(handle(), points, extent, 0.0, 0), "voronoi");
}

GeomPtr Geos::transform_raw(const GEOSGeometry* g, TransformFn fn, void* user) const {
    return own(GEOSGeom_transformXY_r(handle(), g, fn, user), "transform");
}

double Geos::area(const GEOSGeometry* g) const {
    double a = 0;
    if (GEOSArea_r(handle(), g, &a) == 0) throw Error(ErrorCode::internal, "area failed");
    return a;
}
double Geos::length(const GEOSGeometry* g) const {
    double l = 0;
    if (GEOSLength_r(handle(), g, &l) == 0) throw Error(ErrorCode::internal, "length failed");
    return l;
}
double Geos::distance(const GEOSGeometry* a, const GEOSGeometry* b) const {
    double d = 0;
    if (GEOSDistance_r(handle(), a, b, &d) == 0) throw Error(ErrorCode::internal, "distance failed");
    return d;
}
bool Geos::is_valid(const GEOSGeometry* g) const { return GEOSisValid_r(handle(), g) == 1; }
std::string Geos::validity_reason(const GEOSGeometry* g) const {
    char* r = GEOSisValidReason_r(handle(), g);
    if (r == nullptr) return "validity could not be determined";
    std::string out(r);
    GEOSFree_r(handle(), r);
    return out;
}
bool Geos::is_empty(const GEOSGeometry* g) const { return GEOSisEmpty_r(handle(), g) == 1; }
bool Geos::contains(const GEOSGeometry* a, const GEOSGeometry* b) const { return GEOSContains_r(handle(), a, b) == 1; }
bool Geos::equals_exact(const GEOSGeometry* a, const GEOSGeometry* b, double tolerance) const {
    return GEOSEqualsExact_r(handle(), a, b, tolerance) == 1;
}

std::string Geos::type_name(const GEOSGeometry* g) const {
    char* t = GEOSGeomType_r(handle(), g);
    std::string out = t ? t : "";
    GEOSFree_r(handle(), t);
    return out;
}
int Geos::num_geometries(const GEOSGeometry* g) const { return GEOSGetNumGeometries_r(handle(), g); }
GeomPtr Geos::geometry_n(const GEOSGeometry* g, int n) const {
    const GEOSGeometry* part = GEOSGetGeometryN_r(handle(), g, n);
    if (part == nullptr) throw Error(ErrorCode::internal, "geometry index out of range");
    return clone(part);
}

std::vector<XY> Geos::exterior_ring(const GEOSGeometry* polygon) const {
    const GEOSGeometry* ring = GEOSGetExteriorRing_r(handle(), polygon);
    if (ring == nullptr) throw Error(ErrorCode::internal, "not a polygon");
    const GEOSCoordSequence* seq = GEOSGeom_getCoordSeq_r(handle(), ring);
    unsigned size = 0;
    GEOSCoordSeq_getSize_r(handle(), seq, &size);
    std::vector<XY> out(size);
    if (size > 0) GEOSCoordSeq_copyToBuffer_r(handle(), seq, &out.front().x, 0, 0);
    return out;
}

XY Geos::point_xy(const GEOSGeometry* point) const {
    XY p{};
    if (GEOSGeomGetX_r(handle(), point, &p.x) == 0 || GEOSGeomGetY_r(handle(), point, &p.y) == 0)
        throw Error(ErrorCode::internal, "not a point");
    return p;
}

PreparedPtr Geos::prepare(const GEOSGeometry* g) const {
    const auto* p = GEOSPrepare_r(handle(), g);
    if (p == nullptr) throw Error(ErrorCode::internal, "prepare failed");
    return PreparedPtr(p, detail::PreparedDeleter{m_ctx});
}
bool Geos::prepared_contains(const GEOSPreparedGeometry* p, const GEOSGeometry* g) const {
    return GEOSPreparedContains_r(handle(), p, g) == 1;
}
bool Geos::prepared_covers(const GEOSPreparedGeometry* p, const GEOSGeometry* g) const {
    return GEOSPreparedCovers_r(handle(), p, g) == 1;
}

bool Geos::prepared_contains_properly(const GEOSPreparedGeometry* p, const GEOSGeometry* g) const {
    return GEOSPreparedContainsProperly_r(handle(), p, g) == 1;
}
bool Geos::prepared_intersects(const GEOSPreparedGeometry* p, const GEOSGeometry* g) const {
    return GEOSPreparedIntersects_r(handle(), p, g) == 1;
}
double Geos::prepared_distance(const GEOSPreparedGeometry* p, const GEOSGeometry* g) const {
    double d = 0;
    if (GEOSPreparedDistance_r(handle(), p, g, &d) == 0) throw Error(ErrorCode::internal, "distance failed");
    return d;
}
bool Geos::prepared_distance_within(const GEOSPreparedGeometry* p, const GEOSGeometry* g, double distance) const {
    return GEOSPreparedDistanceWithin_r(handle(), p, g, distance) == 1;
}
GeomPtr Geos::box(double xmin, double ymin, double xmax, double ymax) const {
    return polygon({{xmin, ymin}, {xmax, ymin}, {xmax, ymax}, {xmin, ymax}, {xmin, ymin}});
}

}  // namespace wangge::geo
