#pragma once
// Azure ML expressions: `${{ <target> }}` data-binding expressions and `$[[ ... ]]` optional
// argument blocks. Pure functions over text; the loader and the runner build on them.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace amlops::pipeline {

/// One `${{ target }}` occurrence: [begin, end) byte range in the text and the trimmed target
/// (e.g. "parent.jobs.train.outputs.model"). Spaces inside the braces are allowed, as in Azure ML.
struct expression {
    std::size_t begin = 0;
    std::size_t end = 0;
    std::string target;
};

/// Every expression in `text`, in order. Throws error(config) on an unterminated `${{` or an
/// empty or space-containing target (the message says which).
std::vector<expression> find_expressions(std::string_view text);

/// The target if `text` is exactly one expression (surrounding blanks allowed), else nullopt.
std::optional<std::string> whole_expression(std::string_view text);

/// A reference parsed from a target: `parent.inputs.x`, `parent.outputs.x`,
/// `parent.jobs.s.outputs.o`, `parent.jobs.s.inputs.i` (context "parent"), or a command's own
/// `inputs.x` / `outputs.y` (context "self").
struct reference {
    enum class scope { parent_input, parent_output, job_output, job_input, self_input, self_output };
    scope kind;
    std::string job;   ///< step name for job_output/job_input, else empty
    std::string name;  ///< input or output name
};

/// Parses a target; nullopt when it is not one of the forms above (e.g. `${{name}}`).
std::optional<reference> parse_reference(std::string_view target);

/// Replaces every expression in `text` by `value(target)`. `value` throws for unknown targets.
std::string substitute(std::string_view text, const std::function<std::string(const std::string& target)>& value);

/// A piece of a component command: plain text, or the inside of one `$[[ ... ]]` block.
struct command_segment {
    std::string text;
    bool optional_block = false;
};

/// Splits a command into plain text and optional blocks. Throws error(config) on an unterminated
/// or nested `$[[`.
std::vector<command_segment> split_optional_blocks(std::string_view command);

/// Renders a component command. `input(name)` returns an input's value, or nullopt when it has
/// none (an optional input left unbound, without default); `output(name)` an output's path.
/// A block is kept (with its text verbatim around the substituted values) only when every input
/// it references has a value; otherwise the whole block disappears. Outside blocks every input
/// must have a value. Unknown references throw error(config).
std::string render_command(std::string_view command,
                           const std::function<std::optional<std::string>(const std::string&)>& input,
                           const std::function<std::string(const std::string&)>& output);

}  // namespace amlops::pipeline
