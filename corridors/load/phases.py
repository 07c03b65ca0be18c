"""The phase of education of a school: from its OSM tags, or as written in a schools file.

:data:`PHASES` is the vocabulary of the schools table's ``phase`` column;
:func:`guess_phase` reads it from OSM tags (``isced:level``, ``grades``, ``school*`` tags,
words of the name) and :func:`normalise_phase` maps what a schools file writes to it.
"""

from __future__ import annotations

import re

#: The phase vocabulary of the schools table (the GIAS "phase of education" names, lower
#: case, with "special" and "unknown"). ``[corridors] phases`` chooses among them.
PHASES = (
    "nursery",
    "primary",
    "middle deemed primary",
    "middle deemed secondary",
    "secondary",
    "16 plus",
    "all-through",
    "special",
    "not applicable",
    "unknown",
)

# Phase words in tag values (``school=*``, ``school:FR=*``, ...) and in phase columns, after
# :func:`_tag_word`: lower case, accents kept, spaces and hyphens as "_", "_school" dropped.
_TAG_PHASES = {
    # primary: elementary (US/Canada), infant/junior/first (England), lower (Bedfordshire)
    "primary": "primary",
    "elementary": "primary",
    "infant": "primary",
    "infants": "primary",
    "junior": "primary",
    "first": "primary",
    "lower": "primary",
    "pre_prep": "primary",
    "primaire": "primary",
    "élémentaire": "primary",
    "elementaire": "primary",
    "grundschule": "primary",
    "basisschool": "primary",
    # middle / junior high / intermediate (US, Canada, New Zealand; English middle schools)
    "middle": "middle deemed secondary",
    "intermediate": "middle deemed secondary",
    "junior_high": "middle deemed secondary",
    # secondary: high school, gymnasium, lycée, collège (French, 11-15), ...
    "secondary": "secondary",
    "high": "secondary",
    "senior_high": "secondary",
    "upper": "secondary",
    "grammar": "secondary",
    "comprehensive": "secondary",
    "gymnasium": "secondary",
    "gymnasiet": "secondary",
    "lycée": "secondary",
    "lycee": "secondary",
    "collège": "secondary",
    "college": "secondary",  # a tag or phase value on a school: the French collège
    "collegiate": "secondary",
    "secondaire": "secondary",
    "liceo": "secondary",
    "lyceum": "secondary",
    "realschule": "secondary",
    "hauptschule": "secondary",
    "gesamtschule": "secondary",
    "oberschule": "secondary",
    "mittelschule": "secondary",
    "sixth_form": "16 plus",
    "sixth_form_college": "16 plus",
    "further_education": "16 plus",
    # several phases
    "all_through": "all-through",
    "through": "all-through",
    "k_8": "all-through",
    "k8": "all-through",
    "k_12": "all-through",
    "k12": "all-through",
    "p_12": "all-through",
    "prep": "all-through",
    "preparatory": "all-through",
    "nursery": "nursery",
    "kindergarten": "nursery",
    "preschool": "nursery",
    "pre_school": "nursery",
    "pre_k": "nursery",
    "maternelle": "nursery",
    "special": "special",
    "special_education_needs": "special",
    "university": "not applicable",
    "higher_education": "not applicable",
}
_PHASE_TAG_KEYS = ("school:phase", "school", "school:FR", "school:type", "school:level")
#: Tags that say an object is a school (a "College" with none of them is not one).
_SCHOOL_KEYS = ("isced:level", "grades", *_PHASE_TAG_KEYS)

_W = r"(?<![^\W\d_])"  # a word starts here (accented letters count as letters)
_E = r"(?![^\W\d_])"  # a word ends here


def _words(*alternatives: str) -> re.Pattern[str]:
    return re.compile(_W + "(?:" + "|".join(alternatives) + ")" + _E, re.IGNORECASE)


_HIGHER_WORDS = _words(
    r"universit(?:y|é|e|ät|at|à|a|y college)", "universidad", "polytechnic", "hochschule",
    r"college of (?:art|arts|music|technology|higher education|education|science)",
)  # fmt: skip
_ALL_THROUGH_WORDS = _words(
    r"all[- ]through",
    r"[kp] ?(?:-|\u2013|to) ?(?:8|12)",
    "k12",
    r"prep ?(?:-|\u2013) ?12",
    "through school",
)
_SIXTEEN_WORDS = _words(r"sixth[- ]form (?:college|centre|center)", "further education")
_MIDDLE_WORDS = _words(r"middle school", r"junior high(?: school)?", r"intermediate school")
_PRE_PREP_WORDS = _words("pre-prep")  # English independent schools' ages 3-7
_NURSERY_FIRST_WORDS = _words(r"[ée]cole maternelle", "pre-k", "pre-kindergarten")
_PRIMARY_WORDS = re.compile(
    _W + r"(?:primary|infants?|junior|first school|lower school|elementary|public school|"
    r"state school|c\.? ?of ?e\.?|cofe|c ?e|church of england|[ée]l[ée]mentaire|primaire|"
    r"[ée]cole|groupe scolaire|scuola primaria|basisschool)" + _E + r"|grundschule" + _E,
    re.IGNORECASE,
)
_NOT_PRIMARY_WORDS = _words(
    "college", "collège", "high school", "secondary", "secondaire", "grammar", "lycée", "lycee"
)
_SECONDARY_WORDS = re.compile(
    _W + r"(?:high school|high|secondary|secondaire|grammar|upper school|upper|senior high|"
    r"coll[èe]ge prep(?:aratory)?|collège|collegiate|lyc[ée]e|liceo|lyceum|scuola media|"
    r"instituto|gymnasiet)" + _E
    + r"|(?:gymnasium|realschule|hauptschule|gesamtschule|oberschule|mittelschule)" + _E,
    re.IGNORECASE,
)  # fmt: skip
_COLLEGE_WORDS = _words("college")
_PREP_WORDS = _words("prep", "preparatory")
_NURSERY_WORDS = _words("nursery", r"pre-?school", "kindergarten", "kita")
_SPECIAL_WORDS = _words("special school")


def _tag_word(value: str) -> str:
    word = re.sub(r"[\s\-\u2013]+", "_", value.strip().lower())
    return word.removesuffix("_school").removesuffix("_schule") or word


def _grades_phase(value: str) -> str | None:
    """
    Return the phase of a ``grades`` value ("K-5", "6-8", "9-12", "PK-8", "K;1;2"), or None.

    Kindergarten and earlier (``PK``, ``TK``, ``JK``, ``K``, ``P``, ``R``) count as grade 0.
    Grades up to 6 are primary; 6-9 middle; 9 (10, 11) and up secondary (16 plus from 11);
    a span from primary into middle or high school is all-through.
    """
    text = value.strip().lower()
    if not text:
        return None
    text = re.sub(r"\b(?:pre-?k|[pjst]k|k\d?|p|r|f)\b", "0", text)
    lo: int | None = None
    hi: int | None = None
    for part in re.split(r"[;,/\s]+", text):
        if not part:
            continue
        m = re.fullmatch(r"(\d{1,2})(?:\s*(?:-|\u2013|to)\s*(\d{1,2}))?", part)
        if not m:
            return None
        a = int(m.group(1))
        b = int(m.group(2)) if m.group(2) else a
        a, b = min(a, b), max(a, b)
        if b > 13:
            return None
        lo = a if lo is None else min(lo, a)
        hi = b if hi is None else max(hi, b)
    if lo is None or hi is None:
        return None
    if hi <= 6:
        return "primary"
    if lo <= 5:
        return "all-through"
    if lo >= 11:
        return "16 plus"
    if hi <= 9:
        return "middle deemed secondary"
    return "secondary"


_SCHOOL_AGE = ("middle deemed secondary", "secondary", "16 plus", "all-through")


def _tag_phase(value: str) -> str | None:
    """Return the phase named by one tag or column value (``;``/``,`` lists combine)."""
    found: list[str] = []
    for part in re.split(r"[;,]", value):
        phase = _TAG_PHASES.get(_tag_word(part))
        if phase and phase not in found:
            found.append(phase)
    if not found:
        return None
    if "primary" in found and any(p != "primary" and p in _SCHOOL_AGE for p in found):
        return "all-through"
    return found[0]


def _name_phase(name: str, *, school: bool) -> str | None:
    """Return the phase that words of a school's name say, or None (``school``: tagged one)."""
    if not name:
        return None
    if _ALL_THROUGH_WORDS.search(name):
        return "all-through"
    if _SIXTEEN_WORDS.search(name):
        return "16 plus"
    if _MIDDLE_WORDS.search(name):
        return "middle deemed secondary"
    if _PRE_PREP_WORDS.search(name):
        return "primary"
    if _NURSERY_FIRST_WORDS.search(name):
        return "nursery"
    if _PRIMARY_WORDS.search(name) and not _NOT_PRIMARY_WORDS.search(name):
        return "primary"
    if _SECONDARY_WORDS.search(name):
        return "secondary"
    if _PREP_WORDS.search(name):
        return "all-through"
    if _HIGHER_WORDS.search(name):  # after the school words: "University High School"
        return "not applicable"
    if school and _COLLEGE_WORDS.search(name):
        return "secondary"
    if _NURSERY_WORDS.search(name):
        return "nursery"
    if _SPECIAL_WORDS.search(name):
        return "special"
    return None


def normalise_phase(value: str) -> str:
    """
    Map a phase written in a schools file to the phase vocabulary (:data:`PHASES`).

    Values already in the vocabulary (any case) stay; school words of other countries map
    to their phase ("Elementary" -> primary, "High School" -> secondary, "Middle School" ->
    middle deemed secondary, "K-8" -> all-through, "Gymnasium" -> secondary, grades such
    as "9-12"); an empty value is "unknown"; anything else is kept (lower case), so that
    ``[corridors] phases`` can name it.

    Examples
    --------
    >>> [normalise_phase(v) for v in ["Primary", "Elementary", "High School", "K-12", ""]]
    ['primary', 'primary', 'secondary', 'all-through', 'unknown']
    >>> normalise_phase("Adult learning")
    'adult learning'
    """
    low = value.strip().lower()
    if low in PHASES:
        return low
    if not low:
        return "unknown"
    return _tag_phase(low) or _grades_phase(low) or _name_phase(low, school=True) or low


def guess_phase(tags: dict[str, str]) -> str:
    """
    Guess a school's phase of education from its OSM tags.

    The order is:

    1. ``amenity=college`` or ``university`` -> "not applicable" (not a school);
    2. ``isced:level`` (0 -> nursery, 1 -> primary, 2/3 -> secondary, 1 with 2 or 3 ->
       all-through, 4 -> 16 plus, only 5 and above -> not applicable);
    3. ``grades`` (US/Canada: "K-5" -> primary, "6-8" -> middle deemed secondary, "9-12" ->
       secondary, "K-8"/"K-12" -> all-through);
    4. phase words in ``school:phase``, ``school``, ``school:FR``, ``school:type`` or
       ``school:level`` (primary, elementary, middle, junior_high, secondary, high,
       gymnasium, lycée, collège, ...);
    5. words in the name: "All-through", "K-12", "K-8", "P-12" -> all-through; "Sixth Form
       College" -> 16 plus; "Middle School", "Junior High", "Intermediate School" -> middle
       deemed secondary; "Primary", "Elementary", "Infant", "Junior", "Public School",
       "C of E"/"CofE", "École", "Grundschule" -> primary; "High School", "High",
       "Secondary", "Grammar", "Upper", "Gymnasium", "Lycée", "Collège", "Collegiate" ->
       secondary; "Prep"/"Preparatory" -> all-through (pupils of several phases);
       "University" -> not applicable; "College" -> secondary only on an object tagged as
       a school (``amenity=school`` or a ``school*``/``isced:level``/``grades`` tag);
       "Nursery", "Preschool", "Kindergarten" -> nursery; "Academy" alone says nothing
       (most English academies are primary schools);
    6. ``school:type=independent`` -> all-through (most English independent schools with no
       other hint take pupils of several phases);
    7. else "unknown".

    Parameters
    ----------
    tags
        The OSM tags of one ``amenity=school`` object.

    Returns
    -------
    str
        A lower-case phase as used in the schools table (one of :data:`PHASES`).

    Examples
    --------
    >>> guess_phase({"amenity": "school", "name": "Catmose College"})
    'secondary'
    >>> guess_phase({"amenity": "university", "name": "Boston College"})
    'not applicable'
    >>> guess_phase({"name": "Uppingham School", "isced:level": "2;3"})
    'secondary'
    >>> guess_phase({"name": "Oakham CofE Primary School"})
    'primary'
    >>> guess_phase({"amenity": "school", "name": "Lincoln Elementary", "grades": "K-5"})
    'primary'
    >>> guess_phase({"name": "Hodges"})
    'unknown'
    >>> guess_phase({"name": "Cottesmore Millfield Academy"})
    'unknown'
    """
    if tags.get("amenity") in ("college", "university"):
        return "not applicable"
    phase = _isced_phase(tags.get("isced:level", "")) or _grades_phase(tags.get("grades", ""))
    if phase:
        return phase
    for key in _PHASE_TAG_KEYS:
        phase = _tag_phase(tags.get(key, ""))
        if phase:
            return phase
    school = tags.get("amenity") == "school" or any(k in tags for k in _SCHOOL_KEYS)
    name = tags.get("name", "") or tags.get("official_name", "")
    phase = _name_phase(name, school=school)
    if phase:
        return phase
    if tags.get("school:type", "").lower() == "independent":
        return "all-through"
    return "unknown"


def _isced_phase(isced: str) -> str | None:
    """Return the phase of an ``isced:level`` value ("1", "2;3", "1-3"), or None.

    0 -> nursery, 1 -> primary, 2/3 -> secondary, 1 with 2 or 3 -> all-through, 4 -> 16 plus
    (secondary with 4 too), only 5 and above -> not applicable.
    """
    levels = {int(d) for d in re.findall(r"\d", isced.replace("-", ";"))}
    if "-" in isced:  # a range such as "1-3"
        nums = sorted(levels)
        if nums:
            levels = set(range(nums[0], nums[-1] + 1))
    if not levels:
        return None
    upper = bool(levels & {2, 3})
    if 1 in levels and upper:
        return "all-through"
    if upper:
        return "secondary" if 4 not in levels else "16 plus"
    if 1 in levels:
        return "primary"
    if levels == {0}:
        return "nursery"
    if 4 in levels:
        return "16 plus"
    if min(levels) >= 5:
        return "not applicable"
    return None
