"""The org chart of an account's map as HTML, built in Python: the template engine costs about
a millisecond per person, too much for 500 people; this is a few milliseconds for all of them.

The chart is a nested list (readable without JavaScript); ``static/relations/orgchart.js`` makes
it collapsible, searchable and — for editors — lets a person be dragged under another (saved
through ``relations:reports-to``; loops are refused by the server with a clear message).
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from kehu.relations.models import (
    STYLE_TIPS,
    BuyingRoleKind,
    Person,
    SocialStyle,
    Stage,
    Stance,
)


def chart_html(people: list[Person], *, can_edit: bool) -> SafeString:
    by_id = {p.pk: p for p in people}
    children: dict[int | None, list[Person]] = {}
    for person in people:
        parent = person.reports_to_id if person.reports_to_id in by_id else None
        children.setdefault(parent, []).append(person)
    stages = dict(Stage.choices)
    roles = dict(BuyingRoleKind.choices)
    stances = dict(Stance.choices)
    styles = {style.value: (str(style.label), str(STYLE_TIPS[style])) for style in SocialStyle}
    coach, lapsed = escape(_("Coach")), escape(_("evidence incomplete"))
    influence = escape(_("influence"))
    collapse = escape(_("Collapse or expand"))
    # One reverse() for all: the person's id goes where the 0 is.
    edit_url = reverse("relations:person-edit", args=[0])[:-2]
    out: list[str] = []
    seen: set[int] = set()

    draggable = ' draggable="true"' if can_edit else ""

    def open_node(person: Person, depth: int, kids: list[Person]) -> None:
        name = escape(person.contact.name)
        search = escape(f"{person.contact.name} {person.title} {person.department}".lower())
        out.append(
            f'<li data-person="{person.pk}" data-version="{person.version}" '
            f'data-depth="{depth}" data-search="{search}">'
            f'<div class="orgchart-card stage-border-{person.stage}"{draggable}>'
        )
        if kids:
            out.append(
                f'<button type="button" class="orgchart-toggle" aria-expanded="true" '
                f'title="{collapse}" aria-label="{collapse}">−</button>'
            )
        if can_edit:
            out.append(f'<a class="orgchart-name" href="{edit_url}{person.pk}/">{name}</a>')
        else:
            out.append(f'<strong class="orgchart-name">{name}</strong>')
        if person.title or person.department:
            detail = " · ".join(escape(s) for s in (person.title, person.department) if s)
            out.append(f' <small class="muted">{detail}</small>')
        out.append(
            f' <small class="muted">{influence} {person.influence}</small> '
            f'<span class="stage stage-{person.stage}">{escape(stages[person.stage])}</span>'
        )
        for role in person.role_list:  # type: ignore[attr-defined]
            tone = {"opponent": " warn", "neutral": " muted"}.get(role.stance, "")
            out.append(
                f' <span class="tag{tone}" data-role="{role.role}">'
                f"{escape(roles[role.role])} · {escape(stances[role.stance])}</span>"
            )
        if person.is_coach:
            warn = " warn" if person.coach_lapsed else ""
            extra = f" · {lapsed}" if person.coach_lapsed else ""
            out.append(f' <span class="tag{warn}" data-coach="1">{coach}{extra}</span>')
        if person.social_style:
            label, tip = styles[person.social_style]
            out.append(f"<br><small>{escape(label)}: {escape(tip)}</small>")
        out.append("</div>")

    # Depth first without recursion (a long reporting chain must not exhaust the stack).
    stack: list[tuple[Person | None, int]] = [(p, 0) for p in reversed(children.get(None, []))]
    while stack:
        item, depth = stack.pop()
        if item is None:
            out.append("</ul></li>" if depth else "</li>")
            continue
        person = item
        if person.pk in seen:  # refused on write; kept safe on read all the same
            continue
        seen.add(person.pk)
        kids = [c for c in children.get(person.pk, ()) if c.pk not in seen]
        open_node(person, depth, kids)
        if kids:
            out.append("<ul>")
            stack.append((None, 1))
            stack.extend((kid, depth + 1) for kid in reversed(kids))
        else:
            stack.append((None, 0))
    return mark_safe("".join(out))  # noqa: S308  (every value above is escaped)
