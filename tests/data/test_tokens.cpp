#include "core/error.hpp"
#include "data/migrate.hpp"
#include "data/token_store.hpp"
#include "tests/support/process.hpp"
#include "tests/support/test_db.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

using namespace wangge;

namespace {

// Towns as psql would load them: tokens name towns the database has.
void load_towns(test::TestDatabase& t) {
    t.scalar("INSERT INTO counties (code, name, kind, city, geom) VALUES ('330702', '婺城区', 'district', '金华市', "
             "ST_Multi(ST_MakeEnvelope(119.3, 28.7, 119.8, 29.3, 4490)))");
    t.scalar("INSERT INTO towns (town, name, kind, admin_code, county, geom) VALUES "
             "('tashi', '塔石乡', 'township', '330702205', '330702', ST_Multi(ST_MakeEnvelope(119.50, 28.8, 119.51, 28.9, 4490))), "
             "('jiangtang', '蒋堂镇', 'town', '330702105', '330702', ST_Multi(ST_MakeEnvelope(119.45, 28.8, 119.46, 28.9, 4490)))");
}

}  // namespace

TEST(Tokens, CreateAuthenticateRevoke) {
    test::TestDatabase t("tokens");
    data::migrate(t.db(), data::data_dir());
    load_towns(t);
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
    load_towns(t);
    data::TokenSpec spec;
    spec.role = Role::command;
    spec.towns = {"tashi", "atlantis"};
    try {
        data::create_token(t.db(), spec);
        FAIL() << "a token for a town the database does not have";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ErrorCode::bad_request);
        EXPECT_NE(std::string(e.what()).find("unknown town atlantis"), std::string::npos) << e.what();
        EXPECT_EQ(std::string(e.what()).find("bailongqiao"), std::string::npos) << "no list of towns: " << e.what();
    }
    EXPECT_EQ(t.scalar("SELECT count(*) FROM api_tokens"), "0");
    // A town loaded by SQL is a town at once.
    t.scalar("INSERT INTO towns (town, name, kind, admin_code, county, geom) VALUES ('atlantis', '亚特兰蒂斯镇', 'town', "
             "'330702999', '330702', ST_Multi(ST_MakeEnvelope(119.6, 28.8, 119.61, 28.9, 4490)))");
    EXPECT_NO_THROW(data::create_token(t.db(), spec));
    spec.towns = {};
    spec.role = Role::platform;
    EXPECT_THROW(data::create_token(t.db(), spec), Error);
    spec.platform = "zhifa";
    EXPECT_NO_THROW(data::create_token(t.db(), spec));
}

TEST(Tokens, TheCliRefusesATownTheDatabaseDoesNotHave) {
    test::TestDatabase t("tokens_cli");
    data::migrate(t.db(), data::data_dir());
    load_towns(t);
    const auto log = ::testing::TempDir() + "wangge-token-cli.log";
    const std::map<std::string, std::string> env{{"WANGGE_DB", t.conninfo()}};
    EXPECT_NE(test::run_command({test::wangge_binary(), "token", "create", "--role", "command", "--town", "atlantis"}, env, log), 0);
    std::ostringstream said;
    said << std::ifstream(log).rdbuf();
    EXPECT_NE(said.str().find("unknown town atlantis"), std::string::npos) << said.str();
    EXPECT_EQ(t.scalar("SELECT count(*) FROM api_tokens"), "0");
    EXPECT_EQ(test::run_command({test::wangge_binary(), "token", "create", "--role", "command", "--town", "tashi"}, env, log), 0);
}
