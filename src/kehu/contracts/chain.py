"""The tamper-evident approval trail: each decision's SHA-256 covers its own facts and the
previous decision's hash, and the contract keeps the chain's head and length. A row edited,
inserted or deleted behind the application's back (SQL, an admin shell) breaks the chain, and
``verify`` names where.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from kehu.contracts.models import ApprovalDecision, Contract

GENESIS = "0" * 64


def decision_hash(
    previous: str,
    *,
    contract_id: int,
    sequence: int,
    step_id: int,
    approver_id: int,
    decision: str,
    comment: str,
    decided_at: datetime,
) -> str:
    """The hash of one decision, chained to ``previous``."""
    facts = json.dumps(
        [
            previous,
            contract_id,
            sequence,
            step_id,
            approver_id,
            decision,
            comment,
            # In UTC: the database hands the instant back in UTC whatever zone it went in with.
            decided_at.astimezone(UTC).isoformat(timespec="microseconds"),
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(facts.encode("utf-8")).hexdigest()


def hash_of(row: ApprovalDecision, previous: str) -> str:
    return decision_hash(
        previous,
        contract_id=row.contract_id,
        sequence=row.sequence,
        step_id=row.step_id,
        approver_id=row.approver_id,
        decision=row.decision,
        comment=row.comment,
        decided_at=row.decided_at,
    )


@dataclass(frozen=True)
class Problem:
    contract_id: int
    number: str
    sequence: int | None
    message: str


def verify_contract(contract: Contract, rows: list[ApprovalDecision]) -> list[Problem]:
    """Walk one contract's decisions in sequence; every break is a problem."""
    problems: list[Problem] = []

    def problem(sequence: int | None, message: str) -> None:
        problems.append(Problem(contract.pk, contract.number, sequence, message))

    previous = GENESIS
    for expected, row in enumerate(rows, start=1):
        if row.sequence != expected:
            problem(row.sequence, f"decision {expected} is missing (found {row.sequence} next)")
        if row.previous_hash != previous:
            problem(row.sequence, "does not follow the decision before it (inserted or removed?)")
        if hash_of(row, row.previous_hash) != row.hash:
            problem(row.sequence, "its content was changed after it was recorded")
        previous = row.hash
    if len(rows) != contract.chain_length or previous != (contract.chain_head or GENESIS):
        problem(
            None,
            f"the contract records {contract.chain_length} decisions ending in "
            f"{(contract.chain_head or GENESIS)[:12]}…, the table holds {len(rows)} ending in "
            f"{previous[:12]}…",
        )
    return problems


def verify(*, batch_size: int = 500) -> tuple[int, int, list[Problem]]:
    """Check every contract's chain: (contracts checked, decisions checked, problems)."""
    problems: list[Problem] = []
    contracts = decisions = 0
    last = 0
    while True:
        batch = list(
            Contract.objects.filter(pk__gt=last)
            .order_by("pk")
            .only("pk", "number", "chain_head", "chain_length")[:batch_size]
        )
        if not batch:
            break
        last = batch[-1].pk
        by_contract: dict[int, list[Any]] = {c.pk: [] for c in batch}
        for row in ApprovalDecision.objects.filter(contract_id__in=by_contract).order_by(
            "contract_id", "sequence"
        ):
            by_contract[row.contract_id].append(row)
        for contract in batch:
            contracts += 1
            decisions += len(by_contract[contract.pk])
            problems += verify_contract(contract, by_contract[contract.pk])
    return contracts, decisions, problems
