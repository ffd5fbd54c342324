"""The invoice as a PDF: the same context as the printable page and the email
(billing.documents.invoice_context), laid out with fpdf2.

fpdf2's built-in Helvetica carries Latin-1 only, and no font file ships with Paydesk, so text
is reduced to Latin-1: the spaces and minus signs locales put in amounts become their ASCII
forms, and a character with no Latin-1 form (a currency sign such as ₩) prints as "?" rather than
failing the download.
"""

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from core.money import format_money

_PLAIN = str.maketrans({"\u00a0": " ", "\u202f": " ", "\u2212": "-", "\u2013": "-", "\u00b7": "-"})
_NEXT = {"new_x": XPos.LMARGIN, "new_y": YPos.NEXT}


def _text(value: object) -> str:
    return str(value).translate(_PLAIN).encode("latin-1", "replace").decode("latin-1")


def invoice_pdf(context: dict, *, seller_name: str, seller_address: list[str]) -> bytes:
    invoice, contact = context["invoice"], context["contact"]
    locale = contact.locale

    def money(value) -> str:
        return _text(format_money(value, locale))

    pdf = FPDF(format="A4")
    pdf.set_title(_text(f"Invoice {invoice.number}"))
    pdf.set_author(_text(seller_name))
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 9, _text(seller_name), **_NEXT)
    pdf.set_font("Helvetica", "", 10)
    for line in seller_address:
        pdf.cell(0, 5, _text(line), **_NEXT)
    pdf.ln(6)
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(0, 8, _text(f"Invoice {invoice.number}"), **_NEXT)
    pdf.set_font("Helvetica", "", 10)
    pdf.cell(0, 5, _text(f"Issued {invoice.issued_at:%d %b %Y}"), **_NEXT)
    if context.get("due_on"):
        pdf.cell(0, 5, _text(f"Due {context['due_on']:%d %b %Y}"), **_NEXT)
    pdf.cell(0, 5, _text(f"Status: {invoice.get_status_display()}"), **_NEXT)
    pdf.cell(0, 5, _text(f"Billed to: {contact.name}"), **_NEXT)
    pdf.ln(4)
    with pdf.table(
        col_widths=(90, 20, 40, 40), text_align=("LEFT", "RIGHT", "RIGHT", "RIGHT")
    ) as t:
        t.row(["Item", "Qty", "Unit price", "Amount"])
        for line in context["lines"]:
            t.row(
                [
                    _text(line.description),
                    str(line.quantity),
                    money(line.unit_price),
                    money(line.amount),
                ]
            )
    pdf.ln(4)
    totals = [("Total", context["total"])]
    if context["credit_applied"].amount:
        totals.append(("Credit applied", -context["credit_applied"]))
    totals.append(("Paid", context["paid"]))
    if context["refunded"].amount:
        totals.append(("Refunded", context["refunded"]))
    totals.append(("Amount due", context["due"]))
    for label, value in totals:
        pdf.set_font("Helvetica", "B" if label == "Amount due" else "", 10)
        pdf.cell(150, 6, label, align="R")
        pdf.cell(40, 6, money(value), align="R", **_NEXT)
    return bytes(pdf.output())
