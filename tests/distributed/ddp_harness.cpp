#include "tests/distributed/ddp_harness.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>

#include "framework/core/atomic_file.h"

namespace vdf::testing {

std::string self_exe() { return fs::read_symlink("/proc/self/exe").string(); }

int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_ANY);
  addr.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  const int port = ntohs(addr.sin_port);
  ::close(fd);
  return port;
}

std::string worker_env(const fs::path& out, const std::string& extra) {
  return "OMP_NUM_THREADS=1 VDF_TEST_DDP_OUT=" + out.string() + " " + extra + " ";
}

std::string worker_command() { return self_exe() + " 'ddp worker: one rank of a job started by vdf launch'"; }

WorkerOutput read_worker_output(const fs::path& out) {
  WorkerOutput w;
  const std::string bytes = read_file(out / "weights.bin");
  w.weights = torch::from_blob(const_cast<char*>(bytes.data()), {static_cast<int64_t>(bytes.size() / 4)}, torch::kFloat32)
                  .clone();
  std::ifstream losses(out / "losses.txt");
  double v;
  while (losses >> v) w.losses.push_back(v);
  std::ifstream stats(out / "stats.txt");
  stats >> w.buckets >> w.launched_in_backward;
  return w;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace vdf::testing
