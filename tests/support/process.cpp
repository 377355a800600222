#include "tests/support/process.hpp"

#include "tests/support/http_client.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace wangge::test {

namespace {

pid_t spawn(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env, const std::string& log) {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        // The child: only async-signal-safe calls until exec.
        const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            ::dup2(fd, 1);
            ::dup2(fd, 2);
            ::close(fd);
        }
        for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
        // The test runner may block signals that the child needs (SIGTERM for the drain).
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        ::execvp(args[0], args.data());
        ::_exit(127);
    }
    return pid;
}

int decode(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return -1;
}

}  // namespace

int free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        throw std::runtime_error("free_port: bind failed");
    }
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ::close(fd);
    return ntohs(addr.sin_port);
}

int run_command(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env, const std::string& log) {
    ChildProcess child(argv, env, log);
    return child.wait(600);
}

ChildProcess::ChildProcess(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                           const std::string& log)
    : m_pid(spawn(argv, env, log)) {}

ChildProcess::~ChildProcess() {
    if (!m_reaped && m_pid > 0) {
        ::kill(m_pid, SIGKILL);
        int status = 0;
        ::waitpid(m_pid, &status, 0);
    }
}

void ChildProcess::signal(int sig) {
    if (!m_reaped) ::kill(m_pid, sig);
}

int ChildProcess::wait(double seconds) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    for (;;) {
        int status = 0;
        const pid_t r = ::waitpid(m_pid, &status, WNOHANG);
        if (r == m_pid) {
            m_reaped = true;
            return decode(status);
        }
        if (r < 0) return -1;
        if (std::chrono::steady_clock::now() > until) return -1;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

std::string wangge_binary() { return WANGGE_TEST_BINARY; }
std::string scripts_dir() { return WANGGE_TEST_SCRIPTS_DIR; }

ServeProcess::ServeProcess(const std::string& conninfo, const std::vector<std::string>& extra_args) : m_port(free_port()) {
    static std::atomic<int> serial{0};
    m_log = "/tmp/wangge-test-serve-" + std::to_string(::getpid()) + "-" + std::to_string(serial++) + ".log";
    std::remove(m_log.c_str());
    std::vector<std::string> argv{wangge_binary(), "serve", "--listen", "127.0.0.1:" + std::to_string(m_port)};
    argv.insert(argv.end(), extra_args.begin(), extra_args.end());
    m_child = std::make_unique<ChildProcess>(argv, std::map<std::string, std::string>{{"WANGGE_DB", conninfo}}, m_log);
    for (int i = 0; i < 300; ++i) {
        if (fetch(base() + "/healthz", {}, "GET", {}, 2).status == 200) return;
        if (m_child->wait(0) != -1) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    throw std::runtime_error("wangge serve did not come up: " + log());
}

std::string ServeProcess::log() const {
    std::ifstream in(m_log);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

PrivateCluster::PrivateCluster() : m_port(free_port()) {
    static std::atomic<int> serial{0};
    m_dir = "/tmp/wangge-test-pg-" + std::to_string(::getpid()) + "-" + std::to_string(serial++);
    start();
}

PrivateCluster::~PrivateCluster() { pg("destroy"); }

int PrivateCluster::pg(const std::string& command) const {
    return run_command({scripts_dir() + "/pg.sh", "--test", command},
                       {{"WANGGE_PG_DIR", m_dir}, {"WANGGE_TEST_PG_PORT", std::to_string(m_port)}}, m_dir + ".log");
}

void PrivateCluster::start() {
    if (pg("start") != 0) throw std::runtime_error("private cluster did not start; see " + m_dir + ".log");
}

void PrivateCluster::stop() {
    if (pg("stop") != 0) throw std::runtime_error("private cluster did not stop; see " + m_dir + ".log");
}

std::string PrivateCluster::conninfo() const {
    return "host=" + m_dir + "/run port=" + std::to_string(m_port) + " dbname=wangge user=postgres";
}

}  // namespace wangge::test
