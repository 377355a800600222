// Query strings of every route that takes one: the first byte picks the route's validator,
// the rest is the raw query, decoded by api::parse_query as the front decodes it
// (api/report_params, api/analytics_params, api/ogc_params).

#include "api/analytics_params.hpp"
#include "api/ogc_params.hpp"
#include "api/report_params.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using namespace wangge;

namespace {

std::optional<std::string> take(api::QueryMap& q, const std::string& key) {
    auto it = q.find(key);
    if (it == q.end()) return std::nullopt;
    auto v = it->second;
    q.erase(it);
    return v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const auto route = data[0] % 9;
    const auto query_text = fuzz::as_text(data + 1, size - 1);
    const Timestamp now{std::chrono::seconds{1'780'000'000}};  // 2026-05-28, fixed: replays are repeatable
    fuzz::expect_client_error_only([&] {
        auto q = api::parse_query(query_text);
        switch (route) {
        case 0: {
            const auto f = api::parse_report_filter(q);
            // A cursor this server gives is read back as the same position.
            if (f.after) {
                api::QueryMap again{{"cursor", api::encode_cursor(*f.after)}};
                fuzz::check(api::parse_report_filter(again).after == f.after, "cursor round trip");
            }
            break;
        }
        case 1: {
            const auto p = api::parse_completion_params(q, now);
            fuzz::check(p.from < p.to, "completion: from >= to");
            break;
        }
        case 2: {
            const auto p = api::parse_hotspot_params(q);
            fuzz::check(p.from < p.to, "hotspot: from >= to");
            break;
        }
        case 3: (void)api::parse_trend_params(q, now); break;
        case 4: {
            // The path's {town} and {YYYY-MM}, and the Accept header, ride in the query here.
            const auto town = take(q, "town").value_or("tashi");
            const auto month = take(q, "month").value_or("2026-03");
            const auto accept = take(q, "accept");
            (void)api::parse_meeting_params(town, month, q, accept);
            break;
        }
        case 5: {
            const auto items = api::parse_ogc_items(data::OgcCollection::grids, q);
            fuzz::check(items.limit >= 1 && items.limit <= api::k_ogc_max_limit, "ogc limit out of range");
            break;
        }
        case 6: (void)api::parse_ogc_items(data::OgcCollection::reports, q); break;
        case 7: {
            const auto t = api::parse_ogc_datetime(std::string(query_text));
            if (t.start && t.end) fuzz::check(*t.start <= *t.end, "ogc interval inverted");
            break;
        }
        default: api::check_ogc_format(q, data[0] % 2 == 0); break;
        }
    });
    return 0;
}
