#include "framework/distributed/launcher.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "framework/core/error.h"

namespace vdf::distributed {

namespace {


volatile sig_atomic_t g_signal = 0;
void on_signal(int sig) { g_signal = sig; }

struct Child {
  int local_rank = 0;
  int rank = 0;
  pid_t pid = -1;
  int fd = -1;          // read end of the merged stdout/stderr pipe
  std::string pending;  // partial line
  bool running = true;
  int status = 0;
};

std::string describe_status(int status) {
  if (WIFEXITED(status)) return fmt::format("exited with code {}", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    const char* name = sigabbrev_np(sig);
    return fmt::format("was killed by signal {} (SIG{})", sig, name ? name : "?");
  }
  return fmt::format("ended with status {}", status);
}

void emit(const Child& c, const std::string& line, bool prefix) {
  std::string out = prefix ? fmt::format("[rank {}] {}\n", c.rank, line) : line + "\n";
  (void)!::write(STDOUT_FILENO, out.data(), out.size());
}

void drain(Child& c, bool prefix, bool final) {
  if (c.fd < 0) return;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(c.fd, buf, sizeof(buf));
    if (n > 0) {
      c.pending.append(buf, static_cast<size_t>(n));
      size_t nl;
      while ((nl = c.pending.find('\n')) != std::string::npos) {
        emit(c, c.pending.substr(0, nl), prefix);
        c.pending.erase(0, nl + 1);
      }
      continue;
    }
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {  // EOF
      if (!c.pending.empty()) emit(c, c.pending, prefix);
      c.pending.clear();
      ::close(c.fd);
      c.fd = -1;
    }
    if (n < 0 && errno == EINTR) continue;
    break;
  }
  (void)final;
}

pid_t spawn(const LaunchSpec& o, Child& c, int world) {
  int fds[2];
  if (::pipe(fds) != 0) fail("launch: pipe(): {}", std::strerror(errno));
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) fail("launch: fork(): {}", std::strerror(errno));
  if (pid == 0) {
    // Child: die with the launcher, merged output into the pipe, the environment contract, exec.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    ::dup2(fds[1], STDOUT_FILENO);
    ::dup2(fds[1], STDERR_FILENO);
    ::close(fds[0]);
    ::close(fds[1]);
    ::signal(SIGINT, SIG_DFL);
    ::signal(SIGTERM, SIG_DFL);
    ::setenv("RANK", std::to_string(c.rank).c_str(), 1);
    ::setenv("WORLD_SIZE", std::to_string(world).c_str(), 1);
    ::setenv("LOCAL_RANK", std::to_string(c.local_rank).c_str(), 1);
    ::setenv("LOCAL_WORLD_SIZE", std::to_string(o.nproc_per_node).c_str(), 1);
    ::setenv("GROUP_RANK", std::to_string(o.node_rank).c_str(), 1);
    ::setenv("NNODES", std::to_string(o.nnodes).c_str(), 1);
    ::setenv("MASTER_ADDR", o.master_addr.c_str(), 1);
    ::setenv("MASTER_PORT", std::to_string(o.master_port).c_str(), 1);
    if (!::getenv("OMP_NUM_THREADS")) {
      // Like torchrun: do not let N ranks each start one thread per core.
      const long cores = std::max(1L, ::sysconf(_SC_NPROCESSORS_ONLN));
      ::setenv("OMP_NUM_THREADS", std::to_string(std::max(1L, cores / o.nproc_per_node)).c_str(), 1);
    }
    std::vector<char*> argv;
    for (const auto& a : o.command) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execvp(argv[0], argv.data());
    std::fprintf(stderr, "vdf launch: cannot execute '%s': %s\n", argv[0], std::strerror(errno));
    ::_exit(127);
  }
  ::close(fds[1]);
  ::fcntl(fds[0], F_SETFL, ::fcntl(fds[0], F_GETFL) | O_NONBLOCK);
  ::fcntl(fds[0], F_SETFD, FD_CLOEXEC);
  c.fd = fds[0];
  c.pid = pid;
  return pid;
}

}  // namespace

void launch_local_ranks(const LaunchSpec& o) {
  using Clock = std::chrono::steady_clock;
  VDF_CHECK(!o.command.empty(), "launch: no program given (usage: vdf launch --nproc-per-node N -- PROGRAM ARGS...)");
  VDF_CHECK(o.nproc_per_node >= 1, "launch: --nproc-per-node {} must be >= 1", o.nproc_per_node);
  VDF_CHECK(o.nnodes >= 1, "launch: --nnodes {} must be >= 1", o.nnodes);
  VDF_CHECK(o.node_rank >= 0 && o.node_rank < o.nnodes, "launch: --node-rank {} must be in [0, {})", o.node_rank,
            o.nnodes);
  VDF_CHECK(o.master_port >= 1 && o.master_port <= 65535, "launch: --master-port {} must be in 1..65535",
            o.master_port);
  VDF_CHECK(o.grace_s >= 0, "launch: --grace-s {} must be >= 0", o.grace_s);
  const int world = o.nnodes * o.nproc_per_node;

  struct sigaction sa {};
  sa.sa_handler = on_signal;
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  std::vector<Child> children(o.nproc_per_node);
  for (int l = 0; l < o.nproc_per_node; ++l) {
    children[l].local_rank = l;
    children[l].rank = o.node_rank * o.nproc_per_node + l;
    spawn(o, children[l], world);
  }
  const bool prefix = o.prefix_output;

  int first_failed = -1;  // index into children
  std::string stop_reason;
  bool stopping = false;
  Clock::time_point kill_at{};
  bool killed = false;
  auto stop_all = [&](const std::string& why) {
    if (stopping) return;
    stopping = true;
    stop_reason = why;
    std::fprintf(stderr, "vdf launch: %s; stopping the other ranks (SIGTERM, SIGKILL after %.0f s)\n", why.c_str(),
                 o.grace_s);
    for (auto& c : children)
      if (c.running) ::kill(c.pid, SIGTERM);
    kill_at = Clock::now() + std::chrono::milliseconds(static_cast<int64_t>(o.grace_s * 1000));
  };

  for (;;) {
    std::vector<pollfd> fds;
    for (auto& c : children)
      if (c.fd >= 0) fds.push_back({c.fd, POLLIN, 0});
    if (!fds.empty()) ::poll(fds.data(), fds.size(), 100);
    else std::this_thread::sleep_for(std::chrono::milliseconds(50));
    for (auto& c : children) drain(c, prefix, false);

    for (size_t i = 0; i < children.size(); ++i) {
      auto& c = children[i];
      if (!c.running) continue;
      int status = 0;
      const pid_t r = ::waitpid(c.pid, &status, WNOHANG);
      if (r != c.pid) continue;
      c.running = false;
      c.status = status;
      const bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
      if (!ok && !stopping) {
        first_failed = static_cast<int>(i);
        stop_all(fmt::format("rank {} (local rank {}, pid {}) {}", c.rank, c.local_rank, c.pid, describe_status(status)));
      }
    }
    if (g_signal && !stopping) stop_all(fmt::format("received signal {}", static_cast<int>(g_signal)));
    if (stopping && !killed && Clock::now() >= kill_at) {
      killed = true;
      for (auto& c : children)
        if (c.running) {
          std::fprintf(stderr, "vdf launch: rank %d did not stop within %.0f s; sending SIGKILL\n", c.rank, o.grace_s);
          ::kill(c.pid, SIGKILL);
        }
    }
    bool any_running = false, any_open = false;
    for (auto& c : children) {
      any_running |= c.running;
      any_open |= c.fd >= 0;
    }
    if (!any_running) {
      if (!any_open) break;
      // Grandchildren may keep a pipe open; give them a moment, then stop reading.
      static int extra = 0;
      if (++extra > 20) break;
    }
  }
  for (auto& c : children) drain(c, prefix, true);
  if (first_failed >= 0) {
    std::string others;
    for (size_t i = 0; i < children.size(); ++i)
      if (static_cast<int>(i) != first_failed)
        others += fmt::format("{}rank {} {}", others.empty() ? "" : ", ", children[i].rank,
                              describe_status(children[i].status));
    fail("launch: job failed: {} (then: {})", stop_reason, others.empty() ? "no other ranks" : others);
  }
  if (g_signal) fail("launch: interrupted by signal {}; all {} local ranks stopped", static_cast<int>(g_signal),
                          children.size());
}

}  // namespace vdf::distributed
