"""Publishing by appending (issue 17, item 4): when the working database differs from the
published warehouse only by rows added (a new spring's year), the new file is a copy of the
published one with those rows appended, instead of every row copied again (at 10 M rows the
full copy takes 6.5-7.4 s, as long as loading the new year itself).

Only an append is safe in a copy. DuckDB does not wipe the blocks a DELETE or DROP frees, so a
row removed or replaced in place would stay readable in the new file's free blocks (a pupil who
should not have been there, still in the bytes of the file analysts are given). So anything else,
a year's rows changed or gone, a table or a column added, gone or retyped, a file of another
storage version, is published the full way, into a fresh file. Then by induction the free blocks
of a file made here hold only rows it still holds, or an earlier `publication` row (a run id and
a time).

What it rests on: the published file is written only by `publish` (analysts open it read-only;
a file changed beside it, a write-ahead log, or a catalog that differs sends publish the full
way); and a year's rows (a table without a year: all its rows) are compared by their count and
the sum of DuckDB's 64-bit row hash with a salt drawn anew for each publish. That hash is no
cryptographic hash: without the salt, rows can be made to collide (tests/test_publish_append_hostile.py
does), and with it they cannot be made to in advance.
"""

from __future__ import annotations

import secrets

import duckdb

from schemas.sqltext import SQL, fill, ident

# Replaced on every publish: the one row naming the run that made the file (no pupil's data).
REPLACED = ("publication",)
# The views publish makes again in every file (schemas/dictionary.py), left out of the comparison.
REMADE_SCHEMA = "analyst"
# A table's rows are compared in groups by the first of these columns it has (a new group is an
# append); a table with neither is compared whole.
GROUP_COLUMNS = ("year", "file_year")
FLOATS = ("FLOAT", "DOUBLE", "REAL")

Statement = tuple[SQL, dict]


def catalog(con: duckdb.DuckDBPyConnection, db: str, not_published: tuple[str, ...]) -> list[tuple]:
    """Everything in database `db` besides rows and the remade views: schemas, tables with their
    definitions and comments, column comments, views, macros, sequences, types and indexes."""
    params = {"db": db, "remade": REMADE_SCHEMA, "left": list(not_published)}
    left_out = "NOT (schema_name = 'main' AND list_contains($left, table_name))"
    queries = {
        "schema": "SELECT schema_name, comment FROM duckdb_schemas() WHERE database_name = $db AND NOT internal "
        "AND schema_name <> $remade",
        "table": "SELECT schema_name, table_name, sql, comment FROM duckdb_tables() WHERE database_name = $db "
        f"AND NOT internal AND NOT temporary AND {left_out}",
        "column": "SELECT schema_name, table_name, column_name, comment FROM duckdb_columns() WHERE "
        f"database_name = $db AND NOT internal AND schema_name <> $remade AND {left_out}",
        "view": "SELECT schema_name, view_name, sql, comment FROM duckdb_views() WHERE database_name = $db "
        "AND NOT internal AND NOT temporary AND schema_name <> $remade",
        "function": "SELECT schema_name, function_name, function_type, macro_definition FROM duckdb_functions() "
        "WHERE database_name = $db AND NOT internal",
        "sequence": "SELECT schema_name, sequence_name, start_value, increment_by, last_value FROM duckdb_sequences() "
        "WHERE database_name = $db",
        "type": "SELECT schema_name, type_name, logical_type FROM duckdb_types() WHERE database_name = $db "
        "AND NOT internal",
        "index": "SELECT schema_name, index_name, table_name, sql FROM duckdb_indexes() WHERE database_name = $db",
    }
    found = []
    for kind, sql in queries.items():
        wanted = {k: v for k, v in params.items() if f"${k}" in sql}
        found += [(kind, *map(str, row)) for row in con.execute(sql, wanted).fetchall()]
    return sorted(found)


def row_hash(columns: list[tuple[str, str]]) -> SQL:
    """What a row's hash is made of, (name, type) per column: each value with whether it is NULL,
    and a float with its sign, as DuckDB hashes NULL like one value and -0.0 like 0.0."""
    parts: list[SQL] = []
    for name, kind in columns:
        parts += [fill("${c} IS NULL", c=ident(name)), ident(name)]
        if kind in FLOATS:
            parts.append(fill("signbit(${c})", c=ident(name)))
    return SQL(", ".join(parts))


def _fingerprints(
    con: duckdb.DuckDBPyConnection, table: SQL, columns: list[tuple[str, str]], group: str | None, salt: int
) -> dict:
    """group -> (rows, sum of the rows' salted hashes), equal for equal rows in any order. The
    salt, new for each publish, is hashed first: DuckDB's hash is no cryptographic hash, and rows
    made to collide without it do not collide with it."""
    rows = con.execute(
        fill(
            "SELECT ${key}, count(*), sum(hash($salt, ${row})::HUGEINT) FROM ${table} GROUP BY ALL",
            key=ident(group) if group else SQL("NULL"),
            row=row_hash(columns),
            table=table,
        ),
        {"salt": salt},
    ).fetchall()
    return {g: (n, total) for g, n, total in rows}


def appends(
    con: duckdb.DuckDBPyConnection, work: str, pub: str, storage_version: str, not_published: tuple[str, ...]
) -> list[Statement] | None:
    """The statements that make database `pub` (a copy of the published warehouse, attached to
    `con`) hold what the working database `work` publishes, when that only adds rows to it in new
    years; None when anything else changed, and the file must be built again."""
    tag = con.execute("SELECT tags['storage_version'] FROM duckdb_databases() WHERE database_name = $db", {"db": pub})
    if tag.fetchone() != (f"{storage_version}+",):
        return None
    wanted = catalog(con, work, not_published)
    if catalog(con, pub, ()) != wanted:
        return None
    salt = secrets.randbits(63)
    statements: list[Statement] = []
    for kind, schema, table, *_ in wanted:
        if kind != "table":
            continue
        where = {"schema": ident(schema), "table": ident(table)}
        source = fill("${db}.${schema}.${table}", db=ident(work), **where)
        target = fill("${db}.${schema}.${table}", db=ident(pub), **where)
        if schema == "main" and table in REPLACED:
            statements.append((fill("DELETE FROM ${target}", target=target), {}))
            statements.append((fill("INSERT INTO ${target} SELECT * FROM ${source}", target=target, source=source), {}))
            continue
        columns = [
            (name, kind)
            for name, kind in con.execute(
                "SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = $db AND schema_name = $schema "
                "AND table_name = $table ORDER BY column_index",
                {"db": work, "schema": schema, "table": table},
            ).fetchall()
        ]
        group = next((c for c in GROUP_COLUMNS if c in {name for name, _ in columns}), None)
        have = _fingerprints(con, target, columns, group, salt)
        want = _fingerprints(con, source, columns, group, salt)
        if any(want.get(g) != fingerprint for g, fingerprint in have.items()):
            return None  # rows of a group (a year) changed or went
        added = sorted(set(want) - set(have), key=str)
        if added and (group is None or None in added):
            return None  # rows added with no year to tell them by
        if added and group is not None:  # (None returned above)
            statements.append(
                (
                    fill(
                        "INSERT INTO ${target} SELECT * FROM ${source} WHERE ${group} IN (SELECT unnest($groups))",
                        target=target,
                        source=source,
                        group=ident(group),
                    ),
                    {"groups": added},
                )
            )
    return statements
