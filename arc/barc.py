"""BARC's text conventions, shared by its transduction format (``ttt.format``) and its induction
prompt (``synth.prompt``): the colour words its models read and write, and the fixed lead-in
before the reference examples. Both models depend on these exact strings."""

# Index = colour number (8 is Purple, 9 Brown).
COLOR_WORDS: tuple[str, ...] = ("Black", "Blue", "Red", "Green", "Yellow", "Gray", "Pink", "Orange", "Purple", "Brown")

REFERENCE_LEAD = (
    "Given input-output grid pairs as reference examples, carefully observe the patterns to predict the output "
    "grid for new test input. Each pair follows the same transformation rule. Grids are 2D arrays represented "
    "as strings, with cells (colors) separated by spaces and rows by newlines.\n"
    "Here are the input and output grids for the reference examples:\n"
)
