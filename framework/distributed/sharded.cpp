#include "framework/distributed/sharded.h"

#include <fmt/format.h>

#include <cmath>
#include <map>

#include "framework/core/error.h"
#include "framework/core/log.h"
#include "framework/models/block_loop.h"

namespace vdf::distributed {

std::string piece_name(const std::string& param, int64_t begin, int64_t end) {
  return fmt::format("{}@{}:{}", param, begin, end);
}

bool parse_piece_name(const std::string& piece, std::string* param, int64_t* begin, int64_t* end) {
  const size_t at = piece.rfind('@');
  if (at == std::string::npos) return false;
  const size_t colon = piece.find(':', at);
  if (colon == std::string::npos) return false;
  try {
    size_t used_b = 0, used_e = 0;
    const std::string b = piece.substr(at + 1, colon - at - 1), e = piece.substr(colon + 1);
    const int64_t bv = std::stoll(b, &used_b), ev = std::stoll(e, &used_e);
    if (used_b != b.size() || used_e != e.size() || bv < 0 || ev < bv) return false;
    *param = piece.substr(0, at);
    *begin = bv;
    *end = ev;
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

struct ShardedDataParallel::Unit {
  std::string label;  // "root" or the block path
  bool block = false;
  std::vector<torch::Tensor> params;
  std::vector<int64_t> offsets, numels;
  int64_t padded = 0, shard = 0;
  torch::Tensor full;    // flat [padded]; the parameters are views of it
  torch::Tensor master;  // fp32 [shard]
  torch::Tensor grad;    // fp32 [shard]
  size_t bytes = 0;      // of full's storage when allocated
  bool gathered = true;
};

namespace {

// Releases / re-allocates the memory of a tensor's storage while every view of it (the module's
// parameters, activations saved for backward) keeps pointing at the same StorageImpl.
void sharded_free_storage(const torch::Tensor& t) {
  c10::StorageImpl* s = t.storage().unsafeGetStorageImpl();
  s->set_data_ptr_noswap(at::DataPtr(nullptr, t.device()));
  s->set_nbytes(0);
}

void sharded_alloc_storage(const torch::Tensor& t, size_t nbytes) {
  c10::StorageImpl* s = t.storage().unsafeGetStorageImpl();
  VDF_CHECK(s->allocator() != nullptr, "zero3: parameter storage has no allocator");
  s->set_data_ptr_noswap(s->allocator()->allocate(nbytes));
  s->set_nbytes(nbytes);
}

// A tensor over the whole storage of `full` with its own version counter: collectives write through it
// without autograd seeing an in-place change of the parameters.
torch::Tensor sharded_alias(const torch::Tensor& full) {
  return torch::empty({0}, full.options()).set_(full.storage(), 0, {full.numel()}, {1});
}

torch::ScalarType sharded_wire_dtype(config::CommDtype d) {
  return d == config::CommDtype::bfloat16 ? torch::kBFloat16 : torch::kFloat32;
}

// Forwards the model's block loop to the ShardedDataParallel while it exists.
class ShardedBlockObserver : public models::BlockObserver {
 public:
  explicit ShardedBlockObserver(ShardedDataParallel* owner) : owner_(owner) {}
  void detach() { owner_ = nullptr; }
  void before_block(int64_t index, const torch::Tensor& input) override {
    if (owner_) owner_->on_before_block(index, input);
  }
  void after_block(int64_t index, const torch::Tensor& output) override {
    if (owner_) owner_->on_after_block(index, output);
  }

 private:
  ShardedDataParallel* owner_;
};

struct ShardedLoopRef {
  models::BlockLoop* loop = nullptr;
  std::string prefix;  // module path of the loop + "." (empty at the root)
};

ShardedLoopRef sharded_find_loop(torch::nn::Module& model) {
  ShardedLoopRef ref;
  for (const auto& item : model.named_modules("", /*include_self=*/true)) {
    if (auto* loop = dynamic_cast<models::BlockLoop*>(item.value().get())) {
      ref.loop = loop;
      ref.prefix = item.key().empty() ? "" : item.key() + ".";
      break;
    }
  }
  return ref;
}

}  // namespace

ShardedDataParallel::ShardedDataParallel(std::shared_ptr<Context> ctx, torch::nn::Module& model,
                                         config::DistStrategy strategy, config::CommDtype comm_dtype)
    : ctx_(std::move(ctx)), strategy_(strategy), comm_dtype_(comm_dtype) {
  VDF_CHECK(strategy_ != config::DistStrategy::ddp, "ShardedDataParallel: strategy ddp is not sharded");
  torch::NoGradGuard no_grad;
  const ShardedLoopRef loop = sharded_find_loop(model);
  std::map<std::string, int64_t> block_of_path;
  if (loop.loop)
    for (int64_t i = 0; i < loop.loop->num_blocks(); ++i) block_of_path[loop.prefix + loop.loop->block_path(i) + "."] = i;

  // Units: root first, then one per block (in block order).
  units_.push_back(std::make_unique<Unit>());
  units_[0]->label = "root";
  std::vector<std::unique_ptr<Unit>> blocks(block_of_path.size());
  std::vector<std::pair<Unit*, std::string>> membership;
  for (const auto& item : model.named_parameters(/*recurse=*/true)) {
    if (!item.value().requires_grad()) continue;
    const std::string& name = item.key();
    Unit* unit = units_[0].get();
    for (const auto& [path, index] : block_of_path) {
      if (name.compare(0, path.size(), path) == 0) {
        if (!blocks[index]) {
          blocks[index] = std::make_unique<Unit>();
          blocks[index]->label = path.substr(0, path.size() - 1);
          blocks[index]->block = true;
        }
        unit = blocks[index].get();
        break;
      }
    }
    const torch::Tensor& p = item.value();
    VDF_CHECK(p.scalar_type() == torch::kFloat32, "{}: parameter '{}' is {}, the sharded strategies need fp32 "
              "master parameters", config::enum_name(strategy_), name, c10::toString(p.scalar_type()));
    unit->params.push_back(p);
    membership.emplace_back(unit, name);
  }
  block_unit_.assign(blocks.size(), nullptr);
  for (size_t i = 0; i < blocks.size(); ++i) {
    if (!blocks[i]) continue;
    block_unit_[i] = blocks[i].get();
    units_.push_back(std::move(blocks[i]));
  }

  // Flat buffers, parameter views, master slices, pieces.
  const int world = ctx_->world_size(), rank = ctx_->rank();
  std::map<Unit*, std::vector<std::string>> names_of;
  for (const auto& [u, n] : membership) names_of[u].push_back(n);
  for (auto& up : units_) {
    Unit& u = *up;
    int64_t total = 0;
    for (const auto& p : u.params) {
      u.offsets.push_back(total);
      u.numels.push_back(p.numel());
      total += p.numel();
    }
    u.padded = (total + world - 1) / world * world;
    if (u.padded == 0) u.padded = world;
    u.shard = u.padded / world;
    const auto& opts = u.params.empty() ? torch::TensorOptions().device(ctx_->device()) : u.params[0].options();
    u.full = torch::zeros({u.padded}, opts.requires_grad(false));
    u.bytes = static_cast<size_t>(u.full.nbytes());
    for (size_t i = 0; i < u.params.size(); ++i) {
      torch::Tensor& p = u.params[i];
      VDF_CHECK(p.device() == u.full.device(), "{}: parameter '{}' is on {}, others on {}",
                config::enum_name(strategy_), names_of[&u][i], p.device().str(), u.full.device().str());
      torch::Tensor view = u.full.narrow(0, u.offsets[i], u.numels[i]);
      view.copy_(p.detach().reshape({-1}));
      p.set_data(view.view(p.sizes()));
    }
    u.master = u.full.narrow(0, rank * u.shard, u.shard).to(torch::kFloat32).clone();
    u.grad = torch::zeros({u.shard}, u.master.options());
    const int64_t lo_rank = rank * u.shard, hi_rank = lo_rank + u.shard;
    for (size_t i = 0; i < u.params.size(); ++i) {
      const int64_t a = u.offsets[i], b = a + u.numels[i];
      const int64_t lo = std::max(a, lo_rank), hi = std::min(b, hi_rank);
      if (lo >= hi) continue;
      ShardPiece piece;
      piece.param = names_of[&u][i];
      piece.begin = lo - a;
      piece.end = hi - a;
      piece.name = piece_name(piece.param, piece.begin, piece.end);
      piece.master = u.master.narrow(0, lo - lo_rank, hi - lo);
      pieces_.push_back(std::move(piece));
      piece_slot_.emplace_back(&u, lo - lo_rank);
    }
  }
  if (strategy_ == config::DistStrategy::zero3 && loop.loop) {
    auto observer = std::make_shared<ShardedBlockObserver>(this);
    loop.loop->set_block_observer(observer);
    detach_observer_ = [observer] { observer->detach(); };
  }
  VDF_INFO("{}: {} units ({} parameter elements), rank {} holds {} master elements in {} pieces",
           config::enum_name(strategy_), units_.size(), [&] {
             int64_t n = 0;
             for (const auto& u : units_) n += u->padded;
             return n;
           }(), rank, [&] {
             int64_t n = 0;
             for (const auto& u : units_) n += u->shard;
             return n;
           }(), pieces_.size());
}

ShardedDataParallel::~ShardedDataParallel() {
  // The model may outlive this object: its observer is detached (a no-op from now on), not touched.
  if (detach_observer_) detach_observer_();
}

int64_t ShardedDataParallel::unit_count() const { return static_cast<int64_t>(units_.size()); }

int64_t ShardedDataParallel::resident_parameter_elements() const {
  int64_t n = 0;
  for (const auto& u : units_) n += (u->gathered ? u->padded : 0) + u->shard;
  return n;
}

void ShardedDataParallel::gather_unit(Unit& u, bool exact) {
  torch::NoGradGuard no_grad;
  if (!u.gathered) sharded_alloc_storage(u.full, u.bytes);
  torch::Tensor alias = sharded_alias(u.full);
  const torch::ScalarType wire = exact ? alias.scalar_type() : sharded_wire_dtype(comm_dtype_);
  if (wire == alias.scalar_type()) {
    ctx_->all_gather_into(alias, u.master.to(wire));
  } else {
    torch::Tensor tmp = torch::empty({u.padded}, alias.options().dtype(wire));
    ctx_->all_gather_into(tmp, u.master.to(wire));
    alias.copy_(tmp);
  }
  u.gathered = true;
}

void ShardedDataParallel::free_unit(Unit& u) {
  if (!u.gathered) return;
  sharded_free_storage(u.full);
  u.gathered = false;
}

void ShardedDataParallel::broadcast_parameters(const std::vector<torch::Tensor>& buffers) {
  torch::NoGradGuard no_grad;
  gather_all();
  for (auto& u : units_) {
    torch::Tensor alias = sharded_alias(u->full);
    ctx_->broadcast(alias, 0);
    u->master.copy_(alias.narrow(0, ctx_->rank() * u->shard, u->shard));
  }
  for (torch::Tensor b : buffers) ctx_->broadcast(b, 0);
  release();
}

void ShardedDataParallel::after_backward() {
  torch::NoGradGuard no_grad;
  const torch::ScalarType wire = sharded_wire_dtype(comm_dtype_);
  // Fixed order (last unit first, roughly backward's order) so every rank issues the same collectives.
  for (auto it = units_.rbegin(); it != units_.rend(); ++it) {
    Unit& u = **it;
    torch::Tensor flat = torch::zeros({u.padded}, u.master.options().dtype(wire));
    for (size_t i = 0; i < u.params.size(); ++i) {
      torch::Tensor& p = u.params[i];
      if (p.grad().defined()) flat.narrow(0, u.offsets[i], u.numels[i]).copy_(p.grad().reshape({-1}));
      p.mutable_grad() = torch::Tensor();  // the full gradient is not kept (ZeRO-2)
    }
    if (wire == torch::kFloat32) {
      ctx_->reduce_scatter_sum(u.grad, flat);
    } else {
      torch::Tensor out = torch::empty({u.shard}, flat.options());
      ctx_->reduce_scatter_sum(out, flat);
      u.grad.copy_(out);
    }
    u.grad.div_(ctx_->world_size());
  }
  ctx_->report_progress(++backward_count_);  // names the ranks that fell behind if a collective fails
  // The pieces' gradients are views of the units' gradient slices.
  for (size_t k = 0; k < pieces_.size(); ++k) {
    const auto& [unit, offset] = piece_slot_[k];
    pieces_[k].master.mutable_grad() = unit->grad.narrow(0, offset, pieces_[k].end - pieces_[k].begin);
  }
}

double ShardedDataParallel::combine_grad_norm(double local_norm) {
  return std::sqrt(ctx_->sum(local_norm * local_norm));
}

void ShardedDataParallel::after_optimizer_step() {
  for (auto& u : units_) gather_unit(*u, /*exact=*/true);
  if (strategy_ == config::DistStrategy::zero3) pinned_ = true;
}

void ShardedDataParallel::gather_all() {
  for (auto& u : units_)
    if (!u->gathered) gather_unit(*u, /*exact=*/true);
  pinned_ = true;
}

void ShardedDataParallel::release() {
  if (strategy_ != config::DistStrategy::zero3) {
    pinned_ = false;
    return;
  }
  pinned_ = false;
  for (auto& u : units_)
    if (u->block) free_unit(*u);
}

void ShardedDataParallel::on_before_block(int64_t index, const torch::Tensor& input) {
  if (index < 0 || index >= static_cast<int64_t>(block_unit_.size()) || !block_unit_[index] || pinned_) return;
  Unit* u = block_unit_[index];
  if (!u->gathered) gather_unit(*u, /*exact=*/false);
  if (input.requires_grad() && torch::GradMode::is_enabled()) {
    // The gradient of the block's input is complete: the block's backward is done, free its parameters.
    input.register_hook([this, u](const at::TensorBase&) {
      if (!pinned_) free_unit(*u);
    });
  }
}

void ShardedDataParallel::on_after_block(int64_t index, const torch::Tensor& output) {
  if (index < 0 || index >= static_cast<int64_t>(block_unit_.size()) || !block_unit_[index] || pinned_) return;
  Unit* u = block_unit_[index];
  if (output.requires_grad() && torch::GradMode::is_enabled()) {
    // Backward reaches this block next: gather its parameters again (its saved activations need them).
    output.register_hook([this, u](const at::TensorBase&) {
      if (!u->gathered) gather_unit(*u, /*exact=*/false);
    });
  }
  free_unit(*u);
}

}  // namespace vdf::distributed
