"""The substitution report: the old names a script's source uses, found before it runs.

`scan` reads the script with `ast` and finds every use of a name that tf1run replaces or
refuses: attribute chains rooted at the name tensorflow was imported as (`tf.mul`,
`tf.contrib.layers.fully_connected`), imports from tensorflow, the 0.x argument orders of
`tf.concat`, `tf.split` and the cross-entropies, and matplotlib. `block` turns the findings into
the one block printed before the script starts; `Notices` prints one line for a substitution
that the run makes where the scan saw none (a name built at run time, a call whose argument
order only its values show), the first time it is used.
"""

import ast
import collections
import os
import sys

from tf1run import names

# Names that `import X as alias` or `from X import name` can bind, as the script writes them.
_ROOTS = {
    "tensorflow": "tf",
    "tensorflow.compat.v1": "tf",
    "tensorflow.examples.tutorials.mnist.input_data": "input_data",
}
_OLD_ORDER = {"tf.concat", "tf.split"}  # An int first argument means the 0.x order.
_POSITIONAL = {  # Positional arguments mean the 0.x order.
    "tf.nn.softmax_cross_entropy_with_logits",
    "tf.nn.sparse_softmax_cross_entropy_with_logits",
    "tf.nn.sigmoid_cross_entropy_with_logits",
}
_ALWAYS_LISTED = {"tf.image_summary", "tf.variable_op_scope", "tf.op_scope"}


def _module_name(dotted_import):
    """The tf1run name of an imported tensorflow module path, or None for other modules."""
    if dotted_import in _ROOTS:
        return _ROOTS[dotted_import]
    if dotted_import.startswith("tensorflow."):
        return "tf." + dotted_import[len("tensorflow.") :]
    return None


def _dotted(node, aliases):
    """The tf1run name of an attribute chain (`tf.train.Saver`), or None if not tensorflow's."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name) or node.id not in aliases:
        return None
    return ".".join([aliases[node.id], *reversed(parts)])


def _is_int(node):
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        node = node.operand
    return isinstance(node, ast.Constant) and type(node.value) is int


def _bool_list(node):
    return isinstance(node, (ast.List, ast.Tuple)) and any(
        isinstance(e, ast.Constant) and type(e.value) is bool for e in node.elts
    )


def scan(source, filename="<script>"):
    """Return {name: [line, ...]} of every substitution and refusal the source shows."""
    tree = ast.parse(source, filename)
    aliases, found = {}, collections.defaultdict(list)

    def note(name, line):
        name = "tensorflow" if name == "tf" else name
        if line not in found[name]:
            found[name].append(line)

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                name = _module_name(alias.name)
                if name is None:
                    if alias.name.split(".")[0] == "matplotlib":
                        note("matplotlib", node.lineno)
                    continue
                if alias.asname:
                    aliases[alias.asname] = name
                else:
                    aliases[alias.name.split(".")[0]] = "tf"
                note(name, node.lineno)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            if node.module.split(".")[0] == "matplotlib":
                note("matplotlib", node.lineno)
            module = _module_name(node.module)
            if module is None:
                continue
            for alias in node.names:
                name = _ROOTS.get(f"{node.module}.{alias.name}", f"{module}.{alias.name}")
                aliases[alias.asname or alias.name] = name
                note(name, node.lineno)
    for node in ast.walk(tree):
        # `layers = tf.contrib.layers` makes `layers.conv2d` a name of tensorflow's too.
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
            name = _dotted(value, aliases) if isinstance(value, ast.Attribute) else None
            if isinstance(target, ast.Name) and name:
                aliases[target.id] = name
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            name = _dotted(node, aliases)
            if name:
                note(name, node.lineno)
        elif isinstance(node, ast.Call):
            name = _dotted(node.func, aliases) if isinstance(node.func, ast.Attribute) else None
            if name in _OLD_ORDER and node.args and _is_int(node.args[0]):
                note(f"{name}(0.x order)", node.lineno)
            elif name in _POSITIONAL and node.args:
                note(f"{name}(0.x order)", node.lineno)
            elif name == "tf.reverse" and len(node.args) > 1 and _bool_list(node.args[1]):
                note(f"{name}(0.x order)", node.lineno)
    if any(name.startswith("tf.") for name in found):
        found.setdefault("tensorflow", [])
    refused = {name for name in found if names.refusal(name)}
    return {
        name: lines
        for name, lines in found.items()
        if describe(name) and not any(name.startswith(r + ".") for r in refused)
    }


def describe(name):
    """("substitution" | "refusal", text) for a finding of `scan`, or None if it is neither."""
    if name.endswith("(0.x order)"):
        return "substitution", names.ARGUMENTS[name[: -len("(0.x order)")]]
    if name in _ALWAYS_LISTED:
        return "substitution", names.ARGUMENTS[name]
    reason = names.refusal(name)
    if reason:
        return "refusal", reason
    text = names.substitution(name)
    return ("substitution", text) if text else None


def _lines(lines):
    if not lines:
        return ""
    shown = ", ".join(str(line) for line in sorted(lines)[:5])
    more = f", +{len(lines) - 5}" if len(lines) > 5 else ""
    return f"  (line{'s' if len(lines) > 1 else ''} {shown}{more})"


def display(name):
    """How the block writes a finding: `tf.concat(0.x order)` as `tf.concat(dim, values)`."""
    return name.replace("(0.x order)", " in 0.x order")


def block(found, script, version):
    """The block printed before the script starts: every substitution, then every refusal.

    `found` is None when the source does not parse (the run then reports where).
    """
    lines = [f"tf1run: {script} on TensorFlow {version}, graph mode; substitutions:"]
    if found is None:
        return lines[0] + "\n  none listed: the source does not parse"
    refusals = []
    for name in sorted(found, key=lambda n: (n != "tensorflow", min(found[n] or [0]), n)):
        kind, text = describe(name)
        text = text.format(version=version)
        if kind == "refusal":
            entry = f"  {display(name)}{_lines(found[name])}: {text}"
        else:
            entry = f"  {display(name)} -> {text}{_lines(found[name])}"
        (refusals if kind == "refusal" else lines).append(entry)
    if len(lines) == 1:
        lines.append("  none: the script does not import tensorflow")
    if refusals:
        lines.append("refused (the run stops with one sentence if it reaches one of these):")
        lines += refusals
    return "\n".join(lines)


class Notices:
    """One line for each substitution the run makes that the block did not list."""

    def __init__(self, listed=(), stream=None):
        self.listed = set(listed)
        self.stream = stream

    def use(self, name, depth=2):
        """Say that the run substituted `name`, where the caller `depth` frames up used it."""
        if name in self.listed:
            return
        self.listed.add(name)
        frame = sys._getframe(depth)
        where = f"{os.path.basename(frame.f_code.co_filename)}:{frame.f_lineno}"
        kind_text = describe(name)
        text = kind_text[1] if kind_text else "substituted"
        print(f"tf1run: {name} at {where}: {text}", file=self.stream or sys.stderr)
