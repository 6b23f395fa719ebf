"""The macros of queries/macros.sql expanded into a named query: what the warehouse runs.

queries/macros.sql is parsed (every `CREATE [OR REPLACE] MACRO`, scalar or `AS TABLE`,
whatever its name), and each call is replaced by the macro's body with its arguments
substituted; a table macro becomes a subquery; nested calls expand too. `expanded(name)`
is the DuckDB statement queries/named.py runs, `$name` parameters left for DuckDB to bind:
the macros live in the code, never in the warehouse file, so a reader never writes and two
versions of modelops on one file each run their own definitions. modelops/engines/
portable.py builds its renderings (Spark, literal parameters) on the same expansion.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import sqlglot
from sqlglot import exp

QUERY_DIR = Path(__file__).resolve().parent
_MAX_EXPANSION_DEPTH = 16


# --- macros.sql -------------------------------------------------------------------------

@dataclass(frozen=True)
class Macro:
    name: str
    params: tuple[str, ...]
    body: str
    table: bool

    @property
    def tree(self) -> exp.Expression:
        return _parse_body(self.body)


@cache
def _parse_body(body: str) -> exp.Expression:
    return sqlglot.parse_one(body, read="duckdb")


_MACRO = re.compile(
    r"^\s*CREATE\s+(?:OR\s+REPLACE\s+)?(?:TEMP(?:ORARY)?\s+)?MACRO\s+"
    r"(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*\((?P<params>[^)]*)\)\s+AS\s+"
    r"(?P<table>TABLE\s+)?(?P<body>.*)$",
    re.IGNORECASE | re.DOTALL,
)


def split_statements(text: str) -> list[str]:
    """The statements of a SQL script, split on `;` outside strings, identifiers and
    comments (comments are dropped)."""
    statements, current, i, n = [], [], 0, len(text)
    while i < n:
        c = text[i]
        if c == "-" and text.startswith("--", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
            continue
        if c == "/" and text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end < 0 else end + 2
            continue
        if c in "'\"":
            end = i + 1
            while end < n:
                if text[end] == c:
                    if end + 1 < n and text[end + 1] == c:  # doubled quote
                        end += 2
                        continue
                    break
                end += 1
            current.append(text[i:end + 1])
            i = end + 1
            continue
        if c == ";":
            statement = "".join(current).strip()
            if statement:
                statements.append(statement)
            current = []
        else:
            current.append(c)
        i += 1
    statement = "".join(current).strip()
    if statement:
        statements.append(statement)
    return statements


def parse_macros(text: str) -> dict[str, Macro]:
    """Every macro a macros.sql script defines, by lower-case name (later wins, like
    CREATE OR REPLACE). Other statements (DROP MACRO ...) are ignored."""
    macros = {}
    for statement in split_statements(text):
        match = _MACRO.match(statement)
        if not match:
            continue
        params = tuple(p.strip() for p in match["params"].split(",") if p.strip())
        if any("=" in p or ":=" in p for p in params):
            raise ValueError(f"macro {match['name']}: default parameters are not supported")
        macros[match["name"].lower()] = Macro(match["name"], params, match["body"].strip(),
                                              bool(match["table"]))
    return macros


def macros() -> dict[str, Macro]:
    return _macros_of(_read("macros"))


@cache
def _macros_of(text: str) -> dict[str, Macro]:
    return parse_macros(text)


def _read(name: str) -> str:
    path = QUERY_DIR / f"{name}.sql"
    if not path.exists():
        raise KeyError(f"no query named {name!r} ({path})")
    return path.read_text()


def query_names() -> list[str]:
    """Every named query: the .sql files present, less macros.sql."""
    return sorted(p.stem for p in QUERY_DIR.glob("*.sql") if p.stem != "macros")


def parameters(name: str) -> frozenset[str]:
    tree = _parse_query(_read(name))
    return frozenset(p.name for p in tree.find_all(exp.Placeholder) if p.name)


@cache
def _parse_query(text: str) -> exp.Expression:
    statements = split_statements(text)
    if len(statements) != 1:
        raise ValueError("a named query holds exactly one statement")
    return sqlglot.parse_one(statements[0], read="duckdb")


# --- expansion --------------------------------------------------------------------------

def _call_name(node: exp.Expression) -> str | None:
    if isinstance(node, exp.Anonymous):
        return node.name.lower()
    if isinstance(node, exp.Func):
        return node.sql_name().lower()
    return None


def _call_args(node: exp.Expression) -> list[exp.Expression]:
    if isinstance(node, exp.Anonymous):
        return list(node.expressions)
    return [a for a in node.iter_expressions()]


def _substitute(body: exp.Expression, macro: Macro, args: list[exp.Expression]) -> exp.Expression:
    if len(args) != len(macro.params):
        raise ValueError(f"macro {macro.name} takes {len(macro.params)} arguments, "
                         f"got {len(args)}")
    values = {p.lower(): a for p, a in zip(macro.params, args, strict=True)}

    def replace(node):
        # param.field (a struct parameter): the argument's field
        if (isinstance(node, exp.Column) and node.table and not node.args.get("db")
                and node.table.lower() in values):
            return exp.Dot(this=values[node.table.lower()].copy(),
                           expression=node.this.copy())
        if (isinstance(node, exp.Column) and not node.table
                and node.name.lower() in values):
            value = values[node.name.lower()].copy()
            return value if isinstance(value, (exp.Literal, exp.Placeholder, exp.Column,
                                               exp.Null, exp.Boolean, exp.Array,
                                               exp.Cast)) else exp.Paren(this=value)
        return node

    return body.copy().transform(replace, copy=False)


def expand_macros(tree: exp.Expression, defined: dict[str, Macro]) -> exp.Expression:
    """Replace every call of a macro by its body, until none is left."""
    for _ in range(_MAX_EXPANSION_DEPTH):
        changed = False

        def expand(node):
            nonlocal changed
            if isinstance(node, exp.Table) and isinstance(node.this, (exp.Anonymous, exp.Func)):
                macro = defined.get(_call_name(node.this) or "")
                if macro is not None and macro.table:
                    changed = True
                    body = _substitute(macro.tree, macro, _call_args(node.this))
                    alias = node.args.get("alias")
                    alias = alias.copy() if alias else exp.TableAlias(
                        this=exp.to_identifier(macro.name))
                    return exp.Subquery(this=body, alias=alias)
            name = _call_name(node)
            macro = defined.get(name or "")
            if macro is not None and not macro.table and not isinstance(node.parent, exp.Table):
                changed = True
                return exp.Paren(this=_substitute(macro.tree, macro, _call_args(node)))
            return node

        tree = tree.transform(expand, copy=False)
        if not changed:
            return tree
    raise ValueError("macros nest too deep (a macro that calls itself?)")



def _duckdb_spellings(tree: exp.Expression) -> exp.Expression:
    limit = tree.args.get("limit")
    if isinstance(limit, exp.Limit) and isinstance(limit.expression, exp.Null):
        tree.set("limit", None)
    return tree



def expanded(name: str) -> str:
    """queries/<name>.sql as the warehouse runs it: the macros of queries/macros.sql
    expanded, its `$name` parameters left for DuckDB to bind, latency_quantile_ms kept as
    the UDF every connection registers. The macros live in the code, never in the
    warehouse file: a reader needs no write to be current, and two versions of modelops
    on one file each run their own definitions."""
    return _expanded(_read(name), _read("macros"))


def expanded_sql(text: str) -> str:
    """An ad-hoc statement (tests, the benchmark) expanded like `expanded`."""
    return _expanded(text, _read("macros"))


@cache
def _expanded(text: str, macro_text: str) -> str:
    tree = expand_macros(_parse_query(text).copy(), _macros_of(macro_text))
    return _duckdb_spellings(tree).sql(dialect="duckdb")
