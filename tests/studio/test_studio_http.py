"""The studio over HTTP: the page and its files, a conversation through the real engine,
reload with a broken flow, a counterexample replayed, and a saved transcript that the
console's transcript checker replays."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bme_bot.cli import main

EXAMPLE_FLOW = Path(__file__).resolve().parent.parent / "fixtures" / "flows_doc_example.yaml"

CHAT = "t1"


async def post(client: Any, path: str, body: dict[str, Any], status: int = 200) -> Any:
    response = await client.post(path, json=body)
    assert response.status == status, await response.text()
    return await response.json() if status == 200 else await response.text()


async def act(client: Any, view: dict[str, Any], kind: str, **fields: Any) -> dict[str, Any]:
    """Do what a tap or a typed line does, bound to the question on screen like a button."""
    live = view["entries"][-1]["replies"][-1]
    action = {"kind": kind, "question": live["question"], "turn": live["turn"], **fields}
    return await post(client, "/api/chat", {"chat": CHAT, "action": action})


async def test_page_and_static_files_are_served_with_strict_headers(client: Any) -> None:
    page = await client.get("/")
    text = await page.text()
    assert page.status == 200
    assert 'src="static/studio.js"' in text and "http" not in text.split("<body>")[0]
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    for name in ("studio.js", "graph.js", "panels.js", "studio.css"):
        response = await client.get(f"/static/{name}")
        assert response.status == 200
        body = await response.text()
        assert "https://" not in body and "http://" not in body  # nothing fetched elsewhere
    assert (await client.get("/static/../server.py")).status == 404


async def test_flow_info_and_graph_name_every_state(client: Any) -> None:
    info = await (await client.get("/api/flow")).json()
    assert info["flows"] == ["flows_doc_example.yaml", "unsafe_flow.yaml"]
    assert info["errors"] == []
    assert info["nodes"]["walk"]["why"].startswith("Not being able to take 4 steps")
    svg = await (await client.get("/api/graph.svg")).text()
    for state in ("consent", "walk", "warning_signs", "decide", "cannot_walk", "settling"):
        assert f'data-state="{state}"' in svg


async def test_buttons_reach_an_emergency_with_the_rule_and_message(client: Any) -> None:
    view = await post(client, "/api/chat", {"chat": CHAT})
    assert view["state"] == "consent" and view["path"]["states"] == ["consent"]
    view = await act(client, view, "choose", option="agree")
    assert view["question"]["why"] == "Not being able to take 4 steps can mean a broken bone."
    view = await act(client, view, "choose", option="unable")
    assert view["done"] and view["state"] == "cannot_walk"
    ending = view["ending"]
    assert (ending["disposition"], ending["rule"], ending["route"]) == ("emergency", "E2", "E2")
    assert "112" in ending["html"]
    assert view["path"]["routes"] == ["consent#2", "E2"]
    assert view["steps"][-1]["routes"][0]["short_circuit"] is True
    assert [f["value"] for f in view["facts"]] == ["agree", "unable"]


async def test_checklist_toggles_not_sure_and_the_routes_taken(client: Any) -> None:
    view = await post(client, "/api/chat", {"chat": CHAT, "fresh": True})
    view = await act(client, view, "choose", option="agree")
    view = await act(client, view, "choose", option="normal")
    assert view["question"]["id"] == "warning_signs"
    view = await act(client, view, "toggle", fact="fever")
    view = await act(client, view, "toggle", fact="fever")  # second tap: not sure
    checklist = view["entries"][-1]["replies"][-1]["checklist"]
    assert [(i["fact"], i["mark"]) for i in checklist] == [("fever", "unsure"), ("hot_swollen", "")]
    view = await act(client, view, "choose", option="done")
    assert view["entries"][-1]["said"] == "Ticked: A fever, or feeling hot and shivery (not sure)"
    fever = next(f for f in view["facts"] if f["fact"] == "fever")
    assert (fever["value"], fever["counted_as"]) == ("unsure", "yes")
    view = await act(client, view, "choose", option="stable")
    assert (view["ending"]["rule"], view["ending"]["disposition"]) == ("U3", "urgent")
    assert view["steps"][-1]["routes"][-1]["id"] == "U3"
    view = await post(
        client, "/api/chat", {"chat": CHAT, "action": {"kind": "command", "name": "back"}}
    )
    assert view["state"] == "trend" and not view["done"]
    assert "U3" not in view["path"]["routes"]


async def test_counterexample_replays_itself_in_the_chat(client: Any) -> None:
    await post(client, "/api/select", {"name": "unsafe_flow.yaml"})
    check = await (await client.get("/api/check")).json()
    assert not check["ok"]
    p1 = next(p for p in check["properties"] if p["id"] == "P1")
    assert not p1["proved"] and p1["counterexample"] == [
        ["fever", "yes"],
        ["red_hot_swollen", "yes"],
    ]
    assert "FAIL P1 violated" in check["text"]
    view = await post(client, "/api/replay", {"chat": CHAT, "answers": p1["counterexample"]})
    assert view["done"] and view["ending"]["outcome"] == "fine"
    assert view["ending"]["disposition"] == "self_care"
    assert {f["fact"]: f["value"] for f in view["facts"]} == {
        "fever": "yes",
        "red_hot_swollen": "yes",
    }
    assert [e["said"] for e in view["entries"][1:]] == ["Yes", "Yes"]


async def test_check_reports_paths_and_properties_of_a_sound_flow(client: Any) -> None:
    check = await (await client.get("/api/check")).json()
    assert not check["ok"]  # `check DIR` checks every flow there, and one is unsafe
    assert "proved P9" in check["text"] and "FAIL P1 violated" in check["text"]
    assert {p["id"] for p in check["properties"]} >= {"P1", "P2", "P8", "P9", "P6", "P11"}
    assert all(p["proved"] for p in check["properties"])
    by = {row["disposition"]: row for row in check["paths"]["by_disposition"]}
    assert (
        by["emergency"]["shortest"] == 2
        and sum(r["paths"] for r in by.values()) == check["paths"]["total"]
    )


async def test_reload_shows_load_errors_with_file_and_line(client: Any, flows_dir: Path) -> None:
    flow = flows_dir / "flows_doc_example.yaml"
    good = flow.read_text()
    flow.write_text(good.replace("goto: trend\n", "goto: nowhere\n", 1))
    info = await post(client, "/api/reload", {})
    assert info["errors"], "a route to an unknown state must be refused"
    line = next(
        n for n, text in enumerate(flow.read_text().splitlines(), 1) if "goto: nowhere" in text
    )
    assert any(f"{flow}:{line}" in error and "nowhere" in error for error in info["errors"])
    await post(client, "/api/chat", {"chat": CHAT}, status=409)
    check = await (await client.get("/api/check")).json()
    assert not check["ok"] and any("nowhere" in e for e in check["load_errors"])
    flow.write_text(good)
    info = await post(client, "/api/reload", {})
    assert info["errors"] == [] and info["generation"] == 3


async def test_saved_transcript_replays_through_the_console(client: Any, tmp_path: Path) -> None:
    view = await post(client, "/api/chat", {"chat": CHAT, "fresh": True})
    view = await act(client, view, "text", text="ok")
    view = await act(client, view, "choose", option="limp")
    view = await act(client, view, "toggle", fact="hot_swollen")
    view = await act(client, view, "toggle", fact="cold_numb")
    view = await act(client, view, "toggle", fact="cold_numb")  # untick
    view = await act(client, view, "toggle", fact="fever")
    view = await act(client, view, "text", text="3?")  # typed, with two ticks on the message
    assert {f["fact"]: f["value"] for f in view["facts"]}["cold_numb"] == "yes"  # careful: ? -> yes
    view = await post(
        client, "/api/chat", {"chat": CHAT, "action": {"kind": "command", "name": "back"}}
    )
    view = await act(client, view, "choose", option="none")
    view = await post(
        client, "/api/chat", {"chat": CHAT, "action": {"kind": "command", "name": "why"}}
    )
    view = await act(client, view, "choose", option="worsening")
    assert view["ending"]["rule"] == "S5"
    view = await act(client, view, "choose", option="topic:what_is_bme")
    response = await client.get("/api/transcript", params={"chat": CHAT, "name": "Limp, worse"})
    assert response.status == 200
    assert response.headers["X-Transcript-Replay"] == "OK"
    assert 'filename="limp_worse.yaml"' in response.headers["Content-Disposition"]
    text = await response.text()
    inputs = [step["input"] for step in yaml.safe_load(text)["steps"]]
    assert inputs == ["ok", "2", "1 2 3", "/back", "none", "/why", "3", "topic:what_is_bme"]
    saved = tmp_path / "saved.yaml"
    saved.write_text(text)
    example = EXAMPLE_FLOW
    assert main(["console", "--flow", str(example), "--transcript", str(saved)]) == 0
    saved.write_text(text.replace("rule: S5", "rule: C1"))
    assert main(["console", "--flow", str(example), "--transcript", str(saved)]) == 1


async def test_bad_requests_are_refused(client: Any) -> None:
    await post(client, "/api/chat", {"chat": "../x"}, status=400)
    await post(client, "/api/chat", {"chat": CHAT, "action": {"kind": "shell"}}, status=400)
    await post(client, "/api/replay", {"chat": CHAT, "answers": "fever=yes"}, status=400)
    await post(client, "/api/select", {"name": "/etc/passwd"}, status=404)
    form = await client.post("/api/reload", data="x=1")
    assert form.status == 415  # a cross-site form cannot post JSON


async def test_reload_replays_the_conversation_on_the_edited_flow(
    client: Any, flows_dir: Path
) -> None:
    view = await post(client, "/api/chat", {"chat": CHAT, "fresh": True})
    view = await act(client, view, "choose", option="agree")
    view = await act(client, view, "choose", option="limp")
    assert view["state"] == "warning_signs"
    flow = flows_dir / "flows_doc_example.yaml"
    flow.write_text(flow.read_text().replace("Can you take 4 steps", "Can you walk 4 steps"))
    await post(client, "/api/reload", {})
    view = await post(client, "/api/chat", {"chat": CHAT})
    assert [e["said"] for e in view["entries"][1:]] == ["Start", "Yes, with a limp"]
    assert view["state"] == "warning_signs"
    assert "Can you walk 4 steps" in view["entries"][1]["replies"][-1]["html"]


async def test_coverage_of_golden_transcripts(
    flows_dir: Path, open_space: Any, tmp_path: Path
) -> None:
    """A transcript saved from the studio counts for coverage when the studio is given it."""
    from aiohttp.test_utils import TestClient, TestServer

    from bme_bot.config import load_settings
    from bme_bot.studio.server import make_app
    from bme_bot.studio.workspace import Workspace

    async with TestClient(TestServer(make_app(open_space(flows_dir)))) as first:
        view = await post(first, "/api/chat", {"chat": CHAT})
        view = await act(first, view, "choose", option="agree")
        view = await act(first, view, "choose", option="unable")
        saved = await (await first.get("/api/transcript", params={"chat": CHAT})).text()
    transcripts = tmp_path / "transcripts"
    transcripts.mkdir()
    (transcripts / "e2.yaml").write_text(saved)
    space = Workspace.open(
        load_settings({}), flows_dir / "flows_doc_example.yaml", transcripts=transcripts
    )
    async with TestClient(TestServer(make_app(space))) as second:
        check = await (await second.get("/api/check")).json()
    coverage = check["coverage"]
    assert (coverage["transcripts"], coverage["diverging"]) == (1, [])
    assert coverage["routes"] == ["E2", "consent#2"]
    assert "consent#1" in coverage["routes_never"] and "C1" in coverage["routes_never"]
    assert coverage["outcomes"] == ["cannot_walk"]
    assert "transitions covered 2/" in check["text"]


async def test_a_red_flag_typed_early_saves_and_replays(client: Any, tmp_path: Path) -> None:
    """A red flag typed at a later question is asked first (a detour); its answer by button
    is written as the detour's option number, and the transcript still replays."""
    view = await post(client, "/api/chat", {"chat": CHAT, "fresh": True})
    view = await act(client, view, "choose", option="agree")
    view = await act(client, view, "choose", option="normal")
    view = await act(client, view, "choose", option="none")
    view = await act(client, view, "text", text="actually I can't walk")
    assert view["detour"] == "walk" and view["question"]["detour"] == "walk"
    view = await act(client, view, "choose", option="unable")
    assert (view["ending"]["rule"], view["ending"]["route"]) == ("E2", "E2")
    response = await client.get("/api/transcript", params={"chat": CHAT})
    assert response.headers["X-Transcript-Replay"] == "OK"
    text = await response.text()
    steps = yaml.safe_load(text)["steps"]
    assert [s["input"] for s in steps] == ["1", "1", "none", "actually I can't walk", "3"]
    saved = tmp_path / "detour.yaml"
    saved.write_text(text)
    assert main(["console", "--flow", str(EXAMPLE_FLOW), "--transcript", str(saved)]) == 0


async def test_a_not_sure_counterexample_ticks_twice(open_space: Any) -> None:
    """Property 11's counterexample answers a checklist item "not sure": replayed, the item is
    tapped twice (ticked, then not sure) and the conversation reaches the less urgent ending."""
    from aiohttp.test_utils import TestClient, TestServer

    from bme_bot.studio.server import make_app

    flow = EXAMPLE_FLOW.parent / "unsure_wrong_flow.yaml"
    async with TestClient(TestServer(make_app(open_space(flow)))) as unsure:
        check = await (await unsure.get("/api/check")).json()
        p11 = next(p for p in check["properties"] if p["id"] == "P11")
        assert not p11["proved"] and ["fever", "unsure"] in p11["counterexample"]
        view = await post(unsure, "/api/replay", {"chat": CHAT, "answers": p11["counterexample"]})
    assert view["ending"]["outcome"] == "settling" and view["ending"]["disposition"] == "self_care"
    fever = next(f for f in view["facts"] if f["fact"] == "fever")
    assert (fever["value"], fever["counted_as"]) == ("unsure", "no")
    assert "(not sure)" in view["entries"][3]["said"]


async def test_the_language_switches_where_content_exists(flows_dir: Path, tmp_path: Path) -> None:
    """A second content folder is a language: switching reloads with its texts and replays
    the conversation in it."""
    import shutil

    from aiohttp.test_utils import TestClient, TestServer

    from bme_bot.config import load_settings
    from bme_bot.studio.server import make_app
    from bme_bot.studio.workspace import Workspace

    shipped = load_settings({}).content_locale_dir
    content = tmp_path / "content"
    shutil.copytree(shipped, content / "en")
    shutil.copytree(shipped.parent / "es", content / "es")  # the shipped translation
    settings = load_settings({"BME_CONTENT_DIR": str(content)})
    space = Workspace.open(settings, flows_dir / "flows_doc_example.yaml")
    async with TestClient(TestServer(make_app(space))) as studio:
        info = await (await studio.get("/api/flow")).json()
        assert (info["locales"], info["locale"]) == (["en", "es"], "en")
        view = await post(studio, "/api/chat", {"chat": CHAT})
        view = await act(studio, view, "choose", option="agree")
        view = await act(studio, view, "choose", option="unable")
        assert "Call 112 at once" in view["ending"]["html"]
        info = await post(studio, "/api/locale", {"name": "es"})
        assert info["locale"] == "es" and info["errors"] == []
        view = await post(studio, "/api/chat", {"chat": CHAT})
        assert view["ending"]["rule"] == "E2"  # the same answers, replayed
        assert "Llama al 112 enseguida" in view["ending"]["html"]
        await post(studio, "/api/locale", {"name": "../en"}, status=404)
