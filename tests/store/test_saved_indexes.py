"""The saved keyword index and ranking features: read back by the next process instead
of a rebuild, removed before any write, never trusted when they disagree with the
database."""

from __future__ import annotations

import io
import shutil
import uuid
import zipfile
from pathlib import Path

import numpy as np
import pytest

from groove import CozoStore, Learning, Outcome, Scope
from groove.domain.learning import PromotedSource
from groove.store import queries as Q
from groove.store import saved_indexes
from groove.store.features import RankingFeatures
from groove.store.keyword_index import KeywordIndex
from groove.store.saved_indexes import FEATURES, KEYWORDS
from groove.store.sidecar import SidecarInvalid
from groove.testing import HashEmbedder
from tests.conftest import make_learning

TEXTS = [("Run ruff check --fix before committing", "the pre-commit hook does it"),
         ("Deploy with ops/deploy.sh", "set AWS_PROFILE=staging first"),
         ("Use tmp_path fixtures in tests", "never write to the repo"),
         ("Search files with ripgrep", "rg is faster than grep -r")]
QUERIES = ["ruff --fix", "AWS_PROFILE deploy", "tests fixtures", "ripgrep files", "grep"]


async def _store(path: Path, texts: list[tuple[str, str]] = TEXTS) -> CozoStore:
    embedder = HashEmbedder()
    store = await CozoStore.open(path)
    learnings = [make_learning(d, i, scope=Scope.user("me") if n % 2 else Scope.GLOBAL)
                 for n, (d, i) in enumerate(texts)]
    await store.store_many(learnings, embedder.embed([x.content.embedding_text()
                                                      for x in learnings]))
    await store.warm()  # holds the keyword index, so closing saves it
    return store


async def _store_torch(store: CozoStore) -> Learning:
    new = make_learning("Pin torch to the CPU build", "torch==2.13.0 from the local wheel")
    await store.store(new, HashEmbedder().embed([new.content.embedding_text()])[0])
    return new


async def _answers(store: CozoStore) -> list[list[tuple[str, float]]]:
    return [[(str(x.id), s) for x, s in await store.keyword_search(q, 3)] for q in QUERIES] \
        + [[(str(x.id), s) for x, s in await store.keyword_search(q, 3, Scope.user("me"))]
           for q in QUERIES]


def test_arrays_round_trip_answers_alike() -> None:
    """An index written as arrays and read back (removed and rewritten rows included)
    answers every query and filter as the original does."""
    index = KeywordIndex()
    for n, (d, i) in enumerate(TEXTS * 3):
        index.upsert(f"id{n}", i, "user:me" if n % 2 else "global", "preference", headline=d)
    index.remove("id3")
    index.upsert("id4", "rewritten: use fd instead", "global", "pattern", headline="fd")
    again = KeywordIndex.from_arrays(index.to_arrays())
    assert len(again) == len(index)
    for both in (index, again):  # a term loaded as a slice takes an append
        both.upsert("id20", "ruff and ripgrep again", "global", "preference")
    third = KeywordIndex.from_arrays(again.to_arrays())  # saved with slices and arrays
    for q in [*QUERIES, "fd rewritten"]:
        assert again.search(q, 5) == index.search(q, 5) == third.search(q, 5)
        assert again.search(q, 5, ["user:me"], ["preference"]) == \
            index.search(q, 5, ["user:me"], ["preference"])
    bad = index.to_arrays()
    bad["offsets"] = bad["offsets"][:-1]
    with pytest.raises(ValueError):
        KeywordIndex.from_arrays(bad)


def test_a_read_back_index_takes_writes_and_compaction_alike() -> None:
    """An index read back (its postings still slices of the loaded arrays) and the one
    it was saved from take the same writes (new rows in old terms, removals, the
    compaction they trigger) and answer alike, and save alike again."""
    index = KeywordIndex()
    for n in range(1_200):
        d, i = TEXTS[n % 4]
        index.upsert(f"id{n}", f"{i} case {n % 50}", "global", "preference", headline=d)
    again = KeywordIndex.from_arrays(index.to_arrays())
    for both in (index, again):
        for n in range(700):
            both.remove(f"id{n}")
        both.upsert("new", "ripgrep and ruff --fix, case 7", "global", "pattern",
                    headline="search then lint")  # compacts: 1,200 rows, 501 live
        both.upsert("id900", "rewritten: deploy with AWS_PROFILE", "global", "preference")
    assert len(again) == len(index) == 501
    for q in [*QUERIES, "case 7", "rewritten deploy", "search lint"]:
        assert again.search(q, 10) == index.search(q, 10)
    third = KeywordIndex.from_arrays(again.to_arrays())
    for q in [*QUERIES, "case 7"]:
        assert third.search(q, 10) == index.search(q, 10)


async def test_the_next_process_reads_the_saved_index(tmp_path: Path) -> None:
    """A store closed with its keyword index saves it; the next open reads it (no
    rebuild) and answers as one built from the texts."""
    store = await _store(tmp_path / "db")
    built = await _answers(store)
    assert KEYWORDS not in store._from_file
    await store.close()
    assert (tmp_path / "db" / KEYWORDS.filename).stat().st_mode & 0o777 == 0o600
    store = await CozoStore.open(tmp_path / "db")
    assert (await store.storage_stats())["keyword_side_file_bytes"] == \
        (tmp_path / "db" / KEYWORDS.filename).stat().st_size  # doctor shows it
    await store.warm()
    assert KEYWORDS in store._from_file
    assert await _answers(store) == built
    await store.close()


@pytest.mark.parametrize("searched", [True, False], ids=["warm", "write-only"])
async def test_a_write_removes_the_saved_index_first_and_close_saves_it_again(
        tmp_path: Path, searched: bool) -> None:
    """The first write of a process removes the file before it lands (a crash then leaves
    no stale index); the close saves the index with the write in it, also when the
    process only wrote (a `--no-server` add reads the saved index before its first write
    and keeps it in step)."""
    store = await _store(tmp_path / "db")
    await store.close()
    assert (tmp_path / "db" / KEYWORDS.filename).exists()
    store = await CozoStore.open(tmp_path / "db")
    if searched:
        await store.warm()
        assert KEYWORDS in store._from_file
    new = await _store_torch(store)
    assert not (tmp_path / "db" / KEYWORDS.filename).exists()
    await store.close()
    store = await CozoStore.open(tmp_path / "db")
    await store.warm()
    assert KEYWORDS in store._from_file
    assert [x.id for x, _ in await store.keyword_search("torch CPU", 1)] == [new.id]
    await store.close()


async def test_a_stale_or_damaged_file_is_rebuilt_never_searched(tmp_path: Path) -> None:
    """A saved index older than the data (put back by hand, as a groove that does not
    know the file would leave it), a damaged or torn one, one of another tokenizer or one
    holding pickled objects is rejected, and the index is built from the texts."""
    db = tmp_path / "db"
    store = await _store(db)
    await store.close()
    old = tmp_path / "old.npz"
    shutil.copy(db / KEYWORDS.filename, old)
    store = await CozoStore.open(db)
    await store.warm()
    new = await _store_torch(store)
    expected = saved_indexes.stamp(store._engine, KEYWORDS)
    await store.close()
    good = (db / KEYWORDS.filename).read_bytes()
    with np.load(old) as z:
        pickled = {k: z[k] for k in z.files} | {"ids": np.array([object()], dtype=object)}
    np.savez(tmp_path / "pickled.npz", **pickled)  # type: ignore[arg-type]
    flipped = bytearray(good)
    with zipfile.ZipFile(io.BytesIO(good)) as z:
        members = sorted(z.infolist(), key=lambda i: i.header_offset)
    flipped[members[2].header_offset - 1] ^= 0xFF  # torn: the ids' CRC-32 no longer holds
    for planted in [old.read_bytes(), good[: len(good) // 2], bytes(flipped),
                    b"not a zip file", (tmp_path / "pickled.npz").read_bytes()]:
        (db / KEYWORDS.filename).write_bytes(planted)
        with pytest.raises(SidecarInvalid):
            saved_indexes.load(db, KEYWORDS, expected)
        store = await CozoStore.open(db)
        await store.warm()
        assert KEYWORDS not in store._from_file
        assert [x.id for x, _ in await store.keyword_search("torch CPU", 1)] == [new.id]
        await store.close()
    (db / KEYWORDS.filename).write_bytes(good)
    saved_indexes.load(db, KEYWORDS, expected)
    with pytest.raises(SidecarInvalid, match="another state"):
        saved_indexes.load(db, KEYWORDS, expected.replace(KEYWORDS.format, "keywords-1-0"))



async def test_writes_during_a_warm_that_opened_the_saved_index_are_kept(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A warm opens the saved keyword index before the ranking features are read and
    reads it after: writes in between (which remove the files) are replayed onto both,
    not lost and not a reason to rebuild (a prompt hook's first record right after a
    server start)."""
    import asyncio
    import threading

    from groove.store import cozo

    store = await _store(tmp_path / "db")
    [gone] = [x for x, _ in await store.keyword_search("ripgrep", 1)]
    await store.close()
    store = await CozoStore.open(tmp_path / "db")
    started, release = threading.Event(), threading.Event()
    read = cozo.RankingFeatures.from_arrays

    def held(*args: object) -> object:  # the features' read, held until the writes end
        started.set()
        assert release.wait(60), "the writes waited for the build"
        return read(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(cozo.RankingFeatures, "from_arrays", held)
    warming = asyncio.ensure_future(store.warm())
    assert await asyncio.to_thread(started.wait, 60)
    new = await _store_torch(store)
    assert await store.delete(gone.id)
    assert not (tmp_path / "db" / KEYWORDS.filename).exists()
    release.set()
    await warming
    assert store._from_file == {KEYWORDS, FEATURES} and store._features is not None
    assert [x.id for x, _ in await store.keyword_search("torch CPU", 1)] == [new.id]
    assert await store.keyword_search("ripgrep", 1) == []
    assert str(gone.id) not in store._features and str(new.id) in store._features
    await store.close()


def _fresh(store: CozoStore) -> RankingFeatures:
    engine = store._engine
    return RankingFeatures.build(engine.query(Q.FEATURE_LEARNINGS),
                                 engine.query(Q.FEATURE_USAGE))


async def test_features_are_saved_and_a_usage_change_behind_their_back_is_caught(
        tmp_path: Path) -> None:
    """The ranking features (posteriors, times, lineage) come back from their file as
    built, outcomes recorded in a process are in what its close saves, and a usage row
    changed by a writer that does not know the file (as an older groove would) makes
    the file untrusted: the features are read from the database again."""
    db = tmp_path / "db"
    store = await _store(db)
    ids = [str(x.id) for x, _ in await store.keyword_search("ruff deploy tests ripgrep", 4)]
    copy = make_learning("Run ruff check --fix", "promoted")
    copy = Learning.new(copy.scope, copy.category, copy.content,
                        source=PromotedSource(original_id=uuid.UUID(ids[0])))
    await store.store(copy)
    ids.append(str(copy.id))
    await store.record_outcome(uuid.UUID(ids[1]), Outcome.HELPFUL)
    await store.close()
    assert (db / FEATURES.filename).exists()
    store = await CozoStore.open(db)
    await store.warm()
    assert FEATURES in store._from_file and store._features is not None
    assert store._features.of(ids) == _fresh(store).of(ids)
    assert store._features.of([ids[4]])[0].original == ids[0]  # type: ignore[union-attr]
    await store.record_outcome(uuid.UUID(ids[2]), Outcome.CONTRADICTED)
    await store.close()
    store = await CozoStore.open(db)
    await store.warm()
    assert FEATURES in store._from_file and store._features is not None
    assert store._features.of(ids) == _fresh(store).of(ids)
    await store.close()
    store = await CozoStore.open(db)  # an older groove: writes, never removes the files
    store._engine.mutate("?[learning_id, confidence_alpha] <- [[$id, 7.0]] "
                         ":update usage_stats {learning_id => confidence_alpha}",
                         {"id": ids[3]})
    await store.close()
    store = await CozoStore.open(db)
    await store.warm()
    assert FEATURES not in store._from_file and store._features is not None
    assert store._features.of([ids[3]])[0].alpha == 7.0  # type: ignore[union-attr]
    await store.close()


def test_feature_arrays_round_trip() -> None:
    """Features written as arrays and read back (a removed learning, a reused slot, a
    promoted copy and a curated one among them) are the same for every id."""
    features = RankingFeatures()
    features.put([(f"id{n}", 1_000 + n, "id0" if n == 3 else None, n in (3, 5),
                   (1.0 + n, 2.0, 5_000 + n if n % 2 else None)) for n in range(8)])
    features.remove("id2")
    features.put([("id9", 9_999, None, False, None)])
    again = RankingFeatures.from_arrays(features.to_arrays())
    ids = [f"id{n}" for n in range(10)]
    assert again.of(ids) == features.of(ids) and len(again) == len(features)
