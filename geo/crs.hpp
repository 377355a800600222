#pragma once
// Coordinate reference systems through PROJ. Axis order is always x = easting/longitude,
// y = northing/latitude (PROJ's "visualization" order), whatever the EPSG definition says.

#include "geo/geos.hpp"

#include <memory>
#include <string>

namespace wangge::geo {

inline constexpr int k_storage_srid = 4490;  // CGCS2000 geographic, API.md storage CRS
inline constexpr int k_metric_srid = 4549;   // CGCS2000 / 3-degree Gauss-Kruger CM 120E

namespace detail {
struct ProjState;
}

/// A PROJ transformation between two CRSs. Not thread-safe: one per thread.
class Transformer {
public:
    /// @param from, to anything PROJ understands ("EPSG:4490", a WKT, a PROJ string)
    /// @throws Error(bad_request) when PROJ cannot build the transformation
    Transformer(const std::string& from, const std::string& to);
    ~Transformer();
    Transformer(Transformer&&) noexcept;
    Transformer& operator=(Transformer&&) noexcept;

    /// @throws Error(unprocessable) when the point cannot be transformed
    XY forward(XY p) const;
    XY inverse(XY p) const;

    /// Every coordinate of g transformed forward, in a new geometry of `geos`.
    GeomPtr forward(const Geos& geos, const GEOSGeometry* g) const;

private:
    std::unique_ptr<detail::ProjState> m_state;
};

}  // namespace wangge::geo
