// The analytics parameter parsers, apart from the endpoints (no database).

#include "api/analytics_params.hpp"
#include "core/error.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using namespace wangge;
using namespace wangge::api;

namespace {

const Timestamp k_now = *parse_rfc3339("2026-06-15T10:00:00+08:00");

std::string field_of(const std::function<void()>& fn) {
    try {
        fn();
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::bad_request);
        const auto extra = nlohmann::json::parse(e.extra_json());
        return extra.contains("field") ? extra.at("field").dump() : "(no field)";
    }
    return "(no error)";
}

std::string quoted(const char* s) { return std::string("\"") + s + "\""; }

}  // namespace

TEST(AnalyticsParams, CompletionDefaultsAndForms) {
    auto p = parse_completion_params({{"town", "tashi"}, {"from", "2026-05"}, {"to", "2026-05-16"}}, k_now);
    EXPECT_EQ(p.town, "tashi");
    EXPECT_EQ(format_rfc3339(p.from), "2026-05-01T00:00:00+08:00");
    EXPECT_EQ(format_rfc3339(p.to), "2026-05-16T00:00:00+08:00");
    EXPECT_EQ(p.by, analytics::CompletionBy::town);
    EXPECT_EQ(p.as_of, k_now);
    p = parse_completion_params(
        {{"town", "all"}, {"from", "2026-05-01T00:00:00Z"}, {"to", "2026-06"}, {"by", "month"}, {"as_of", "2026-06-02"}}, k_now);
    EXPECT_EQ(p.by, analytics::CompletionBy::month);
    EXPECT_EQ(format_rfc3339(p.as_of), "2026-06-02T00:00:00+08:00");
    // "+08:00" sent unencoded decodes to " 08:00".
    p = parse_completion_params({{"town", "tashi"}, {"from", "2026-05"}, {"to", "2026-06"},
                                 {"as_of", "2026-06-20T12:00:00 08:00"}}, k_now);
    EXPECT_EQ(format_rfc3339(p.as_of), "2026-06-20T12:00:00+08:00");
}

TEST(AnalyticsParams, EveryBadFieldIsNamed) {
    const QueryMap ok{{"town", "tashi"}, {"from", "2026-05"}, {"to", "2026-06"}};
    auto with = [&](const std::string& k, const std::string& v) {
        auto q = ok;
        q[k] = v;
        return q;
    };
    EXPECT_EQ(field_of([&] { parse_completion_params(with("town", ""), k_now); }), quoted("town"));
    EXPECT_EQ(field_of([&] { parse_completion_params(with("from", "2026-02-30"), k_now); }), quoted("from"));
    EXPECT_EQ(field_of([&] { parse_completion_params(with("to", "2026-05"), k_now); }), quoted("to"));
    EXPECT_EQ(field_of([&] { parse_completion_params(with("to", "9999-01"), k_now); }), quoted("to"));
    EXPECT_EQ(field_of([&] { parse_completion_params(with("by", "Town"), k_now); }), quoted("by"));
    EXPECT_EQ(field_of([&] { parse_hotspot_params(with("fdr", "1")); }), quoted("fdr"));
    EXPECT_EQ(field_of([&] { parse_hotspot_params(with("weights", "")); }), quoted("weights"));
    EXPECT_EQ(field_of([&] { parse_hotspot_params(with("category", "a-b")); }), quoted("category"));
    EXPECT_EQ(field_of([&] { parse_hotspot_params(with("platform", "ZHIFA")); }), quoted("platform"));
    EXPECT_EQ(field_of([&] { parse_trend_params(with("months", "+12"), k_now); }), quoted("months"));
    EXPECT_EQ(field_of([&] { parse_trend_params(with("months", "007"), k_now); }), quoted("months"));
    EXPECT_EQ(field_of([&] { parse_trend_params(with("end", "2026-05-01"), k_now); }), quoted("end"));
    EXPECT_EQ(field_of([&] { parse_meeting_params("tashi", "2026-5", {}, std::nullopt); }), quoted("month"));
}

TEST(AnalyticsParams, TrendsDefaultToTwelveMonthsEndingThisMonth) {
    const auto p = parse_trend_params({{"town", "chengdong"}}, k_now);
    EXPECT_EQ(p.end, std::chrono::year{2026} / std::chrono::month{6});
    EXPECT_EQ(p.months, 12);
    EXPECT_EQ(p.weights, analytics::Contiguity::queen);
    EXPECT_EQ(parse_trend_params({{"town", "chengdong"}, {"months", "36"}}, k_now).months, 36);
}

TEST(AnalyticsParams, MeetingFormatFromFOrAccept) {
    using analytics::MeetingFormat;
    EXPECT_EQ(parse_meeting_params("tashi", "2026-05", {}, std::nullopt).format, MeetingFormat::html);
    EXPECT_EQ(parse_meeting_params("tashi", "2026-05", {{"f", "xlsx"}}, std::nullopt).format, MeetingFormat::xlsx);
    EXPECT_EQ(parse_meeting_params("tashi", "2026-05", {}, std::string("application/json")).format, MeetingFormat::json);
    EXPECT_EQ(parse_meeting_params("tashi", "2026-05", {}, std::string("text/html,application/json;q=0.9")).format,
              MeetingFormat::html);
    EXPECT_EQ(parse_meeting_params("tashi", "2026-05", {{"f", "json"}}, std::string("text/html")).format, MeetingFormat::json);
}

TEST(AnalyticsParams, TownsAreCheckedForFormOnly) {
    // Whether a town exists is the town directory's to say (the endpoints; test_analytics_api).
    EXPECT_EQ(parse_completion_params({{"town", "atlantis"}, {"from", "2026-05"}, {"to", "2026-06"}}, k_now).town, "atlantis");
    EXPECT_EQ(parse_meeting_params("atlantis", "2026-05", {}, std::nullopt).town, "atlantis");
}
