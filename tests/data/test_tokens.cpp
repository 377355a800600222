#include "core/error.hpp"
#include "data/migrate.hpp"
#include "data/token_store.hpp"
#include "tests/support/test_db.hpp"

#include <gtest/gtest.h>

using namespace wangge;

TEST(Tokens, CreateAuthenticateRevoke) {
    test::TestDatabase t("tokens");
    data::migrate(t.db(), data::data_dir());
    data::TokenSpec spec;
    spec.role = Role::leader;
    spec.towns = {"tashi", "jiangtang"};
    spec.name = "director";
    const auto token = data::create_token(t.db(), spec);
    EXPECT_EQ(token.size(), 43u);
    EXPECT_EQ(t.scalar("SELECT count(*) FROM api_tokens WHERE sha256 = '" + token + "'"), "0") << "never stored in clear";

    auto who = data::authenticate(t.db(), token);
    ASSERT_TRUE(who);
    EXPECT_EQ(who->name, "director");
    EXPECT_EQ(who->role, Role::leader);
    EXPECT_TRUE(who->covers_town("tashi"));
    EXPECT_FALSE(who->covers_town("bailongqiao"));

    auto wrong = token;
    wrong.back() = wrong.back() == '0' ? '1' : '0';
    EXPECT_FALSE(data::authenticate(t.db(), wrong));
    EXPECT_THROW(data::create_token(t.db(), spec), Error) << "the name is taken";

    EXPECT_EQ(data::revoke_token_by_name(t.db(), "director"), 1);
    EXPECT_FALSE(data::authenticate(t.db(), token));
    EXPECT_EQ(data::revoke_token(t.db(), token), 0) << "already revoked";
    EXPECT_EQ(t.scalar("SELECT count(*) FROM audit_log WHERE action LIKE 'token.%'"), "2");
}

TEST(Tokens, RefusesUnknownTownAndPlatformWithoutPlatform) {
    test::TestDatabase t("tokens_bad");
    data::migrate(t.db(), data::data_dir());
    data::TokenSpec spec;
    spec.role = Role::command;
    spec.towns = {"atlantis"};
    EXPECT_THROW(data::create_token(t.db(), spec), Error);
    spec.towns = {};
    spec.role = Role::platform;
    EXPECT_THROW(data::create_token(t.db(), spec), Error);
    spec.platform = "zhifa";
    EXPECT_NO_THROW(data::create_token(t.db(), spec));
}
