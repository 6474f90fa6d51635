// The prompt cleaning of the diffusers Wan pipeline (pipelines/wan/pipeline_wan.py `prompt_clean`):
//   whitespace_clean(basic_clean(text)) = html.unescape twice, strip, every run of whitespace (Python's
//   `\s`, i.e. str.isspace) -> one space, strip.
// basic_clean also calls ftfy.fix_text when the ftfy package is installed; vdf does not (the pinned
// reference environment has no ftfy, so the reference does not either): mojibake repair, HTML-entity
// handling beyond html.unescape, curly-quote and ligature changes, width fixes and control-character
// removal of ftfy are NOT applied. docs/models.md lists this.
#pragma once
#include <string>

namespace vdf::text {

std::string wan_prompt_clean(const std::string& text);

}  // namespace vdf::text
