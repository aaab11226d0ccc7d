"""The store pool: one open store per database, reopened fresh after a close."""

from __future__ import annotations

from pathlib import Path

from groove.store.pool import StorePool


async def test_one_store_per_path_and_a_fresh_one_after_close(tmp_path: Path) -> None:
    """Asking twice (by either spelling of the path) gives the same open store; after
    closing it the pool opens a new one, never handing out the closed store."""
    pool = StorePool()
    path = tmp_path / "db"
    first = await pool.open(path)
    assert await pool.get(path) is first
    assert await pool.get(tmp_path / "." / "db") is first
    await pool.close(path)
    again = await pool.get(path, create=False)
    assert again is not None and again is not first
    assert await again.count() == 0
    await pool.close_all()
    assert not pool.is_open(path)
