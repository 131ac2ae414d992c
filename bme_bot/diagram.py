"""A Mermaid flowchart drawn from the same flow data the engine runs."""

from __future__ import annotations

from bme_bot.core.conditions import All, describe
from bme_bot.core.flow import Flow


def mermaid(flow: Flow) -> str:
    lines = ["flowchart TD"]
    for question in flow.questions.values():
        lines.append(
            f'  {question.id}["{_quote(question.summary or question.id)}<br/>({", ".join(question.facts)})"]'
        )
    for router in flow.routers.values():
        lines.append(f"  {router.id}{{{router.id}}}")
    for outcome in flow.outcomes.values():
        lines.append(f'  {outcome.id}(["{outcome.rule}: {outcome.disposition}"])')
    for source in [*flow.questions, *flow.routers]:
        routes = (
            flow.questions[source].routes
            if source in flow.questions
            else flow.routers[source].routes
        )
        for route in routes:
            if route.when == All(()):
                lines.append(f"  {source} --> {route.target}")
            else:
                lines.append(f'  {source} -->|"{_quote(describe(route.when))}"| {route.target}')
    if flow.short_circuits:
        lines.append('  any_answer(("after every answer"))')
        for route in flow.short_circuits:
            lines.append(f'  any_answer -.->|"{_quote(describe(route.when))}"| {route.target}')
    lines.append("  classDef emergency fill:#fdd,stroke:#c00")
    emergencies = [o.id for o in flow.outcomes.values() if o.disposition == "emergency"]
    if emergencies:
        lines.append(f"  class {','.join(emergencies)} emergency")
    return "\n".join(lines) + "\n"


def _quote(text: str) -> str:
    return text.replace('"', "#quot;")
