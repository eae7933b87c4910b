"""The engines every service makes (shared/db.py)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from shared.db import make_engine


def test_a_failing_statement_never_quotes_its_parameters(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE t (id INTEGER PRIMARY KEY, secret TEXT NOT NULL UNIQUE)"))
        conn.execute(sa.text("INSERT INTO t (secret) VALUES (:s)"), {"s": "工人张三 13912345678"})
    with pytest.raises(IntegrityError) as failed, engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO t (secret) VALUES (:s)"), {"s": "工人张三 13912345678"})
    assert "13912345678" not in str(failed.value) and "张三" not in str(failed.value)
    assert "hidden" in str(failed.value)  # SQLAlchemy says the parameters were hidden
    engine.dispose()
