"""The studio in a real browser: headless Chromium from Debian, driven by Selenium with the
system chromedriver (SE_OFFLINE: Selenium Manager never downloads anything).

One page per test: an emergency by buttons, a self-care ending with one answer given by keyboard
alone and a checklist, a counterexample replayed from the proofs, and a transcript saved from
the page and replayed by `bme-bot console --transcript`. A screenshot of each step goes to
the test's folder. In CI (CI=true) a missing browser fails; elsewhere it skips, saying why.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from bme_bot.cli import main
from bme_bot.config import load_settings
from bme_bot.studio.server import make_app
from bme_bot.studio.workspace import Workspace

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
WAIT = 15
E2_TRANSCRIPT = """name: cannot walk
start: {asks: consent}
steps:
  - {input: agree, asks: walk}
  - {input: "3", disposition: emergency, rule: E2, done: true}
"""


def _missing() -> str | None:
    if not CHROMIUM.exists() or not CHROMEDRIVER.exists():
        return f"needs {CHROMIUM} and {CHROMEDRIVER} (apt-get install chromium chromium-driver)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "needs selenium (pip install -e '.[dev]')"
    return None


def _need_browser() -> None:
    reason = _missing()
    if reason is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"the browser test must run in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The studio on a copy of the example and unsafe flows, served from a thread."""
    _need_browser()
    flows = tmp_path_factory.mktemp("flows")
    for name in ("flows_doc_example.yaml", "unsafe_flow.yaml"):
        shutil.copy(FIXTURES / name, flows / name)
    transcripts = tmp_path_factory.mktemp("transcripts")
    (transcripts / "e2.yaml").write_text(E2_TRANSCRIPT)
    space = Workspace.open(load_settings({}), flows, transcripts=transcripts)
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(make_app(space))
    loop.run_until_complete(runner.setup())
    site = web.TCPSite(runner, "127.0.0.1", 0)
    loop.run_until_complete(site.start())
    port = runner.addresses[0][1]
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.run_until_complete(runner.cleanup())
        loop.close()


@pytest.fixture(scope="module")
def downloads(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="module")
def driver(studio: str, downloads: Path) -> Iterator[Any]:
    os.environ["SE_OFFLINE"] = "true"
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1366,900",
    ):
        options.add_argument(argument)
    options.add_experimental_option(
        "prefs",
        {"download.default_directory": str(downloads), "download.prompt_for_download": False},
    )
    browser = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        yield browser
    finally:
        browser.quit()


@pytest.fixture()
def page(driver: Any, studio: str, tmp_path: Path) -> Iterator[Any]:
    """A fresh page on the example flow; `page.shot(name)` saves a screenshot."""
    driver.get(studio)
    shots = tmp_path / "screenshots"
    shots.mkdir()
    driver.shot = lambda name: driver.save_screenshot(str(shots / f"{name}.png"))
    wait_for(driver, lambda d: d.find_elements("css selector", ".option[data-option='agree']"))
    yield driver


def wait_for(driver: Any, condition: Callable[[Any], Any]) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, WAIT).until(condition)


def click(driver: Any, selector: str) -> None:
    """Click once the element is there (the chat is drawn anew after every answer)."""
    wait_for(
        driver,
        lambda d: d.execute_script(
            "const e = document.querySelector(arguments[0]); if (e) e.click(); return !!e;",
            selector,
        ),
    )


def attribute(driver: Any, selector: str, name: str) -> str:
    """Read in one script call, so a redraw between finding and reading cannot interfere."""
    value = driver.execute_script(
        "const e = document.querySelector(arguments[0]);"
        "return e ? (arguments[1] === 'text' ? e.textContent : e.getAttribute(arguments[1])) : null;",
        selector,
        name,
    )
    return str(value or "")


def text_of(driver: Any, selector: str) -> str:
    return attribute(driver, selector, "text")


def graph_now(driver: Any) -> str:
    return attribute(driver, "#graph svg", "data-current")


def classes(driver: Any, selector: str) -> str:
    return attribute(driver, selector, "class")


def mark(driver: Any, fact: str) -> str:
    return attribute(driver, f".tick[data-fact='{fact}']", "data-mark")


def ending_is(driver: Any, words: str) -> None:
    wait_for(driver, lambda d: words in text_of(d, "#ending"))


def test_buttons_to_an_emergency(page: Any) -> None:
    page.shot("1-start")
    assert graph_now(page) == "consent" and "current" in classes(
        page, ".node[data-state='consent']"
    )
    click(page, ".option[data-option='agree']")
    wait_for(page, lambda d: graph_now(d) == "walk")
    assert "Not being able to take 4 steps" in text_of(page, "#knows")
    page.shot("2-walk")
    click(page, ".option[data-option='unable']")
    ending_is(page, "Ending: emergency · rule E2")
    assert graph_now(page) == "cannot_walk"
    assert "current" in classes(page, ".node[data-state='cannot_walk']")
    assert "taken" in classes(page, ".edge[data-route='E2']")
    assert "visited" in classes(page, ".node[data-state='walk']")
    facts = text_of(page, "#facts")
    assert "Walking" in facts and "No" in facts
    assert "112" in text_of(page, "#messages .bot.disposition")
    page.shot("3-emergency")
    page.execute_script(
        "document.querySelector(\".node[data-state='walk']\")"
        ".dispatchEvent(new MouseEvent('click', {bubbles: true}))"
    )
    wait_for(page, lambda d: "Why it is asked" in text_of(d, "#node"))
    assert "walk=unable" in text_of(page, "#node")  # where each answer leads
    page.shot("4-state-details")


def test_keyboard_checklist_and_self_care(page: Any, downloads: Path) -> None:
    from selenium.webdriver.common.keys import Keys

    active = page.switch_to.active_element
    assert active.get_attribute("data-option") == "agree"  # focus is on the first answer
    active.send_keys(Keys.ENTER)
    wait_for(page, lambda d: graph_now(d) == "walk")
    for _ in range(3):  # the three answers, then the text box
        page.switch_to.active_element.send_keys(Keys.TAB)
    assert page.switch_to.active_element.get_attribute("id") == "say"
    page.switch_to.active_element.send_keys("1", Keys.ENTER)  # "Yes, normally", by number
    wait_for(page, lambda d: graph_now(d) == "warning_signs")
    page.shot("1-keyboard")
    for expected in ("yes", "unsure", ""):  # taps cycle: ticked, not sure, blank again
        click(page, ".tick[data-fact='fever']")
        wait_for(page, lambda d, e=expected: classes(d, ".tick") and mark(d, "fever") == e)
        if expected == "unsure":
            assert "(not sure)" in text_of(page, ".tick[data-fact='fever']")
        assert page.switch_to.active_element.get_attribute("data-fact") == "fever"  # focus stays
    page.shot("2-checklist")
    click(page, ".option[data-option='none']")
    wait_for(page, lambda d: graph_now(d) == "trend")
    click(page, ".option[data-option='improving']")
    ending_is(page, "Ending: self_care · rule C1")
    assert graph_now(page) == "settling"
    assert "taken" in classes(page, ".edge[data-route='C1']")
    rows = page.execute_script(
        "return Object.fromEntries([...document.querySelectorAll('#facts tr')]"
        ".map(r => [r.dataset.fact, r.cells[1].textContent]))"
    )
    assert rows == {
        "consent": "Start",
        "walk": "Yes, normally",
        "fever": "No",
        "hot_swollen": "No",
        "trend": "Getting better",
    }
    assert "Nothing worrying in your answers." in text_of(page, "#messages .bot.disposition")
    page.shot("3-self-care")
    click(page, "#save")
    wait_for(page, lambda d: "replays" in text_of(d, "#status"))
    saved = wait_for(page, lambda d: [p for p in downloads.glob("*.yaml")])
    assert (
        main(
            [
                "console",
                "--flow",
                str(FIXTURES / "flows_doc_example.yaml"),
                "--transcript",
                str(saved[0]),
            ]
        )
        == 0
    )


def test_coverage_drawn_on_the_graph(page: Any) -> None:
    click(page, "#tab-proofs")
    wait_for(page, lambda d: "1 transcripts, 0 diverging" in text_of(d, "#coverage-summary"))
    click(page, "#coverage")
    wait_for(page, lambda d: "show-coverage" in classes(d, "#graph svg"))
    assert "covered" in classes(page, ".edge[data-route='E2']").split()
    assert "uncovered" in classes(page, ".edge[data-route='consent#1']").split()
    assert "uncovered" in classes(page, ".node[data-state='settling']").split()
    assert "uncovered" not in classes(page, ".node[data-state='cannot_walk']").split()
    page.shot("1-coverage")


def test_counterexample_replays_from_the_proofs(page: Any) -> None:
    from selenium.webdriver.support.ui import Select

    Select(page.find_element("css selector", "#flow-select")).select_by_value("unsafe_flow.yaml")
    wait_for(page, lambda d: graph_now(d) == "fever")
    click(page, "#tab-proofs")
    click(page, "button.replay[data-property='P1']")
    ending_is(page, "Ending: self_care · rule C2")
    assert graph_now(page) == "fine"
    assert "taken" in classes(page, ".edge[data-route='red_hot_swollen#2']")
    said = page.execute_script(
        "return [...document.querySelectorAll('#messages .said')].map(e => e.textContent)"
    )
    assert said == ["Yes", "Yes"]
    page.shot("1-counterexample")
    Select(page.find_element("css selector", "#flow-select")).select_by_value(
        "flows_doc_example.yaml"
    )
    wait_for(page, lambda d: graph_now(d) == "consent")


def test_a_missing_browser_fails_in_ci_and_skips_elsewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    module = sys.modules[__name__]
    monkeypatch.setattr(module, "CHROMIUM", Path("/nonexistent/chromium"))
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="must run in CI"):
        _need_browser()
    monkeypatch.setenv("CI", "")
    with pytest.raises(pytest.skip.Exception, match="apt-get install chromium"):
        _need_browser()
