#include "geo/crs.hpp"

#include "core/error.hpp"

#include <proj.h>

#include <cmath>

namespace wangge::geo {

namespace detail {

struct ProjState {
    PJ_CONTEXT* ctx = nullptr;
    PJ* pj = nullptr;
    ~ProjState() {
        if (pj != nullptr) proj_destroy(pj);
        if (ctx != nullptr) proj_context_destroy(ctx);
    }
};

}  // namespace detail

Transformer::Transformer(const std::string& from, const std::string& to)
    : m_state(std::make_unique<detail::ProjState>()) {
    m_state->ctx = proj_context_create();
    if (m_state->ctx == nullptr) throw Error(ErrorCode::internal, "PROJ context could not be created");
    // Never reach for the network (no CDN grids here); the null CGCS2000↔WGS84 shift
    // needs none.
    proj_context_set_enable_network(m_state->ctx, 0);
    PJ* raw = proj_create_crs_to_crs(m_state->ctx, from.c_str(), to.c_str(), nullptr);
    if (raw == nullptr) throw Error(ErrorCode::bad_request, "unknown or unusable CRS pair " + from + " → " + to);
    m_state->pj = proj_normalize_for_visualization(m_state->ctx, raw);
    proj_destroy(raw);
    if (m_state->pj == nullptr) throw Error(ErrorCode::bad_request, "CRS pair cannot be normalised: " + from + " → " + to);
}

Transformer::~Transformer() = default;
Transformer::Transformer(Transformer&&) noexcept = default;
Transformer& Transformer::operator=(Transformer&&) noexcept = default;

namespace {
XY run(PJ* pj, XY p, PJ_DIRECTION dir) {
    PJ_COORD c = proj_coord(p.x, p.y, 0, 0);
    PJ_COORD r = proj_trans(pj, dir, c);
    if (!std::isfinite(r.xy.x) || !std::isfinite(r.xy.y) || r.xy.x == HUGE_VAL)
        throw Error(ErrorCode::unprocessable, "coordinate cannot be transformed");
    return {r.xy.x, r.xy.y};
}
}  // namespace

XY Transformer::forward(XY p) const { return run(m_state->pj, p, PJ_FWD); }
XY Transformer::inverse(XY p) const { return run(m_state->pj, p, PJ_INV); }

GeomPtr Transformer::forward(const Geos& geos, const GEOSGeometry* g) const {
    return geos.transform(g, [&](double& x, double& y) {
        const auto p = forward({x, y});
        x = p.x;
        y = p.y;
        return true;
    });
}

}  // namespace wangge::geo
