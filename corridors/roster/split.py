"""Split a week's roster into parts that can be solved apart: components, then areas.

CONTRACT:
- ``split_week(slots, people, *, used_min=None, centres=None, max_pairs=None)
  -> list[Part]``

A person is *eligible* for a slot when the model would give them a variable for it
(:func:`corridors.roster.rules._candidate` and the hours left). The connected components of
the person-slot eligibility graph share no person, and every term of the objective belongs
to one slot, one assignment, one person x loop or one person: so solving each component
alone and putting the plans together is the same as solving the week whole, and the sum of
the components' bounds is a bound of the whole.

A component with more than ``max_pairs`` eligible pairs is cut further by area: its loops
are split in two at the median of their centres (along the longer side), again and again,
until each area's share of the pairs is below ``max_pairs``. People then patrol only in the
areas of the schools they are linked to (``schools`` in the staff file); a person linked to
no school of the component is placed in one area, the one with the fewest people of their
agency per slot. A person linked to schools in two or more areas *spans* them: they are a
candidate in each on some of their weekdays (taken in turn), with the same share of their
week's hours; the coupling step (:mod:`corridors.roster.couple`) checks the areas' plans
together and takes back any patrol that breaks their hours or overlaps another. Areas change
the model (people stay near their schools): see :mod:`corridors.roster.parts` for what the
gap then means.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from corridors.roster.rules import _candidate, _Person, _slot_keys
from corridors.roster.schema import DATE, LOOP_ID, SLOT_ID

#: A component with more eligible (person, slot) pairs than this is cut by area. The
#: borough benchmark weeks have 18,000-30,000; the model's memory and the LP's time grow with
#: the pairs (a 576,000-pair week did not solve in its time).
MAX_PAIRS = 50_000

_Sig = tuple[Any, int, int, int]  # a slot's date, start, end and duration: who may walk it


@dataclass(frozen=True)
class Part:
    """A part of the week to solve on its own: its slots and the people who may walk them.

    ``slot_ids`` in the week's slot order, ``people`` (person ids) in the staff's order;
    ``pairs`` the eligible (person, slot) pairs; ``area``: cut out of a larger component by
    area, so some of its people (``spanning``) are in other parts too, with ``share`` of
    their hours here.
    """

    slot_ids: tuple[str, ...]
    people: tuple[str, ...]
    pairs: int
    area: bool = False
    spanning: frozenset[str] = frozenset()
    #: spanning person -> their share of the week's hours here, and their weekdays here
    share: tuple[tuple[str, float, tuple[int, ...]], ...] = ()


def _signature(s: Mapping[Any, Any]) -> _Sig:
    return (s[DATE], int(s["start_min"]), int(s["end_min"]), int(s["duration_min"]))


def eligible_by_signature(
    recs: Sequence[Mapping[Any, Any]], people: Sequence[_Person], used_min: Mapping[str, int]
) -> dict[_Sig, list[int]]:
    """Return the indices (into ``people``) of those eligible, per slot signature."""
    out: dict[_Sig, list[int]] = {}
    for s in recs:
        sig = _signature(s)
        if sig not in out:
            out[sig] = [
                i
                for i, p in enumerate(people)
                if _candidate(p, s) and used_min.get(p.pid, 0) + s["duration_min"] <= p.max_min
            ]
    return out


def _find(parent: list[int], i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def _components(
    recs: Sequence[Mapping[Any, Any]], n_people: int, elig: Mapping[_Sig, list[int]]
) -> list[list[int]]:
    """Group the slots (indices into ``recs``) by component, in order of first slot.

    Slots nobody may walk join the first component (they stay unfilled wherever they are).
    """
    parent = list(range(n_people))
    for idx in elig.values():
        for i in idx[1:]:
            a, b = _find(parent, idx[0]), _find(parent, i)
            if a != b:
                parent[max(a, b)] = min(a, b)
    groups: dict[int, list[int]] = {}
    nobody: list[int] = []
    for k, s in enumerate(recs):
        idx = elig[_signature(s)]
        if idx:
            groups.setdefault(_find(parent, idx[0]), []).append(k)
        else:
            nobody.append(k)
    comps = list(groups.values())
    if not comps:
        return [nobody] if nobody else []
    comps[0] = sorted(comps[0] + nobody)
    return comps


def split_week(
    slots: pd.DataFrame,
    people: Sequence[_Person],
    *,
    used_min: Mapping[str, int] | None = None,
    centres: Mapping[str, tuple[float, float]] | None = None,
    max_pairs: int | None = None,
) -> list[Part]:
    """Split the week into parts to solve apart (see the module's docstring).

    ``centres``: each loop's centre (loop id -> x, y), needed to cut a large component by
    area; without them, components are kept whole. ``max_pairs``: default
    :data:`MAX_PAIRS`. One part with ``area`` False is the whole
    week: it is solved as one model.
    """
    max_pairs = MAX_PAIRS if max_pairs is None else max_pairs
    recs = slots.to_dict("records")
    elig = eligible_by_signature(recs, people, used_min or {})
    parts: list[Part] = []
    for comp in _components(recs, len(people), elig):
        idx = sorted({i for k in comp for i in elig[_signature(recs[k])]})
        pairs = sum(len(elig[_signature(recs[k])]) for k in comp)
        if pairs > max_pairs and centres:
            parts += _by_area([recs[k] for k in comp], people, idx, elig, centres, max_pairs)
        else:
            parts.append(Part(tuple(str(recs[k][SLOT_ID]) for k in comp),
                              tuple(people[i].pid for i in idx), pairs))  # fmt: skip
    return parts


def _cut(
    recs: Sequence[Mapping[Any, Any]],
    centres: Mapping[str, tuple[float, float]],
    limit: int,
) -> list[list[int]]:
    """Cut slots (indices into ``recs``) into areas of at most ``limit`` slots.

    By their loops' centres: halves at the median loop, along the longer side, recursively.
    """
    by_loop: dict[str, list[int]] = defaultdict(list)
    for k, s in enumerate(recs):
        by_loop[str(s[LOOP_ID])].append(k)
    out: list[list[int]] = []

    def cut(loops: list[str]) -> None:
        n = sum(len(by_loop[lid]) for lid in loops)
        if n <= limit or len(loops) < 2:
            out.append(sorted(k for lid in loops for k in by_loop[lid]))
            return
        xs, ys = [centres[lid][0] for lid in loops], [centres[lid][1] for lid in loops]
        axis = 0 if max(xs) - min(xs) >= max(ys) - min(ys) else 1
        loops = sorted(loops, key=lambda lid: (centres[lid][axis], lid))
        seen, half = 0, 0
        while half < len(loops) - 1 and seen + len(by_loop[loops[half]]) <= n / 2:
            seen += len(by_loop[loops[half]])
            half += 1
        half = max(half, 1)
        cut(loops[:half])
        cut(loops[half:])

    cut(sorted(lid for lid in by_loop if lid in centres))
    lost = [k for lid in sorted(by_loop) if lid not in centres for k in by_loop[lid]]
    if lost:  # loops without a centre: the first area
        out[:1] = [sorted((out[0] if out else []) + lost)]
    return out


def _homes(
    areas: Sequence[Sequence[int]],
    recs: Sequence[Mapping[Any, Any]],
    people: Sequence[_Person],
    idx: Sequence[int],
    elig: Mapping[_Sig, list[int]],
) -> dict[int, list[int]]:
    """Each person's areas: those of their schools, else one area.

    That one is the area with the fewest people of their agency per slot (of the areas with
    a slot they may walk).
    """
    keys = [frozenset().union(*(_slot_keys(recs[k]) for k in area)) for area in areas]
    sigs = [{_signature(recs[k]) for k in area} for area in areas]
    mine_sigs: dict[int, set[_Sig]] = defaultdict(set)  # person -> signatures they may walk
    for g, who in elig.items():
        for i in who:
            mine_sigs[i].add(g)
    can = {i: [a for a in range(len(areas)) if mine_sigs[i] & sigs[a]] for i in idx}
    home = {i: [a for a in can[i] if people[i].keys & keys[a]] for i in idx}
    count: dict[tuple[int, str], int] = defaultdict(int)
    for i, where in home.items():
        for a in where:
            count[a, people[i].agency] += 1
    for i in idx:  # people linked to none of the component's schools: one area each
        if not home[i]:
            agency = people[i].agency
            a = min(can[i], key=lambda a: ((count[a, agency] + 1) / len(areas[a]), a))
            home[i] = [a]
            count[a, agency] += 1
    return home


def _by_area(
    recs: Sequence[Mapping[Any, Any]],
    people: Sequence[_Person],
    idx: Sequence[int],
    elig: Mapping[_Sig, list[int]],
    centres: Mapping[str, tuple[float, float]],
    max_pairs: int,
) -> list[Part]:
    """Cut one large component by area; place its people (see the module's docstring)."""
    pairs = sum(len(elig[_signature(s)]) for s in recs)
    # an area's pairs grow as its share of the slots squared (its slots x its people)
    limit = max(1, int(len(recs) * (max_pairs / pairs) ** 0.5))
    areas = _cut(recs, centres, limit)
    home = _homes(areas, recs, people, idx, elig)
    spanning = frozenset(people[i].pid for i, where in home.items() if len(where) > 1)
    share: dict[tuple[int, str], tuple[float, tuple[int, ...]]] = {}
    for i, where in home.items():
        if len(where) > 1:  # days taken in turn, hours divided as the days
            days = sorted(people[i].ranges)
            for j, a in enumerate(where):
                mine = tuple(d for n, d in enumerate(days) if n % len(where) == j)
                share[a, people[i].pid] = (len(mine) / max(1, len(days)), mine)
    parts = []
    for a, area in enumerate(areas):
        members = {i for i in idx if a in home[i]}
        n = sum(len(members.intersection(elig[_signature(recs[k])])) for k in area)
        pids = tuple(people[i].pid for i in sorted(members))
        mine_span = spanning.intersection(pids)
        shares = tuple((pid, *share[a, pid]) for pid in sorted(mine_span))
        parts.append(Part(tuple(str(recs[k][SLOT_ID]) for k in area), pids, n, area=True,
                          spanning=mine_span, share=shares))  # fmt: skip
    return parts
