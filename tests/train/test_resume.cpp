// THE PROOF: `vdf train` killed with SIGKILL at a random step and re-run (auto-resume) produces the same
// loss sequence and bit-identical final weights as an uninterrupted run of the same length.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <random>
#include <thread>

#include "framework/core/atomic_file.h"
#include "tests/test_support.h"
#include "train/run_dir.h"

using vdf::testing::TempDir;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> train_args(const fs::path& root, const std::string& name, int64_t steps) {
  return {vdf::testing::vdf_exe(), "train", "--config",
          (vdf::testing::source_dir() / "configs/train/tiny_cpu.yaml").string(), "run.root=" + root.string(),
          "run.name=" + name, "train.steps=" + std::to_string(steps), "train.ckpt_every=3", "train.val_every=0",
          "run.threads=1"};
}

std::string join(const std::vector<std::string>& args) {
  std::string s;
  for (const auto& a : args) s += (s.empty() ? "" : " ") + a;
  return s;
}

pid_t spawn(const std::vector<std::string>& args, const fs::path& log) {
  pid_t pid = fork();
  if (pid == 0) {
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

std::vector<std::string> loss_bits(const fs::path& metrics) {
  std::vector<std::string> out;
  for (auto& j : vdf::train::read_metrics(metrics))
    if (j["kind"] == "train") out.push_back(std::to_string(j["step"].get<int64_t>()) + ":" + j["loss"].dump());
  return out;
}

size_t train_lines(const fs::path& metrics) {
  if (!fs::exists(metrics)) return 0;
  return vdf::train::read_metrics(metrics).size();
}

void run_kill_resume(int64_t steps, int kills) {
  TempDir tmp("vdf-resume");
  auto full = vdf::testing::run_command(join(train_args(tmp.path(), "full", steps)) + " 2>&1");
  INFO(full.output);
  REQUIRE(full.exit_code == 0);

  std::random_device rd;
  std::mt19937 rng(rd());
  const fs::path run_dir = tmp.path() / "killed";
  int killed = 0;
  for (int k = 0; k < kills; ++k) {
    const size_t done = train_lines(run_dir / "metrics.jsonl");
    const size_t target = std::uniform_int_distribution<size_t>(done + 1, done + std::max<int64_t>(2, steps / (kills + 1)))(rng);
    pid_t pid = spawn(train_args(tmp.path(), "killed", steps), tmp.path() / "killed.log");
    REQUIRE(pid > 0);
    int status = 0;
    bool exited = false;
    for (;;) {
      if (waitpid(pid, &status, WNOHANG) == pid) {
        exited = true;
        break;
      }
      if (train_lines(run_dir / "metrics.jsonl") >= target) break;
      std::this_thread::sleep_for(std::chrono::microseconds(300));
    }
    if (!exited) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      CHECK(WIFSIGNALED(status));
      ++killed;
      UNSCOPED_INFO("killed after metrics line " << target);
    }
  }
  auto rest = vdf::testing::run_command(join(train_args(tmp.path(), "killed", steps)) + " 2>&1");
  INFO(rest.output);
  REQUIRE(rest.exit_code == 0);
  if (killed == 0) WARN("the run finished before it could be killed; nothing was resumed");
  CHECK(killed >= 1);

  const auto a = loss_bits(tmp.path() / "full/metrics.jsonl");
  const auto b = loss_bits(run_dir / "metrics.jsonl");
  REQUIRE(a.size() == static_cast<size_t>(steps));
  CHECK(a == b);
  const std::string last = "checkpoints/step_" + std::string(7 - std::to_string(steps).size(), '0') + std::to_string(steps);
  for (const char* file : {"model.safetensors", "ema.safetensors", "optimizer.safetensors"}) {
    INFO(file);
    CHECK(vdf::read_file(tmp.path() / "full" / last / file) == vdf::read_file(run_dir / last / file));
  }
  CHECK(vdf::read_file(run_dir / "command.txt").find("vdf train") != std::string::npos);
}

}  // namespace

TEST_CASE("resume: vdf train killed with SIGKILL at a random step resumes bit-identically", "[e2e][train]") {
  run_kill_resume(/*steps=*/16, /*kills=*/1);
}

TEST_CASE("resume: several SIGKILLs in one longer run, still bit-identical", "[e2e][train][slow]") {
  run_kill_resume(/*steps=*/40, /*kills=*/4);
}
