#include "experiments/process.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "framework/core/error.h"

namespace vdf::experiments {

namespace {
// fork + exec with stdout/stderr on `out_fd`; returns the child's pid.
pid_t process_spawn(const std::vector<std::string>& argv, int out_fd) {
  VDF_CHECK(!argv.empty(), "no program to run");
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) fail("fork() for '{}': {}", argv[0], std::strerror(errno));
  if (pid == 0) {
    ::dup2(out_fd, STDOUT_FILENO);
    ::dup2(out_fd, STDERR_FILENO);
    ::execvp(args[0], args.data());
    const std::string msg = std::string("cannot run ") + argv[0] + ": " + std::strerror(errno) + "\n";
    (void)!::write(STDERR_FILENO, msg.data(), msg.size());
    ::_exit(127);
  }
  return pid;
}

int process_wait(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) fail("waitpid(): {}", std::strerror(errno));
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}
}  // namespace

int run_process_logged(const std::vector<std::string>& argv, const std::filesystem::path& log) {
  const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  VDF_CHECK(fd >= 0, "cannot open log {}: {}", log.string(), std::strerror(errno));
  const pid_t pid = process_spawn(argv, fd);
  ::close(fd);
  return process_wait(pid);
}

std::string run_process_captured(const std::vector<std::string>& argv, int* exit_code) {
  int fds[2];
  VDF_CHECK(::pipe2(fds, O_CLOEXEC) == 0, "pipe(): {}", std::strerror(errno));
  const pid_t pid = process_spawn(argv, fds[1]);
  ::close(fds[1]);
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) != 0;) {
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fds[0]);
  *exit_code = process_wait(pid);
  return out;
}

std::filesystem::path current_executable() { return std::filesystem::read_symlink("/proc/self/exe"); }

}  // namespace vdf::experiments
