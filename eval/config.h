// Config section `eval`: how `vdf eval` / `vdf fid` compute FID, IS, FVD and CLIP score
// (docs/metrics.md describes every convention; the defaults follow the most used reference of each).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "framework/config/binding.h"

namespace vdf::config {

enum class Metric { fid, is, fvd, clip };
VDF_CONFIG_ENUM(Metric, {Metric::fid, "fid"}, {Metric::is, "is"}, {Metric::fvd, "fvd"}, {Metric::clip, "clip"})
// eval::FidPreprocess, eval::CovConvention and eval::ClipClamp are these enums (eval/metrics/).
enum class FidPreprocess { pytorch_fid, clean };
VDF_CONFIG_ENUM(FidPreprocess, {FidPreprocess::pytorch_fid, "pytorch-fid"}, {FidPreprocess::clean, "clean"})
enum class CovConvention { unbiased, biased };
VDF_CONFIG_ENUM(CovConvention, {CovConvention::unbiased, "unbiased"}, {CovConvention::biased, "biased"})
enum class FvdProtocolName { stylegan_v, tats, videogpt };
VDF_CONFIG_ENUM(FvdProtocolName, {FvdProtocolName::stylegan_v, "stylegan-v"}, {FvdProtocolName::tats, "tats"},
                {FvdProtocolName::videogpt, "videogpt"})
enum class FvdClipOffset { start, random };
VDF_CONFIG_ENUM(FvdClipOffset, {FvdClipOffset::start, "start"}, {FvdClipOffset::random, "random"})
enum class ClipClamp { none, torchmetrics, per_sample };
VDF_CONFIG_ENUM(ClipClamp, {ClipClamp::none, "none"}, {ClipClamp::torchmetrics, "torchmetrics"},
                {ClipClamp::per_sample, "per-sample"})

struct EvalConfig {
  std::vector<Metric> metrics{Metric::fid, Metric::is, Metric::fvd, Metric::clip};  // which metrics `vdf eval` computes
  std::string device = "auto";           // auto | cpu | cuda | cuda:N
  int64_t batch_size = 50;               // images per Inception batch (pytorch-fid default 50)
  // FID / IS (Inception-v3, pytorch-fid FID variant)
  std::string inception_weights = "";    // .safetensors (converted pt_inception-2015-12-05-6726825d.pth),
                                         // NVIDIA TorchScript .pt, or "recipe" (test weights, NOT standard)
  FidPreprocess fid_preprocess = FidPreprocess::pytorch_fid;
  int64_t fid_dims = 2048;               // 64 | 192 | 768 | 2048
  CovConvention fid_covariance = CovConvention::unbiased;  // unbiased (np.cov) | biased (StyleGAN)
  int64_t fid_frames_per_clip = 0;       // frames taken from each clip for FID/IS (0 = all)
  int64_t is_splits = 10;
  bool is_shuffle = false;               // torch-fidelity: permute with RandomState(2020) before splitting
  // FVD (I3D Kinetics-400)
  std::string i3d_weights = "";          // .safetensors (converted i3d_pretrained_400.pt), StyleGAN-V
                                         // i3d_torchscript.pt, or "recipe"
  FvdProtocolName fvd_protocol = FvdProtocolName::stylegan_v;  // stylegan-v (biased cov) | tats (unbiased cov) | videogpt
  int64_t fvd_frames = 16;               // consecutive frames per clip
  int64_t fvd_stride = 1;                // frame step inside a clip (fvd2048_128f_subsample8f uses 8)
  FvdClipOffset fvd_clip_offset = FvdClipOffset::start;  // random: StyleGAN-V real-clip sampling
  int64_t fvd_seed = 0;                  // seed for fvd_clip_offset=random
  // CLIP score
  std::string clip_weights = "";         // OpenAI CLIP weights (.safetensors) or "recipe"
  std::string clip_model = "ViT-B/32";   // ViT-B/32 | ViT-L/14 | tiny (test architecture, never standard)
  ClipClamp clip_clamp = ClipClamp::none;  // torchmetrics: max(mean, 0) over the batch
  int64_t clip_frames_per_clip = 0;      // evenly spaced frames scored per clip (0 = all)
  std::string clip_tokenizer = "";       // bpe_simple_vocab_16e6.txt.gz (empty: $VDF_CLIP_BPE or the shared asset)
  // statistics cache
  std::string stats_cache = "";          // folder for reference statistics (empty: no cache)

  template <class V>
  void visit(V& v) {
    v("metrics", metrics, "metrics computed by vdf eval");
    v("device", device, "auto | cpu | cuda | cuda:N");
    v("batch_size", batch_size, "images per Inception batch");
    v("inception_weights", inception_weights, "Inception weights: converted .safetensors, NVIDIA TorchScript .pt, or recipe");
    v("fid_preprocess", fid_preprocess, "pytorch-fid: bilinear 299, 2x-1; clean: PIL bicubic float, (x-128)/128");
    v("fid_dims", fid_dims, "Inception feature dims: 64 | 192 | 768 | 2048");
    v("fid_covariance", fid_covariance, "unbiased: np.cov, pytorch-fid; biased: StyleGAN");
    v("fid_frames_per_clip", fid_frames_per_clip, "frames per clip used as FID/IS images (0 = all)");
    v("is_splits", is_splits, "Inception Score splits");
    v("is_shuffle", is_shuffle, "shuffle with RandomState(2020) before splitting (torch-fidelity)");
    v("i3d_weights", i3d_weights, "I3D weights: converted .safetensors, StyleGAN-V TorchScript .pt, or recipe");
    v("fvd_protocol", fvd_protocol, "FVD reference implementation followed");
    v("fvd_frames", fvd_frames, "consecutive frames per clip for FVD");
    v("fvd_stride", fvd_stride, "frame step inside an FVD clip");
    v("fvd_clip_offset", fvd_clip_offset, "where an FVD clip starts in a longer video");
    v("fvd_seed", fvd_seed, "seed of fvd_clip_offset=random");
    v("clip_weights", clip_weights, "CLIP weights (.safetensors, OpenAI key names) or recipe");
    v("clip_model", clip_model, "ViT-B/32 | ViT-L/14 | tiny (test architecture)");
    v("clip_clamp", clip_clamp, "torchmetrics: max(mean, 0); per-sample: max(100 cos, 0) per frame");
    v("clip_frames_per_clip", clip_frames_per_clip, "evenly spaced frames per clip for the CLIP score (0 = all)");
    v("clip_tokenizer", clip_tokenizer, "CLIP BPE merges file (empty = $VDF_CLIP_BPE or the shared asset)");
    v("stats_cache", stats_cache, "folder where reference statistics are cached (empty = off)");
  }
  void validate(const Check& c) const {
    c.require(device == "auto" || device == "cpu" || device.rfind("cuda", 0) == 0, "device", device, "auto, cpu, cuda or cuda:N");
    c.require(batch_size > 0, "batch_size", batch_size, "> 0");
    c.require(fid_dims == 64 || fid_dims == 192 || fid_dims == 768 || fid_dims == 2048, "fid_dims", fid_dims, "64, 192, 768 or 2048");
    c.require(fid_frames_per_clip >= 0, "fid_frames_per_clip", fid_frames_per_clip, ">= 0");
    c.require(is_splits >= 1, "is_splits", is_splits, ">= 1");
    c.require(fvd_frames >= 10, "fvd_frames", fvd_frames, ">= 10 (I3D needs at least 10 frames)");
    c.require(fvd_stride >= 1, "fvd_stride", fvd_stride, ">= 1");
    c.require(clip_model == "ViT-B/32" || clip_model == "ViT-L/14" || clip_model == "tiny", "clip_model", clip_model,
              "ViT-B/32, ViT-L/14 or tiny");
    c.require(clip_frames_per_clip >= 0, "clip_frames_per_clip", clip_frames_per_clip, ">= 0");
  }
};

}  // namespace vdf::config
