"""The double-entry ledger: balanced postings, reversals, verification."""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db.models import Sum

from domus.core.money import quantize
from domus.finance.models import (
    ACCOUNT_KINDS,
    Account,
    AccountCode,
    LedgerEntry,
    LedgerTransaction,
)
from domus.finance.services.common import ZERO

# Ledger --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """One side of a posting: ``account`` is an AccountCode; exactly one of debit/credit is positive."""

    account: str
    debit: Decimal = ZERO
    credit: Decimal = ZERO
    owner_id: Any = None


def accounts_for(company_id: UUID) -> dict[str, Account]:
    """The company's chart of accounts, created on first use."""
    accounts = {account.code: account for account in Account.objects.filter(company_id=company_id)}
    for code, kind in ACCOUNT_KINDS.items():
        if code not in accounts:
            accounts[code], _ = Account.objects.get_or_create(
                company_id=company_id, code=code, defaults={"kind": kind, "name": AccountCode(code).label}
            )
    return accounts


@dataclass(frozen=True)
class Posting:
    """One balanced transaction to post (see ``ledger_post``)."""

    company_id: UUID
    kind: str
    reference_type: str
    reference_id: UUID
    lines: list[Line]
    currency: str
    memo: str = ""
    actor: Any = None
    reverses: LedgerTransaction | None = None


def ledger_post_many(postings: list[Posting]) -> list[LedgerTransaction]:
    """Post balanced transactions in bulk. Zero lines are dropped; an unbalanced posting refuses them all."""
    accounts: dict[UUID, dict[str, Account]] = {}
    transactions: list[LedgerTransaction] = []
    entries: list[LedgerEntry] = []
    for posting in postings:
        lines = [
            Line(line.account, quantize(line.debit), quantize(line.credit), line.owner_id)
            for line in posting.lines
            if line.debit or line.credit
        ]
        debits = sum((line.debit for line in lines), ZERO)
        credits = sum((line.credit for line in lines), ZERO)
        if debits != credits or debits <= 0:
            raise ValueError(f"unbalanced posting {posting.kind}: debits {debits} != credits {credits}")
        if posting.company_id not in accounts:
            accounts[posting.company_id] = accounts_for(posting.company_id)
        chart = accounts[posting.company_id]
        posted = LedgerTransaction(
            company_id=posting.company_id,
            kind=posting.kind,
            reference_type=posting.reference_type,
            reference_id=posting.reference_id,
            memo=posting.memo[:255],
            currency=posting.currency,
            amount=debits,
            reverses=posting.reverses,
            created_by=posting.actor if getattr(posting.actor, "is_authenticated", False) else None,
        )
        transactions.append(posted)
        entries.extend(
            LedgerEntry(
                transaction=posted,
                account=chart[line.account],
                owner_id=line.owner_id,
                debit=line.debit,
                credit=line.credit,
            )
            for line in lines
        )
    LedgerTransaction.objects.bulk_create(transactions)
    LedgerEntry.objects.bulk_create(entries)
    return transactions


def ledger_post(
    *,
    company_id: UUID,
    kind: str,
    reference_type: str,
    reference_id: UUID,
    lines: Iterable[Line],
    currency: str,
    memo: str = "",
    actor: Any = None,
    reverses: LedgerTransaction | None = None,
) -> LedgerTransaction:
    """Post one balanced transaction. Zero lines are dropped; unbalanced postings are refused."""
    posting = Posting(company_id, kind, reference_type, reference_id, list(lines), currency, memo, actor, reverses)
    return ledger_post_many([posting])[0]


def ledger_reverse(*, original: LedgerTransaction, kind: str, memo: str, actor: Any = None) -> LedgerTransaction:
    """The correcting entry of ``original``: every line with its sides swapped."""
    lines = [
        Line(entry.account.code, debit=entry.credit, credit=entry.debit, owner_id=entry.owner_id)
        for entry in original.entries.select_related("account")
    ]
    return ledger_post(
        company_id=original.company_id,
        kind=kind,
        reference_type=original.reference_type,
        reference_id=original.reference_id,
        lines=lines,
        currency=original.currency,
        memo=memo,
        actor=actor,
        reverses=original,
    )


def ledger_verify() -> dict[str, Any]:
    """Check that every transaction balances and equals its stated amount, and that each
    company's debits equal its credits (the trial balance)."""
    unbalanced = []
    sums = LedgerTransaction.objects.annotate(debits=Sum("entries__debit"), credits=Sum("entries__credit")).values(
        "id", "amount", "debits", "credits"
    )
    count = 0
    for row in sums.iterator(chunk_size=2000):
        count += 1
        if row["debits"] is None or row["debits"] != row["credits"] or row["debits"] != row["amount"]:
            unbalanced.append(str(row["id"]))
    totals = LedgerEntry.objects.values("transaction__company_id").annotate(d=Sum("debit"), c=Sum("credit"))
    companies_off = [str(row["transaction__company_id"]) for row in totals if row["d"] != row["c"]]
    negative_owners = [
        {"company_id": str(row["account__company_id"]), "owner_id": str(row["owner_id"]), "balance": str(row["b"])}
        for row in LedgerEntry.objects.filter(account__code=AccountCode.OWNER_PAYABLE)
        .values("account__company_id", "owner_id")
        .annotate(b=Sum("credit") - Sum("debit"))
        if row["b"] < 0
    ]
    return {
        # A negative owner balance (expenses or a refund after a payout) is reported, not an error.
        "ok": not unbalanced and not companies_off,
        "transactions": count,
        "unbalanced_transactions": unbalanced[:100],
        "companies_out_of_balance": companies_off,
        "negative_owner_balances": negative_owners,
    }
