#pragma once
// RAII over the GEOS C API (reentrant _r functions). One Geos per thread: a context
// handle is not thread-safe, and every geometry keeps its context alive through the
// deleter so destruction order never matters.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

struct GEOSContextHandle_HS;
typedef struct GEOSContextHandle_HS* GEOSContextHandle_t;
struct GEOSGeom_t;
typedef struct GEOSGeom_t GEOSGeometry;
struct GEOSPrepGeom_t;
typedef struct GEOSPrepGeom_t GEOSPreparedGeometry;

namespace wangge::geo {

struct XY {
    double x;
    double y;
    bool operator==(const XY&) const = default;
};

namespace detail {
class ContextHolder;
struct GeomDeleter {
    std::shared_ptr<ContextHolder> ctx;
    void operator()(GEOSGeometry* g) const noexcept;
};
struct PreparedDeleter {
    std::shared_ptr<ContextHolder> ctx;
    void operator()(const GEOSPreparedGeometry* g) const noexcept;
};
}  // namespace detail

using GeomPtr = std::unique_ptr<GEOSGeometry, detail::GeomDeleter>;
using PreparedPtr = std::unique_ptr<const GEOSPreparedGeometry, detail::PreparedDeleter>;

/// A GEOS context and the operations wangge needs. Every operation that GEOS can fail
/// throws Error(internal) with GEOS's message in the server log, never to the client.
class Geos {
public:
    Geos();

    GEOSContextHandle_t handle() const noexcept;

    GeomPtr point(XY p) const;
    /// A polygon from one closed or open exterior ring (closed here if needed).
    GeomPtr polygon(const std::vector<XY>& shell) const;
    GeomPtr multipoint(const std::vector<XY>& points) const;
    GeomPtr from_wkt(std::string_view wkt) const;
    GeomPtr from_wkb_hex(std::string_view hex) const;
    /// Hex EWKB with SRID, the text form PostGIS casts straight to geometry.
    std::string to_ewkb_hex(const GEOSGeometry* g, int srid) const;
    std::string to_wkt(const GEOSGeometry* g, int decimals = 9) const;
    GeomPtr clone(const GEOSGeometry* g) const;
    /// A GeoJSON geometry (RFC 7946). @throws Error(bad_request) with GEOS's reason
    GeomPtr from_geojson(std::string_view geojson) const;
    std::string to_geojson(const GEOSGeometry* g, int indent = -1) const;
    /// Snaps g's vertices and edges to those of `to` within `tolerance`.
    GeomPtr snap(const GEOSGeometry* g, const GEOSGeometry* to, double tolerance) const;
    /// Validity with GEOS's reason and the location of the problem (empty when valid).
    struct Validity {
        bool valid;
        std::string reason;
        GeomPtr location;
    };
    Validity validity(const GEOSGeometry* g) const;

    GeomPtr intersection(const GEOSGeometry* a, const GEOSGeometry* b) const;
    GeomPtr difference(const GEOSGeometry* a, const GEOSGeometry* b) const;
    GeomPtr unite(const GEOSGeometry* a, const GEOSGeometry* b) const;
    GeomPtr union_all(const std::vector<const GEOSGeometry*>& parts) const;
    GeomPtr boundary(const GEOSGeometry* g) const;
    GeomPtr centroid(const GEOSGeometry* g) const;
    GeomPtr envelope(const GEOSGeometry* g) const;
    /// Voronoi cells of the points, extended to cover `extent`; cell order is GEOS's.
    GeomPtr voronoi(const GEOSGeometry* points, const GEOSGeometry* extent) const;
    /// Applies fn(x, y) in place to every coordinate of a copy of g.
    template <class Fn> GeomPtr transform(const GEOSGeometry* g, Fn&& fn) const;

    double area(const GEOSGeometry* g) const;
    double length(const GEOSGeometry* g) const;
    double distance(const GEOSGeometry* a, const GEOSGeometry* b) const;
    bool is_valid(const GEOSGeometry* g) const;
    /// GEOS's reason ("Self-intersection[x y]") or "Valid Geometry".
    std::string validity_reason(const GEOSGeometry* g) const;
    bool is_empty(const GEOSGeometry* g) const;
    bool contains(const GEOSGeometry* a, const GEOSGeometry* b) const;
    /// Same structure and every coordinate within `tolerance`.
    bool equals_exact(const GEOSGeometry* a, const GEOSGeometry* b, double tolerance) const;
    /// "Polygon", "MultiPolygon", …
    std::string type_name(const GEOSGeometry* g) const;
    int num_geometries(const GEOSGeometry* g) const;
    GeomPtr geometry_n(const GEOSGeometry* g, int n) const;  // a copy
    /// Coordinates of a polygon's exterior ring (closed) or of a point.
    std::vector<XY> exterior_ring(const GEOSGeometry* polygon) const;
    XY point_xy(const GEOSGeometry* point) const;

    PreparedPtr prepare(const GEOSGeometry* g) const;
    bool prepared_contains(const GEOSPreparedGeometry* p, const GEOSGeometry* g) const;
    bool prepared_covers(const GEOSPreparedGeometry* p, const GEOSGeometry* g) const;
    bool prepared_contains_properly(const GEOSPreparedGeometry* p, const GEOSGeometry* g) const;
    bool prepared_intersects(const GEOSPreparedGeometry* p, const GEOSGeometry* g) const;
    double prepared_distance(const GEOSPreparedGeometry* p, const GEOSGeometry* g) const;
    bool prepared_distance_within(const GEOSPreparedGeometry* p, const GEOSGeometry* g, double distance) const;
    /// An axis-aligned rectangle polygon.
    GeomPtr box(double xmin, double ymin, double xmax, double ymax) const;

private:
    using TransformFn = int (*)(double*, double*, void*);
    GeomPtr transform_raw(const GEOSGeometry* g, TransformFn fn, void* user) const;
    GeomPtr own(GEOSGeometry* g, const char* what) const;

    std::shared_ptr<detail::ContextHolder> m_ctx;
};

template <class Fn> GeomPtr Geos::transform(const GEOSGeometry* g, Fn&& fn) const {
    auto trampoline = [](double* x, double* y, void* user) -> int {
        return (*static_cast<std::remove_reference_t<Fn>*>(user))(*x, *y) ? 1 : 0;
    };
    return transform_raw(g, trampoline, &fn);
}

}  // namespace wangge::geo
