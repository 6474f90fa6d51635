// vdf error handling: exceptions inside the library, with context added at each layer, caught once in
// main() which prints one line and exits non-zero. Never use assert() for user input.
#pragma once
#include <fmt/format.h>
#include <fmt/ranges.h>  // fmt::join (moved out of format.h in fmt 11)

#include <stdexcept>
#include <string>
#include <utility>

namespace vdf {

// The one exception type of the library. `what()` is the full message with context, outermost first:
// "loading VAE 'x.safetensors': tensor 'conv.weight' has shape [64,3,3,3], expected [64,4,3,3]".
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// throw vdf::Error with a fmt-style message.
template <typename... Args>
[[noreturn]] void fail(fmt::format_string<Args...> format, Args&&... args) {
  throw Error(fmt::format(format, std::forward<Args>(args)...));
}

// Runs fn(); if it throws, rethrows as vdf::Error with "context: " prepended.
template <typename Fn>
auto with_context(const std::string& context, Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const std::exception& e) {
    throw Error(context + ": " + e.what());
  }
}

}  // namespace vdf

// Checks a condition on user input or file contents; throws vdf::Error with a formatted message.
#define VDF_CHECK(cond, ...)                 \
  do {                                       \
    if (!(cond)) ::vdf::fail(__VA_ARGS__);   \
  } while (0)
