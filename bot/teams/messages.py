"""Message activities: a new post in an intake channel becomes a request; a message that
@mentions the bot (or any message in its 1:1 chat) is a command: `handoff`, `who`, `help`,
`directory`, `home`. Each parses, calls the same flow as Slack, and answers the sender
privately in their 1:1 chat (Teams has no ephemeral channel messages), all in the
activity's one unit of work.
"""

from __future__ import annotations

from datetime import datetime

from bot.domain import rules
from bot.domain.digest import PersonalDigest, personal_digests
from bot.domain.errors import HandoffError
from bot.domain.nudges import NudgePolicy
from bot.domain.types import IncomingMessage, Owner, PersonInfo
from bot.flows import hand_off as hand_off_flow
from bot.flows import intake as intake_flow
from bot.flows.dashboard_link import LINK_LIFETIME, issue_link
from bot.teams import answers
from bot.teams.activity import Command, Json, Parsed, bot_mentioned, command, parse, plain
from bot.teams.context import TeamsContext
from bot.teams.digests import personal_card
from bot.teams.people import is_bot_id
from db.uow import UnitOfWork


async def on_message(ctx: TeamsContext, activity: Json) -> None:
    parsed = parse(activity)
    where = parsed.where
    now = ctx.clock()
    if bot_mentioned(activity) or where.conversation_type == "personal":
        await on_command(ctx, activity, parsed, command(activity), now)
    elif (
        where.conversation_type == "channel"
        and where.thread_root is None
        and where.channel_id in ctx.intake
    ):
        await on_intake(ctx, activity, parsed, now)


async def on_intake(ctx: TeamsContext, activity: Json, parsed: Parsed, now: datetime) -> None:
    """A new top-level post in an intake channel (read through the RSC permission, no
    mention needed). The customer is read from the post, or a guest's own profile."""
    sender = parsed.sender
    if is_bot_id(sender.id) and sender.id == (activity.get("recipient") or {}).get("id"):
        return  # our own post
    message = IncomingMessage(
        team_id=parsed.where.tenant,
        platform="teams",
        channel_id=parsed.where.channel_id,
        ts=str(activity.get("id") or ""),
        text=plain(str(activity.get("text") or "")),
        user_id=sender.id or None,
        username=sender.name or None,
    )
    author = PersonInfo(user_id=sender.id, name=sender.name) if sender.is_guest else None
    async with ctx.recorded(activity, now) as uow:
        if uow is None:
            return
        await intake_flow.intake(
            uow, ctx.notifier(uow, now), message=message, author=author, source="intake", now=now
        )


async def on_command(
    ctx: TeamsContext, activity: Json, parsed: Parsed, cmd: Command, now: datetime
) -> None:
    tenant, actor = parsed.where.tenant, parsed.sender.id
    suggestions = []
    if cmd.name == "who":
        suggestions = await ctx.suggest(tenant, cmd.rest, exclude=(actor,))
    request_id = await _request_id(ctx, parsed, cmd) if cmd.name == "handoff" else None
    policy = await ctx.policy_for(tenant)
    async with ctx.recorded(activity, now) as uow:
        if uow is None:
            return
        notifier = ctx.notifier(uow, now)
        if cmd.name == "handoff":
            answer = await _hand_off(uow, ctx, parsed, cmd, request_id, policy, now)
        elif cmd.name == "who":
            names = await _names(uow, tenant, [s.id for s in suggestions])
            answer = answers.who(cmd.rest, suggestions, names)
        elif cmd.name == "home":
            answer = await _home(uow, tenant, actor, now)
        elif cmd.name == "directory":
            topics = await uow.directory.topics(tenant)
            owners = [o for t in topics for o in t.owners or []]
            answer = answers.directory(topics, await _names(uow, tenant, owners))
        elif cmd.name == "dashboard":
            answer = await _dashboard(uow, ctx, tenant, actor, now)
        elif cmd.name == "help":
            answer = answers.usage()
        else:
            answer = answers.command_error("unknown_command", cmd.word)
        notifier.answer(tenant, actor, answer)


async def _dashboard(
    uow: UnitOfWork, ctx: TeamsContext, tenant: str, actor: str, now: datetime
) -> Json:
    """A one-time sign-in link to the web dashboard, in the sender's 1:1 chat. Teams has no
    admin rule of ours yet, so the session sees the handoffs that involve the sender."""
    base_url = ctx.settings.handoff_public_url
    if not base_url:
        return answers.card(answers.DASHBOARD_NOT_SET_UP)
    link = await issue_link(
        uow,
        platform="teams",
        team_id=tenant,
        user_id=actor,
        admin=False,
        base_url=base_url,
        now=now,
    )
    return answers.dashboard(link, minutes=int(LINK_LIFETIME.total_seconds() // 60))


async def _request_id(ctx: TeamsContext, parsed: Parsed, cmd: Command) -> int | str:
    """The tracked request the command is about, or why there is none (an error code)."""
    if cmd.extra_links:
        return "too_many_links"
    if cmd.link is not None:
        at = (cmd.link.channel_id, cmd.link.message_id)
    elif parsed.where.thread_root is not None:
        at = (parsed.where.channel_id, parsed.where.thread_root)
    else:
        return "no_request"
    async with ctx.db.uow() as uow:
        request = await uow.requests.by_message(parsed.where.tenant, *at)
    return request.id if request is not None else "unreadable"


async def _hand_off(
    uow: UnitOfWork,
    ctx: TeamsContext,
    parsed: Parsed,
    cmd: Command,
    request_id: int | str | None,
    policy: NudgePolicy,
    now: datetime,
) -> Json:
    tenant, actor = parsed.where.tenant, parsed.sender.id
    if not cmd.owners:
        return answers.command_error("no_owner")
    if len({m.id for m in cmd.owners}) > 1:
        return answers.command_error("many_owners")
    if not isinstance(request_id, int):
        return answers.command_error(str(request_id or "no_request"))
    mentioned = cmd.owners[0]
    person = PersonInfo(user_id=mentioned.id, name=mentioned.name, is_bot=is_bot_id(mentioned.id))
    names = {mentioned.id: mentioned.name}
    known = await uow.people.get(
        tenant, mentioned.id, platform="teams"
    )  # remembered from this activity
    try:
        owner = rules.check_new_owner(
            Owner("user", mentioned.id, tz=known.tz if known else None),
            person,
            actor_id=actor,
            bot_user_id=None,
        )
    except HandoffError as error:
        return answers.problem(error, names)
    result = await hand_off_flow.hand_off(
        uow,
        ctx.notifier(uow, now),
        team_id=tenant,
        actor_id=actor,
        owner=owner,
        note=cmd.rest,
        policy=policy,
        now=now,
        request_id=request_id,
    )
    if result.refusal is not None:
        return answers.problem(result.refusal, names)
    return answers.handed(owner.id, names)


async def _home(uow: UnitOfWork, tenant: str, actor: str, now: datetime) -> Json:
    """ "Waiting on you": the same content as Slack's App Home, from the digest's data."""
    hops = await uow.digests.waiting(tenant)
    mine = personal_digests(tenant, hops, now=now, for_users={actor}).get(actor)
    digest = mine or PersonalDigest(tenant, actor, now, [], [])
    people = {h.owner_id for h in hops} | {h.handler_id for h in hops}
    return personal_card(digest, await _names(uow, tenant, list(people)), title="Waiting on you")


async def _names(uow: UnitOfWork, tenant: str, user_ids: list[str]) -> dict[str, str]:
    found = {}
    for user_id in user_ids:
        person = await uow.people.get(tenant, user_id, platform="teams")
        if person is not None:
            found[user_id] = person.real_name or person.name
    return found
