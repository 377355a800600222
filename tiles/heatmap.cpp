#include "tiles/heatmap.hpp"

#include <cmath>
#include <numbers>
#include <unordered_map>

namespace wangge::tiles {

namespace {

// The kernel on integer pixel offsets: for each dy in [−R, R], the half width of the
// disc d < r and the weights of that row.
struct KernelRows {
    int reach = 0;                          // R = ceil(r) − 1 at most r away
    std::vector<int> half_width;            // by dy + R; −1 when the row is empty
    std::vector<std::vector<float>> rows;   // by dy + R, index dx + half_width

    explicit KernelRows(double r) {
        reach = static_cast<int>(std::ceil(r));
        const double norm = 3.0 / (std::numbers::pi * r * r);
        for (int dy = -reach; dy <= reach; ++dy) {
            std::vector<float> row;
            int w = -1;
            for (int dx = 0; dx <= reach; ++dx)
                if (dx * dx + dy * dy < r * r) w = dx;
            for (int dx = -w; dx <= w; ++dx) {
                const double t = 1.0 - (dx * dx + dy * dy) / (r * r);
                row.push_back(static_cast<float>(norm * t * t));
            }
            half_width.push_back(w);
            rows.push_back(std::move(row));
        }
    }
};

}  // namespace

DensityGrid kernel_density(const Snapshot& snapshot, const CompiledFilter& filter, const Box& box, int width,
                           int height, double radius_px) {
    DensityGrid out;
    out.width = width;
    out.height = height;
    out.values.assign(static_cast<std::size_t>(width) * static_cast<std::size_t>(height), 0.0f);
    const double px = box.width() / width;
    const KernelRows kernel(radius_px);
    const int pad = kernel.reach;

    // Counts per pixel of the padded grid.
    const int pw = width + 2 * pad, ph = height + 2 * pad;
    std::vector<float> counts(static_cast<std::size_t>(pw) * static_cast<std::size_t>(ph), 0.0f);
    snapshot.for_each_point(filter, box.expanded(pad * px), [&](const ReportPoint& p) {
        const auto cx = static_cast<long>(std::floor((p.x - box.minx) / px)) + pad;
        const auto cy = static_cast<long>(std::floor((box.maxy - p.y) / px)) + pad;
        if (cx < 0 || cy < 0 || cx >= pw || cy >= ph) return;
        counts[static_cast<std::size_t>(cy) * static_cast<std::size_t>(pw) + static_cast<std::size_t>(cx)] += 1.0f;
    });

    // Splat each occupied pixel's kernel, row by row (contiguous, vectorisable).
    for (int cy = 0; cy < ph; ++cy) {
        for (int cx = 0; cx < pw; ++cx) {
            const float c = counts[static_cast<std::size_t>(cy) * static_cast<std::size_t>(pw) + static_cast<std::size_t>(cx)];
            if (c == 0.0f) continue;
            const int ox = cx - pad, oy = cy - pad;  // output coordinates of the source pixel
            for (int dy = -pad; dy <= pad; ++dy) {
                const int y = oy + dy;
                if (y < 0 || y >= height) continue;
                const int w = kernel.half_width[static_cast<std::size_t>(dy + pad)];
                if (w < 0) continue;
                const int x0 = std::max(0, ox - w), x1 = std::min(width - 1, ox + w);
                if (x0 > x1) continue;
                const float* k = kernel.rows[static_cast<std::size_t>(dy + pad)].data() + (x0 - (ox - w));
                float* dst = out.values.data() + static_cast<std::size_t>(y) * static_cast<std::size_t>(width) +
                             static_cast<std::size_t>(x0);
                for (int i = 0; i <= x1 - x0; ++i) dst[i] += c * k[i];
            }
        }
    }
    return out;
}

double derived_scale_max(const Snapshot& snapshot, const CompiledFilter& filter, double metres_per_px,
                         double radius_px) {
    const double cell = radius_px * metres_per_px;
    std::unordered_map<std::uint64_t, std::uint32_t> cells;
    std::uint64_t best_key = 0;
    std::uint32_t best = 0;
    const Box world{-k_half_world, -k_half_world, k_half_world, k_half_world};
    snapshot.for_each_point(filter, world, [&](const ReportPoint& p) {
        const auto ix = static_cast<std::uint64_t>((p.x + k_half_world) / cell);
        const auto iy = static_cast<std::uint64_t>((k_half_world - p.y) / cell);
        const std::uint64_t key = (ix << 32) | (iy & 0xffffffffu);
        const auto n = ++cells[key];
        if (n > best || (n == best && key < best_key)) best = n, best_key = key;
    });
    const double peak = 3.0 / (std::numbers::pi * radius_px * radius_px);
    if (best == 0) return peak;
    // Exact density at the cell centre from every filtered point within r.
    const double cx = (static_cast<double>(best_key >> 32) + 0.5) * cell - k_half_world;
    const double cy = k_half_world - (static_cast<double>(best_key & 0xffffffffu) + 0.5) * cell;
    const double r_m = radius_px * metres_per_px;
    double density = 0;
    snapshot.for_each_point(filter, Box{cx, cy, cx, cy}.expanded(r_m), [&](const ReportPoint& p) {
        const double d2 = ((p.x - cx) * (p.x - cx) + (p.y - cy) * (p.y - cy)) / (r_m * r_m);
        if (d2 < 1) density += peak * (1 - d2) * (1 - d2);
    });
    return std::max(density, peak);
}

}  // namespace wangge::tiles
