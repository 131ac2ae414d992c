"""The interface message catalogues: the .pot is current, es and de are complete, a missing or
wrong string fails check naming the locale, the msgid and the English file:line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from babel.messages.pofile import read_po, write_po

from bme_bot.checking import LocaleFinding, interface_string_findings
from bme_bot.core.catalogue import ENGLISH, Catalogue
from bme_bot.loading.catalogues import (
    LOCALES_ROOT,
    PROJECT,
    catalogue_findings,
    catalogue_locales,
    extract,
    load_catalogue,
    po_path,
    pot_messages,
)
from bme_bot.loading.errors import LoadError


def test_the_pot_is_current_with_the_code() -> None:
    """`make messages` was run: extraction of the code gives the .pot's msgids."""
    code, pot = extract(), pot_messages()
    assert set(code) == set(pot), (
        f"run make messages: new {sorted(map(str, set(code) - set(pot)))[:3]}, "
        f"gone {sorted(map(str, set(pot) - set(code)))[:3]}"
    )
    assert len(pot) > 80
    for msg in pot.values():
        file, line = msg.locations[0]
        assert (PROJECT / file).is_file() and line > 0


def test_the_shipped_catalogues_are_complete() -> None:
    assert catalogue_locales() == ["de", "es"]
    findings, count = catalogue_findings(["es", "de"])
    assert findings == [] and count == len(pot_messages())
    assert interface_string_findings(["es", "de"]) == []


def test_catalogues_read_from_the_po_files() -> None:
    es, de = load_catalogue("es"), load_catalogue("de")
    assert (es.gettext("Done"), de.gettext("Done")) == ("Listo", "Fertig")
    assert (es.gettext("Not sure"), de.gettext("Not sure")) == ("No sé", "Weiß nicht")
    assert es.gettext("a string nobody wrote") == "a string nobody wrote"
    assert load_catalogue("en") is ENGLISH
    with pytest.raises(LoadError):
        load_catalogue("fr")


def test_plural_forms_follow_the_po_rule() -> None:
    es = load_catalogue("es")
    msgid = "Question {number} of at most {count}"
    assert es.plural_form(1) == 0 and es.plural_form(2) == 2 and es.plural_form(10**6) == 1
    for n in (1, 2, 10**6):
        assert es.ngettext(msgid, msgid, n).startswith("Pregunta {number}")
    words = Catalogue("xx", {}, {"one": ("uno", "muchos")}, lambda n: 0 if n == 1 else 1)
    assert [words.ngettext("one", "many", n) for n in (1, 3)] == ["uno", "muchos"]
    assert [ENGLISH.ngettext("one", "many", n) for n in (1, 3)] == ["one", "many"]


def _broken_copy(tmp_path: Path) -> Path:
    """The shipped catalogues with one Spanish string removed and one German placeholder
    renamed."""
    root = tmp_path / "locales"
    shutil.copytree(LOCALES_ROOT, root)
    for locale, msgid, text in (
        ("es", "Starting again.", ""),
        ("de", "Read all: {title}", "Alles lesen: {titel}"),
    ):
        path = po_path(locale, root)
        with path.open("rb") as handle:
            catalog = read_po(handle, locale=locale)
        catalog[msgid].string = text
        with path.open("wb") as handle:
            write_po(handle, catalog)
    return root


def test_a_missing_or_wrong_string_names_locale_msgid_and_english_line(tmp_path: Path) -> None:
    root = _broken_copy(tmp_path)
    findings, _ = catalogue_findings(["es", "de"], root=root)
    lines = [
        str(LocaleFinding(f.locale, f.key, f.file, f.line, f.message.replace(str(root), "R")))
        for f in findings
    ]
    assert len(lines) == 2, lines
    where = {f.key: (f.file, f.line) for f in findings}
    engine_py = (PROJECT / "bme_bot/core/engine.py").read_text(encoding="utf-8").splitlines()
    file, line = where["msgid 'Starting again.'"]
    assert file == "bme_bot/core/engine.py" and "Starting again." in engine_py[line - 1]
    assert lines[0] == (
        f"bme_bot/core/engine.py:{line}: msgid 'Starting again.': locale 'es': "
        "not translated in R/es/LC_MESSAGES/bme_bot.po"
    )
    assert lines[1].endswith(
        "msgid 'Read all: {title}': locale 'de': placeholders ['{titel}'] differ from the "
        "English ['{title}'] (R/de/LC_MESSAGES/bme_bot.po)"
    )
    assert lines[1].startswith("bme_bot/core/wording.py:")


def test_a_locale_without_a_catalogue_is_a_finding(tmp_path: Path) -> None:
    findings, _ = catalogue_findings(["pt"], root=tmp_path)
    assert [(f.locale, f.key) for f in findings] == [("pt", "catalogue")]
    assert "missing" in findings[0].message


def test_the_core_catalogue_imports_no_babel() -> None:
    source = (PROJECT / "bme_bot/core/catalogue.py").read_text(encoding="utf-8")
    assert "babel" not in source.lower().replace("pybabel", "")
