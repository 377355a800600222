// The meeting pack from typed inputs: what goes in each table, the map hook, and the
// renderings (HTML, SVG, XLSX bytes).

#include "analytics/meeting.hpp"

#include <gtest/gtest.h>

using namespace wangge;
using namespace wangge::analytics;
using namespace std::chrono;

namespace {

Timestamp at(const char* rfc3339) { return *parse_rfc3339(rfc3339); }

ReportFacts dispatched(long long id, std::string grid, Timestamp t, Timestamp due, std::optional<Timestamp> closed) {
    ReportFacts f;
    f.id = id;
    f.town = "tashi";
    f.grid = std::move(grid);
    f.platform = "zhifa";
    f.category = "hedao_baojie";
    f.reported_at = t;
    f.accepted_at = t;
    f.dispatched_at = t;
    f.due_at = due;
    f.closed_at = closed;
    return f;
}

MeetingInputs inputs() {
    MeetingInputs in;
    in.town = "tashi";
    in.town_name = "塔石乡";
    in.month = year{2026} / month{5};
    in.as_of = at("2026-06-01T00:00:00+08:00");
    in.grid_names = {{"tashi-001", "一号网格"}, {"tashi-002", "二号<网格>"}};
    in.category_names = {{"hedao_baojie", "河道保洁"}};
    const Timestamp may = at("2026-05-10T09:00:00+08:00");
    in.facts.push_back(dispatched(1, "tashi-001", may, may + hours{24}, may + hours{5}));
    in.facts.push_back(dispatched(2, "tashi-001", may, may + hours{24}, std::nullopt));  // overdue
    in.facts.push_back(dispatched(3, "tashi-002", may, may + hours{24}, may + hours{30}));
    // Dispatched in March, still open: on the overdue list, not in May's numbers.
    in.facts.push_back(dispatched(4, "tashi-002", at("2026-03-02T09:00:00+08:00"), at("2026-03-05T09:00:00+08:00"), std::nullopt));
    in.facts.push_back(dispatched(5, "tashi-002", at("2026-04-02T09:00:00+08:00"), at("2026-04-05T09:00:00+08:00"),
                                  at("2026-04-04T09:00:00+08:00")));
    in.trends.months = month_labels(in.month, 3);
    GridTrend hot;
    hot.grid = "tashi-002";
    hot.counts = {1, 4, 9};
    hot.emerging.category = "intensifying_hot_spot";
    GridTrend none;
    none.grid = "tashi-001";
    none.counts = {2, 2, 2};
    none.emerging.category = "no_pattern";
    in.trends.grids = {none, hot};
    return in;
}

}  // namespace

TEST(MeetingPack, TablesComeFromTheMonthsCohort) {
    const auto pack = build_meeting_pack(inputs(), {});
    EXPECT_EQ(pack.month, "2026-05");
    EXPECT_EQ(pack.month_total.dispatched, 3);
    EXPECT_EQ(pack.month_total.closed, 2);
    EXPECT_EQ(pack.month_total.due, 3);
    EXPECT_EQ(pack.previous_total.dispatched, 1);
    EXPECT_EQ(*pack.previous_total.completion_rate, 1.0);
    ASSERT_EQ(pack.by_platform.size(), 1u);
    EXPECT_EQ(pack.by_platform[0].name, "综合执法");
    ASSERT_EQ(pack.top_grids.size(), 2u);
    EXPECT_EQ(pack.top_grids[0].key, "tashi-001");
    ASSERT_EQ(pack.lowest_grids.size(), 2u);
    EXPECT_EQ(pack.lowest_grids[0].key, "tashi-001") << "1 of 2 closed is lower than 1 of 1";
    ASSERT_EQ(pack.overdue.size(), 2u);
    EXPECT_EQ(pack.overdue[0].id, 4) << "most overdue first, whatever the month of dispatch";
    EXPECT_EQ(pack.overdue[1].id, 2);
    EXPECT_EQ(pack.overdue[0].category, "河道保洁");
    ASSERT_EQ(pack.emerging.size(), 1u);
    EXPECT_EQ(pack.emerging[0].grid_name, "二号<网格>");
    EXPECT_EQ(emerging_label(pack.emerging[0].category), "加剧热点");
}

TEST(MeetingPack, WithoutAMapRendererTheMapsAreMarkedUnavailable) {
    const auto pack = build_meeting_pack(inputs(), {});
    ASSERT_EQ(pack.maps.size(), 2u);
    EXPECT_FALSE(pack.maps[0].png.has_value());
    const auto html = render_meeting_html(pack);
    EXPECT_NE(html.find("地图暂不可用"), std::string::npos);
    EXPECT_EQ(html.find("data:image/png"), std::string::npos);
}

TEST(MeetingPack, TheMapHookIsCalledForBothLayersAndEmbedded) {
    std::vector<std::string> asked;
    MapRenderer maps = [&](const std::string& town, year_month ym, MapLayer layer) -> std::optional<std::string> {
        EXPECT_EQ(town, "tashi");
        EXPECT_EQ(ym, year{2026} / month{5});
        asked.emplace_back(map_layer_name(layer));
        if (layer == MapLayer::hotspots) throw std::runtime_error("renderer down");
        return std::string("\x89PNG\r\n\x1a\n", 8);
    };
    const auto pack = build_meeting_pack(inputs(), maps);
    EXPECT_EQ(asked, (std::vector<std::string>{"heatmap", "hotspots"}));
    ASSERT_TRUE(pack.maps[0].png.has_value());
    EXPECT_FALSE(pack.maps[1].png.has_value()) << "a failing renderer never fails the pack";
    const auto html = render_meeting_html(pack);
    EXPECT_NE(html.find("data:image/png;base64,iVBORw0KGgo="), std::string::npos);
}

TEST(MeetingPack, HtmlIsChineseA4WithPageBreaksAndEscapedNames) {
    const auto html = render_meeting_html(build_meeting_pack(inputs(), {}));
    EXPECT_NE(html.find("<html lang=\"zh-CN\">"), std::string::npos);
    EXPECT_NE(html.find("size: A4"), std::string::npos);
    EXPECT_NE(html.find("page-break-before: always"), std::string::npos);
    EXPECT_NE(html.find("塔石乡 网格化管理月度会商材料"), std::string::npos);
    EXPECT_NE(html.find("办结率"), std::string::npos);
    EXPECT_NE(html.find("二号&lt;网格&gt;"), std::string::npos);
    EXPECT_EQ(html.find("二号<网格>"), std::string::npos);
    EXPECT_NE(html.find("<svg"), std::string::npos);
}

TEST(MeetingPack, SparklineIsASmallSvgPolyline) {
    const std::vector<double> v{1, 3, 2};
    const auto svg = sparkline_svg(v, 100, 20);
    EXPECT_EQ(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"100\" height=\"20\"", 0), 0u);
    EXPECT_NE(svg.find("<polyline"), std::string::npos);
    EXPECT_NE(svg.find("points=\"3.0,12.3 50.0,3.0 97.0,7.7\""), std::string::npos);
    EXPECT_EQ(sparkline_svg(std::vector<double>{}), R"(<svg xmlns="http://www.w3.org/2000/svg" width="160" height="40" viewBox="0 0 160 40"></svg>)");
}

TEST(MeetingPack, XlsxIsAZipWorkbook) {
    const auto bytes = render_meeting_xlsx(build_meeting_pack(inputs(), {}));
    ASSERT_GT(bytes.size(), 1000u);
    EXPECT_EQ(bytes.substr(0, 2), "PK");
    EXPECT_NE(bytes.find("xl/workbook.xml"), std::string::npos);
}
