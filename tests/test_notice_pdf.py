"""The printed notices: an A4 PDF per school and for the area, per language, on the Rutland week."""

# ruff: noqa: RUF001  (times are written with an en dash)
import dataclasses
import io
import re
import shutil
import subprocess
from types import SimpleNamespace

import geopandas as gpd
import numpy as np
import pandas as pd
import pypdf
import pytest
import zxingcpp
from click.testing import CliRunner
from PIL import Image
from shapely.geometry import LineString

from corridors import pipeline, publish
from corridors.cli import cli
from corridors.config import MapConfig, load_config
from corridors.errors import ConfigError
from corridors.maps import NOTICE_TEXT, PRINT_TEXT, notice_pdfs
from corridors.routes import Corridors

try:  # tests/ is on sys.path (rootdir conftest, no package) ...
    from rutland import config_copy
except ImportError:  # ... or tests is a package
    from tests.rutland import config_copy

URL = "https://example.org/rutland/2022-W45/shared.html"
WEEK = "2022-W45"


@pytest.fixture(scope="module")
def config_file(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("notice")
    extra = f'public_url = "{URL}"\nlanguages = ["en", "cy"]\n'  # appended to [maps]
    return config_copy(tmp, tmp / "maps", tmp / "cache", extra=extra)


@pytest.fixture(scope="module")
def planned(config_file):
    result = pipeline.run(load_config(config_file))
    pipeline.write_plan(result)
    return result


def _text(data: bytes) -> list[str]:
    """Each page's text, white space collapsed (lines wrap anywhere on the page)."""
    return [
        " ".join(page.extract_text().split()) for page in pypdf.PdfReader(io.BytesIO(data)).pages
    ]


def _page_image(data: bytes, tmp_path) -> Image.Image:
    """The first page as an image: pdftoppm when installed, else PDFium (pypdfium2)."""
    if shutil.which("pdftoppm"):
        pdf = tmp_path / "page.pdf"
        pdf.write_bytes(data)
        subprocess.run(["pdftoppm", "-r", "200", "-png", "-f", "1", "-l", "1", str(pdf),
                        str(tmp_path / "page")], check=True)  # fmt: skip
        return Image.open(next(tmp_path.glob("page*.png")))
    import pypdfium2

    return pypdfium2.PdfDocument(data)[0].render(scale=200 / 72).to_pil()


def _school_loops(result) -> dict[str, set[str]]:
    """School id -> the loops walked from it this week (the loops table's school_ids)."""
    filled = set(result.rota.slots.loc[result.rota.slots["filled"].astype(bool), "loop_id"])
    out: dict[str, set[str]] = {}
    for loop_id, ids in zip(
        result.plan.loops["loop_id"], result.plan.loops["school_ids"], strict=True
    ):
        for school in str(ids).split(";"):
            if loop_id in filled:
                out.setdefault(school, set()).add(str(loop_id))
    return out


def _stem(school_id: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", school_id.lower()).strip("-")


def _notices(result) -> dict[str, bytes]:
    folder = result.out_dir
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.glob("notice/*.pdf")}


def test_plan_writes_a_notice_per_school_and_language_listed_in_the_manifest(planned):
    schools = _school_loops(planned)
    assert len(schools) >= 3  # Rutland's patrolled secondary schools
    expected = {f"notice/{stem}-{code}.pdf" for stem in ["area", *map(_stem, schools)]
                for code in ("en", "cy")}  # fmt: skip
    assert set(_notices(planned)) == expected
    manifest = publish.read_manifest(planned.out_dir)
    assert expected <= set(manifest["files"])
    assert publish.verify_week(planned.out_dir) == []


def test_each_school_notice_is_one_page_with_its_times_and_the_contact(planned):
    slots = planned.rota.slots[planned.rota.slots["filled"].astype(bool)]
    contact = planned.cfg.maps.contact
    notices = _notices(planned)
    for school, loops in _school_loops(planned).items():
        for code in ("en", "cy"):
            pages = _text(notices[f"notice/{_stem(school)}-{code}.pdf"])
            assert len(pages) == 1, (school, code)
            text = pages[0]
            assert NOTICE_TEXT[code]["title"] in text
            assert contact in text
            mine = slots[slots["loop_id"].isin(loops)]
            for start, end in zip(mine["start"], mine["end"], strict=True):
                assert f"{start}–{end}" in text, (school, start, end)
            others = slots[~slots["loop_id"].isin(loops)]
            for start, end in set(zip(others["start"], others["end"], strict=True)) - set(
                zip(mine["start"], mine["end"], strict=True)
            ):
                assert f"{start}–{end}" not in text  # another school's patrol times
    area = _text(notices["notice/area-en.pdf"])
    assert len(area) == 1
    assert all(f"{s}–{e}" in area[0] for s, e in zip(slots["start"], slots["end"], strict=True))


def test_a_notice_names_only_the_kinds_of_people_rostered_on_its_loops(planned):
    people = planned.rota.assignments
    words = {
        "police_officer": ["police_officer", "police", "school_officer"],
        "pcso": ["pcso"], "school_staff": ["school_staff"], "volunteer": ["volunteer"],
        "youth_worker": ["youth_worker"], "health": ["health"],
    }  # fmt: skip
    seen_absent = 0
    for school, loops in _school_loops(planned).items():
        agencies = set(people.loc[people["loop_id"].isin(loops), "agency"])
        text = _text(_notices(planned)[f"notice/{_stem(school)}-en.pdf"])[0]
        intro = text[text.index("This week") : text.index("after school")]
        for kind, codes in words.items():
            label = NOTICE_TEXT["en"][f"people_{kind}"]
            if agencies & set(codes):
                assert label in intro, (school, kind)
            else:
                assert label not in intro, (school, kind)
                seen_absent += 1
    assert seen_absent  # some kind is not rostered at some school: the sentence is not fixed


def test_no_incident_words_or_coordinates_on_any_notice(planned):
    offences = {str(o) for o in planned.inputs.incidents["offence"].dropna().unique()}
    assert "Violence and sexual offences" in offences
    for name, data in _notices(planned).items():
        for text in _text(data):
            lower = text.lower()
            leaked = [o for o in offences if o.lower() in lower]
            assert not leaked, (name, leaked)
            assert not re.search(r"\d+\.\d{3,}", text), name  # no decimal degrees
            assert not re.search(r"\d{5,}", text), name  # no grid references or OSM ids
            assert "incidents" not in lower and "hotspot" not in lower


def test_the_qr_code_on_the_printed_page_decodes_to_the_public_url(planned, tmp_path):
    data = _notices(planned)["notice/area-en.pdf"]
    found = zxingcpp.read_barcodes(_page_image(data, tmp_path))
    assert [b.text for b in found] == [URL]
    assert found[0].format == zxingcpp.BarcodeFormat.QRCode
    assert PRINT_TEXT["en"]["scan"] in _text(data)[0]


def test_no_qr_code_without_a_public_url(planned, tmp_path):
    cfg = dataclasses.replace(planned.cfg.maps, public_url="", languages=("en",))
    docs = notice_pdfs(street=planned.street, corridors=planned.plan, rota=planned.rota,
                       cfg=cfg, week=WEEK, area_name="Rutland")  # fmt: skip
    data = docs["notice/area-en.pdf"]
    assert zxingcpp.read_barcodes(_page_image(data, tmp_path)) == []
    assert PRINT_TEXT["en"]["scan"] not in _text(data)[0]
    assert planned.cfg.maps.contact in _text(data)[0]


def test_the_same_plan_gives_the_same_bytes(planned):
    made = [
        notice_pdfs(street=planned.street, corridors=planned.plan, rota=planned.rota,
                    cfg=planned.cfg.maps, week=WEEK, area_name="Rutland",
                    timezone="Europe/London")  # as plan writes them: dates as in the UK
        for _ in range(2)
    ]  # fmt: skip
    assert made[0] == made[1]
    assert made[0] == _notices(planned)  # as plan wrote them
    assert "7 November 2022" in _text(made[0]["notice/area-en.pdf"])[0]  # CLDR en_GB, not dd/mm
    info = pypdf.PdfReader(io.BytesIO(made[0]["notice/area-en.pdf"])).metadata
    assert info["/CreationDate"].startswith("D:2000")  # invariant, not the time of the run


def test_without_a_roster_the_notice_says_local_officers_and_partners(planned):
    docs = notice_pdfs(street=planned.street, corridors=planned.plan, rota=None,
                       cfg=planned.cfg.maps, week=WEEK, area_name="Rutland")  # fmt: skip
    text = _text(docs["notice/area-en.pdf"])[0]
    assert NOTICE_TEXT["en"]["people_general"] in text
    assert NOTICE_TEXT["en"]["every_school_day"] in text
    assert "police officers" not in text


def test_a_bad_public_url_is_a_clear_config_error(tmp_path):
    for bad in ("example.org/shared.html", "ftp://example.org/x", "https://", "https://a b"):
        with pytest.raises(ConfigError, match=r"maps\.public_url"):
            MapConfig(public_url=bad)
    config = config_copy(tmp_path, tmp_path / "maps", tmp_path / "cache",
                         extra='public_url = "www.example.org"\n')  # fmt: skip
    result = CliRunner().invoke(cli, ["-c", str(config), "notice", "--week", WEEK])
    assert result.exit_code == 1
    assert "maps.public_url" in result.output and "www.example.org" in result.output
    assert "Traceback" not in result.output


def test_notice_command_remakes_the_notices_and_republishes_the_week(planned, config_file):
    old_text = {name: _text(data) for name, data in _notices(planned).items()}
    (planned.out_dir / "notice" / "area-en.pdf").unlink()  # the folder is not the plan: refused
    refused = CliRunner().invoke(cli, ["-c", str(config_file), "notice", "--week", WEEK])
    assert refused.exit_code == 1 and "missing: notice/area-en.pdf" in refused.output
    pipeline.write_plan(planned)  # the plan again
    before = publish.read_manifest(planned.out_dir)
    result = CliRunner().invoke(cli, ["-c", str(config_file), "notice", "--week", WEEK])
    assert result.exit_code == 0, result.output
    after = publish.read_manifest(planned.out_dir)
    assert publish.verify_week(planned.out_dir) == []
    assert after["run_id"] != before["run_id"] and after["notices"]["run_id"] == after["run_id"]
    assert after["notices"]["maps"]["public_url"] == URL
    assert set(after["files"]) == set(before["files"])
    same = [n for n in before["files"] if not n.startswith("notice/")]
    assert all(after["files"][n] == before["files"][n] for n in same)  # the rest as planned
    assert {name: _text(data) for name, data in _notices(planned).items()} == old_text


def test_notice_command_needs_a_planned_week(config_file):
    result = CliRunner().invoke(cli, ["-c", str(config_file), "notice", "--week", "2022-W40"])
    assert result.exit_code == 1
    assert "run 'corridors plan' first" in result.output


@pytest.fixture(scope="module")
def rtl_docs(planned):
    """The week's notices in Arabic and Urdu (draft translations), as plan would write them."""
    cfg = dataclasses.replace(planned.cfg.maps, languages=("en", "ar", "ur"))
    return notice_pdfs(street=planned.street, corridors=planned.plan, rota=planned.rota,
                       cfg=cfg, week=WEEK, area_name="Rutland", timezone="Europe/London")  # fmt: skip


def _fonts(data: bytes) -> set[str]:
    page = pypdf.PdfReader(io.BytesIO(data)).pages[0]
    return {str(f.get_object()["/BaseFont"]) for f in page["/Resources"]["/Font"].values()}


def test_arabic_and_urdu_notices_are_one_page_each_set_in_noto_naskh(planned, caplog):
    caplog.set_level("WARNING")
    cfg = dataclasses.replace(planned.cfg.maps, languages=("en", "ar", "ur"))
    docs = notice_pdfs(street=planned.street, corridors=planned.plan, rota=planned.rota,
                       cfg=cfg, week=WEEK, area_name="Rutland")  # fmt: skip
    stems = ["area", *map(_stem, _school_loops(planned))]
    assert set(docs) == {f"notice/{s}-{c}.pdf" for s in stems for c in ("en", "ar", "ur")}
    assert not caplog.records  # no language left out
    for stem in stems:
        for code in ("ar", "ur"):
            data = docs[f"notice/{stem}-{code}.pdf"]
            assert len(pypdf.PdfReader(io.BytesIO(data)).pages) == 1, (stem, code)
            fonts = _fonts(data)
            assert any("NotoNaskhArabic" in f for f in fonts), fonts
            assert not any("DejaVu" in f for f in fonts)
        assert not any("Naskh" in f for f in _fonts(docs[f"notice/{stem}-en.pdf"]))


def test_rtl_text_layer_has_the_title_words_the_times_and_the_contact(planned, rtl_docs):
    """
    The glyphs are drawn as outlines and the letters written under them as invisible text,
    so the text layer holds the real letters (not joined forms). pypdf 7 puts a right-to-left
    run back in logical order; a reader that did not would give each word reversed, so a
    word counts in either order: its letters, in sequence, are what is checked.
    """
    slots = planned.rota.slots[planned.rota.slots["filled"].astype(bool)]
    contact = planned.cfg.maps.contact
    for school, loops in _school_loops(planned).items():
        for code in ("ar", "ur"):
            (text,) = _text(rtl_docs[f"notice/{_stem(school)}-{code}.pdf"])
            words = NOTICE_TEXT[code]["title"].split()
            assert all(w in text or w[::-1] in text for w in words), (code, words, text[:200])
            assert all(w in text for w in words)  # today: logical order
            assert all(part in text for part in contact.split())  # may wrap over two lines
            mine = slots[slots["loop_id"].isin(loops)]
            for start, end in zip(mine["start"], mine["end"], strict=True):
                assert f"{start}–{end}" in text, (school, code, start, end)  # kept left to right
            assert not re.search(r"[\ue000-\uf8ff]", text)  # no private-use glyph codes


def _ink(image: Image.Image) -> np.ndarray:
    """Pixels with ink: text (black, or the title's blue) on white paper."""
    return np.asarray(image.convert("L"), dtype=float) < 160


def _text_x(data: bytes, words: str) -> float:
    """The x (points) where the text run holding ``words`` (either order) starts on page 1."""
    found: list[float] = []

    def visit(text, cm, tm, _font, _size):
        if words in text or words[::-1] in text:
            found.append(cm[0] * tm[4] + cm[2] * tm[5] + cm[4])

    pypdf.PdfReader(io.BytesIO(data)).pages[0].extract_text(visitor_text=visit)
    assert found, words
    return found[0]


def test_rtl_page_is_mirrored_the_title_flush_right(planned, rtl_docs, tmp_path):
    dpi = 200
    px = dpi / 25.4  # pixels per mm
    left, right = round(15 * px), round((210 - 15) * px)  # the text area (15 mm margins)
    band = slice(round(12 * px), round(24 * px))  # the title's line under the 12 mm top margin
    half, quarter = (right - left) // 2, (right - left) // 4
    pages = {"en": _notices(planned)["notice/area-en.pdf"]}
    pages |= {code: rtl_docs[f"notice/area-{code}.pdf"] for code in ("ar", "ur")}
    for code, data in pages.items():
        folder = tmp_path / code
        folder.mkdir()
        title = _ink(_page_image(data, folder))[band, left:right]
        cols = title.any(axis=0).nonzero()[0]
        assert title.sum() > 2000, code  # not blank
        if code == "en":  # flush left
            assert cols.min() < 3 * px
            continue
        assert right - left - cols.max() < 3 * px, code  # ends at the right margin
        assert title[:, :quarter].sum() == 0, code  # nothing in the left quarter
        assert title[:, half:].sum() > 2 * title[:, :half].sum(), code
        # the table's columns from the right: where (first) rightmost, who (last) leftmost
        t = NOTICE_TEXT[code]
        assert _text_x(data, t["where"]) > _text_x(data, t["day"]) > _text_x(data, t["who"])


def test_a_loop_shared_by_two_schools_is_on_both_sheets_and_no_count_is():
    walk = LineString([(486000, 308700), (486300, 308700), (486300, 309000), (486000, 308700)])
    loops = gpd.GeoDataFrame(
        {"loop_id": ["C1-L1"], "corridor_id": ["C1"], "school_ids": ["s/1;s/2"],
         "meeting_point": ["Town Gate"], "start_time": ["15:15"], "duration_min": [30.0]},
        geometry=[walk], crs="EPSG:27700",
    )  # fmt: skip
    cors = gpd.GeoDataFrame(
        {"corridor_id": ["C1"], "school_ids": ["s/1;s/2"], "school_names": ["North;South"],
         "patrolled": [True], "incidents": [57], "offences": ['{"Robbery": 57}']},
        geometry=[walk], crs="EPSG:27700",
    )  # fmt: skip
    plan = Corridors(corridors=cors, segments=gpd.GeoDataFrame(), loops=loops,
                     unpatrolled=pd.DataFrame(), notes=())  # fmt: skip
    street = SimpleNamespace(edges=gpd.GeoDataFrame(
        {"highway": ["residential"]}, geometry=[walk], crs="EPSG:27700"))  # fmt: skip
    docs = notice_pdfs(street=street, corridors=plan, rota=None,
                       cfg=MapConfig(contact="Town Team, 101"), week=WEEK, area_name="Town")  # fmt: skip
    assert set(docs) == {"notice/area-en.pdf", "notice/s-1-en.pdf", "notice/s-2-en.pdf"}
    for name, school in (("s-1", "North"), ("s-2", "South")):
        (text,) = _text(docs[f"notice/{name}-en.pdf"])
        assert f"{school} · Town" in text and "Town Gate" in text and "15:15–15:45" in text
        assert "Town Team, 101" in text and NOTICE_TEXT["en"]["every_school_day"] in text
        assert "57" not in text and "Robbery" not in text


def test_rtl_lines_mirror_brackets_keep_times_whole_and_reopen_isolates_when_wrapped():
    from corridors.maps.pdf_fonts import notice_fonts
    from corridors.maps.rtl import FSI, LRI, PDI, visual_runs, wrap_words

    # runs left to right on the page: Arabic words from the right, brackets mirrored
    assert visual_runs("ع (PCSO), ف") == [("ف", True), (" ,(PCSO) ", False), ("ع", True)]
    # a time range in an isolate stays as written (bare, the bidi algorithm would flip it)
    assert visual_runs("من " + LRI + "15:15–15:45" + PDI) == [("15:15–15:45 ", False), ("من", True)]
    assert visual_runs("15:15–15:45") == [("15:45–15:15", False)]
    # an English name before a date: the name stays at the start (the right), the day with its month
    runs = visual_runs(FSI + "Rutland" + PDI + " · 7 نومبر")
    assert runs == [("نومبر", True), (" 7 · Rutland", False)]
    # a contact wrapped over lines: the isolate is reopened on the next line, which would
    # otherwise be laid out right to left ("(24h) 101")
    assert visual_runs("101 (24h)" + PDI) == [("(24h) 101", False)]
    regular, _bold = notice_fonts("rtl")
    lines = wrap_words(FSI + "Rutland Team, 101 (24h)" + PDI, regular, 11, 85)
    assert [line.visual for line in lines] == ["Rutland Team,", "101 (24h)"]


def test_notices_drawn_by_worker_processes_are_the_same_bytes(planned, rtl_docs, monkeypatch):
    from corridors.maps import printed

    cfg = dataclasses.replace(planned.cfg.maps, languages=("en", "ar", "ur"))
    assert len(rtl_docs) >= printed.MIN_POOL_NOTICES  # enough to be drawn by a pool
    pools = []
    real = printed.process_pool

    def spy(n, **kw):
        pools.append(n)
        return real(n, **kw)

    monkeypatch.setattr(printed, "process_pool", spy)
    pooled = notice_pdfs(street=planned.street, corridors=planned.plan, rota=planned.rota,
                         cfg=cfg, week=WEEK, area_name="Rutland", timezone="Europe/London",
                         workers=2)  # fmt: skip
    assert pools == [2]  # two worker processes drew them
    assert pooled == rtl_docs  # the same files, byte for byte, as drawn in one process
