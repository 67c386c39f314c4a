"""REST endpoints of the relationship map (/api/relations): the same rules as the pages.

Everything here is personal data: only the account's team, their leads, after-sales and
administrators get it (rules.py); everyone else gets 404.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from kehu.access.permissions import CHANGE, access_object
from kehu.core.api import ERRORS
from kehu.customers.models import Account, Contact
from kehu.relations import selectors, services
from kehu.relations.models import (
    BuyingRole,
    BuyingRoleKind,
    Interaction,
    InteractionKind,
    Person,
    RelationshipLevel,
    SocialStyle,
    Stage,
    Stance,
)
from kehu.relations.rules import can_edit_relations, can_view_relations

router = Router(tags=["relationships"])

Id = Annotated[int, Field(ge=1, le=2**63 - 1)]
Text = Annotated[str, Field(max_length=services.MAX_TEXT)]
Short = Annotated[str, Field(max_length=200)]


class BuyingRoleOut(Schema):
    role: BuyingRoleKind
    stance: Stance
    cares_about: str
    covered_by_id: int | None
    version: int


class PersonOut(Schema):
    id: int
    contact_id: int
    name: str
    account_id: int
    title: str
    department: str
    reports_to_id: int | None
    influence: int
    stage: Stage
    social_style: str
    style_tip: str
    notes: str
    is_coach: bool
    coach_influence: str
    coach_informed: str
    coach_win_win: str
    coach_lapsed: bool
    roles: list[BuyingRoleOut]
    version: int

    @staticmethod
    def resolve_name(obj: Person) -> str:
        return obj.contact.name

    @staticmethod
    def resolve_roles(obj: Person) -> list[BuyingRole]:
        return list(obj.roles.all())


class StepOut(Schema):
    number: int
    title: str
    done: bool
    missing: list[str]


class LevelOut(Schema):
    level: RelationshipLevel
    evidence: str
    version: int


class InteractionOut(Schema):
    id: int
    account_id: int
    kind: InteractionKind
    occurred_on: date
    subject: str
    people_ids: list[int]
    our_attendee_ids: list[int]
    notes: str
    next_step: str
    next_step_due: date | None
    spin_situation: str
    spin_problem: str
    spin_implication: str
    spin_need_payoff: str
    recorded_by_id: int | None
    version: int

    @staticmethod
    def resolve_people_ids(obj: Interaction) -> list[int]:
        return [p.pk for p in obj.people.all()]

    @staticmethod
    def resolve_our_attendee_ids(obj: Interaction) -> list[int]:
        return [e.pk for e in obj.our_attendees.all()]


class MapOut(Schema):
    account_id: int
    level: LevelOut | None
    people: list[PersonOut]
    steps: list[StepOut]
    gaps: list[str]
    interactions: list[InteractionOut]


class PersonIn(Schema):
    contact_id: Id
    title: Short = ""
    department: Short = ""
    reports_to_id: Id | None = None
    influence: Annotated[int, Field(ge=1, le=5)] = 3
    stage: Stage = Stage.ACQUAINTANCE
    social_style: SocialStyle | None = None
    notes: Text = ""
    is_coach: bool = False
    coach_influence: Text = ""
    coach_informed: Text = ""
    coach_win_win: Text = ""


class PersonPatch(Schema):
    version: Annotated[int, Field(ge=1)]
    title: Short | None = None
    department: Short | None = None
    reports_to_id: Id | None = None
    influence: Annotated[int, Field(ge=1, le=5)] | None = None
    social_style: SocialStyle | None = None
    notes: Text | None = None
    is_coach: bool | None = None
    coach_influence: Text | None = None
    coach_informed: Text | None = None
    coach_win_win: Text | None = None


class StageIn(Schema):
    version: Annotated[int, Field(ge=1)]
    to_stage: Stage
    changed_on: date | None = None
    interaction_id: Id | None = None
    reason: Text = ""


class StageChangeOut(Schema):
    id: int
    person_id: int
    from_stage: str
    to_stage: Stage
    changed_on: date
    interaction_id: int | None
    recorded_by_id: int | None
    reason: str


class BuyingRoleIn(Schema):
    stance: Stance = Stance.NEUTRAL
    cares_about: Text = ""
    covered_by_id: Id | None = None


class LevelIn(Schema):
    level: RelationshipLevel
    evidence: Text = ""
    version: Annotated[int, Field(ge=1)] | None = None


class InteractionIn(Schema):
    kind: InteractionKind
    occurred_on: date
    subject: Annotated[str, Field(min_length=1, max_length=200)]
    people_ids: Annotated[list[Id], Field(max_length=500)] = []
    our_attendee_ids: Annotated[list[Id], Field(max_length=500)] = []
    notes: Text = ""
    next_step: Annotated[str, Field(max_length=300)] = ""
    next_step_due: date | None = None
    spin_situation: Text = ""
    spin_problem: Text = ""
    spin_implication: Text = ""
    spin_need_payoff: Text = ""


def _account(request: HttpRequest, account_id: int, *, edit: bool = False) -> Account:
    account = access_object(request.user, Account, account_id)
    if not can_view_relations(request.user, account):
        raise Http404
    if edit and not can_edit_relations(request.user, account):
        raise PermissionDenied
    return account


def _people() -> Any:
    return Person.objects.select_related("contact", "account").prefetch_related("roles")


def _person(request: HttpRequest, pk: int, action: str = CHANGE) -> Person:
    return access_object(request.user, Person, pk, action=action, queryset=_people())


def _interactions() -> Any:
    return Interaction.objects.prefetch_related(
        Prefetch("people", queryset=Person.objects.only("pk")), "our_attendees"
    )


@router.get(
    "/accounts/{int:account_id}",
    response={200: MapOut, **ERRORS},
    summary="An account's relationship map: level, people with roles, the five steps, gaps",
)
def map_get(request: HttpRequest, account_id: int) -> Any:
    data = selectors.account_map(_account(request, account_id))
    return {
        "account_id": account_id,
        "level": data.level,
        "people": data.people,
        "steps": [
            {"number": s.number, "title": str(s.title), "done": s.done, "missing": s.missing}
            for s in data.steps
        ],
        "gaps": data.gaps,
        "interactions": data.interactions,
    }


@router.post(
    "/accounts/{int:account_id}/people",
    response={201: PersonOut, **ERRORS},
    summary="Put one of the account's contacts on its map (422: contact of another account, "
    "already on the map, manager of another account)",
)
def person_create(request: HttpRequest, account_id: int, payload: PersonIn) -> Any:
    account = _account(request, account_id, edit=True)
    data = payload.dict()
    contact = Contact.objects.filter(pk=data.pop("contact_id")).first()
    if contact is None or contact.account_id != account.pk:
        raise ValidationError({"contact_id": services.other_account_message()})
    data["social_style"] = data["social_style"] or ""
    person = services.person_create(
        account=account,
        contact=contact,
        by=request.user,
        reports_to_id=data.pop("reports_to_id"),
        **data,
    )
    return Status(201, _people().get(pk=person.pk))


@router.get("/people/{int:pk}", response={200: PersonOut, **ERRORS}, summary="Read a person")
def person_get(request: HttpRequest, pk: int) -> Any:
    return _person(request, pk, action="view")


@router.patch(
    "/people/{int:pk}",
    response={200: PersonOut, **ERRORS},
    summary="Change a person's profile (409 on a stale version; 422 on a reporting loop)",
)
def person_update(request: HttpRequest, pk: int, payload: PersonPatch) -> Any:
    person = _person(request, pk)
    data = payload.dict(exclude_unset=True)
    version = data.pop("version")
    reports_to = data.pop("reports_to_id", ...)
    for name, value in list(data.items()):
        if value is None:
            if name in ("social_style",):
                data[name] = ""
            else:
                raise ValidationError({name: services.empty_message()})
    services.person_update(person=person, version=version, reports_to_id=reports_to, **data)
    return _people().get(pk=pk)


@router.post(
    "/people/{int:pk}/stage",
    response={201: StageChangeOut, **ERRORS},
    summary="Move a person to another stage, dated, with its cause (reason needed going back)",
)
def stage_change(request: HttpRequest, pk: int, payload: StageIn) -> Any:
    person = _person(request, pk)
    interaction = None
    if payload.interaction_id is not None:
        interaction = Interaction.objects.filter(
            pk=payload.interaction_id, account_id=person.account_id
        ).first()
        if interaction is None:
            raise ValidationError({"interaction_id": services.interaction_message()})
    change = services.stage_change(
        person=person,
        version=payload.version,
        to_stage=payload.to_stage.value,
        by=request.user,
        changed_on=payload.changed_on,
        interaction=interaction,
        reason=payload.reason,
    )
    return Status(201, change)


@router.get(
    "/people/{int:pk}/stage",
    response={200: list[StageChangeOut], **ERRORS},
    summary="A person's stage history, newest first",
)
def stage_history(request: HttpRequest, pk: int) -> Any:
    return list(_person(request, pk, action="view").stage_changes.all())


@router.put(
    "/people/{int:pk}/roles/{role}",
    response={200: BuyingRoleOut, **ERRORS},
    summary="Give a person a buying role, or change its stance and concerns",
)
def role_put(request: HttpRequest, pk: int, role: BuyingRoleKind, payload: BuyingRoleIn) -> Any:
    person = _person(request, pk)
    return services.role_set(
        person=person,
        role=role.value,
        stance=payload.stance.value,
        cares_about=payload.cares_about,
        covered_by_id=payload.covered_by_id,
    )


@router.delete(
    "/people/{int:pk}/roles/{role}",
    response={204: None, **ERRORS},
    summary="Take a buying role away from a person",
)
def role_delete(request: HttpRequest, pk: int, role: BuyingRoleKind) -> Any:
    services.role_remove(person=_person(request, pk), role=role.value)
    return Status(204, None)


@router.put(
    "/accounts/{int:account_id}/level",
    response={200: LevelOut, **ERRORS},
    summary="Set the account's relationship level with evidence (version once it exists; 409)",
)
def level_put(request: HttpRequest, account_id: int, payload: LevelIn) -> Any:
    account = _account(request, account_id, edit=True)
    return services.level_set(
        account=account,
        level=payload.level.value,
        evidence=payload.evidence,
        version=payload.version,
    )


@router.get(
    "/accounts/{int:account_id}/interactions",
    response={200: list[InteractionOut], **ERRORS},
    summary="The account's interactions, newest first (at most 500)",
)
def interaction_list(request: HttpRequest, account_id: int) -> Any:
    account = _account(request, account_id)
    return list(_interactions().filter(account=account).order_by("-occurred_on", "-pk")[:500])


@router.post(
    "/accounts/{int:account_id}/interactions",
    response={201: InteractionOut, **ERRORS},
    summary="Record a past interaction (422: future date, attendee of another account)",
)
def interaction_create(request: HttpRequest, account_id: int, payload: InteractionIn) -> Any:
    account = _account(request, account_id, edit=True)
    data = payload.dict()
    interaction = services.interaction_record(account=account, by=request.user, **data)
    return Status(201, _interactions().get(pk=interaction.pk))
