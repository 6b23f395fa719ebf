"""The named SQL, rendered for an engine other than the DuckDB file it is written for.

The `*.sql` files stay the one definition of every KPI. The warehouse runs them with the
helpers of queries/macros.sql expanded and their `$name` parameters bound by DuckDB
(`expanded`: nothing is stored in the file). Other engines (Spark for batch) get the same
statement rendered here, with parameters as literals:

- **macros expanded**: queries/macros.sql is parsed (every `CREATE [OR REPLACE] MACRO`,
  scalar or `AS TABLE`, whatever its name), and each call is replaced by the macro's body
  with its arguments substituted; a table macro becomes a subquery. Nested calls expand
  too. Nothing here lists today's macros.
- **the latency percentile as plain SQL**: `latency_quantile_ms(q, le_5 .. le_10000, total)`
  (a Python UDF on DuckDB connections) becomes a CASE over the bucket columns with exactly
  METRICS.md's rule (Prometheus histogram_quantile), computed in DOUBLE like the UDF.
- **parameters as literals**, built as syntax-tree nodes (never pasted text): str, int,
  float (`0.95e0`, a DOUBLE on every engine), date, datetime (UTC, no zone), bool, None and
  lists of those. A list used as `len(list)` becomes its length, `list_contains(list, x)`
  becomes `x IN (...)` (FALSE when empty), anywhere else a typed array. Anything else is
  refused with TypeError.
- **constant choices folded**: `CASE $choice WHEN 'a' THEN ... ELSE error(...) END` with a
  bound choice keeps only the branch taken; a choice that reaches `error(...)` raises
  ValueError with the message, so no engine needs an `error()` function.
- **per-engine spellings** (Spark): time differences `epoch(a - b)` and `epoch_us(x)`
  through one wrapper (unix_micros), local time `timezone(zone, ts::TIMESTAMPTZ)` as
  `from_utc_timestamp`, a macro's CTE renamed where the query uses its name too (Spark
  lifts all CTEs to one level), `LIMIT NULL` dropped, `list(DISTINCT x ORDER BY x)` as
  a sorted set (`array_sort(collect_set(x))`), decimal literals as DOUBLE literals
  (`0.95` would make Spark divide in DECIMAL and round), then sqlglot's transpiler.

`render(name, engine, **params)` gives the SQL text; tests/test_portable.py runs every
named query's DuckDB rendering on a DuckDB warehouse and compares it with the file's own
result, and tests/test_spark.py does the same on Spark.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime

from sqlglot import exp

from modelops.warehouse import latency
from modelops.warehouse.schema import LATENCY_BOUNDS_MS
from queries.expand import (  # the macro expansion, shared with queries/named.py
    _call_args,
    _call_name,
    _duckdb_spellings,
    _parse_query,
    _read,
    expand_macros,
    expanded,
    expanded_sql,
    macros,
    parameters,
    parse_macros,
    query_names,
    split_statements,
)

# Public here too (tests and engines call them through this module).
__all__ = [
    "ENGINES", "bind", "expand_macros", "expanded", "expanded_sql", "fold_choices",
    "latency_case_sql", "literal", "macros", "parameters", "parse_macros", "query_names",
    "render", "render_sql", "render_tree", "split_statements",
]

ENGINES = ("duckdb", "spark")


# --- the latency percentile -------------------------------------------------------------

def latency_case_sql(q: str, buckets: list[str], total: str) -> str:
    """METRICS.md's histogram_quantile over the eleven cumulative buckets, as a CASE:
    rank = q * total; the first bucket whose cumulative count >= rank; linear interpolation
    from the previous bound (0 below the first) by the counts; a rank past the last finite
    bucket gives the highest finite bound; NULL when total is 0 or NULL. In DOUBLE and in
    the same order of operations as latency.quantiles, so the values are the UDF's.

    The arguments are SQL expressions already generated for the engine (each is repeated
    in the CASE, so the CASE is built as text: a syntax tree of it is slow to copy)."""
    def d(e: str) -> str:
        return f"CAST(({e}) AS DOUBLE)"

    def f(value: float) -> str:
        return f"{float(value)!r}e0"

    rank = f"({d(q)} * {d(total)})"
    cum = [d(b) for b in buckets]
    branches = []
    for i, upper in enumerate(LATENCY_BOUNDS_MS):
        lower = LATENCY_BOUNDS_MS[i - 1] if i else 0
        hi, lo = cum[i], (cum[i - 1] if i else f(0))
        branches.append(
            f"WHEN {hi} >= {rank} THEN CASE WHEN {hi} = {lo} THEN {f(lower)} "
            f"ELSE {f(lower)} + {f(upper - lower)} * ({rank} - {lo}) / ({hi} - {lo}) END")
    return (f"(CASE WHEN {d(total)} IS NULL OR {d(total)} = {f(0)} THEN CAST(NULL AS DOUBLE) "
            + " ".join(branches) + f" ELSE {f(LATENCY_BOUNDS_MS[-1])} END)")


_MARKER = "__modelops_latency_{}__"


def _mark_latency(tree: exp.Expression) -> tuple[exp.Expression, list[exp.Expression]]:
    """Each latency_quantile_ms call replaced by a marker column; the calls, in order."""
    calls = []

    def replace(node):
        if _call_name(node) == latency.NAME:
            args = _call_args(node)
            if len(args) != len(LATENCY_BOUNDS_MS) + 2:
                raise ValueError(f"{latency.NAME} takes {len(LATENCY_BOUNDS_MS) + 2} arguments")
            calls.append(node)
            return exp.column(_MARKER.format(len(calls) - 1))
        return node

    return tree.transform(replace, copy=False), calls


def _generate(tree: exp.Expression, dialect: str) -> str:
    """SQL text for `dialect`, each latency call spelled out as its CASE."""
    tree, calls = _mark_latency(tree)
    sql = tree.sql(dialect=dialect)
    for i, call in enumerate(calls):
        args = [a.sql(dialect=dialect) for a in _call_args(call)]
        case = latency_case_sql(args[0], args[1:-1], args[-1])
        marker = _MARKER.format(i)
        if sql.count(marker) != 1:
            raise ValueError("a latency percentile could not be placed")
        sql = sql.replace(marker, case)
    return sql


# --- parameters -------------------------------------------------------------------------

def _float_literal(value: float) -> exp.Expression:
    if not math.isfinite(value):
        raise TypeError(f"a parameter must be a finite number, not {value!r}")
    text = repr(value)
    if "e" not in text and "E" not in text:
        text += "e0"  # a DOUBLE literal on every engine (0.95 would be DECIMAL)
    return exp.Literal.number(text)


def _scalar(value) -> exp.Expression:
    if value is None:
        return exp.Null()
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, int):
        return exp.Literal.number(int(value))
    if isinstance(value, float):
        return _float_literal(value)
    if isinstance(value, str):
        if "\x00" in value:
            raise TypeError("a text parameter must not hold a NUL character")
        return exp.Literal.string(value)
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return exp.Cast(this=exp.Literal.string(value.isoformat(sep=" ", timespec="microseconds")),
                        to=exp.DataType.build("TIMESTAMP"))
    if isinstance(value, date):
        return exp.Cast(this=exp.Literal.string(value.isoformat()),
                        to=exp.DataType.build("DATE"))
    raise TypeError(f"cannot bind a {type(value).__name__} as a SQL parameter")


_ELEMENT_TYPES = ((bool, "BOOLEAN"), (int, "BIGINT"), (float, "DOUBLE"), (str, "VARCHAR"),
                  (datetime, "TIMESTAMP"), (date, "DATE"))


def literal(value) -> exp.Expression:
    """One parameter value as a typed literal node; lists and tuples as typed arrays."""
    if isinstance(value, (list, tuple)):
        kinds = set()
        for item in value:
            if isinstance(item, (list, tuple)):
                raise TypeError("nested lists cannot be bound")
            kinds.add(next((t for k, t in _ELEMENT_TYPES if isinstance(item, k)), None))
        if None in kinds or len(kinds) > 1:
            raise TypeError("a list parameter holds values of one supported type")
        element = kinds.pop() if kinds else "VARCHAR"
        array = exp.Array(expressions=[_scalar(v) for v in value])
        return exp.Cast(this=array, to=exp.DataType.build(f"{element}[]", dialect="duckdb"))
    return _scalar(value)


def _list_values(node: exp.Expression) -> list[exp.Expression] | None:
    """The elements of a bound list (a CAST of an array literal), else None."""
    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.Cast) and isinstance(node.this, exp.Array):
        node = node.this
    if isinstance(node, exp.Array) and all(
            isinstance(e, (exp.Literal, exp.Null, exp.Boolean, exp.Cast))
            for e in node.expressions):
        return list(node.expressions)
    return None


def bind(tree: exp.Expression, params: dict) -> exp.Expression:
    """Every `$name` replaced by its value's literal; list helpers resolved."""
    missing = {p.name for p in tree.find_all(exp.Placeholder)} - params.keys()
    if missing:
        raise TypeError(f"missing parameters: {', '.join(sorted(missing))}")
    literals = {k: literal(v) for k, v in params.items()}

    def place(node):
        if isinstance(node, exp.Placeholder) and node.name in literals:
            return literals[node.name].copy()
        return node

    tree = tree.transform(place, copy=False)

    def lists(node):
        if isinstance(node, (exp.Length, exp.ArraySize)) or _call_name(node) in (
                "len", "length", "array_length", "list_length"):
            args = _call_args(node)
            items = _list_values(args[0]) if args else None
            if items is not None:
                return exp.Literal.number(len(items))
        if isinstance(node, exp.ArrayContains) or _call_name(node) in (
                "list_contains", "array_contains", "list_has"):
            args = _call_args(node)
            items = _list_values(args[0]) if len(args) == 2 else None
            if items is not None:
                if not items:
                    return exp.Boolean(this=False)
                return exp.Paren(this=exp.In(this=args[1].copy(),
                                             expressions=[i.copy() for i in items]))
        return node

    return tree.transform(lists, copy=False)


# --- constant folding -------------------------------------------------------------------

def _constant(node: exp.Expression):
    """The Python value of a literal node, or a sentinel when it is not one."""
    if isinstance(node, exp.Literal):
        return node.this if node.is_string else float(node.this)
    if isinstance(node, exp.Boolean):
        return node.this
    return _NOT_CONSTANT


_NOT_CONSTANT = object()


def _error_message(node: exp.Expression) -> str:
    if isinstance(node, exp.Literal):
        return node.this
    if isinstance(node, (exp.DPipe, exp.Concat)):
        parts = [node.this, node.expression] if isinstance(node, exp.DPipe) else node.expressions
        return "".join(_error_message(p) for p in parts)
    if isinstance(node, exp.Paren):
        return _error_message(node.this)
    return node.sql("duckdb")


def _is_error(node: exp.Expression) -> bool:
    return _call_name(node) == "error"


def fold_choices(tree: exp.Expression) -> exp.Expression:
    """`CASE <literal> WHEN <literal> THEN ...` keeps the branch taken; reaching error()
    raises ValueError with its message."""
    def fold(node):
        if isinstance(node, exp.Case) and node.this is not None:
            value = _constant(node.this)
            if value is _NOT_CONSTANT:
                return node
            for branch in node.args.get("ifs") or []:
                when = _constant(branch.this)
                if when is _NOT_CONSTANT:
                    return node
                if when == value:
                    return exp.Paren(this=branch.args["true"].copy())
            default = node.args.get("default")
            if default is None:
                return exp.Null()
            if _is_error(default):
                raise ValueError(_error_message(_call_args(default)[0]))
            return exp.Paren(this=default.copy())
        return node

    return tree.transform(fold, copy=False)


# --- per-engine spellings ---------------------------------------------------------------

def _unix_micros(e: exp.Expression) -> exp.Expression:
    return exp.Anonymous(this="unix_micros", expressions=[
        exp.Cast(this=e.copy(), to=exp.DataType.build("TIMESTAMP"))])


def _spark_spellings(tree: exp.Expression) -> exp.Expression:
    def rewrite(node):
        # epoch(a - b): seconds between two timestamps
        if isinstance(node, exp.TimeToUnix) or _call_name(node) == "epoch":
            arg = _call_args(node)[0]
            while isinstance(arg, exp.Paren):
                arg = arg.this
            if not isinstance(arg, exp.Sub):
                raise ValueError(f"epoch() is portable only over a difference: {node.sql()}")
            return exp.Paren(this=exp.Div(
                this=exp.Paren(this=exp.Sub(this=_unix_micros(arg.this),
                                            expression=_unix_micros(arg.expression))),
                expression=exp.Literal.number("1e6")))
        if _call_name(node) == "epoch_us":
            return _unix_micros(_call_args(node)[0])
        # timezone(zone, ts::TIMESTAMPTZ): the local wall time of a UTC instant
        if _call_name(node) == "timezone":
            zone, value = _call_args(node)
            if not (isinstance(value, exp.Cast)
                    and value.to.is_type(exp.DataType.Type.TIMESTAMPTZ)):
                raise ValueError("timezone() is portable only over a TIMESTAMPTZ cast "
                                 f"(a UTC instant): {node.sql()}")
            return exp.Anonymous(this="from_utc_timestamp", expressions=[
                exp.Cast(this=value.this.copy(), to=exp.DataType.build("TIMESTAMP")),
                zone.copy()])
        # list(DISTINCT x ORDER BY x): a sorted set
        if isinstance(node, exp.ArrayAgg) and isinstance(node.this, exp.Order):
            order = node.this
            inner = order.this
            keys = order.expressions
            if (isinstance(inner, exp.Distinct) and len(inner.expressions) == 1
                    and len(keys) == 1 and keys[0].this == inner.expressions[0]
                    and not keys[0].args.get("desc")):
                return exp.Anonymous(this="array_sort", expressions=[
                    exp.Anonymous(this="collect_set",
                                  expressions=[inner.expressions[0].copy()])])
            raise ValueError(f"an ordered list() is portable only as a sorted set: {node.sql()}")
        if _is_error(node):
            return exp.Anonymous(this="raise_error", expressions=_call_args(node))
        # `/` is DOUBLE division on DuckDB for integers and decimals alike; Spark divides
        # decimals in DECIMAL and rounds to 6 places (money sums are DECIMAL), silently
        if isinstance(node, exp.Div) and not (
                isinstance(node.this, exp.Cast)
                and node.this.to.is_type(exp.DataType.Type.DOUBLE)):
            node.set("this", exp.Cast(this=exp.Paren(this=node.this),
                                      to=exp.DataType.build("DOUBLE")))
            return node
        # decimal literals are DECIMAL on Spark: divisions would round
        if isinstance(node, exp.Literal) and not node.is_string:
            text = node.this
            if "." in text and "e" not in text.lower():
                return exp.Literal.number(text + "e0")
        return node

    tree = tree.transform(rewrite, copy=False)
    limit = tree.args.get("limit")
    if isinstance(limit, exp.Limit) and isinstance(limit.expression, exp.Null):
        tree.set("limit", None)
    return _unique_cte_names(tree)


def _unique_cte_names(tree: exp.Expression) -> exp.Expression:
    """A macro's own CTEs may reuse a name the query uses too (`scope`): fine on DuckDB,
    where a subquery's WITH is its own scope, but the Spark dialect lifts every CTE to the
    top, where Spark refuses a name defined twice. The inner one is renamed, with the
    tables that read it inside its query (deepest first, so an outer reference is never
    touched)."""
    withs = list(tree.find_all(exp.With))
    counts: dict[str, int] = {}
    for with_ in withs:
        for cte in with_.expressions:
            counts[cte.alias_or_name.lower()] = counts.get(cte.alias_or_name.lower(), 0) + 1
    withs.sort(key=lambda w: -w.depth)
    for with_ in withs:
        query = with_.parent
        for cte in with_.expressions:
            name = cte.alias_or_name.lower()
            if counts[name] <= 1:
                continue
            counts[name] -= 1
            new = f"{name}__{counts[name]}"
            cte.set("alias", exp.TableAlias(this=exp.to_identifier(new)))
            for table in query.find_all(exp.Table):
                if not table.args.get("db") and table.name.lower() == name:
                    if not table.args.get("alias"):
                        table.set("alias", exp.TableAlias(this=exp.to_identifier(name)))
                    table.set("this", exp.to_identifier(new))
    return tree


# --- rendering --------------------------------------------------------------------------

def render_tree(name: str, **params) -> exp.Expression:
    """The portable tree of one named query: macros expanded, parameters bound, constant
    choices folded (engine-neutral; latency_quantile_ms calls are still calls)."""
    tree = _parse_query(_read(name)).copy()
    wanted = parameters(name)
    tree = expand_macros(tree, macros())
    tree = bind(tree, {k: v for k, v in params.items() if k in wanted})
    return fold_choices(tree)


def render(name: str, engine: str = "duckdb", **params) -> str:
    """queries/<name>.sql as one statement for `engine` with its parameters as literals."""
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, not {engine!r}")
    missing = parameters(name) - params.keys()
    if missing:
        raise TypeError(f"query {name!r} needs parameters: {', '.join(sorted(missing))}")
    wanted = parameters(name)
    key = tuple(sorted((k, _cache_key(v)) for k, v in params.items() if k in wanted))
    return _render(name, engine, _read(name), _read("macros"), key,
                   lambda: {k: v for k, v in params.items() if k in wanted})


def _cache_key(value):
    """A hashable, type-exact stand-in for a parameter value (1 and 1.0 and True differ)."""
    if isinstance(value, (list, tuple)):
        return ("list", tuple(_cache_key(v) for v in value))
    return (type(value).__name__, value if value is None or isinstance(
        value, (bool, int, float, str, date)) else repr(value))


_rendered: dict = {}


def _render(name, engine, text, macro_text, key, params) -> str:
    """Rendered statements are kept (a page asks the same ones on every rerun); the key
    holds the files' text, so an edited .sql file renders anew."""
    cache_key = (name, engine, text, macro_text, key)
    sql = _rendered.get(cache_key)
    if sql is None:
        tree = render_tree(name, **params())
        if engine == "spark":
            sql = _generate(_spark_spellings(tree), "spark")
        else:
            sql = _generate(_duckdb_spellings(tree), "duckdb")
        if len(_rendered) > 512:
            _rendered.clear()
        _rendered[cache_key] = sql
    return sql


def render_sql(text: str, engine: str = "duckdb", **params) -> str:
    """An ad-hoc statement (not a named file) rendered like `render` (tests, one-offs)."""
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, not {engine!r}")
    tree = expand_macros(_parse_query(text).copy(), macros())
    tree = fold_choices(bind(tree, params))
    if engine == "spark":
        return _generate(_spark_spellings(tree), "spark")
    return _generate(_duckdb_spellings(tree), "duckdb")
