#pragma once
// The map layers' data in memory: report points and grid outlines per (town, grid)
// bucket, refreshed per request from the data versions of migration 0003 (one indexed
// query when nothing changed; only changed buckets are reloaded). Readers hold an
// immutable Snapshot; a refresh builds a new one sharing the unchanged buckets.

#include "tiles/mercator.hpp"
#include "tiles/params.hpp"

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace wangge::data {
class Database;
}

namespace wangge::tiles {

inline constexpr std::int64_t k_no_due = std::numeric_limits<std::int64_t>::max();

struct ReportPoint {
    std::int64_t id = 0;              // report id (with the bucket's town: the key)
    double x = 0, y = 0;              // EPSG:3857
    std::int64_t reported_at = 0;     // Unix seconds
    std::int64_t due_at = k_no_due;   // Unix seconds
    std::uint16_t category = 0;       // index into Snapshot::categories
    std::uint8_t platform = 0;        // index into k_platforms
    std::uint8_t status = 0;          // wangge::Status

    bool open() const noexcept;       // not closed, not rejected
};

struct GridShape {
    std::string town, id, name;
    std::int64_t stamp = 0;           // data::GridOutlineRow::stamp of this outline
    std::uint64_t digest = 0;         // FNV-1a 64 of what a drawing shows: id, name, outline, label point
    std::string wkb;                  // EPSG:3857
    double label_x = 0, label_y = 0;
    Box bbox;
};

using BucketKey = std::pair<std::string, std::string>;  // (town, grid); grid "" = unassigned

struct Bucket {
    BucketKey key;
    std::int64_t version = 0;
    std::vector<ReportPoint> points;           // sorted by x, then id
    std::vector<std::int64_t> open_due;        // due_at of open reports, sorted
    std::shared_ptr<const GridShape> grid;     // null for the unassigned bucket or a retired grid
    Box bbox = Box::empty();                   // points ∪ grid outline

    /// Open reports overdue at `now` (STATS.md overdue_open, without the cohort).
    std::size_t overdue_at(std::int64_t now) const noexcept;
};

/// A filter turned into masks over the snapshot's codes.
struct CompiledFilter {
    std::vector<std::string> towns;    // empty: all
    std::int64_t from = std::numeric_limits<std::int64_t>::min();
    std::int64_t to = std::numeric_limits<std::int64_t>::max();
    std::uint32_t platforms = ~0u;     // bit per platform index
    std::uint32_t statuses = ~0u;      // bit per Status
    std::vector<bool> categories;      // empty: all

    bool covers_town(const std::string& town) const;
    bool operator==(const CompiledFilter&) const = default;
    bool matches(const ReportPoint& p) const noexcept {
        return p.reported_at >= from && p.reported_at < to && ((platforms >> p.platform) & 1u) &&
               ((statuses >> p.status) & 1u) && (categories.empty() || (p.category < categories.size() && categories[p.category]));
    }
};

struct Snapshot {
    std::int64_t version = 0;                                  // highest bucket version seen
    std::map<BucketKey, std::shared_ptr<const Bucket>> buckets;
    std::vector<std::string> categories;                       // code table (append-only)

    /// Each town's buckets' boxes joined, so that a tile skips whole towns: a province
    /// holds ~63,000 buckets in ~1,300 towns, and looking at every bucket's box made a
    /// cached province tile cost 0.15 of a health check. Filled by index_towns(), which
    /// SnapshotStore calls for every snapshot it makes; a snapshot assembled by hand
    /// without it is walked bucket by bucket.
    std::map<std::string, Box> town_boxes;
    void index_towns();

    CompiledFilter compile(const ReportFilter& filter) const;

    /// Calls fn(key, bucket) for every bucket of a town the filter covers whose box
    /// intersects `box`, in key order.
    template <class Fn>
    void for_each_bucket(const CompiledFilter& f, const Box& box, Fn&& fn) const {
        if (town_boxes.empty()) {
            for (const auto& [key, bucket] : buckets)
                if (bucket->bbox.intersects(box) && f.covers_town(key.first)) fn(key, *bucket);
            return;
        }
        for (const auto& [town, town_box] : town_boxes) {
            if (!town_box.intersects(box) || !f.covers_town(town)) continue;
            for (auto it = buckets.lower_bound({town, ""}); it != buckets.end() && it->first.first == town; ++it)
                if (it->second->bbox.intersects(box)) fn(it->first, *it->second);
        }
    }

    /// Calls fn(point) for every filtered point inside `box`.
    template <class Fn>
    void for_each_point(const CompiledFilter& f, const Box& box, Fn&& fn) const {
        for_each_bucket(f, box, [&](const BucketKey&, const Bucket& bucket) {
            const auto& pts = bucket.points;
            auto it = std::lower_bound(pts.begin(), pts.end(), box.minx,
                                       [](const ReportPoint& p, double x) { return p.x < x; });
            for (; it != pts.end() && it->x <= box.maxx; ++it)
                if (it->y >= box.miny && it->y <= box.maxy && f.matches(*it)) fn(*it);
        });
    }
};

class SnapshotStore {
public:
    explicit SnapshotStore(data::Database& db) : m_db(db) {}

    /// The data as of now. Unfollowed: checks the versions (one query) on every call.
    /// Followed (follow() with a feed that is listening): only when data_changed() was
    /// called since the last check began, so a request after an unchanged period costs no
    /// database round trip.
    /// Either way only the changed reports are read: cost follows the writes, not the data.
    /// @throws Error(database_unavailable) and Error(internal) from the data layer
    std::shared_ptr<const Snapshot> current();

    /// Something may have changed (the change feed heard a write, or this node made one).
    void data_changed() noexcept;
    /// `listening` is true while a change feed calls data_changed() for every committed
    /// write (and once for everything after it reconnects); while it is false (the feed
    /// lost its connection) every call checks again. Set before the first current().
    void follow(std::function<bool()> listening);

    struct Stats {
        std::uint64_t checks = 0, full_loads = 0, reports_reloaded = 0, skipped_checks = 0;
    };
    Stats stats() const;

private:
    std::shared_ptr<const Snapshot> refresh(const std::shared_ptr<const Snapshot>& base);
    std::shared_ptr<const Snapshot> full_load();

    data::Database& m_db;
    mutable std::mutex m_mutex;
    std::condition_variable m_cv;
    bool m_running = false;
    std::uint64_t m_started = 0;    // checks begun
    std::uint64_t m_finished = 0;   // id of the last check that ended
    std::uint64_t m_last_ok = 0;    // id of the last check that succeeded
    std::exception_ptr m_last_error;
    std::shared_ptr<const Snapshot> m_current;
    std::function<bool()> m_listening;
    std::uint64_t m_signals = 0;          // data_changed() calls
    std::uint64_t m_signals_applied = 0;  // signals seen before the last successful check began
    Stats m_stats;
    // Refresh-thread state (one refresh at a time): the newest report_changes id applied
    // and the ids applied inside the late-commit window below it.
    std::int64_t m_change_mark = 0;
    std::vector<std::int64_t> m_recent_changes;  // sorted
};

}  // namespace wangge::tiles
