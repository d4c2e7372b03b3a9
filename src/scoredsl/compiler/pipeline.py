"""The compile pipeline: a rule file to a :class:`~scoredsl.compiler.model.Program`.

A chain of functions, each on the previous one's output::

    syntax.loader.load -> check.checker.check -> compiler.python.build.generate -> compile()
        -> Program (one CompiledModel per model)

``compile_file``/``compile_text`` raise :class:`CompileError` with every diagnostic when the
unit has an error; warnings are kept on the :class:`Program`. ``check_file`` stops before code
generation. Plugin functions and lints come from the plugin manager unless ``use_plugins`` is
false.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from scoredsl.check import checker, ir
from scoredsl.diagnostics import CompileError, Diagnostic, SourceMap, warning
from scoredsl.syntax import loader

if TYPE_CHECKING:
    from scoredsl.compiler.model import Program


def compile_file(path, *, root=None, use_plugins: bool = True) -> Program:
    unit, diagnostics, sources = loader.load(path, root=root)
    return _compile(unit, diagnostics, sources, use_plugins)


def compile_text(text: str, file: str = "<input>", *, root=None, use_plugins: bool = True) -> Program:
    unit, diagnostics, sources = loader.load_text(text, file, root=root)
    return _compile(unit, diagnostics, sources, use_plugins)


def check_file(path, *, root=None, use_plugins: bool = True) -> tuple[list[Diagnostic], SourceMap]:
    """Every diagnostic for a rule file (plugin lints included), without generating code."""
    unit, diagnostics, sources = loader.load(path, root=root)
    return check_unit(unit, diagnostics, use_plugins), sources


def check_text(text: str, file: str, *, root=None, read=None,
               use_plugins: bool = True) -> tuple[loader.Unit | None, list[Diagnostic], SourceMap]:
    """What :func:`check_file` finds, for text not (yet) saved as ``file``; ``read`` gives the
    text of included files (see :func:`scoredsl.syntax.loader.load_text`). The unit is returned
    too, so that an editor can tell what each name means."""
    unit, diagnostics, sources = loader.load_text(text, file, root=root, read=read)
    return unit, check_unit(unit, diagnostics, use_plugins), sources


def check_unit(unit, diagnostics: list[Diagnostic], use_plugins: bool = True) -> list[Diagnostic]:
    """The loader's diagnostics, then the checker's and the lints' for a unit that loaded."""
    if unit is not None:
        functions, lints = _plugin_extensions(use_plugins)
        program, found = checker.check(unit, functions)
        diagnostics = diagnostics + found
        if program is not None and not any(d.is_error for d in diagnostics):
            diagnostics = diagnostics + run_lints(lints, unit, program)
    return diagnostics


def _plugin_extensions(use_plugins: bool):
    if not use_plugins:
        return {}, {}
    from scoredsl.plugins import manager as plugins

    return plugins.function_registry().entries, plugins.lint_registry().entries


def run_lints(lints, unit, program) -> list[Diagnostic]:
    """Plugin lints' diagnostics; a lint that fails, or misuses a code, becomes a warning."""
    found: list[Diagnostic] = []
    for lint in lints.values():
        try:
            results = list(lint.check(unit, program))
        except Exception as exc:  # a broken lint never stops check
            found.append(warning("SD230", f"lint '{lint.name}' of plugin '{lint.plugin}' failed: "
                                          f"{type(exc).__name__}: {exc}"))
            continue
        for d in results:
            if not isinstance(d, Diagnostic) or d.code.startswith("SD") or not d.code[:1].isalpha():
                found.append(warning("SD230", f"lint '{lint.name}' of plugin '{lint.plugin}' returned "
                                              f"{d!r}, not a Diagnostic with a code of its own"))
            else:
                found.append(d)
    return found


def _compile(unit, diagnostics, sources, use_plugins: bool = True) -> Program:
    # code generation is imported here: `scoredsl check` stops before it
    from scoredsl.compiler.model import GENERATED_FILE, CompiledModel, Program
    from scoredsl.compiler.python.build import generate, wrap_function

    if unit is None:
        raise CompileError(diagnostics, sources)
    functions, _lints = _plugin_extensions(use_plugins)
    program, found = checker.check(unit, functions)
    diagnostics = diagnostics + found
    if program is None or any(d.is_error for d in diagnostics):
        raise CompileError(diagnostics, sources)
    wrapped = {n: wrap_function(f) for n, f in functions.items()}
    source, functions_ns, emitter = generate(program, wrapped)
    namespace = dict(functions_ns)
    code = compile(source, GENERATED_FILE, "exec")
    exec(code, namespace)  # the source is ours: names minted, literals repr()'d, no rule text
    compiled = Program(schema=program.schema, models={}, python_source=source,
                       warnings=[d for d in diagnostics if not d.is_error], sources=sources, ir=program)
    versions = {}
    if use_plugins and any(isinstance(e, ir.Call) for m in program.models for e in ir.model_exprs(m)):
        from scoredsl.plugins import manager as plugins

        versions = plugins.plugin_versions()
    for i, model in enumerate(program.models):
        compiled.models[model.name] = CompiledModel(model, compiled, namespace[f"score_{i}"],
                                                    namespace[f"explain_{i}"], emitter, versions,
                                                    namespace.get(f"contacts_{i}"),
                                                    functools.partial(_fold, program, i, wrapped))
    return compiled


def _fold(program, index: int, functions: dict) -> tuple | None:
    """Model ``index`` of ``program`` as accumulators, compiled: ``(init, folds, merge,
    finish, fold_events, line map)``, or ``None`` when it cannot be folded."""
    from scoredsl.compiler.model import FOLD_FILE
    from scoredsl.compiler.python.build import generate_fold

    made = generate_fold(program, index, functions)
    if made is None:
        return None
    source, namespace, emitter = made
    exec(compile(source, FOLD_FILE, "exec"), namespace)  # ours, as in _compile
    return (namespace[f"init_{index}"], namespace[f"folds_{index}"], namespace[f"merge_{index}"],
            namespace[f"finish_{index}"], namespace[f"fold_events_{index}"], emitter)


__all__ = ["compile_file", "compile_text", "check_file", "run_lints"]
