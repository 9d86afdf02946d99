"""Real threads on PostgreSQL, each with its own connection: the stock never goes
negative, the ledger holds exactly the postings that succeeded, and opposite transfers
do not deadlock."""

from decimal import Decimal

import pytest

from domus.accounts.tests.factories import UserFactory
from domus.core.exceptions import Conflict
from domus.core.roles import Role
from domus.core.tests.threads import race
from domus.inventory.models import Stock, StockLedgerEntry
from domus.inventory.services import reservations, stock
from domus.inventory.tests.factories import SparePartFactory


def _receive(actor, part, branch, quantity) -> None:
    entry = stock.entry_create(
        actor=actor,
        kind="receipt",
        branch_id=branch.id,
        lines=[{"part_id": part.id, "quantity": Decimal(quantity), "unit_cost": Decimal("5")}],
    )
    stock.entry_post(actor=actor, entry_id=entry.pk)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_threads_issuing_the_last_ten_units_exactly_ten_succeed(branch_a):
    admin = UserFactory(role=Role.ADMIN)
    part = SparePartFactory()
    _receive(admin, part, branch_a, 10)
    drafts = [
        stock.entry_create(
            actor=admin, kind="issue", branch_id=branch_a.id, lines=[{"part_id": part.id, "quantity": Decimal(1)}]
        )
        for _ in range(20)
    ]

    def issue(n: int) -> str:
        try:
            stock.entry_post(actor=admin, entry_id=drafts[n].pk)
        except Conflict:
            return "refused"
        return "posted"

    outcomes = race(20, issue, timeout=120)

    assert sorted(outcomes) == ["posted"] * 10 + ["refused"] * 10
    assert StockLedgerEntry.objects.filter(part=part, kind="issue").count() == 10
    row = Stock.objects.get(part=part, branch=branch_a)
    assert (row.on_hand, row.value) == (0, 0)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_opposite_transfers_at_once_do_not_deadlock(branch_a, branch_b):
    admin = UserFactory(role=Role.ADMIN)
    parts = [SparePartFactory(), SparePartFactory()]
    for part in parts:
        _receive(admin, part, branch_a, 50)
        _receive(admin, part, branch_b, 50)
    drafts = []
    for n in range(10):  # five each way, each moving both parts (in opposite line orders)
        source, target = (branch_a, branch_b) if n % 2 else (branch_b, branch_a)
        ordered = parts if n % 2 else parts[::-1]
        drafts.append(
            stock.entry_create(
                actor=admin,
                kind="transfer",
                branch_id=source.id,
                to_branch_id=target.id,
                lines=[{"part_id": part.id, "quantity": Decimal(3)} for part in ordered],
            )
        )

    def transfer(n: int) -> str:
        stock.entry_post(actor=admin, entry_id=drafts[n].pk)
        return "posted"

    outcomes = race(10, transfer, timeout=120)

    assert outcomes == ["posted"] * 10
    for part in parts:
        rows = Stock.objects.filter(part=part)
        assert sum(row.on_hand for row in rows) == 100
        assert sum(row.value for row in rows) == Decimal("500.00")
        assert {row.on_hand for row in rows} == {50}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_reserved_units_are_not_issued_to_anyone_else(branch_a):
    admin = UserFactory(role=Role.ADMIN)
    part = SparePartFactory()
    _receive(admin, part, branch_a, 5)
    drafts = [
        stock.entry_create(
            actor=admin, kind="issue", branch_id=branch_a.id, lines=[{"part_id": part.id, "quantity": Decimal(1)}]
        )
        for _ in range(5)
    ]

    def work(n: int) -> str:
        try:
            if n < 2:
                reservations.reservation_create(
                    actor=admin, part_id=part.id, branch_id=branch_a.id, quantity=Decimal(2), job_id=part.id
                )
                return "reserved"
            stock.entry_post(actor=admin, entry_id=drafts[n].pk)
            return "issued"
        except Conflict:
            return "refused"

    outcomes = race(5, work, timeout=120)

    row = Stock.objects.get(part=part, branch=branch_a)
    reserved = outcomes.count("reserved") * 2
    assert row.reserved == reserved
    assert row.on_hand == 5 - outcomes.count("issued")
    assert row.on_hand >= row.reserved
