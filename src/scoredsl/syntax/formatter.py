"""One canonical layout for rule files, comments kept in place: ``scoredsl fmt``.

The layout is a function of the syntax tree, the comments, and where the author left blank
lines, so ``format(format(x)) == format(x)`` and ``parse(format(x)) == parse(x)``:

* two-space indentation; one statement (field, rule, band, tier entry) per line;
* no alignment across lines (adding a longer rule name must not re-indent its neighbours);
* bands, decay steps, event fields and ``by`` tiers stay on one line when it fits in
  :data:`WIDTH` columns and holds no comment, else one item per line;
* conditions keep only the parentheses that their meaning needs;
* a comment stays with the statement it precedes, or at the end of the line it ends; blank
  lines between statements are kept (several become one).
"""

from __future__ import annotations

from scoredsl.diagnostics import CompileError, SourceMap
from scoredsl.syntax import nodes

WIDTH = 100
INDENT = "  "

# precedence levels, loosest first
OR, AND, NOT, PRED, SUM, PRODUCT, UNARY, ATOM = range(1, 9)


def format_text(text: str, file: str = "<input>") -> str:
    """The canonical form of a rule file; :class:`CompileError` if it does not parse."""
    from scoredsl.syntax.parser import parse

    tree, diagnostics = parse(text, file)
    if tree is None or any(d.code in ("SD101", "SD102", "SD103", "SD112") for d in diagnostics):
        sources = SourceMap()
        sources.add(file, text)
        raise CompileError(diagnostics, sources)
    return Formatter(tree, text).format()


# ------------------------------------------------------------------ expressions

def quote(value: str) -> str:
    out = []
    for ch in value:
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif ord(ch) < 32 or ch in "\x7f\u2028\u2029\x85":
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _case(node) -> str:
    return " case_sensitive" if getattr(node, "case_sensitive", False) else ""


def level(e) -> int:
    if isinstance(e, nodes.BoolOp):
        return OR if e.op is nodes.BoolOpKind.OR else AND
    if isinstance(e, nodes.Not):
        return NOT
    if isinstance(e, (nodes.Compare, nodes.Membership, nodes.TextTest, nodes.Matches, nodes.IsSet)):
        return PRED
    if isinstance(e, nodes.Arith):
        return PRODUCT if e.op is nodes.ArithOp.MUL else SUM
    if isinstance(e, nodes.Neg):
        return UNARY
    if isinstance(e, nodes.Paren):
        return level(e.inner)
    return ATOM


def expr(e, need: int = OR) -> str:
    """``e`` as source text, in parentheses when its level is looser than ``need``."""
    text = _expr(e)
    return f"({text})" if level(e) < need else text


def _expr(e) -> str:
    if isinstance(e, nodes.Paren):
        return _expr(e.inner)
    if isinstance(e, nodes.Number):
        return e.text
    if isinstance(e, nodes.Text):
        return quote(e.value)
    if isinstance(e, nodes.Bool):
        return "true" if e.value else "false"
    if isinstance(e, nodes.Duration):
        return f"{e.amount}{e.unit.value}"
    if isinstance(e, (nodes.DateLit, nodes.DateTimeLit)):
        return e.text
    if isinstance(e, nodes.ListLit):
        return "[" + ", ".join(expr(i) for i in e.items) + "]"
    if isinstance(e, nodes.Name):
        return e.name
    if isinstance(e, nodes.Call):
        where = "" if e.where is None else f" where {expr(e.where)}"
        return f"{e.func.name}(" + ", ".join(expr(a) for a in e.args) + where + ")"
    if isinstance(e, nodes.Aggregate):
        inner = e.event.name + _distinct(e.distinct)
        if e.where is not None:
            inner += f" where {expr(e.where)}"
        if e.within is not None:
            inner += f" within {_expr(e.within)}"
        return f"{e.func.value}({inner})"
    if isinstance(e, nodes.BoolOp):
        need = AND if e.op is nodes.BoolOpKind.OR else NOT
        return f" {e.op.value} ".join(expr(o, need) for o in e.operands)
    if isinstance(e, nodes.Not):
        return "not " + expr(e.operand, NOT)
    if isinstance(e, nodes.Compare):
        return f"{expr(e.left, SUM)} {e.op.value} {expr(e.right, SUM)}{_case(e)}"
    if isinstance(e, nodes.Membership):
        word = "not in" if e.negated else "in"
        return f"{expr(e.left, SUM)} {word} {expr(e.right, SUM)}{_case(e)}"
    if isinstance(e, nodes.TextTest):
        return f"{expr(e.left, SUM)} {e.op.value} {expr(e.right, SUM)}{_case(e)}"
    if isinstance(e, nodes.Matches):
        pattern = e.regex.pattern.replace("/", "\\/")
        return f"{expr(e.left, SUM)} matches /{pattern}/{e.regex.flags}{_case(e)}"
    if isinstance(e, nodes.IsSet):
        return f"{expr(e.operand, SUM)} is {'missing' if e.negated else 'set'}"
    if isinstance(e, nodes.Arith):
        own = level(e)
        return f"{expr(e.left, own)} {e.op.value} {expr(e.right, own + 1)}"
    if isinstance(e, nodes.Neg):
        inner = expr(e.operand, ATOM)
        if isinstance(e.operand, nodes.Neg) or inner.startswith("-"):
            inner = f"({inner})"
        return "-" + inner
    raise TypeError(f"cannot format {type(e).__name__}")


def _distinct(distinct: nodes.Distinct | None) -> str:
    if distinct is None:
        return ""
    return f" distinct {distinct.attr.name}" + (" case_sensitive" if distinct.case_sensitive else "")


def points(p: "nodes.Points | nodes.PointsFrom") -> str:
    if isinstance(p, nodes.PointsFrom):
        text = ("- " if p.negative else "+ ") + p.name.name
        if p.low is not None:
            text += f" in {_expr(p.low)}..{_expr(p.high)}"
        return text
    text = f"+{p.amount}" if p.amount > 0 else str(p.amount)
    if p.once:
        text += " once"
    elif p.max is not None:
        text += f" max {p.max}"
    return text


def bound_text(bound) -> str:
    """A band bound (a number, a duration or a constant's name) as written."""
    if isinstance(bound, nodes.Number):
        return bound.text
    if isinstance(bound, nodes.Duration):
        return f"{bound.amount}{bound.unit.value}"
    return bound.name


def band_test(test) -> str:
    """A band's test as written (also its label in explain output and coverage)."""
    if isinstance(test, nodes.BandOtherwise):
        return "otherwise"
    if isinstance(test, nodes.BandCompare):
        return f"{test.op.value} {bound_text(test.value)}"
    if isinstance(test, nodes.BandRange):
        return f"{bound_text(test.low)}..{'<' if test.high_exclusive else ''}{bound_text(test.high)}"
    return expr(test.value)


# ------------------------------------------------------------------ statements

class Formatter:
    def __init__(self, tree: nodes.RuleFile, text: str):
        self.tree = tree
        self.source = text.splitlines()
        self.comments = sorted(tree.comments, key=lambda c: (c.line, c.column))
        self.next_comment = 0
        self.out: list[str] = []

    # -------------------------------------------------------------- comments and blank lines
    def _pending(self, before_line: int) -> list[nodes.Comment]:
        taken = []
        while self.next_comment < len(self.comments) and self.comments[self.next_comment].line < before_line:
            taken.append(self.comments[self.next_comment])
            self.next_comment += 1
        return taken

    def _trailing(self, line: int) -> str:
        if self.next_comment < len(self.comments) and self.comments[self.next_comment].line == line:
            comment = self.comments[self.next_comment]
            self.next_comment += 1
            return "  " + comment.text
        return ""

    def _has_comment_within(self, node) -> bool:
        return any(node.span.line <= c.line < node.span.end_line for c in self.comments[self.next_comment:]
                   if c.line <= node.span.end_line)

    def _blank_above(self, line: int) -> bool:
        return line >= 2 and not self.source[line - 2].strip()

    def emit(self, depth: int, lines: list[str], node, *, first: bool) -> None:
        """Emit a statement: its leading comments, a kept blank line, the text, a trailing comment."""
        leading = self._pending(node.span.line)
        start = leading[0].line if leading else node.span.line
        if not first and self._blank_above(start) and self.out and self.out[-1] != "":
            self.out.append("")
        for c in leading:
            if c.line > start and self._blank_above(c.line) and self.out and self.out[-1] != "":
                self.out.append("")
            self.out.append(INDENT * depth + c.text)
        if leading and self._blank_above(node.span.line) and self.out[-1] != "":
            self.out.append("")
        indented = [INDENT * depth + line if line else "" for line in lines]
        self.out.extend(indented[:-1])
        self.out.append(indented[-1] + self._trailing(node.span.end_line))

    def close(self, depth: int, node) -> None:
        """Emit the comments left inside a block, then its closing brace."""
        for c in self._pending(node.span.end_line):
            if self._blank_above(c.line) and self.out[-1] != "" and not self.out[-1].endswith("{"):
                self.out.append("")
            self.out.append(INDENT * (depth + 1) + c.text)
        self.out.append(INDENT * depth + "}" + self._trailing(node.span.end_line))

    def open(self, depth: int, header: str, node, *, first: bool) -> None:
        self.emit(depth, [header + " {"], _header_span(node), first=first)

    # -------------------------------------------------------------- the file
    def format(self) -> str:
        previous = None
        for item in self.tree.items:
            first = previous is None
            if not first and (isinstance(item, (nodes.Schema, nodes.Model)) or
                              isinstance(previous, (nodes.Schema, nodes.Model)) or
                              type(item) is not type(previous)):
                if self.out and self.out[-1] != "":
                    self.out.append("")
            self.item(item, first=first)
            previous = item
        rest = self._pending(10 ** 9)
        if rest:
            if self.out and self.out[-1] != "" and self._blank_above(rest[0].line):
                self.out.append("")
            self.out.extend(c.text for c in rest)
        while self.out and self.out[-1] == "":
            self.out.pop()
        return "\n".join(self.out) + "\n" if self.out else ""

    def item(self, item, *, first: bool) -> None:
        if isinstance(item, nodes.Include):
            self.emit(0, [f"include {quote(item.path)}"], item, first=first)
        elif isinstance(item, nodes.Let):
            self.let(item, first)
        elif isinstance(item, nodes.Schema):
            self.schema(item, first)
        else:
            self.model(item, first)

    def let(self, let: nodes.Let, first: bool) -> None:
        line = f"let {let.name.name} = {expr(let.value)}"
        if len(line) <= WIDTH or not isinstance(let.value, nodes.ListLit) or self._has_comment_within(let):
            self.emit(0, [line], let, first=first)
            return
        items = [f"{INDENT}{expr(i)}," for i in let.value.items]
        self.emit(0, [f"let {let.name.name} = [", *items, "]"], let, first=first)

    def schema(self, schema: nodes.Schema, first: bool) -> None:
        self.open(0, "schema", schema, first=first)
        inner_first = True
        for block, word in [(c, "contact") for c in schema.contacts] + [(c, "company") for c in schema.companies]:
            self.open(1, word, block, first=inner_first)
            for i, f in enumerate(block.fields):
                self.emit(2, [f"{f.name.name}: {f.type}"], f, first=i == 0)
            self.close(1, block)
            inner_first = False
        for event in schema.events:
            self.event(event, inner_first)
            inner_first = False
        self.close(0, schema)

    def event(self, event: nodes.EventDecl, first: bool) -> None:
        if not event.fields:
            self.emit(1, [f"event {event.name.name}"], event, first=first)
            return
        fields = ", ".join(f"{f.name.name}: {f.type}" for f in event.fields)
        line = f"event {event.name.name} {{ {fields} }}"
        if len(INDENT + line) <= WIDTH and not self._has_comment_within(event):
            self.emit(1, [line], event, first=first)
            return
        self.open(1, f"event {event.name.name}", event, first=first)
        for i, f in enumerate(event.fields):
            self.emit(2, [f"{f.name.name}: {f.type}"], f, first=i == 0)
        self.close(1, event)

    def model(self, model: nodes.Model, first: bool) -> None:
        subject = "" if model.subject is None else f" for {model.subject.name}"
        self.open(0, f"model {model.name.name}{subject}", model, first=first)
        for i, item in enumerate(model.items):
            if isinstance(item, nodes.Scope):
                self.emit(1, [f"scope {expr(item.condition)}"], item, first=i == 0)
            elif isinstance(item, nodes.Disqualify):
                self.emit(1, [f"disqualify {item.name.name}: {expr(item.condition)}"], item, first=i == 0)
            elif isinstance(item, nodes.Score):
                self.score(item, i == 0)
            else:
                self.tier(item, i == 0)
        self.close(0, model)

    def score(self, score: nodes.Score, first: bool) -> None:
        header = f"score {score.name.name}"
        if score.floor is not None:
            header += f" min {_expr(score.floor)}"
        if score.max is not None:
            header += f" max {score.max}"
        self.open(1, header, score, first=first)
        for i, item in enumerate(score.items):
            if isinstance(item, nodes.InactivityDecay):
                self.inactivity(item, i == 0)
            elif isinstance(item, nodes.HalfLifeDecay):
                self.emit(2, [f"decay half_life {_expr(item.half_life)}"], item, first=i == 0)
            elif isinstance(item, nodes.Group):
                self.group(item, i == 0)
            else:
                self.rule(item, 2, i == 0)
        self.close(1, score)

    def inactivity(self, decay: nodes.InactivityDecay, first: bool) -> None:
        steps = "decay inactivity { " + ", ".join(f"{_expr(s.after)} => {s.percent}%" for s in decay.steps) + " }"
        activity = []
        if decay.activity is not None:
            activity = ["activity [" + ", ".join(a.name for a in decay.activity) + "]"]
        if activity and len(INDENT * 2 + steps + " " + activity[0]) <= WIDTH:
            steps, activity = steps + " " + activity[0], []
        self.emit(2, [steps, *(INDENT + a for a in activity)], decay, first=first)

    def group(self, group: nodes.Group, first: bool) -> None:
        header = f"group {group.name.name}"
        if group.share is not None:
            header += f" share {group.share.percent}%"
        if group.cap is not None:
            header += f" max {group.cap.amount}{'%' if group.cap.percent else ''}"
        self.open(2, header, group, first=first)
        for i, rule in enumerate(group.rules):
            self.rule(rule, 3, i == 0)
        self.close(2, group)

    def rule(self, rule: nodes.Rule, depth: int, first: bool) -> None:
        head = f"rule {rule.name.name}: "
        body = rule.body
        if isinstance(body, nodes.When):
            self.emit(depth, [head + f"{expr(body.condition)} => {points(body.points)}"], rule, first=first)
        elif isinstance(body, nodes.Each):
            text = f"each {body.event.name}{_distinct(body.distinct)}"
            if body.where is not None:
                text += f" where {expr(body.where)}"
            if body.within is not None:
                text += f" within {_expr(body.within)}"
            self.emit(depth, [head + f"{text} => {points(body.points)}"], rule, first=first)
        else:
            subject = expr(body.subject, SUM) + (" case_sensitive" if body.case_sensitive else "")
            bands = [f"{band_test(b.test)} => {points(b.points)}" for b in body.bands]
            line = head + subject + " { " + "; ".join(bands) + " }"
            if len(INDENT * depth + line) <= WIDTH and not self._has_comment_within(rule):
                self.emit(depth, [line], rule, first=first)
                return
            self.emit(depth, [head + subject + " {"], _header_span(rule), first=first)
            for i, (band, text) in enumerate(zip(body.bands, bands)):
                self.emit(depth + 1, [text], band, first=i == 0)
            self.close(depth, rule)

    def tier(self, tier: nodes.Tier, first: bool) -> None:
        header = f"tier {tier.name.name}" + (f" by {expr(tier.by, SUM)}" if tier.by is not None else "")
        if tier.monotonic is not None:
            header += " monotonic"
            if tier.monotonic.unless is not None:
                header += f" unless {expr(tier.monotonic.unless)}"
        entries = [self.tier_entry(e) for e in tier.entries]
        line = header + " { " + "; ".join(entries) + " }"
        if tier.by is not None and len(INDENT + line) <= WIDTH and not self._has_comment_within(tier):
            self.emit(1, [line], tier, first=first)
            return
        self.open(1, header, tier, first=first)
        for i, (entry, text) in enumerate(zip(tier.entries, entries)):
            self.emit(2, [text], entry, first=i == 0)
        self.close(1, tier)

    @staticmethod
    def tier_entry(entry: nodes.TierEntry) -> str:
        test = entry.test
        if isinstance(test, nodes.Otherwise):
            return f"{entry.label.name}: otherwise"
        if isinstance(test, nodes.Threshold):
            return f"{entry.label.name}: {test.op.value} {expr(test.value, SUM)}"
        return f"{entry.label.name}: {expr(test)}"


class _HeaderSpan:
    """The first line of a block statement, for attaching leading and trailing comments."""

    def __init__(self, node):
        span = node.span
        self.span = type(span)(file=span.file, line=span.line, column=span.column, end_line=span.line,
                               end_column=span.column + 1)


def _header_span(node) -> _HeaderSpan:
    return _HeaderSpan(node)
