-- The published file, written once: each published table copied from the working database into a
-- fresh database file (attached as `pub` by bench/same_work.py), all in one transaction, then the
-- publication row. The working tables (staged rows, the pre-pass's bookkeeping) stay out, as the
-- warehouse's NOT_PUBLISHED keeps them out.
CREATE TABLE pub.${table} AS SELECT * FROM ${table};  -- noqa: AM04
