"""Monthly attendance reports: per advisor and day the status (present, late, half day,
absent, week-off, holiday, leave, pending), worked and overtime minutes, the late count,
and the payable amounts of the advisor's payroll profile. Read-only; a branch month of 200
advisors is six queries whatever its size."""

import csv
import io
from collections import Counter
from datetime import date
from decimal import Decimal
from typing import Any

from domus.attendance import clock, planning, selectors
from domus.attendance.models import AttendanceStatus, PayBasis
from domus.core.exceptions import ValidationFailed
from domus.core.money import money_str, quantize

STATUS_OF_RECORD = {
    AttendanceStatus.PRESENT: "present",
    AttendanceStatus.HALF_DAY: "half_day",
    AttendanceStatus.ABSENT: "absent",
    AttendanceStatus.OPEN: "pending",
    AttendanceStatus.PENDING_APPROVAL: "pending",
}
PAID_PLANS = (planning.WORK, planning.HOLIDAY, planning.LEAVE)
COUNTED = ("present", "late", "half_day", "absent", "week_off", "holiday", "leave", "pending")


def month_of(value: str | None) -> tuple[int, int]:
    if not value:
        today = clock.now().date()
        return today.year, today.month
    try:
        year, month = (int(part) for part in value.split("-"))
        date(year, month, 1)
    except ValueError:
        raise ValidationFailed("Unknown month.", errors={"month": ["YYYY-MM."]}) from None
    return year, month


def _day_status(record: tuple | None, plan: planning.DayPlan, today: date) -> str:
    if record is not None:
        status, is_late = record[0], record[1]
        name = STATUS_OF_RECORD[status]
        return "late" if name == "present" and is_late else name
    if plan.kind == planning.WORK:
        return "absent" if plan.day < today else "scheduled"
    return plan.kind


def _payable(profile: Any, totals: Counter, planned: int) -> dict[str, Any] | None:
    if profile is None:
        return None
    unpaid = Decimal(totals["absent"]) + Decimal(totals["half_day"]) / 2
    paid = max(Decimal(planned) - unpaid, Decimal(0))
    if profile.pay_basis == PayBasis.DAILY:
        base = profile.base_pay * paid
    else:
        base = profile.base_pay * paid / planned if planned else Decimal(0)
    overtime = profile.overtime_rate * Decimal(totals["overtime_minutes"]) / 60
    penalty = profile.late_penalty * max(totals["late_count"] - profile.late_free_count, 0)
    total = max(quantize(base) + quantize(overtime) - quantize(penalty), Decimal(0))
    return {
        "currency": profile.currency,
        "base": quantize(base),
        "overtime": quantize(overtime),
        "late_penalty": quantize(penalty),
        "total": total,
    }


def monthly_report(*, advisor_ids: list[Any], year: int, month: int, branch_id: Any = None) -> dict[str, Any]:
    """The month of each advisor, as plain data ready for JSON (dates, UUIDs and money as
    strings): built in one pass, so a branch of 200 advisors costs no per-day query."""
    days = planning.month_days(year, month)
    start, end = days[0], days[-1]
    iso_days = [day.isoformat() for day in days]
    book = selectors.PlanBook(advisor_ids=advisor_ids, start=start, end=end)
    records = selectors.attendance_day_values(advisor_ids=advisor_ids, start=start, end=end)
    profiles = selectors.payroll_profiles_of(advisor_ids)
    names = selectors.advisors_named(advisor_ids)
    today = clock.now().date()
    advisors = []
    payable_totals: dict[str, Decimal] = {}
    for advisor_id in advisor_ids:
        mine = records.get(advisor_id, {})
        totals: Counter = Counter()
        planned = 0
        rows = []
        for day, iso, plan in zip(days, iso_days, book.plans(advisor_id, days), strict=True):
            record = mine.get(day)
            status = _day_status(record, plan, today)
            if record is None:
                worked = overtime = late = 0
            else:
                worked, overtime, late = record[2], record[3], record[4]
                if record[1]:
                    totals["late_count"] += 1
            if record is not None or plan.kind in PAID_PLANS:
                planned += 1
            totals[status] += 1
            totals["worked_minutes"] += worked
            totals["overtime_minutes"] += overtime
            rows.append(
                {
                    "day": iso,
                    "status": status,
                    "worked_minutes": worked,
                    "overtime_minutes": overtime,
                    "late_minutes": late,
                }
            )
        payable = _payable(profiles.get(advisor_id), totals, planned)
        if payable is not None:
            payable_totals[payable["currency"]] = payable_totals.get(payable["currency"], Decimal(0)) + payable["total"]
            payable = {key: money_str(value) if isinstance(value, Decimal) else value for key, value in payable.items()}
        advisors.append(
            {
                "advisor_id": str(advisor_id),
                "name": names.get(advisor_id, ""),
                "days": rows,
                "totals": {
                    **{key: totals[key] for key in COUNTED},
                    "worked_minutes": totals["worked_minutes"],
                    "overtime_minutes": totals["overtime_minutes"],
                    "late_count": totals["late_count"],
                },
                "payable": payable,
            }
        )
    return {
        "month": f"{year:04d}-{month:02d}",
        "branch_id": str(branch_id) if branch_id else None,
        "advisors": advisors,
        "payable_totals": {currency: money_str(payable_totals[currency]) for currency in sorted(payable_totals)},
    }


CSV_HEADER = ["advisor_id", "name", "day", "status", "worked_minutes", "overtime_minutes", "late_minutes"]


def report_csv(report: dict[str, Any]) -> str:
    """One row per advisor and day."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_HEADER)
    for advisor in report["advisors"]:
        for row in advisor["days"]:
            writer.writerow(
                [
                    advisor["advisor_id"],
                    _safe(advisor["name"]),
                    row["day"],
                    row["status"],
                    row["worked_minutes"],
                    row["overtime_minutes"],
                    row["late_minutes"],
                ]
            )
    return buffer.getvalue()


def _safe(text: str) -> str:
    """No spreadsheet formula from a name (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def report_pdf(report: dict[str, Any], *, title: str) -> bytes:
    """One line per advisor: the month's counts, hours and payable total."""
    from domus.integrations.pdf import PdfTable, render_pdf

    header = ["Advisor", "Present", "Late", "Half", "Absent", "Off", "Hol.", "Leave", "Worked h", "OT h", "Payable"]
    rows = []
    for advisor in report["advisors"]:
        t = advisor["totals"]
        payable = advisor["payable"]
        rows.append(
            [
                advisor["name"],
                str(t["present"]),
                str(t["late"]),
                str(t["half_day"]),
                str(t["absent"]),
                str(t["week_off"]),
                str(t["holiday"]),
                str(t["leave"]),
                f"{t['worked_minutes'] / 60:.1f}",
                f"{t['overtime_minutes'] / 60:.1f}",
                f"{payable['currency']} {payable['total']}" if payable else "-",
            ]
        )
    totals = ", ".join(f"{c} {a}" for c, a in report["payable_totals"].items()) or "-"
    return render_pdf(
        title=title,
        fields=[("Month", report["month"]), ("Advisors", len(report["advisors"])), ("Payable", totals)],
        table=PdfTable(header=header, rows=rows, widths=(3, 1, 1, 1, 1, 1, 1, 1, 1.2, 1, 2)),
    )
