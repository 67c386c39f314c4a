"""Approval workflows: a round of steps built from the contract type's policy (amount,
discount and risk thresholds, plus the steps risk rules add), decided by approvers by role,
person or key role (the key role's backup stands in for an away primary), in sequence or in
parallel (all / any). Every decision is hash-chained (chain.py).

Decisions on one contract are serialised by locking the contract row: two approvers of a
parallel step deciding at the same instant are both recorded, one after the other in the chain.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.access.models import Role, RoleAssignment, User
from kehu.contracts import chain, risk
from kehu.contracts.models import (
    SEVERITY_RANK,
    ApprovalAssignee,
    ApprovalDecision,
    ApprovalPolicy,
    ApprovalRun,
    ApprovalStep,
    ApproverKind,
    ChangeOrder,
    Contract,
    Decision,
    PolicyStep,
    RunStatus,
    Status,
    StepMode,
    StepStatus,
)
from kehu.contracts.services import (
    TransitionRefused,
    apply_change,
    close_change,
    set_status,
    snapshot_version,
)
from kehu.core.concurrency import StaleVersionError
from kehu.notify import notices
from kehu.org.models import Department, Employee, KeyRole

EVENT = "contracts.approval"
APPROVER_ROLES = [Role.DEPARTMENT_LEAD, Role.FINANCE, Role.LEGAL, Role.MANAGEMENT]


class ApprovalRefused(Exception):
    """A decision that cannot be taken (approving twice, one's own contract, a finished round)."""


def policy_for(contract: Contract) -> ApprovalPolicy | None:
    """The contract type's policy, else the default one (without a type)."""
    policies = ApprovalPolicy.objects.prefetch_related("steps__person", "steps__key_role")
    return (
        policies.filter(contract_type=contract.contract_type_id).first()
        or policies.filter(contract_type__isnull=True).order_by("pk").first()
    )


def step_applies(step: PolicyStep, *, amount: Decimal, discount: Decimal, risk_level: str) -> bool:
    """Whether the contract reaches every threshold the policy step sets."""
    if step.min_amount_cny is not None and amount < step.min_amount_cny:
        return False
    if step.min_discount_percent is not None and discount < step.min_discount_percent:
        return False
    return not (step.min_risk and SEVERITY_RANK[risk_level] < SEVERITY_RANK[step.min_risk])


def _backup_for(user: User) -> User | None:
    """An away person's stand-in: the backup of a key role they hold as primary."""
    employee = getattr(user, "employee", None)
    if employee is None or not employee.is_away:
        return None
    role = (
        KeyRole.objects.filter(primary=employee, backup__isnull=False)
        .select_related("backup__user")
        .first()
    )
    backup = role.backup if role else None
    if backup is None or backup.is_away or backup.user is None or not backup.user.is_active:
        return None
    return backup.user


def _people(users: list[User]) -> list[tuple[User, User | None]]:
    """Each approver, or their backup standing in when they are away."""
    found: list[tuple[User, User | None]] = []
    for user in users:
        backup = _backup_for(user)
        found.append((backup, user) if backup else (user, None))
    return found


def _role_users(role: str, department: Department | None) -> list[User]:
    assignments = RoleAssignment.objects.filter(role=role, user__is_active=True)
    if role == Role.DEPARTMENT_LEAD:
        if department is None:
            return []
        assignments = assignments.filter(department=department)
    return [a.user for a in assignments.select_related("user__employee").order_by("user_id")]


def resolve_approvers(
    contract: Contract, *, kind: str, role: str = "", person: Any = None, key_role: Any = None
) -> list[tuple[User, User | None]]:
    """(approver, stands in for) of a step; the contract's owner and author never approve it."""
    if kind == ApproverKind.PERSON:
        users = [person] if person is not None else []
    elif kind == ApproverKind.KEY_ROLE:
        users = []
        if key_role is not None:
            primary = Employee.objects.select_related("user").get(pk=key_role.primary_id)
            if primary.user is not None:
                users = [primary.user]
        people = _people(users)
        if key_role is not None and key_role.backup_id and not people:
            backup = Employee.objects.select_related("user").get(pk=key_role.backup_id)
            people = [(backup.user, None)] if backup.user else []
        return _not_own(contract, people)
    elif kind == ApproverKind.DEPARTMENT_LEAD:
        users = _role_users(Role.DEPARTMENT_LEAD, contract.department)
        head = contract.department.head if contract.department else None
        if not users and head is not None and head.user is not None:
            users = [head.user]
    else:
        users = _role_users(role, None)
    return _not_own(contract, _people([u for u in users if u.is_active]))


def _not_own(
    contract: Contract, people: list[tuple[User, User | None]]
) -> list[tuple[User, User | None]]:
    own = {contract.owner_id, contract.created_by_id}
    seen: set[int] = set()
    kept = []
    for user, stands_in in people:
        if user.pk in own or user.pk in seen:
            continue
        seen.add(user.pk)
        kept.append((user, stands_in))
    return kept


@dataclass(frozen=True)
class PlannedStep:
    position: int
    name: str
    mode: str
    approvers: list[tuple[User, User | None]]
    added_by_risk: str = ""


def plan(
    contract: Contract,
    findings: list[risk.Found],
    *,
    amount: Decimal | None = None,
    discount: Decimal | None = None,
) -> list[PlannedStep]:
    """The steps this contract (or a change of ``amount`` CNY) needs now; refused with 422
    when a step has nobody to decide it."""
    level = risk.level(findings)
    amount = contract.total_cny if amount is None else amount
    discount = contract.max_discount_percent if discount is None else discount
    steps: list[PlannedStep] = []
    policy = policy_for(contract)
    if policy is None:
        raise ValidationError(_("No approval policy is configured for this contract type."))
    for step in policy.steps.all():
        if not step_applies(
            step,
            amount=amount,
            discount=discount,
            risk_level=level,
        ):
            continue
        people = resolve_approvers(
            contract,
            kind=step.approver_kind,
            role=step.role,
            person=step.person,
            key_role=step.key_role,
        )
        steps.append(PlannedStep(step.position, step.name, step.mode, people))
    last = max((s.position for s in steps), default=0)
    # One added step per role, listing the rules that asked for it.
    asked: dict[str, list[str]] = {}
    for found in findings:
        role = found.rule.adds_approver_role
        if role and found.rule.code not in asked.setdefault(role, []):
            asked[role].append(found.rule.code)
    for role, codes in asked.items():
        name = _("Risk review (%(role)s)") % {
            "role": Role(role).label if role in Role.values else role
        }
        people = resolve_approvers(contract, kind=ApproverKind.ROLE, role=role)
        steps.append(PlannedStep(last + 1, name, StepMode.ALL, people, ", ".join(codes)[:60]))
    if not steps:
        raise ValidationError(_("The approval policy gives this contract no step to pass."))
    for planned in steps:
        if not planned.approvers:
            raise ValidationError(
                _(
                    "Nobody can decide the approval step “%(step)s” (approvers may not approve their own contract)."
                )
                % {"step": planned.name}
            )
    return steps


def _start_run(
    contract: Contract,
    by: Any,
    change_order: ChangeOrder | None,
    amount: Decimal,
    discount: Decimal | None = None,
) -> ApprovalRun:
    findings = risk.check(contract, store=True)
    steps = plan(contract, findings, amount=amount, discount=discount)
    now = timezone.now()
    run = ApprovalRun.objects.create(
        contract=contract,
        change_order=change_order,
        started_at=now,
        amount_cny=amount,
        risk=risk.level(findings),
    )
    first = min(s.position for s in steps)
    made = ApprovalStep.objects.bulk_create(
        [
            ApprovalStep(
                run=run,
                position=s.position,
                name=s.name[:200],
                mode=s.mode,
                status=StepStatus.PENDING if s.position == first else StepStatus.WAITING,
                added_by_risk=s.added_by_risk,
            )
            for s in steps
        ]
    )
    ApprovalAssignee.objects.bulk_create(
        [
            ApprovalAssignee(step=row, user=user, stands_in_for=stands_in)
            for row, planned in zip(made, steps, strict=True)
            for user, stands_in in planned.approvers
        ]
    )
    _tell(contract, [row for row in made if row.status == StepStatus.PENDING])
    return run


def _tell(contract: Contract, steps: list[ApprovalStep]) -> None:
    users = User.objects.filter(approval_assignments__step__in=steps).distinct()
    number, title = contract.number, contract.title

    def text(user: Any) -> tuple[str, str]:
        return (
            _("Contract %(number)s awaits your approval") % {"number": number},
            title,
        )

    notices.notify_users(
        event=EVENT, users=users, text=text, url=reverse("contracts:detail", args=[contract.pk])
    )


@transaction.atomic
def submit(*, contract: Contract, by: Any, version: int) -> ApprovalRun:
    """Send a draft for approval: risk checks, then a round of steps from its policy."""
    locked = Contract.objects.select_for_update().get(pk=contract.pk)
    if locked.version != version:
        raise StaleVersionError(locked)
    if locked.status != Status.DRAFT:
        raise TransitionRefused(
            _("Only a draft can be sent for approval (this contract is “%(status)s”).")
            % {"status": locked.get_status_display()}
        )
    if not locked.lines.exists():
        raise TransitionRefused(_("Add at least one line item before sending it for approval."))
    run = _start_run(locked, by, None, locked.total_cny)
    set_status(locked, Status.IN_APPROVAL, by=by)
    return run


def start_change_approval(
    *, contract: Contract, change: ChangeOrder, by: Any, amount: Decimal, discount: Decimal
) -> ApprovalRun:
    """A change order's round, by the contract type's rules for the change's amount (the caller
    holds the contract's lock)."""
    return _start_run(contract, by, change, amount, discount)


def _record(
    contract: Contract, step: ApprovalStep, user: Any, decision: str, comment: str
) -> ApprovalDecision:
    now = timezone.now()
    sequence = contract.chain_length + 1
    previous = contract.chain_head or chain.GENESIS
    row = ApprovalDecision(
        contract=contract,
        step=step,
        approver=user,
        decision=decision,
        comment=comment,
        decided_at=now,
        sequence=sequence,
        previous_hash=previous,
    )
    row.hash = chain.hash_of(row, previous)
    row.save()
    Contract.objects.filter(pk=contract.pk).update(chain_head=row.hash, chain_length=sequence)
    contract.chain_head, contract.chain_length = row.hash, sequence
    return row


@transaction.atomic
def decide(*, step_id: int, by: Any, decision: str, comment: str = "") -> ApprovalDecision:
    """Approve, reject or return one step (reject and return need a comment)."""
    step = ApprovalStep.objects.select_related("run").get(pk=step_id)
    # The contract's lock serialises every decision on it (the hash chain needs one order).
    contract = Contract.objects.select_for_update().get(pk=step.run.contract_id)
    step = ApprovalStep.objects.select_related("run__change_order").get(pk=step_id)
    run = step.run
    comment = comment.strip()
    if decision not in Decision.values:
        raise ValidationError({"decision": _("Choose approve, reject or return.")})
    if by.pk in (contract.owner_id, contract.created_by_id):
        raise ApprovalRefused(_("Nobody approves their own contract."))
    if not step.assignees.filter(user=by).exists():
        raise PermissionDenied
    if ApprovalDecision.objects.filter(step=step, approver=by).exists():
        raise ApprovalRefused(_("You have already decided this step."))
    if decision != Decision.APPROVE and not comment:
        raise ValidationError({"comment": _("Say why: rejecting or returning needs a comment.")})
    late_any = step.status == StepStatus.APPROVED and step.mode == StepMode.ANY
    if run.status != RunStatus.RUNNING and not late_any:
        raise ApprovalRefused(_("This approval round is already finished."))
    if step.status not in (StepStatus.PENDING,) and not late_any:
        raise ApprovalRefused(_("This step is not open for decisions yet."))
    if late_any and decision != Decision.APPROVE:
        raise ApprovalRefused(_("Another approver already approved this step."))
    row = _record(contract, step, by, decision, comment[:5000])
    if late_any:
        return row  # kept in the trail; the step was already passed
    if decision == Decision.APPROVE:
        _after_approval(contract, run, step, by)
    else:
        _stop(contract, run, step, by, decision, comment)
    return row


def _after_approval(contract: Contract, run: ApprovalRun, step: ApprovalStep, by: Any) -> None:
    approved = set(
        ApprovalDecision.objects.filter(step=step, decision=Decision.APPROVE).values_list(
            "approver_id", flat=True
        )
    )
    needed = set(step.assignees.values_list("user_id", flat=True))
    if step.mode == StepMode.ALL and not needed <= approved:
        return
    step.status = StepStatus.APPROVED
    step.save(update_fields=["status"])
    siblings = run.steps.filter(position=step.position).exclude(status=StepStatus.APPROVED)
    if siblings.exists():
        return
    later = list(run.steps.filter(status=StepStatus.WAITING).order_by("position"))
    if later:
        nxt = [s for s in later if s.position == later[0].position]
        ApprovalStep.objects.filter(pk__in=[s.pk for s in nxt]).update(status=StepStatus.PENDING)
        _tell(contract, nxt)
        return
    run.status = RunStatus.APPROVED
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "finished_at"])
    if run.change_order is not None:
        apply_change(contract, run.change_order, by)
    else:
        set_status(contract, Status.APPROVED, by=by)
        snapshot_version(contract, by)


def _stop(
    contract: Contract, run: ApprovalRun, step: ApprovalStep, by: Any, decision: str, comment: str
) -> None:
    outcome = StepStatus.REJECTED if decision == Decision.REJECT else StepStatus.RETURNED
    step.status = outcome
    step.save(update_fields=["status"])
    run.steps.filter(status__in=[StepStatus.WAITING, StepStatus.PENDING]).update(
        status=StepStatus.SKIPPED
    )
    run.status = RunStatus.REJECTED if decision == Decision.REJECT else RunStatus.RETURNED
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "finished_at"])
    if run.change_order is not None:
        close_change(run.change_order, decision)
    else:
        set_status(contract, Status.DRAFT, by=by, reason=comment[:500])


# --- reading -------------------------------------------------------------------------------------


def inbox(user: Any, limit: int = 100) -> list[ApprovalStep]:
    """The steps waiting for ``user``'s decision, oldest round first: one query, loading only
    the columns the inbox shows (a contract row carries long texts)."""
    return list(
        ApprovalStep.objects.filter(
            status=StepStatus.PENDING, run__status=RunStatus.RUNNING, assignees__user=user
        )
        .exclude(decisions__approver=user)
        .select_related("run__contract__account", "run__change_order")
        .only(
            "name",
            "run__started_at",
            "run__amount_cny",
            "run__risk",
            "run__contract_id",
            "run__change_order__number",
            "run__contract__number",
            "run__contract__title",
            "run__contract__account__name",
        )
        .order_by("run__started_at", "pk")[:limit]
    )


def trail(contract: Contract) -> dict[int, list[Any]]:
    """The contract's decisions per step id."""
    found: dict[int, list[Any]] = defaultdict(list)
    for row in contract.decisions.select_related("approver").order_by("sequence"):
        found[row.step_id].append(row)
    return found
