"""Every Chroma read of many rows goes through here, in pages or id batches.

Chroma 1.5.9 fails a get() that returns more than 32,766 rows with metadata ("too many SQL variables"), and a
long id list or `$in` filter is bound as SQL variables too. So no read is ever unbounded: a store of any size
opens, sweeps, lists and rebuilds the same way, embedded or on a server.
"""

from __future__ import annotations

from typing import Any, Iterable, Sequence

PAGE = 5000  # rows per read: well under the limit, few enough round trips for a server


def get_all(collection, *, ids: Sequence[str] | None = None, where: dict | None = None,
            include: Iterable[str] = ("metadatas",), page: int = PAGE) -> dict[str, list]:
    """collection.get() of every matching row, merged: by id in batches when ids are given, else paged by
    offset. A `where` with one `{field: {"$in": [...]}}` filter is batched over its values."""
    include = list(include)
    out: dict[str, list] = {"ids": [], **{k: [] for k in include}}
    if ids is not None:
        for i in range(0, len(ids), page):
            _merge(out, collection.get(ids=list(ids[i:i + page]), where=where, include=include), include)
        return out
    batched = _in_filter(where)
    if batched is not None:
        field, values = batched
        for i in range(0, len(values), page):
            sub = {field: {"$in": list(values[i:i + page])}}
            _merge(out, get_all(collection, where=sub, include=include, page=page), include)
        return out
    offset = 0
    while True:
        got = collection.get(where=where, include=include, limit=page, offset=offset)
        _merge(out, got, include)
        if len(got["ids"]) < page:
            return out
        offset += page


def _in_filter(where: dict | None) -> tuple[str, list[Any]] | None:
    if not where or len(where) != 1:
        return None
    (field, cond), = where.items()
    if isinstance(cond, dict) and set(cond) == {"$in"} and len(cond["$in"]) > PAGE:
        return field, list(cond["$in"])
    return None


def _merge(out: dict[str, list], got: dict[str, Any], include: list[str]) -> None:
    out["ids"].extend(got["ids"])
    for key in include:
        values = got.get(key)
        out[key].extend(values if values is not None else [None] * len(got["ids"]))
