// Completion indicators (STATS.md "Completion indicators") from synthetic workflow
// histories: the bulletin example, holidays, reopen, overdue and as_of.

#include "analytics/completion.hpp"
#include "core/calendar.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>

#include <fstream>

using namespace wangge;
using namespace wangge::analytics;
using namespace std::chrono;

namespace {

Timestamp at(const char* rfc3339) { return *parse_rfc3339(rfc3339); }

// A small builder so each test reads like the report's story.
class Story {
public:
    explicit Story(Timestamp reported, std::string grid = "g-1", std::string platform = "zhifa") {
        m_h.id = ++s_next_id;
        m_h.town = "tashi";
        m_h.grid = std::move(grid);
        m_h.platform = std::move(platform);
        m_h.category = "huanjing_weisheng";
        m_h.reported_at = reported;
    }
    Story& accept(Timestamp t) { return add(EventKind::accept, t); }
    Story& dispatch(Timestamp t, Timestamp due, std::vector<std::string> who = {"w-1"}) {
        m_h.events.push_back({EventKind::dispatch, t, due, std::move(who)});
        return *this;
    }
    Story& supervise(Timestamp t) { return add(EventKind::supervise, t); }
    Story& close(Timestamp t) { return add(EventKind::close, t); }
    Story& reopen(Timestamp t) { return add(EventKind::reopen, t); }
    Story& on_site(Timestamp t) { return add(EventKind::resolve_on_site, t); }
    const ReportHistory& history() const { return m_h; }

private:
    Story& add(EventKind k, Timestamp t) {
        m_h.events.push_back({k, t, std::nullopt, {}});
        return *this;
    }
    ReportHistory m_h;
    static inline long long s_next_id = 0;
};

std::vector<ReportFacts> facts_at(const std::vector<Story>& stories, Timestamp as_of) {
    std::vector<ReportFacts> out;
    for (const auto& s : stories) out.push_back(history_at(s.history(), as_of));
    return out;
}

const Timestamp k_may = at("2026-05-01T00:00:00+08:00");
const Timestamp k_june = at("2026-06-01T00:00:00+08:00");

}  // namespace

TEST(Completion, TheBulletinExample) {
    // STATS.md: 立案 996, 应结案 972, 结案 911 → 93.72%; 按期 737 → 75.82% (both over 972).
    // 996 accepted and dispatched in May: 737 closed on time, 174 closed late, 61 open and
    // past due, 24 open and still inside their limit.
    const Timestamp as_of = at("2026-06-03T00:00:00+08:00");
    std::vector<Story> stories;
    for (int i = 0; i < 996; ++i) {
        const Timestamp t = k_may + hours{i % 600};
        // The last 24 have a long limit that runs past as_of.
        const Timestamp due = i < 972 ? t + hours{72} : as_of + hours{24};
        Story s(t);
        s.accept(t + minutes{10}).dispatch(t + minutes{30}, due);
        if (i < 737) s.close(due - hours{1});
        else if (i < 911) s.close(due + hours{5});
        else if (i < 972) s.supervise(due + hours{2});
        stories.push_back(std::move(s));
    }
    const auto facts = facts_at(stories, as_of);

    const auto v = completion_total(facts, k_may, k_june, as_of);
    EXPECT_EQ(v.accepted, 996);
    EXPECT_EQ(v.dispatched, 996);
    EXPECT_EQ(v.due, 972);
    EXPECT_EQ(v.closed, 911);
    EXPECT_EQ(v.closed_on_time, 737);
    EXPECT_EQ(v.overdue_open, 61);
    EXPECT_EQ(v.in_time_open, 24);
    EXPECT_EQ(v.supervised, 61);
    EXPECT_EQ(format_percent(v.completion_rate), "93.72%");
    EXPECT_EQ(format_percent(v.on_time_rate), "75.82%");
    EXPECT_NEAR(*v.completion_rate, 911.0 / 972.0, 1e-15);
    EXPECT_NEAR(*v.closed_share, 911.0 / 996.0, 1e-15);
}

TEST(Completion, DeadlinesAcrossSpringFestivalAndNationalDayUseTheRealCalendar) {
    std::ifstream in(std::string(WANGGE_TEST_DATA_DIR) + "/calendar/holidays.csv");
    ASSERT_TRUE(in) << "data/calendar/holidays.csv";
    const WorkCalendar calendar(WorkCalendar::read_csv(in));

    // 春节 2026: Fri 13 Feb, 3 working days: Sat 14 Feb (调休) counts, 15–23 Feb are off,
    // then 24 and 25 Feb. A plain calendar would have said Mon 16 Feb.
    const Timestamp spring = at("2026-02-13T10:00:00+08:00");
    const Timestamp spring_due = calendar.add_working_days(spring, 3);
    EXPECT_EQ(format_rfc3339(spring_due), "2026-02-25T10:00:00+08:00");
    // 国庆 2026: Wed 30 Sep, 2 working days → Thu 8 and Fri 9 Oct.
    const Timestamp national = at("2026-09-30T09:00:00+08:00");
    const Timestamp national_due = calendar.add_working_days(national, 2);
    EXPECT_EQ(format_rfc3339(national_due), "2026-10-09T09:00:00+08:00");

    std::vector<Story> stories;
    stories.push_back(std::move(Story(spring).dispatch(spring, spring_due).close(at("2026-02-24T16:00:00+08:00"))));
    stories.push_back(std::move(Story(spring).dispatch(spring, spring_due)));  // still open over the holiday
    stories.push_back(std::move(Story(national).dispatch(national, national_due).close(at("2026-10-09T08:00:00+08:00"))));
    stories.push_back(std::move(Story(national).dispatch(national, national_due).close(at("2026-10-10T11:00:00+08:00"))));

    // In the middle of the Spring Festival nothing of February is overdue yet.
    const auto feb = completion_total(facts_at(stories, at("2026-02-20T12:00:00+08:00")),
                                      at("2026-02-01T00:00:00+08:00"), at("2026-03-01T00:00:00+08:00"),
                                      at("2026-02-20T12:00:00+08:00"));
    EXPECT_EQ(feb.dispatched, 2);
    EXPECT_EQ(feb.due, 0);
    EXPECT_EQ(feb.in_time_open, 2);
    EXPECT_FALSE(feb.completion_rate.has_value()) << "null when nothing is due";

    // After it: one closed on time (24 Feb, before the 25th), one overdue.
    const Timestamp march = at("2026-03-02T00:00:00+08:00");
    const auto after = completion_total(facts_at(stories, march), at("2026-02-01T00:00:00+08:00"),
                                        at("2026-03-01T00:00:00+08:00"), march);
    EXPECT_EQ(after.closed_on_time, 1);
    EXPECT_EQ(after.overdue_open, 1);
    EXPECT_EQ(after.due, 2);
    EXPECT_EQ(format_percent(after.on_time_rate), "50.00%");

    // September's cohort: closed on 9 Oct 08:00 is on time, on the 调休 Saturday is late.
    const Timestamp oct = at("2026-10-31T00:00:00+08:00");
    const auto sep = completion_total(facts_at(stories, oct), at("2026-09-01T00:00:00+08:00"),
                                      at("2026-10-01T00:00:00+08:00"), oct);
    EXPECT_EQ(sep.closed, 2);
    EXPECT_EQ(sep.closed_on_time, 1);
}

TEST(Completion, AReopenedReportIsOpenUntilClosedAgainAndCountsAsRework) {
    const Timestamp t = at("2026-05-04T09:00:00+08:00");
    Story s(t);
    s.accept(t).dispatch(t, t + hours{48}).close(t + hours{20}).reopen(t + hours{30}).close(t + hours{60});
    const std::vector<Story> stories{s};
    const Timestamp from = k_may, to = k_june;

    auto before_reopen = completion_total(facts_at(stories, t + hours{25}), from, to, t + hours{25});
    EXPECT_EQ(before_reopen.closed, 1);
    EXPECT_EQ(before_reopen.closed_on_time, 1);
    EXPECT_EQ(before_reopen.reopened, 0);

    auto reopened = completion_total(facts_at(stories, t + hours{50}), from, to, t + hours{50});
    EXPECT_EQ(reopened.closed, 0);
    EXPECT_EQ(reopened.overdue_open, 1) << "open again, and past its 48 h limit";
    EXPECT_EQ(reopened.reopened, 1);
    EXPECT_FALSE(reopened.rework_rate.has_value());

    auto closed_again = completion_total(facts_at(stories, t + hours{70}), from, to, t + hours{70});
    EXPECT_EQ(closed_again.closed, 1);
    EXPECT_EQ(closed_again.closed_on_time, 0) << "the close in force (60 h) is after the deadline";
    EXPECT_EQ(*closed_again.rework_rate, 1.0);
    EXPECT_DOUBLE_EQ(*closed_again.median_hours, 60.0);
}

TEST(Completion, AsOfHidesWhatHadNotHappenedYet) {
    const Timestamp t = at("2026-05-10T09:00:00+08:00");
    std::vector<Story> stories;
    stories.push_back(std::move(Story(t).accept(t).dispatch(t + hours{1}, t + hours{49}).close(t + hours{100})));
    stories.push_back(std::move(Story(t + days{15}).accept(t + days{15}).dispatch(t + days{15}, t + days{17})));
    stories.push_back(std::move(Story(t).on_site(t + minutes{20})));

    const Timestamp as_of = t + hours{60};  // after the first deadline, before the close
    const auto v = completion_total(facts_at(stories, as_of), k_may, k_june, as_of);
    EXPECT_EQ(v.reported, 2) << "the report of 25 May is not known yet";
    EXPECT_EQ(v.dispatched, 1) << "resolved on the spot never enters the cohort";
    EXPECT_EQ(v.closed, 0) << "closed after as_of counts as not closed";
    EXPECT_EQ(v.overdue_open, 1);
    EXPECT_EQ(v.due, 1);
    EXPECT_EQ(*v.completion_rate, 0.0);

    const auto later = completion_total(facts_at(stories, k_june), k_may, k_june, k_june);
    EXPECT_EQ(later.reported, 3);
    EXPECT_EQ(later.dispatched, 2);
    EXPECT_EQ(later.closed, 1);
    EXPECT_EQ(later.closed_on_time, 0);
    EXPECT_EQ(later.in_time_open, 0);
    EXPECT_EQ(later.overdue_open, 1);
}

TEST(Completion, RowsByGridPlatformWorkerAndMonth) {
    const Timestamp t = at("2026-04-28T09:00:00+08:00");
    std::vector<Story> stories;
    // Reported in April, dispatched in May: April's row counts the report, May's the cohort.
    stories.push_back(std::move(Story(t, "g-1", "zhifa").dispatch(t + days{4}, t + days{6}, {"w-1", "w-2"}).close(t + days{5})));
    stories.push_back(std::move(Story(t + days{5}, "g-2", "bianmin").dispatch(t + days{5}, t + days{7}, {"w-2"})));
    const auto facts = facts_at(stories, k_june);
    const Timestamp from = at("2026-04-01T00:00:00+08:00");

    const auto by_month = completion(facts, from, k_june, k_june, CompletionBy::month);
    ASSERT_EQ(by_month.size(), 2u);
    EXPECT_EQ(by_month[0].key, "2026-04");
    EXPECT_EQ(by_month[0].values.reported, 1);
    EXPECT_EQ(by_month[0].values.dispatched, 0);
    EXPECT_EQ(by_month[1].key, "2026-05");
    EXPECT_EQ(by_month[1].values.reported, 1);
    EXPECT_EQ(by_month[1].values.dispatched, 2);

    const auto by_worker = completion(facts, from, k_june, k_june, CompletionBy::worker);
    ASSERT_EQ(by_worker.size(), 2u);
    EXPECT_EQ(by_worker[0].key, "w-1");
    EXPECT_EQ(by_worker[0].values.dispatched, 1);
    EXPECT_EQ(by_worker[1].key, "w-2");
    EXPECT_EQ(by_worker[1].values.dispatched, 2) << "two assignees: the report counts for both";

    const std::vector<std::string> grids{"g-1", "g-2", "g-3"};
    const auto by_grid = completion(facts, from, k_june, k_june, CompletionBy::grid, grids);
    ASSERT_EQ(by_grid.size(), 3u);
    EXPECT_EQ(by_grid[2].key, "g-3");
    EXPECT_EQ(by_grid[2].values.dispatched, 0) << "seeded keys appear even when empty";
    EXPECT_FALSE(by_grid[2].values.completion_rate.has_value());

    const auto by_platform = completion(facts, from, k_june, k_june, CompletionBy::platform);
    ASSERT_EQ(by_platform.size(), 2u);
    EXPECT_EQ(by_platform[0].key, "bianmin");
    EXPECT_EQ(by_platform[0].values.overdue_open, 1);
    EXPECT_EQ(*by_platform[1].values.completion_rate, 1.0);
}

TEST(Completion, QuantilesInterpolateBetweenClosestRanks) {
    const std::vector<double> v{1, 2, 3, 4};
    EXPECT_DOUBLE_EQ(*quantile_sorted(v, 0.5), 2.5);
    EXPECT_DOUBLE_EQ(*quantile_sorted(v, 0.9), 3.7);
    EXPECT_DOUBLE_EQ(*quantile_sorted(std::vector<double>{5}, 0.9), 5);
    EXPECT_FALSE(quantile_sorted(std::vector<double>{}, 0.5).has_value());
}

// The linear selection the tables use gives the sorted answer to the last bit, ties and
// all, whatever order the values come in.
TEST(Completion, QuantilesBySelectionEqualQuantilesOfTheSortedValues) {
    std::uint64_t state = 42;
    auto next = [&] { return state = state * 6364136223846793005ULL + 1442695040888963407ULL; };
    for (std::size_t n : {1u, 2u, 3u, 10u, 101u, 1000u}) {
        std::vector<double> values;
        for (std::size_t i = 0; i < n; ++i) values.push_back(static_cast<double>(next() >> 54) / 7.0);  // many ties
        auto sorted = values;
        std::sort(sorted.begin(), sorted.end());
        for (double q : {0.0, 0.1, 0.5, 0.9, 0.99, 1.0}) {
            auto shuffled = values;
            EXPECT_EQ(quantile_select(shuffled, q), quantile_sorted(sorted, q)) << n << " values, q " << q;
        }
    }
    std::vector<double> none;
    EXPECT_FALSE(quantile_select(none, 0.5).has_value());
}

TEST(Completion, PercentFormattingAndNames) {
    EXPECT_EQ(format_percent(std::nullopt), "—");
    EXPECT_EQ(format_percent(0.93725), "93.73%");
    EXPECT_EQ(format_percent(1.0), "100.00%");
    EXPECT_EQ(shanghai_month_key(at("2026-05-31T16:30:00Z")), "2026-06") << "Shanghai is UTC+8";
    EXPECT_EQ(parse_by("worker"), CompletionBy::worker);
    EXPECT_FALSE(parse_by("person").has_value());
    EXPECT_EQ(parse_event_kind("supervise"), EventKind::supervise);
    EXPECT_EQ(parse_event_kind("start"), EventKind::other);
}
