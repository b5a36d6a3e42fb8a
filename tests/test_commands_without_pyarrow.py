"""A command runs without pyarrow (overgang/process.py start_command), as the installed command
does, and gets pandas "string" columns as when pyarrow is really absent.

Break (fixed): `sys.modules["pyarrow"] = None` is not "not installed" for pandas. Its compiled lib
imports pyarrow through Cython, which takes the None found in sys.modules as the module itself,
so pandas believed pyarrow was installed: every pandas "string" column (`astype("string")`,
`dtype="string"`, `convert_dtypes()`, `read_csv(dtype="string")`) failed in a command with
AttributeError ('NoneType' object has no attribute 'Array'). Now a finder answers "no module".
(Moved from tests/test_attack_r23.py.)
"""

from __future__ import annotations

from tests.cli import python_child


def test_a_command_has_pandas_string_columns_as_without_pyarrow():
    done = python_child(
        """
        import io, sys
        from overgang.process import start_command
        start_command()
        import pandas as pd
        import pandera.pandas
        import duckdb
        s = pd.Series(["a", None]).astype("string")
        t = pd.Series(["b"], dtype="string")
        c = pd.DataFrame({"x": ["y"]}).convert_dtypes()
        r = pd.read_csv(io.StringIO("x\\nz"), dtype="string")
        con = duckdb.connect()
        con.register("frame", pd.DataFrame({"s": s}))
        back = con.execute("SELECT count(s) FROM frame").fetchone()[0]
        try:
            import pyarrow  # noqa: F401
            imported = "imported"
        except ImportError:
            imported = "absent"
        print(s.tolist()[0], t.tolist()[0], str(c["x"].dtype), r["x"].tolist()[0], back, imported,
              sys.modules.get("pyarrow") is not None, sys.modules.get("hypothesis") is not None)
        """,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["a", "b", "string", "z", "1", "absent", "False", "False"]


def test_a_library_imported_before_start_command_is_left_as_it_is():
    done = python_child(
        """
        import hypothesis
        from overgang.process import start_command
        start_command()
        import hypothesis.strategies
        print(hypothesis.strategies.integers is not None)
        """,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["True"]
