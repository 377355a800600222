#pragma once
// Kernel density of report points on a pixel grid (STATS.md "Heatmap"): quartic kernel
// K(d) = 3/(π r²)·(1 − (d/r)²)² for d < r, r in pixels, density per px² summed over the
// filtered points. Points are binned to the centre of their pixel (≤ 0.5 px shift, a
// pixel is the finest thing a tile can show); the grid is padded by r, so every pixel
// sees every point within r whatever tile it falls in, and neighbouring tiles join
// without seams. No Mapnik here.

#include "tiles/snapshot.hpp"

#include <vector>

namespace wangge::tiles {

inline constexpr double k_default_radius_px = 24.0;

struct DensityGrid {
    int width = 0;
    int height = 0;
    std::vector<float> values;  // row-major, north row first, density per px²
};

/// Density over `box` drawn as width × height square pixels.
DensityGrid kernel_density(const Snapshot& snapshot, const CompiledFilter& filter, const Box& box, int width,
                           int height, double radius_px);

/// The top of the colour scale when the request gives none (STATS.md: fixed per request,
/// derived from the whole filtered layer at that zoom): the density at the centre of the
/// r × r pixel cell (on the zoom's global pixel grid) holding most filtered points. At
/// least one point's peak K(0), so an empty layer still has a scale.
double derived_scale_max(const Snapshot& snapshot, const CompiledFilter& filter, double metres_per_px,
                         double radius_px);

}  // namespace wangge::tiles
