"""The double-entry ledger: balanced postings, reversals, verification."""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db.models import F, OuterRef, Subquery, Sum

from domus.core.money import quantize
from domus.finance.models import (
    ACCOUNT_KINDS,
    Account,
    AccountCode,
    Invoice,
    LedgerEntry,
    LedgerTransaction,
    OwnerExpense,
    Payment,
    Payout,
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


def _mixed_currency_transactions() -> list[str]:
    """Transactions that mix currencies: posted in another currency than the document they post
    (payment, invoice, payout, owner expense) or the transaction they reverse; a payment's posting
    when the payment is not in its invoice's currency; a payout's or owner expense's posting when
    it is not in the company's currency (owner balances are paid and charged in that currency)."""
    mixed: set[UUID] = set()
    documents = {"payment": Payment, "invoice": Invoice, "payout": Payout, "owner_expense": OwnerExpense}
    for reference_type, model in documents.items():
        document_currency = model.objects.filter(pk=OuterRef("reference_id")).values("currency")[:1]
        mixed.update(
            LedgerTransaction.objects.filter(reference_type=reference_type)
            .annotate(document_currency=Subquery(document_currency))
            .filter(document_currency__isnull=False)
            .exclude(document_currency=F("currency"))
            .values_list("id", flat=True)
        )
    foreign = [
        ("payment", Payment.objects.filter(invoice__isnull=False).exclude(currency=F("invoice__currency"))),
        ("payout", Payout.objects.exclude(currency=F("company__currency"))),
        ("owner_expense", OwnerExpense.objects.filter(listing__isnull=True).exclude(currency=F("company__currency"))),
        ("owner_expense", OwnerExpense.objects.filter(listing__isnull=False).exclude(currency=F("listing__currency"))),
    ]
    for reference_type, documents_off in foreign:
        mixed.update(
            LedgerTransaction.objects.filter(
                reference_type=reference_type, reference_id__in=documents_off.values("id")
            ).values_list("id", flat=True)
        )
    mixed.update(
        LedgerTransaction.objects.filter(reverses__isnull=False)
        .exclude(currency=F("reverses__currency"))
        .values_list("id", flat=True)
    )
    return sorted(str(transaction_id) for transaction_id in mixed)


def ledger_verify() -> dict[str, Any]:
    """Check that every transaction balances and equals its stated amount, that none mixes
    currencies, and that each company's debits equal its credits in each currency (the trial
    balance; amounts in different currencies are never added)."""
    unbalanced = []
    sums = LedgerTransaction.objects.annotate(debits=Sum("entries__debit"), credits=Sum("entries__credit")).values(
        "id", "amount", "debits", "credits"
    )
    count = 0
    for row in sums.iterator(chunk_size=2000):
        count += 1
        if row["debits"] is None or row["debits"] != row["credits"] or row["debits"] != row["amount"]:
            unbalanced.append(str(row["id"]))
    totals = LedgerEntry.objects.values("transaction__company_id", "transaction__currency").annotate(
        d=Sum("debit"), c=Sum("credit")
    )
    companies_off = sorted({str(row["transaction__company_id"]) for row in totals if row["d"] != row["c"]})
    mixed = _mixed_currency_transactions()
    negative_owners = [
        {
            "company_id": str(row["account__company_id"]),
            "owner_id": str(row["owner_id"]),
            "currency": row["transaction__currency"],
            "balance": str(quantize(row["b"])),
        }
        for row in LedgerEntry.objects.filter(account__code=AccountCode.OWNER_PAYABLE)
        .values("account__company_id", "owner_id", "transaction__currency")
        .annotate(b=Sum("credit") - Sum("debit"))
        if row["b"] < 0
    ]
    return {
        # A negative owner balance (expenses or a refund after a payout) is reported, not an error.
        "ok": not unbalanced and not companies_off and not mixed,
        "transactions": count,
        "unbalanced_transactions": unbalanced[:100],
        "mixed_currency_transactions": mixed[:100],
        "companies_out_of_balance": companies_off,
        "negative_owner_balances": negative_owners,
    }
