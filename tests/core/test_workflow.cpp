#include "core/workflow.hpp"

#include <gtest/gtest.h>

using namespace wangge;

TEST(Workflow, TheClosedLoop) {
    Status s = Status::reported;
    for (auto a : {Action::accept, Action::dispatch, Action::start, Action::supervise, Action::resolve, Action::close}) {
        auto next = transition(s, a);
        ASSERT_TRUE(next) << action_name(a) << " from " << status_name(s);
        s = *next;
    }
    EXPECT_EQ(s, Status::closed);
    EXPECT_EQ(transition(Status::closed, Action::reopen), Status::dispatched);
}

TEST(Workflow, OnSiteAndRejection) {
    EXPECT_EQ(transition(Status::reported, Action::resolve_on_site), Status::closed);
    EXPECT_EQ(transition(Status::accepted, Action::reject), Status::rejected);
    EXPECT_FALSE(transition(Status::dispatched, Action::reject));
    EXPECT_FALSE(transition(Status::accepted, Action::resolve_on_site));
}

TEST(Workflow, IllegalMovesAreRefused) {
    EXPECT_FALSE(transition(Status::reported, Action::close));
    EXPECT_FALSE(transition(Status::rejected, Action::reopen));
    EXPECT_FALSE(transition(Status::closed, Action::supervise));
    EXPECT_TRUE(allowed_actions(Status::rejected).empty());
    const auto from_reported = allowed_actions(Status::reported);
    EXPECT_EQ(from_reported, (std::vector<Action>{Action::resolve_on_site, Action::accept, Action::reject}));
}

TEST(Workflow, NamesRoundTrip) {
    for (auto s : {Status::reported, Status::in_progress, Status::rejected}) EXPECT_EQ(parse_status(status_name(s)), s);
    for (auto a : {Action::resolve_on_site, Action::reopen}) EXPECT_EQ(parse_action(action_name(a)), a);
    EXPECT_FALSE(parse_action("delete"));
}
