"""PDF renderings of the reports, with fpdf2 and the bundled DejaVu fonts like every other
document of Domus (``domus.integrations.pdf``). Maps and charts are drawn as vectors on
the page from the report's own numbers: no tiles, no image service, nothing fetched."""

import math
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from domus.integrations.pdf import FONT, FONT_DIR, PAGE_MARGIN_MM, format_amount

SUBJECT_RGB = (200, 40, 40)
SOLD_RGB = (30, 110, 60)
ASKING_RGB = (40, 90, 180)
GRID_RGB = (210, 210, 210)


class ReportPdf(FPDF):
    """An A4 report: a title, sections of labelled fields and tables, drawings."""

    def __init__(self, title: str) -> None:
        super().__init__(format="A4")
        self.add_font(FONT, "", FONT_DIR / "DejaVuSans.ttf")
        self.add_font(FONT, "B", FONT_DIR / "DejaVuSans-Bold.ttf")
        self.set_margins(PAGE_MARGIN_MM, PAGE_MARGIN_MM, PAGE_MARGIN_MM)
        self.set_auto_page_break(auto=True, margin=PAGE_MARGIN_MM)
        self.set_title(title)
        self.add_page()
        self.set_font(FONT, "B", 16)
        self.multi_cell(0, 9, title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(2)

    def heading(self, text: str) -> None:
        self.ln(3)
        self.set_font(FONT, "B", 12)
        self.multi_cell(0, 7, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def fields(self, pairs: Sequence[tuple[str, object]], *, label_mm: float = 55) -> None:
        for label, value in pairs:
            self.set_font(FONT, "B", 9)
            self.cell(label_mm, 5, str(label))
            self.set_font(FONT, "", 9)
            self.multi_cell(
                0, 5, "—" if value is None or value == "" else str(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT
            )

    def paragraph(self, text: str, size: int = 9) -> None:
        self.set_font(FONT, "", size)
        self.multi_cell(0, 4.5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def table(self, header: Sequence[str], rows: Sequence[Sequence[object]], widths: Sequence[float] = ()) -> None:
        self.set_font(FONT, "", 7.5)
        with super().table(col_widths=tuple(widths) or (1,) * len(header), text_align="LEFT") as grid:
            for row in (header, *rows):
                cells = grid.row()
                for value in row:
                    cells.cell("" if value is None else str(value))
        self.ln(2)

    def space_for(self, height_mm: float) -> None:
        if self.get_y() + height_mm > self.h - PAGE_MARGIN_MM:
            self.add_page()

    def output_bytes(self) -> bytes:
        return bytes(self.output())


def _money(value: str | None, currency: str) -> str:
    return "—" if value is None else format_amount(Decimal(value), currency)


def draw_map(pdf: ReportPdf, subject: dict[str, Any], comps: list[dict[str, Any]], *, size_mm: float = 90) -> None:
    """The subject (red square) and the comparables (numbered dots: green with a
    transaction price, blue asking) on an equirectangular plot around the subject, with
    a grid and a scale bar in km. Drawn from the coordinates alone, no tiles."""
    pdf.space_for(size_mm + 12)
    left, top = pdf.l_margin, pdf.get_y() + 2
    lat0, lng0 = subject["latitude"], subject["longitude"]
    cos_lat = max(math.cos(math.radians(lat0)), 1e-6)

    def km(lat: float, lng: float) -> tuple[float, float]:
        return (lng - lng0) * 111.32 * cos_lat, (lat - lat0) * 111.32

    points = [km(c["latitude"], c["longitude"]) for c in comps]
    reach = max([abs(v) for p in points for v in p] + [0.5]) * 1.15
    scale = (size_mm / 2) / reach  # mm per km

    def at(x_km: float, y_km: float) -> tuple[float, float]:
        return left + size_mm / 2 + x_km * scale, top + size_mm / 2 - y_km * scale

    pdf.set_draw_color(*GRID_RGB)
    pdf.set_line_width(0.2)
    pdf.rect(left, top, size_mm, size_mm)
    for i in range(1, 4):
        pdf.line(left + i * size_mm / 4, top, left + i * size_mm / 4, top + size_mm)
        pdf.line(left, top + i * size_mm / 4, left + size_mm, top + i * size_mm / 4)
    pdf.set_font(FONT, "", 6)
    for rank, (x_km, y_km) in enumerate(points, start=1):
        x, y = at(x_km, y_km)
        colour = ASKING_RGB if comps[rank - 1]["price_kind"] == "asking" else SOLD_RGB
        pdf.set_fill_color(*colour)
        pdf.circle(x, y, 1.6, style="F")
        pdf.set_text_color(*colour)
        pdf.text(x + 2, y + 1, str(rank))
    x, y = at(0, 0)
    pdf.set_fill_color(*SUBJECT_RGB)
    pdf.rect(x - 1.8, y - 1.8, 3.6, 3.6, style="F")
    pdf.set_text_color(0, 0, 0)
    # Scale bar: a round number of km about a quarter of the width.
    target = reach / 2
    step = 10 ** math.floor(math.log10(target))
    bar_km = max(step * m for m in (1, 2, 5) if step * m <= target)
    pdf.set_draw_color(0, 0, 0)
    pdf.set_line_width(0.4)
    pdf.line(left + 3, top + size_mm - 4, left + 3 + bar_km * scale, top + size_mm - 4)
    pdf.text(left + 3, top + size_mm - 5.5, f"{bar_km:g} km")
    legend_x = left + size_mm + 6
    pdf.set_font(FONT, "", 8)
    for i, (colour, label) in enumerate(
        ((SUBJECT_RGB, "Subject"), (SOLD_RGB, "Sold / let price"), (ASKING_RGB, "Asking price"))
    ):
        pdf.set_fill_color(*colour)
        pdf.rect(legend_x, top + 4 + i * 6, 3, 3, style="F")
        pdf.text(legend_x + 5, top + 6.5 + i * 6, label)
    pdf.set_xy(left, top + size_mm + 4)


def draw_bars(
    pdf: ReportPdf,
    bars: list[tuple[str, float, tuple[int, int, int]]],
    *,
    marks: Sequence[tuple[str, float]] = (),
    unit: str = "",
) -> None:
    """A horizontal bar chart (label, value, colour), with vertical marks (low, median,
    high, ...) across it."""
    if not bars:
        return
    row_mm, label_mm, width_mm = 5.0, 45.0, pdf.w - 2 * PAGE_MARGIN_MM - 45.0 - 22
    pdf.space_for(row_mm * len(bars) + 14)
    top, left = pdf.get_y() + 2, pdf.l_margin
    high = max([v for _, v, _ in bars] + [v for _, v in marks] + [1e-9])
    pdf.set_font(FONT, "", 7)
    for i, (label, value, colour) in enumerate(bars):
        y = top + i * row_mm
        pdf.set_text_color(0, 0, 0)
        pdf.text(left, y + 3.5, label[:34])
        pdf.set_fill_color(*colour)
        pdf.rect(left + label_mm, y + 0.8, max(value / high * width_mm, 0.3), row_mm - 1.6, style="F")
        pdf.text(left + label_mm + value / high * width_mm + 1.5, y + 3.5, f"{value:,.0f}")
    bottom = top + len(bars) * row_mm
    pdf.set_draw_color(120, 120, 120)
    pdf.set_line_width(0.3)
    for i, (label, value) in enumerate(marks):
        x = left + label_mm + value / high * width_mm
        pdf.line(x, top - 1, x, bottom + 1)
        pdf.text(x - 4, bottom + 4 + (i % 2) * 3, label)
    pdf.set_xy(left, bottom + 10)
    if unit:
        pdf.paragraph(unit, size=7)


def cma_pdf(report: dict[str, Any]) -> bytes:
    subject, currency, estimate = report["subject"], report["currency"] or "", report["estimate"]
    pdf = ReportPdf(f"Comparative market analysis: {subject['title'] or subject['address'] or 'subject'}")
    pdf.fields(
        [
            ("Address", subject["address"]),
            ("Type", f"{subject['property_type']} for {subject['listing_type']}"),
            ("Area", f"{subject['area_m2']:g} m²"),
            ("Bedrooms", subject["bedrooms"]),
            ("Year built", subject["year_built"]),
            ("Asking price", _money(subject["asking_price"], currency)),
            ("Generated", report["generated_at"].strftime("%Y-%m-%d %H:%M UTC")),
        ]
    )
    pdf.heading("Estimate")
    if estimate:
        pdf.fields(
            [
                ("Suggested", _money(estimate["suggested"], currency)),
                (
                    "Suggested range",
                    f"{_money(estimate['suggested_low'], currency)} to {_money(estimate['suggested_high'], currency)}",
                ),
                ("Low / median / high", " / ".join(_money(estimate[k], currency) for k in ("low", "median", "high"))),
                ("Price per m²", _money(estimate["price_per_m2"], currency)),
                ("Confidence", f"{report['confidence']['level']} ({report['confidence']['score']:.2f})"),
            ]
        )
    else:
        pdf.paragraph("No comparable found.")
    for reason in report["confidence"]["reasons"]:
        pdf.paragraph(reason)
    comps = report["comparables"]
    pdf.heading("Map")
    draw_map(pdf, subject, comps)
    pdf.heading("Adjusted prices")
    marks = [] if not estimate else [(k, float(estimate[k])) for k in ("low", "median", "high")]
    draw_bars(
        pdf,
        [
            (
                f"{c['rank']}. {c['title']}",
                float(c["adjusted_price"]),
                ASKING_RGB if c["price_kind"] == "asking" else SOLD_RGB,
            )
            for c in comps
        ],
        marks=marks,
        unit=f"Amounts in {currency}.",
    )
    pdf.heading("Comparables")
    pdf.table(
        ("#", "Comparable", "km", "Price", "Kind", "m²", "Beds", "Built", "Adjustments", "Adjusted"),
        [
            (
                c["rank"],
                c["title"],
                f"{c['distance_km']:.2f}",
                format_amount(Decimal(c["price"])),
                c["price_kind"],
                f"{c['area_m2']:g}",
                c["bedrooms"],
                c["year_built"],
                "; ".join(f"{a['attribute']} {format_amount(Decimal(a['amount']))}" for a in c["adjustments"])
                or "none",
                format_amount(Decimal(c["adjusted_price"])),
            )
            for c in comps
        ],
        widths=(3, 18, 5, 11, 6, 5, 4, 5, 20, 11),
    )
    model = report["model"]
    pdf.heading("How the adjustments were made")
    pdf.paragraph(
        f"Method: {model['method']} over {model['rows']} of the company's own comparable records "
        f"(at least {model['min_rows']} needed to fit; R² {model['r2'] if model['r2'] is not None else 'n/a'}). "
        "Each rate moves a comparable's price toward the subject: (subject - comparable) x rate."
    )
    pdf.table(
        ("Attribute", "Rate per unit", "Basis"),
        [(r["attribute"], format_amount(Decimal(r["rate"]), currency), r["basis"]) for r in model["rates"]],
    )
    return pdf.output_bytes()


def tables_pdf(title: str, fields: Sequence[tuple[str, object]], sections: Sequence[dict[str, Any]]) -> bytes:
    """A report of labelled fields then titled tables (``{"title", "header", "rows",
    "widths"?, "chart"?}``); a section's ``chart`` is drawn as bars above its table."""
    pdf = ReportPdf(title)
    pdf.fields(fields)
    for section in sections:
        pdf.heading(section["title"])
        if section.get("chart"):
            draw_bars(pdf, [(label, value, ASKING_RGB) for label, value in section["chart"]])
        if section["rows"]:
            pdf.table(section["header"], section["rows"], section.get("widths", ()))
        else:
            pdf.paragraph("Nothing in this period and scope.")
    return pdf.output_bytes()
