#include "tiles/heatmap.hpp"

#include <algorithm>
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

namespace {

std::uint64_t cell_key(const ReportPoint& p, double cell) {
    const auto ix = static_cast<std::uint64_t>((p.x + k_half_world) / cell);
    const auto iy = static_cast<std::uint64_t>((k_half_world - p.y) / cell);
    return (ix << 32) | (iy & 0xffffffffu);
}

// Exact density at the centre of cell `key` from every filtered point within r; at least
// one point's peak.
double density_at_cell(const Snapshot& snapshot, const CompiledFilter& filter, std::uint64_t key, double cell,
                       double radius_px) {
    const double peak = 3.0 / (std::numbers::pi * radius_px * radius_px);
    const double cx = (static_cast<double>(key >> 32) + 0.5) * cell - k_half_world;
    const double cy = k_half_world - (static_cast<double>(key & 0xffffffffu) + 0.5) * cell;
    const double r_m = cell;  // the cell is r × r
    double density = 0;
    snapshot.for_each_point(filter, Box{cx, cy, cx, cy}.expanded(r_m), [&](const ReportPoint& p) {
        const double d2 = ((p.x - cx) * (p.x - cx) + (p.y - cy) * (p.y - cy)) / (r_m * r_m);
        if (d2 < 1) density += peak * (1 - d2) * (1 - d2);
    });
    return std::max(density, peak);
}

using BucketMap = std::map<BucketKey, std::shared_ptr<const Bucket>>;

// The ranges of `buckets` the filter can reach, in key order: with towns named, only
// theirs (a province holds ~63,000 buckets).
std::vector<std::pair<BucketMap::const_iterator, BucketMap::const_iterator>> reachable(const BucketMap& buckets,
                                                                                        const std::vector<std::string>& towns) {
    if (towns.empty()) return {{buckets.begin(), buckets.end()}};
    std::vector<std::pair<BucketMap::const_iterator, BucketMap::const_iterator>> out;
    for (const auto& town : towns) {
        auto first = buckets.lower_bound({town, ""});
        auto last = first;
        while (last != buckets.end() && last->first.first == town) ++last;
        out.emplace_back(first, last);
    }
    return out;
}

}  // namespace

double derived_scale_max(const Snapshot& snapshot, const CompiledFilter& filter, double metres_per_px,
                         double radius_px) {
    const double cell = radius_px * metres_per_px;
    std::unordered_map<std::uint64_t, std::uint32_t> cells;
    std::uint64_t best_key = 0;
    std::uint32_t best = 0;
    const Box world{-k_half_world, -k_half_world, k_half_world, k_half_world};
    snapshot.for_each_point(filter, world, [&](const ReportPoint& p) {
        const std::uint64_t key = cell_key(p, cell);
        const auto n = ++cells[key];
        if (n > best || (n == best && key < best_key)) best = n, best_key = key;
    });
    if (best == 0) return 3.0 / (std::numbers::pi * radius_px * radius_px);
    return density_at_cell(snapshot, filter, best_key, cell, radius_px);
}

DensityPeak::DensityPeak(CompiledFilter filter, double metres_per_px, double radius_px)
    : m_filter(std::move(filter)), m_metres_per_px(metres_per_px), m_radius_px(radius_px), m_cell(radius_px * metres_per_px),
      m_towns(m_filter.towns) {
    std::sort(m_towns.begin(), m_towns.end());
    m_towns.erase(std::unique(m_towns.begin(), m_towns.end()), m_towns.end());
}

DensityPeak::Counted DensityPeak::count(const Bucket& bucket) const {
    Counted out;
    out.version = bucket.version;
    if (!m_filter.covers_town(bucket.key.first)) return out;
    for (const auto& p : bucket.points)
        if (m_filter.matches(p)) out.cells.emplace_back(cell_key(p, m_cell), 1);
    if (out.cells.empty()) return out;
    std::sort(out.cells.begin(), out.cells.end());
    std::size_t w = 0;
    for (std::size_t r = 1; r < out.cells.size(); ++r) {
        if (out.cells[r].first == out.cells[w].first) {
            ++out.cells[w].second;
        } else {
            out.cells[++w] = out.cells[r];
        }
    }
    out.cells.resize(w + 1);
    return out;
}

void DensityPeak::apply(const Counted& counted, int sign) {
    for (const auto& [key, n] : counted.cells) {
        auto& total = m_cells[key];
        if (total > 0) m_ranked.erase({total, key});
        total = sign > 0 ? total + n : total - n;
        if (total > 0) {
            m_ranked.insert({total, key});
        } else {
            m_cells.erase(key);
        }
    }
}

double DensityPeak::at(const Snapshot& snapshot) {
    std::uint64_t best_key = 0;
    {
        std::lock_guard lock(m_mutex);
        // The same version is the same data (as the tile service's other memos assume).
        if (m_version == snapshot.version && m_value) return *m_value;
        if (m_too_many_cells) {
            const double value = derived_scale_max(snapshot, m_filter, m_metres_per_px, m_radius_px);
            m_version = snapshot.version;
            m_value = value;
            return value;
        }
        // Walk what was counted and what the snapshot holds side by side (both in key
        // order), mending m_counted in place; a bucket at the version counted is passed
        // over without looking inside.
        auto a = m_counted.begin();
        auto drop_until = [&](const BucketKey* key) {
            while (a != m_counted.end() && (key == nullptr || a->first < *key)) {
                apply(a->second, -1);
                a = m_counted.erase(a);
            }
        };
        for (auto [b, end] : reachable(snapshot.buckets, m_towns)) {
            for (; b != end; ++b) {
                drop_until(&b->first);
                if (a != m_counted.end() && a->first == b->first) {
                    if (a->second.version != b->second->version) {
                        apply(a->second, -1);
                        a->second = count(*b->second);
                        apply(a->second, +1);
                    }
                    ++a;
                } else {
                    const auto it = m_counted.emplace_hint(a, b->first, count(*b->second));
                    apply(it->second, +1);
                }
            }
        }
        drop_until(nullptr);
        if (m_cells.size() > k_max_cells) {
            // A whole province at z16 has millions of cells: following it would hold
            // hundreds of MB per filter and zoom. Count such layers afresh instead.
            m_too_many_cells = true;
            m_counted.clear();
            m_cells.clear();
            m_ranked.clear();
            const double value = derived_scale_max(snapshot, m_filter, m_metres_per_px, m_radius_px);
            m_version = snapshot.version;
            m_value = value;
            return value;
        }
        m_version = snapshot.version;
        m_value.reset();
        if (m_ranked.empty()) {
            m_value = 3.0 / (std::numbers::pi * m_radius_px * m_radius_px);
            return *m_value;
        }
        best_key = m_ranked.begin()->second;
    }
    const double value = density_at_cell(snapshot, m_filter, best_key, m_cell, m_radius_px);
    std::lock_guard lock(m_mutex);
    if (m_version == snapshot.version) m_value = value;
    return value;
}

}  // namespace wangge::tiles
