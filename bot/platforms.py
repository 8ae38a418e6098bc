"""One process, two platforms: what the scheduler asks per installation goes to that
installation's platform. A Teams tenant is one the bot has heard from on Teams
(teams_references); every other installation is a Slack workspace."""

from __future__ import annotations

from collections.abc import Collection

from bot.domain.ports import People
from bot.domain.types import PersonInfo


class PeopleByPlatform:
    """The People port over both platforms, for `tick` (nudges' and digests' time zones)."""

    def __init__(self, *, slack: People, teams: People | None, tenants: Collection[str]) -> None:
        self.slack = slack
        self.teams = teams
        self.tenants = set(tenants)

    def _for(self, team_id: str) -> People:
        if self.teams is not None and team_id in self.tenants:
            return self.teams
        return self.slack

    async def person(self, team_id: str, user_id: str) -> PersonInfo | None:
        return await self._for(team_id).person(team_id, user_id)

    async def group_members(self, team_id: str, group_id: str) -> tuple[str, ...] | None:
        return await self._for(team_id).group_members(team_id, group_id)
