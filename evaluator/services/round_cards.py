"""Every station scorecard of a round, for the people who keep or analyse them whole: the
bureau's archive, open data, its own tools (``evaluator report cards``). Under the same
access rules as one card — blind until approved, and only the stations the actor may
see — built a chunk of stations at a time, so a national round streams."""

from __future__ import annotations

from collections.abc import AsyncIterator

from evaluator.errors import InvalidInput, Problem
from evaluator.services.actors import Actor, get_round, require_results, station_scope
from evaluator.services.scorecards import compute_round, station_cards


async def round_cards(actor: Actor, round_id) -> AsyncIterator[dict]:
    """The cards :func:`scorecards.station_scorecard` gives, for every station of the round
    that the actor may see, in the round's order."""
    round_ = await get_round(actor, round_id)
    await require_results(actor, round_)
    done = await compute_round(round_)
    if done.system.unit != "station":
        raise InvalidInput(
            Problem(
                "this round scores the agency itself: its card is the contract's "
                "(`evaluator report contract`)",
                "本轮次评估承接机构本身：请使用合同评分卡（`evaluator report contract`）",
                path="ROUND",
            )
        )
    visible = {str(i) for i in await station_scope(actor).values_list("id", flat=True)}
    async for _, card in station_cards(round_, done):
        if card["station"]["id"] in visible:
            yield card
