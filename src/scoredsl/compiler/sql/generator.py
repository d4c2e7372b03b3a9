"""Intermediate form -> one SQL query per model, through SQLGlot (so one compiler serves every
dialect).

The query reads **canonical relations** (see :func:`contacts_columns` / :func:`event_columns`):

* contacts: ``_sd_row`` (BIGINT, the source order), ``_sd_id`` (text), then one column per
  property, named ``_sd_p<N>`` in schema order;
* one relation per event type: ``_sd_cid`` (the contact id), ``_sd_ts`` (BIGINT), then one
  column per attribute, ``_sd_a<N>`` in schema order.

Values are encoded the same way on every engine: text is text (missing, empty or white space
only: NULL); ``int`` BIGINT; ``number`` DOUBLE; ``bool`` BOOLEAN; dates and datetimes BIGINT
microseconds since 1970-01-01T00:00Z; ``list[text]`` one text holding every item between unit
separators (:func:`encode_list`), so that membership is a substring test on any engine. Building these
relations is the job of each engine's loader (:mod:`scoredsl.engines.duckdb`).

A model that reads the previous run (``previous(...)``, monotonic tiers) also reads its **state
relation**, named by :func:`state_layout`: ``_sd_id``, then one column ``_sd_v<N>`` per value of
:func:`scoredsl.check.ir.state_reads`, each encoded as contacts' columns are; a contact without a
row there has no previous values.

The result has one row per contact, in ``_sd_row`` order: ``_sd_row, _sd_id, _sd_status,
_sd_reason``, the scores ``_sd_s<N>`` and the tiers ``_sd_t<N>`` (NULL unless scored).

SQL's three-valued logic *is* the language's: ``AND``/``OR``/``NOT`` on NULL behave as on
unknown, and ``CASE WHEN c`` takes a branch only when ``c`` is true, as a rule applies only when
its condition is true. Every value is exact (see "Rounding" in the language reference), so the
engines' different orders of summation cannot change a score. Literals enter the query only as
SQLGlot literal nodes, which each dialect escapes; every identifier is minted here and quoted.
"""

from __future__ import annotations

import attrs
from sqlglot import exp

from scoredsl.check import ir
from scoredsl.check.ir import DECAY_SCALE, model_exprs
from scoredsl.check.types import Type
from scoredsl.compiler.sql.dialects import DIALECTS, MARIADB_BINARY, SqlError
from scoredsl.data.canonical import (CONTACTS, LIST_ESC, LIST_SEP, contacts_columns, escape_item, event_columns,
                                     event_table)
from scoredsl.data.records import DataSchema
from scoredsl.syntax.nodes import AggFunc, ArithOp, CmpOp, TextOp

__all__ = ["compile_model", "model_sql", "unsupported", "engine_diagnostics", "Dialect"]

# An instant earlier than any real one, standing for "no event" inside GREATEST.
_NEVER = -(1 << 62)

_CMP = {CmpOp.EQ: exp.EQ, CmpOp.NE: exp.NEQ, CmpOp.LT: exp.LT, CmpOp.LE: exp.LTE, CmpOp.GT: exp.GT,
        CmpOp.GE: exp.GTE}
_ARITH = {ArithOp.ADD: exp.Add, ArithOp.SUB: exp.Sub, ArithOp.MUL: exp.Mul}


def _escaped(e: exp.Expression) -> exp.Expression:
    doubled = exp.Anonymous(this="REPLACE", expressions=[e, _str(LIST_ESC), _str(LIST_ESC + LIST_ESC)])
    return exp.Anonymous(this="REPLACE", expressions=[doubled, _str(LIST_SEP), _str(LIST_ESC + "1")])


#: The most rules one model may have on Spark: its optimizer inlines every rule of a wide
#: model into each layer of the query, and ran out of a 6 GB driver heap at 3,000 (measured
#: on Spark 4 in local mode; 1,000 run in about 25 s).
SPARK_MAX_RULES = 1000


def state_layout(model: ir.Model, index: int) -> tuple[str, list[tuple[str, ir.Previous]]]:
    """The state relation of the ``index``-th model of a run: its table name and its columns,
    ``(column, value)`` in :func:`~scoredsl.check.ir.state_reads` order (none: no state read)."""
    return f"_sd_state_{index}", [(f"_sd_v{i}", p) for i, p in enumerate(ir.state_reads(model))]


def unsupported(model: ir.Model, dialect: str = "duckdb") -> list[tuple[str, str, "object"]]:
    """What ``dialect`` cannot run in ``model``: ``(code, message, span)`` (empty: all of it).

    SD501: a plugin function (Python code). SD502: a regex the engine cannot run exactly as RE2
    does (see :mod:`scoredsl.compiler.sql.regex`). SD503: more rules than Spark can plan."""
    found = []
    rules = sum(1 for score in model.scores for _rule in score.rules())
    if dialect == "spark" and rules > SPARK_MAX_RULES:
        found.append(("SD503", f"{rules:,} rules; Spark plans at most {SPARK_MAX_RULES:,} (its optimizer "
                               "runs out of memory on more)", model.span))
    for e in model_exprs(model):
        if isinstance(e, ir.Call):
            found.append(("SD501", f"plugin function '{e.function}' runs only on the python engine", e.span))
        elif isinstance(e, ir.RegexMatch) and dialect != "duckdb":
            from scoredsl.compiler.sql.regex import NotPortable, portable
            flavor = dialect if dialect in ("postgres", "mysql") else "spark"
            try:
                portable(e.pattern, e.fold, flavor)
            except NotPortable as exc:
                found.append(("SD502", f"the regex /{e.pattern}/ cannot run the same on {dialect}: {exc}",
                              e.span))
    return found


def engine_diagnostics(model: ir.Model, dialect: str) -> list:
    """:func:`unsupported` as diagnostics, for ``scoredsl check --engine``."""
    from scoredsl.diagnostics import error
    hints = {"SD501": "run this model with --engine python, or compute the value in the source",
             "SD502": "use ASCII classes such as [0-9] and [A-Za-z]; DuckDB and Python run any RE2 pattern",
             "SD503": "run it with --engine duckdb or python, or split it into smaller models"}
    return [error(code, f"model '{model.name}': {message}", span, hints[code])
            for code, message, span in unsupported(model, dialect)]


# ------------------------------------------------------------------ helpers

def _col(name: str, table: str | None = None) -> exp.Column:
    return exp.column(name, table=table, quoted=True)


def _type(name: str) -> exp.DataType:
    """The type ``name`` (BIGINT, DOUBLE, TEXT), as ``exp.DataType.build`` gives it without
    parsing the name (which, for every number of a model, was a third of its SQL's making)."""
    return exp.DataType(this=exp.DataType.Type[name], nested=False)


def _cast(value: exp.Expression, to: str) -> exp.Cast:
    return exp.cast(value, _type(to))


def _num(value: int | float) -> exp.Expression:
    if isinstance(value, bool):
        return exp.true() if value else exp.false()
    if isinstance(value, int):
        big = exp.cast(exp.Literal.number(abs(value)), _type("BIGINT"), copy=False)    # (both new)
        return exp.Neg(this=big) if value < 0 else big
    # a float: its shortest round-tripping text, read as a double on every engine
    return exp.cast(exp.Literal.string(repr(value)), _type("DOUBLE"), copy=False)


def _str(value: str) -> exp.Literal:
    return exp.Literal.string(value)


def _const(value, t: Type) -> exp.Expression:
    if isinstance(value, str):
        return _str(value)
    if isinstance(value, tuple):
        raise SqlError("a list constant is only allowed in a membership test")
    return _num(value)


def _case(branches: list[tuple[exp.Expression, exp.Expression]], default: exp.Expression | None):
    case = exp.Case()
    for cond, value in branches:
        case = case.when(cond, value, copy=False)
    if default is not None:
        case = case.else_(default, copy=False)
    return case


def _paren(e: exp.Expression) -> exp.Expression:
    return exp.Paren(this=e)


def _floor_div(n: exp.Expression, d: int) -> exp.Expression:
    """``floor(n / d)`` for BIGINT ``n`` and a positive constant ``d``, exactly, on any engine:
    ``(n - ((n % d + d) % d)) DIV d`` (the remainder is made non-negative whatever the sign
    convention of ``%``, so the division is exact)."""
    dd = _num(d)
    remainder = exp.Mod(this=_paren(exp.Add(this=exp.Mod(this=_paren(n), expression=dd), expression=dd)),
                        expression=dd)
    return exp.IntDiv(this=_paren(exp.Sub(this=_paren(n), expression=_paren(remainder))), expression=dd)


@attrs.define
class Dialect:
    """What differs between engines beyond what SQLGlot's generator handles."""
    name: str

    def regex(self, subject: exp.Expression, pattern: str, fold: bool) -> exp.Expression:
        if self.name == "duckdb":       # DuckDB runs RE2 itself: the pattern as checked
            args = [subject, _str(pattern)] + ([_str("i")] if fold else [])
            return exp.Anonymous(this="REGEXP_MATCHES", expressions=args)
        from scoredsl.compiler.sql.regex import translate
        return translate(self.name, subject, pattern, fold)

    def lower(self, e: exp.Expression) -> exp.Expression:
        """The language's case folding: simple lowercase mapping, character by character."""
        if self.name == "duckdb":       # utf8proc: simple mappings already
            return exp.Lower(this=e)
        simple = exp.Anonymous(this="REPLACE", expressions=[
            exp.Anonymous(this="REPLACE", expressions=[e, _str("\u03a3"), _str("\u03c3")]), _str("\u0130"), _str("i")])
        if self.name == "postgres":     # ICU's root locale, whatever the database's ctype
            icu = exp.Identifier(this="und-x-icu", quoted=True)
            unicode = exp.Lower(this=exp.Collate(this=simple, expression=icu))
            # ASCII text (as many bytes as characters) byte by byte: the C collation's lower()
            # maps A-Z alone, as ICU does for ASCII, at a fraction of ICU's cost (0.55 s of a
            # 9 s query, 100k contacts of the B2B example)
            ascii_only = exp.EQ(this=exp.Anonymous(this="OCTET_LENGTH", expressions=[e.copy()]),
                                expression=exp.Anonymous(this="CHAR_LENGTH", expressions=[e.copy()]))
            bytewise = exp.Lower(this=exp.Collate(this=e.copy(), expression=exp.Identifier(this="C", quoted=True)))
            return _case([(ascii_only, exp.Collate(this=bytewise, expression=icu.copy()))], unicode)
        if self.name == "mysql":        # the default collations lack hundreds of mappings
            return exp.Lower(this=exp.Collate(this=simple, expression=exp.Var(this="utf8mb4_uca1400_ai_ci")))
        return exp.Lower(this=simple)

    def text_order(self, e: exp.Expression) -> exp.Expression:
        """Text compared by code point (the language's order), whatever the column collation."""
        if self.name == "postgres":
            return exp.Collate(this=e, expression=exp.Identifier(this="C", quoted=True))
        if self.name == "mysql":    # MariaDB: binary, and without padding ('a' = 'a ' is false)
            return exp.Collate(this=e, expression=exp.Var(this=MARIADB_BINARY))
        return e


# ------------------------------------------------------------------ the compiler

class ModelSql:
    """Builds the query of one model."""

    def __init__(self, model: ir.Model, schema: DataSchema, as_of: int, dialect: str = "duckdb",
                 state_table: str = "_sd_state_0", read: set | None = None):
        if dialect not in DIALECTS:
            raise ValueError(f"unknown dialect {dialect!r}; choose one of {', '.join(DIALECTS)}")
        problems = unsupported(model, dialect)
        if problems:
            _code, message, span = problems[0]
            raise SqlError(f"{span.file}:{span.line}:{span.column}: {message}")
        self.model = model
        self.schema = schema
        self.as_of = as_of
        self.dialect = Dialect(dialect)
        self.props = {name: col for col, name, _spec in contacts_columns(schema)}
        self.state_table = state_table
        self.state_cols = {p.key: column for column, p in state_layout(model, 0)[1]}
        self.events = list(schema.events)
        self.agg_cols: dict[ir.Agg, str] = {}
        self.each_cols: dict[str, tuple[str, str | None]] = {}
        self.last_cols: dict[str, str] = {}
        self._counter = 0
        #: ``(event type, attribute)`` of every event attribute the query reads: each is read
        #: here, in :meth:`val`, and nowhere else
        self.read = read if read is not None else set()

    def mint(self, prefix: str) -> str:
        self._counter += 1
        return f"_sd_{prefix}{self._counter}"

    # ---------------------------------------------------------------- values and conditions
    def val(self, e: ir.Expr, fold: bool = False, attrs_of: dict | None = None) -> exp.Expression:
        """The SQL value of ``e`` (NULL when missing); text lower-cased when ``fold``."""
        if isinstance(e, ir.Const):
            return _const(e.value, e.type)
        if isinstance(e, ir.Prop):
            column = _col("_sd_id") if e.name == "id" else _col(self.props[e.name])
            return self._fold(column, e.type, fold)
        if isinstance(e, ir.Previous):
            return self._fold(_col(self.state_cols[e.key]), e.type, fold)
        if isinstance(e, ir.Attr):
            if attrs_of is None or e.event not in attrs_of:
                raise SqlError(f"attribute {e.event}.{e.name} outside its event")
            self.read.add((e.event, e.name))
            return self._fold(_col(attrs_of[e.event][e.name], "e"), e.type, fold)
        if isinstance(e, ir.ScoreRef):
            return _col(self.score_cols[e.name])
        if isinstance(e, ir.Agg):
            return _col(self.agg_cols[e])
        if isinstance(e, ir.Age):
            return exp.Sub(this=_num(self.as_of), expression=_paren(self.val(e.operand, attrs_of=attrs_of)))
        if isinstance(e, ir.Arith):
            return _paren(_ARITH[e.op](this=_paren(self.val(e.left, attrs_of=attrs_of)),
                                       expression=_paren(self.val(e.right, attrs_of=attrs_of))))
        if isinstance(e, ir.Neg):
            return exp.Neg(this=_paren(self.val(e.operand, attrs_of=attrs_of)))
        return self.cond(e, attrs_of)

    def _fold(self, column: exp.Expression, t: Type, fold: bool) -> exp.Expression:
        if fold and t in (Type.TEXT, Type.TEXT_LIST):
            return self.dialect.lower(column)
        return column

    def cond(self, e: ir.Expr, attrs_of: dict | None = None) -> exp.Expression:
        """A boolean SQL expression: TRUE, FALSE, or NULL for unknown."""
        v = lambda x, fold=False: self.val(x, fold, attrs_of)   # noqa: E731
        if isinstance(e, ir.Not):
            return exp.Not(this=_paren(self.cond(e.item, attrs_of)))
        if isinstance(e, (ir.And, ir.Or)):
            join = exp.And if isinstance(e, ir.And) else exp.Or
            items = [_paren(self.cond(i, attrs_of)) for i in e.items]
            out = items[0]
            for item in items[1:]:
                out = join(this=out, expression=item)
            return _paren(out)
        if isinstance(e, ir.IsSet):
            test = exp.Is(this=_paren(v(e.operand)), expression=exp.Null())
            return test if e.negated else exp.Not(this=test)
        if isinstance(e, ir.Cmp):
            left, right = v(e.left, e.fold), v(e.right, e.fold)
            if e.op not in (CmpOp.EQ, CmpOp.NE) and e.left.type == Type.TEXT:
                left, right = self.dialect.text_order(left), self.dialect.text_order(right)
            elif e.left.type == Type.TEXT:
                left, right = self._text_eq(left), self._text_eq(right)
            return _paren(_CMP[e.op](this=left, expression=right))
        if isinstance(e, ir.InList):
            operand = self._text_eq(v(e.operand, e.fold)) if e.operand.type == Type.TEXT else v(e.operand, e.fold)
            if not e.items:   # "x in []": false, or unknown when x is missing
                empty = _case([(exp.Is(this=_paren(operand), expression=exp.Null()), exp.Null())], exp.false())
                return exp.Not(this=_paren(empty)) if e.negated else empty
            items = [_const(i, e.operand.type) for i in sorted(e.items, key=repr)]
            test = exp.In(this=operand, expressions=items)
            return _paren(exp.Not(this=test) if e.negated else test)
        if isinstance(e, ir.ListHas):
            container = v(e.container, e.fold)
            if isinstance(e.item, ir.Const):
                item = _str(escape_item(e.item.value))
            else:
                item = _escaped(v(e.item, e.fold))
            needle = exp.DPipe(this=exp.DPipe(this=_str(LIST_SEP), expression=item, safe=True),
                               expression=_str(LIST_SEP), safe=True)
            return _paren(exp.GT(this=self._position(container, needle), expression=_num(0)))
        if isinstance(e, ir.TextTest):
            left, right = v(e.left, e.fold), v(e.right, e.fold)
            return self._text_test(e.op, left, right)
        if isinstance(e, ir.RegexMatch):
            return self.dialect.regex(v(e.operand), e.pattern, e.fold)
        # a bool-typed value: a property, attribute, constant or aggregate
        value = v(e)
        if isinstance(value, exp.Column) and e.type == Type.BOOL:
            return value
        return value

    def _text_eq(self, e: exp.Expression) -> exp.Expression:
        return self.dialect.text_order(e) if self.dialect.name == "mysql" else e

    def _position(self, haystack: exp.Expression, needle: exp.Expression) -> exp.Expression:
        if self.dialect.name == "mysql":   # not in the folding collation, which ignores accents
            haystack, needle = self.dialect.text_order(haystack), self.dialect.text_order(needle)
        return exp.StrPosition(this=haystack, substr=needle)

    def _text_test(self, op: TextOp, left: exp.Expression, right: exp.Expression) -> exp.Expression:
        length = exp.Length(this=right)
        if op is TextOp.CONTAINS:
            # an empty needle is in every text (NULL stays NULL)
            test = exp.Or(this=exp.EQ(this=length, expression=_num(0)),
                          expression=exp.GT(this=self._position(left, right), expression=_num(0)))
        elif op is TextOp.STARTS_WITH:
            test = exp.EQ(this=self._text_eq(exp.Substring(this=left, start=exp.Literal.number(1), length=length)),
                          expression=self._text_eq(right))
        else:
            start = exp.Add(this=exp.Sub(this=exp.Length(this=left), expression=length),
                            expression=exp.Literal.number(1))
            test = exp.And(
                this=exp.GTE(this=exp.Length(this=left), expression=length),
                expression=exp.EQ(this=self._text_eq(self._tail(left, start, length)), expression=self._text_eq(right)))
        return _paren(test)

    def _tail(self, text, start, length):
        # SUBSTRING(x, LENGTH(x) + 1, 0) is '' everywhere; guard LENGTH(right) = 0 separately
        return _case([(exp.EQ(this=length, expression=_num(0)), _str(""))],
                     exp.Substring(this=text, start=start, length=length))

    # ---------------------------------------------------------------- aggregation
    def matched(self, flt: ir.Expr | None, window: int | None, attrs_of: dict) -> exp.Expression | None:
        tests = []
        if window:
            tests.append(exp.GTE(this=_col("_sd_ts", "e"), expression=_num(self.as_of - window)))
        if flt is not None:
            tests.append(_paren(self.cond(flt, attrs_of)))
        if not tests:
            return None
        out = tests[0]
        for t in tests[1:]:
            out = exp.And(this=out, expression=t)
        return out

    def matched_value(self, test, value):
        """``value`` for the events that pass ``test``, NULL for the rest."""
        return self._when(test, value, exp.Null())

    def _when(self, test, then, otherwise):
        if test is None:
            return then
        return _case([(test, then)], otherwise)

    def build(self) -> exp.Select:
        model = self.model
        levels = self._levels()
        attrs_of = {event: {name: col for col, name, _spec in event_columns(self.schema, event)}
                    for event in self.events}

        context_cols = ["_sd_row", "_sd_id", *self.props.values()]
        base = exp.select(*[_col(c, "c") for c in context_cols]).from_(
            exp.alias_(exp.to_table(CONTACTS, quoted=True), "c", quoted=True))
        if self.state_cols:
            base = base.select(*[_col(c, "p") for c in self.state_cols.values()], append=True, copy=False).join(
                exp.alias_(exp.to_table(self.state_table, quoted=True), "p", quoted=True),
                on=exp.EQ(this=_col("_sd_id", "p"), expression=_col("_sd_id", "c")), join_type="left", copy=False)
            context_cols += list(self.state_cols.values())
        ctes: list[tuple[str, exp.Expression]] = [("_sd_x0", base)]
        context = "_sd_x0"

        def name_of(level: int, event: str) -> str:
            return f"_sd_e{level}_{self.events.index(event)}"

        # One grouped query per event type, each over that type's relation. One pass over every
        # type, each aggregate testing the type as a hand-written query's FILTER does, was
        # measured slower (B2B example, 100k contacts): DuckDB evaluates every aggregate's test
        # on every event (+0.3 s of 2.9 s), and PostgreSQL recomputes the converted type for each
        # test, as it does not share common expressions (10.5 s -> 23 s).
        for level in range(len(levels)):
            per_event = levels[level]
            joins = []
            new_cols = []
            for event in self.events:
                items = per_event.get(event)
                if not items:
                    continue
                index = self.events.index(event)
                for kind, item in items:
                    if kind == "each" and _decays_first_of_each(*item):
                        name = f"{name_of(level, event)}_{self.mint('f')[4:]}"
                        source, columns = self._first_of_each(item, index, attrs_of, context)
                        new_cols += [(column, default, name) for column, default in columns]
                        ctes.append((name, source))
                        joins.append(name)
                items = [(kind, item) for kind, item in items
                         if not (kind == "each" and _decays_first_of_each(*item))]
                if not items:
                    continue
                selects = [exp.alias_(_col("_sd_cid", "e"), "_sd_cid", quoted=True)]
                needs_context = False
                for kind, item in items:
                    columns, reads_contact = self._aggregate(kind, item, attrs_of)
                    for column, expr, default in columns:
                        selects.append(exp.alias_(expr, column, quoted=True))
                        new_cols.append((column, default, name_of(level, event)))
                    needs_context |= reads_contact
                source = self._events_of(index, context, needs_context, exp.select(*selects))
                source = source.group_by(_col("_sd_cid", "e"), copy=False)
                name = name_of(level, event)
                ctes.append((name, source))
                joins.append(name)
            nxt = f"_sd_x{level + 1}"
            selects = [_col(c, "x") for c in context_cols]
            for column, default, owner in new_cols:
                value = _col(column, owner)
                selects.append(exp.alias_(exp.Coalesce(this=value, expressions=[default]) if default is not None
                                          else value, column, quoted=True))
            query = exp.select(*selects).from_(exp.alias_(exp.to_table(context, quoted=True), "x", quoted=True))
            for name in joins:
                query = query.join(exp.to_table(name, quoted=True),
                                   on=exp.EQ(this=_col("_sd_cid", name), expression=_col("_sd_id", "x")),
                                   join_type="left", copy=False)
            ctes.append((nxt, query))
            context = nxt
            context_cols += [c for c, _d, _o in new_cols]

        # rules and groups
        self.score_cols: dict[str, str] = {}
        rule_selects, group_selects, raw_selects, final_selects = [], [], [], []
        score_parts = []
        for score in model.scores:
            scale = DECAY_SCALE if score.half_life is not None else 1
            parts = []
            for item in score.items:
                if isinstance(item, ir.Group):
                    members = []
                    for rule in item.rules:
                        column, sign, value = self._rule(rule, scale)
                        rule_selects.append((column, value))
                        members.append((_col(column), sign))
                    gcol = self.mint("g")
                    if item.share is not None:
                        group_selects.append((gcol, self._share(item, members, scale)))
                        parts.append((_col(gcol), 1))
                        continue
                    group_selects.append((gcol, self._capped(members, item.cap, scale)))
                    signs = {s for _m, s in members}
                    parts.append((_col(gcol), signs.pop() if len(signs) == 1 and 0 not in signs else 0))
                else:
                    column, sign, value = self._rule(item, scale)
                    rule_selects.append((column, value))
                    parts.append((_col(column), sign))
            if score.weighted:      # the groups' contributions count in millionths of a point
                scale = DECAY_SCALE
            raw = self.mint("w")
            raw_selects.append((raw, self._capped(parts, score.max, scale)))
            final = self.mint("s")
            self.score_cols[score.name] = final
            final_selects.append((final, self._final(score, _col(raw), scale)))
            score_parts.append(final)

        def layer(name, prev, columns):
            query = exp.select(exp.Star()).from_(exp.to_table(prev, quoted=True))
            for column, value in columns:
                query = query.select(exp.alias_(value, column, quoted=True), append=True, copy=False)
            ctes.append((name, query))
            return name

        prev = layer("_sd_rules", context, rule_selects)
        prev = layer("_sd_groups", prev, group_selects)
        prev = layer("_sd_raw", prev, raw_selects)
        status, reason = self._status()
        prev = layer("_sd_scores", prev, final_selects + [("_sd_status", status), ("_sd_reason", reason)])

        scored = exp.EQ(this=_col("_sd_status"), expression=_str("scored"))
        outputs = [_col("_sd_row"), _col("_sd_id"), _col("_sd_status"), _col("_sd_reason")]
        for i, score in enumerate(model.scores):
            outputs.append(exp.alias_(_case([(scored, _col(self.score_cols[score.name]))], None), f"_sd_s{i}",
                                      quoted=True))
        for i, tier in enumerate(model.tiers):
            branches = []
            default = None
            for entry in tier.entries:
                label = _str(entry.label)
                if entry.condition is None:
                    default = label
                    break
                branches.append((_paren(self.cond(entry.condition)), label))
            value = _case(branches, default) if branches else (default if default is not None else exp.Null())
            if tier.monotonic:
                value = self._held(tier, value)
            outputs.append(exp.alias_(_case([(scored, value)], None), f"_sd_t{i}", quoted=True))
        query = exp.select(*outputs).from_(exp.to_table(prev, quoted=True)).order_by(_col("_sd_row"))
        layers = ("_sd_rules", "_sd_groups", "_sd_raw", "_sd_scores")
        for name, cte in ctes:
            # PostgreSQL would inline each layer into the next, copying its expressions
            materialized = True if self.dialect.name == "postgres" and name in layers else None
            query = query.with_(exp.to_identifier(name, quoted=True), as_=cte, materialized=materialized, copy=False)
        return query

    def _held(self, tier: ir.Tier, value: exp.Expression) -> exp.Expression:
        """A monotonic tier: the previous label where it ranks above ``value`` (entries rank
        from the first down) and ``unless`` is not true."""
        prev = self.val(tier.previous)

        def rank(label: exp.Expression) -> exp.Expression:
            return _case([(exp.EQ(this=label, expression=_str(e.label)), _num(i))
                          for i, e in enumerate(tier.entries)], None)

        higher = exp.Or(this=exp.Is(this=_paren(value), expression=exp.Null()),
                        expression=exp.LT(this=rank(prev), expression=rank(_paren(value))))
        test = exp.And(this=exp.In(this=prev, expressions=[_str(e.label) for e in tier.entries]),
                       expression=_paren(higher))
        if tier.unless is not None:
            released = exp.Coalesce(this=_paren(self.cond(tier.unless)), expressions=[exp.false()])
            test = exp.And(this=exp.Not(this=_paren(released)), expression=_paren(test))
        return _case([(test, prev)], value)

    def _levels(self) -> list[dict[str, list]]:
        """Aggregates, ``each`` rules and last-activity times by level and event type; level
        ``n`` filters read aggregates of lower levels only."""
        level_of: dict[ir.Agg, int] = {}

        def level(e) -> int:
            inner = [a for a in ir.walk(e) if isinstance(a, ir.Agg)] if e is not None else []
            return 1 + max((agg_level(a) for a in inner), default=-1)

        def agg_level(a: ir.Agg) -> int:
            if a not in level_of:
                level_of[a] = level(a.filter)
            return level_of[a]

        levels: list[dict[str, list]] = []

        def put(n, event, item):
            while len(levels) <= n:
                levels.append({})
            bucket = levels[n].setdefault(event, [])
            if item not in bucket:
                bucket.append(item)

        for e in model_exprs(self.model):
            if isinstance(e, ir.Agg):
                put(agg_level(e), e.event, ("agg", e))
        for score in self.model.scores:
            for rule in score.rules():
                if isinstance(rule, ir.EachRule):
                    put(level(rule.filter), rule.event, ("each", (score, rule)))
            if score.inactivity is not None:
                for event in score.inactivity.activity or tuple(self.events):
                    put(0, event, ("last", event))
        return levels

    def _events_of(self, index: int, context: str, needs_context: bool, select: exp.Select) -> exp.Select:
        """``select`` from the events of type ``index`` up to as-of (aliased ``e``), joined to
        their contact's row (``c``) when a filter reads the contact."""
        source = select.from_(exp.alias_(exp.to_table(event_table(index), quoted=True), "e", quoted=True))
        if needs_context:
            source = source.join(exp.alias_(exp.to_table(context, quoted=True), "c", quoted=True),
                                 on=exp.EQ(this=_col("_sd_id", "c"), expression=_col("_sd_cid", "e")),
                                 join_type="inner", copy=False)
        return source.where(exp.LTE(this=_col("_sd_ts", "e"), expression=_num(self.as_of)), copy=False)

    def _distinct_value(self, item, attrs_of) -> exp.Expression:
        """The value ``distinct`` counts once: the attribute, lower-cased when folded, and
        compared by code point (not by the column's collation)."""
        value = self.val(item.distinct, item.fold, attrs_of)
        return self.dialect.text_order(value) if item.distinct.type == Type.TEXT else value

    def _first_of_each(self, item, index: int, attrs_of, context: str):
        """An ``each ... distinct`` rule under half-life decay: the first matching event of each
        value, then its decayed points summed per contact. ``(query, [(column, default)])``."""
        score, rule = item
        value = self._distinct_value(rule, attrs_of)
        tests = [exp.Not(this=exp.Is(this=_paren(value), expression=exp.Null()))]
        test = self.matched(rule.filter, rule.window, attrs_of)
        if test is not None:
            tests.append(_paren(test))
        firsts = exp.select(exp.alias_(_col("_sd_cid", "e"), "_sd_cid", quoted=True),
                            exp.alias_(exp.Min(this=_col("_sd_ts", "e")), "_sd_ts", quoted=True))
        reads = rule.filter is not None and _reads_contact(rule.filter)
        firsts = self._events_of(index, context, reads, firsts)
        for t in tests:
            firsts = firsts.where(t, copy=False)
        firsts = firsts.group_by(_col("_sd_cid", "e"), value, copy=False)
        count, decayed = self.mint("n"), self.mint("d")
        micro = self._decay_micro(score, rule, _col("_sd_ts", "e"))
        query = exp.select(exp.alias_(_col("_sd_cid", "e"), "_sd_cid", quoted=True),
                           exp.alias_(exp.Count(this=exp.Star()), count, quoted=True),
                           exp.alias_(exp.Sum(this=_cast(micro, "BIGINT")), decayed, quoted=True)).from_(
            exp.alias_(exp.Subquery(this=firsts), "e", quoted=True)).group_by(_col("_sd_cid", "e"))
        self.each_cols[rule.name] = (count, decayed)
        return query, [(count, _num(0)), (decayed, _num(0))]

    def _decay_micro(self, score: ir.Score, rule: ir.EachRule, ts: exp.Expression) -> exp.Expression:
        """One event's decayed points in millionths: ``floor(points * 1e6 * 0.5 ** (age / half_life) + 0.5)``."""
        age = exp.Sub(this=_num(self.as_of), expression=ts)
        exponent = exp.Div(this=_cast(_paren(age), "DOUBLE"),
                           expression=_cast(_num(score.half_life), "DOUBLE"))
        # 0.5 ** x rounds to 0.0 for x above about 1074.5, where PostgreSQL raises an underflow
        # error instead. From x = 1074 on, the factor is at most 2 ** -1074, and no BIGINT of
        # points times a million makes that half a millionth: the event adds 0 either way.
        factor = _case([(exp.GTE(this=exponent, expression=_num(1074)), _cast(_str("0"), "DOUBLE"))],
                       exp.Pow(this=_cast(_str("0.5"), "DOUBLE"), expression=exponent))
        return exp.Floor(this=exp.Add(
            this=exp.Mul(this=_cast(_num(rule.points * DECAY_SCALE), "DOUBLE"), expression=factor),
            expression=_cast(_str("0.5"), "DOUBLE")))

    def _aggregate(self, kind, item, attrs_of):
        """``([(column, aggregate expression, value when no events)], reads the contact)``."""
        ts = _col("_sd_ts", "e")
        if kind == "last":
            column = self.mint("l")
            self.last_cols[item] = column
            return [(column, exp.Max(this=ts), None)], False
        if kind == "agg":
            agg: ir.Agg = item
            test = self.matched(agg.filter, agg.window, attrs_of)
            reads = agg.filter is not None and _reads_contact(agg.filter)
            column = self.mint("a")
            self.agg_cols[agg] = column
            if agg.func is AggFunc.COUNT and agg.distinct is not None:
                counted = self.matched_value(test, self._distinct_value(agg, attrs_of))
                return [(column, exp.Count(this=exp.Distinct(expressions=[counted])), _num(0))], reads
            if agg.func is AggFunc.COUNT:
                return [(column, exp.Sum(this=self._when(test, _num(1), _num(0))), _num(0))], reads
            if agg.func is AggFunc.HAS:
                hit = exp.Max(this=self._when(test, _num(1), _num(0)))
                return [(column, exp.EQ(this=hit, expression=_num(1)), exp.false())], reads
            fn = exp.Min if agg.func is AggFunc.FIRST else exp.Max
            return [(column, fn(this=self._when(test, ts, exp.Null())), None)], reads
        score, rule = item
        test = self.matched(rule.filter, rule.window, attrs_of)
        reads = rule.filter is not None and _reads_contact(rule.filter)
        count = self.mint("n")
        decayed = None
        counted = exp.Sum(this=self._when(test, _num(1), _num(0)))
        if rule.distinct is not None:
            value = self.matched_value(test, self._distinct_value(rule, attrs_of))
            counted = exp.Count(this=exp.Distinct(expressions=[value]))
        columns = [(count, counted, _num(0))]
        if score.half_life is not None and rule.points > 0:
            decayed = self.mint("d")
            micro = self._decay_micro(score, rule, ts)
            columns.append((decayed, exp.Sum(this=self._when(test, _cast(micro, "BIGINT"), _num(0))), _num(0)))
        self.each_cols[rule.name] = (count, decayed)
        return columns, reads

    # ---------------------------------------------------------------- scoring
    def _rule(self, rule, scale: int) -> tuple[str, int, exp.Expression]:
        """``(column, sign of its points (0: mixed), value)`` of one rule."""
        column = self.mint("r")
        if isinstance(rule, ir.WhenRule):
            test, points = _paren(self.cond(rule.condition)), _num(rule.points * scale)
            if rule.value is not None:     # the property's value, bounded, signed
                v, value = self.val(rule.value.prop), rule.value
                bounded = exp.Least(this=exp.Greatest(this=v, expressions=[_num(value.low)]),
                                    expressions=[_num(value.high)])
                points = exp.Mul(this=_paren(bounded), expression=_num(value.sign * scale))
                test = exp.And(this=exp.Not(this=exp.Is(this=v, expression=exp.Null())), expression=test)
            return column, rule.sign, _case([(test, points)], _num(0))
        if isinstance(rule, ir.BandRule):
            subject = self.val(rule.subject, rule.fold)
            branches = [(exp.Is(this=_paren(subject), expression=exp.Null()), _num(0))]
            for band in rule.bands:
                test = exp.true() if band.otherwise else self._band_test(subject, band, rule.subject.type)
                branches.append((test, _num(band.points * scale)))
            signs = {_sign(b.points) for b in rule.bands} - {0}
            return column, signs.pop() if len(signs) == 1 else 0, _case(branches, _num(0))
        count, decayed = self.each_cols[rule.name]
        total = _col(decayed) if decayed else exp.Mul(this=_col(count), expression=_num(rule.points * scale))
        if rule.limit is not None:
            bound = _num(rule.limit * scale if rule.points > 0 else -rule.limit * scale)
            fn = exp.Least if rule.points > 0 else exp.Greatest
            total = fn(this=total, expressions=[bound])
        return column, _sign(rule.points), total

    def _band_test(self, subject, band: ir.Band, t: Type) -> exp.Expression:
        if band.values is not None:
            items = [_const(v, t) for v in sorted(band.values, key=repr)]
            if t == Type.TEXT:
                subject = self._text_eq(subject)
            return exp.In(this=subject, expressions=items)
        tests = []
        if band.low is not None:
            tests.append((exp.GTE if band.low_inclusive else exp.GT)(this=subject, expression=_num(band.low)))
        if band.high is not None:
            tests.append((exp.LTE if band.high_inclusive else exp.LT)(this=subject, expression=_num(band.high)))
        if not tests:
            return exp.true()
        out = tests[0]
        for t2 in tests[1:]:
            out = exp.And(this=out, expression=t2)
        return _paren(out)

    def _capped(self, parts: list[tuple[exp.Expression, int]], cap: int | None, scale: int) -> exp.Expression:
        def positive(p, s):
            return p if s > 0 else _case([(exp.GT(this=p, expression=_num(0)), p)], _num(0))

        def negative(p, s):
            return p if s < 0 else _case([(exp.LT(this=p, expression=_num(0)), p)], _num(0))

        pos = [positive(p, s) for p, s in parts if s >= 0]
        neg = [negative(p, s) for p, s in parts if s <= 0]
        total_pos = _sum(pos)
        if cap is not None:
            total_pos = exp.Least(this=_paren(total_pos), expressions=[_num(cap * scale)])
        return exp.Add(this=_paren(total_pos), expression=_paren(_sum(neg)))

    def _share(self, group: ir.Group, members: list[tuple[exp.Expression, int]], scale: int) -> exp.Expression:
        """A weighted group's contribution in millionths of a point:
        ``share * min(max(points, 0), cap) / cap``, rounded half up."""
        points = self._capped(members, None, scale)
        bounded = exp.Least(this=exp.Greatest(this=_paren(points), expressions=[_num(0)]),
                            expressions=[_num(group.cap * scale)])
        factor = 2 * group.share * (DECAY_SCALE // scale)
        scaled = exp.Add(this=exp.Mul(this=_num(factor), expression=_paren(bounded)), expression=_num(group.cap))
        return _floor_div(scaled, 2 * group.cap)

    def _final(self, score: ir.Score, raw: exp.Expression, scale: int) -> exp.Expression:
        final = self._decayed(score, raw, scale)
        if score.floor is None:
            return final
        return _case([(exp.LT(this=_paren(final), expression=_num(score.floor)), _num(score.floor))], final)

    def _decayed(self, score: ir.Score, raw: exp.Expression, scale: int) -> exp.Expression:
        rounded = raw if scale == 1 else _floor_div(exp.Add(this=raw, expression=_num(scale // 2)), scale)
        if score.inactivity is None:
            return rounded
        decay = score.inactivity
        kinds = decay.activity or tuple(self.events)
        lasts = [exp.Coalesce(this=_col(self.last_cols[k]), expressions=[_num(_NEVER)]) for k in kinds]
        latest = lasts[0] if len(lasts) == 1 else exp.Greatest(this=lasts[0], expressions=lasts[1:])
        idle = exp.Sub(this=_num(self.as_of), expression=_paren(latest))
        branches = [(exp.EQ(this=_paren(latest), expression=_num(_NEVER)), _num(decay.steps[-1][1]))]
        for micros, percent in reversed(decay.steps):
            branches.append((exp.GTE(this=_paren(idle), expression=_num(micros)), _num(percent)))
        keep = _paren(_case(branches, _num(100)))
        decayed = _floor_div(exp.Add(this=exp.Mul(this=raw, expression=keep), expression=_num(50 * scale)),
                             100 * scale)
        return _case([(exp.And(this=exp.GT(this=raw, expression=_num(0)),
                               expression=exp.NEQ(this=keep, expression=_num(100))), decayed)], rounded)

    def _status(self) -> tuple[exp.Expression, exp.Expression]:
        model = self.model
        branches = [(_paren(self.cond(d.condition)), _str("disqualified")) for d in model.disqualifiers]
        reasons = [(_paren(self.cond(d.condition)), _str(d.name)) for d in model.disqualifiers]
        status = _case(branches, _str("scored")) if branches else _str("scored")
        reason = _case(reasons, None) if reasons else _cast(exp.Null(), "TEXT")
        if model.scope is not None:
            scope = _paren(self.cond(model.scope))
            status = _case([(scope, status)], _str("out_of_scope"))
            reason = _case([(scope, reason)], None)
        return status, reason


def _sum(items: list[exp.Expression]) -> exp.Expression:
    """The sum of ``items`` as a balanced tree of additions: its depth grows with the logarithm
    of the number of rules, not with the number (engines limit the depth of an expression;
    DuckDB to 1,000). The terms are whole numbers, so the order of the additions cannot change
    the result."""
    if not items:
        return _num(0)
    if len(items) == 1:
        return items[0]
    middle = len(items) // 2
    halves = [_sum(half) if len(half) == 1 else _paren(_sum(half)) for half in (items[:middle], items[middle:])]
    # parenthesized: written without, the additions would parse back as one left-deep chain
    return exp.Add(this=halves[0], expression=halves[1])


def _sign(points: int) -> int:
    return 1 if points > 0 else (-1 if points < 0 else 1)


def _decays_first_of_each(score: ir.Score, rule: ir.EachRule) -> bool:
    """A rule whose decayed points come from the first matching event of each value."""
    return rule.distinct is not None and score.half_life is not None and rule.points > 0


def _reads_contact(e: ir.Expr) -> bool:
    return any(isinstance(x, (ir.Prop, ir.Previous, ir.Agg)) for x in ir.walk(e))


def compile_model(model: ir.Model, schema: DataSchema, as_of: int, dialect: str = "duckdb",
                  state_table: str = "_sd_state_0", read: set | None = None) -> exp.Select:
    """The SQLGlot query of ``model`` at ``as_of`` (microseconds); :class:`SqlError` if a SQL
    engine cannot run it. A model that reads state joins ``state_table`` (:func:`state_layout`).
    ``read``: a set the ``(event type, attribute)`` of every event attribute the query reads
    is added to."""
    if model.scores_companies:
        raise SqlError("it scores companies: company models run in the company stage, in Python, after whichever "
                       "engine scored the contacts")
    reads = ir.models_read(model)
    if reads:
        raise SqlError(f"it reads its company's results in model {reads[0]}, which the company stage computes in "
                       "Python; it is scored after the companies, in Python")
    return ModelSql(model, schema, as_of, dialect, state_table, read).build()


def model_sql(model: ir.Model, schema: DataSchema, as_of: int, dialect: str = "duckdb",
              pretty: bool = False, state_table: str = "_sd_state_0", read: set | None = None) -> str:
    # no copy of the tree first: it is made here and dropped, and no node of it is in two places
    # (which a copy would part before SQLGlot's changes while it writes)
    return compile_model(model, schema, as_of, dialect, state_table, read).sql(dialect=dialect, pretty=pretty,
                                                                               copy=False)
