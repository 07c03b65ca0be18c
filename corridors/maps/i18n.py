"""
The shared notice's words: translations, language checks, kinds of people and agency names.

To add a language, add its code to :data:`NOTICE_TEXT` with every key of ``"en"`` and list
it in the config (``[maps] languages = ["en", "xx"]``); :func:`check_languages` refuses a
configured language without a translation.
"""

# ruff: noqa: RUF001  (translations hold non-ASCII letters and en dashes)
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import pandas as pd

from corridors.config import MapConfig
from corridors.errors import ConfigError

if TYPE_CHECKING:
    from corridors.roster import Roster

# -- translation table --------------------------------------------------------------------
# TRANSLATION TABLE for the shared notice. To add a language, add its code with EVERY key of
# "en" (tests check that) and list the code in the config: [maps] languages = ["en", "xx"].
# "{...}" placeholders must be kept as they are. English is the reference text.
# "cy" (Welsh), "tr" (Turkish), "ar" (Arabic) and "ur" (Urdu) are drafts by the developers:
# have a native speaker check them before a notice is published in those languages. Day
# names and dates come from Babel (corridors.maps.dates), and so does the writing direction
# (Arabic and Urdu are laid out right to left).


NOTICE_TEXT: dict[str, dict[str, str]] = {
    "en": {
        "language": "English",
        "title": "Safer walks home from school",
        "week": "Week beginning {week_start}",
        "intro": (
            "This week, {who} will walk these routes after school. If you are walking home, "
            "you are welcome to say hello or to walk with them."
        ),
        # {who} in "intro": the kinds of people rostered this week (people_<kind>, joined with
        # "and"), or people_general when the week has no roster (no staff file)
        "people_general": "local officers and partners",
        "people_police_officer": "police officers",
        "people_pcso": "police community support officers (PCSOs)",
        "people_youth_worker": "youth workers",
        "people_school_staff": "school staff",
        "people_health": "health workers",
        "people_volunteer": "volunteers",
        "people_other": "staff of other local services",
        "and": "and",
        "day": "Day",
        "time": "Time",
        "where": "Meeting point",
        "who": "Who walks",
        "every_school_day": "Every school day",
        "none": "No patrols are planned this week.",
        "contact": "Questions or worries? Contact: {contact}",
        "emergency": "In an emergency always call 999.",
        "privacy": (
            "This map shows routes and times only. It does not show where any incident happened."
        ),
        "routes": "Patrol routes",
        "meeting_points": "Meeting points",
        "streets": "Streets",
        "map_label": "Map of this week's patrol routes (the notice lists them as text)",
        "toggle": "Show or hide the notice",
        "show_on_map": "Show on map",  # a notice row's button: the map goes to its routes
    },
    "cy": {  # draft: needs checking by a Welsh speaker
        "language": "Cymraeg",
        "title": "Teithiau cerdded mwy diogel adref o'r ysgol",
        "week": "Wythnos yn dechrau {week_start}",
        "intro": (
            "Bydd {who} yn cerdded y llwybrau hyn ar ôl ysgol yr wythnos hon. Os ydych chi'n "
            "cerdded adref, mae croeso i chi ddweud helo neu gerdded gyda nhw."
        ),
        # police officers, youth workers and school staff as in the old, fixed sentence; the
        # other kinds are new drafts. Every word below starts with a consonant that "a" (and)
        # leaves unchanged; check the mutations if a word is changed.
        "people_general": "swyddogion lleol a phartneriaid",
        "people_police_officer": "swyddogion yr heddlu",
        "people_pcso": "swyddogion cymorth cymunedol yr heddlu (PCSO)",
        "people_youth_worker": "gweithwyr ieuenctid",
        "people_school_staff": "staff ysgolion",
        "people_health": "gweithwyr iechyd",
        "people_volunteer": "gwirfoddolwyr",
        "people_other": "staff gwasanaethau lleol eraill",
        "and": "a",
        "day": "Diwrnod",
        "time": "Amser",
        "where": "Man cyfarfod",
        "who": "Pwy sy'n cerdded",
        "every_school_day": "Bob diwrnod ysgol",
        "none": "Does dim patrolau wedi'u cynllunio yr wythnos hon.",
        "contact": "Cwestiynau neu bryderon? Cysylltwch â: {contact}",
        "emergency": "Mewn argyfwng, ffoniwch 999 bob amser.",
        "privacy": (
            "Mae'r map hwn yn dangos llwybrau ac amseroedd yn unig. Nid yw'n dangos ble "
            "digwyddodd unrhyw ddigwyddiad."
        ),
        "routes": "Llwybrau patrolio",
        "meeting_points": "Mannau cyfarfod",
        "streets": "Strydoedd",
        "map_label": (
            "Map o lwybrau patrolio'r wythnos hon (mae'r hysbysiad yn eu rhestru fel testun)"
        ),
        "toggle": "Dangos neu guddio'r hysbysiad",
        "show_on_map": "Dangos ar y map",
    },
    "tr": {  # draft: needs checking by a Turkish speaker
        "language": "Türkçe",
        "title": "Okuldan eve daha güvenli yürüyüş",
        "week": "{week_start} tarihinde başlayan hafta",
        "intro": (
            "Bu hafta okul çıkışında {who} bu güzergâhlarda yürüyecek. Eve yürüyorsanız onlara "
            "merhaba diyebilir ya da onlarla birlikte yürüyebilirsiniz."
        ),
        # police officers, youth workers and school staff as in the old, fixed sentence; the
        # other kinds are new drafts (the PCSO term especially)
        "people_general": "yerel görevliler ve ortak kurumların çalışanları",
        "people_police_officer": "polis memurları",
        "people_pcso": "toplum destek görevlileri (PCSO)",
        "people_youth_worker": "gençlik çalışanları",
        "people_school_staff": "okul personeli",
        "people_health": "sağlık çalışanları",
        "people_volunteer": "gönüllüler",
        "people_other": "diğer yerel kurumların çalışanları",
        "and": "ve",
        "day": "Gün",
        "time": "Saat",
        "where": "Buluşma noktası",
        "who": "Kimler yürüyor",
        "every_school_day": "Her okul günü",
        "none": "Bu hafta planlanmış devriye yok.",
        "contact": "Sorularınız ya da endişeleriniz mi var? İletişim: {contact}",
        "emergency": "Acil bir durumda her zaman 999'u arayın.",
        "privacy": (
            "Bu harita yalnızca güzergâhları ve saatleri gösterir. Herhangi bir olayın nerede "
            "yaşandığını göstermez."
        ),
        "routes": "Devriye güzergâhları",
        "meeting_points": "Buluşma noktaları",
        "streets": "Sokaklar",
        "map_label": (
            "Bu haftanın devriye güzergâhlarının haritası (duyuru bunları metin olarak listeler)"
        ),
        "toggle": "Duyuruyu göster ya da gizle",
        "show_on_map": "Haritada göster",
    },
    "ar": {  # draft: needs checking by an Arabic speaker
        "language": "العربية",
        "title": "طريق أكثر أمانًا من المدرسة إلى البيت",
        "week": "الأسبوع الذي يبدأ في {week_start}",
        "intro": (
            "هذا الأسبوع، سيسير {who} في هذه الطرق بعد المدرسة. إذا كنت عائدًا إلى البيت "
            "مشيًا، فمرحبًا بك أن تلقي عليهم التحية أو أن تمشي معهم."
        ),
        "people_general": "موظفون محليون وشركاؤهم",
        "people_police_officer": "ضباط الشرطة",
        "people_pcso": "مساعدو الشرطة المجتمعية (PCSO)",
        "people_youth_worker": "العاملون مع الشباب",
        "people_school_staff": "موظفو المدارس",
        "people_health": "العاملون في الصحة",
        "people_volunteer": "المتطوعون",
        "people_other": "موظفو خدمات محلية أخرى",
        "and": "و",
        "day": "اليوم",
        "time": "الوقت",
        "where": "نقطة اللقاء",
        "who": "من يسير",
        "every_school_day": "كل يوم دراسي",
        "none": "لا توجد دوريات مخططة هذا الأسبوع.",
        "contact": "أسئلة أو مخاوف؟ تواصل مع: {contact}",
        "emergency": "في حالة الطوارئ اتصل دائمًا بالرقم 999.",
        "privacy": "تعرض هذه الخريطة الطرق والأوقات فقط. ولا تعرض مكان وقوع أي حادث.",
        "routes": "طرق الدوريات",
        "meeting_points": "نقاط اللقاء",
        "streets": "الشوارع",
        "map_label": "خريطة طرق دوريات هذا الأسبوع (الإشعار يذكرها نصًا)",
        "toggle": "إظهار الإشعار أو إخفاؤه",
        "show_on_map": "عرض على الخريطة",
    },
    "ur": {  # draft: needs checking by an Urdu speaker
        "language": "اردو",
        "title": "اسکول سے گھر تک زیادہ محفوظ راستہ",
        "week": "{week_start} سے شروع ہونے والا ہفتہ",
        "intro": (
            "اس ہفتے اسکول کے بعد {who} ان راستوں پر پیدل چلیں گے۔ اگر آپ پیدل گھر جا رہے ہیں "
            "تو آپ انہیں سلام کر سکتے ہیں یا ان کے ساتھ چل سکتے ہیں۔"
        ),
        "people_general": "مقامی اہلکار اور شراکت دار",
        "people_police_officer": "پولیس افسران",
        "people_pcso": "پولیس کمیونٹی سپورٹ افسران (PCSO)",
        "people_youth_worker": "یوتھ ورکرز",
        "people_school_staff": "اسکول کا عملہ",
        "people_health": "صحت کے کارکن",
        "people_volunteer": "رضاکار",
        "people_other": "دیگر مقامی اداروں کا عملہ",
        "and": "اور",
        "day": "دن",
        "time": "وقت",
        "where": "ملنے کی جگہ",
        "who": "کون چلے گا",
        "every_school_day": "ہر اسکول کے دن",
        "none": "اس ہفتے کوئی گشت طے نہیں ہے۔",
        "contact": "سوالات یا خدشات؟ رابطہ کریں: {contact}",
        "emergency": "ہنگامی صورت میں ہمیشہ 999 پر کال کریں۔",
        "privacy": (
            "یہ نقشہ صرف راستے اور اوقات دکھاتا ہے۔ یہ نہیں دکھاتا کہ کوئی واقعہ کہاں پیش آیا۔"
        ),
        "routes": "گشت کے راستے",
        "meeting_points": "ملنے کی جگہیں",
        "streets": "گلیاں",
        "map_label": "اس ہفتے کے گشت کے راستوں کا نقشہ (اعلان انہیں متن کے طور پر درج کرتا ہے)",
        "toggle": "اعلان دکھائیں یا چھپائیں",
        "show_on_map": "نقشے پر دکھائیں",
    },
}
#: Kinds of people the shared notice names, in this order (``people_<kind>`` in NOTICE_TEXT).
PEOPLE_KINDS = (
    "police_officer", "pcso", "youth_worker", "school_staff", "health", "volunteer", "other",
)  # fmt: skip
#: Roster agencies (``corridors.roster.AGENCIES``) -> kinds: school-linked officers are police.
_KIND_OF_AGENCY = {
    "police_officer": "police_officer",
    "police": "police_officer",
    "school_officer": "police_officer",
    "pcso": "pcso",
    "youth_worker": "youth_worker",
    "school_staff": "school_staff",
    "health": "health",
    "volunteer": "volunteer",
    "other": "other",
}
#: Roster agency / role codes -> words for the shared notice (others: "_" -> " ", capitalised).
AGENCY_LABELS = {
    "police_officer": "Police",
    "police": "Police",
    "pcso": "Police (PCSO)",
    "youth_worker": "Youth workers",
    "school_officer": "Police (school-linked officer)",
    "school_staff": "School staff",
    "volunteer": "Volunteers",
    "health": "Health service",
    "other": "Other local services",
}


def check_languages(cfg: MapConfig) -> None:
    """
    Raise if a language of the shared notice has no translation.

    Raises
    ------
    ConfigError
        Naming the languages without a translation in :data:`NOTICE_TEXT`.
    """
    missing = [code for code in cfg.languages if code not in NOTICE_TEXT]
    if missing:
        raise ConfigError(
            f"maps.languages: no notice translation for {missing}; known: {sorted(NOTICE_TEXT)}. "
            "Add the language to corridors.maps.NOTICE_TEXT or remove it from the config."
        )


def rostered_kinds(rota: Roster | None) -> tuple[str, ...]:
    """
    Return the kinds of people (:data:`PEOPLE_KINDS`) on the roster's patrols this week.

    Agencies outside the roster's codes count as ``"other"``; people on a slot the roster
    left unfilled (``slots.filled``, matched by ``slot_id``) do not walk and do not count; no
    roster (or nobody on it) gives ``()``, and the notice then uses its general wording.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> import pandas as pd
    >>> rota = SimpleNamespace(assignments=pd.DataFrame(
    ...     {"agency": ["youth_worker", "school_officer", "pcso", "youth_worker"]}))
    >>> rostered_kinds(rota), rostered_kinds(None)
    (('police_officer', 'pcso', 'youth_worker'), ())
    """
    people = _walking(rota)
    if people is None:
        return ()
    found = {_kind_of(a) for a in people["agency"].dropna()}
    return tuple(k for k in PEOPLE_KINDS if k in found)


def kinds_by_loop(rota: Roster | None) -> dict[str, tuple[str, ...]]:
    """
    Return :func:`rostered_kinds` of each loop's patrols, by loop id (as text), in one pass.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> import pandas as pd
    >>> rota = SimpleNamespace(assignments=pd.DataFrame(
    ...     {"loop_id": ["L1", "L1", "L2"], "agency": ["pcso", "youth_worker", "teacher"]}))
    >>> kinds_by_loop(rota)
    {'L1': ('pcso', 'youth_worker'), 'L2': ('other',)}
    """
    people = _walking(rota)
    if people is None or "loop_id" not in people.columns:
        return {}
    found: dict[str, set[str]] = {}
    for loop_id, agency in zip(people["loop_id"].astype(str), people["agency"], strict=True):
        if agency is not None and not pd.isna(agency):
            found.setdefault(loop_id, set()).add(_kind_of(agency))
    return {lid: tuple(k for k in PEOPLE_KINDS if k in kinds) for lid, kinds in found.items()}


def _kind_of(agency: object) -> str:
    return _KIND_OF_AGENCY.get(re.sub(r"[\s-]+", "_", str(agency).strip().lower()), "other")


def _walking(rota: Roster | None) -> pd.DataFrame | None:
    """Return the roster's assignments on filled slots (None: nobody, or no agencies)."""
    people: pd.DataFrame | None = getattr(rota, "assignments", None)
    if people is None or not len(people) or "agency" not in people.columns:
        return None
    slots = getattr(rota, "slots", None)
    if slots is not None and {"slot_id", "filled"} <= set(slots.columns) and "slot_id" in people:
        walked = set(slots.loc[slots["filled"].astype(bool), "slot_id"].astype(str))
        people = people[people["slot_id"].astype(str).isin(walked)]  # nobody on unfilled slots
    return people


def _people_text(kinds: Sequence[str], text: Mapping[str, str]) -> str:
    """Return the kinds of people as words of the notice's language: "a, b and c"."""
    words = [text[f"people_{k}"] for k in kinds] or [text["people_general"]]
    if len(words) == 1:
        return words[0]
    return f"{', '.join(words[:-1])} {text['and']} {words[-1]}"


def _agency_label(code: object) -> str:
    text = str(code).strip()
    return AGENCY_LABELS.get(
        text.lower(), text.replace("_", " ")[:1].upper() + text.replace("_", " ")[1:]
    )
