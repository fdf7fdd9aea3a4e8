"""The demo's roll-up: the county → city roll-up of the current half year, as the city's
civil-affairs officer reads it (docs/rollups.md)."""

from __future__ import annotations

from evaluator.demo.load import DemoAccounts
from evaluator.services import rollups
from evaluator.services.actors import actor_for
from evaluator.store.orgs import User


async def city_rollup() -> tuple[str, dict] | None:
    """(the city officer's user name, the roll-up document), or None without that user."""
    user = await User.get_or_none(username=DemoAccounts().city)
    if user is None:
        return None
    done = await rollups.region_rollup(await actor_for(user), None)  # this half year
    return user.username, rollups.document(done)
